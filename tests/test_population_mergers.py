"""The population at the scheme's time (issue 17, item 8; docs/ODD.md 7.13).

A population may say the year its counts describe and carry mergers (a municipal reform):
at a month, ``merged`` buyers of a group cease to exist and ``absorbers`` buyers take over
their budgets. Norway's scheme ran 2010-20 on 428 municipalities and 19 counties, and the
2020 reform left 356 and 11; with today's counts the model ran the scheme on the wrong
country. These tests show what a merger must do, and that it is a population fact drawn
before any scheme acts:

- merged buyers have needs before the merger's month and none from it on; their absorbers
  have more (a larger budget, a higher need rate, the same draws);
- the absorber's annual budget grows at the merger month, by the merged buyers' budgets;
- a run is identical month by month to a run without the merger until the merger's month
  (common random numbers), and differs after it;
- merged buyers adopt nothing afterwards and leave the peer counts of diffusion;
- validation refuses mergers that could not happen, one line each (``FILE:LINE: path: msg``,
  exit 2), but a horizon shortened on the command line just ends before a merger;
- Norway runs with its reform and ends with 356 municipalities and 11 counties.
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from simpolicy import load_scenario, simulate
from simpolicy.core import run_model
from simpolicy.model.draws import draws_for
from simpolicy.model.model import PolicyModel
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.loader import scenario_dir, with_sets
from simpolicy.scenario.schema import Scenario

MONTH = 18  # the test merger's month, within Lithuania's 3-year test horizon
MERGER = {"month": MONTH, "type": "school", "merged": 100, "absorbers": 40}


@cache
def _pair() -> tuple[Scenario, Scenario]:
    """Lithuania's scheme and population over 3 years, without and with a merger of schools."""
    base = with_sets(load_scenario("lithuania"), {"horizon_years": 3})
    data = base.model_dump(mode="json", exclude={"behaviour"})
    data["population"]["mergers"] = [MERGER]
    merged = with_sets(Scenario.model_validate(data), {"horizon_years": 3})
    return base, merged


def _rows_by_month(draws) -> list[set[int]]:
    return [set(a.rows.tolist()) for a in draws.arrivals]


def test_merged_buyers_have_needs_before_the_month_and_none_after():
    base, merged = _pair()
    d0, d1 = draws_for(base, 0), draws_for(merged, 0)
    (g,) = d1.merges
    assert g.month == MONTH and len(g.rows) == 100 and len(set(g.into.tolist())) == 40
    gone, into = set(g.rows.tolist()), set(g.into.tolist())
    before, after = _rows_by_month(d1)[:MONTH], _rows_by_month(d1)[MONTH:]
    assert any(r & gone for r in before), "merged buyers had needs before the merger"
    assert not any(r & gone for r in after), "a merged buyer had a need after the merger"
    # the absorbers' larger budgets raise their need rates; the same draws decide
    had = sum(len(r & into) for r in _rows_by_month(d0)[MONTH:])
    has = sum(len(r & into) for r in after)
    assert has > had
    assert all(r0 & into <= r1 for r0, r1 in zip(_rows_by_month(d0)[MONTH:], after, strict=True))


def test_absorber_budget_grows_at_the_merger_month():
    """From the merger's month the absorber's annual budget holds the merged buyers' budgets,
    and this year's money grows by the months left of them (month 18: half a year)."""
    _, merged = _pair()
    m = PolicyModel(merged, 0)
    (g,) = m.draws.merges
    own = np.asarray(m.annual_budgets)
    for _ in range(MONTH):
        m.step()
    assert np.array_equal(np.asarray(m.annual_budgets), own), "nothing changes before the month"
    left = m.buyers.budget_left.copy()
    m.step()
    grown = own.copy()
    np.add.at(grown, g.into, own[g.rows])
    assert np.allclose(m.annual_budgets, grown)
    assert all(m.annual_budgets[a] > own[a] for a in g.into.tolist())
    np.add.at(left, g.into, 0.5 * own[g.rows])
    spent = left - m.buyers.budget_left  # what month 18 itself spent, at most
    assert np.all(spent[g.into] >= -1e-6) and spent[g.into].sum() < 0.5 * own[g.rows].sum()
    # a merged buyer keeps its own line only for the projects it had running
    assert np.allclose(np.asarray(m.annual_budgets)[g.rows], own[g.rows])
    m.close()


def test_runs_are_identical_before_the_merger_month_and_differ_after():
    base, merged = _pair()
    for seed in (0, 1):
        a, b = simulate(base, seed).timeseries, simulate(merged, seed).timeseries
        assert a.iloc[:MONTH].equals(b.iloc[:MONTH]), f"seed {seed}: a merger changed the past"
    assert not a.iloc[MONTH:].equals(b.iloc[MONTH:]), "the merger changed nothing"


def test_merged_buyers_adopt_nothing_and_leave_the_peer_counts():
    _, merged = _pair()
    m = run_model(merged, 1)
    (g,) = m.draws.merges
    gone = set(g.rows.tolist())
    # none adopts afterwards (a project it had running may still deliver: "own")
    assert not [a for a in m.ledger.adoptions
                if a.month >= MONTH and a.buyer in gone and a.via != "own"]
    d, present = m.diffusion, ~g.gone
    for s in range(len(d.solutions)):
        concerned = m.relevance[:, d.challenge_of[s]] & present
        assert d.rel[s].sum() == concerned.sum()
        assert d.ad[s].sum() == (concerned & d._adopted[s]).sum()
    m.close()


