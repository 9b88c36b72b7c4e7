"""Studies survive crashes and bad disks without losing, duplicating or corrupting a row.

- SIGKILL at five random moments (during start-up and while parts are written), each time
  resumed, on one or two local workers: the final rows equal an uninterrupted run's.
- A Dask worker killed (SIGKILL) in the middle of a study on a LocalCluster: the study still
  completes with every row.
- A full disk (a tiny tmpfs) and a read-only results folder: one clear line on stderr,
  exit 1 or 2, every part written before intact, nothing half-written left, and the study
  finishes with ``--resume`` once there is room again. Where mounting is not allowed, the
  full disk is simulated in this process by making ``fsync`` fail with ENOSPC.

We run as root in CI, where ``chmod`` does not stop writes, so a read-only folder is a
read-only mount, not a mode.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from simpolicy.cli.main import main
from simpolicy.experiments.study import plan_study, run_study

ROOT = Path(__file__).resolve().parents[1]
NIGHTLY = os.environ.get("SIMPOLICY_NIGHTLY") == "1"
KILLS = 5
# Lithuania's PCP at a one-year horizon: about 0.1 s a run, and it funds projects.
SPEC = """\
name: {name}
scenarios: [lithuania]
design: grid
replications: {reps}
base_seed: 11
fixed:
  horizon_years: 1
parameters:
  scheme.instruments.pcp_lt.rate: {{levels: [0.5, 0.9]}}
