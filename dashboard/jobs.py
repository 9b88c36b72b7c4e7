"""Background runs: a server-side job registry over a process pool, polled by the pages.

Why not Dash's background callbacks: they need a cache backend (diskcache or Celery) that
the project does not install, and they return one value at the end. A page here starts a
job, keeps only its id, and polls with ``dcc.Interval``; each poll returns what has finished
so far, so curves appear with the first replications and sharpen as more arrive, progress is
exact and a job can be cancelled. Runs happen in other processes, so the web server stays
responsive. Every run goes through ``simpolicy.simulate`` (via ``run_task``) and is cached by
(scenario hash, seed): the unchanged scheme of a what-if is simulated once, not per click.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing as mp
import threading
import time
import uuid
import zlib
from collections import OrderedDict
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from simpolicy.core import counterfactual_key
from simpolicy.experiments.compare import scenario_hash
from simpolicy.experiments.replicate import RunTask, run_task
from simpolicy.scenario.errors import InputError, Problem
from simpolicy.scenario.loader import ensure_behaviour
from simpolicy.scenario.schema import Scenario

from . import memory

RUNNING, DONE, CANCELLED = "running", "done", "cancelled"


class JobStatus(NamedTuple):
    """What a poll needs to know about a job, cheap to get."""

    state: str
    done: int
    total: int
    version: int
    elapsed: float  # seconds since it started (to its end, once it ended)
    eta: float | None = None  # seconds until it should end, at the pace of the runs it ran so far
_ID_KEYS = ("run_id", "scenario", "seed")
MAX_RUNS_PER_JOB = 2_000  # one click: 13 bundled schemes x 150 replications fit; 5,200 do not
MAX_QUEUED_RUNS = 4_000  # waiting in all jobs: older running jobs are cancelled to make room


def simulate_one(scenario: Scenario, seed: int) -> tuple[dict, pd.DataFrame | None]:
    """One run (scheme and counterfactual) in a worker: outcome row and monthly series.

    Ids are stripped so that a cached result can be relabelled for any job.
    """
    row, ts = run_task(RunTask(0, "", scenario, seed), keep_timeseries=True)
    row = {k: v for k, v in row.items() if k not in _ID_KEYS and k != "traceback"}
    if str(row.get("error", "")).startswith("MemoryError"):  # the worker's limit, said plainly
        row["error"] = memory.out_of_memory_message()
    if ts is not None:
        ts = ts.drop(columns=list(_ID_KEYS), errors="ignore")
    return row, ts


def _warm() -> bool:
    """Imports the model in a worker so the first real run does not pay for it.

    What is imported lives as long as the worker, so it is moved out of the collector's
    sight (``gc.freeze``): collections between runs need not walk it again.
    """
    import simpolicy.core  # noqa: F401

    gc.freeze()
    return True


@dataclass
class Snapshot:
    """What a page draws: the runs finished so far, as tidy frames.

    ``runs`` has one row per finished run (scenario label, seed, outcomes, ``cf_*``,
    status, error); ``timeseries`` has the monthly series with scenario and seed.
    """

    id: str
    state: str
    done: int
    total: int
    version: int
    elapsed_s: float
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state != RUNNING


@dataclass
class _Job:
    id: str
    tasks: list[tuple[str, Scenario, int, tuple]]
    meta: dict
    started: float = field(default_factory=time.perf_counter)
    results: dict[int, tuple[dict, pd.DataFrame | None]] = field(default_factory=dict)
    ran: int = 0  # results that were simulated for this job (not taken from the cache)
    futures: list[Future] = field(default_factory=list)
    state: str = RUNNING
    version: int = 0
    finished_at: float | None = None
    _snap: Snapshot | None = None


class JobRegistry:
    """Starts, tracks and cancels background runs; thread-safe, one per app.

    Args:
        workers: processes to run simulations in (0 runs them in one background thread,
            which is enough for tests and keeps start-up instant).
        cache_size: runs kept in memory by (scenario hash, seed).
        max_jobs: finished jobs kept for polling and downloads before the oldest is dropped.
    """

    def __init__(self, workers: int = 1, cache_size: int = 4000, max_jobs: int = 30,
                 retire_mb: float = memory.RETIRE_RSS_MB):
        self.workers, self.cache_size, self.max_jobs = workers, cache_size, max_jobs
        self.retire_mb = retire_mb  # a worker resident above this after a run is replaced
        self._lock = threading.RLock()
        self._pools: dict[int, Executor] = {}
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._cache: OrderedDict[tuple, tuple[dict, pd.DataFrame | None]] = OrderedDict()

    # pool -------------------------------------------------------------------------------
    def _slot(self, sc: Scenario, seed: int) -> int:
        """The worker for a run: the same one for every run sharing a counterfactual.

        ``simulate`` memoises each (population, seed)'s counterfactual in the process that
        ran it, so a what-if that edits the scheme reruns only the scheme when each seed
        goes back to the worker that knows its counterfactual (a shared pool would send it
        to whichever worker is free, which would run the counterfactual again). Seeds of one
        population alternate between workers; other populations are offset by their hash,
        so a comparison of schemes on their own populations still spreads out.
        """
        offset = zlib.crc32(counterfactual_key(sc).encode())
        return (seed + offset) % max(1, self.workers)

    def _executor(self, slot: int = 0) -> Executor:
        """The single-process pool of one worker slot (started on first use)."""
        with self._lock:
            pool = self._pools.get(slot)
            if pool is None:
                if self.workers <= 0:
                    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simpolicy-run")
                else:  # forkserver: safe with the web server's threads; preloading the model
                    ctx = mp.get_context("forkserver")  # makes a new worker start in milliseconds
                    ctx.set_forkserver_preload(["dashboard.jobs"])
                    pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=memory.worker_init,
                                               initargs=(memory.WORKER_MEMORY_MB,))
                self._pools[slot] = pool
            return pool

    def _drop(self, pool: Executor) -> None:
        """Forgets a broken worker so that the next run for its seeds starts a new one."""
        with self._lock:
            for slot, p in list(self._pools.items()):
                if p is pool:
                    del self._pools[slot]

    def _drop_broken(self) -> None:
        with self._lock:
            broken = [p for p in self._pools.values() if getattr(p, "_broken", False)]
        for pool in broken:
            self._drop(pool)

    def warm(self) -> None:
        """Starts the workers and imports the model in each (call once after start-up)."""
        pools = [self._executor(slot) for slot in range(max(1, self.workers))]
        for f in [pool.submit(_warm) for pool in pools]:
            try:
                f.result(timeout=120)
            except Exception:  # a slow or broken warm-up only costs the first run time
                return

    def shutdown(self) -> None:
        """Cancels what is pending and stops the workers now (a run in progress is dropped:
        the server is going away, and a worker left running would outlive it)."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            _terminate(pool)  # first: shutdown forgets the processes
            pool.shutdown(wait=False, cancel_futures=True)

    # jobs -------------------------------------------------------------------------------
    def submit(self, scenarios: dict[str, Scenario], seeds: list[int], meta: dict | None = None) -> str:
        """Starts every scenario with every seed; returns the job id at once.

        Tasks are ordered replication by replication (all schemes for the first seed first),
        so the first poll after a few seconds can already draw every scheme.
        """
        runs = len(scenarios) * len(seeds)
        if runs > MAX_RUNS_PER_JOB:
            raise InputError([Problem("dashboard", 0, "", f"{runs:,} runs in one go is more than the "
                                      f"{MAX_RUNS_PER_JOB:,} allowed; choose fewer schemes or replications")])
        scenarios = {k: ensure_behaviour(v) for k, v in scenarios.items()}
        hashes = {k: scenario_hash(v) for k, v in scenarios.items()}
        tasks = [(label, sc, seed, (hashes[label], int(seed)))
                 for seed, (label, sc) in itertools.product(seeds, scenarios.items())]
        job = _Job(uuid.uuid4().hex[:12], tasks, dict(meta or {}))
        with self._lock:
            older = self._make_room(len(tasks))
            self._jobs[job.id] = job
            self._forget_old()
        for old_id in older:
            self.cancel(old_id)
        submitted: dict[tuple, Future] = {}  # the same scenario and seed twice runs once
        for i, (_label, sc, seed, key) in enumerate(tasks):
            cached = self._cached(key)
            if cached is not None:
                self._record(job, i, key, cached)
                continue
            fut = submitted.get(key)
            if fut is None:
                fut = submitted[key] = self._submit_task(sc, seed)
                job.futures.append(fut)
            fut.add_done_callback(lambda f, i=i, key=key: self._collect(job, i, key, f))
        return job.id

    def _make_room(self, new_runs: int) -> list[str]:
        """Ids of the oldest running jobs to cancel so that at most ``MAX_QUEUED_RUNS`` runs
        wait: forty what-if clicks queued 16,000 runs; the newest click is the one wanted."""
        waiting = {k: len(j.tasks) - len(j.results) for k, j in self._jobs.items() if j.state == RUNNING}
        out = []
        for k in list(waiting):  # oldest first
            if sum(waiting.values()) + new_runs <= MAX_QUEUED_RUNS:
                break
            out.append(k)
            waiting[k] = 0
        return out

    def _submit_task(self, sc: Scenario, seed: int) -> Future:
        slot = self._slot(sc, seed)
        pool = self._executor(slot)
        try:
            fut = pool.submit(simulate_one, sc, seed)
        except (BrokenProcessPool, RuntimeError):
            self._drop(pool)  # a crashed worker breaks its pool: start a new one
            pool = self._executor(slot)
            fut = pool.submit(simulate_one, sc, seed)
        fut.pool = pool  # cancel stops the worker of a run in progress
        pool.simpolicy_runs = getattr(pool, "simpolicy_runs", 0) + 1
        return fut

    def _retire_if_grown(self, pool, result) -> None:
        """Replaces a worker that ran out of memory, grew past ``retire_mb`` or ran many runs
        (see ``dashboard.memory``): new runs go to a new worker at once, the runs already
        queued on this one finish, then it exits and its memory is the system's again."""
        if not isinstance(pool, ProcessPoolExecutor):
            return
        pids = [p.pid for p in list((getattr(pool, "_processes", None) or {}).values())]
        grown = any((memory.rss_mb(pid) or 0) > self.retire_mb for pid in pids)
        oom = str(result[0].get("error", "")).startswith("MemoryError")
        if not (grown or oom or getattr(pool, "simpolicy_runs", 0) >= memory.RETIRE_AFTER_RUNS):
            return
        with self._lock:
            if not any(p is pool for p in self._pools.values()):
                return  # retired or dropped already
        self._drop(pool)
        # not from this callback's thread, which belongs to the pool being shut down
        threading.Thread(target=pool.shutdown, kwargs={"wait": False}, daemon=True).start()

    def _cached(self, key: tuple):
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _collect(self, job: _Job, i: int, key: tuple, fut: Future) -> None:
        if fut.cancelled():
            return
        try:
            result = fut.result()
        except Exception as e:  # the worker died or could not run: a failed run, no values
            if isinstance(e, BrokenProcessPool):
                self._drop_broken()
            error = memory.out_of_memory_message() if isinstance(e, MemoryError) else \
                f"{type(e).__name__}: {e}"[:2000]
            result = ({"status": "failed", "error": error}, None)
        else:
            if result[0].get("status") == "ok":
                with self._lock:
                    self._cache[key] = result
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        self._retire_if_grown(getattr(fut, "pool", None), result)
        self._record(job, i, key, result, ran=True)

    def _record(self, job: _Job, i: int, key: tuple, result, ran: bool = False) -> None:
        with self._lock:
            if job.state != RUNNING:
                return
            job.results[i] = result
            job.ran += ran
            job.version += 1
            if len(job.results) == len(job.tasks):
                job.state, job.finished_at = DONE, time.perf_counter()

    def cancel(self, job_id: str) -> bool:
        """Stops a job: pending runs are dropped, what has finished stays visible."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state != RUNNING:
                return False
            job.state, job.finished_at = CANCELLED, time.perf_counter()
            job.version += 1
            futures = list(job.futures)
            others = {id(getattr(f, "pool", None)) for j in self._jobs.values()
                      if j is not job and j.state == RUNNING for f in j.futures if not f.done()}
        running = [f for f in futures if not f.cancel() and not f.done()]
        for f in running:  # the run in progress: stop its worker unless another job waits on it
            pool = getattr(f, "pool", None)
            if isinstance(pool, ProcessPoolExecutor) and id(pool) not in others:
                self._drop(pool)
                _terminate(pool)  # first: shutdown forgets the processes
                pool.shutdown(wait=False, cancel_futures=True)
        return True

    def status(self, job_id: str) -> JobStatus | None:
        """The job's state, progress and expected end: cheap enough for every poll."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            end = job.finished_at or time.perf_counter()
            elapsed, done, total = end - job.started, len(job.results), len(job.tasks)
            # the pace of the runs simulated so far (runs from the cache came at once)
            eta = elapsed / job.ran * (total - done) if job.ran and job.state == RUNNING else None
            return JobStatus(job.state, done, total, job.version, elapsed, eta)

    def snapshot(self, job_id: str) -> Snapshot | None:
        """The job's finished runs as frames (rebuilt only when something new arrived)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job._snap is not None and job._snap.version == job.version:
                return job._snap
            items = sorted(job.results.items())
            state, version = job.state, job.version
            end = job.finished_at or time.perf_counter()
        rows, series, ids = [], [], []
        for i, (row, ts) in items:
            label, _sc, seed, _key = job.tasks[i]
            rows.append({"run_id": i, "scenario": label, "seed": seed, **row})
            if ts is not None:
                series.append(ts)
                ids.append((i, label, seed, len(ts)))
        snap = Snapshot(job.id, state, len(items), len(job.tasks), version, end - job.started,
                        pd.DataFrame(rows), _labelled(series, ids), dict(job.meta))
        with self._lock:
            job._snap = snap
        return snap

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.state != RUNNING]
        while len(self._jobs) > self.max_jobs and finished:
            self._jobs.pop(finished.pop(0), None)


def _terminate(pool: Executor) -> None:
    """Ends a process pool's workers now (SIGTERM); a thread pool cannot be stopped."""
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            p.terminate()


def _labelled(series: list[pd.DataFrame], ids: list[tuple]) -> pd.DataFrame:
    """The runs' monthly series end to end, each row with its run id, scheme label and seed.

    Labels are added once to the joined frame (inserting them run by run cost a redraw of
    forty runs about a tenth of a second).
    """
    if not series:
        return pd.DataFrame()
    ts = pd.concat(series, ignore_index=True)
    run_ids, labels, seeds, lengths = zip(*ids, strict=True)
    labelled = pd.DataFrame({"run_id": np.repeat(run_ids, lengths),
                             "scenario": np.repeat(np.array(labels, dtype=object), lengths),
                             "seed": np.repeat(seeds, lengths)})
    return pd.concat([labelled, ts], axis=1)
