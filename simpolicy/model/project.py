"""Needs, projects and solutions: the objects a procurement passes through.

A need arrives at a buyer with its own uniforms, one per purpose, each a pure function of
the seed, the purpose and the need's id (see rng.py); every chance event of the project that
answers it reads the uniform of its purpose. That is what makes a run and its counterfactual
(the same seed without the scheme) share their luck (common random numbers), so differences
are the scheme's doing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .rng import Purpose

# the uniforms a need carries, one column per purpose: ``need.u[U_PLAN]`` is the draw of
# Purpose.NEED_PLAN for that need and nothing else
CARRIED = (Purpose.NEED_PLAN, Purpose.NEED_PREP, Purpose.NEED_SCORE,
           Purpose.NEED_RETENDER, Purpose.NEED_BACKGROUND, Purpose.NEED_RUSH,
           Purpose.NEED_TENDER_FIT)
U_PLAN, U_PREP, U_SCORE, U_RETENDER, U_BACKGROUND, U_RUSH, U_TENDER_FIT = range(len(CARRIED))
N_DRAWS = len(CARRIED)
BUYER_BITS = 22  # a need's id is month * 2**22 + buyer row: its identity, not an arrival order


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
    awarded: float = 0.0  # the amount at award, before any release: what "funded" reads
    plan: dict[str, float] = field(default_factory=dict)  # cost line -> amount to pay
    paid_lines: set[str] = field(default_factory=set)  # lines paid (each at most once)
    pending: float = 0.0  # lines a grant paid after the fact still owes (loans.py)


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
    # development as it runs (stages.py): a stage-gated PCP's phase, its contractors still
    # in it, the months of each phase, the share of the development grants still reserved
    staged: bool = False
    stage: int = 0
    alive: list[int] = field(default_factory=list)
    stage_months: tuple[int, ...] = ()
    dev_reserved: float = 1.0
    dev_months: int = 0  # the planned months of the development (all its phases)
    overrun_months: int = 0  # months it runs beyond them (the tail, brief §4.7)
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

    members: list[Need] = field(default_factory=list)  # joint process: the followers' needs
    via_service: str = ""  # the joint process or competition that prepared it, if any
    staff: float = 0.0  # the share of its buyer's staff capacity it occupies while it runs

    @property
    def funded(self) -> bool:
        """Whether the scheme awarded the project money (funded means awarded, whatever
        the project later returned when it ended early)."""
        return bool(self.grants) and any(g.awarded > 0 for g in self.grants)

    @property
    def public_money(self) -> float:
        """Programme money actually paid to the project."""
        return sum(g.paid for g in self.grants)



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
    key: int = 0  # identity across runs (solution_key): what diffusion's draws are keyed by
    project: int = -1  # the innovation project that developed or first bought it (-1: none)


ORIGINS = {"stock": 1, "market": 2, "developed": 3, "rival": 4}


def solution_key(origin: str, ident: int) -> int:
    """A solution's identity across runs: its origin and the challenge (a product on the
    market, a stock solution) or the need (a development, a rival's product) it answers.
    Diffusion's draws are keyed by it, so a solution has the same luck in every run."""
    return ORIGINS[origin] << 40 | int(ident)
