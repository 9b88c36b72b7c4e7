"""The decision table: pure-function checks on hand-made runs, and `compare --json` end to end.

The hand-made runs make every number checkable by hand: a ratio of sums that differs from
the mean of per-run ratios, an effect whose interval spans zero, two designs on one
population whose paired difference is certain while an unpaired one would not be.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from simpolicy.analysis.decision import decision_table, ratio_of_sums, t_interval
from simpolicy.analysis.reading import cells, count


def runs(design: str, effect, money, cf_adopters=None, **extra) -> pd.DataFrame:
    """Run rows of one design: seeds 0..n-1, the effect as ``additional_adopters``."""
    n = len(effect)
    cf = list(cf_adopters) if cf_adopters is not None else [100.0 + 7 * i for i in range(n)]
    df = pd.DataFrame({
        "scenario": design, "seed": range(n), "status": "ok",
        "additional_adopters": [float(x) for x in effect],
        "adopters": [c + e for c, e in zip(cf, effect, strict=True)], "cf_adopters": cf,
        "public_money_eur": [float(x) for x in money], "cf_public_money_eur": 0.0,
        "solutions_scaled": 3.0, "cf_solutions_scaled": 1.0, "followers": 10.0, "cf_followers": 4.0,
        "deadweight_share": 0.25})
    for k, v in extra.items():
        df[k] = v
    return df


def test_cost_is_the_ratio_of_sums_not_the_mean_of_ratios():
    d = decision_table(runs("a", [2, 8, 10, 10, 10], [100] * 5))
    row = d.table.iloc[0]
    assert row["cost_per_adopter"] == pytest.approx(500 / 40)  # mean of ratios would be 18.5
    assert row["cost_runs"] == 5
    assert row["cost_ci_low"] < 12.5 < row["cost_ci_high"]


def test_delta_method_interval_is_zero_wide_for_a_constant_ratio_and_close_to_a_bootstrap():
    r, lo, hi, n = ratio_of_sums([30, 60, 90], [1, 2, 3])
    assert (r, lo, hi, n) == (30, 30, 30, 3)
    rng = np.random.default_rng(1)
    effect = rng.gamma(4, 5, 400)
    money = 1000 * effect + rng.normal(0, 4000, 400)
    r, lo, hi, _ = ratio_of_sums(money, effect)
    boot = [money[i].sum() / effect[i].sum() for i in rng.integers(0, 400, (2000, 400))]
    b_lo, b_hi = np.percentile(boot, [5, 95])
    assert lo == pytest.approx(b_lo, rel=0.01) and hi == pytest.approx(b_hi, rel=0.01)


def test_mean_and_ci_of_the_effect_are_the_student_t_interval():
    d = decision_table(runs("a", [4, 6, 5, 5], [10] * 4))
    row = d.table.iloc[0]
    m, lo, hi, _ = t_interval([4, 6, 5, 5])
    half = 2.3533634 * np.std([4, 6, 5, 5], ddof=1) / 2  # t(3, 0.95) * s / sqrt(n)
    assert (row["additional_adopters"], row["additional_adopters_ci_low"]) == (m, lo)
    assert hi == pytest.approx(5 + half)
    assert row["scaling"] == 2 and row["spread"] == 6  # paired against the counterfactual


def test_no_cost_beside_an_effect_whose_interval_reaches_zero():
    # positive mean and positive total, but the interval spans zero: no cost per adopter
    d = decision_table(runs("a", [-1, 1, 0, 4], [10] * 4))
    row = d.table.iloc[0]
    assert row["additional_adopters"] > 0 and math.isnan(row["cost_per_adopter"])
    assert row["cost_runs"] == 0 and row["vs_no_scheme"] == "not distinguishable"
    assert cells(d)[0][5] == ("–", "not shown: effect not clearly above zero")
    # a negative effect never carries a cost either (the Flanders case of issue 18)
    d = decision_table(runs("b", [-15, -16, -14, -15], [4e6] * 4))
    assert d.table.iloc[0]["vs_no_scheme"] == "fewer" and math.isnan(d.table.iloc[0]["cost_per_adopter"])


def test_one_run_gives_no_interval_and_no_cost():
    row = decision_table(runs("a", [40], [1e6])).table.iloc[0]
    assert math.isnan(row["additional_adopters_ci_low"]) and math.isnan(row["cost_per_adopter"])


def test_paired_over_common_seeds_when_designs_share_a_population():
    base = [10, 50, 90, 130, 170]  # seeds differ a lot; design b is always 1 below a
    a = runs("a", base, [1e6] * 5)
    b = runs("b", [x - 1 for x in base], [1e6] * 5)
    d = decision_table(pd.concat([b, a]))
    t = d.table.set_index("design")
    assert bool(t.loc["a", "best"]) and t.loc["b", "paired_with_best"] is True
    assert t.loc["b", "not_distinguishable_from_best"] is False  # certain, seed by seed
    # the same numbers on another population (other counterfactuals): unpaired, unclear
    other = runs("c", [x - 1 for x in base], [1e6] * 5, cf_adopters=[300.0 + i for i in range(5)])
    t = decision_table(pd.concat([a, other])).table.set_index("design")
    assert t.loc["c", "paired_with_best"] is False and t.loc["c", "not_distinguishable_from_best"] is True


def test_sorted_by_the_chosen_outcome_cheapest_first_and_undefined_last():
    frames = pd.concat([runs("cheap", [10, 11, 9, 10], [1e5] * 4),
                        runs("dear", [40, 41, 39, 40], [4e7] * 4),
                        runs("none", [0, 1, -1, 0], [1e5] * 4)])
    assert list(decision_table(frames).table["design"]) == ["dear", "cheap", "none"]
    by_cost = decision_table(frames, "cost_per_adopter")
    assert list(by_cost.table["design"]) == ["cheap", "dear", "none"]
    assert "cheap buys additional adopters most cheaply" in by_cost.reading
    with pytest.raises(ValueError):
        decision_table(frames, "adopters_per_hour")


def test_the_reading_says_best_ties_and_no_effect():
    frames = pd.concat([runs("best", [40, 42, 38, 40], [2e6] * 4),
                        runs("tie", [39, 43, 37, 41], [2e6] * 4),
                        runs("nil", [1, -1, 2, -2], [1e6] * 4)])
    d = decision_table(frames, horizon_months={"best": 120, "tie": 120, "nil": 120})
    assert d.reading.startswith("Over 10 years, best adds the most adopters: +40 additional")
    assert "EUR 2.0 m of public money, EUR 50 k per additional adopter (4 runs)" in d.reading
    assert "tie is not distinguishable from it" in d.reading
    assert "nil is not distinguishable from no scheme" in d.reading
    unequal = decision_table(frames, horizon_months={"best": 120, "tie": 72, "nil": 120})
    assert "not equal" in unequal.horizon and "different horizons" in unequal.reading


def test_new_outcome_names_are_preferred_and_old_ones_still_read():
    new = runs("a", [10, 12, 11, 9], [1e6] * 4, additional_adoptions=[99.0] * 4,
               programme_spend_eur=[5.0] * 4)
    d = decision_table(new)
    assert d.table.iloc[0]["additional_adopters"] == 10.5 and d.services_included
    assert d.table.iloc[0]["public_money"] == 1e6
    old = new.drop(columns=["additional_adopters", "public_money_eur", "cf_public_money_eur"])
    old["additional_adoptions"] = [10.0, 12, 11, 9]
    old["programme_spend_eur"] = 2e6
    d = decision_table(old)
    assert d.effect_column == "additional_adoptions" and d.money_column == "programme_spend_eur"
    assert d.table.iloc[0]["additional_adopters"] == 10.5 and not d.services_included
    assert d.table.iloc[0]["cost_per_adopter"] == pytest.approx(2e6 / 10.5)
    assert d.to_dict()["services_included"] is False


def test_failed_runs_are_left_out():
    frame = runs("a", [10, 12, 11, 9], [1e6] * 4)
    frame.loc[0, ["status", "additional_adopters"]] = ["failed", 1e9]
    assert decision_table(frame).table.iloc[0]["runs"] == 3


def test_counts_are_whole_units():
    assert (count(-15.3), count(230.4), count(0.42), count(0)) == ("-15", "+230", "+0.4", "0")


def test_compare_json_carries_the_decision_table(tmp_path):
    r = subprocess.run([sys.executable, "-m", "simpolicy.cli.main", "compare", "estonia", "lithuania",
                        "--population", "lithuania", "--reps", "2", "--years", "1", "--no-save",
                        "--json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    dec = out["decision"]
    assert dec["interval"] == "90 % CI of the mean" and dec["horizon"] == "1 year"
    assert {row["design"] for row in dec["rows"]} == set(out["scenarios"])
    assert all(row["horizon_months"] == 12 for row in dec["rows"])
    assert dec["rows"][0]["best"] is True and dec["reading"]
    assert {"additional_adopters_ci_low", "cost_per_adopter", "cost_runs", "vs_no_scheme"} \
        <= set(dec["rows"][0])


def test_a_misspelt_scenario_gets_did_you_mean_and_exit_2():
    r = subprocess.run([sys.executable, "-m", "simpolicy.cli.main", "compare", "flandres", "--reps", "2",
                        "--no-save"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "did you mean 'flanders'?" in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "simpolicy.cli.main", "run", "flanders", "--reps", "0"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--reps" in r.stderr
