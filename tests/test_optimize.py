"""``simpolicy optimize`` end to end: a tiny search, its study, determinism and resume (issue 19).

The search is the CO-PI proposal over one year (about 0.07 s a run): 3 generations of 4
designs with 2 replications, then the leading designs and the start with 3.
"""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
import pandas as pd
import pytest
from test_optimize_spec import GOOD
from test_sweep_support import cli, digest, popen

from simpolicy.cli.main import main
from simpolicy.experiments import pareto
from simpolicy.experiments.optdir import read_designs
from simpolicy.experiments.optimize import plan_search, run_search

FINAL = 3


def _search(spec, out, **kw):
    return run_search(plan_search(spec), out, notify=lambda m: None, **kw)


def _designs(out) -> pd.DataFrame:
    return read_designs(out)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("opt") / "tiny.yaml"
    path.write_text(GOOD)
    return path


@pytest.fixture(scope="module")
def full(spec, tmp_path_factory):
    """The uninterrupted search on one worker (this process)."""
    out = tmp_path_factory.mktemp("full") / "out"
    res = _search(spec, out, workers=1)
    assert res.complete and not res.failed
    return out


def test_cli_writes_a_study_with_a_front_and_reports_it(spec, full, tmp_path):
    out = tmp_path / "cli"
    r = cli("optimize", spec, "--workers", "1", "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["complete"] and answer["designs"][0]["origin"] == "start"
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "optimize" and m["status"] == "complete"
    assert m["counts"]["runs"] == digest(out)[0] and m["counts"]["failed"] == 0
    d = _designs(out)
    assert len(d) == 1 + 4 * 3  # the start and every design tried
    re = d[d["reevaluated"]]
    assert (re["n_runs"] == FINAL).all() and (d.loc[~d["reevaluated"], "search_n_runs"] == 2).all()
    for k in ("additional_adopters", "public_money_eur"):
        assert re[[k, f"{k}_ci_low", f"{k}_ci_high"]].notna().all().all()
        assert (re[f"{k}_ci_low"] <= re[k]).all() and (re[k] <= re[f"{k}_ci_high"]).all()
    goals = {"additional_adopters": "max", "public_money_eur": "min"}
    want = pareto.pareto_mask(pareto.losses(re, goals), re["feasible"].to_numpy())
    assert re["pareto"].tolist() == want.tolist() and re["pareto"].any()
    assert not d.loc[~d["reevaluated"], "pareto"].any()
    assert digest(out) == digest(full)  # a fresh process, the same rows
    assert main(["report", str(out), "-o", str(tmp_path / "rep" / "report.html")]) == 0
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "The front: effect against cost" in html and "as written" in html


def test_existing_search_needs_resume_or_force(spec, full, capsys):
    assert main(["optimize", str(spec), "--workers", "1", "--out", str(full)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--resume" in err[0] and "--force" in err[0], err


def test_two_workers_give_the_same_search(spec, full, tmp_path):
    out = tmp_path / "two"
    _search(spec, out, workers=2, batch_size=1)
    assert digest(out) == digest(full)
    pd.testing.assert_frame_equal(_designs(out), _designs(full))


def test_a_dask_cluster_gives_the_same_search(spec, full, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        out = tmp_path / "dask"
        res = _search(spec, out, scheduler=cluster.scheduler_address, batch_size=3)
    assert res.complete
    assert digest(out) == digest(full)
    pd.testing.assert_frame_equal(_designs(out), _designs(full))


class _StopAfter:
    """A progress callback that presses Ctrl-C once, after ``n`` runs are stored."""

    def __init__(self, n: int):
        self.n, self.fired = n, False

    def __call__(self, done, total, failed):
        if done >= self.n and not self.fired:
            self.fired = True
            raise KeyboardInterrupt


def test_interrupted_twice_then_resumed_gives_identical_rows(spec, full, tmp_path):
    """Stopped inside generation 0 and again inside generation 1: the resumed search must
    replay the sampler's asks and tells exactly, or its later designs differ."""
    out = tmp_path / "cut"
    first = _search(spec, out, workers=1, batch_size=2, progress=_StopAfter(3))
    assert first.interrupted and not first.complete
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    second = _search(spec, out, workers=1, batch_size=2, resume=True, progress=_StopAfter(11))
    assert second.interrupted and second.resumed and 8 < second.runs < 24
    assert main(["optimize", str(spec), "--workers", "2", "--out", str(out), "--resume"]) == 0
    assert digest(out) == digest(full)
    pd.testing.assert_frame_equal(_designs(out), _designs(full))
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["sessions"]) == 3


def test_ctrl_c_on_the_command_line_stops_cleanly_and_says_how_to_resume(spec, full, tmp_path, capsys):
    out = tmp_path / "sigint"
    p = popen("optimize", spec, "--workers", "1", "--batch-size", "1", "--out", out)
    t0 = time.time()
    while len(list(out.glob("parts/part-*.parquet"))) < 3:  # running steadily, past start-up
        assert p.poll() is None, p.communicate()
        assert time.time() - t0 < 120, "no part written in time"
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "--resume" in err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert main(["report", str(out)]) == 2  # an unfinished search has no front to report
    assert "not complete" in capsys.readouterr().err
    assert main(["optimize", str(spec), "--workers", "1", "--out", str(out), "--resume"]) == 0
    assert digest(out) == digest(full)


def test_a_design_reopens_as_the_scenario_its_runs_ran(full):
    """What the dashboard's builder opens: the stored scheme with the design's values."""
    from simpolicy.core import simulate
    from simpolicy.experiments.optdir import design_scenario

    d = _designs(full)
    runs = pd.read_parquet(full / "parts")
    for design in (0, int(d.loc[d["reevaluated"] & (d["origin"] != "start"), "design"].iloc[0])):
        stored = runs[(runs["design"] == design) & (runs["replication"] == 1)].iloc[0]
        res = simulate(design_scenario(full, design), int(stored["seed"]))
        for k in ("additional_adopters", "public_money_eur", "followers"):
            assert res.summary[k] == pytest.approx(stored[k], nan_ok=True), (design, k)


def test_hypervolume_history_is_recorded(full):
    m = json.loads((full / "manifest.json").read_text())
    hv = m["result"]["hypervolume"]
    assert len(hv) == 3 and np.all(np.diff(hv) >= -1e-12)  # the front only grows
