"""Fronts and their summaries: which designs no other beats, how much space they cover.

Pure functions on arrays and run tables, shared by the search (which designs to
re-evaluate, whether the front is stable) and by the report. Objectives are turned into
*losses* (maximised ones negated), so "better" is always "smaller" here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simpolicy.experiments.stats import interval

STATS = ("ci_low", "ci_high", "p05", "p95")


def losses(frame: pd.DataFrame, goals: dict[str, str]) -> np.ndarray:
    """One row per design, one column per objective, maximised objectives negated."""
    cols = [frame[k].to_numpy(dtype=float) * (-1.0 if g == "max" else 1.0) for k, g in goals.items()]
    return np.column_stack(cols) if cols else np.empty((len(frame), 0))


def pareto_mask(loss: np.ndarray, feasible: np.ndarray | None = None) -> np.ndarray:
    """True for each design that no other feasible design dominates (feasible, no NaN).

    A dominates B when A is no worse on every objective and better on at least one; equal
    designs do not dominate each other, so both stay on the front.
    """
    loss = np.asarray(loss, dtype=float)
    n = len(loss)
    ok = np.all(np.isfinite(loss), axis=1) if n else np.zeros(0, bool)
    if feasible is not None:
        ok &= np.asarray(feasible, dtype=bool)
    out = ok.copy()
    for i in np.flatnonzero(ok):
        others = loss[ok]
        dominated = np.any(np.all(others <= loss[i], axis=1) & np.any(others < loss[i], axis=1))
        out[i] = not dominated
    return out


def leading(loss: np.ndarray, feasible: np.ndarray, k: int) -> list[int]:
    """Up to k designs, front by front: the front, then the front of the rest, and so on.

    With replications few, a design just behind the front may be on it in truth; taking
    the next layers when the front is small gives such designs their re-evaluation. A layer
    too large for what is left is thinned evenly along the first objective (both ends kept).
    """
    loss = np.asarray(loss, dtype=float)
    left = np.asarray(feasible, bool) & np.all(np.isfinite(loss), axis=1)
    chosen: list[int] = []
    while left.any() and len(chosen) < k:
        layer = pareto_mask(loss, left)
        idx = np.flatnonzero(layer)
        room = k - len(chosen)
        if len(idx) > room:
            idx = idx[np.argsort(loss[idx, 0], kind="stable")]
            idx = idx[np.unique(np.linspace(0, len(idx) - 1, room).round().astype(int))]
        chosen += sorted(int(i) for i in idx)
        left &= ~layer
    return chosen


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Loss vector a dominates b (no worse anywhere, better somewhere)."""
    return bool(np.all(a <= b) and np.any(a < b))


def hypervolume(loss: np.ndarray, reference: np.ndarray) -> float:
    """The volume between the points and the reference point (losses; exact, optuna's WFG)."""
    from optuna._hypervolume import compute_hypervolume  # pinned optuna; exact for any dimension

    pts = np.asarray(loss, dtype=float)
    pts = pts[np.all(np.isfinite(pts), axis=1) & np.all(pts < reference, axis=1)] if len(pts) else pts
    if len(pts) == 0:
        return 0.0
    return float(compute_hypervolume(pts, np.asarray(reference, dtype=float)))


def hypervolume_history(loss: np.ndarray, generation: np.ndarray, feasible: np.ndarray) -> list[float]:
    """Hypervolume of the feasible designs found up to each generation, on one fixed scale.

    Every objective is scaled to [0, 1] over all feasible designs of the search (so no
    objective's unit dominates) and the reference point is 1.1 in each, so the values of
    successive generations are comparable and their relative change says whether the front
    still moves.
    """
    loss = np.asarray(loss, dtype=float)
    gens = np.asarray(generation)
    ok = np.asarray(feasible, bool) & np.all(np.isfinite(loss), axis=1)
    if not ok.any():
        return [0.0 for _ in range(int(gens.max()) + 1)] if len(gens) else []
    lo, hi = loss[ok].min(axis=0), loss[ok].max(axis=0)
    scaled = (loss - lo) / np.where(hi > lo, hi - lo, 1.0)
    ref = np.full(loss.shape[1], 1.1)
    return [hypervolume(scaled[ok & (gens <= g)], ref) for g in range(int(gens.max()) + 1)]


def relative_change(history: list[float]) -> float:
    """Change of the last generation's hypervolume relative to it (NaN with one generation)."""
    if len(history) < 2 or history[-1] <= 0:
        return math.nan
    return (history[-1] - history[-2]) / history[-1]


def run_values(runs: pd.DataFrame, outcome: str, versus_counterfactual: bool = False,
               per_year: float | None = None) -> pd.Series:
    """An outcome per run: as stored, minus the counterfactual's, or per year of the horizon."""
    v = runs[outcome].astype(float) if outcome in runs else pd.Series(math.nan, index=runs.index)
    if versus_counterfactual:
        cf = f"cf_{outcome}"
        v = v - (runs[cf].astype(float) if cf in runs else math.nan)
    if per_year:
        v = v / per_year
    return v


def summarise(runs: pd.DataFrame, measures: dict[str, pd.Series]) -> dict[str, float]:
    """Mean and intervals of each measure over a design's runs (NaN when any run failed).

    A design with a failed run has no value: averaging the runs that worked would compare
    it on other seeds than the rest, which common random numbers forbid.
    """
    out: dict[str, float] = {"n_runs": float(len(runs))}
    failed = bool(len(runs) == 0 or (runs["status"] != "ok").any())
    for key, values in measures.items():
        iv = interval(values) if not failed else {}
        out[key] = iv.get("mean", math.nan)
        for s in STATS:
            out[f"{key}_{s}"] = iv.get(s, math.nan)
    return out


def paired(runs: pd.DataFrame, start: pd.DataFrame, a: pd.Series, b: pd.Series, key: str) -> dict:
    """The difference of a design to the starting scheme, seed by seed, with its interval."""
    x = pd.Series(a.to_numpy(), index=runs["seed"].to_numpy())
    y = pd.Series(b.to_numpy(), index=start["seed"].to_numpy())
    common = x.index.intersection(y.index)
    iv = interval((x[common] - y[common]).to_numpy()) if len(common) else interval([])
    return {f"{key}_vs_start": iv["mean"], f"{key}_vs_start_ci_low": iv["ci_low"],
            f"{key}_vs_start_ci_high": iv["ci_high"]}
