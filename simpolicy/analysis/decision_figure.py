"""The decision table's one chart: effect and cost per additional adopter, design by design.

Drawn from a `Decision` (never from the raw runs) so the chart cannot disagree with the
table beside it. A design is coloured only when its interval excludes zero; otherwise it is
an open grey marker, because a colour reads as a finding. Money per adopter spans orders of
magnitude between designs, so its axis is logarithmic, with ticks written "EUR 50 k".
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simpolicy.analysis.figures import NO_SCHEME, TEMPLATE, scheme_colours
from simpolicy.analysis.money_axes import log_ticks
from simpolicy.analysis.reading import CI, count, money


def short_design(name: str, population: str | None) -> str:
    """A design's name without the common population suffix the caption already states."""
    return name[: -len(population) - 1] if population and name.endswith(f"@{population}") else name


def money_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Log ticks written as money, far enough apart not to overlap (see `money_axes`)."""
    return log_ticks(lo, hi)


def decision_chart(dec, colours: dict[str, str] | None = None, population: str | None = None,
                   title: str | None = None) -> go.Figure:
    """Two panels sharing the designs: additional adopters, and public money per adopter."""
    t = dec.table
    names = [short_design(d, population) for d in t["design"]]
    colours = colours or scheme_colours(t["design"])
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=["Additional adopters (buyers)",
                                        "Public money per additional adopter"])
    clear = [(lo > 0 or hi < 0) for lo, hi in zip(t["additional_adopters_ci_low"],
                                                   t["additional_adopters_ci_high"], strict=True)]
    fill = [colours.get(d, NO_SCHEME) if c else "white" for d, c in zip(t["design"], clear, strict=True)]
    edge = [colours.get(d, NO_SCHEME) if c else NO_SCHEME for d, c in zip(t["design"], clear, strict=True)]
    err = dict(type="data", array=(t["additional_adopters_ci_high"] - t["additional_adopters"]).fillna(0),
               arrayminus=(t["additional_adopters"] - t["additional_adopters_ci_low"]).fillna(0),
               thickness=2, width=6, color="#333")
    fig.add_trace(go.Scatter(
        x=t["additional_adopters"], y=names, mode="markers", showlegend=False, error_x=err,
        marker=dict(size=13, color=fill, line=dict(color=edge, width=2.5)),
        text=[f"{count(m)} ({CI} {count(lo)} to {count(hi)})" for m, lo, hi in
              zip(t["additional_adopters"], t["additional_adopters_ci_low"],
                  t["additional_adopters_ci_high"], strict=True)],
        hovertemplate="<b>%{y}</b><br>additional adopters %{text}<extra></extra>"), row=1, col=1)
    shown = t[t["cost_per_adopter"].notna()]
    if not shown.empty:
        fig.add_trace(go.Scatter(
            x=shown["cost_per_adopter"], y=[short_design(d, population) for d in shown["design"]],
            mode="markers", showlegend=False,
            marker=dict(size=13, symbol="diamond", color=[colours.get(d, NO_SCHEME) for d in shown["design"]],
                        line=dict(color="#222", width=1)),
            error_x=dict(type="data", array=(shown["cost_ci_high"] - shown["cost_per_adopter"]).fillna(0),
                         arrayminus=(shown["cost_per_adopter"] - shown["cost_ci_low"]).fillna(0),
                         thickness=2, width=6, color="#333"),
            text=[f"{money(c)} ({CI} {money(lo)} to {money(hi)}; {n} runs)" for c, lo, hi, n in
                  zip(shown["cost_per_adopter"], shown["cost_ci_low"], shown["cost_ci_high"],
                      shown["cost_runs"], strict=True)],
            hovertemplate="<b>%{y}</b><br>%{text}<extra></extra>"), row=1, col=2)
        lo = float(shown["cost_ci_low"].where(shown["cost_ci_low"] > 0).min(skipna=True))
        lo = lo if math.isfinite(lo) else float(shown["cost_per_adopter"].min())
        hi = float(shown[["cost_ci_high", "cost_per_adopter"]].max().max())
        vals, texts = money_ticks(lo, hi)
        fig.update_xaxes(type="log", tickvals=vals, ticktext=texts, title_text="EUR, log scale", tickangle=0,
                         range=[math.log10(vals[0]), math.log10(vals[-1])] if vals else None,
                         row=1, col=2)
    else:
        fig.add_annotation(text="no design's effect is clearly above zero", showarrow=False,
                           xref="x2 domain", yref="y2 domain", x=0.5, y=0.5,
                           font=dict(color="#666"))
        fig.update_xaxes(visible=False, row=1, col=2)
    # "no scheme" is zero additional adopters: a dashed line, named on the chart itself
    fig.add_vline(x=0, line=dict(color="#555", dash="dash", width=1.5), row=1, col=1)
    fig.update_xaxes(title_text="buyers vs no scheme (dashed line)", zeroline=False, row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=names[::-1], automargin=True)
    fig.update_annotations(font_size=13)
    fig.update_layout(template=TEMPLATE, height=150 + 34 * max(len(names), 2),
                      margin=dict(t=80, b=60, l=10, r=20),
                      title=title or f"Effect and cost per design over {dec.horizon.split(' (')[0]}")
    return fig
