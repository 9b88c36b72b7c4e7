"""Intervals over replications: what every reported number carries.

``p05``/``p95`` are the 5th and 95th percentiles over replications (where 90 % of runs
fall); ``ci_low``/``ci_high`` are a 90 % confidence interval of the mean (Student t), for
judging whether two designs differ. NaN replications (an outcome not defined in that run)
are left out and counted in ``n``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import stdtrit


def interval(values) -> dict[str, float]:
    """Mean, 90 % range over runs, 90 % confidence interval of the mean, and n."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return {"mean": math.nan, "p05": math.nan, "p95": math.nan,
                "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    mean = float(x.mean())
    half = float(stdtrit(n - 1, 0.95) * x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return {"mean": mean, "p05": float(np.percentile(x, 5)), "p95": float(np.percentile(x, 95)),
            "ci_low": mean - half if n > 1 else math.nan,
            "ci_high": mean + half if n > 1 else math.nan, "n": n}


def intervals(rows: list[dict[str, float]], names) -> dict[str, dict[str, float]]:
    """Intervals for each named outcome over a list of run summaries."""
    return {k: interval([r.get(k, math.nan) for r in rows]) for k in names}


def paired_differences(a: list[dict], b: list[dict], names) -> dict[str, dict[str, float]]:
    """Intervals of run-by-run differences a - b (same seeds: common random numbers)."""
    return {k: interval([x.get(k, math.nan) - y.get(k, math.nan) for x, y in zip(a, b,
                                                                               strict=True)])
            for k in names}
