"""Dashboard settings: where results live, default replications and horizon, workers.

One frozen object built at start-up and handed to every page, so nothing reads the
environment or the disk at import time. Environment variables exist for the browser tests
and the benchmark, which need small, fast runs without new command-line options.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_UPLOAD_BYTES = 1_000_000
MAX_REPS = 200


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _env_float(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


@dataclass(frozen=True)
class DashboardConfig:
    """What one running dashboard needs to know.

    Attributes:
        results_dir: the only folder studies are opened from.
        default_reps: replications preselected on the compare and what-if pages.
        default_years: horizon preselected (None = each scenario's own).
        workers: processes that run simulations in the background (0 = one thread, for tests).
        poll_ms: how often a page asks a running job for news (only while one runs). A poll
            costs the server a few milliseconds; the final chart waits for the first poll
            after the last run, half an interval on average (250 ms: 0.3 s from the job's end
            to the chart instead of 0.33-0.41 s at 400 ms, bench_dashboard).
    """

    results_dir: Path = Path("results")
    default_reps: int = 10
    default_years: float | None = None
    workers: int = 0
    poll_ms: int = 250

    @classmethod
    def from_env(cls, results_dir: str | Path | None = None, workers: int | None = None) -> DashboardConfig:
        """Defaults, overridden by ``SIMPOLICY_DASH_*`` variables and explicit arguments."""
        cpus = os.cpu_count() or 1
        return cls(
            results_dir=Path(results_dir or os.environ.get("SIMPOLICY_RESULTS", "results")),
            default_reps=max(1, min(MAX_REPS, _env_int("SIMPOLICY_DASH_REPS", 10))),
            default_years=_env_float("SIMPOLICY_DASH_YEARS"),
            workers=workers if workers is not None else _env_int("SIMPOLICY_DASH_WORKERS", cpus),
            poll_ms=max(100, _env_int("SIMPOLICY_DASH_POLL_MS", 250)),
        )
