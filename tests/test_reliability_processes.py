"""Bounded work and no leaked processes (issue 16, items 7, 9 and 10).

- One click may queue at most ``MAX_RUNS_PER_JOB`` runs; older jobs are cancelled so that at
  most ``MAX_QUEUED_RUNS`` wait; cancel stops the worker of the run in progress.
- Scenario files are stat-ed first: a FIFO, ``/dev/zero`` or a file over the limit is
  refused before a byte is read.
- SIGTERM to the dashboard stops its forkserver and workers; SIGKILL to a sweep's main
  process takes its workers with it (``PR_SET_PDEATHSIG``).
- The server answers only for its own host names (421 otherwise: DNS rebinding) and a
  chunked body over the limit is 413, not 500.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from test_sweep_support import _env

from dashboard import jobs as jobs_mod
from dashboard import testing
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.loader import load_scenario, with_sets

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[1]


def _gone(pids: list[int], timeout: float = 15) -> list[int]:
    """The processes still alive after ``timeout`` seconds (zombies count as gone)."""
    deadline = time.time() + timeout
    alive = pids
    while time.time() < deadline:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return []
        time.sleep(0.2)
    return alive


# --- item 7: bounded work ---------------------------------------------------------------------

def test_one_click_may_not_queue_thousands_of_runs(monkeypatch):
    monkeypatch.setattr(jobs_mod, "MAX_RUNS_PER_JOB", 5)
    reg = jobs_mod.JobRegistry(workers=0)
    sc = with_sets(load_scenario("lithuania"), {"horizon_years": 1 / 12})
    with pytest.raises(InputError, match="6 runs in one go"):
        reg.submit({"a": sc, "b": sc}, [0, 1, 2])
    reg.shutdown()


def test_older_jobs_are_cancelled_to_keep_the_queue_bounded(monkeypatch):
    monkeypatch.setattr(jobs_mod, "MAX_QUEUED_RUNS", 6)
    reg = jobs_mod.JobRegistry(workers=0)
    sc = with_sets(load_scenario("lithuania"), {"horizon_years": 2})
    first = reg.submit({"a": sc}, list(range(5)))
    second = reg.submit({"b": sc}, list(range(5)))
    assert reg.status(first).state == jobs_mod.CANCELLED
    assert reg.status(second).state == jobs_mod.RUNNING
    reg.cancel(second)
    reg.shutdown()


def test_cancel_stops_the_run_in_progress():
    """Before: cancel dropped the waiting runs only; the running one went on to its end."""
    reg = jobs_mod.JobRegistry(workers=1)
    sc = with_sets(load_scenario("uk_sbri"), {"horizon_years": 30})  # several seconds of work
    job = reg.submit({"big": sc}, [0])
    fut = reg._jobs[job].futures[0]
    deadline = time.time() + 60
    while not fut.running() and time.time() < deadline:
        time.sleep(0.05)
    assert fut.running()
    pids = [p.pid for p in fut.pool._processes.values()]
    time.sleep(0.5)
    t0 = time.perf_counter()
    assert reg.cancel(job)
    assert _gone(pids, timeout=10) == []
    assert time.perf_counter() - t0 < 10
    reg.shutdown()


@pytest.mark.parametrize("special", ["fifo", "dev_zero", "huge", "directory"])
def test_scenario_files_are_stat_ed_before_reading(special, tmp_path):
    path = tmp_path / "s.yaml"
    if special == "fifo":
        os.mkfifo(path)  # reading it would wait forever for a writer
    elif special == "dev_zero":
        path = Path("/dev/zero")
    elif special == "huge":
        with open(path, "wb") as f:
            f.truncate(3_000_000_000)  # sparse: 3 GB that costs no disk
    else:
        path.mkdir()
    t0 = time.perf_counter()
    with pytest.raises(InputError) as e:
        load_scenario(str(path))
    assert time.perf_counter() - t0 < 2
    assert len(str(e.value).splitlines()) == 1


# --- item 9: no leaked processes --------------------------------------------------------------

def test_sigterm_to_the_dashboard_stops_its_workers(tmp_path):
    server = testing.start_server(tmp_path, workers=2)
    try:
        main = psutil.Process(server.process.pid)
        deadline = time.time() + 60
        while len(main.children(recursive=True)) < 3 and time.time() < deadline:  # forkserver + 2
            time.sleep(0.2)
        pids = [p.pid for p in main.children(recursive=True)]
        assert len(pids) >= 3, pids
        assert _chunked_post(server.url, 6_000_000) == 413  # item 10: before, HTTP 500
        os.kill(server.process.pid, signal.SIGTERM)  # the main process only, as systemd would
        server.process.wait(timeout=20)
        assert _gone(pids) == [], [psutil.Process(p).cmdline() for p in _gone(pids, 0)]
    finally:
        server.stop()


def _chunked_post(url: str, size: int) -> int:
    """POSTs ``size`` bytes with chunked transfer encoding (no Content-Length to check)."""
    import http.client
    from urllib.parse import urlparse

    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def body():
        for _ in range(size // 100_000):
            yield b" " * 100_000

    try:
        conn.request("POST", "/_dash-update-component", body=body(), encode_chunked=True,
                     headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        return conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        return 413  # the server answered 413 and closed before the whole body was sent
    finally:
        conn.close()


def test_sigkill_of_a_sweep_takes_its_workers_with_it(tmp_path):
    spec = tmp_path / "slow.yaml"
    spec.write_text("name: slow\nscenarios: [uk_sbri]\ndesign: grid\nreplications: 6\nbase_seed: 1\n"
                    "fixed:\n  horizon_years: 10\nparameters:\n  horizon_years: {levels: [9, 10]}\n")
    proc = subprocess.Popen([sys.executable, "-m", "simpolicy.cli.main", "sweep", str(spec), "--workers",
                             "2", "--batch-size", "6", "--out", str(tmp_path / "out")], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        main = psutil.Process(proc.pid)
        deadline = time.time() + 60
        while len(main.children()) < 2 and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # the workers are in their first batch
        pids = [p.pid for p in main.children(recursive=True)]
        assert len(pids) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert _gone(pids, timeout=10) == []
    finally:
        with_killpg(proc)


def with_killpg(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --- item 10: Host header and large bodies ----------------------------------------------------

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from dashboard.app import create_app
    from dashboard.config import DashboardConfig

    app = create_app(DashboardConfig.from_env(str(tmp_path_factory.mktemp("res")), 0))
    return app.server.test_client()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8050", "127.0.0.1.evil.example",
                                  "localhost.evil:80", "10.0.0.1"])
def test_foreign_host_headers_are_refused(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 421


@pytest.mark.parametrize("host", ["127.0.0.1:8050", "localhost:8050", "localhost", "[::1]:8050"])
def test_own_host_names_are_served(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


