"""Pure figure builders for studies (sweeps): outcomes against parameters, and sensitivity.

A study is a table of runs with its swept parameters as columns (``results.store.load``).
These builders take that table (already filtered by the caller) and return plotly figures,
so the dashboard's studies page and the HTML report draw the same pictures. No Dash, no
files; colours and templates come from ``analysis.figures`` so schemes look alike everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simpolicy.analysis.figures import NO_SCHEME, TEMPLATE, scheme_colours
from simpolicy.analysis.labels import axis_title, is_share, label, short_label, unit

SENS_COLUMNS = ["scenario", "outcome", "parameter", "index", "value", "conf"]
_SENS_ID = ("scenario", "outcome", "parameter", "method", "n_used", "n_dropped")
MAX_POINTS = 20_000  # above this a scatter is thinned evenly (the browser stays fluid)


def _hover_format(name: str) -> str:
    if is_share(name):
        return ".1%"
    return ",.0f" if unit(name) in ("EUR", "buyers", "projects", "adoptions", "solutions") else ",.3g"


def _name(column: str) -> str:
    """Axis text: outcomes with their unit, parameter paths cut to their last two parts."""
    return axis_title(column) if unit(column) else short_label(column)


def _thin(df: pd.DataFrame, n: int = MAX_POINTS) -> pd.DataFrame:
    return df if len(df) <= n else df.iloc[np.linspace(0, len(df) - 1, n).astype(int)]


def outcome_scatter(runs: pd.DataFrame, x: str, outcome: str, colour_by: str = "scenario",
                    colours: dict[str, str] | None = None, title: str | None = None) -> go.Figure:
    """One point per run: an outcome against a parameter (or against the scheme).

    Args:
        runs: run rows (ok runs only, as the caller filters them).
        x: a parameter column, or ``"scenario"`` for a strip of runs per scheme.
        outcome: the outcome column on the vertical axis.
        colour_by: ``"scenario"`` (one colour per scheme) or another numeric column (a
            colour scale, so a third parameter shows at once).
    """
    df = _thin(runs[[c for c in dict.fromkeys([x, outcome, colour_by, "scenario", "seed"]) if c in runs]]
               .dropna(subset=[outcome]))
    fmt = _hover_format(outcome)
    fig = go.Figure()
    categorical = x == "scenario" or not pd.api.types.is_numeric_dtype(df[x]) if x in df else True
    if colour_by == "scenario" or colour_by not in df or not pd.api.types.is_numeric_dtype(df[colour_by]):
        keys = list(dict.fromkeys(df["scenario"])) if "scenario" in df else [""]
        colours = colours or scheme_colours(keys)
        for key in keys:
            g = df[df["scenario"] == key] if "scenario" in df else df
            xs = g[x] if x in g else pd.Series([key] * len(g))
            fig.add_trace(go.Scatter(
                x=xs, y=g[outcome], mode="markers", name=str(key),
                marker=dict(color=colours.get(key, NO_SCHEME), size=7, opacity=0.65,
                            line=dict(width=0.5, color="white")),
                customdata=g[["seed"]].to_numpy() if "seed" in g else None,
                hovertemplate=(f"<b>{key}</b><br>{short_label(x)} %{{x}}<br>{label(outcome)} %{{y:{fmt}}}"
                               + ("<br>seed %{customdata[0]}" if "seed" in g else "") + "<extra></extra>")))
    else:
        fig.add_trace(go.Scatter(
            x=df[x], y=df[outcome], mode="markers", name=label(outcome), showlegend=False,
            marker=dict(color=df[colour_by], colorscale="Viridis", size=7, opacity=0.75,
                        colorbar=dict(title=dict(text=_short(short_label(colour_by)), side="right"))),
            customdata=df[[colour_by]].to_numpy(),
            hovertemplate=(f"{short_label(x)} %{{x}}<br>{label(outcome)} %{{y:{fmt}}}<br>"
                           f"{short_label(colour_by)} "
                           "%{customdata[0]:,.3g}<extra></extra>")))
    fig.update_layout(template=TEMPLATE, hovermode="closest",
                      title=title or f"{label(outcome)} against {short_label(x)}: one point per run")
    fig.update_xaxes(title_text="Scheme" if x == "scenario" else _name(x),
                     type="category" if categorical else None)
    fig.update_yaxes(title_text=axis_title(outcome), tickformat=".0%" if is_share(outcome) else None)
    return fig


def parallel_coordinates(runs: pd.DataFrame, dims: list[str], colour: str,
                         title: str | None = None) -> go.Figure:
    """Every run as a line across parameters and outcomes, coloured by one outcome.

    Drag on an axis to keep only the runs in a range (plotly's brushing): the quickest way
    to see which combinations of parameters give a good outcome.
    """
    cols = [c for c in dict.fromkeys([*dims, colour]) if c in runs and pd.api.types.is_numeric_dtype(runs[c])]
    df = _thin(runs[cols].replace([np.inf, -np.inf], np.nan).dropna(), 5_000)
    dimensions = []
    for c in cols:
        v = df[c].astype(float)
        lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        dim = dict(label=_short(short_label(c)), values=v, range=[lo, hi])
        if c.endswith("_eur") or unit(c) == "EUR":  # 'EUR 2.0 m', not plotly's '227.41M'
            from simpolicy.analysis.money_axes import linear_ticks

            vals, texts = linear_ticks(lo, hi)
            inside = [(t, x) for t, x in zip(vals, texts, strict=True) if lo <= t <= hi]
            dim.update(tickvals=[t for t, _ in inside], ticktext=[x for _, x in inside])
        dimensions.append(dim)
    line = dict(color=df[colour] if colour in df else None, colorscale="Viridis", showscale=True,
                colorbar=dict(title=dict(text=_short(short_label(colour)), side="right")))
    fig = go.Figure(go.Parcoords(dimensions=dimensions, line=line,
                                 labelangle=-20, labelside="top"))
    fig.update_layout(template=TEMPLATE, margin=dict(l=80, r=80, t=120, b=40),
                      title=title or ("Runs across parameters and outcomes, coloured by "
                                      f"{label(colour).lower()}"))
    return fig


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def tidy_sensitivity(sens: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices as ``scenario, outcome, parameter, index, value, conf``, whatever their layout.

    Accepts the study's tidy form (as ``simpolicy sweep`` writes it), or a wide one with
    columns such as ``S1, S1_conf, ST, ST_conf`` (Sobol) or ``mu_star, mu_star_conf, sigma``
    (Morris) next to ``outcome`` and ``parameter`` (or ``name``). Missing scenario or
    outcome columns become empty strings.
    """
    if sens is None or sens.empty:
        return pd.DataFrame(columns=SENS_COLUMNS)
    s = sens.rename(columns={"name": "parameter", "param": "parameter", "names": "parameter"})
    for col in ("scenario", "outcome"):
        if col not in s:
            s = s.assign(**{col: ""})
    if {"index", "value"} <= set(s.columns):
        out = s.copy()
        if "conf" not in out:
            out["conf"] = math.nan
        return out[SENS_COLUMNS].reset_index(drop=True)
    value_cols = [c for c in s.columns if c not in _SENS_ID and not c.endswith("_conf")
                  and pd.api.types.is_numeric_dtype(s[c])]
    rows = [{"scenario": r["scenario"], "outcome": r["outcome"], "parameter": r.get("parameter", ""),
             "index": c, "value": r[c], "conf": r.get(f"{c}_conf", math.nan)}
            for _, r in s.iterrows() for c in value_cols]
    return pd.DataFrame(rows, columns=SENS_COLUMNS)


# Signed Morris means (mu) and second-order Sobol indices crowd the chart without adding a reading.
HIDDEN_INDICES = ("mu", "S2", "S2_conf")


def sensitivity_bars(sens: pd.DataFrame, outcome: str, scenario: str | None = None,
                     title: str | None = None) -> go.Figure:
    """Sensitivity indices of one outcome per parameter as horizontal bars with their intervals.

    Args:
        sens: indices in any layout ``tidy_sensitivity`` reads.
        outcome: the outcome whose indices are drawn.
        scenario: the scheme to show when the study has several (default: the first).

    Parameters are sorted by their largest index, so the one that matters most is on top.
    """
    s = tidy_sensitivity(sens)
    s = s[(s["outcome"] == outcome) & ~s["index"].isin(HIDDEN_INDICES)].dropna(subset=["value"])
    scenarios = list(dict.fromkeys(s["scenario"]))
    chosen = scenario if scenario in scenarios else (scenarios[0] if scenarios else "")
    s = s[s["scenario"] == chosen]
    order = (s.groupby("parameter")["value"].max().sort_values(ascending=False).index.tolist()
             if not s.empty else [])
    fig = go.Figure()
    palette = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
    for i, (idx, g) in enumerate(s.groupby("index", sort=False)):
        g = g.set_index("parameter").reindex(order).dropna(subset=["value"])
        conf = g["conf"].fillna(0).tolist()
        fig.add_trace(go.Bar(
            y=[short_label(p) for p in g.index], x=g["value"], orientation="h", name=str(idx),
            marker_color=palette[i % len(palette)],
            error_x=dict(type="data", array=conf, color="#333") if any(conf) else None,
            customdata=np.c_[g["conf"].to_numpy()],
            hovertemplate=f"%{{y}}<br>{idx} %{{x:.3g}} ± %{{customdata[0]:.3g}}<extra></extra>"))
    where = f" ({chosen})" if chosen else ""
    fig.update_layout(template=TEMPLATE, barmode="group",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=1.0, xanchor="right"),
                      height=max(320, 140 + 26 * len(order) * max(1, s["index"].nunique())),
                      title=title or f"Sensitivity of {label(outcome).lower()} to each parameter{where}")
    fig.update_xaxes(title_text="index (S1/ST: share of variance; mu_star, sigma: elementary effects, "
                                "in the outcome's unit)")
    fig.update_yaxes(autorange="reversed", title_text="")
    return fig
