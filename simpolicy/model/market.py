"""Tendering and development: who bids, how many contracts, and whether anyone succeeds.

Pre-commercial procurement runs up to three phases with competing suppliers and
down-selection between them; an innovation partnership runs several development contracts
with the purchase written into the same tender; a plain development contract has one
supplier. Each contractor's phase succeeds with a chance that falls with the need's
complexity and with poor preparation, and rises with the supplier's capability; a buyer that
carries almost none of the cost engages less (the Flanders lesson).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import rng as crn
from .agents import bid_decisions
from .project import Project
from .rng import Purpose

if TYPE_CHECKING:
    from .model import PolicyModel

WHICH = np.arange(3)[:, None]  # a tender's three draws per firm: look, bid, rank
WHICH.flags.writeable = False


def visible_market(model: PolicyModel, p: Project) -> float:
    """The market a supplier sees beyond the fee: purchase option, followers, joint buyers."""
    purchase = p.costs.get("purchase", 0.0) + p.costs.get("implementation", 0.0)
    option = purchase if p.partnership else 0.25 * purchase
    others = len(p.followers) * purchase * model.behaviour.joint_market_visibility
    return option + others


def tender(model: PolicyModel, p: Project, contracts_wanted: int) -> bool:
    """Runs the development tender; sets contracts and supplier investment. False if no bid."""
    b = model.behaviour
    pool = supplier_pool(model, p.need.theme)
    if len(pool) == 0:
        return False
    k = min(len(pool), b.supplier_candidates)
    # each firm's own draws for this need (rng.py): whether it looks (the k lowest look
    # draws do), whether it bids, how the buyer ranks it; keyed by the firm, not its place
    look, u_bid, u_rank = crn.uniforms(model.seed, Purpose.TENDER, p.need.id, pool, WHICH)
    cands = pool
    if len(pool) > k:
        looking = look.argpartition(k - 1)[:k]
        looking.sort()
        cands, u_bid, u_rank = pool[looking], u_bid[looking], u_rank[looking]
    fee = p.costs["development"] / max(1, contracts_wanted)
    market = visible_market(model, p)
    invest = fee * b.supplier_invest_share
    subsidy = supplier_subsidy(p)
    bidding = bid_decisions(model, cands, fee, market, contracts_wanted, invest, subsidy,
                            p.need.complexity, u_bid)
    bids = cands[bidding]
    if len(bids) == 0:
        return False
    # the buyer ranks bidders by capability, references (ODD 7.17) and its own view
    firms = model.firms
    rank = model.suppliers.capability[bids] + firms.rank_bonus(bids) + 0.3 * u_rank[bidding]
    winners = bids[(-rank).argsort()[:contracts_wanted]]
    firms.contracted(winners)
    p.contracts = len(winners)
    p.sme_contracts = np.count_nonzero(model.suppliers.sme[winners])
    p.winners = winners
    # suppliers invest more where they see a larger market (brief §4.2)
    scale = 1 + b.market_weight * market / (market + p.costs["development"])
    p.supplier_invest = float(len(winners) * invest * scale * (1 - subsidy))
    return True


def supplier_subsidy(p: Project) -> float:
    """Share of the suppliers' own development investment paid by supplier-side money."""
    return min(1.0, sum(g.rate for g in p.grants if g.itype == "supplier_grant"))


def development_succeeds(model: PolicyModel, p: Project, phases: list[int]) -> tuple[bool, int]:
    """Runs the development phases with down-selection; returns success and the best supplier.

    For a development paid in one go (a plain contract, a partnership): the most capable
    contractors are kept. A stage-gated PCP runs its phases one by one instead (stages.py).
    """
    caps = model.suppliers.capability[p.winners]
    order = (-caps).argsort()
    alive = list(p.winners[order])
    chance = success_chance(model, p)
    for phase, keep in enumerate(phases):
        alive = [s for s in alive[:keep] if phase_score(model, p, phase, s, chance) > 0]
        if not alive:
            return False, -1
    return True, int(alive[0])


def success_chance(model: PolicyModel, p: Project) -> float:
    """A contractor's chance to deliver a phase, before its own capability counts."""
    b = model.behaviour
    return (b.base_success * (1 - 0.5 * b.complexity_effect * p.need.complexity)
            * (1 - b.preparation_effect * (1 - p.prep_quality))
            * (1 - engagement_penalty(model, p)))


def phase_score(model: PolicyModel, p: Project, phase: int, s: int, chance: float) -> float:
    """The buyer's score of one contractor's phase result: how far its luck (its own draw
    by need, phase and supplier) beat failure. Positive: the phase succeeded; a stage gate
    keeps the best scores, so a result, not a reputation, decides who goes on."""
    u = crn.uniform(model.seed, Purpose.PHASE_SUCCESS, p.need.id, phase, s)
    return chance * (0.7 + 0.3 * float(model.suppliers.capability[s])) - u


def engagement_penalty(model: PolicyModel, p: Project) -> float:
    """Extra failure when the buyer carries (almost) none of the cost (Flanders lesson)."""
    b = model.behaviour
    if p.own_share >= b.engagement_share or b.engagement_share <= 0:
        return 0.0
    return b.full_cover_penalty * (1 - p.own_share / b.engagement_share)


def supplier_pool(model: PolicyModel, theme: int) -> np.ndarray:
    """The suppliers that may bid for a need of this theme (domestic only where required):
    its active firms, foreign ones as far as its domestic market is thin (suppliers.py)."""
    pool = model.suppliers_by_theme[theme]
    if not model.scenario.population.foreign_suppliers_allowed:
        pool = pool[~model.suppliers.foreign[pool]]
    return pool


def retender(model: PolicyModel, p: Project) -> bool:
    """The piloting supplier lost the re-tender of the purchase (brief 4.1, path a).

    A rival of the theme (the need's own draw) wins with its own product, built on what
    the pilot showed: it is what the buyer buys and what spreads, at the rival's quality;
    the pilot's solution stays unsold. False when no rival exists (nothing fits).
    """
    pool = supplier_pool(model, p.need.theme)
    pool = pool[pool != p.supplier]
    if len(pool) == 0:
        return False
    u = crn.uniform(model.seed, Purpose.RETENDER_RIVAL, p.need.id)
    rival = int(pool[int(u * len(pool))])
    quality = 0.5 + 0.5 * float(model.suppliers.capability[rival])
    p.supplier = rival
    p.solution = model.new_solution(p.need, "rival", quality, rival).id
    model.diffusion.live[p.solution] = False  # spreads only once the buyer uses it
    return True
