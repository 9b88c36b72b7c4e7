"""Staff capacity (issue 17, item 1; docs/ODD.md 7.16; the Danish proposal's recommendation 5).

A project occupies its buyer's staff from its start until its development is delivered or
it ends; a buyer whose staff is taken starts no further project. Support that does part of
the work (internal costs paid, an external project office, the centre's process support, a
joint process) lowers what a project takes, so what a scheme pays for decides who can take
part at all, not only the size of the grant.
"""

from __future__ import annotations

from simpolicy import load_scenario, simulate
from simpolicy.model.model import PolicyModel
from simpolicy.scenario.loader import with_sets
from simpolicy.scenario.schema import Scenario
from tests.conftest import short

SEEDS = (0, 1, 2)


def test_a_buyer_at_staff_capacity_starts_no_further_project():
    """Month by month, no buyer's running projects take more than its staff can run, the
    capacity binds (some buyer is full while another of its needs would be weighed), and
    what is in use is exactly what the running projects occupy."""
    sc = short("denmark_baseline", 4)
    full_months = 0
    for seed in (0, 1):
        m = PolicyModel(sc, seed)
        for _ in range(sc.months):
            m.step()
            staff = m.staff
            running = [0.0] * m.buyers.n
            for p in m.active:
                running[p.need.buyer] += p.staff
            assert all(abs(u - r) < 1e-9 for u, r in zip(staff.used, running, strict=True))
            assert all(u <= c + 1e-9 for u, c in zip(staff.used, staff.capacity, strict=True))
            full_months += sum(0 < u > c - 1e-9 for u, c in zip(staff.used, staff.capacity, strict=True))
    assert full_months > 0, "the capacity never binds: the test would prove nothing"


def _small_buyers_short_of_staff(internal: bool = False, office: float = 0.0) -> Scenario:
    """Flanders' buyers with small buyers that have half a person to spare, under one
    co-financing instrument (PIO's development money, open all year)."""
    data = load_scenario("flanders").model_dump(mode="json", exclude={"behaviour"})
    for g in data["population"]["buyers"]:
        if g["small"]:
            g["staff_capacity"] = 0.5
    pio = next(i for i in data["scheme"]["instruments"] if i["id"] == "pio_development_open")
    pio.update(start_month=0, end_month=None, internal_costs=internal, project_office_share=office)
    data["scheme"]["instruments"] = [pio]
    return with_sets(Scenario.model_validate(data), {"horizon_years": 4})


def _small_funded(sc: Scenario) -> float:
    runs = [simulate(sc, s).summary for s in SEEDS]
    return sum(r["projects_funded"] * (r["small_buyer_share"] if r["projects_funded"] else 0) for r in runs)


def test_paying_internal_costs_or_an_office_lets_small_buyers_take_part():
    """Without help a small buyer with half a person cannot run a project at all; a grant
    that pays a project manager (internal costs) or an external project office takes half
    of the work off it, and small buyers take part (Danish proposal rec. 5; Spain's office)."""
    alone = _small_funded(_small_buyers_short_of_staff())
    internal = _small_funded(_small_buyers_short_of_staff(internal=True))
    office = _small_funded(_small_buyers_short_of_staff(office=0.2))
    assert alone == 0, alone
    assert internal > 0 and office > 0, (internal, office)


def test_more_staff_more_small_buyer_projects():
    """The same scheme on small buyers with more staff to spare: more of them take part."""
    def with_capacity(c: float) -> Scenario:
        sc = _small_buyers_short_of_staff(internal=True)
        data = sc.model_dump(mode="json", exclude={"behaviour"})
        for g in data["population"]["buyers"]:
            if g["small"]:
                g["staff_capacity"] = c
        return with_sets(Scenario.model_validate(data), {"horizon_years": 4})
    assert _small_funded(with_capacity(0.4)) < _small_funded(with_capacity(0.5)) \
        <= _small_funded(with_capacity(2.0))
