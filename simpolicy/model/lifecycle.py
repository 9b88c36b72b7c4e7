"""A project's way through the phases: preparation, tender, development, purchase, implementation.

Each function moves one project one phase on when its time is up. The valley of death is
here: a completed development must still be bought from the buyer's fixed annual budget,
and a purchase above the tender threshold must be re-tendered (the piloting supplier may
lose it) unless an innovation partnership already contains the purchase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .market import development_succeeds, tender
from .project import U_PHASE, U_RETENDER, Project

U_PHASE_EXISTING = U_PHASE + 12  # development uses U_PHASE..U_PHASE+11

if TYPE_CHECKING:
    from .model import PolicyModel

TENDER_MONTHS = 2
CHECKED_PHASES = frozenset(("preparation", "tender", "development"))  # entered only if affordable
IMPLEMENTATION_MONTHS = 3


def advance_due(model: PolicyModel) -> None:
    """Moves on every active project whose current phase has ended, oldest first.

    Only the due ones are visited: most projects sit in a phase for months.
    """
    for p in [p for p in model.active if p.phase_end <= model.month]:
        NEXT[p.phase](model, p)


def enter(model: PolicyModel, p: Project, phase: str, months: int) -> bool:
    """Starts a phase: the buyer pays its own share, the programme pays its grants.

    Returns False when the buyer cannot pay its share from this year's budget: for
    development that ends the project (multi-year commitments are hard on annual budgets).
    """
    p.phase, p.phase_end = phase, model.month + months
    cost = p.costs.get(phase, 0.0)
    public = sum(model.pay(g, phase, p.costs) for g in p.grants) if p.grants else 0.0
    own = max(0.0, cost - public - p.need.background * cost)
    if phase == "development" and p.route == "development":
        own *= 1 - _supplier_paid_share(p)
    left, row = model.buyers.budget_left, p.need.buyer
    if phase in CHECKED_PHASES and own > left[row] + 1e-9:  # Buyer.can_afford, inlined (hot)
        if phase == "development" and own > left[row] + model.buyers.budget[row]:
            return False
    left[row] -= own
    return True


def _supplier_paid_share(p: Project) -> float:
    return min(1.0, sum(g.rate for g in p.grants if g.itype == "supplier_grant"
                        and "development" in g.phases))


def _after_preparation(model: PolicyModel, p: Project) -> None:
    enter(model, p, "tender", TENDER_MONTHS + (1 if p.partnership else 0))


def _after_tender(model: PolicyModel, p: Project) -> None:
    if p.route == "existing":
        # requirements written in a rush miss the need: the tender finds nothing that fits
        miss = model.behaviour.preparation_effect * (1 - p.prep_quality) * 0.5
        if p.need.u[U_PHASE_EXISTING] < miss:
            model.end(p, "aborted", "tender failed")
            return
        _start_purchase(model, p)
        return
    if not tender(model, p, p.contracts_wanted):
        model.end(p, "aborted", "no bid")
        return
    months = 6 + round(24 * p.need.complexity)
    if not enter(model, p, "development", months):
        model.end(p, "aborted", "no budget")


def _after_development(model: PolicyModel, p: Project) -> None:
    ok, supplier = development_succeeds(model, p, p.phase_plan)
    if not ok:
        model.end(p, "aborted", "failed")
        return
    p.supplier = supplier
    p.completed_month = model.month
    p.status = "completed"
    model.release_solution(p)
    _start_purchase(model, p)


def _start_purchase(model: PolicyModel, p: Project) -> None:
    p.phase, p.phase_end = "purchase", model.month
    p.purchase_deadline = model.month + model.behaviour.purchase_patience_months
    price = p.costs.get("purchase", 0.0)
    threshold = model.scenario.population.tender_threshold_eur
    if p.route == "development" and not p.partnership and price > threshold:
        # a pilot bought above the threshold must be re-tendered (brief §4.1, path a)
        p.phase_end = model.month + TENDER_MONTHS
        if p.need.u[U_RETENDER] >= model.behaviour.pilot_wins_retender:
            p.lost_to_retender = True
    _try_purchase(model, p)


def _try_purchase(model: PolicyModel, p: Project) -> None:
    """Buys when the plan and this year's budget allow; gives up after the patience runs out."""
    if model.month < p.phase_end:
        return
    buyer = model.buyer(p.need.buyer)
    cost = p.costs.get("purchase", 0.0) + p.costs.get("implementation", 0.0)
    public = sum(g.amount - g.paid for g in p.grants
                 if {"purchase", "implementation"} & set(g.phases))
    own = max(0.0, cost - public - p.need.background * cost)
    # a planned purchase was budgeted (it may draw on next year's budget); without a plan
    # nobody set money aside and the solution waits for a budget year that makes one
    # (the valley of death, brief 4.1 path b)
    if p.has_plan and own <= buyer.annual_budget:
        enter(model, p, "purchase", 0)
        enter(model, p, "implementation", IMPLEMENTATION_MONTHS)
        return
    if model.month >= p.purchase_deadline:
        model.end(p, "stuck")
        return
    if not p.has_plan and model.month % 12 == 0:
        p.has_plan = model.plans_purchase(p.need, later=True)
    p.phase_end = model.month + 1


def _after_implementation(model: PolicyModel, p: Project) -> None:
    model.adopt_own(p)
    model.end(p, "adopted")


NEXT = {"preparation": _after_preparation, "tender": _after_tender, "development": _after_development,
        "purchase": _try_purchase, "implementation": _after_implementation}
