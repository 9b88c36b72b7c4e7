"""An instrument's rules in action: when it is open, what it covers, how much it may grant.

Budgets are ceilings. A grant is at most the co-funding rate of the eligible costs and at
most the instrument's cap; below its minimum grant a project is not eligible. Money is
committed at award from the award year's pot (annual budgets) or from the whole-period pot,
paid as the covered phases run, and released if the project aborts, so spending can never
exceed the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simpolicy.scenario.schema import Instrument

from .project import Grant

MONEY_TYPES = {"co_financing", "preparation_grant", "pcp", "purchase_cofinancing",
               "innovation_partnership", "diffusion_grant", "supplier_grant", "prize"}
INTERNAL_PHASES = {"preparation", "tender", "implementation"}  # where buyer staff work
DEVELOPMENT_TYPES = {"co_financing", "pcp", "innovation_partnership", "supplier_grant"}


@dataclass
class InstrumentState:
    """The running state of one instrument: its pots, commitments and applications."""

    spec: Instrument
    horizon: int
    committed: dict[int, float] = field(default_factory=dict)  # year -> committed (annual pots)
    committed_total: float = 0.0
    paid: float = 0.0
    applications: int = 0
    awards: int = 0
    pending: list = field(default_factory=list)

    def __post_init__(self):
        end = self.spec.end_month if self.spec.end_month is not None else self.horizon
        # open from start to end, and only with money (a zero budget announces nothing)
        self._open = (self.spec.start_month, end) if self.spec.has_money else (0, 0)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def type(self) -> str:
        return self.spec.type

    def active(self, month: int) -> bool:
        """Whether the instrument is running and has money (a zero budget announces nothing)."""
        start, end = self._open
        return start <= month < end

    def call_month(self, month: int) -> bool:
        """Whether a call closes this month (always true for open-all-year instruments)."""
        k = self.spec.calls_per_year
        if k == 0:
            return True
        period = max(1, 12 // k)
        return (month - self.spec.start_month) % period == period - 1

    def available(self, month: int) -> float:
        """Money still free to commit this month."""
        if self.spec.annual_budget_eur is not None:
            year = month // 12
            return self.spec.annual_budget_eur - self.committed.get(year, 0.0)
        return (self.spec.total_budget_eur or 0.0) - self.committed_total

    def budget_over(self, months: int) -> float:
        """The budget ceiling over the first `months` months (the denominator of budget use)."""
        end = min(months, self.spec.end_month if self.spec.end_month is not None else months)
        if self.spec.annual_budget_eur is not None:
            # every budget year the instrument is open in brings its whole annual pot
            years = {m // 12 for m in range(self.spec.start_month, end)}
            return self.spec.annual_budget_eur * len(years)
        return self.spec.total_budget_eur or 0.0

    def covers(self, theme: str, route: str) -> bool:
        """Whether the instrument is meant for this theme and this kind of project."""
        s = self.spec
        if s.themes and theme not in s.themes:
            return False
        if s.type in ("pcp", "innovation_partnership") and route != "development":
            return False  # partnership and PCP only when no product exists
        if s.type == "purchase_cofinancing" and route != "existing":
            return False
        if s.type == "supplier_grant" and "development" in s.phases and route != "development":
            return False
        if route == "existing" and s.type != "preparation_grant" and not (
                {"purchase", "implementation"} & set(s.phases)):
            return False  # a development programme does not pay for buying what exists
        return any(p in s.phases for p in _phases_of(route))

    def offer(self, costs: dict[str, float], internal_share: float) -> float:
        """The grant the rules allow for these costs (0 if below the minimum grant)."""
        s = self.spec
        eligible = 0.0
        for phase in s.phases:
            c = costs.get(phase, 0.0)
            if phase not in INTERNAL_PHASES:
                pass  # bought from suppliers: no buyer staff cost inside
            elif s.paid_to == "buyer" and not s.internal_costs:
                c *= 1 - internal_share  # external costs only
            elif s.internal_costs:
                c -= max(0.0, c * internal_share - c * s.internal_cost_cap_share)
            eligible += c
        if s.project_office_share:
            eligible = eligible / (1 - s.project_office_share)  # the office comes on top
        amount = min(s.max_grant_eur, s.rate * eligible)
        return amount if amount >= max(s.min_grant_eur, 1.0) else 0.0

    def commit(self, amount: float, month: int, costs: dict[str, float]) -> Grant:
        """Commits a grant (the caller checked `available`)."""
        year = month // 12
        if self.spec.annual_budget_eur is not None:
            self.committed[year] = self.committed.get(year, 0.0) + amount
        else:
            self.committed_total += amount
        self.awards += 1
        phases = tuple(p for p in self.spec.phases if costs.get(p, 0.0) > 0)
        eligible = sum(costs.get(p, 0.0) for p in phases)
        return Grant(self.id, self.type, amount, self.spec.rate, eligible, year, phases,
                     awarded=amount)

    def release(self, grant: Grant) -> None:
        """Gives back the unpaid part of a grant when its project ends early."""
        unpaid = grant.amount - grant.paid
        if self.spec.annual_budget_eur is not None:
            self.committed[grant.year] -= unpaid
        else:
            self.committed_total -= unpaid
        grant.amount = grant.paid

    def pay(self, grant: Grant, phase: str, costs: dict[str, float]) -> float:
        """Pays the part of a grant that covers a phase, in proportion to its cost."""
        if phase not in grant.phases or grant.eligible <= 0:
            return 0.0
        share = costs.get(phase, 0.0) / grant.eligible
        amount = min(grant.amount - grant.paid, grant.amount * share)
        grant.paid += amount
        self.paid += amount
        return amount

    @property
    def granted(self) -> float:
        """Money committed and not released."""
        return sum(self.committed.values()) + self.committed_total


PHASE_SHARES = {1: (1.0,), 2: (0.3, 0.7), 3: (0.1, 0.3, 0.6)}  # design, prototype, test batch


def competition_multiple(spec: Instrument) -> float:
    """What running competing suppliers through the PCP phases costs, in single developments.

    Every contractor of a phase is paid for it: four solution designs, three prototypes and
    two test batches cost 0.4 + 0.9 + 1.2 = 2.5 times one supplier's development. Keeping
    options open is what pre-commercial procurement buys, and what makes it expensive.
    """
    plan = [spec.competing_suppliers, *spec.down_selection][:3]
    shares = PHASE_SHARES[len(plan)]
    return sum(n * share for n, share in zip(plan, shares, strict=True))


def _phases_of(route: str) -> tuple[str, ...]:
    if route == "existing":
        return ("preparation", "tender", "purchase", "implementation")
    return ("preparation", "tender", "development", "purchase", "implementation")
