"""Fitting the shared behaviour: a Latin-hypercube search scored against all patterns at once.

Each point of the search space (search.yaml) is a candidate behaviour set; every pattern
is run with a few replications and the score is the sum of the distances of the pattern
means outside their bands (0 when all hold). The search is reproducible (a fixed sampler
seed) and writes every point and its score to a CSV, so that the choice of the fitted
set can be checked. There are no per-country knobs: one set must fit every country.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from scipy.stats import qmc

from simpolicy.calibration.patterns import check, distance, point_distance

SEARCH = Path(__file__).with_name("search.yaml")


def search_space(path: Path = SEARCH) -> dict[str, tuple[float, float]]:
    data = yaml.safe_load(path.read_text())["parameters"]
    return {k: (float(v[0]), float(v[1])) for k, v in data.items()}


def candidates(n: int, seed: int = 1, around: dict | None = None, shrink: float = 1.0):
    """n behaviour sets from a Latin hypercube (optionally shrunk around a point)."""
    space = search_space()
    sample = qmc.LatinHypercube(d=len(space), seed=seed).random(n)
    out = []
    for row in sample:
        point = {}
        for u, (k, (lo, hi)) in zip(row, space.items(), strict=True):
            if around is not None:
                half = (hi - lo) * shrink / 2
                lo, hi = max(lo, around[k] - half), min(hi, around[k] + half)
            point[k] = lo + u * (hi - lo)
        out.append(point)
    return out


def score(behaviour: dict, reps: int, workers: int, strict: bool = False,
          margin: float = 0.0) -> tuple[float, dict]:
    """Sum of distances to all bands narrowed by ``margin`` (and, ``strict``, of observed
    numbers to the runs' 90 % ranges), and the per-pattern results."""
    res = check(reps=reps, workers=workers, behaviour=behaviour)
    return sum(distance(r, margin) + (point_distance(r) if strict else 0.0)
               for r in res.values()), res


def fit(n: int, reps: int, workers: int, out_csv: Path, seed: int = 1,
        around: dict | None = None, shrink: float = 1.0, log=print, strict: bool = False,
        margin: float = 0.0) -> pd.DataFrame:
    """Scores n candidates; writes them (best first) to out_csv as it goes.

    With ``around`` the first candidate is that point itself, so the CSV shows whether the
    search found anything better than where it started."""
    rows = []
    points = candidates(n, seed, around, shrink)
    if around is not None:
        points = [{k: float(around[k]) for k in search_space()}] + points[:-1]
    for i, point in enumerate(points):
        total, res = score(point, reps, workers, strict, margin)
        row = {"point": i, "score": total, **point,
               **{f"{k}_mean": v["mean"] for k, v in res.items()},
               "patterns_ok": sum(v["ok"] for v in res.values()),
               "points_ok": sum(v.get("point_ok") is not False for v in res.values())}
        rows.append(row)
        log(f"point {i}: score {total:.3f}, {row['patterns_ok']}/{len(res)} patterns in band")
        pd.DataFrame(rows).sort_values("score").to_csv(out_csv, index=False)
    return pd.DataFrame(rows).sort_values("score")
