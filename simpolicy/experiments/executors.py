"""Executors: where runs happen, behind one small interface.

An executor has ``capacity`` (how many batches run at once), ``submit(fn, arg)`` returning
a future, ``wait_first(futures)`` returning ``(done, not_done)`` and ``close(cancel)``.
Three backends implement it: ``InlineExecutor`` (this process; one worker, no start-up
cost), ``LocalExecutor`` (local processes) and ``DaskExecutor`` (a Dask distributed
cluster, imported only when asked for). Studies never depend on which one runs them: every
run is a pure function of its task, so results are identical run by run.

``map_runs(fn, tasks, workers)`` is the simple ordered map that ``compare`` uses.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def map_runs(fn, tasks: list, workers: int = 1) -> list:
    """Applies fn to every task, on `workers` local processes; keeps task order."""
    if workers <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    ctx = mp.get_context("forkserver")
    chunk = max(1, len(tasks) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent) as pool:
        return list(pool.map(fn, tasks, chunksize=chunk))


class InlineExecutor:
    """Runs each batch in this process when it is submitted (one worker, nothing to start)."""

    name = "inline"
    capacity = 1

    def submit(self, fn, arg) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(arg))
        except Exception as e:  # surfaced by .result(), as with a pool
            fut.set_exception(e)
        return fut

    def wait_first(self, futures):
        return set(futures), set()

    def close(self, cancel: bool = False) -> None:
        pass


def die_with_parent() -> None:
    """Asks Linux to send this process SIGTERM when its parent dies (``PR_SET_PDEATHSIG``).

    A sweep's main process killed with SIGKILL left its workers running a batch for
    minutes, and a dashboard stopped with SIGTERM left its forkserver's workers (about
    1 GB) alive. With this, a worker dies with the process that started it: the sweep's
    main process (fork), or the forkserver, which exits when the main process does.
    Elsewhere (not Linux) this does nothing.
    """
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: the worker ends with its queue instead
        return


def _worker_signals() -> None:
    """Workers leave Ctrl-C and SIGTERM to the parent, which stops the study cleanly, and
    die with it if it is killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()


def _context(preload: tuple[str, ...]):
    """Fork while this process has one thread (Linux: workers start at once, nothing to
    import); otherwise forkserver, which is safe with threads and imports ``preload`` once."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return mp.get_context("fork")
    ctx = mp.get_context("forkserver")
    if preload:
        ctx.set_forkserver_preload(list(preload))
    return ctx


class LocalExecutor:
    """Local worker processes, started when the executor is made (before any thread is)."""

    name = "local"

    def __init__(self, workers: int, preload: tuple[str, ...] = ()):
        self.capacity = max(1, workers)
        ctx = _context(preload)
        self.pool = ProcessPoolExecutor(max_workers=self.capacity, mp_context=ctx,
                                        initializer=_worker_signals)
        if ctx.get_start_method() == "fork":
            self.pool.submit(int).result()  # forks every worker now, while single-threaded

    def submit(self, fn, arg) -> Future:
        return self.pool.submit(fn, arg)

    def wait_first(self, futures):
        return wait(futures, return_when=FIRST_COMPLETED)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)

    def terminate(self) -> None:
        """Stops the workers now (a second Ctrl-C): their runs in progress are dropped."""
        for p in list(getattr(self.pool, "_processes", {}).values()):
            p.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)


class DaskExecutor:
    """A Dask distributed cluster at ``address`` (``tcp://host:8786``).

    Workers need simpolicy installed (the same version); they need no scenario files,
    since each batch carries its scenarios.
    """

    name = "dask"

    def __init__(self, address: str, timeout: float = 20.0):
        try:
            from distributed import Client
        except ImportError as e:
            raise RuntimeError("--scheduler needs Dask: pip install 'dask[distributed]'") from e
        try:
            self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise RuntimeError(f"cannot reach the Dask scheduler at {address}: {e}") from None
        self.capacity = max(1, sum(self.client.nthreads().values()))

    def submit(self, fn, arg):
        return self.client.submit(fn, arg, pure=False)

    def wait_first(self, futures):
        from distributed import wait as dask_wait

        res = dask_wait(list(futures), return_when="FIRST_COMPLETED")
        return set(res.done), set(res.not_done)

    def close(self, cancel: bool = False) -> None:
        self.client.close()

    def cancel(self, futures) -> None:
        self.client.cancel(list(futures))

    def terminate(self) -> None:
        self.client.close()


def make_executor(workers: int | None = None, scheduler: str | None = None,
                  preload: tuple[str, ...] = ()):
    """The executor for a command line: Dask when a scheduler is given, else local processes."""
    if scheduler:
        return DaskExecutor(scheduler)
    n = workers or default_workers()
    return InlineExecutor() if n <= 1 else LocalExecutor(n, preload)
