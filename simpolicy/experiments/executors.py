"""Executors: where runs happen. One small interface: ``map_runs(fn, tasks, workers)``.

Results come back in task order whatever the number of workers, so a study is identical
run by run on 1 or N processes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def map_runs(fn, tasks: list, workers: int = 1) -> list:
    """Applies fn to every task, on `workers` local processes; keeps task order."""
    if workers <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    ctx = mp.get_context("forkserver")
    chunk = max(1, len(tasks) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(fn, tasks, chunksize=chunk))
