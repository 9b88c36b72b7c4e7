"""The report: builds for a run, a comparison and a study; every section and figure is there;
it opens offline (no external src/href, and no request at all in headless Chromium); the
PNG/SVG export writes real images; the demo writes one report of both of its comparisons.

Short horizons and 2-3 replications keep this fast; outcome values are never asserted (the
model is calibrated separately), only structure.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from simpolicy.analysis.figures import scheme_colours, timeseries_bands
from simpolicy.analysis.labels import fmt_value
from simpolicy.analysis.tables import band_frame, headline_table, parameter_columns
from simpolicy.experiments.compare import compare_scenarios
from simpolicy.report import build_report
from simpolicy.report.back import limits_markdown, markdown_html
from simpolicy.report.data import _tidy_sensitivity
from simpolicy.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("question", "schemes", "headline", "curves", "effects", "limits", "provenance")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("simpolicy")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "simpolicy.cli.main"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


class Refs(HTMLParser):
    """Every src/href attribute outside scripts (plotly.js's own strings are not requests)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


def external_refs(html: str) -> list[str]:
    parser = Refs()
    parser.feed(html)
    return [r for r in parser.refs if re.match(r"^(https?:|//|ftp:|ws)", r.strip(), re.I)]


def figure_ids(html: str) -> list[str]:
    return re.findall(r'<figure class="fig" id="([^"]+)"', html)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    sc = load_scenario("flanders", ["horizon_years=2"])
    cmp = compare_scenarios({"flanders": sc}, reps=2, seed=0, command="test: run flanders")
    return cmp.save(tmp_path_factory.mktemp("run") / "run")


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    r = cli("compare", "flanders", "austria", "--reps", "3", "--set", "horizon_years=2",
            "--workers", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def compare_report(compare_dir, tmp_path_factory) -> Path:
    html = tmp_path_factory.mktemp("rep") / "cmp.html"
    r = cli("report", str(compare_dir), "-o", str(html))
    assert r.returncode == 0, r.stderr
    assert str(html) in r.stdout
    return html


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    """A real, tiny Morris study (simpolicy sweep) with its sensitivity indices."""
    d = tmp_path_factory.mktemp("study")
    spec = d / "tiny.yaml"
    spec.write_text(
        "name: tiny\nscenarios: [flanders]\ndesign: morris\nsamples: 2\nreplications: 2\n"
        "base_seed: 1\nparameters:\n  horizon_years: {levels: [1, 2]}\n"
        "  scheme.instruments.pio_development_open.rate: {low: 0.3, high: 0.9}\n"
        "timeseries: [adopters]\n")
    r = cli("sweep", str(spec), "--out", str(d / "out"), "--workers", "2")
    assert r.returncode == 0, r.stderr
    return d / "out"


# --- pure helpers -----------------------------------------------------------------------

def test_scheme_colours_are_stable_and_distinct():
    a = scheme_colours(["flanders", "austria", "my_design", "other_design"])
    b = scheme_colours(["other_design", "my_design", "austria", "flanders"])
    assert a == b
    assert len(set(a.values())) == 4
    assert scheme_colours(["flanders@denmark_baseline"])["flanders@denmark_baseline"] == a["flanders"]


def test_fmt_value_units_and_undefined():
    assert fmt_value(0.25, "deadweight_share") == "25 %"
    assert fmt_value(2_500_000, "programme_spend_eur") == "EUR 2.5 m"
    assert fmt_value(float("nan"), "adopters") == "–"
    assert fmt_value(3.0, "adopters", signed=True).startswith("+")


def test_tables_from_results(run_dir):
    from simpolicy.results.store import load

    d = load(run_dir)
    b = band_frame(d["timeseries"], "adopters")
    assert {"scenario", "month", "mean", "p05", "p95", "cf_mean"} <= set(b.columns)
    assert (b["p05"] <= b["mean"] + 1e-9).all() and (b["mean"] <= b["p95"] + 1e-9).all()
    h = headline_table(d["manifest"]["summary"])
    assert {"scheme", "outcome", "mean", "p05", "p95", "diff_mean"} <= set(h.columns)
    assert parameter_columns(d["runs"]) == []
    fig = timeseries_bands(d["timeseries"], "adopters", counterfactual=True)
    assert fig.layout.xaxis.title.text and "buyers" in fig.layout.yaxis.title.text


def test_sensitivity_wide_form_is_tidied():
    wide = pd.DataFrame({"outcome": ["adopters"] * 2, "name": ["a", "b"], "S1": [0.1, 0.5],
                         "S1_conf": [0.01, 0.02], "ST": [0.2, 0.7], "ST_conf": [0.02, 0.03]})
    tidy = _tidy_sensitivity(wide)
    assert set(tidy["index"]) == {"S1", "ST"} and len(tidy) == 4
    assert tidy.loc[(tidy["parameter"] == "b") & (tidy["index"] == "ST"), "conf"].item() == 0.03


def test_limits_section_is_read_from_markdown_without_links():
    md = "# Model\n\ntext\n\n## Limits of the model\n\n- one [see](https://x.org)\n- two\n\n## Next\nno"
    body = limits_markdown(md)
    assert "one" in body and "two" in body and "Next" not in body
    html = markdown_html(body)
    assert "<li>" in html and "https://" not in html


# --- reports ----------------------------------------------------------------------------

def test_report_of_a_run(run_dir, tmp_path):
    rep = build_report(run_dir, tmp_path / "run.html")
    html = rep.html.read_text()
    for sec in SECTIONS:
        assert f'<section id="{sec}"' in html, sec
    assert len(rep.figures) >= 5
    assert figure_ids(html) == rep.figures
    assert html.count("Plotly.newPlot") == len(rep.figures)
    assert html.count("Plotly.newPlot") == len(rep.figures)
    assert html.count(get_plotlyjs()[:300]) == 1  # plotly.js embedded once
    assert "flanders" in html and "assumed" in html and "90 % interval" in html
    assert not external_refs(html)
    assert all(p.is_file() and p.stat().st_size > 0 for p in rep.csvs)


def test_report_of_a_comparison_from_the_cli(compare_report, compare_dir):
    html = compare_report.read_text()
    for sec in SECTIONS:
        assert f'<section id="{sec}"' in html, sec
    for fig in ("difference", "curve-adopters", "curve-adoptions", "curve-followers", "effects"):
        assert f'id="{fig}"' in html, fig
    assert "Per 100 buyers" in html  # own populations of different sizes
    assert "flanders" in html and "austria" in html
    manifest = json.loads((compare_dir / "manifest.json").read_text())
    for label, sc in manifest["scenarios"].items():
        assert sc["hash"] in html, label  # provenance: scenario hashes
    assert manifest["code_version"] in html and manifest["command"].split()[-1] in html
    assert not external_refs(html)
    csvs = sorted(p.name for p in compare_report.parent.glob("cmp-*.csv"))
    assert "cmp-headline.csv" in csvs and "cmp-curves.csv" in csvs
    head = pd.read_csv(compare_report.parent / "cmp-headline.csv")
    assert set(head["scheme"]) == {"flanders", "austria"}


def test_report_of_a_study(study_dir, tmp_path):
    rep = build_report(study_dir, tmp_path / "study.html")
    html = rep.html.read_text()
    for sec in (*SECTIONS, "study"):
        assert f'<section id="{sec}"' in html, sec
    assert any(f.startswith("study-") for f in rep.figures)  # effect of each parameter
    assert any(f.startswith("sens-") for f in rep.figures)  # sensitivity indices
    assert "pio development open › rate" in html
    assert (tmp_path / "study-sensitivity.csv").is_file()
    assert not external_refs(html)


def test_not_a_results_folder_exits_2_with_one_line(tmp_path):
    r = cli("report", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "not a results folder" in r.stderr
    assert "Traceback" not in r.stderr


# --- browser ----------------------------------------------------------------------------

def _page_requests(net_log: Path) -> list[str]:
    """http(s)/ws URLs the page asked for (the browser's own background requests excluded)."""
    d = json.loads(net_log.read_text())
    types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
    background, alive = set(), {}
    for e in d["events"]:
        t, p, src = types.get(e["type"]), e.get("params") or {}, e["source"]["id"]
        if t == "URL_REQUEST_START_JOB" and p.get("initiator") == "not an origin":
            background.add(src)
        if t == "REQUEST_ALIVE" and str(p.get("url", "")).startswith(("http:", "https:", "ws")):
            alive[src] = p["url"]
    return sorted(u for s, u in alive.items() if s not in background)


def _open_in_chromium(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    net_log = tmp_path / f"{page.stem}-net.json"
    r = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--log-net-log={net_log}",
         "--virtual-time-budget=8000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout, _page_requests(net_log)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make setup installs it)")
def test_report_makes_no_request_in_headless_chromium(compare_report, tmp_path):
    control = tmp_path / "control.html"
    control.write_text('<html><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    _, requests = _open_in_chromium(control, tmp_path)
    assert requests == ["http://127.0.0.1:9/x.png"]  # the check sees a page's requests

    dom, requests = _open_in_chromium(compare_report, tmp_path)
    assert requests == []
    drawn = dom.count('class="plot-container plotly"')
    assert drawn == len(figure_ids(compare_report.read_text())) and drawn >= 3


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make setup installs it)")
def test_png_and_svg_export(compare_dir, tmp_path):
    figs = tmp_path / "figs"
    r = cli("report", str(compare_dir), "-o", str(tmp_path / "r.html"), "--png", str(figs))
    assert r.returncode == 0, r.stderr
    ids = figure_ids((tmp_path / "r.html").read_text())
    for fig_id in ids:
        png, svg = figs / f"{fig_id}.png", figs / f"{fig_id}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000, fig_id
        assert b"<svg" in svg.read_bytes()[:500], fig_id


# --- demo -------------------------------------------------------------------------------

@pytest.mark.slow
def test_demo_writes_one_report_of_both_comparisons(tmp_path):
    r = cli("demo", "--reps", "2", "--set", "horizon_years=1", "--workers", "2", "--out",
            str(tmp_path / "demo"), timeout=600)
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "demo" / "report.html").read_text()
    assert 'id="part-1"' in html and 'id="part-2"' in html
    assert "population of Denmark" in html
    assert (tmp_path / "demo" / "home" / "manifest.json").is_file()
    assert (tmp_path / "demo" / "denmark_baseline" / "manifest.json").is_file()
    assert "report.html" in r.stdout and "dashboard" in r.stdout
    assert not external_refs(html)
