"""Figures and words an analyst can quote (issue 18): what each guards is in its name.

Pure tests on synthetic run rows: no simulation, so they are quick and say exactly which
rule broke (a colour without a finding, a buyer to the hundredth, a cost beside no effect).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simpolicy.analysis.figures import difference_chart
from simpolicy.analysis.labels import fmt_value
from simpolicy.analysis.marginal import marginal_cost
from simpolicy.analysis.money_axes import linear_ticks, log_ticks
from simpolicy.analysis.panels import timeseries_panels
from simpolicy.analysis.tables import summary_from_runs
from simpolicy.analysis.why import explain
from simpolicy.report.results import diff_class


def _runs(design: str, adopters, cf_adopters, **cols) -> pd.DataFrame:
    n = len(adopters)
    base = {"scenario": design, "seed": range(n), "status": "ok",
            "adopters": adopters, "cf_adopters": cf_adopters}
    base.update(cols)
    return pd.DataFrame(base)


def test_a_difference_is_coloured_only_when_its_ci_excludes_zero():
    clear = _runs("up", [110, 112, 111, 113], [100, 101, 100, 102])
    unclear = _runs("noise", [100, 120, 90, 105], [101, 100, 102, 100])
    fig = difference_chart(summary_from_runs(pd.concat([clear, unclear])), ["adopters"],
                           {"up": "#0072B2", "noise": "#E69F00"})
    fills = dict(zip(fig.data[0].y, fig.data[0].marker.color, strict=True))
    assert fills["up"] == "#0072B2"
    assert fills["noise"] == "white"  # a colour would read as a finding


def test_headline_differences_are_coloured_only_beyond_noise():
    assert diff_class(3.25, -10.2, 20.5) == ""
    assert diff_class(-17.2, -21.6, -12.6) == "neg"
    assert diff_class(5.0, 1.0, 9.0) == "pos"
    assert diff_class(math.nan, 1.0, 2.0) == ""


def test_counts_are_whole_buyers_and_ratios_keep_their_decimals():
    assert fmt_value(-15.3, "additional_adopters", signed=True) == "-15"
    assert fmt_value(55.8, "projects_funded") == "56"
    assert fmt_value(0.4, "additional_adopters", signed=True) == "+0.4"
    assert fmt_value(1.35, "adoptions_per_solution") == "1.35"
    assert fmt_value(2_000_000, "public_money_eur") == "EUR 2.0 m"


def test_money_ticks_read_as_money_and_log_ticks_do_not_crowd():
    vals, texts = linear_ticks(0, 2.3e7)
    assert texts[0] == "EUR 0" and all(t.startswith("EUR ") for t in texts)
    assert not any("e+" in t or t.endswith("M") for t in texts)
    for lo, hi in ((72e3, 2e5), (113e3, 134e3), (5e4, 4e6)):
        vals, texts = log_ticks(lo, hi)
        assert vals[0] <= lo and vals[-1] >= hi and len(vals) <= 6
        assert all(b / a >= 2 for a, b in zip(vals, vals[1:], strict=False)), vals


def _ts(schemes, months=12, cf=True):
    rows = []
    for s in schemes:
        for seed in range(3):
            for m in range(months):
                row = {"scenario": s, "seed": seed, "run_id": f"{s}-{seed}", "month": m,
                       "adopters": m * 2.0 + seed, "followers": m * 1.0}
                if cf:
                    row["adopters_counterfactual"] = m * 1.5
                rows.append(row)
    return pd.DataFrame(rows)


def test_many_schemes_are_small_multiples_each_with_its_dashed_no_scheme_line():
    schemes = [f"s{i}" for i in range(9)]
    fig = timeseries_panels(_ts(schemes), "adopters")
    axes = {t.xaxis for t in fig.data}
    assert len(axes) == 9  # one panel per scheme, not 18 lines on one axis
    dashed = [t for t in fig.data if t.line is not None and t.line.dash == "dash"]
    assert {t.xaxis for t in dashed} == axes
    assert "dashed" in fig.layout.title.text


def test_spread_marks_its_no_scheme_total_where_only_that_is_recorded():
    fig = timeseries_panels(_ts(["a", "b", "c"], cf=False), "followers",
                            cf_totals={"a": 5.0, "b": 6.0, "c": 7.0})
    marks = [t for t in fig.data if t.mode == "markers"]
    assert len(marks) == 3 and all(t.x[0] == 11 for t in marks)
    assert "without the scheme" in fig.layout.title.text


def test_why_names_the_recorded_reasons_of_a_scheme_that_lowers_adoption():
    lower = _runs("cut", [90, 91, 89, 92], [100, 100, 101, 100],
                  followers=[40, 41, 39, 40], cf_followers=[50, 51, 50, 52],
                  projects_started=[30, 31, 30, 29], cf_projects_started=[30, 30, 31, 29],
                  deadweight_share=[0.8] * 4, projects_funded=[50] * 4)
    fine = _runs("good", [110, 111, 112, 110], [100, 100, 101, 100])
    why = explain(pd.concat([lower, fine]), ["cut", "good"])
    assert set(why) == {"cut"}
    assert "80 %" in why["cut"] and "deadweight" in why["cut"]
    assert "crowd-out" in why["cut"] and "followers" in why["cut"]
    assert "projects started" not in why["cut"]  # no clear difference: not named


def test_marginal_cost_is_extra_money_over_extra_adopters_paired_by_seed():
    a = _runs("base", [100, 120, 90, 110], [80] * 4, public_money_eur=[1e6] * 4)
    b = _runs("edit", [110, 130, 100, 120], [80] * 4, public_money_eur=[1.5e6] * 4)
    m = marginal_cost(pd.concat([a, b]), "base", "edit")
    assert m.pairs == 4 and m.clear
    assert m.cost[0] == 50_000 and m.cost[1] == m.cost[2] == 50_000  # 0.5 m / 10 every seed
    assert "EUR 50 k of extra public money per extra adopter" in m.sentence()


def test_no_marginal_cost_when_the_extra_adopters_are_not_clearly_above_zero():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 10, 6)
    a = _runs("base", [100] * 6, [80] * 6, public_money_eur=[1e6] * 6)
    b = _runs("edit", list(100 + noise), [80] * 6, public_money_eur=[1.2e6] * 6)
    m = marginal_cost(pd.concat([a, b]), "base", "edit")
    assert not m.clear and math.isnan(m.cost[0])
    assert "no cost per extra adopter is given" in m.sentence()


def test_edits_are_listed_in_plain_words_with_the_old_value():
    from dashboard.edits import edit_summary
    from simpolicy import load_scenario

    base = load_scenario("denmark_copi_proposal")
    lines = edit_summary({"scheme.instruments.value_chain.annual_budget_eur": 2e6,
                          "behaviour.risk_aversion": 2.0}, None, base)
    assert lines[0] == "Value chain: annual budget EUR 1.2 m -> EUR 2.0 m"
    assert lines[1].startswith("Behaviour (all schemes): buyers' risk aversion") and "-> 2" in lines[1]
