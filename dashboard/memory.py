"""Memory the dashboard may take, and how it gives it back (issue 16, item 7).

A 4.6 kB upload with a million buyers grew a dashboard worker to 3.2 GB, and a Parquet
part of 40 M rows took the server from 249 MB to 3.4 GB and never gave it back. Scenario
sizes are now capped by validation and parts by their row count, but what is allowed can
still be large (the largest allowed run peaks at about 3.2 GB), and a long-lived process
keeps what it once grew to. So:

- each run worker lives under an address-space limit (``RLIMIT_AS``, default 4,096 MB,
  ``SIMPOLICY_WORKER_MEMORY_MB``; 0 turns it off): a run that needs more fails with a
  ``MemoryError`` that says so, instead of pushing the machine into swap or the OOM killer;
- a worker that ran out of memory, grew past ``SIMPOLICY_WORKER_RETIRE_MB`` (default 1,024
  MB resident) or ran ``RETIRE_AFTER_RUNS`` runs is replaced after the runs queued on it:
  the only sure way to give a process's memory back is to end the process;
- the server frees what it evicts from its caches and asks the C allocator to return free
  pages (``malloc_trim``), so memory goes back after a large study is closed.

The limit is per worker process; the one-thread mode (``--workers 0``) runs in the server
and has no limit of its own.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

from simpolicy.experiments.executors import die_with_parent

MB = 1 << 20


def _env_mb(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


WORKER_MEMORY_MB = _env_mb("SIMPOLICY_WORKER_MEMORY_MB", 4096)
RETIRE_RSS_MB = _env_mb("SIMPOLICY_WORKER_RETIRE_MB", 1024)
RETIRE_AFTER_RUNS = 1000  # a backstop against slow growth (memoised counterfactuals, fragmentation)


def worker_init(limit_mb: int) -> None:
    """Initializer of every run worker: dies with its parent, and is limited in memory."""
    global WORKER_MEMORY_MB
    WORKER_MEMORY_MB = limit_mb  # the limit this worker lives under, for its messages
    die_with_parent()
    limit_address_space(limit_mb)


def limit_address_space(limit_mb: int) -> None:
    """Caps this process's address space (soft and hard: a run cannot lift it again)."""
    if limit_mb <= 0 or sys.platform != "linux":
        return
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = limit_mb * MB if hard == resource.RLIM_INFINITY else min(limit_mb * MB, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux), or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    except (OSError, ValueError, IndexError):
        return None


def out_of_memory_message() -> str:
    return (f"MemoryError: the run needed more than the {WORKER_MEMORY_MB:,} MB a dashboard worker may use "
            "(SIMPOLICY_WORKER_MEMORY_MB); run it with `simpolicy run` or choose a smaller population "
            "or horizon")


def give_back() -> None:
    """Collects garbage and returns free heap pages to the system (glibc only)."""
    gc.collect()
    if sys.platform != "linux":
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # another C library: memory is returned as it can be
        return
