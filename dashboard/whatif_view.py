"""View helpers of the what-if page: one control per knob, and the table of changes.

``change_table`` is the what-if's answer in numbers: for each key outcome the unchanged and
edited scheme's mean and range, and the change run by run (same seeds), whose confidence
interval says whether the edit matters beyond noise.
"""

from __future__ import annotations

import math

import pandas as pd
from dash import dcc, html

from simpolicy.analysis.labels import label, unit
from simpolicy.experiments.stats import interval

from .components import fmt
from .edits import Knob

# No public money per additional adopter here: its mean of per-run ratios (EUR 218 k) stood
# beside the decision table's total over total (EUR 216 k) for the same scheme; the page
# quotes the latter, and the edit's own price is the marginal cost above the table.
CHANGE_OUTCOMES = ("projects_funded", "adopters", "additional_adopters", "followers", "solutions_scaled",
                   "adoptions_per_solution", "deadweight_share", "public_money_eur",
                   "budget_use_share", "abort_share", "small_buyer_share",
                   "private_eur_per_public_eur", "months_to_spread")


def knob_control(kind_id: str, path: str, knob: Knob, value, themes: list[str]) -> html.Div:
    """The input for one knob, with a pattern-matching id ``{"type": kind_id, "path": path}``."""
    cid = {"type": kind_id, "path": path}
    if knob.kind == "slider":
        marks = {knob.low: fmt(knob.low, knob.unit), knob.high: fmt(knob.high, knob.unit)}
        control = dcc.Slider(id=cid, min=knob.low, max=knob.high, step=knob.step, value=value, marks=marks,
                             tooltip={"placement": "bottom", "always_visible": False})
    elif knob.kind == "int":
        control = dcc.Slider(id=cid, min=knob.low, max=knob.high, step=1, value=value,
                             marks={int(knob.low): str(int(knob.low)), int(knob.high): str(int(knob.high))},
                             tooltip={"placement": "bottom", "always_visible": False})
    elif knob.kind == "themes":
        control = dcc.Checklist(id=cid, options=[{"label": f" {t}", "value": t} for t in themes],
                                value=list(value or []), inline=True)
    elif knob.kind == "flag":
        control = dcc.Checklist(id=cid, options=[{"label": " eligible", "value": "yes"}],
                                value=["yes"] if value else [])
    else:
        control = dcc.Input(id=cid, type="number", min=knob.low, value=value, debounce=True,
                            placeholder="none")
    caption = knob.label + (f" ({knob.unit})" if knob.unit and knob.unit != "share" else "")
    return html.Div(className="knob", children=[html.Span(caption, className="knob-label"), control])


def change_table(runs: pd.DataFrame, unchanged: str, whatif: str, raw: bool = False) -> pd.DataFrame:
    """Key outcomes of the unchanged and edited scheme and the paired change between them.

    Args:
        runs: finished runs of both labels (seeds shared).
        raw: numbers as columns for a CSV instead of formatted text.
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    a = ok[ok["scenario"] == unchanged].set_index("seed")
    b = ok[ok["scenario"] == whatif].set_index("seed")
    seeds = a.index.intersection(b.index)
    rows = []
    for o in CHANGE_OUTCOMES:
        if o not in ok:
            continue
        ia, ib = interval(a[o]), interval(b[o])
        d = interval((b.loc[seeds, o] - a.loc[seeds, o]).to_numpy(dtype=float))
        u = unit(o)
        if raw:
            rows.append({"outcome": o, "label": label(o), "unit": u, "unchanged_mean": ia["mean"],
                         "unchanged_p05": ia["p05"], "unchanged_p95": ia["p95"], "whatif_mean": ib["mean"],
                         "whatif_p05": ib["p05"], "whatif_p95": ib["p95"], "change_mean": d["mean"],
                         "change_ci_low": d["ci_low"], "change_ci_high": d["ci_high"], "pairs": d["n"]})
            continue
        rows.append({"outcome": label(o) + (f" ({'%' if u == 'share' else u})" if u else ""),
                     "unchanged": _cell(ia, u), "what-if": _cell(ib, u),
                     "change": _change(d, u)})
    return pd.DataFrame(rows)


def _cell(iv: dict, u: str) -> str:
    if not math.isfinite(iv["mean"]):
        return "–"
    return f"{fmt(iv['mean'], u)} [{fmt(iv['p05'], u)} – {fmt(iv['p95'], u)}]"


def _change(d: dict, u: str) -> str:
    if not math.isfinite(d["mean"]):
        return "–"
    sign = "+" if d["mean"] > 0 else ""
    if u == "share":
        text = f"{sign}{100 * d['mean']:.1f} pp"
    else:
        text = sign + fmt(d["mean"], u)
    if math.isfinite(d["ci_low"]):
        lo, hi = d["ci_low"], d["ci_high"]
        text += (f" [{100 * lo:.1f} – {100 * hi:.1f}]" if u == "share" else f" [{fmt(lo, u)} – {fmt(hi, u)}]")
    return text
