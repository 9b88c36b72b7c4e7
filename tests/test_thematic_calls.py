"""Thematic calls that rotate (issue 17, item 5; Flanders' PIO since 2020, brief §4.5).

A call with ``call_themes`` takes, in call r, only needs of ``call_themes[r mod len]``: so a
thematic call is not an open call. It funds fewer projects than the same call open to every
theme (the brief's reason: a buyer whose need falls outside this round's theme waits or goes
alone), and every project it funds had the theme of the call that granted it.
"""

from __future__ import annotations

from simpolicy import load_scenario, simulate
from simpolicy.core import run_model
from simpolicy.scenario.loader import with_sets

ROUNDS = [["energy", "circular"], ["it"]]


def _flanders(call_themes):
    sc = load_scenario("flanders")
    i = next(k for k, x in enumerate(sc.scheme.instruments) if x.id == "pio_development_calls")
    return with_sets(sc, {f"scheme.instruments.{i}.call_themes": call_themes,
                          f"scheme.instruments.{i}.start_month": 0, "horizon_years": 6}), i


def test_each_funded_project_has_the_theme_of_its_call():
    sc, i = _flanders(ROUNDS)
    spec = sc.scheme.instruments[i]
    period = 12 // spec.calls_per_year
    model = run_model(sc, 2)
    seen = set()
    for p in model.projects:
        if any(g.instrument == spec.id and g.awarded > 0 for g in p.grants):
            theme = model.theme_names[p.need.theme]
            r = (p.start - spec.start_month) // period  # the call that closed when it started
            assert theme in ROUNDS[r % len(ROUNDS)], (p.start, theme)
            seen.add(r % len(ROUNDS))
    assert seen == {0, 1}  # both rounds funded: the themes rotate


def test_a_thematic_call_funds_less_than_an_open_one():
    open_, i = _flanders([])
    themed, _ = _flanders(ROUNDS)
    key = f"awards_{open_.scheme.instruments[i].id}"
    a = sum(simulate(open_, s).summary[key] for s in range(3))
    b = sum(simulate(themed, s).summary[key] for s in range(3))
    assert b < a
