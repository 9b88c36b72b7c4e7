"""Command-line arguments that cannot lie, lose a study or hide a failure (issue 16).

- ``--set`` values are as strict as a scenario file's (no number given as text or as a
  boolean, YAML 1.2 readings) and a refused one is named as typed, one line, exit 2: before,
  ``--set behaviour.x=abc`` was reported as ``scenarios/behaviour.yaml:40: x: ...``, a line
  the user never wrote, and a scenario override as ``lithuania.yaml:0: ...``.
- ``sweep`` refuses a folder that holds something else unless ``--force``, as ``run`` does;
  ``--force`` replaces a previous result and leaves other files alone.
- ``sweep`` says why runs failed (stderr and ``--json``), as ``run`` and ``compare`` do.
- ``dashboard --host 0.0.0.0`` warns that it serves beyond this machine, and other machines
  reaching it by the LAN address are not refused by the Host header check.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from test_sweep_failures import CLASH
from test_sweep_support import write_spec

from dashboard import testing
from simpolicy.cli.main import main

RUN = ["run", "lithuania", "--reps", "1", "--years", "0.25", "--workers", "1", "--no-save"]

BAD_SETS = [
    ("behaviour.supplier_invest_share=abc", "expected a number, got text 'abc'"),
    ("behaviour.supplier_invest_share=true", "expected a number, got a boolean"),
    ("behaviour.supplier_invest_share='0.3'", "expected a number, got text '0.3'"),
    ("behaviour.supplier_invest_share=1:30", "YAML 1.1"),
    ("behaviour.no_such_thing=1", "unknown field"),
    ("horizon_years=abc", "expected a number, got text 'abc'"),
    ("horizon_years=yes", "YAML 1.1"),
    ("scheme.instruments.pcp_lt.rate=true", "expected a number, got a boolean"),
    ("scheme.instruments.0.rate=2", "less than or equal to 1"),
    ("population.buyers.0.count='12'", "expected a number, got text '12'"),
    ("scheme.instruments.nope.rate=0.2", "no list item 'nope'"),
    ("population.themes={it: abc}", "expected a number"),
    ("horizon_years", "expected path=value"),
]
BARE = ["run", "lithuania", "--reps", "1", "--workers", "1", "--no-save"]  # every case is refused


@pytest.mark.timeout(60)
@pytest.mark.parametrize("arg,why", BAD_SETS, ids=[a for a, _ in BAD_SETS])
def test_a_refused_set_value_names_the_argument(arg, why, capsys):
    capsys.readouterr()
    assert main([*BARE, "--set", arg]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"--set {arg}: ") and why in err[0], err[0]
    assert "behaviour.yaml" not in err[0] and "lithuania.yaml" not in err[0]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("args,why", [
    (["--set", "scheme.instruments.pcp_lt.rate=0.5", "--set", "scheme.instruments.pcp_lt.rate=0.6"],
     "given twice (also --set scheme.instruments.pcp_lt.rate=0.5)"),
    (["--years", "1", "--set", "horizon_years=abc"], "--years sets the horizon too"),
], ids=["twice", "years-and-set"])
def test_a_set_that_would_be_ignored_is_refused(args, why, capsys):
    """Before, the last value won silently, so ``--set horizon_years=abc`` beside ``--years``
    even passed as valid."""
    capsys.readouterr()
    assert main([*BARE, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("--set ") and why in err[0], err


@pytest.mark.timeout(60)
def test_calibrate_names_a_refused_set_too(capsys):
    capsys.readouterr()
    assert main(["calibrate", "--set", "behaviour.relevance_share=true"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["--set behaviour.relevance_share=true: expected a number, got a boolean"]


@pytest.mark.timeout(60)
def test_good_set_values_still_run(capsys):
    assert main([*RUN, "--json", "--set", "behaviour.supplier_invest_share=0.3",
                 "--set", "scheme.instruments.pcp_lt.rate=0.6"]) == 0
    assert json.loads(capsys.readouterr().out)["reps"] == 1


# --- sweep --force --------------------------------------------------------------------------

def _sweep(spec: Path, out: Path, *more: str) -> int:
    return main(["sweep", str(spec), "--workers", "1", "--out", str(out), *more])


def _run_ids(out: Path) -> list[int]:
    return sorted(pd.read_parquet(out / "parts")["run_id"])


@pytest.mark.timeout(120)
def test_sweep_refuses_a_folder_that_holds_something_unless_force(tmp_path, capsys):
    spec = write_spec(tmp_path, "f", reps=1, years=0.25)
    out = tmp_path / "study"
    assert _sweep(spec, out) == 0
    first = _run_ids(out)
    capsys.readouterr()
    assert _sweep(spec, out) == 2  # the same study again: --resume or --force
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0] and "--resume" in err[0]
    assert _sweep(spec, out, "--force") == 0
    assert _run_ids(out) == first  # replaced, not appended to: every run once
    with pytest.raises(SystemExit) as e:  # one or the other, never both
        _sweep(spec, out, "--force", "--resume")
    assert e.value.code == 2
    # a folder with someone's files: refused; with --force written beside them, never read
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    capsys.readouterr()
    assert _sweep(spec, mine) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "notes.txt" in err[0] and "--force" in err[0]
    assert not (mine / "manifest.json").exists()
    assert _sweep(spec, mine, "--force") == 0
    assert (mine / "notes.txt").read_text() == "keep me" and _run_ids(mine) == first


@pytest.mark.timeout(120)
def test_sweep_force_replaces_a_run_result(tmp_path, capsys):
    out = tmp_path / "was-a-run"
    assert main([*RUN[:-1], "--out", str(out)]) == 0
    spec = write_spec(tmp_path, "f", reps=1, years=0.25)
    capsys.readouterr()
    assert _sweep(spec, out) == 2
    assert "run result" in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["kind"] != "study"
    assert _sweep(spec, out, "--force") == 0
    assert json.loads((out / "manifest.json").read_text())["kind"] == "study"
    assert len(_run_ids(out)) == 2


# --- sweep says why runs failed ---------------------------------------------------------------

@pytest.mark.timeout(120)
def test_sweep_says_why_runs_failed(tmp_path, capsys):
    spec = write_spec(tmp_path, "clash", text=CLASH.format(name="clash", reps=1, years=0.25))
    capsys.readouterr()
    assert _sweep(spec, tmp_path / "a", "--json") == 1
    out = capsys.readouterr()
    errors = json.loads(out.out)["errors"]
    assert len(errors) == 1 and errors[0]["runs"] == 1
    assert "min_grant_eur is larger than max_grant_eur" in errors[0]["error"]
    assert errors[0]["scenarios"] == ["lithuania"]
    assert _sweep(spec, tmp_path / "b") == 1
    assert "min_grant_eur is larger than max_grant_eur" in capsys.readouterr().err


# --- dashboard --host beyond localhost -------------------------------------------------------

def _serve(results: Path, *args: str):
    port = testing.free_port()
    log = results.parent / f"dash-{port}.log"
    cmd = [sys.executable, "-m", "simpolicy.cli.main", "dashboard", "--port", str(port),
           "--results", str(results), "--workers", "0", *args]
    proc = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return proc, port, log
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError(f"no answer: {log.read_text()[-2000:]}")


def _status(port: int, host: str) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": f"{host}:{port}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.timeout(180)
def test_dashboard_on_all_interfaces_warns_and_serves_the_lan_name(tmp_path):
    from simpolicy.cli.dashboard import lan_addresses

    results = tmp_path / "results"
    results.mkdir()
    for args, beyond in (((), False), (("--host", "0.0.0.0"), True)):
        proc, port, log = _serve(results, *args)
        try:
            text = log.read_text()
            warnings = [x for x in text.splitlines() if x.startswith("WARNING")]
            assert bool(warnings) == beyond, text[-2000:]
            if beyond:
                assert "beyond this machine" in text and "no login" in text and "127.0.0.1" in text
                for addr in lan_addresses(v6=False):  # other machines send it as Host
                    assert f"{addr}:{port}" in text
                    assert _status(port, addr) == 200
            assert _status(port, "evil.example") == 421  # DNS rebinding is still refused
            assert _status(port, "localhost") == 200
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)


@pytest.mark.timeout(300)
def test_demo_says_why_runs_failed(tmp_path, monkeypatch, capsys):
    """Before: "N run(s) failed; their errors are in the results folders"."""
    import simpolicy.experiments.replicate as rep

    real = rep.simulate

    def flaky(scenario, seed=0):
        if scenario.name == "lithuania":
            raise ZeroDivisionError("float division by zero")
        return real(scenario, seed)

    monkeypatch.setattr(rep, "simulate", flaky)  # one worker runs in this process
    capsys.readouterr()
    assert main(["demo", "--reps", "2", "--set", "horizon_years=0.1", "--workers", "1",
                 "--out", str(tmp_path / "demo")]) == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError: float division by zero (lithuania" in err, err[-2000:]
