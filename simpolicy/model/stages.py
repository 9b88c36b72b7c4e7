"""Development as it runs: a pre-commercial procurement's phases and stage gates, and overruns.

Stage-gated PCP (brief §2, §4.9: solution design, prototype, test batch with down-selection
between them). A PCP, or supplier contracts let in phases (the UK's SBRI), pays phase by
phase and only the contractors still in the phase: phase *k* costs its share of the
development (``instruments.PHASE_SHARES``) times the contractors in it over those the plan
counts on. At each gate the buyer scores every contractor's phase result (its own draw,
``market.phase_score``), keeps the best ``down_selection`` of those that succeeded, and what
the grants had reserved for the contractors it drops goes back to the instrument there and
then. So down-selection, and a project that fails early, save money; paying the whole
development at its start, as a plain contract does, saves nothing.

Overruns (brief §4.7: three-year projects often extended). A development lasts its planned
months times max(1, exp(``overrun_sd_log`` z)), z a standard normal from the need's own draw
(``Purpose.DEV_OVERRUN``): half run to plan, the rest over it with a lognormal tail. The
extra months cost what a planned month of the last phase cost, paid when the plan's end
passes. A grant that pays development pays its rate of the months its instrument's
``max_extension_months`` allows (no limit when empty), within its cap and its pot; beyond
them the grant has ended (its unpaid lines go back) and the buyer pays the rest alone. The
project aborts when the buyer cannot pay its share (the development's budget rule) or when
the solution is no longer worth what the buyer has yet to pay, the overrun and a purchase
that an ended grant no longer co-finances (spent money is sunk; the usual rule, ODD 7.2).
The buyer did not foresee the overrun when it decided (complexity is underestimated).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING

from . import lifecycle
from . import rng as crn
from .instruments import PHASE_SHARES
from .market import development_succeeds, phase_score, success_chance
from .project import Project
from .rng import Purpose

if TYPE_CHECKING:
    from .model import PolicyModel

DEV = "development"
OVERRUN = "overrun"
_NORMAL = NormalDist()


def planned_months(p: Project) -> int:
    """A development's planned months: longer for more complex needs."""
    return 6 + round(24 * p.need.complexity)


def overrun_months(model: PolicyModel, p: Project, months: int) -> int:
    """How many months beyond its plan the development runs (0 for half of them)."""
    sd = model.behaviour.overrun_sd_log
    if sd <= 0:
        return 0
    u = crn.uniform(model.seed, Purpose.DEV_OVERRUN, p.need.id)
    if u <= 0.5:
        return 0
    return round(months * (math.exp(sd * _NORMAL.inv_cdf(u)) - 1))


def start(model: PolicyModel, p: Project) -> bool:
    """Starts the development (its first phase for a stage-gated PCP); False when the buyer
    cannot pay its share."""
    months = planned_months(p)
    p.dev_months = months
    p.overrun_months = overrun_months(model, p, months)
    if not p.staged:
        return lifecycle.enter(model, p, DEV, months)
    plan = p.phase_plan[:3]  # the phases the competition's cost counts (competition_multiple)
    shares = PHASE_SHARES[len(plan)]
    first = [max(1, round(months * s)) for s in shares[:-1]]
    p.stage_months = (*first, max(1, months - sum(first)))
    caps = model.suppliers.capability[p.winners]
    p.alive = [int(s) for s in p.winners[(-caps).argsort()][:plan[0]]]
    p.stage, p.dev_reserved = 0, 1.0
    return _enter_stage(model, p)


def _multiple(p: Project) -> float:
    plan = p.phase_plan[:3]
    return sum(n * s for n, s in zip(plan, PHASE_SHARES[len(plan)], strict=True))


def _share(p: Project, stage: int, contractors: int) -> float:
    """The part of the development line a phase with this many contractors costs."""
    return contractors * PHASE_SHARES[len(p.stage_months)][stage] / _multiple(p)


