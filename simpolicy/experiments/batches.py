"""Batches: the unit of work an executor runs, and how big to make them.

A batch carries its tasks and the scenarios they need, so a worker (a local process or a
Dask worker on another machine) reads no files and needs nothing but simpolicy installed.
``run_batch`` is a pure function of its batch: the same batch gives the same rows anywhere,
apart from the timing and host columns (``elapsed_s``, ``worker``).
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from simpolicy.experiments.replicate import RunTask, run_task
from simpolicy.scenario.loader import with_sets

TARGET_BATCH_S = 2.0  # long enough to hide overhead, short enough to lose little on a kill
MAX_BATCH = 256


@dataclass(frozen=True)
class Task:
    """One run of a study: which scenario, which design point, which replication and seed."""

    run_id: int
    label: str
    point: int
    replication: int
    seed: int
    sets: tuple


@dataclass(frozen=True)
class Batch:
    """Runs sent to a worker together, with the scenarios they need (workers read no files)."""

    index: int
    study_id: str
    scenarios: dict
    tasks: tuple
    timeseries: tuple = ()


def run_batch(batch: Batch) -> dict:
    """Runs a batch on a worker: rows (one per run) and the kept monthly series.

    A run that raises, or whose overrides a scenario refuses, is a row with status
    ``failed`` and its error, never another run's values.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    rows, series = [], []
    for t in batch.tasks:
        t0 = time.perf_counter()
        params = t.sets
        try:
            sc = with_sets(batch.scenarios[t.label], dict(t.sets))
        except Exception as e:  # an override this scenario refuses: a failed run
            row = {"run_id": t.run_id, "scenario": t.label, "seed": t.seed, **dict(params),
                   "status": "failed", "error": f"{type(e).__name__}: {e}"[:2000]}
            ts = None
        else:
            with _releasing_models():
                row, ts = run_task(RunTask(t.run_id, t.label, sc, t.seed, params), bool(batch.timeseries))
        row.pop("traceback", None)
        row.update(study_id=batch.study_id, point=t.point, replication=t.replication,
                   elapsed_s=time.perf_counter() - t0, worker=worker)
        rows.append(row)
        if ts is not None:
            ts = ts[["run_id", "scenario", "seed", "month", *batch.timeseries]].copy()
            ts.insert(2, "point", t.point)
            ts.insert(3, "replication", t.replication)
            series.append(ts)
    return {"rows": rows, "timeseries": series}


_RUN_LOCK = threading.Lock()


@contextmanager
def _releasing_models():
    """Lets the models of a finished run be freed (Mesa 3.3 keeps every model alive).

    ``mesa.Agent._ids`` is a class-level dict keyed by model (mesa issue #3179, fixed after
    3.3.1), so without this a worker's memory grows by megabytes per run. The lock keeps a
    run from dropping the counter of a model another thread is still building.
    """
    try:
        from mesa import Agent
    except ImportError:  # pragma: no cover - mesa is a dependency
        yield
        return
    ids = getattr(Agent, "_ids", None)
    if not isinstance(ids, dict):
        yield
        return
    with _RUN_LOCK:
        before = set(ids)
        try:
            yield
        finally:
            for model in set(ids) - before:
                ids.pop(model, None)


class BatchSizer:
    """Sizes batches so each takes about TARGET_BATCH_S, while the tail stays balanced."""

    def __init__(self, capacity: int, fixed: int | None = None):
        self.capacity, self.fixed, self.per_run = capacity, fixed, None

    def observe(self, rows: list[dict]) -> None:
        t = [r["elapsed_s"] for r in rows if r.get("elapsed_s") is not None]
        if t:
            x = sum(t) / len(t)
            self.per_run = x if self.per_run is None else 0.7 * self.per_run + 0.3 * x

    def size(self, remaining: int) -> int:
        if self.fixed:
            return self.fixed
        if self.per_run is None:
            return 2  # a first measurement, quickly
        want = round(TARGET_BATCH_S / max(self.per_run, 1e-4))
        balanced = math.ceil(remaining / (2 * self.capacity))
        return max(1, min(MAX_BATCH, want, balanced))
