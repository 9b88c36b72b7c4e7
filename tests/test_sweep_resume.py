"""Resume: a study killed with SIGKILL (or stopped with Ctrl-C) and resumed equals an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest
from test_sweep_support import cli, digest, popen, write_spec

from simpolicy.cli.main import main
from simpolicy.experiments.study import plan_study, run_study
from simpolicy.results import load


def _finished(tmp_path_factory, name: str, **size):
    """A spec and its uninterrupted result (run in this process)."""
    d = tmp_path_factory.mktemp(name)
    spec = write_spec(d, name, **size)
    full = d / "full"
    run_study(plan_study(spec), full, workers=1, notify=lambda m: None)
    return spec, full


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A 40-run spec and its uninterrupted result."""
    return _finished(tmp_path_factory, "resume", reps=20)


def _parts(out: Path) -> int:
    return len(list((out / "parts").glob("part-*.parquet"))) if (out / "parts").is_dir() else 0


def _wait_for_parts(p, out: Path, n: int = 1, timeout: float = 120) -> None:
    t0 = time.time()
    while _parts(out) < n:
        assert p.poll() is None, f"sweep ended before it could be stopped: {p.communicate()}"
        assert time.time() - t0 < timeout, "no part written in time"
        time.sleep(0.05)


def test_sigkill_then_resume_equals_uninterrupted(study, tmp_path):
    spec, full = study
    cut = tmp_path / "cut"
    p = popen("sweep", spec, "--workers", "2", "--batch-size", "2", "--out", cut)
    _wait_for_parts(p, cut)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    n_before = digest(cut)[0]
    assert 0 < n_before < 40, "the kill should land mid-study"
    assert json.loads((cut / "manifest.json").read_text())["status"] == "running"
    r = cli("sweep", spec, "--workers", "2", "--out", cut, "--resume")
    assert r.returncode == 0, r.stderr
    assert digest(cut) == digest(full)
    m = json.loads((cut / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["sessions"]) == 2
    assert m["sessions"][1]["runs"] == 40 - n_before
    assert not list(cut.rglob(".*.tmp-*")) and not (cut / ".lock").exists()


@pytest.fixture(scope="module")
def long_study(tmp_path_factory):
    """A study long enough (60 runs of 4 years) that an interrupt lands before it ends."""
    return _finished(tmp_path_factory, "interrupt", reps=30, years=4)


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(long_study, tmp_path):
    spec, full = long_study
    cut = tmp_path / "cut"
    p = popen("sweep", spec, "--workers", "1", "--batch-size", "2", "--out", cut)
    _wait_for_parts(p, cut, n=2)  # running steadily, well past start-up
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Traceback" not in err
    assert f"--resume --out {cut}" in err
    assert json.loads((cut / "manifest.json").read_text())["status"] == "interrupted"
    r = cli("sweep", spec, "--out", cut, "--resume", "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert digest(cut) == digest(full)


def test_changed_spec_refuses_to_resume(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the default folder is results/<study-id> under the working folder
    spec = write_spec(tmp_path, "changing", reps=1)
    assert main(["sweep", str(spec), "--workers", "1"]) == 0
    assert main(["sweep", str(spec), "--workers", "1"]) == 2
    assert "add --resume" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--workers", "1", "--resume"]) == 0  # nothing left to do
    capsys.readouterr()
    spec.write_text(spec.read_text().replace("replications: 1", "replications: 2"))
    assert main(["sweep", str(spec), "--workers", "1", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "different spec" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    # with an explicit folder too
    spec2 = write_spec(tmp_path, "explicit", reps=1)
    assert main(["sweep", str(spec2), "--workers", "1", "--out", str(tmp_path / "x")]) == 0
    spec2.write_text(spec2.read_text().replace("base_seed: 3", "base_seed: 4"))
    capsys.readouterr()
    assert main(["sweep", str(spec2), "--out", str(tmp_path / "x"), "--resume"]) == 2
    assert "different spec" in capsys.readouterr().err


def test_series_of_runs_cut_short_are_not_stored_twice(tmp_path):
    """A kill between a batch's series part and its rows part leaves series without rows."""
    text = write_spec(tmp_path, "ts", reps=4).read_text() + "timeseries: [adopters]\n"
    spec = write_spec(tmp_path, "ts", text=text)
    full, cut = tmp_path / "full", tmp_path / "cut"
    run_study(plan_study(spec), full, workers=1, batch_size=4, notify=lambda m: None)
    run_study(plan_study(spec), cut, workers=1, batch_size=2, notify=lambda m: None)
    gone = {f"part-{index:09d}.parquet" for index in (0, 2)}
    for name in gone:  # the rows of runs 0-3 never made it to disk, nor into the manifest
        (cut / "parts" / name).unlink()
    m = json.loads((cut / "manifest.json").read_text())
    for kind in ("parts", "timeseries"):
        m["parts"][kind] = [e for e in m["parts"][kind] if e["file"] not in gone]
    (cut / "manifest.json").write_text(json.dumps(m))
    res = run_study(plan_study(spec), cut, workers=1, batch_size=4, resume=True, notify=lambda m: None)
    assert res.complete and res.new_runs == 4
    assert digest(cut) == digest(full)
    key = ["run_id", "month"]
    a = load(cut)["timeseries"].sort_values(key).reset_index(drop=True)
    b = load(full)["timeseries"].sort_values(key).reset_index(drop=True)
    assert not a.duplicated(key).any()
    pd.testing.assert_frame_equal(a, b)
