"""Needs, projects and solutions: the objects a procurement passes through.

A need arrives at a buyer with its own block of random numbers, drawn from a stream that no
scheme can change; every chance event of the project that answers it reads from that block.
That is what makes a run and its counterfactual (the same seed without the scheme) share
their luck (common random numbers), so differences are the scheme's doing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N_DRAWS = 24  # uniforms carried by every need
# named positions in a need's block of uniforms
U_GO, U_AWARE, U_PLAN, U_PREP, U_SCORE, U_RETENDER, U_BACKGROUND, U_RUSH = range(8)
U_PHASE = 8  # U_PHASE.. U_PHASE+11: success draws of contractors and phases


@dataclass(eq=False, slots=True)
class Need:
    """A buyer's innovation need: what it is worth and what solving it costs."""

    id: int
    buyer: int
    month: int
    theme: int
    challenge: int
    value: float
    dev_cost: float
    complexity: float
    market_exists: bool
    u: np.ndarray
    background: float = 0.0  # share of its costs paid by money that exists without the scheme
    # existing products skip development (market dialogue finds them); fixed on arrival
    route: str = field(init=False, default="development")

    def __post_init__(self):
        self.route = "existing" if self.market_exists else "development"


@dataclass(eq=False, slots=True)
class Grant:
    """Money an instrument committed to a project, and what it has paid so far."""

    instrument: str
    itype: str
    amount: float
    rate: float
    eligible: float
    year: int
    phases: tuple[str, ...] = ()
    paid: float = 0.0
    awarded: float = 0.0  # the amount at award, before any release


@dataclass(eq=False, slots=True)
class Project:
    """An innovation project from preparation to implementation (or abort / stuck)."""

    id: int
    need: Need
    start: int
    route: str
    costs: dict[str, float]
    grants: list[Grant] = field(default_factory=list)
    phase: str = "preparation"
    phase_end: int = 0
    prep_quality: float = 0.5
    rushed: bool = False
    partnership: bool = False
    pcp: bool = False
    contracts: int = 0
    sme_contracts: int = 0
    supplier: int = -1
    supplier_invest: float = 0.0
    winners: np.ndarray | None = None
    contracts_wanted: int = 1
    phase_plan: list[int] = field(default_factory=lambda: [1])
    purchase_deadline: int = 0
    lost_to_retender: bool = False
    followers: list[int] = field(default_factory=list)
    joint: bool = False
    has_plan: bool = False
    status: str = "active"  # active | completed | aborted | stuck | adopted
    completed_month: int = -1
    solution: int = -1
    own_share: float = 1.0
    reason: str = ""

    @property
    def funded(self) -> bool:
        """Whether the scheme put money into the project."""
        return bool(self.grants) and any(g.amount > 0 for g in self.grants)

    @property
    def public_money(self) -> float:
        return sum(g.amount for g in self.grants)



@dataclass(eq=False, slots=True)
class Solution:
    """A working solution that buyers can adopt; it spreads by peers and followers."""

    id: int
    challenge: int
    theme: int
    quality: float
    unit_cost: float
    origin: str  # developed | market | stock
    released: int
    supplier: int
    adopters: set[int] = field(default_factory=set)
    adoption_months: list[int] = field(default_factory=list)
    first_purchase: int = -1
