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
    x = _floats(values)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return {"mean": math.nan, "p05": math.nan, "p95": math.nan,
                "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    mean = float(x.mean())
    half = float(stdtrit(n - 1, 0.95) * x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    p05, p95 = np.percentile(x, (5, 95)).tolist()  # one sort for both (a redraw makes hundreds)
    return {"mean": mean, "p05": p05, "p95": p95,
            "ci_low": mean - half if n > 1 else math.nan,
            "ci_high": mean + half if n > 1 else math.nan, "n": n}


def _floats(values) -> np.ndarray:
    """Values as floats, missing ones (None, NA) as NaN."""
    if hasattr(values, "to_numpy"):  # a pandas Series, also with nullable dtypes
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray([math.nan if v is None else v for v in values], dtype=float)


def intervals(rows: list[dict[str, float]], names) -> dict[str, dict[str, float]]:
    """Intervals for each named outcome over a list of run summaries."""
    return {k: interval([r.get(k, math.nan) for r in rows]) for k in names}


def paired_differences(a: list[dict], b: list[dict], names) -> dict[str, dict[str, float]]:
    """Intervals of run-by-run differences a - b (same seeds: common random numbers)."""
    return {k: interval([x.get(k, math.nan) - y.get(k, math.nan) for x, y in zip(a, b,
                                                                               strict=True)])
            for k in names}
