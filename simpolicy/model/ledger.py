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


@dataclass
class Ledger:
    """Counted events of one run."""

    model: PolicyModel
    adoptions: list[Adoption] = field(default_factory=list)
    adopters: set[int] = field(default_factory=set)
    innovating: set[int] = field(default_factory=set)
    in_scheme: set[int] = field(default_factory=set)
    started_needs: set[int] = field(default_factory=set)
    prizes: list[float] = field(default_factory=list)
    prize_entrants: int = 0
    joint_processes: int = 0
    diffusion_grants: int = 0
    rows: list[dict] = field(default_factory=list)
    n_started: int = 0
    n_funded: int = 0
    n_completed: int = 0
    n_aborted: int = 0
    n_followers: int = 0

    def started(self, p: Project) -> None:
        self.n_started += 1
        funded = p.funded
        self.n_funded += funded
        self.innovating.add(p.need.buyer)
        self.started_needs.add(p.need.id)
        if funded or p.joint:
            self.in_scheme.add(p.need.buyer)

    def completed(self, p: Project) -> None:
        self.n_completed += 1

    def ended(self, p: Project) -> None:
        self.n_aborted += p.status == "aborted"

    def adopted(self, row: int, sol: Solution, via: str, first: bool, price: float) -> None:
        self.adoptions.append(Adoption(row, sol.id, self.model.month, via, first, price))
        self.adopters.add(row)
        self.n_followers += via != "own"

    def joint(self, group) -> None:
        """Buyers joined in a joint process ran an innovative procurement under the scheme."""
        self.joint_processes += 1
        rows = {int(x) for x in group}
        self.in_scheme |= rows
        self.innovating |= rows

    def prize(self, g: Grant, entrants: int) -> None:
        self.prizes.append(g.amount)
        self.prize_entrants += entrants

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
            "buyers_innovating": len(self.innovating),
        })
