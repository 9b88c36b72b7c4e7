"""The front of a design search as a figure: effect against cost, every design with intervals.

A pure function from the designs table of ``simpolicy optimize`` (``designs.parquet``) to a
plotly figure, so the report and the dashboard's Studies page draw the same picture. The
searched designs are grey (their few-replication means), the re-evaluated ones carry their
90 % confidence intervals on both axes, the front is coloured and the starting scheme is a
star: a reader sees at once whether anything beats the scheme as written.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from simpolicy.analysis.labels import fmt_value, label

FRONT, OTHER, START, SEARCHED = "#0072B2", "#8a8a8f", "#D55E00", "#c9c9ce"


def measure_base(key: str) -> str:
    """The outcome a measure is made of (``followers_vs_cf`` -> ``followers``)."""
    return key.removesuffix("_vs_cf").removesuffix("_per_year")


def measure_label(key: str) -> str:
    """A reader's name for an objective or constrained measure of a search."""
    text = label(measure_base(key))
    if key.endswith("_vs_cf"):
        text += " (vs no scheme)"
    if key.endswith("_per_year"):
        text += " a year"
    return text


def fmt_measure(x, key: str, signed: bool = False) -> str:
    return fmt_value(x, measure_base(key), signed)


def front_figure(designs: pd.DataFrame, effect: str, cost: str, cost_scale: float = 1.0,
                 cost_title: str | None = None) -> go.Figure:
    """Effect (y) against cost (x) of every design; ``cost_scale`` divides the cost (years)."""
    fig = go.Figure()
    searched = designs[designs["origin"] == "search"]
    if f"search_{effect}" in searched and f"search_{cost}" in searched:
        fig.add_trace(go.Scatter(
            x=searched[f"search_{cost}"] / cost_scale, y=searched[f"search_{effect}"], mode="markers",
            name="designs tried (few replications)", marker={"color": SEARCHED, "size": 6},
            text=[f"design {d}" for d in searched["design"]],
            hovertemplate="%{text}<br>cost %{x:,.0f}<br>effect %{y:,.1f}<extra></extra>"))
    re = designs[designs["reevaluated"]]
    other = re["origin"] != "start"
    for name, part, colour, symbol, size in (
            ("re-evaluated, not on the front", re[~re["pareto"] & other], OTHER, "circle", 8),
            ("front (re-evaluated)", re[re["pareto"] & other], FRONT, "circle", 10),
            ("the scheme as written", re[re["origin"] == "start"], START, "star", 16)):
        if part.empty:
            continue
        x, y = part[cost] / cost_scale, part[effect]
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="markers", name=name, marker={"color": colour, "size": size, "symbol": symbol},
            error_x={"type": "data", "symmetric": False, "array": part[f"{cost}_ci_high"] / cost_scale - x,
                     "arrayminus": x - part[f"{cost}_ci_low"] / cost_scale, "thickness": 1, "width": 0},
            error_y={"type": "data", "symmetric": False, "array": part[f"{effect}_ci_high"] - y,
                     "arrayminus": y - part[f"{effect}_ci_low"], "thickness": 1, "width": 0},
            text=[f"design {d}" if o != "start" else "as written"
                  for d, o in zip(part["design"], part["origin"], strict=True)],
            hovertemplate="%{text}<br>cost %{x:,.0f}<br>effect %{y:,.1f}<extra></extra>"))
    against = cost_title or measure_label(cost)
    fig.update_layout(
        title=f"{measure_label(effect)} against {against[:1].lower() + against[1:]}",
        xaxis_title=cost_title or measure_label(cost), yaxis_title=measure_label(effect),
        height=480, margin={"l": 70, "r": 20, "t": 60, "b": 60}, template="plotly_white",
        legend={"orientation": "h", "y": -0.18})
    return fig


def difference_figure(designs: pd.DataFrame, effect: str, cost: str, cost_scale: float = 1.0,
                      cost_title: str | None = None) -> go.Figure:
    """Each re-evaluated design's difference to the scheme as written, seed by seed, with the
    90 % CIs of the paired differences: the top-left quadrant is more effect for less cost."""
    re = designs[designs["reevaluated"] & (designs["origin"] != "start")]
    fig = go.Figure()
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    fig.add_vline(x=0, line={"color": "#999", "width": 1})
    for name, part, colour in (("not on the front", re[~re["pareto"]], OTHER),
                               ("front", re[re["pareto"]], FRONT)):
        if part.empty:
            continue
        x, y = part[f"{cost}_vs_start"] / cost_scale, part[f"{effect}_vs_start"]
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="markers+text", name=name, marker={"color": colour, "size": 9},
            text=[str(int(d)) for d in part["design"]], textposition="top right", textfont={"size": 10},
            error_x={"type": "data", "symmetric": False, "thickness": 1.5, "width": 3, "color": colour,
                     "array": part[f"{cost}_vs_start_ci_high"] / cost_scale - x,
                     "arrayminus": x - part[f"{cost}_vs_start_ci_low"] / cost_scale},
            error_y={"type": "data", "symmetric": False, "thickness": 1.5, "width": 3, "color": colour,
                     "array": part[f"{effect}_vs_start_ci_high"] - y,
                     "arrayminus": y - part[f"{effect}_vs_start_ci_low"]}))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="the scheme as written",
                             marker={"color": START, "size": 16, "symbol": "star"}))
    xt = cost_title or measure_label(cost)
    fig.update_layout(
        title="Against the scheme as written (paired differences; upper left: more for less)",
        xaxis_title=f"{xt}: difference", yaxis_title=f"{measure_label(effect)}: difference",
        height=480, margin={"l": 70, "r": 20, "t": 60, "b": 60}, template="plotly_white",
        legend={"orientation": "h", "y": -0.18})
    return fig


def hypervolume_figure(history: list[float]) -> go.Figure:
    """Hypervolume of the front found up to each generation (flat at the end = stable)."""
    fig = go.Figure(go.Scatter(x=list(range(len(history))), y=history, mode="lines+markers",
                               marker={"color": FRONT}))
    fig.update_layout(title="How much of the objective space the front covers, by generation",
                      xaxis_title="generation", yaxis_title="hypervolume (objectives scaled to 0-1)",
                      height=340, margin={"l": 70, "r": 20, "t": 60, "b": 50}, template="plotly_white")
    return fig