"""
VOLATILE = {"elapsed_s", "worker"}  # the only columns that may differ between executions


def write_spec(folder: Path, name: str, reps: int) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, reps=reps))
    return path


def cli_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "simpolicy.cli.main", *map(str, args)]


def popen(*args) -> subprocess.Popen:
    """The CLI in its own session, so a kill reaches its worker processes too."""
    return subprocess.Popen(cli_cmd(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def cli(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cli_cmd(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def part_files(out: Path) -> list[Path]:
    return sorted((out / "parts").glob("part-*.parquet")) if (out / "parts").is_dir() else []


def rows(out: Path) -> pd.DataFrame:
    df = pd.concat([pd.read_parquet(p) for p in part_files(out)], ignore_index=True)
    return df.drop(columns=[c for c in VOLATILE if c in df.columns]).sort_values("run_id") \
        .reset_index(drop=True)


def assert_parts_sound(out: Path) -> int:
    """Every part is a whole Parquet file and no run id is stored twice; returns the rows."""
    ids: list[int] = []
    for p in part_files(out):
        ids += pq.read_table(p, columns=["run_id"]).column("run_id").to_pylist()
    assert len(ids) == len(set(ids)), "a run stored twice"
    return len(ids)


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if ".tmp" in p.name]


def assert_same_rows(out: Path, reference: Path) -> None:
    pd.testing.assert_frame_equal(rows(out), rows(reference))


def assert_one_line_error(rc: int, err: str, *words: str) -> None:
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc in (1, 2), (rc, err)
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert any(w.lower() in lines[0].lower() for w in words), lines[0]


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    """Two specs (60 and 16 runs) and their uninterrupted results, run in this process."""
    d = tmp_path_factory.mktemp("studies")
    out = {}
    for name, reps in (("crash", 30), ("disk", 8)):
        spec = write_spec(d, name, reps)
        ref = d / f"{name}-reference"
        res = run_study(plan_study(spec), ref, workers=1, notify=lambda m: None)
        assert res.complete and res.failed == 0
        out[name] = (spec, ref, res.total)
    return out


# --- SIGKILL ---------------------------------------------------------------------------

def _kill_at_random_moment(p: subprocess.Popen, out: Path, rng: random.Random, mode: str) -> str:
    """Waits for a random moment of the given kind, then SIGKILLs the whole process group."""
    if mode == "start-up":
        time.sleep(rng.uniform(0.2, 2.5))
    else:
        want = len(part_files(out)) + rng.randint(1, 3)
        t0 = time.time()
        while len(part_files(out)) < want and p.poll() is None and time.time() - t0 < 120:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
    if p.poll() is not None:
        return "ended by itself"
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    return f"killed ({mode}) with {len(part_files(out))} parts"


@pytest.mark.timeout(420)
def test_sigkill_five_times_then_resume_equals_uninterrupted(studies, tmp_path):
    spec, reference, total = studies["crash"]
    out = tmp_path / "study"
    rng = random.Random(None if NIGHTLY else 8)
    modes = ["start-up"] + ["writing"] * (KILLS - 1)
    rng.shuffle(modes)
    log = []
    for i, mode in enumerate(modes):
        args = ["sweep", spec, "--workers", 1 + i % 2, "--batch-size", 2, "--out", out]
        p = popen(*args, *(["--resume"] if out.exists() else []))
        log.append(_kill_at_random_moment(p, out, rng, mode))
        if out.exists():
            n = assert_parts_sound(out)  # after every kill: whole parts, nothing twice
            assert n < total, f"the study finished before kill {i + 1}: {log}"
    assert sum(x.startswith("killed") for x in log) == KILLS, log
    r = cli("sweep", spec, "--workers", 2, "--out", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert assert_parts_sound(out) == total
    assert_same_rows(out, reference)
    assert not temporaries(out), temporaries(out)
    assert not (out / ".lock").exists()


# --- a Dask worker dies ------------------------------------------------------------------

@pytest.mark.timeout(300)
def test_dask_worker_killed_mid_study_still_completes(studies, tmp_path):
    distributed = pytest.importorskip("distributed")
    spec, reference, total = studies["crash"]
    out = tmp_path / "study"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        p = popen("sweep", spec, "--scheduler", cluster.scheduler_address, "--batch-size", 2,
                  "--out", out)
        try:
            t0 = time.time()
            while len(part_files(out)) < 2 and p.poll() is None and time.time() - t0 < 120:
                time.sleep(0.05)
            assert p.poll() is None, p.communicate()
            victim = sorted(client.run(os.getpid).values())[0]
            os.kill(victim, signal.SIGKILL)  # the nanny starts a new worker; its batch is re-run
            _, err = p.communicate(timeout=240)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    assert p.returncode == 0, err
    assert assert_parts_sound(out) == total
    assert_same_rows(out, reference)


# --- full disk and read-only folder -------------------------------------------------------

@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A tmpfs of `size` mounted at `path`, or a skip where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True, capture_output=True)


@pytest.mark.timeout(240)
def test_full_disk_gives_one_line_error_and_keeps_earlier_parts(studies, tmp_path):
    spec, reference, total = studies["disk"]
    with tmpfs(tmp_path / "disk", "150k") as disk:
        out = disk / "study"
        r = cli("sweep", spec, "--workers", 1, "--batch-size", 2, "--out", out)
        assert_one_line_error(r.returncode, r.stderr, "no space", "ENOSPC", "disk full")
        written = assert_parts_sound(out)
        assert 0 < written < total, "the disk should fill up mid-study"
        assert not temporaries(out), f"half-written files left: {temporaries(out)}"
        remount(disk, "size=20m")
        r = cli("sweep", spec, "--workers", 1, "--out", out, "--resume")
        assert r.returncode == 0, r.stderr
        assert_same_rows(out, reference)


@pytest.mark.timeout(240)
def test_read_only_results_folder_gives_one_line_error(studies, tmp_path):
    spec, reference, total = studies["disk"]
    with tmpfs(tmp_path / "ro", "20m") as disk:
        out = disk / "study"
        p = popen("sweep", spec, "--workers", 1, "--batch-size", 2, "--out", out)
        _kill_at_random_moment(p, out, random.Random(3), "writing")
        before = {f.name: f.read_bytes() for f in part_files(out)}
        assert before, "no part written before the kill"
        if os.geteuid() == 0:
            remount(disk, "ro")  # root writes through any mode bits
        else:
            for d in (out, out / "parts"):
                d.chmod(0o555)
        r = cli("sweep", spec, "--workers", 1, "--out", out, "--resume")
        assert_one_line_error(r.returncode, r.stderr, "read-only", "permission", "EROFS")
        assert {f.name: f.read_bytes() for f in part_files(out)} == before
        if os.geteuid() == 0:
            remount(disk, "rw")
        else:
            for d in (out, out / "parts"):
                d.chmod(0o755)
        r = cli("sweep", spec, "--workers", 1, "--out", out, "--resume")
        assert r.returncode == 0, r.stderr
        assert_same_rows(out, reference)


@pytest.mark.timeout(180)
def test_enospc_in_process_keeps_earlier_parts_and_leaves_nothing_half_written(
        studies, tmp_path, monkeypatch):
    """The same full disk without mounting: every ``fsync`` fails from the fourth part on."""
    spec, reference, total = studies["disk"]
    out = tmp_path / "study"
    real_fsync, parts = os.fsync, []

    def failing_fsync(fd):
        if ".part-" in os.readlink(f"/proc/self/fd/{fd}"):
            parts.append(fd)
        if len(parts) >= 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["sweep", str(spec), "--workers", "1", "--batch-size", "2", "--out", str(out)])
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert_one_line_error(rc, err.getvalue(), "no space", "ENOSPC", "disk full")
    written = assert_parts_sound(out)
    assert 0 < written < total
    assert not temporaries(out), f"half-written files left: {temporaries(out)}"
    # resumed by a new process, as a user would (the failed one has exited; its lock is stale)
    r = cli("sweep", spec, "--workers", 1, "--out", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert_same_rows(out, reference)
