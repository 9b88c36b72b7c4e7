"""Checking the observed patterns: run each pattern's scenario and compare with its band.

Every pattern is read from ``targets.yaml`` (kept in the repository with its source). The
runs go through ``simulate`` like everything else; the same replications (seeds 0..R-1)
serve every pattern that uses the same scenario and horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

from simpolicy.core import simulate
from simpolicy.experiments.executors import map_runs
from simpolicy.experiments.stats import interval
from simpolicy.scenario.loader import load_scenario, with_sets

TARGETS = Path(__file__).with_name("targets.yaml")


@dataclass(frozen=True)
class Pattern:
    """One observed pattern with its band."""

    id: str
    what: str
    scenarios: tuple[str, ...]
    years: float | None
    outcome: str
    band: tuple[float, float]
    kind: str = "mean"
    versus: str | None = None
    versus_outcome: str | None = None
    observed: str = ""
    source: str = ""
    sets: tuple = ()  # (scenario, ((path, value), ...)) overrides that define the comparison
    point: float | None = None  # the one number observed, where there is one


def load_targets(path: Path = TARGETS) -> list[Pattern]:
    """The patterns of the targets file, in file order."""
    data = yaml.safe_load(path.read_text())["patterns"]
    out = []
    for pid, p in data.items():
        sc = p["scenario"]
        out.append(Pattern(pid, p["what"], tuple(sc) if isinstance(sc, list) else (sc,),
                           p.get("years"), p["outcome"], (float(p["band"][0]), float(p["band"][1])),
                           p.get("kind", "mean"), p.get("versus"), p.get("versus_outcome"),
                           str(p.get("observed", "")), p.get("source", ""),
                           tuple((k, tuple(v.items())) for k, v in (p.get("sets") or {}).items()),
                           float(p["point"]) if p.get("point") is not None else None))
    return out


def needed_runs(patterns: list[Pattern]) -> list[tuple]:
    """The distinct (scenario, years, overrides) runs the patterns need."""
    keys = []
    for p in patterns:
        for sc in p.scenarios + ((p.versus,) if p.versus else ()):
            key = _key(p, sc)
            if key not in keys:
                keys.append(key)
    return keys


def _key(p: Pattern, scenario: str) -> tuple:
    return (scenario, p.years, dict(p.sets).get(scenario, ()))


def _run_one(task) -> dict:
    scenario, seed = task
    return simulate(scenario, seed).summary


def run_patterns(patterns: list[Pattern], reps: int, workers: int = 1,
                 behaviour: dict | None = None) -> dict[tuple, list[dict]]:
    """Runs every needed scenario `reps` times; returns summaries per run key."""
    keys = needed_runs(patterns)
    tasks = []
    for name, years, overrides in keys:
        sc = load_scenario(name)
        sets = {f"behaviour.{k}": v for k, v in (behaviour or {}).items()}
        sets.update(dict(overrides))
        if years:
            sets["horizon_years"] = years
        sc = with_sets(sc, sets)
        tasks += [(sc, seed) for seed in range(reps)]
    results = map_runs(_run_one, tasks, workers)
    return {k: results[i * reps:(i + 1) * reps] for i, k in enumerate(keys)}


def evaluate_pattern(p: Pattern, runs: dict[tuple, list[dict]]) -> dict:
    """Mean, 90 % interval and whether the pattern's band holds."""
    vals = [r.get(p.outcome, math.nan) for r in runs[_key(p, p.scenarios[0])]]
    lo, hi = p.band
    if p.kind == "ratio":
        other = [r.get(p.outcome, math.nan) for r in runs[_key(p, p.versus)]]
        res = _ratio(vals, other)
        ok = lo <= res["mean"] <= hi
    elif p.kind == "one_sided_greater":
        other = [r.get(p.versus_outcome, math.nan) for r in runs[_key(p, p.scenarios[0])]]
        res = _one_sided(vals, other)
        ok = res["p_value"] < hi
    elif p.kind == "pooled_mean":
        pooled = [r.get(p.outcome, math.nan) for s in p.scenarios for r in runs[_key(p, s)]]
        res = interval(pooled)
        ok = lo <= res["mean"] <= hi
    else:
        res = interval(vals)
        ok = lo <= res["mean"] <= hi if math.isfinite(res["mean"]) else False
    point_ok = None  # the stricter criterion: the observed number within the runs' 90 % range
    if p.point is not None and math.isfinite(res.get("p05", math.nan)):
        point_ok = bool(res["p05"] <= p.point <= res["p95"])
    return {**res, "band": [lo, hi], "ok": bool(ok), "what": p.what, "observed": p.observed,
            "point": p.point, "point_ok": point_ok}


