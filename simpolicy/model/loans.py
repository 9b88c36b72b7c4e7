"""Loans and money paid after the fact (ODD 7.14): what a buyer owes and what it must advance.

Two ways public money reaches a buyer's project besides a grant paid as a phase starts:

- **paid after the fact** (``payment_lag_months`` > 0; Finland's co-financing is paid
  afterwards against reports, brief §4.4): the buyer pays the phase's whole cost from its
  own budget first and the grant arrives months later. The money comes back, but a small
  annual budget must hold the whole phase at once, so pre-financing decides who can take
  part at all;
- **a loan** (``financing: loan``; Spain's FID Line, brief §4.8): paid like a grant, then
  repaid with interest in yearly instalments from a year after the project ends, a share
  when it delivered (``repayment_on_success``) and another when it failed
  (``repayment_on_failure``). The repaid money counts against public money, and the buyer
  weighs the expected repayment as a future obligation (``Finance.weigh``).

Whether a repayment falls due reads the project's own outcome (delivered or not), never a
new draw. A run whose scheme has neither gets no ``Finance`` at all (``Finance.of`` returns
None), so the rest of the model pays nothing for this module beyond a test for None.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simpolicy.scenario.schema import Instrument

    from .model import PolicyModel
    from .project import Need, Project

# A public buyer's discount rate for money it owes in later years: assumed, not fitted (a
# common social discount rate; no pattern reads it). It values a loan's repayments now.
DISCOUNT_RATE = 0.03
GRACE_MONTHS = 12  # the first instalment falls due a year after the project ends (assumed)


def annuity(principal: float, rate: float, years: int) -> float:
    """The yearly instalment that repays ``principal`` with interest over ``years`` years."""
    if rate <= 0:
        return principal / years
    return principal * rate / (1 - (1 + rate) ** -years)


def delivered(p: Project, status: str) -> bool:
    """A project succeeded when it delivered a solution: its development was completed (even
    if the purchase then got stuck), or it bought an existing product."""
    return p.completed_month >= 0 or status == "adopted"


class Finance:
    """Payments after the fact and loan repayments of one run, by the month they fall due."""

    def __init__(self, model: PolicyModel):
        self.model = model
        self.reimbursements: dict[int, list[tuple]] = defaultdict(list)  # month -> (grant, line, project)
        self.instalments: dict[int, list[tuple]] = defaultdict(list)  # month -> (instrument, EUR, project)
        self.repaid = 0.0  # loan money returned to the scheme so far
        self.after_horizon = 0.0  # instalments scheduled after the last month

    @classmethod
    def of(cls, model: PolicyModel) -> Finance | None:
        """A Finance for a scheme with a loan or payment after the fact, else None."""
        specs = [st.spec for st in model.programme.instruments]
        if any(s.financing == "loan" or s.payment_lag_months for s in specs):
            return cls(model)
        return None

    # --- the buyer's decision -------------------------------------------------------------
    def weigh(self, need: Need, offers, years: float, costs: dict[str, float]) -> tuple[float, float]:
        """What the buyer must advance and what it expects to owe, for (spec, EUR) offers.

        Returns ``(late, owed)``: ``late`` is the money paid after the fact, which the buyer
        pre-finances; ``owed`` the present value of the loans' expected repayment from its
        own budget: the repaid share when the project delivers, weighted by the buyer's own
        view of its chance (``Buyer.perceived_success``), and the share when it fails, the
        rest, of what the loan will have paid by then (the lines before the outcome is
        known). ``owed`` is infinite when a year's instalment would not fit a year's budget.
        """
        late = owed = 0.0
        buyer = self.model.buyer_agents[need.buyer]
        for spec, amount in offers:
            if spec.payment_lag_months:
                late += amount
            if spec.financing == "loan" and amount > 0:
                p = buyer.perceived_success(need)
                share = p * spec.repayment_on_success + (1 - p) * spec.repayment_on_failure \
                    * before_outcome(spec, costs, need.route)
                own = amount * spec.repaid_from_budget_share
                worst = max(spec.repayment_on_success, spec.repayment_on_failure)
                if annuity(own * worst, spec.interest_rate, spec.repayment_years) > buyer.annual_budget:
                    return late, float("inf")
                owed += own * share * present_value(spec, years)
        return late, owed

    # --- payments after the fact ------------------------------------------------------------
    def ahead(self, p: Project, lines: tuple[str, ...]) -> float:
        """What the project's grants paid after the fact will owe for these lines: the buyer
        advances it when the phase starts."""
        total = 0.0
        for g in p.grants:
            if self.model.state(g).spec.payment_lag_months:
                due = sum(g.plan.get(line, 0.0) for line in lines if line not in g.paid_lines)
                total += min(g.amount - g.paid - g.pending, due)
        return total

    def pay_phase(self, p: Project, lines: tuple[str, ...]) -> None:
        """The grants pay their lines for a phase: at once, or after their lag, when the
        buyer has already paid the suppliers (``lifecycle.enter`` charged it)."""
        model = self.model
        for g in p.grants:
            st = model.state(g)
            lag = st.spec.payment_lag_months
            for line in lines:
                if not lag:
                    model.money.grant(st, g, line, p.id)
                    continue
                planned = g.plan.get(line, 0.0)
                if planned <= 0 or line in g.paid_lines:
                    continue
                # kept committed (InstrumentState.release) until it is paid, even if the
                # project ends first: the costs were realised
                g.pending += min(g.amount - g.paid - g.pending, planned)
                self.reimbursements[model.month + lag].append((g, line, p))

    # --- the month ----------------------------------------------------------------------------
    def step(self) -> None:
        """Pays this month's grants after the fact and collects this month's instalments."""
        month, model = self.model.month, self.model
        for g, line, p in self.reimbursements.pop(month, ()):
            st = model.state(g)
            amount = st.pay(g, line)
            g.pending -= min(g.pending, amount)
            if amount > 0:
                model.money.reimburse(st.id, p.need.buyer, amount, line, p.id)
        for spec, amount, p in self.instalments.pop(month, ()):
            model.money.repayment(spec.id, p.need.buyer, amount, spec.repaid_from_budget_share, p.id)
            self.repaid += amount

    def ended(self, p: Project, status: str) -> None:
        """A project with a loan ended: its repayment falls due by its outcome."""
        ok = delivered(p, status)
        start = self.model.month + GRACE_MONTHS
        for g in p.grants:
            spec: Instrument = self.model.state(g).spec
            if spec.financing != "loan":
                continue
            principal = (g.paid + g.pending) * (spec.repayment_on_success if ok
                                                else spec.repayment_on_failure)
            if principal <= 0:
                continue
            instalment = annuity(principal, spec.interest_rate, spec.repayment_years)
            for k in range(spec.repayment_years):
                month = start + 12 * k
                if month < self.model.months:
                    self.instalments[month].append((spec, instalment, p))
                else:
                    self.after_horizon += instalment


def before_outcome(spec: Instrument, costs: dict[str, float], route: str) -> float:
    """The share of a loan paid before a project's outcome is known (what a failed project
    has drawn): its phases up to development, or up to the tender when buying what exists."""
    early = EARLY[route]
    total = sum(costs.get(ph, 0.0) for ph in spec.phases)
    return sum(costs.get(ph, 0.0) for ph in spec.phases if ph in early) / total if total else 1.0


EARLY = {"development": ("preparation", "tender", "development"), "existing": ("preparation", "tender")}


def present_value(spec: Instrument, years: float) -> float:
    """Present value, per euro of principal, of a loan's instalments: the first falls due a
    year after a project of ``years`` years ends, discounted at the buyer's rate."""
    per_euro = annuity(1.0, spec.interest_rate, spec.repayment_years)
    first = years + GRACE_MONTHS / 12
    return sum(per_euro / (1 + DISCOUNT_RATE) ** (first + k) for k in range(spec.repayment_years))

