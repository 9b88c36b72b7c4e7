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
# where buyer staff work; a tuple, not a set: sums run in this fixed order, so a float
# result cannot depend on a process's string hashing (PYTHONHASHSEED)
INTERNAL_PHASES = ("preparation", "tender", "implementation")
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

    def call_open_to(self, theme: str, month: int) -> bool:
        """Whether the call an application filed this month goes to takes this theme.

        Thematic calls that rotate (Flanders since 2020): call *r* (counted from the
        instrument's start) takes ``call_themes[r mod len]``; an application goes to the next
        call to close. Without ``call_themes`` every call takes the instrument's themes.
        """
        rounds = self.spec.call_themes
        if not rounds:
            return True
        period = max(1, 12 // self.spec.calls_per_year)
        r = max(0, month - self.spec.start_month) // period
        return theme in rounds[r % len(rounds)]

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
        return sum(self.plan(costs, internal_share).values())

    def plan(self, costs: dict[str, float], internal_share: float) -> dict[str, float]:
        """What the grant would pay for each cost line, by the instrument's rules.

        - Phases it covers, at ``rate``: a buyer-side grant without ``internal_costs`` pays
          only the external part of the phases where buyer staff work (``INTERNAL_PHASES``).
        - ``internal_costs``: the buyer's staff work (its share of preparation, tender and
          implementation) at ``rate``, wherever the instrument's phases lie (a project lead
          runs the whole project), at most ``internal_cost_cap_share`` of the grant.
        - ``project_office_share``: an external project office (needs, market study,
          management) whose cost is that share of the project budget it is part of; its
          line is ``office`` in the project's costs (``PolicyModel.consider`` adds it).
        - ``min_supplier_share``: what the grant pays for anything but the suppliers'
          development is at most the rest of the grant.
        Then ``max_grant_eur`` scales every line down alike; below the minimum grant, nothing.
        """
        s = self.spec
        external: dict[str, float] = {}
        for phase in s.phases:
            c = costs.get(phase, 0.0)
            if phase in INTERNAL_PHASES and s.paid_to == "buyer":
                c *= 1 - internal_share  # the buyer's staff part is internal
            if c > 0:
                external[phase] = s.rate * c
        if s.project_office_share:
            external["office"] = s.rate * office_cost(s, costs)
        if s.internal_costs:
            internal = {p: s.rate * internal_share * costs.get(p, 0.0) for p in INTERNAL_PHASES
                        if costs.get(p, 0.0) > 0}
            cap = s.internal_cost_cap_share
            total_int, rest = sum(internal.values()), sum(external.values())
            limit = rest * cap / (1 - cap) if cap < 1 else total_int
            if total_int > limit:
                internal = {p: v * limit / total_int for p, v in internal.items()}
            for p, v in internal.items():
                external[p] = external.get(p, 0.0) + v
        if s.min_supplier_share > 0:
            dev = external.get("development", 0.0)
            other = sum(v for p, v in external.items() if p != "development")
            limit = dev * (1 - s.min_supplier_share) / s.min_supplier_share
            if other > limit:
                external = {p: (v if p == "development" else v * limit / other)
                            for p, v in external.items()}
        amount = sum(external.values())
        if amount > s.max_grant_eur:
            external = {p: v * s.max_grant_eur / amount for p, v in external.items()}
            amount = s.max_grant_eur
        return external if amount >= max(s.min_grant_eur, 1.0) else {}

    def commit(self, amount: float, month: int, costs: dict[str, float],
               plan: dict[str, float] | None = None) -> Grant:
        """Commits a grant (the caller checked `available`); ``plan`` splits it by cost line."""
        year = month // 12
        if self.spec.annual_budget_eur is not None:
            self.committed[year] = self.committed.get(year, 0.0) + amount
        else:
            self.committed_total += amount
        self.awards += 1
        if plan is None:  # paid in proportion to the covered phases' costs
            phases = [p for p in self.spec.phases if costs.get(p, 0.0) > 0]
            total = sum(costs[p] for p in phases)
            plan = {p: amount * costs[p] / total for p in phases} if total else {}
        elif abs(sum(plan.values()) - amount) > 1e-6 * max(1.0, amount):
            scale = amount / sum(plan.values())  # a partial award (a stacked supplier grant)
            plan = {p: v * scale for p, v in plan.items()}
        eligible = sum(costs.get(p, 0.0) for p in plan)
        return Grant(self.id, self.type, amount, self.spec.rate, eligible, year, tuple(plan),
                     awarded=amount, plan=dict(plan))

    def release(self, grant: Grant) -> None:
        """Gives back the unpaid part of a grant when its project ends early; what a grant
        paid after the fact owes for costs already realised stays committed (``pending``)."""
        unpaid = grant.amount - grant.paid - grant.pending
        if self.spec.annual_budget_eur is not None:
            self.committed[grant.year] -= unpaid
        else:
            self.committed_total -= unpaid
        grant.amount = grant.paid + grant.pending

    def release_part(self, grant: Grant, amount: float) -> None:
        """Gives back ``amount`` of a grant's unpaid money before its project ends: at a PCP's
        stage gate, what was reserved for the contractors the buyer drops."""
        amount = min(amount, grant.amount - grant.paid)
        if amount <= 0:
            return
        if self.spec.annual_budget_eur is not None:
            self.committed[grant.year] -= amount
        else:
            self.committed_total -= amount
        grant.amount -= amount

    def pay_part(self, grant: Grant, line: str, amount: float) -> float:
        """Pays part of a line (a PCP phase pays only the contractors still in it); never
        more than the grant has left. The line counts as paid from its first part on."""
        amount = min(amount, grant.amount - grant.paid)
        if amount <= 0:
            return 0.0
        grant.paid_lines.add(line)
        grant.paid += amount
        self.paid += amount
        return amount

    def extend(self, grant: Grant, line: str, amount: float) -> None:
        """Adds ``amount`` to a grant for a new cost line (an overrun the programme extends),
        committed from the grant's own pot (the caller checked it has the money)."""
        if self.spec.annual_budget_eur is not None:
            self.committed[grant.year] = self.committed.get(grant.year, 0.0) + amount
        else:
            self.committed_total += amount
        grant.amount += amount
        grant.awarded += amount
        grant.plan[line] = grant.plan.get(line, 0.0) + amount

    def pay(self, grant: Grant, line: str) -> float:
        """Pays what the grant planned for one cost line, once (never more than is left)."""
        planned = grant.plan.get(line, 0.0)
        if planned <= 0 or line in grant.paid_lines:
            return 0.0
        amount = min(grant.amount - grant.paid, planned)
        grant.paid_lines.add(line)
        grant.paid += amount
        self.paid += amount
        return amount

    @property
    def granted(self) -> float:
        """Money committed and not released."""
        return sum(self.committed.values()) + self.committed_total


def office_cost(spec: Instrument, costs: dict[str, float]) -> float:
    """An external project office's cost: its share of the project budget it is part of
    (development plus the office), unless the project's costs already carry it."""
    if "office" in costs:
        return costs["office"]
    s = spec.project_office_share
    return s / (1 - s) * costs.get("development", 0.0)


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