def _ratio(a: list[float], b: list[float]) -> dict:
    """Ratio of means with a 90 % bootstrap interval (fixed seed: reproducible)."""
    a = np.asarray([x for x in a if math.isfinite(x)])
    b = np.asarray([x for x in b if math.isfinite(x)])
    if len(a) == 0 or len(b) == 0 or b.mean() == 0:
        return {"mean": math.nan, "p05": math.nan, "p95": math.nan, "n": 0}
    rng = np.random.default_rng(0)
    boots = [rng.choice(a, len(a)).mean() / max(rng.choice(b, len(b)).mean(), 1e-12)
             for _ in range(500)]
    return {"mean": float(a.mean() / b.mean()), "p05": float(np.percentile(boots, 5)),
            "p95": float(np.percentile(boots, 95)), "n": int(min(len(a), len(b)))}


def _one_sided(a: list[float], b: list[float]) -> dict:
    """Paired one-sided test that a > b over replications (NaN pairs dropped)."""
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)]
    diff = interval([x - y for x, y in pairs])
    if len(pairs) < 3:
        return {**diff, "p_value": 1.0}
    x, y = zip(*pairs, strict=True)
    if np.allclose(np.subtract(x, y), 0):
        return {**diff, "p_value": 1.0}
    p = stats.ttest_rel(x, y, alternative="greater").pvalue
    return {**diff, "p_value": float(p)}


def check(reps: int = 10, workers: int = 1, behaviour: dict | None = None,
          only: list[str] | None = None) -> dict[str, dict]:
    """Runs and evaluates every pattern (or those named in `only`)."""
    patterns = [p for p in load_targets() if not only or p.id in only]
    runs = run_patterns(patterns, reps, workers, behaviour)
    return {p.id: evaluate_pattern(p, runs) for p in patterns}


def point_distance(result: dict) -> float:
    """How far the observed number lies outside the runs' 90 % range, relative to that
    range's width (0 inside, or where no single number was observed)."""
    if result.get("point_ok") in (None, True):
        return 0.0
    x, lo, hi = result["point"], result["p05"], result["p95"]
    gap = lo - x if x < lo else x - hi
    return min(2.0, gap / max(hi - lo, abs(x) * 0.05, 1e-9))


def distance(result: dict, margin: float = 0.0) -> float:
    """How far a pattern's mean lies outside its band, relative to the band (0 inside).

    ``margin`` (a share of the band's width) narrows a finite band on both sides, so that a
    search with few replications prefers points that hold with room to spare: a mean just
    inside an edge at 4 replications is often outside at 30."""
    lo, hi = result["band"]
    m = result["mean"]
    if "p_value" in result:  # a test: with a margin, ask for a smaller p-value
        p = result["p_value"]
        return 0.0 if p < hi * (1 - 4 * margin) else min(1.0, p * 4)
    if not math.isfinite(m):
        return 1.0
    width = (hi - lo) if math.isfinite(hi) else max(abs(lo), 1.0)
    lo, hi = lo + margin * width, hi - margin * width
    if lo <= m <= hi:
        return 0.0
    gap = lo - m if m < lo else m - hi
    return min(2.0, gap / max(width, 1e-9))
