"""The Mesa model: buyers, suppliers and a programme, one step a month.

``step`` reads like the phases of the brief: budgets renew each January, the competence
centre works, joint processes and competitions start, needs arrive and buyers decide,
calls close, projects move through their phases, and proven solutions spread.
"""

from __future__ import annotations

import mesa
import numpy as np

from simpolicy.scenario.schema import Scenario

from . import lifecycle
from . import rng as crn
from .agents import Buyer, Staff, Supplier, agents_of
from .diffusion import Diffusion
from .draws import draws_for
from .instruments import competition_multiple, office_cost
from .ledger import Ledger
from .loans import Finance
from .money import Money
from .needs import NeedSource
from .population import apply_mergers
from .programme import Decision, Programme
from .project import U_PLAN, U_PREP, U_RUSH, Grant, Need, Project, Solution, solution_key
from .rng import Purpose
from .services import Services, centre_reach
from .suppliers import SupplierMarket

SHARED_PHASES = ("preparation", "tender", "development")


def competing(spec) -> bool:
    """Whether an instrument pays several suppliers in competing phases: a PCP, or supplier
    grants let in phases (the UK's SBRI: feasibility, then fewer prototypes)."""
    return spec.type == "pcp" or (spec.type == "supplier_grant" and spec.competing_suppliers > 1)


