"""What services cost and what they can handle (issue 17, item 9; docs/ODD.md 7.16).

A competence centre supports at most its budget / (hours a supported buyer takes x the cost
of an hour) buyers, and a joint process runs at most its budget / the cost of one process
whole processes a year. Before, a service's budget only counted as public money: cutting it
changed nothing the buyers did, so a design search simply cut it. These tests fail when the
budget stops bounding the service again.
"""

from __future__ import annotations

import pytest

from simpolicy import simulate
from simpolicy.core import run_model
from tests.conftest import short

SEEDS = (0, 1, 2)


def _centre(budget: float, years: float = 3):
    """The Netherlands: a competence centre and nothing else, so the centre is all that acts."""
    return short("netherlands", years, **{"scheme__competence_centre__annual_budget_eur": budget})


def test_a_smaller_centre_budget_supports_fewer_buyers():
    """Advised buyers follow the budget; with room for everyone the aimed reach is kept."""
    counts = []
    for budget in (5_000_000, 1_500_000, 300_000, 0):
        m = run_model(_centre(budget, years=0.1), 0)
        counts.append((int(m.advised.sum()), m.centre_reach))
    (big, big_reach), (mid, _), (small, small_reach), (none, _) = counts
    assert big > mid > small > none == 0, counts
    # the awareness work shrinks with the buyers it can support: 150 of the 1,500 aimed at
    assert big_reach == 0.5 and small_reach == 0.5 * small / big, counts
    # EUR 300,000 at 20 hours x EUR 100 a buyer supports 150 buyers, no more
    assert small == 300_000 // (20 * 100), counts


def test_a_smaller_centre_budget_changes_outcomes_in_the_right_direction():
    """Fewer advised buyers: less capability, less risk relief, fewer projects and adopters."""
    def totals(budget):
        runs = [simulate(_centre(budget), s).summary for s in SEEDS]
        return (sum(r["projects_started"] for r in runs), sum(r["buyers_innovating"] for r in runs),
                sum(r["services_cost_eur"] for r in runs))
    large, small = totals(1_500_000), totals(150_000)
    assert small[0] < large[0] and small[1] < large[1], (large, small)
    assert small[2] < large[2]


def _joint(budget: float, per_year: float = 4):
    return short("denmark_copi_proposal", 3, **{
        "scheme__instruments__2__annual_budget_eur": budget,
        "scheme__instruments__2__processes_per_year": per_year})


def test_a_joint_process_budget_below_one_process_runs_none():
    """EUR 40,000 pays for no EUR 50,000 process: no joint process, no running cost, and the
    buyers' needs go their own way as without the service."""
    sc = _joint(40_000)
    assert sc.scheme.instruments[2].type == "joint_process"
    for seed in SEEDS[:2]:
        m = run_model(sc, seed)
        assert m.ledger.joint_processes == 0
        centre = m.scenario.scheme.competence_centre.annual_budget_eur * 3  # the centre alone
        assert m.money.paid_by("service") == pytest.approx(centre)
        assert run_model(_joint(400_000), seed).ledger.joint_processes > 0


def test_a_joint_process_budget_bounds_the_processes_a_year():
    """EUR 100,000 a year pays for two processes a year, however many are asked for."""
    for seed in SEEDS[:2]:
        bounded = run_model(_joint(100_000, per_year=12), seed).ledger.joint_processes
        free = run_model(_joint(1_200_000, per_year=12), seed).ledger.joint_processes
        assert bounded <= 2 * 3 < free, (bounded, free)
