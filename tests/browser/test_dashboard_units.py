"""The dashboard's pure parts without a browser: jobs, data access, edits, texts, figures.

They run in the fast suite (no ``browser`` mark) and pin the rules the pages rely on: runs
go through ``simulate`` and are cached, cancelled jobs stop, uploads and study ids are
checked, the downloaded what-if is a valid scenario, and builders draw what they are given.
"""

from __future__ import annotations

import base64
import os
import time

import numpy as np
import pandas as pd
import pytest

from dashboard import edits
from dashboard.config import MAX_UPLOAD_BYTES, DashboardConfig
from dashboard.context import AppContext
from dashboard.data import Catalogue, StudyRefused, StudyStore, decode_upload
from dashboard.describe import describe_markdown
from dashboard.jobs import JobRegistry, JobStatus
from dashboard.polling import next_news
from dashboard.summaries import key_figures, outcome_table, summarise
from dashboard.whatif_view import change_table
from simpolicy import load_scenario
from simpolicy.analysis.study_figures import (
    outcome_scatter,
    parallel_coordinates,
    sensitivity_bars,
    tidy_sensitivity,
)
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.loader import scenario_dir


def _wait(jobs: JobRegistry, job: str, timeout: float = 120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        snap = jobs.snapshot(job)
        if snap.finished:
            return snap
        time.sleep(0.05)
    raise TimeoutError(job)


@pytest.fixture(scope="module")
def small():
    return {n: load_scenario(n, {"horizon_years": 0.5}) for n in ("estonia", "lithuania")}


def test_a_job_runs_every_scheme_and_seed_and_caches_them(small):
    jobs = JobRegistry(workers=0)
    snap = _wait(jobs, jobs.submit(small, [0, 1]))
    assert snap.state == "done" and snap.done == snap.total == 4
    assert set(snap.runs["scenario"]) == set(small) and set(snap.runs["seed"]) == {0, 1}
    assert (snap.runs["status"] == "ok").all()
    columns = set(snap.timeseries.columns)
    assert {"month", "adopters", "adopters_counterfactual", "scenario", "seed"} <= columns
    again = jobs.submit(small, [0, 1])  # every run cached: done at once, same numbers
    snap2 = jobs.snapshot(again)
    assert snap2.state == "done"
    pd.testing.assert_frame_equal(snap.runs.drop(columns="run_id"), snap2.runs.drop(columns="run_id"))
    jobs.shutdown()


def test_runs_sharing_a_counterfactual_go_to_the_same_worker(small):
    """A seed's counterfactual is memoised in the worker that ran it: the seed must go back there."""
    jobs = JobRegistry(workers=2)
    base = small["estonia"]
    edited = base.model_copy(update={"name": "estonia edited"})
    try:
        snap = _wait(jobs, jobs.submit({"a": base, "b": edited}, [0, 1, 2, 3]))
        assert snap.done == 8 and (snap.runs["status"] == "ok").all()
        slots = {seed: jobs._slot(base, seed) for seed in range(4)}
        assert all(jobs._slot(edited, seed) == slots[seed] for seed in range(4))  # same population
        assert slots[0] == slots[2] != slots[1] == slots[3]  # seeds alternate between workers
        pids = {slot: jobs._executor(slot).submit(os.getpid).result(timeout=60) for slot in (0, 1)}
        assert pids[0] != pids[1]
    finally:
        jobs.shutdown()


def test_the_same_scenario_twice_in_a_job_runs_once(small):
    jobs = JobRegistry(workers=0)
    est = small["estonia"]
    snap = _wait(jobs, jobs.submit({"a": est, "b": est}, [7]))
    assert snap.done == 2 and len(jobs._jobs[snap.id].futures) == 1
    a, b = (snap.runs[snap.runs["scenario"] == k].iloc[0] for k in ("a", "b"))
    assert a["adopters"] == b["adopters"]
    jobs.shutdown()


def test_a_cancelled_job_stops_and_keeps_what_finished(small):
    jobs = JobRegistry(workers=0)
    job = jobs.submit(small, list(range(100, 130)))
    assert jobs.cancel(job)
    snap = jobs.snapshot(job)
    assert snap.state == "cancelled" and snap.done < snap.total
    time.sleep(0.5)
    assert jobs.snapshot(job).done == snap.done  # nothing arrives after the cancel
    assert not jobs.cancel(job)
    jobs.shutdown()


def test_news_waits_for_the_last_drawing_unless_the_job_ended():
    running = JobStatus("running", 1, 4, 3, 0.5)
    assert next_news("j", running, None, None, now=10) == (False, "j:3@10.000")
    # the drawing of j:2 is still on its way
    assert next_news("j", running, "j:2@9.000", "j:1@8.000", now=10) == (False, None)
    assert next_news("j", running, "j:2@8.000", "j:2@8.000", now=10) == (False, "j:3@10.000")
    # drawn, but announced a moment ago: wait, so drawing does not starve the simulations
    assert next_news("j", running, "j:2@9.800", "j:2@9.800", now=10) == (False, None)
    assert next_news("j", running, "j:3@8.000", "j:2@7.000", now=10) == (False, None)  # nothing new
    # finished: the final drawing at once, even right after another one
    done = JobStatus("done", 4, 4, 4, 1.0)
    assert next_news("j", done, "j:2@9.900", "j:1@9.000", now=10) == (True, "j:4@10.000")
    assert next_news("k", running, "j:9@9.990", "j:1@1.000", now=10) == (False, "k:3@10.000")  # another job
    assert next_news("j", None, None, None) == (True, None)


def test_no_drawing_is_announced_just_before_the_final_one():
    """A job that should end within half the gap is left to its final drawing."""
    drawn = "j:2@7.000"  # drawn, and announced long enough ago
    soon = JobStatus("running", 3, 4, 3, 3.0, eta=0.9)
    later = JobStatus("running", 3, 4, 3, 3.0, eta=1.1)
    assert next_news("j", soon, drawn, drawn, now=10) == (False, None)
    assert next_news("j", later, drawn, drawn, now=10) == (False, "j:3@10.000")
    assert next_news("j", JobStatus("running", 3, 4, 3, 3.0), drawn, drawn, now=10) == (False, "j:3@10.000")
    assert next_news("k", soon, drawn, drawn, now=10) == (False, "k:3@10.000")  # a new job: at once
    assert next_news("j", soon._replace(state="done", eta=None), drawn, drawn, now=10) == (True, "j:3@10.000")


def test_the_expected_end_counts_only_runs_simulated_for_the_job(small):
    """Runs served from the cache arrive at once; counting them would promise an early end."""
    jobs = JobRegistry(workers=0)
    _wait(jobs, jobs.submit({"estonia": small["estonia"]}, [0, 1]))
    job = jobs.submit(small, [0, 1])  # estonia's two runs come from the cache
    status = jobs.status(job)
    assert status.done >= 2 and status.total == 4
    if status.state == "running" and status.done == 2:
        assert status.eta is None  # no pace before a run of its own finished
    paces = []
    while (status := jobs.status(job)).state == "running":
        if status.done == 3:  # one run of its own: the other should take as long
            paces.append(status.eta / status.elapsed)
        time.sleep(0.005)
    assert paces and all(p == pytest.approx(1.0) for p in paces)  # 1/3 if cached runs counted
    assert status.eta is None and jobs.snapshot(job).done == 4
    jobs.shutdown()


def _data_url(text: str) -> str:
    return "data:application/x-yaml;base64," + base64.b64encode(text.encode()).decode()


def test_uploads_are_parsed_safely_with_located_problems(tmp_path):
    cat = Catalogue()
    good = (scenario_dir() / "estonia.yaml").read_text().replace("name: estonia", "name: my_estonia", 1)
    ref, sc = cat.add_upload(_data_url(good), "../../etc/mine.yaml")
    assert ref == "upload:my_estonia" and sc.name == "my_estonia"
    assert ref in cat.refs() and cat.load(ref, {"horizon_years": 1}).horizon_years == 1
    with pytest.raises(InputError) as e:
        cat.add_upload(_data_url(good.replace("horizon_years", "horizon_yeers", 1)), "bad.yaml")
    assert any(str(p).startswith("bad.yaml:") and "horizon_yeers" in str(p) for p in e.value.problems)
    with pytest.raises(InputError) as e:
        cat.add_upload(_data_url(good + "\nx: !!python/object/apply:os.system ['true']\n"), "tag.yaml")
    assert "not allowed" in str(e.value)
    with pytest.raises(InputError, match="larger than"):
        decode_upload(_data_url("#" * (MAX_UPLOAD_BYTES + 1)), "big.yaml")
    with pytest.raises(InputError):
        decode_upload("not a data url", "x.yaml")
    with pytest.raises(InputError, match="no such bundled"):
        cat.load("/etc/passwd")


def test_studies_open_only_inside_the_results_folder(tmp_path, small):
    from simpolicy.experiments.compare import compare_scenarios

    compare_scenarios(small, reps=2).save(tmp_path / "cmp")
    (tmp_path.parent / "outside").mkdir(exist_ok=True)
    store = StudyStore(tmp_path)
    assert [s["id"] for s in store.list()] == ["cmp"]
    data = store.load("cmp")
    assert len(data["runs"]) == 4 and store.load("cmp") is data  # cached until files change
    for bad in ("..", "../outside", "/etc", "cmp/../..", "", "nope", ".hidden", "a/b"):
        with pytest.raises(StudyRefused):
            store.path(bad)


def test_the_what_if_download_is_a_valid_scenario_with_the_edits(tmp_path):
    base = load_scenario("denmark_copi_proposal")
    values = edits.current_values(base)
    assert edits.changes(base, values) == {}
    values["scheme.instruments.value_chain.rate"] = 0.7
    values["scheme.instruments.value_chain.internal_costs"] = []
    values["scheme.instruments.value_chain.themes"] = ["energy"]
    values["behaviour.risk_aversion"] = 2.5
    changed = edits.changes(base, values)
    assert changed == {"scheme.instruments.value_chain.rate": 0.7,
                       "scheme.instruments.value_chain.internal_costs": False,
                       "scheme.instruments.value_chain.themes": ["energy"], "behaviour.risk_aversion": 2.5}
    scaling = edits.scaling_instrument(250_000, 0.4, [])
    edited = edits.apply(base, changed, scaling)
    path = tmp_path / "w.yaml"
    path.write_text(edits.to_yaml(edited, base, changed, scaling))
    back = load_scenario(path)
    inst = {i.id: i for i in back.scheme.instruments}
    assert inst["value_chain"].rate == 0.7 and inst["value_chain"].themes == ["energy"]
    assert inst[edits.SCALING_ID].type == "diffusion_grant" and back.behaviour.risk_aversion == 2.5
    unchanged = edits.to_yaml(base, base, {}, None)
    assert "behaviour:" not in unchanged  # follows the shared, calibrated behaviour file
    with pytest.raises(InputError):
        edits.apply(base, {"scheme.instruments.value_chain.rate": 1.5})


def test_every_bundled_scenario_reads_in_plain_language():
    for name in ("denmark_copi_proposal", "denmark_baseline", "flanders", "uk_sbri"):
        sc = load_scenario(name)
        text = describe_markdown(sc)
        assert sc.country in text and "Population" in text and "Behavioural assumptions" in text
        for inst in sc.scheme.instruments:
            assert f"**{inst.id}**" in text


def test_summaries_and_change_table_from_runs(small):
    jobs = JobRegistry(workers=0)
    snap = _wait(jobs, jobs.submit(small, [0, 1, 2]))
    summary = summarise(snap.runs)
    table = outcome_table(summary, list(small))
    assert {"outcome", "estonia", "estonia: vs no scheme"} <= set(table.columns) and len(table) >= 25
    figures = key_figures(summary, list(small))
    assert [f["scheme"] for f in figures] == list(small)
    assert [i["title"] for i in figures[0]["items"]][1] == "Deadweight"
    same = change_table(snap.runs, "estonia", "estonia", raw=True)
    assert (same["change_mean"].fillna(0) == 0).all()  # an unchanged scheme changes nothing
    assert summarise(snap.runs.iloc[0:0]).empty
    jobs.shutdown()


def _study_frame(n=40):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 1, n), rng.uniform(1, 3, n)
    return pd.DataFrame({"run_id": range(n), "scenario": ["x"] * (n // 2) + ["y"] * (n - n // 2),
                         "seed": range(n), "status": "ok", "p.rate": a, "behaviour.risk_aversion": b,
                         "adopters": 10 + 5 * a - b + rng.normal(0, 0.1, n), "deadweight_share": a / 2})


def test_study_figures_draw_what_they_are_given():
    runs = _study_frame()
    fig = outcome_scatter(runs, "p.rate", "adopters")
    assert {t.name for t in fig.data} == {"x", "y"} and sum(len(t.x) for t in fig.data) == len(runs)
    fig = outcome_scatter(runs, "p.rate", "adopters", colour_by="behaviour.risk_aversion")
    assert len(fig.data) == 1 and fig.data[0].marker.colorscale
    fig = outcome_scatter(runs, "scenario", "deadweight_share")
    assert fig.layout.xaxis.type == "category"
    pc = parallel_coordinates(runs, ["p.rate", "behaviour.risk_aversion"], "adopters")
    assert pc.data[0].type == "parcoords" and len(pc.data[0].dimensions) == 3


def test_sensitivity_in_tidy_or_wide_form():
    tidy = pd.DataFrame({"scenario": "x", "outcome": "adopters", "parameter": ["a", "a", "b", "b"],
                         "index": ["mu_star", "sigma", "mu_star", "sigma"], "value": [2.0, 1.0, 0.5, 0.2],
                         "conf": [0.3, np.nan, 0.1, np.nan], "method": "morris"})
    wide = pd.DataFrame({"outcome": "adopters", "name": ["a", "b"], "S1": [0.6, 0.2], "S1_conf": [0.1, 0.05],
                         "ST": [0.7, 0.3], "ST_conf": [0.1, 0.1]})
    assert len(tidy_sensitivity(tidy)) == 4 and len(tidy_sensitivity(wide)) == 4
    assert set(tidy_sensitivity(wide)["index"]) == {"S1", "ST"}
    fig = sensitivity_bars(tidy, "adopters")
    assert [t.name for t in fig.data] == ["mu_star", "sigma"]
    assert list(fig.data[0].y)[0].startswith("a")  # the parameter that matters most first
    assert not sensitivity_bars(tidy, "followers").data
    assert tidy_sensitivity(pd.DataFrame()).empty


def test_the_app_builds_without_loading_anything(tmp_path):
    from dashboard.app import create_app, page_for, query

    app = create_app(DashboardConfig(results_dir=tmp_path, workers=0))
    assert isinstance(app.simpolicy, AppContext) and app.simpolicy.jobs._pools == {}
    layout = str(app.layout).lower()
    for word in ("compare", "what-if", "studies", "scenario"):
        assert word in layout
    assert page_for("/").PATH == "/compare" and page_for("/nope") is None
    assert query("?study=a&evil=b&scenario=c") == {"study": "a", "scenario": "c"}


def test_study_filters_and_defaults():
    from dashboard import study_view as sv

    runs = _study_frame()
    runs.loc[0, "status"] = "failed"
    assert sv.parameters(runs) == ["p.rate", "behaviour.risk_aversion"]
    lo, hi = sv.span_of(runs, "p.rate")
    assert 0 <= lo < hi <= 1
    kept = sv.filter_runs(runs, ["x"], "p.rate", [0.2, 0.6])
    assert set(kept["scenario"]) == {"x"} and kept["p.rate"].between(0.2, 0.6).all()
    assert 0 not in set(sv.filter_runs(runs, None, None, None)["run_id"])  # failed runs left out
    assert sv.parallel_dims(runs, "adopters") == ["p.rate", "behaviour.risk_aversion"]
    sens = pd.DataFrame({"outcome": ["followers"], "parameter": ["p.rate"], "index": ["ST"], "value": [0.4]})
    assert sv.default_outcome(["adopters", "followers"], sens) == "followers"
    assert sv.default_outcome(["adopters", "followers"], pd.DataFrame()) == "adopters"
