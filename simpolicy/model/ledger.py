"""The model's bookkeeping: what happened, recorded as it happens, and monthly counters.

Outcomes (outcomes.py) are computed from this record only, so that every reported number
can be traced back to counted events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import PolicyModel
    from .project import Grant, Project, Solution


@dataclass(slots=True)
class Adoption:
    """One buyer implementing one solution."""

    buyer: int
    solution: int
    month: int
    via: str  # own | follower | peer
    first_of_kind: bool
    price: float
    key: int  # the solution's identity across runs
    new: bool  # developed or first bought by an innovation project (not stock)


@dataclass
class Ledger:
    """Counted events of one run."""

    model: PolicyModel
    adoptions: list[Adoption] = field(default_factory=list)
    adopters: set[int] = field(default_factory=set)  # buyers that adopted a new solution
    adopters_existing: set[int] = field(default_factory=set)  # ... a product in use anyway
    innovating: set[int] = field(default_factory=set)
    in_scheme: set[int] = field(default_factory=set)
    started_needs: set[int] = field(default_factory=set)
    prizes: list[tuple[str, float, int]] = field(default_factory=list)  # (instrument, EUR, need id)
    prize_entrants: int = 0
    joint_processes: int = 0
    joint_needs: list[tuple[str, int]] = field(default_factory=list)  # (process, need id) taken
    # (instrument, buyer, solution key, EUR) of every scaling grant paid
    scaling: list[tuple[str, int, int, float]] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    n_started: int = 0
    n_funded: int = 0
    n_completed: int = 0
    n_aborted: int = 0
    n_followers: int = 0

    def started(self, p: Project) -> None:
        """A project starts: funded means awarded, counted here once and never taken back."""
        self.n_started += 1
        funded = p.funded
        self.n_funded += funded
        buyers = [p.need.buyer, *(n.buyer for n in p.members)]
        self.innovating.update(buyers)
        self.started_needs.add(p.need.id)
        self.started_needs.update(n.id for n in p.members)  # joint members' needs start too
        if funded or p.joint:
            self.in_scheme.update(buyers)  # buyers that decided to take part

    def completed(self, p: Project) -> None:
        self.n_completed += 1

    def ended(self, p: Project) -> None:
        self.n_aborted += p.status == "aborted"

    def adopted(self, row: int, sol: Solution, via: str, first: bool, price: float) -> None:
        """A buyer implemented a solution: new (an innovation project developed or first
        bought it) or a product that public buyers used before the horizon (stock)."""
        self.adoptions.append(Adoption(row, sol.id, self.model.month, via, first, price, sol.key,
                                       sol.origin != "stock"))
        if sol.origin == "stock":
            self.adopters_existing.add(row)
            return
        self.adopters.add(row)
        self.n_followers += via != "own"

    def joint(self, process: str, needs) -> None:
        """A joint process ran on these needs (their buyers then decide whether to join)."""
        self.joint_processes += 1
        self.joint_needs.extend((process, n.id) for n in needs)

    def prize(self, instrument: str, g: Grant, need, entrants: int) -> None:
        """An idea competition paid its prize on a buyer's need."""
        self.prizes.append((instrument, g.awarded, need.id))
        self.prize_entrants += entrants
        self.in_scheme.add(need.buyer)

    def scaling_grant(self, row: int, sol: Solution, g: Grant) -> None:
        """Scaling support paid part of a further buyer's purchase."""
        self.scaling.append((g.instrument, row, sol.key, g.awarded))

    def record_month(self) -> None:
        """Cumulative monthly counters for the time-series outputs."""
        m = self.model
        self.rows.append({
            "month": m.month + 1,
            "adopters": len(self.adopters),
            "adoptions": len(self.adoptions),
            "followers": self.n_followers,
            "projects_started": self.n_started,
            "projects_funded": self.n_funded + len(self.prizes),
            "projects_completed": self.n_completed,
            "projects_aborted": self.n_aborted,
            "programme_spend_eur": m.programme.spent,
            "public_money_eur": m.programme.spent + m.services_cost()
            - (m.finance.repaid if m.finance is not None else 0.0),  # net of loans repaid
            "buyers_innovating": len(self.innovating),
        })
