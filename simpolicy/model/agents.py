"""Buyers and suppliers: the Mesa agents and how each one decides.

State sits in the model's column arrays (see population.py) so that monthly work over all
agents is vectorised; an agent is a view on its row with the decisions written as methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from .model import PolicyModel
    from .project import Need


class Buyer(mesa.Agent):
    """A public buyer with a fixed annual budget, a capability and a risk tolerance."""

    row: int  # its row in the buyers' columns (``agents_of`` sets it)

    @property
    def annual_budget(self) -> float:
        return self.model.annual_budgets[self.row]

    @property
    def small(self) -> bool:
        return self.model.smalls[self.row]

    @property
    def capability(self) -> float:
        return float(self.model.buyers.capability[self.row])

    @property
    def risk_tolerance(self) -> float:
        return float(self.model.buyers.risk_tolerance[self.row])

    @property
    def budget_left(self) -> float:
        """This year's budget not yet spent (kept in the buyers' column, renewed each January)."""
        return float(self.model.buyers.budget_left[self.row])

    def perceived_success(self, need: Need) -> float:
        """How likely the buyer thinks a project will deliver: harder for complex needs."""
        b = self.model.behaviour
        if need.route == "existing":
            return 0.9
        return (1 - b.complexity_effect * need.complexity) * (0.5 + 0.5 * self.capability)

    def utility(self, need: Need, own_cost: float, years: float) -> float:
        """Expected value minus own money at risk, weighed by risk tolerance.

        A buyer starts a project only when the need's value, discounted by the chance of
        success, beats its own share of the cost inflated by risk aversion. Small buyers
        also pay a price for every year they must commit (annual budgets, brief §3). A
        buyer the competence centre advises knows the process and sees less risk.
        """
        b = self.model.behaviour
        risk = self.model.risk_weights[self.row]
        commit = b.multi_year_penalty_small * years if self.small else 0.0
        return self.perceived_success(need) * need.value - own_cost * (risk + commit)

    def can_afford(self, amount: float) -> bool:
        """Whether this year's budget still holds the amount."""
        return amount <= self.model.buyers.budget_left[self.row] + 1e-9



class Supplier(mesa.Agent):
    """A firm (SME or large, domestic or foreign) that may bid, develop and sell."""

    row: int  # its row in the suppliers' columns (``agents_of`` sets it)


def agents_of(cls: type[mesa.Agent], model: PolicyModel, n: int) -> list:
    """One agent per row, made by Mesa's own ``Agent.__init__``: a run makes thousands, and
    an ``__init__`` of our own that only set the row cost a tenth of their making."""
    agents = [cls(model) for _ in range(n)]
    for row, agent in enumerate(agents):
        agent.row = row
    return agents


def bid_decisions(model: PolicyModel, candidates: np.ndarray, fee: float, market: float,
                  n_contracts: int, invest: float, subsidy: float, complexity: float,
                  u: np.ndarray) -> np.ndarray:
    """Which candidate suppliers bid, by their risk tolerance and the market they can see.

    A supplier bids when its chance to win times (its margin on the fee plus its margin on
    the market it can see, minus its own investment weighed by its risk aversion) beats the
    cost of bidding. The visible market (a purchase option, named followers, a joint
    process) weighs far more than the development fee (brief sections 4.1, 4.2); each firm
    perceives it differently (``u``). Supplier-side money lowers the investment at risk.
    Only firms capable enough for the need's complexity look at all. Vectorised.
    """
    b = model.behaviour
    s = model.suppliers
    cap = s.capability[candidates]
    risk = s.risk_tolerance[candidates]
    p_win = min(1.0, n_contracts / max(1.0, 0.2 * len(candidates)))
    seen = b.market_weight * market * 2 * u
    gain = b.supplier_margin * (fee + seen)
    at_risk = invest * (1 - subsidy) * b.risk_aversion * (1 - risk)
    bid = p_win * (gain - at_risk) > b.bid_cost_share * fee
    return bid & (cap >= 0.6 * complexity)


class Staff:
    """What each buyer's own staff can run at once, and what its running projects occupy.

    Running an innovation project takes a project lead, procurement and legal work beside
    money, and small buyers often have no one to spare (brief §3; the Danish proposal's
    recommendation 5). A buyer's capacity is its type's ``staff_capacity`` (projects at once).
    A project occupies 1 of it from its start until its development is delivered or it
    ends, less ``staff_relief`` for each kind of support that does part of the work: a grant
    that pays internal costs (a hired project manager), an external project office, the
    competence centre's process support, a joint process's facilitator. A buyer whose
    running projects leave no room for another's load does not start it, so what a scheme
    pays for decides who can take part at all, not only the size of the grant. Kept as
    Python lists (one float per buyer): the check runs for every need a buyer weighs.
    """

    def __init__(self, model: PolicyModel):
        caps = np.array([g.staff for g in model.scenario.population.buyers] or [0.0])
        self.capacity = caps[model.buyers.type_idx].tolist() if model.buyers.n else []
        self.used = [0.0] * model.buyers.n
        self.keep = 1.0 - model.behaviour.staff_relief
        self.advised = model.advised.tolist()

    def load(self, row: int, joint: bool = False, internal: bool = False, office: bool = False) -> float:
        """The share of the buyer's capacity a project takes, after the support it has."""
        helped = self.advised[row] + joint + internal + office
        return self.keep ** helped if helped else 1.0

    def room(self, row: int, load: float) -> bool:
        """Whether the buyer's staff can take on a project of this load beside its others."""
        return self.used[row] + load <= self.capacity[row] + 1e-9

    def take(self, row: int, p, load: float) -> None:
        p.staff = load
        self.used[row] += load

    def free(self, p) -> None:
        """The project no longer needs the buyer's staff (delivered or ended); idempotent."""
        if p.staff:
            self.used[p.need.buyer] = max(0.0, self.used[p.need.buyer] - p.staff)
            p.staff = 0.0