class PolicyModel(mesa.Model):
    """One country's buyers and suppliers under one scheme, over the scenario's horizon."""

    def __init__(self, scenario: Scenario, seed: int = 0):
        super().__init__(seed=seed)
        self.scenario, self.seed, self.behaviour = scenario, seed, scenario.behaviour
        self.months, self.month = scenario.months, 0
        self.theme_names = list(scenario.population.themes)
        # every chance event draws by its purpose and identity (rng.py); what no scheme can
        # change (the population, the needs) is drawn once per population and seed and shared
        self.draws = draws_for(scenario, seed)
        self.buyers = self.draws.fresh_buyers()
        self.suppliers = self.draws.suppliers
        self.relevance = self.draws.relevance
        self.suppliers_by_theme = [np.flatnonzero(self.suppliers.theme == t)
                                   for t in range(len(self.theme_names))]
        self.firms = SupplierMarket(self)  # the run's own suppliers: learn, enter, leave
        # a buyer's needs cost dev_cost_eur at the reference budget and scale with its
        # budget, the same rule in every country so that any scheme fits any population
        ratio = self.buyers.budget / self.behaviour.reference_budget_eur
        self.size_scales = np.clip(ratio ** self.behaviour.size_exponent, 0.05, 5.0)
        self.buyer_agents = agents_of(Buyer, self, self.buyers.n)
        self.supplier_agents = agents_of(Supplier, self, self.suppliers.n)
        self.programme = Programme(self)
        self.services = Services(self)
        self.money = Money(self)
        self.finance = Finance.of(self)  # loans, grants paid after the fact; None without
        self.ledger = Ledger(self)
        self.diffusion = Diffusion(self)
        self.needs = NeedSource(self, self.draws)
        self.market_products: dict[int, Solution] = {}
        self.projects: list[Project] = []
        self.active: list[Project] = []
        # buyers the competence centre works with (advice, templates, process support), as
        # many as its budget can support, and what each buyer's staff can run at once
        self.advised, self.centre_reach = centre_reach(scenario, seed, self.buyers.n)
        self.staff = Staff(self)
        self.dev_money_known = self.programme.dev_money_known()
        # how much each buyer inflates its own money at risk (Buyer.utility); advice relieves
        b = self.behaviour
        relief = np.where(self.advised, b.advice_risk_relief, 0.0)
        self.risk_weight = 1 + b.risk_aversion * (1 - self.buyers.risk_tolerance) * (1 - relief)
        # what never changes in a run, as Python floats for the one-need-at-a-time path
        # (reading a numpy array element costs several times more)
        self.annual_budgets = self.buyers.budget.tolist()
        self.risk_weights = self.risk_weight.tolist()
        self.smalls = self.buyers.small.tolist()
        self.scales = self.size_scales.tolist()
        # the population's mergers (ODD 7.13), by the month they take effect
        self.gone_rows: set[int] = set()
        self.gone = np.zeros(self.buyers.n, dtype=bool)
        self._merges: dict[int, list] = {}
        for g in self.draws.merges:
            self._merges.setdefault(g.month, []).append(g)
        self.needs.seed_stock()
        # all agents exist now; Mesa 3.3 keeps a per-model id counter in a class-level dict
        # that would keep every finished model alive (mesa#3179), so drop ours
        getattr(mesa.Agent, "_ids", {}).pop(self, None)

    def close(self) -> None:
        """Lets go of everything the run made, at once; the model cannot be read afterwards.

        The model and its agents refer to each other (Mesa's registry, ``agent.model``), so
        a finished model is a reference cycle that only Python's cyclic collector can free:
        it walked the run's tens of thousands of objects two or three times before freeing
        them, a sixth of a run's time in a process that simulates one run after another
        (a dashboard worker, a study). Dropping the model's own references breaks every
        cycle, so reference counting frees the objects now, with no walk. ``simulate``
        calls this once it has read the outcomes.
        """
        vars(self).clear()

    # --- the month --------------------------------------------------------------
    def step(self) -> None:
        """One month of the brief's value chain."""
        if self.month in self._merges:
            apply_mergers(self, self._merges[self.month])
        if self.month % 12 == 0:
            self.new_year()
        self.programme.centre_step()
        self.programme.service_costs()
        for need in self.needs.arrive():
            if not self.services.take(need):  # brought to a joint process or competition
                self.consider(need)
        self.services.step()
        for decision in self.programme.run_calls(self.month):
            self.decide(decision)
        if self.finance is not None:
            self.finance.step()  # grants paid after the fact arrive, loan instalments fall due
        lifecycle.advance_due(self)
        self.diffusion.step()
        self.ledger.record_month()
        self.month += 1

    def new_year(self) -> None:
        """Annual budgets renew; awareness of development money and scaling grants is re-read."""
        self.buyers.new_year()
        self.firms.new_year()  # idle firms leave, new ones enter (ODD 7.17)
        self.dev_money_known = self.programme.dev_money_known()
        self.programme.read_scaling_known()

    # --- decisions --------------------------------------------------------------
    def consider(self, need: Need, followers: list[int] | None = None, joint: bool = False,
                 members: list[Need] | None = None, prepared: bool = False) -> None:
        """A buyer weighs a need: if it would go with the support it knows of, it applies.

        Buyers apply only when the project is worth doing with the grants they could get;
        once every application is answered they decide again with what was awarded.
        ``joint``: a joint process's lead, whose ``members`` share the process's costs;
        ``prepared``: the need went through an idea competition first.
        """
        if self.gone_rows and need.buyer in self.gone_rows:
            return  # a pooled need of a buyer merged away meanwhile (ODD 7.13)
        costs = self.shared_costs(need, 1 + len(followers or ())) if joint else self.needs.costs(need)
        offers = self.programme.offers(need, costs, self.month)
        pcp = next((st for st, _ in offers if competing(st.spec)), None) if offers else None
        if pcp is not None:
            # a pre-commercial procurement (or phased supplier contracts) pays every
            # competing supplier in every phase
            costs = {**costs, "development": costs["development"] * competition_multiple(pcp.spec)}
            offers = self.programme.offers(need, costs, self.month)
        office = (max((st for st, _ in offers), key=lambda st: st.spec.project_office_share)
                  if offers else None)
        if office is not None and office.spec.project_office_share > 0:
            # an external project office is a share of the project budget it is part of
            costs = {**costs, "office": office_cost(office.spec, costs)}
            offers = self.programme.offers(need, costs, self.month)
        # not worth it even with every grant on offer: then not with less either
        if not self._worth_it(need, costs, sum(a for _, a in offers) if offers else 0.0,
                              [(st.spec, a) for st, a in offers] if self.finance else ()):
            return
        # nor if its staff could not run it even with all the help on offer
        if not self._staffed(need.buyer, joint, "office" in costs,
                             bool(offers) and any(st.spec.internal_costs for st, _ in offers)):
            return
        decision = Decision(need, costs, offers)
        decision.followers, decision.joint = followers or [], joint
        decision.members, decision.prepared = members or [], prepared
        if not offers:
            self._go(decision, 0.0)  # nothing to apply for: it goes on its own money
            return
        self.programme.apply(decision, self.month)
        if decision.waiting == 0:
            self.decide(decision)

    def _staffed(self, row: int, joint: bool, office: bool, internal: bool) -> bool:
        """Whether the buyer's staff can take on one more project with this support."""
        staff = self.staff
        if staff.used[row] + 1.0 <= staff.capacity[row]:
            return True  # room even for a project without any help (the common case)
        return staff.room(row, staff.load(row, joint, internal, office))

    def _worth_it(self, need: Need, costs: dict[str, float], public: float,
                  financed=()) -> bool:
        """Whether the buyer starts, given the public money it would receive.

        ``financed``: (instrument spec, EUR) of that money where the scheme has loans or
        grants paid after the fact (loans.py). What is paid after the fact the buyer must
        advance from its budget; what it expects to repay of a loan is a future obligation,
        weighed like its own money at risk (ODD 7.14).
        """
        total = sum(costs.values())
        public = min(public, total)
        own = (total - public) * (1 - need.background)
        years = 0.5 if need.market_exists else (6 + 24 * need.complexity) / 12
        buyer = self.buyer_agents[need.buyer]
        late, owed = self.finance.weigh(need, financed, years, costs) if financed else (0.0, 0.0)
        # fixed annual budgets: this year's part must fit what is left, and each year's
        # share must fit a year's budget
        first_year = (costs["preparation"] + costs["tender"]) * (1 - max(0.0, public - late) / total)
        feasible = buyer.can_afford(first_year) and (own + late) / max(1.0, years) <= buyer.annual_budget
        return feasible and buyer.utility(need, own + owed, years) > 0

    def shared_costs(self, need: Need, n: int) -> dict[str, float]:
        """A need's costs when n buyers share one process up to the development's end."""
        return {k: v / n if k in SHARED_PHASES else v for k, v in self.needs.costs(need).items()}

    def joins(self, need: Need, n: int) -> bool:
        """Whether a buyer joins a joint process of n buyers: its need is worth it at the
        shared cost (on its own money: a process pays nothing), by the usual rule."""
        if self.gone_rows and need.buyer in self.gone_rows:
            return False  # merged away since it brought the need (ODD 7.13)
        return self._worth_it(need, self.shared_costs(need, n), 0.0)

    def decide(self, d: Decision) -> None:
        """Starts the project if its value beats the buyer's own money at risk."""
        if "office" in d.costs and not any(g.plan.get("office") for g in d.awarded):
            d.costs = {k: v for k, v in d.costs.items() if k != "office"}  # no office paid
        public = sum(g.amount for g in d.awarded)
        financed = [(self.state(g).spec, g.amount) for g in d.awarded] if self.finance else ()
        internal = any(self.state(g).spec.internal_costs for g in d.awarded)
        if not (self._worth_it(d.need, d.costs, public, financed)
                and self._staffed(d.need.buyer, d.joint, "office" in d.costs, internal)):
            for g in d.awarded:
                self.state(g).release(g)
            return
        self._go(d, public)

    def _go(self, d: Decision, public: float) -> None:
        """Starts the project with the buyer's own share of its cost."""
        total = sum(d.costs.values())
        own = max(0.0, total - public) * (1 - d.need.background)
        self.start(d, own / total if total else 0.0)

    def start(self, d: Decision, own_share: float) -> None:
        """Creates the project and fixes its preparation quality and tender design."""
        need, b = d.need, self.behaviour
        p = Project(len(self.projects), need, self.month, need.route, d.costs, list(d.awarded))
        p.followers, p.joint, p.own_share = list(d.followers), d.joint, own_share
        p.members = list(d.members)
        # buying an existing product is itself the plan; a development needs one made
        p.has_plan = need.route == "existing" or self.plans_purchase(need)
        # Python floats (the same IEEE arithmetic as numpy scalars, without their overhead)
        cap = float(self.buyers.capability[need.buyer])
        quality = 0.6 * cap + 0.4 * float(need.u[U_PREP])
        if p.grants:
            if any(g.itype == "preparation_grant" for g in p.grants):
                quality += b.preparation_grant_boost
            if any(g.plan.get("office") for g in p.grants):
                quality += b.preparation_grant_boost  # an external project office prepares
        if d.joint:
            quality += 0.15  # joint market dialogue
        if d.prepared:
            quality += 0.1  # an idea competition explored the solutions first
        if self.staff.advised[need.buyer]:  # (the same flags as a list: read per project)
            quality += 0.1  # process support from the competence centre
            centre = self.programme.centre
            quality += 0.05 * min(1.0, centre.legal_advice_hours / 20)
        # some buyers rush whatever their capability (the brief's main failure path)
        if need.u[U_RUSH] < 0.25:
            quality -= 0.3
        p.prep_quality = min(1.0, max(0.0, quality))
        p.rushed = p.prep_quality < b.rushed_threshold
        self._design_tender(p)
        internal = bool(p.grants) and any(self.state(g).spec.internal_costs for g in p.grants)
        self.staff.take(need.buyer, p, self.staff.load(need.buyer, d.joint, internal, "office" in d.costs))
        self.projects.append(p)
        self.active.append(p)
        self.ledger.started(p)
        months = 2 + round(4 * p.prep_quality)
        lifecycle.enter(self, p, "preparation", months)

    def _design_tender(self, p: Project) -> None:
        """PCP, partnerships and phased supplier contracts run several competing contracts
        with down-selection; an instrument with follower rights names buyers in the tender
        who may buy the result without a new tender."""
        for g in p.grants:
            spec = self.state(g).spec
            if spec.type == "innovation_partnership" or competing(spec):
                p.pcp = spec.type == "pcp"
                p.partnership = spec.type == "innovation_partnership"
                p.contracts_wanted = spec.competing_suppliers
                p.staged = competing(spec)  # paid phase by phase (stages.py)
                p.phase_plan = [spec.competing_suppliers, *spec.down_selection]
            if spec.follower_rights and spec.max_followers:
                p.followers = self.needs.followers(p.need, spec.max_followers, p.followers)

    def plans_purchase(self, need: Need, later: bool = False) -> bool:
        """Whether the buyer has a plan and money foreseen for the purchase."""
        cap = self.buyers.capability[need.buyer]
        chance = self.behaviour.plan_base * (0.5 + cap)
        if not later:
            return bool(need.u[U_PLAN] < chance)
        return crn.uniform(self.seed, Purpose.LATER_PLAN, need.id, self.month) < chance * 0.5

    # --- money ------------------------------------------------------------------
    def state(self, g: Grant):
        return self.programme.state(g.instrument)

    def end(self, p: Project, status: str, reason: str = "") -> None:
        """Ends a project; unpaid grants go back to the programme."""
        p.status, p.reason = status, reason
        self.active.remove(p)
        self.staff.free(p)
        if self.finance is not None and p.grants:
            self.finance.ended(p, status)  # a loan's repayment falls due by the outcome
        for g in p.grants:
            self.state(g).release(g)
        self.ledger.ended(p)

    # --- solutions and adoption -----------------------------------------------------
    def buyer(self, row: int) -> Buyer:
        return self.buyer_agents[row]

    def new_solution(self, need: Need, origin: str, quality: float, supplier: int) -> Solution:
        costs = self.needs.costs(need)
        # the price for a buyer of median size; each adopter pays it scaled to its size
        price = (costs.get("purchase", 0) + costs.get("implementation", 0)) / self.size_scale(need.buyer)
        sol = Solution(len(self.diffusion.solutions), need.challenge, need.theme, quality,
                       price, origin, self.month, supplier,
                       key=solution_key(origin, need.challenge if origin == "market" else need.id))
        self.diffusion.add(sol)
        return sol

    def release_solution(self, p: Project) -> None:
        """A completed development becomes a solution others may later adopt."""
        q = 0.5 + 0.5 * float(self.suppliers.capability[p.supplier])
        p.solution = self.new_solution(p.need, "developed", q, p.supplier).id
        self.staff.free(p)  # delivered: buying and implementing it is ordinary work
        self.ledger.completed(p)
        self.diffusion.live[p.solution] = False  # spreads only once someone uses it

    def solution_for(self, p: Project) -> Solution:
        if p.route == "development":
            return self.diffusion.solutions[p.solution]
        return self.needs.product_for(p.need)

    def adopt_own(self, p: Project) -> None:
        """The developing buyer implements its solution; named followers may follow."""
        sol = self.solution_for(p)
        self.record_adoption(p.need.buyer, sol, via="own", price=0.0)
        self.diffusion.go_live(sol.id)
        uptake = self.behaviour.joint_uptake if p.joint else self.behaviour.follower_uptake
        for row in p.followers:
            if crn.uniform(self.seed, Purpose.FOLLOWER_UPTAKE, p.need.id, row) < uptake:
                self.try_adopt(row, sol, via="follower")

    def try_adopt(self, row: int, sol: Solution, via: str) -> bool:
        """A buyer buys a proven solution if this year's budget (and any grant) allows."""
        if self.diffusion.uses(sol.id, row) or row in self.gone_rows:
            return False  # already uses it, or merged away (a follower named before)
        price = sol.unit_cost * self.scales[row]
        buyer = self.buyer_agents[row]
        st, grant = self.programme.diffusion_grant(sol.theme, price, self.month, row)
        own = price - grant
        # named followers and joint-process buyers committed in advance: their purchase is
        # budgeted (it may draw on next year's budget); peers must find money this year
        committed = via == "follower" and own <= buyer.annual_budget
        if not (committed or buyer.can_afford(own)):
            return False
        self.money.buyer(row, own, "diffusion")
        if st is not None:
            g = st.commit(grant, self.month, {"diffusion": price}, plan={"diffusion": grant})
            self.money.grant(st, g, "diffusion")
            self.ledger.scaling_grant(row, sol, g)
        self.record_adoption(row, sol, via=via, price=price)
        return True

    def record_adoption(self, row: int, sol: Solution, via: str, price: float) -> None:
        # first of its kind: no public buyer used it before (developed here or a market
        # product new to the public sector); most innovations are adapted from others
        first = sol.origin != "stock" and not sol.adopters
        sol.adopters.add(row)
        if sol.supplier >= 0:  # a sale: the supplier learns, gains a reference
            self.firms.delivered(sol.supplier)
        sol.adoption_months.append(self.month)
        if sol.first_purchase < 0:
            sol.first_purchase = self.month
        self.diffusion.record(sol, row)
        self.ledger.adopted(row, sol, via, first, price)

    def services_cost(self) -> float:
        """What the services (competence centre, joint processes) cost so far."""
        return self.money.paid_by("service")

    def size_scale(self, row: int) -> float:
        """How a buyer's project sizes scale with its budget (larger buyers, larger needs)."""
        return self.scales[row]
