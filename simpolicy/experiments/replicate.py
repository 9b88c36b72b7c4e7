"""Replications and comparisons with common random numbers.

Replication r of every scenario uses seed ``base_seed + r``, so differences between
schemes (and to each scheme's counterfactual) are not noise. The rows produced here are
the results format of store.py: one row per run, outcomes plus ``cf_*`` counterfactual
outcomes, status and error.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass

import pandas as pd

from simpolicy.core import simulate
from simpolicy.experiments.executors import map_runs
from simpolicy.scenario.schema import Scenario


@dataclass(frozen=True)
class RunTask:
    """One run to do: a scenario (already overridden) and a seed, with its ids."""

    run_id: int
    label: str
    scenario: Scenario
    seed: int
    params: tuple = ()


def run_task(task: RunTask, keep_timeseries: bool = True) -> tuple[dict, pd.DataFrame | None]:
    """Runs one task; a run that raises is recorded as failed with its error, no values."""
    row = {"run_id": task.run_id, "scenario": task.label, "seed": task.seed,
           **dict(task.params)}
    try:
        res = simulate(task.scenario, task.seed)
    except Exception as e:  # a failed run must never carry another run's values
        row.update(status="failed", error=f"{type(e).__name__}: {e}"[:2000])
        row["traceback"] = traceback.format_exc()[-4000:]
        return row, None
    row.update(res.summary)
    row.update({f"cf_{k}": v for k, v in res.counterfactual.items()})
    row.update(status="ok", error="")
    ts = None
    if keep_timeseries:
        ts = res.timeseries.copy()
        ts.insert(0, "run_id", task.run_id)
        ts.insert(1, "scenario", task.label)
        ts.insert(2, "seed", task.seed)
    return row, ts


def replicate(scenarios: dict[str, Scenario], reps: int, base_seed: int = 0,
              workers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All replications of each scenario: one row per run and the monthly series."""
    tasks = [RunTask(i * reps + r, label, sc, base_seed + r)
             for i, (label, sc) in enumerate(scenarios.items()) for r in range(reps)]
    results = map_runs(run_task, tasks, workers)
    rows = pd.DataFrame([r for r, _ in results])
    ts = [t for _, t in results if t is not None]
    return rows, (pd.concat(ts, ignore_index=True) if ts else pd.DataFrame())


def ok_rows(df: pd.DataFrame, label: str) -> list[dict]:
    sub = df[(df["scenario"] == label) & (df["status"] == "ok")]
    return sub.to_dict("records")


def cf_rows(rows: list[dict], names) -> list[dict]:
    """The counterfactual outcomes of the same runs, under their plain names."""
    return [{k: r.get(f"cf_{k}", math.nan) for k in names} for r in rows]
