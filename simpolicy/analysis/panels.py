"""Small multiples over time: one panel per scheme, and money axes a reader can read.

Eighteen overlaid lines in similar colours (nine schemes, each with its no-scheme run) cannot
be read; one small panel per scheme on shared axes can, and the gap between a scheme's line
and its dashed no-scheme line is its effect. Money axes are written "EUR 2.0 m", never "2M"
or 5e+05, because the figures are quoted to ministers as they are.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simpolicy.analysis.figures import NO_SCHEME, TEMPLATE, _rgba, _value_format, scheme_colours
from simpolicy.analysis.labels import axis_title, is_share, label, unit
from simpolicy.analysis.money_axes import style_linear
from simpolicy.analysis.tables import band_frame

CF_LINE = "#3a3a3a"  # the no-scheme line: dark, dashed, the same in every panel


def short_name(name: str, population: str | None = None) -> str:
    """A panel title: the scheme without the common population suffix."""
    name = str(name)
    return name[: -len(population) - 1] if population and name.endswith(f"@{population}") else name


def timeseries_panels(ts: pd.DataFrame, outcome: str, colours: dict[str, str] | None = None,
                      zero_is_no_scheme: bool = False, cf_totals: dict[str, float] | None = None,
                      title: str | None = None, y_title: str | None = None,
                      population: str | None = None, cols: int = 3) -> go.Figure:
    """One panel per scheme: monthly mean and 90 % band, and the same runs without the scheme.

    The no-scheme run is drawn dashed wherever the results hold it: as a monthly series
    (``<outcome>_counterfactual``), as zero for a measure that is already a difference
    (``zero_is_no_scheme``), or, where only its total at the horizon was recorded
    (``cf_totals``), as an open marker at the last month. Axes are shared so panels compare.
    """
    bands = band_frame(ts, outcome)
    schemes = list(dict.fromkeys(bands["scenario"]))
    colours = colours or scheme_colours(schemes)
    cols = max(1, min(cols, len(schemes)))
    rows = max(1, math.ceil(len(schemes) / cols))
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes="all", shared_yaxes="all",
                        horizontal_spacing=0.05, vertical_spacing=0.42 / rows if rows > 1 else 0.1,
                        subplot_titles=[short_name(s, population) for s in schemes])
    fmt = _value_format(outcome)
    cf_text = ""
    for i, key in enumerate(schemes):
        r, c = divmod(i, cols)
        b = bands[bands["scenario"] == key]
        colour = colours.get(key, NO_SCHEME)
        where = dict(row=r + 1, col=c + 1)
        fig.add_trace(go.Scatter(
            x=list(b["month"]) + list(b["month"])[::-1], y=list(b["p95"]) + list(b["p05"])[::-1],
            fill="toself", fillcolor=_rgba(colour, 0.2), line=dict(width=0), mode="lines",
            hoverinfo="skip", showlegend=False, name=f"{key} 90 % band"), **where)
        fig.add_trace(go.Scatter(
            x=b["month"], y=b["mean"], mode="lines", line=dict(color=colour, width=2.2),
            name=str(key), showlegend=False, customdata=b[["p05", "p95"]].to_numpy(),
            hovertemplate=(f"<b>{key}</b><br>month %{{x}}<br>mean %{{y:{fmt}}}<br>90 % of runs "
                           f"%{{customdata[0]:{fmt}}} – %{{customdata[1]:{fmt}}}<extra></extra>")),
            **where)
        if "cf_mean" in b:
            cf_text = "dashed: the same runs without the scheme"
            fig.add_trace(go.Scatter(
                x=b["month"], y=b["cf_mean"], mode="lines", showlegend=False,
                line=dict(color=CF_LINE, width=1.5, dash="dash"), name=f"{key}, no scheme",
                hovertemplate=f"<b>{key}, no scheme</b><br>month %{{x}}<br>mean %{{y:{fmt}}}<extra></extra>"),
                **where)
        elif zero_is_no_scheme and len(b):
            cf_text = "dashed: no scheme (zero difference)"
            fig.add_trace(go.Scatter(
                x=[b["month"].min(), b["month"].max()], y=[0, 0], mode="lines", showlegend=False,
                line=dict(color=CF_LINE, width=1.5, dash="dash"), name=f"{key}, no scheme",
                hoverinfo="skip"), **where)
        elif cf_totals and key in cf_totals and len(b) and math.isfinite(cf_totals[key]):
            cf_text = "open circle: the same runs without the scheme, at the horizon"
            fig.add_trace(go.Scatter(
                x=[b["month"].max()], y=[cf_totals[key]], mode="markers", showlegend=False,
                marker=dict(symbol="circle-open", size=10, color=CF_LINE, line=dict(width=2)),
                name=f"{key}, no scheme",
                hovertemplate=f"<b>{key}, no scheme</b><br>at the horizon %{{y:{fmt}}}<extra></extra>"),
                **where)
    sub = "line: mean; shade: 90 % of runs" + (f"; {cf_text}" if cf_text else "")
    fig.update_layout(template=TEMPLATE, showlegend=False, height=90 + 230 * rows,
                      margin=dict(t=100, b=60, l=85, r=20),
                      title=dict(text=f"{title or label(outcome) + ' over time'}<br>"
                                      f"<span style='font-size:12px;color:#555'>{sub}</span>"))
    fig.update_annotations(font_size=13)
    fig.update_xaxes(rangemode="tozero", nticks=6)
    fig.update_xaxes(title_text="month", row=rows)
    u = unit(outcome)
    ytext = y_title or axis_title(outcome)
    if is_share(outcome):
        fig.update_yaxes(tickformat=".0%")
    elif u == "EUR":
        style_linear(fig, pd.concat([bands["p95"], bands["p05"]]))
    # one y title for the grid, written beside the first column (panels share the axis)
    fig.add_annotation(text=ytext, textangle=-90, xref="paper", yref="paper", x=0, y=0.5,
                       xshift=-58, xanchor="center", showarrow=False, font=dict(size=12))
    return fig
