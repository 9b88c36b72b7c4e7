"""Money on axes as a reader writes it: "EUR 2.0 m", "EUR 500 k", never "2M" or 5e+05.

Plotly's own formats cannot write "EUR 2.0 m", so the ticks are computed here and given as
values and texts. Money ratios (euros per additional adopter) span orders of magnitude from
one design to the next, so they get a logarithmic axis with few enough ticks not to overlap.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from simpolicy.analysis.labels import fmt_value

# Money ratios: per-unit costs whose spread across designs needs a log axis.
RATIOS = frozenset({"public_eur_per_additional_adopter", "public_eur_per_adoption",
                    "support_per_project_eur"})


def money(x: float) -> str:
    return fmt_value(x, "programme_spend_eur")


def linear_ticks(lo: float, hi: float, n: int = 5) -> tuple[list[float], list[str]]:
    """About ``n`` round ticks covering lo to hi, written as money."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    vals = [start + i * step for i in range(int(math.ceil((hi - start) / step - 1e-9)) + 1)]
    return vals, [money(v) for v in vals]


def log_ticks(lo: float, hi: float, most: int = 5) -> tuple[list[float], list[str]]:
    """Ticks at 1, 2, 5 x 10^k (or fewer) from just below lo to just above hi, at most ``most``.

    Long money labels overlap on a narrow panel, so the steps thin out until few are left.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi <= 0:
        return [], []
    hi = max(hi, lo)
    for steps in ((1, 2, 5), (1, 3), (1,)):  # neighbours at least 2x apart: no overlap
        vals = [m * 10 ** k for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 2)
                for m in steps]
        inside = [v for v in vals if lo <= v <= hi]
        picked = [v for v in vals if v < lo][-1:] + inside + [v for v in vals if v > hi][:1]
        if len(picked) <= most:
            break
    return picked, [money(v) for v in picked]


def _finite(values) -> pd.Series:
    v = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").astype(float)
    return v[v.map(math.isfinite)]


def style_linear(fig: go.Figure, values, axis: str = "y", **where) -> None:
    """Money ticks on a linear axis from the values it shows (zero included)."""
    v = _finite(values)
    if v.empty:
        return
    vals, texts = linear_ticks(min(0.0, float(v.min())), max(0.0, float(v.max())))
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(
        tickvals=vals, ticktext=texts, tickformat=None, **where)


def style_log(fig: go.Figure, values, axis: str = "y", **where) -> bool:
    """A log axis with money ticks for positive values; False (axis left alone) if none."""
    v = _finite(values)
    v = v[v > 0]
    if v.empty:
        return False
    vals, texts = log_ticks(float(v.min()), float(v.max()))
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(
        type="log", tickvals=vals, ticktext=texts, tickformat=None,
        range=[math.log10(vals[0]), math.log10(vals[-1])], **where)
    return True
