"""A project's way through the phases: preparation, tender, development, purchase, implementation.

Each function moves one project one phase on when its time is up. The valley of death is
here: a completed development must still be bought from the buyer's fixed annual budget,
and a purchase above the tender threshold must be re-tendered (the piloting supplier may
lose it) unless an innovation partnership already contains the purchase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import stages
from .market import retender, tender
from .project import U_RETENDER, U_TENDER_FIT, Project

if TYPE_CHECKING:
    from .model import PolicyModel

TENDER_MONTHS = 2
IMPLEMENTATION_MONTHS = 3


def advance_due(model: PolicyModel) -> None:
    """Moves on every active project whose current phase has ended, oldest first.

    Only the due ones are visited: most projects sit in a phase for months.
    """
    month = model.month
    for p in [p for p in model.active if p.phase_end <= month]:
        NEXT[p.phase](model, p)


# the cost lines each phase pays: its own, and an external project office works during
# preparation
LINES = {"preparation": ("preparation", "office"), **{phase: (phase,) for phase in (
    "tender", "development", "overrun", "purchase", "implementation")}}


def planned(p: Project, lines: tuple[str, ...]) -> float:
    """What the project's grants will still pay for these cost lines."""
    total = 0.0
    for g in p.grants:  # plain loops: this runs for every phase of every funded project
        due, plan, paid_lines = 0.0, g.plan, g.paid_lines
        for line in lines:
            if line not in paid_lines:
                due += plan.get(line, 0.0)
        left = g.amount - g.paid
        total += left if left < due else due
    return total


def enter(model: PolicyModel, p: Project, phase: str, months: int) -> bool:
    """Starts a phase: the programme pays its grants, pools and the buyer the rest.

    Whether the buyer can pay its share of a development is checked before anything is
    paid. Returns False when it cannot: that ends the project (multi-year commitments are
    hard on annual budgets), and nothing of the phase is paid. Other phases are paid as
    they come (from next year's budget if this year's is spent, ``Buyers.new_year``).
    """
    lines = LINES[phase]
    costs, grants, need = p.costs, p.grants, p.need
    cost = 0.0
    for line in lines:  # a loop, not sum() over a generator: this runs for every phase
        cost += costs.get(line, 0.0)
    public = planned(p, lines) if grants else 0.0
    rest = cost - public if cost > public else 0.0
    pooled = need.background * rest  # pools and foundations top up what the scheme leaves
    own = rest - pooled
    fin = model.finance  # loans or grants paid after the fact (loans.py); None without them
    if fin is not None and grants:
        own += fin.ahead(p, lines)  # the buyer pre-finances what is paid after the fact
    row = need.buyer
    if phase == "development":  # only a development the buyer cannot afford stops here
        left = model.buyers.budget_left[row]  # (Buyer.can_afford, inlined: this runs often)
        if own > left + 1e-9 and own > left + model.buyers.budget[row]:
            return False
    p.phase, p.phase_end = phase, model.month + months
    money = model.money
    if fin is not None:
        fin.pay_phase(p, lines)
    else:
        for g in grants:
            plan = g.plan
            for line in lines:
                if line in plan:  # a grant pays only the lines it planned (Money.grant checks again)
                    money.grant(model.state(g), g, line, p.id)
    if pooled > 0:
        money.background(row, pooled, phase, p.id)
    if own > 0:
        money.buyer(row, own, phase, p.id)
    return True


def _after_preparation(model: PolicyModel, p: Project) -> None:
    enter(model, p, "tender", TENDER_MONTHS + (1 if p.partnership else 0))


def _after_tender(model: PolicyModel, p: Project) -> None:
    if p.route == "existing":
        # requirements written in a rush miss the need: the tender finds nothing that fits
        miss = model.behaviour.preparation_effect * (1 - p.prep_quality) * 0.5
        if p.need.u[U_TENDER_FIT] < miss:
            model.end(p, "aborted", "tender failed")
            return
        _start_purchase(model, p)
        return
    if not tender(model, p, p.contracts_wanted):
        model.end(p, "aborted", "no bid")
        return
    if not stages.start(model, p):  # its first phase, for a stage-gated PCP
        model.end(p, "aborted", "no budget")


def _after_development(model: PolicyModel, p: Project) -> None:
    done = stages.advance(model, p)  # a PCP's stage gate or an overrun may come first
    if done is None:
        return
    ok, supplier = done
    if not ok:
        model.end(p, "aborted", "failed")
        return
    p.supplier = supplier
    model.firms.delivered(supplier)  # a completed development: capability and a reference
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
            if not retender(model, p):  # a rival's product is bought instead, or none fits
                model.end(p, "stuck", "lost re-tender")
                return
    _try_purchase(model, p)


def _try_purchase(model: PolicyModel, p: Project) -> None:
    """Buys when the plan and this year's budget allow; gives up after the patience runs out."""
    if model.month < p.phase_end:
        return
    buyer = model.buyer(p.need.buyer)
    cost = p.costs.get("purchase", 0.0) + p.costs.get("implementation", 0.0)
    own = max(0.0, cost - planned(p, ("purchase", "implementation"))) * (1 - p.need.background)
    if model.finance is not None:  # a purchase grant paid after the fact is advanced
        own += model.finance.ahead(p, ("purchase", "implementation"))
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
        "overrun": _after_development, "purchase": _try_purchase,
        "implementation": _after_implementation}