def test_a_month_counts_from_the_population_year_and_earlier_mergers_start_done():
    """``month`` counts from January of the population's ``year``: a population of the year
    before the scheme merges 12 months earlier; one dated before the run starts merged."""
    _, merged = _pair()
    data = merged.model_dump(mode="json", exclude={"behaviour"})
    data["population"]["year"] = merged.start_year - 1
    earlier = with_sets(Scenario.model_validate(data), {"horizon_years": 3})
    assert draws_for(earlier, 0).merges[0].month == MONTH - 12
    data["population"]["mergers"] = [{**MERGER, "month": None, "date": f"{merged.start_year - 1}-06"}]
    done = with_sets(Scenario.model_validate(data), {"horizon_years": 3})
    assert draws_for(done, 0).merges[0].month == 0


# --- validation --------------------------------------------------------------------------

NORWAY_MERGER = ('    - date: "2020-01"  # 119 municipalities into 47 (regjeringen.no): 20 of the 72 '
                 'merged were 5,000-19,999\n      type: municipality_small\n      merged: 20\n')
BAD = {  # case -> (replacement of NORWAY_MERGER's lines, the field path, words of the message)
    "unknown group": (NORWAY_MERGER.replace("type: municipality_small", "type: municipalty_small"),
                      "population.mergers.2.type", "names no buyer group"),
    "more than exist": (NORWAY_MERGER.replace("merged: 20", "merged: 500"),
                        "population.mergers.2.merged", "500 municipality_small merge, but 154 exist"),
    "beyond the horizon": (NORWAY_MERGER.replace('"2020-01"', '"2021-01"'),
                           "population.mergers.2.date", "after its horizon"),
    "before the counts": (NORWAY_MERGER.replace('"2020-01"', '"2009-06"'),
                          "population.mergers.2.date", "before 2010"),
    "date and month": (NORWAY_MERGER.replace('date: "2020-01"', 'date: "2020-01"\n      month: 120'),
                       "population.mergers.2", "exactly one"),
    "no such month": (NORWAY_MERGER.replace('"2020-01"', '"2020-13"'),
                      "population.mergers.2.date", ""),
}


def _norway_with(tmp_path: Path, replacement: str) -> tuple[Path, int]:
    text = (scenario_dir() / "norway.yaml").read_text()
    assert NORWAY_MERGER in text
    bad = tmp_path / "bad_norway.yaml"
    bad.write_text(text.replace(NORWAY_MERGER, replacement, 1))
    return bad, text.splitlines().index(NORWAY_MERGER.splitlines()[0]) + 1


@pytest.mark.parametrize("case", list(BAD))
def test_validation_refuses_a_merger_that_could_not_happen(tmp_path, case):
    replacement, path, words = BAD[case]
    bad, first = _norway_with(tmp_path, replacement)
    with pytest.raises(InputError) as e:
        load_scenario(bad)
    lines = [str(p) for p in e.value.problems]
    assert len(lines) == 1, lines
    where, msg = lines[0].split(f": {path}: ", 1) if f": {path}: " in lines[0] else (lines[0], "")
    assert where.startswith(f"{bad}:") and first <= int(where.rsplit(":", 1)[1]) <= first + 3, lines
    assert words in msg, lines
    assert "\n" not in lines[0]


def test_validate_exits_2_with_one_line(tmp_path):
    bad, first = _norway_with(tmp_path, BAD["more than exist"][0])
    r = subprocess.run([sys.executable, "-m", "simpolicy.cli.main", "validate", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    line = first + 2  # the merged: line
    assert f"{bad}:{line}: population.mergers.2.merged: 500 municipality_small merge" in r.stdout + r.stderr


def test_a_shorter_horizon_asked_for_ends_before_the_merger():
    """``--years 4`` on Norway is a question, not a contradiction: it runs, without the reform."""
    sc = load_scenario("norway", ["horizon_years=4"])
    assert draws_for(sc, 0).merges == ()


# --- Norway ------------------------------------------------------------------------------

def test_norway_runs_its_scheme_on_the_population_of_its_time():
    sc = load_scenario("norway")
    pop = sc.population
    types = [g.type for g in pop.buyers]
    municipal = [i for i, t in enumerate(types) if t.startswith("municipality")]
    assert sum(pop.buyers[i].count for i in municipal) == 428
    assert pop.buyers[types.index("county")].count == 19
    d = draws_for(sc, 0)
    assert [g.month for g in d.merges] == [96, 120, 120, 120]  # 2018-01 and 2020-01 from 2010
    gone = d.merges[-1].gone
    left = lambda idx: int(sum(((d.buyers.type_idx == i) & ~gone).sum() for i in idx))  # noqa: E731
    assert left(municipal) == 356 and left([types.index("county")]) == 11
    res = simulate(sc, 0)
    assert len(res.timeseries) == 132
    assert res.summary["buyers_in_scheme"] > 0