def _enter_stage(model: PolicyModel, p: Project) -> bool:
    """Pays one phase for the contractors in it: grants their share of what they planned for
    development, pools their part and the buyer the rest, once the buyer can pay its share."""
    share = _share(p, p.stage, len(p.alive))
    cost = p.costs[DEV] * share
    parts = [(g, g.plan[DEV] * share) for g in p.grants if g.plan.get(DEV)]
    public = sum(min(a, g.amount - g.paid) for g, a in parts)
    rest = max(0.0, cost - public)
    pooled = p.need.background * rest
    own = rest - pooled
    row = p.need.buyer
    if own > model.buyers.budget_left[row] + model.buyers.budget[row]:
        return False  # the development's budget rule (lifecycle.enter), phase by phase
    p.phase, p.phase_end = DEV, model.month + p.stage_months[p.stage]
    p.dev_reserved -= share
    for g, a in parts:
        model.money.grant_part(model.state(g), g, DEV, a, p.id)
    if pooled > 0:
        model.money.background(row, pooled, DEV, p.id)
    if own > 0:
        model.money.buyer(row, own, DEV, p.id)
    return True


def _release(model: PolicyModel, p: Project, keep: float) -> None:
    """Gives back what the grants reserved for development beyond ``keep`` (a share of it)."""
    give = p.dev_reserved - keep
    p.dev_reserved = keep
    if give <= 1e-12:
        return
    for g in p.grants:
        if g.plan.get(DEV):
            model.state(g).release_part(g, g.plan[DEV] * give)


def advance(model: PolicyModel, p: Project) -> tuple[bool, int] | None:
    """The development (or a phase of it) is due: runs its gate or overrun. Returns the
    outcome once the development is over, None while it goes on (or was ended here)."""
    last = not p.staged or p.stage == len(p.stage_months) - 1
    if last and p.overrun_months > 0 and p.phase == DEV:
        if not overrun(model, p):
            model.end(p, "aborted", "overrun")
        return None
    if not p.staged:
        return development_succeeds(model, p, p.phase_plan)
    chance = success_chance(model, p)
    scored = sorted(((phase_score(model, p, p.stage, s, chance), s) for s in p.alive), reverse=True)
    survivors = [s for score, s in scored if score > 0]
    if not survivors:
        return False, -1
    if last:
        _release(model, p, 0.0)
        return True, survivors[0]
    # the gate: the best results go on; the money reserved for the others goes back
    p.stage += 1
    p.alive = survivors[:p.phase_plan[p.stage]]
    n = len(p.alive)
    _release(model, p, sum(_share(p, k, min(p.phase_plan[k], n))
                           for k in range(p.stage, len(p.stage_months))))
    if not _enter_stage(model, p):
        model.end(p, "aborted", "no budget")
    return None


def overrun(model: PolicyModel, p: Project) -> bool:
    """The plan's end passed with the development unfinished: the extra months are paid
    (grants within their extension), or the project aborts. False when it aborts."""
    extra = p.overrun_months
    if p.staged:
        monthly = p.costs[DEV] * _share(p, p.stage, len(p.alive)) / p.stage_months[p.stage]
    else:
        monthly = p.costs[DEV] / p.dev_months
    cost = monthly * extra
    p.costs = {**p.costs, OVERRUN: cost}  # a new dict: a need's costs may be shared
    ended = []
    covered = 0.0
    for g in p.grants:
        if not g.plan.get(DEV):
            continue
        st = model.state(g)
        spec = st.spec
        allowed = extra if spec.max_extension_months is None else min(extra, spec.max_extension_months)
        top = min(spec.rate * cost * allowed / extra, spec.max_grant_eur - g.awarded,
                  st.available(g.year * 12), cost - covered)
        if top > 0:
            st.extend(g, OVERRUN, top)
            covered += top
        if allowed < extra:
            ended.append(g)  # its deadline passes before the development is done
    rest = max(0.0, cost - lifecycle.planned(p, (OVERRUN,)))
    own = rest * (1 - p.need.background)
    row = p.need.buyer
    if own > model.buyers.budget_left[row] + model.buyers.budget[row]:
        return False  # the development's budget rule (lifecycle.enter)
    # what is spent is spent: the buyer goes on if the solution is still worth what it has
    # yet to pay, the overrun and the purchase that grants which ended no longer co-finance
    later = ("purchase", "implementation")
    kept = sum(g.plan.get(line, 0.0) for g in p.grants if g not in ended for line in later
               if line not in g.paid_lines)
    after = max(0.0, sum(p.costs.get(line, 0.0) for line in later) - kept) * (1 - p.need.background)
    if model.buyer(row).utility(p.need, own + after, extra / 12) <= 0:
        return False
    lifecycle.enter(model, p, OVERRUN, extra)
    for g in ended:
        model.state(g).release(g)  # the grant ended: what it had not paid goes back
    return True
