"""Studies answer per design (issue 18): one row per parameter point with 90 % CIs, the
front of designs, nested results folders, and the walk-through's view fixes.

The grid study is a real `simpolicy sweep` (CO-PI, 2 years, 2 x 2 points, 3 replications),
so the report and the table are checked on what the CLI writes, not on a hand-made frame.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from simpolicy.analysis.decision import decision_table
from simpolicy.analysis.designs import design_table, front_chart, front_mask
from simpolicy.results.store import load

ROOT = Path(__file__).resolve().parents[1]
RATE = "scheme.instruments.value_chain.rate"
BUDGET = "scheme.instruments.value_chain.annual_budget_eur"
GRID = f"""name: grid
scenarios: [denmark_copi_proposal]
design: grid
replications: 3
base_seed: 1
fixed:
  horizon_years: 2
parameters:
  {RATE}: {{levels: [0.3, 0.9]}}
  {BUDGET}: {{levels: [200000, 2000000]}}
timeseries: [adopters]
"""


def cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("simpolicy")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def grid_dir(tmp_path_factory) -> Path:
    """A results folder with a grid study nested one level down (as the demo writes)."""
    root = tmp_path_factory.mktemp("results")
    spec = root.parent / "grid.yaml"
    spec.write_text(GRID)
    r = cli("sweep", str(spec), "--workers", "1", "--out", str(root / "demo" / "grid"))
    assert r.returncode == 0, r.stderr
    return root / "demo" / "grid"


def test_a_grid_study_has_one_row_per_design_with_intervals(grid_dir):
    runs = load(grid_dir)["runs"]
    t = design_table(runs)
    assert len(t) == 4, "a grid of 2 x 2 points is four designs, never one pooled row"
    assert set(t["runs"]) == {3} and t["pareto"].any()
    assert {(round(r, 2), b) for r, b in zip(t[RATE], t[BUDGET], strict=True)} == \
        {(0.3, 200000), (0.9, 200000), (0.3, 2000000), (0.9, 2000000)}
    for q in ("additional_adopters", "public_money", "spread"):
        assert t[f"{q}_ci_low"].notna().all() and (t[f"{q}_ci_low"] <= t[q]).all()
        assert (t[q] <= t[f"{q}_ci_high"]).all()
    assert "None" not in " ".join(t["design"]) and "rate 0.3" in " ".join(t["design"])
    # each design's figures are the decision table's figures of its own runs
    ok = runs[runs["status"] == "ok"]
    one = ok[(ok[RATE] == 0.9) & (ok[BUDGET] == 2000000)]
    dec = decision_table(one).table.iloc[0]
    row = t[(t[RATE] == 0.9) & (t[BUDGET] == 2000000)].iloc[0]
    assert row["additional_adopters"] == pytest.approx(dec["additional_adopters"])
    assert row["public_money"] == pytest.approx(dec["public_money"])
    if math.isfinite(dec["cost_per_adopter"]):  # total money over total effect, not a mean of ratios
        assert row["cost_per_adopter"] == pytest.approx(dec["cost_per_adopter"])


def test_the_front_marks_designs_none_beats_and_never_one_worse_than_no_scheme():
    effect = np.array([10.0, 20.0, 15.0, -3.0, 5.0])
    money = np.array([1.0, 3.0, 4.0, 0.5, 2.0])
    # 15 for 4 is beaten by 20 for 3; 5 for 2 by 10 for 1; -3 for 0.5 by doing nothing
    assert front_mask(effect, money).tolist() == [True, True, False, False, False]
    designs = pd.DataFrame({
        "design": list("abcde"), "pareto": front_mask(effect, money), "additional_adopters": effect,
        "additional_adopters_ci_low": effect - 1, "additional_adopters_ci_high": effect + 1,
        "public_money": money * 1e6, "public_money_ci_low": money * 1e6 * 0.9,
        "public_money_ci_high": money * 1e6 * 1.1})
    fig = front_chart(designs)
    on_front = [t for t in fig.data if t.name.startswith("on the front")]
    assert len(on_front) == 1 and len(on_front[0].x) == 2
    assert on_front[0].error_y.array is not None, "designs are drawn with their intervals"
    assert all(str(t).startswith("EUR") for t in fig.layout.xaxis.ticktext)


def test_nested_results_folders_are_listed_and_opened_and_escapes_refused(grid_dir):
    from dashboard.data import StudyRefused, StudyStore

    root = grid_dir.parents[1]
    (root / "demo" / "link").symlink_to(grid_dir)
    store = StudyStore(root)
    assert [s["id"] for s in store.list()] == ["demo/grid"]
    assert len(store.load("demo/grid")["runs"]) == 12
    for bad in ("demo", "demo/../demo/grid", "demo//grid", "/demo/grid", "demo/link", "a/b/c/d",
                "demo/grid/..", "demo\\grid"):
        with pytest.raises(StudyRefused):
            store.path(bad)


def test_the_study_lines_say_how_many_design_points_never_none(grid_dir):
    from dashboard.study_view import describe

    text = " ".join(describe(load(grid_dir)))
    assert "None" not in text and "4 design points × 3 replications" in text


def test_the_grid_report_leads_with_its_per_design_table(grid_dir, tmp_path):
    out = tmp_path / "r.html"
    r = cli("report", str(grid_dir), "-o", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    summary = html[html.index('id="summary"'):html.index('id="question"')]
    table = re.search(r'<table class="decision designs">(.*?)</table>', summary, re.S)
    assert table, "the summary holds the per-design table"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1).split("</thead>")[1], re.S)
    assert len(rows) == 4, "one row per design of the 2 x 2 grid"
    assert all(r.count('class="iv"') >= 4 for r in rows), "every mean has its interval"
    assert "designs-front" in summary and "None points" not in html
    csv = pd.read_csv(tmp_path / "r-designs.csv")
    assert len(csv) == 4 and "pareto" in csv


def test_the_key_figure_card_quotes_the_decision_tables_cost_per_adopter():
    from dashboard.components import fmt
    from dashboard.summaries import key_figures, summarise

    rng = np.random.default_rng(3)
    # per-run ratios (money / effect) average far above total money / total effect here
    effect = np.array([1.0, 10.0, 12.0, 9.0, 11.0, 10.0])
    runs = pd.DataFrame({
        "scenario": "a", "seed": range(6), "status": "ok", "adopters": 50 + effect,
        "cf_adopters": 50.0, "additional_adopters": effect,
        "public_money_eur": 1e6 + rng.normal(0, 1e4, 6), "cf_public_money_eur": 0.0,
        "public_eur_per_additional_adopter": (1e6 + rng.normal(0, 1e4, 6)) / effect})
    dec = decision_table(runs).table
    card = key_figures(summarise(runs), ["a"], dec)[0]["items"]
    cost = next(i for i in card if i["title"] == "Public money per additional adopter")
    total = dec.iloc[0]["cost_per_adopter"]
    per_run = runs["public_eur_per_additional_adopter"].mean()
    assert fmt(total, "EUR") != fmt(per_run, "EUR"), "the test needs the two figures to differ"
    assert cost["value"] == fmt(total, "EUR")
    assert "90 % CI of the mean" in cost["range"] and "6 runs" in cost["range"]


def _fig(cf_a, cf_b):
    fig = go.Figure()
    for name, cf in (("a", cf_a), ("b", cf_b)):
        fig.add_trace(go.Scatter(x=[0, 1], y=[1, 2], name=name))
        fig.add_trace(go.Scatter(x=[0, 1], y=cf, name=f"{name}, no scheme", line={"dash": "dash"}))
    return fig


def test_the_what_if_draws_a_shared_no_scheme_line_once():
    from dashboard.pages.whatif import one_no_scheme_line

    names = [t.name for t in one_no_scheme_line(_fig([0, 1], [0, 1])).data]
    assert names == ["a", "no scheme (the same for both)", "b"]
    # an edit of behaviour changes the no-scheme runs too: then both lines stay
    names = [t.name for t in one_no_scheme_line(_fig([0, 1], [0, 2])).data]
    assert names == ["a", "a, no scheme", "b", "b, no scheme"]


def test_what_if_knob_groups_are_headed_by_what_the_instrument_does():
    from dash import html

    from dashboard.pages.whatif import knob_heading, knob_panel
    from simpolicy import load_scenario

    for name in ("denmark_copi_proposal", "flanders", "uk_sbri"):
        sc = load_scenario(name)
        heads = [g.children[0].children for g in knob_panel(sc) if isinstance(g, html.Details)]
        assert len(heads) >= len(sc.scheme.instruments) + 2, heads
        for inst in sc.scheme.instruments:
            assert not any(inst.id in h for h in heads), (inst.id, heads)
            head, more = knob_heading(inst)
            assert "_" not in head and len(head) <= 110 and (more is None or more == inst.description)


def test_money_per_additional_adopter_appears_once_and_every_outcome_has_a_name():
    from dashboard.summaries import outcome_table, summarise
    from dashboard.whatif_view import change_table
    from simpolicy.analysis.labels import OUTCOME_INFO, unit
    from simpolicy.outcomes import EXTRA, OUTCOMES

    # every outcome the model reports has a reader's name and a unit (no "buyers own money eur")
    unnamed = [o for o in (*OUTCOMES, *EXTRA) if o not in OUTCOME_INFO or not unit(o)]
    assert not unnamed, unnamed
    # the per-run mean of ratios is not shown beside the decision table's total over total
    effect = np.array([8.0, 10.0, 12.0])
    runs = pd.concat([pd.DataFrame({
        "scenario": s, "seed": range(3), "status": "ok", "adopters": 50 + effect + k,
        "cf_adopters": 50.0, "additional_adopters": effect + k, "public_money_eur": 1e6 + k,
        "cf_public_money_eur": 0.0, "public_eur_per_additional_adopter": (1e6 + k) / (effect + k)})
        for k, s in enumerate(("a", "b"))])
    rows = " ".join(outcome_table(summarise(runs), ["a", "b"])["outcome"])
    assert "Public money per additional adopter" not in rows and "Additional adopters" in rows
    rows = " ".join(change_table(runs, "a", "b")["outcome"])
    assert "Public money per additional adopter" not in rows and "Public money" in rows


def test_the_scenario_page_names_assumed_values_in_words_not_field_paths():
    from dashboard.describe import describe_markdown
    from simpolicy import load_scenario

    for name in ("denmark_copi_proposal", "flanders"):
        text = describe_markdown(load_scenario(name))
        assumed = text[text.index("### Assumed values"):text.index("### Behavioural")]
        assert not re.search(r"\w\.\w|_", assumed), assumed[:400]
        assert "annual budget" in assumed and "Buyers, " in assumed


def test_parallel_coordinates_write_money_as_money():
    from simpolicy.analysis.study_figures import parallel_coordinates

    runs = pd.DataFrame({"programme_spend_eur": [1.5e6, 9e7, 2.27e8], "adopters": [400.0, 500, 700],
                         "scheme.instruments.value_chain.annual_budget_eur": [6e5, 1.2e6, 2.4e6]})
    fig = parallel_coordinates(runs, ["programme_spend_eur",
                                      "scheme.instruments.value_chain.annual_budget_eur"], "adopters")
    money = [d for d in fig.data[0].dimensions if d.ticktext]
    assert len(money) == 2 and all(t.startswith("EUR ") for d in money for t in d.ticktext), money


def test_the_grid_reports_tables_fit_a4_and_its_designs_start_on_page_one(grid_dir, tmp_path):
    import time

    from dashboard import testing
    from simpolicy.report import build_report

    if testing.find_browser() is None:
        pytest.fail("chromium and chromedriver are needed (make system-deps)")
    html = build_report(grid_dir, tmp_path / "r.html").html
    width, height = round((210 - 24) / 25.4 * 96), round((297 - 28) / 25.4 * 96)  # A4 text area
    d = testing.chrome(tmp_path)
    try:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        d.get(html.resolve().as_uri())
        testing.wait_for(lambda: d.execute_script(
            "return document.querySelectorAll('.js-plotly-plot').length > 0"), 30, message="figures")
        time.sleep(0.5)
        got = d.execute_script("""
            var w = document.querySelector('main').clientWidth, out = {w: w, wide: []};
            document.querySelectorAll('table').forEach(function (t) {
              var r = t.getBoundingClientRect();
              if (r.width > w + 1) out.wide.push([t.closest('section').id, r.width]); });
            out.top = document.querySelector('table.designs').getBoundingClientRect().top
                      + window.scrollY; return out;""")
    finally:
        d.quit()
    assert got["wide"] == [], got
    assert got["top"] < height, "the designs table starts on the first page"


def test_design_keys_take_missing_parameter_values():
    """A design search leaves a parameter unset in some designs (NaN): the key still reads it
    (pandas 3 keeps NaN a float under astype(str), which broke the Studies page with a 500)."""
    import numpy as np
    import pandas as pd

    from simpolicy.analysis.designs import design_keys

    runs = pd.DataFrame({"scenario": ["a", "a", "a"], "x": [1.0, np.nan, np.nan], "y": [2.0, 3.0, 3.0]})
    keys = design_keys(runs, ["x", "y"])
    assert keys.tolist() == ["a#1.0|2.0", "a#nan|3.0", "a#nan|3.0"]
