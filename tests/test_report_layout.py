"""The report answers first and fits the page: the decision table leads, the scheme
descriptions and provenance are appendices, and no table is wider than an A4 page.

The comparison puts three schemes with different horizons (Flanders 6 years, Austria 2, the
Danish proposal 10) on one population without ``--years``: all must run the longest horizon,
and say so. Three schemes with long names made two tables overflow A4 before they wrapped.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard import testing
from simpolicy.report import build_report

ROOT = Path(__file__).resolve().parents[1]
A4_TEXT_WIDTH_PX = round((210 - 24) / 25.4 * 96)  # A4 minus the report's 12 mm print margins
A4_TEXT_HEIGHT_PX = round((297 - 28) / 25.4 * 96)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict]:
    d = tmp_path_factory.mktemp("layout")
    r = subprocess.run([sys.executable, "-m", "simpolicy.cli.main", "compare", "flanders", "austria",
                        "denmark_copi_proposal",
                        "--population", "estonia", "--reps", "2", "--out", str(d / "cmp"), "--json"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return build_report(d / "cmp", d / "report.html").html, json.loads(r.stdout)


def test_schemes_on_one_population_run_the_longest_horizon(report):
    _, out = report
    assert out["decision"]["horizon"] == "10 years"
    assert {row["horizon_months"] for row in out["decision"]["rows"]} == {120}
    assert all(row["paired_with_best"] in (True, None) for row in out["decision"]["rows"])


def test_the_decision_table_comes_first_and_the_schemes_are_an_appendix(report):
    html = report[0].read_text()
    sections = re.findall(r'<section id="([^"]+)"', html)
    assert sections[0] == "summary" and sections[-3:] == ["schemes", "limits", "provenance"]
    assert html.index('<table class="decision">') < html.index("<table", html.index('id="question"'))
    assert html.index('<table class="decision">') == html.index("<table")  # the first table
    assert "Appendix A: The schemes" in html and "Appendix C: Provenance" in html
    summary = html[html.index('id="summary"'):html.index('id="question"')]
    assert "Reading." in summary and "Horizon 10 years" in summary
    assert "90 % CI of the mean" in summary and 'id="decision-chart"' in summary
    assert 'id="glossary"' in html and "Deadweight" in html


@pytest.mark.browser
def test_no_table_is_wider_than_a4_and_the_decision_table_is_on_page_one(report):
    if testing.find_browser() is None:
        pytest.fail("chromium and chromedriver are needed (make system-deps)")
    d = testing.chrome(report[0].parent)
    try:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": A4_TEXT_WIDTH_PX, "height": A4_TEXT_HEIGHT_PX, "deviceScaleFactor": 1,
            "mobile": False})
        d.get(report[0].resolve().as_uri())
        testing.wait_for(lambda: d.execute_script(
            "return document.querySelectorAll('.js-plotly-plot').length > 0"), 30,
            message="figures to draw")
        time.sleep(0.5)
        got = d.execute_script("""
            var w = document.querySelector('main').clientWidth, out = {w: w, wide: []};
            document.querySelectorAll('table').forEach(function (t) {
              var r = t.getBoundingClientRect();
              if (r.width > w + 1) out.wide.push([t.closest('section').id, r.width]); });
            var dt = document.querySelector('table.decision').getBoundingClientRect();
            out.bottom = dt.bottom + window.scrollY; return out;""")
    finally:
        d.quit()
    assert got["w"] <= A4_TEXT_WIDTH_PX and got["wide"] == []
    assert got["bottom"] < A4_TEXT_HEIGHT_PX
