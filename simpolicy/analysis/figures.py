"""Pure plotly figure builders shared by the report and the dashboard.

Each builder takes tidy data (a timeseries frame, the manifest's summary dict or its tidy
form from ``tables.summary_frame``) plus a colour map, and returns a ``go.Figure``. No file
access, no Dash: the same figure appears in the HTML report, as PNG/SVG for a paper and in
the browser app, so the three never drift apart.
"""

from __future__ import annotations

import math
import textwrap
import zlib
from html import escape as esc

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simpolicy.analysis import money_axes
from simpolicy.analysis.labels import axis_title, is_share, label, short_label, unit
from simpolicy.analysis.tables import band_frame, summary_frame

# Colour-blind-safe colours (Okabe-Ito and Paul Tol's muted set), fixed for the bundled
# schemes so a scheme keeps its colour in every figure, report and dashboard page.
FIXED = {
    "denmark_copi_proposal": "#D55E00", "denmark_baseline": "#555555", "flanders": "#0072B2",
    "austria": "#E69F00", "norway": "#009E73", "sweden": "#56B4E9", "finland": "#CC79A7",
    "estonia": "#332288", "estonia_2023": "#44AA99", "spain": "#882255", "lithuania": "#999933",
    "netherlands": "#DDCC77", "uk_sbri": "#AA4499",
}
FALLBACK = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#332288",
            "#882255", "#44AA99", "#999933", "#AA4499", "#DDCC77", "#555555", "#117733",
            "#CC6677", "#88CCEE")
NO_SCHEME = "#9A9A9A"
FONT = "Helvetica, Arial, sans-serif"

_AXIS = dict(automargin=True, showline=True, linecolor="#444", gridcolor="#e6e6e6", zeroline=False,
             ticks="outside")
TEMPLATE = go.layout.Template(layout=go.Layout(
    font=dict(family=FONT, size=13, color="#222"),
    title=dict(font=dict(size=16), x=0.0, xanchor="left", xref="paper"),
    paper_bgcolor="white", plot_bgcolor="white",
    xaxis=_AXIS, yaxis=_AXIS,
    legend=dict(orientation="h", yanchor="top", y=-0.18, x=0.0, xanchor="left"),
    margin=dict(l=70, r=30, t=60, b=70),
    hoverlabel=dict(font=dict(family=FONT)),
))


def scheme_colours(labels) -> dict[str, str]:
    """One colour per scheme label, stable by name.

    Bundled schemes have fixed colours; ``flanders@denmark_baseline`` (a scheme put on another
    population) shares the colour of ``flanders``. Other names get a colour from a hash of the
    name, probing on so that no two labels in one call share a colour while colours last.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    labels = list(dict.fromkeys(labels))
    for name in sorted(labels, key=lambda n: (_base(n) not in FIXED, n)):
        fixed = FIXED.get(_base(name))
        if fixed and fixed not in used:
            out[name] = fixed
        else:
            start = zlib.crc32(name.encode()) % len(FALLBACK)
            free = [FALLBACK[(start + i) % len(FALLBACK)] for i in range(len(FALLBACK))]
            out[name] = next((c for c in free if c not in used), free[0])
        used.add(out[name])
    return {n: out[n] for n in labels}


def _base(name: str) -> str:
    return str(name).split("@", 1)[0]


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _value_format(name: str) -> str:
    """A d3 format for hover text: per cent for shares, thousands separators otherwise."""
    if is_share(name):
        return ".1%"
    return ",.0f" if unit(name) in ("EUR", "buyers", "projects", "adoptions", "solutions") else ",.2f"


def _value_axis(name: str, **extra) -> dict:
    """An axis for an outcome's values: its title with the unit, ticks as % or EUR."""
    upd = {"title_text": axis_title(name)}
    if is_share(name):
        upd["tickformat"] = ".0%"
    elif unit(name) == "EUR":
        upd["tickformat"] = ",.0f"  # replaced by "EUR 2.0 m" ticks where the values are known
    return {**upd, **extra}


def _style_value_axis(fig: go.Figure, name: str, axis: str = "yaxis", **where) -> None:
    upd = _value_axis(name)
    upd.update(where)
    (fig.update_yaxes if axis == "yaxis" else fig.update_xaxes)(**upd)


def timeseries_bands(ts: pd.DataFrame, outcome: str, colours: dict[str, str] | None = None,
                     counterfactual: bool = False, by: str = "scenario",
                     title: str | None = None, y_title: str | None = None) -> go.Figure:
    """Monthly mean line with its 90 % band (5th-95th percentile over runs) per scheme.

    With ``counterfactual=True`` and a ``<outcome>_counterfactual`` column, each scheme's
    no-scheme run (same seeds) is drawn dashed, so the gap between the lines is the effect.
    """
    bands = band_frame(ts, outcome, by)
    colours = colours or scheme_colours(bands[by].unique())
    fmt = _value_format(outcome)
    fig = go.Figure()
    for key, b in bands.groupby(by, sort=False):
        c = colours.get(key, NO_SCHEME)
        fig.add_trace(go.Scatter(
            x=list(b["month"]) + list(b["month"])[::-1], y=list(b["p95"]) + list(b["p05"])[::-1],
            fill="toself", fillcolor=_rgba(c, 0.18), line=dict(width=0), mode="lines", hoverinfo="skip",
            legendgroup=str(key), showlegend=False, name=f"{key} 90 % band"))
        fig.add_trace(go.Scatter(
            x=b["month"], y=b["mean"], mode="lines", line=dict(color=c, width=2.5),
            name=str(key), legendgroup=str(key),
            customdata=b[["p05", "p95"]].to_numpy(),
            hovertemplate=(f"<b>{key}</b><br>month %{{x}}<br>mean %{{y:{fmt}}}"
                           f"<br>90 % band %{{customdata[0]:{fmt}}} – %{{customdata[1]:{fmt}}}"
                           "<extra></extra>")))
        if counterfactual and "cf_mean" in b:
            fig.add_trace(go.Scatter(
                x=b["month"], y=b["cf_mean"], mode="lines",
                line=dict(color=c, width=1.8, dash="dash"), name=f"{key}, no scheme",
                legendgroup=str(key),
                hovertemplate=(f"<b>{key}, no scheme</b><br>month %{{x}}<br>mean %{{y:{fmt}}}"
                               "<extra></extra>")))
    fig.update_layout(template=TEMPLATE, hovermode="x unified" if len(bands) < 2000 else "closest",
                      title=title or f"{label(outcome)} over time: mean and 90 % band")
    fig.update_xaxes(title_text="Month since the start of the scheme (months)", rangemode="tozero")
    _style_value_axis(fig, outcome, **({"title_text": y_title} if y_title else {}))
    if unit(outcome) == "EUR" and not bands.empty:
        money_axes.style_linear(fig, pd.concat([bands["p05"], bands["p95"]]))
    return fig


def _interval_rows(summary, outcome: str, kind: str) -> pd.DataFrame:
    df = summary_frame(summary)
    return df[(df["kind"] == kind) & (df["outcome"] == outcome)].reset_index(drop=True)


def _errors(rows: pd.DataFrame, interval: str) -> tuple[list, list]:
    lo, hi = ("p05", "p95") if interval == "range" else ("ci_low", "ci_high")
    plus = [_nz(h - m) for h, m in zip(rows[hi], rows["mean"], strict=True)]
    minus = [_nz(m - low) for low, m in zip(rows[lo], rows["mean"], strict=True)]
    return plus, minus


def _nz(x) -> float:
    return 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


INTERVAL_TEXT = {"range": "90 % of runs", "ci": "90 % confidence interval of the mean"}


def outcome_intervals(summary, outcome: str, colours: dict[str, str] | None = None,
                      interval: str = "range", counterfactual: bool = True,
                      title: str | None = None) -> go.Figure:
    """Mean per scheme with 90 % interval error bars, next to the same runs without the scheme.

    ``summary`` is the manifest's summary dict or its tidy frame; ``interval`` is ``"range"``
    (5th-95th percentile over runs) or ``"ci"`` (confidence interval of the mean).
    """
    rows = _interval_rows(summary, outcome, "outcomes")
    cf = _interval_rows(summary, outcome, "counterfactual")
    colours = colours or scheme_colours(rows["scenario"])
    fmt = _value_format(outcome)
    fig = go.Figure()
    plus, minus = _errors(rows, interval)
    fig.add_trace(go.Scatter(
        x=rows["scenario"], y=rows["mean"], mode="markers", name="with the scheme",
        marker=dict(size=13, color=[colours.get(s, NO_SCHEME) for s in rows["scenario"]],
                    line=dict(color="#222", width=1)),
        error_y=dict(type="data", array=plus, arrayminus=minus, thickness=2, width=8, color="#333"),
        customdata=rows[["p05", "p95", "n"]].to_numpy(),
        hovertemplate=(f"<b>%{{x}}</b><br>mean %{{y:{fmt}}}<br>90 %% of runs %{{customdata[0]:{fmt}}}"
                       f" – %{{customdata[1]:{fmt}}}<br>runs %{{customdata[2]}}<extra></extra>")
        .replace("%%", "%")))
    if counterfactual and not cf.empty and cf["mean"].notna().any():
        cplus, cminus = _errors(cf, interval)
        fig.add_trace(go.Scatter(
            x=cf["scenario"], y=cf["mean"], mode="markers", name="same runs, no scheme",
            marker=dict(size=11, symbol="circle-open", color=NO_SCHEME, line=dict(width=2)),
            error_y=dict(type="data", array=cplus, arrayminus=cminus, thickness=1.5, width=6,
                         color=NO_SCHEME),
            hovertemplate=f"<b>%{{x}}, no scheme</b><br>mean %{{y:{fmt}}}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, scattermode="group", scattergap=0.55,
                      title=title or f"{label(outcome)}: mean and {INTERVAL_TEXT[interval]}")
    fig.update_xaxes(title_text="Scheme")
    _style_value_axis(fig, outcome)
    if unit(outcome) == "EUR":
        ends = [rows["mean"] + pd.Series(plus), rows["mean"] - pd.Series(minus)]
        if outcome in money_axes.RATIOS:
            money_axes.style_log(fig, pd.concat(ends))
        else:
            money_axes.style_linear(fig, pd.concat(ends))
    return fig


def clear_of_zero(rows: pd.DataFrame) -> list[bool]:
    """Per row, whether the 90 % CI of the mean difference excludes zero (a finding)."""
    return [bool(lo > 0 or hi < 0) if pd.notna(lo) and pd.notna(hi) else False
            for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)]


def _short(name, population: str | None) -> str:
    """A scheme's name without the common population suffix the caption states."""
    name = str(name)
    return name[: -len(population) - 1] if population and name.endswith(f"@{population}") else name


def difference_chart(summary, outcomes, colours: dict[str, str] | None = None,
                     interval: str = "ci", title: str | None = None,
                     population: str | None = None) -> go.Figure:
    """Each scheme's effect (scheme minus the same runs without it) with its 90 % interval.

    One panel per outcome, because units differ; a dashed vertical line marks no scheme (no
    effect). The difference is computed run by run with common random numbers. A scheme's
    marker is coloured only when the 90 % CI of the mean excludes zero: a colour reads as a
    finding, so an effect the replications cannot tell from none is an open grey marker.
    """
    df = summary_frame(summary)
    diffs = df[df["kind"] == "difference"]
    outcomes = [o for o in outcomes if diffs.loc[diffs["outcome"] == o, "mean"].notna().any()]
    schemes = list(dict.fromkeys(df["scenario"]))
    colours = colours or scheme_colours(schemes)
    panel, gap, top, bottom = 50 + 30 * len(schemes), 100, 90, 70
    height = top + bottom + len(outcomes) * panel + max(len(outcomes) - 1, 0) * gap
    fig = make_subplots(rows=max(len(outcomes), 1), cols=1,
                        vertical_spacing=gap / max(height - top - bottom, 1) if len(outcomes) > 1 else 0,
                        subplot_titles=[label(o) for o in outcomes])
    traces, zero_lines, axes = [], [], {}
    for i, o in enumerate(outcomes, start=1):
        rows = _interval_rows(df, o, "difference")
        fmt = _value_format(o)
        plus, minus = _errors(rows, interval)
        traces.append(go.Scatter(
            x=rows["mean"], y=[_short(x, population) for x in rows["scenario"]], mode="markers",
            showlegend=False, name=label(o),
            marker=dict(size=12, color=[colours.get(s, NO_SCHEME) if c else "white" for s, c in
                                        zip(rows["scenario"], clear_of_zero(rows), strict=True)],
                        line=dict(color=[colours.get(s, NO_SCHEME) if c else NO_SCHEME for s, c in
                                         zip(rows["scenario"], clear_of_zero(rows), strict=True)],
                                  width=2.5)),
            error_x=dict(type="data", array=plus, arrayminus=minus, thickness=2, width=6, color="#333"),
            customdata=rows[["p05", "p95", "ci_low", "ci_high"]].to_numpy(),
            hovertemplate=(f"<b>%{{y}}</b><br>difference %{{x:{fmt}}}<br>90 % of runs "
                           f"%{{customdata[0]:{fmt}}} – %{{customdata[1]:{fmt}}}<br>90 % CI of the mean "
                           f"%{{customdata[2]:{fmt}}} – %{{customdata[3]:{fmt}}}<extra></extra>")))
        # "no effect" (a shape per panel; add_vline would cost a tenth of a second per drawing)
        axis = "" if i == 1 else str(i)
        zero_lines.append(dict(type="line", x0=0, x1=0, xref=f"x{axis}", y0=0, y1=1, yref=f"y{axis} domain",
                               line=dict(color="#555", dash="dash", width=1.5)))
        # axes set in one layout update: a per-panel update_xaxes(row=i) walks the whole grid
        axes[f"xaxis{axis}"] = _value_axis(o, title_text=f"difference to no scheme "
                                              f"({'%' if is_share(o) else unit(o)})")
        axes[f"yaxis{axis}"] = dict(categoryorder="array",
                                    categoryarray=[_short(x, population) for x in schemes[::-1]])
    if traces:
        fig.add_traces(traces, rows=list(range(1, len(traces) + 1)), cols=1)
    fig.update_annotations(font_size=14, xanchor="left", x=0)
    fig.update_layout(template=TEMPLATE, height=height, margin=dict(t=top, b=bottom), shapes=zero_lines,
                      **axes,
                      title=title or ("Effect of each scheme: difference to no scheme (dashed), "
                                      f"{INTERVAL_TEXT[interval]}"))
    for i, o in enumerate(outcomes, start=1):
        if unit(o) == "EUR":
            rows = _interval_rows(df, o, "difference")
            lo, hi = ("p05", "p95") if interval == "range" else ("ci_low", "ci_high")
            money_axes.style_linear(fig, pd.concat([rows[lo], rows[hi], rows["mean"]]), axis="x",
                                    row=i, col=1)
    return fig


def metric_panels(summary, outcomes, colours: dict[str, str] | None = None,
                  interval: str = "range", title: str | None = None,
                  population: str | None = None) -> go.Figure:
    """Several outcomes side by side, one panel each, as scheme means with 90 % intervals.

    Meant for measures that are already relative to the counterfactual (additionality,
    deadweight, public money per additional adopter, private money leveraged): one figure
    that answers "what does each scheme buy for its money?".
    """
    df = summary_frame(summary)
    rows_all = df[df["kind"] == "outcomes"]
    outcomes = [o for o in outcomes if o in set(rows_all["outcome"])]
    schemes = list(dict.fromkeys(df["scenario"]))
    colours = colours or scheme_colours(schemes)
    cols = 2 if len(outcomes) > 1 else 1
    nrows = max(1, math.ceil(len(outcomes) / cols))
    titles = ["<br>".join(textwrap.wrap(label(o), 40)) for o in outcomes]  # never clipped
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.12, vertical_spacing=0.3 if nrows > 1 else 0.1)
    for i, o in enumerate(outcomes):
        r, c = divmod(i, cols)
        rows = _interval_rows(df, o, "outcomes")
        fmt = _value_format(o)
        plus, minus = _errors(rows, interval)
        fig.add_trace(go.Scatter(
            x=[_short(x, population) for x in rows["scenario"]], y=rows["mean"], mode="markers",
            showlegend=False, name=label(o),
            marker=dict(size=11, color=[colours.get(s, NO_SCHEME) for s in rows["scenario"]],
                        line=dict(color="#222", width=1)),
            error_y=dict(type="data", array=plus, arrayminus=minus, thickness=2, width=6, color="#333"),
            customdata=rows[["p05", "p95", "n"]].to_numpy(),
            hovertemplate=(f"<b>%{{x}}</b><br>mean %{{y:{fmt}}}<br>90 % of runs %{{customdata[0]:{fmt}}}"
                           f" – %{{customdata[1]:{fmt}}}<br>runs with a value %{{customdata[2]}}"
                           "<extra></extra>")), row=r + 1, col=c + 1)
        _style_value_axis(fig, o, row=r + 1, col=c + 1,
                          title_text=f"{'%' if is_share(o) else unit(o)}")
        fig.update_xaxes(categoryorder="array", categoryarray=[_short(x, population) for x in schemes],
                         tickangle=-30,
                         row=r + 1, col=c + 1)
        if unit(o) == "EUR":
            ends = pd.concat([rows["mean"] + pd.Series(plus), rows["mean"] - pd.Series(minus)])
            if o in money_axes.RATIOS and money_axes.style_log(fig, ends, row=r + 1, col=c + 1):
                fig.update_yaxes(title_text="EUR, log scale", row=r + 1, col=c + 1)
            else:
                money_axes.style_linear(fig, ends, row=r + 1, col=c + 1)
        if rows["mean"].min(skipna=True) < 0 < rows["mean"].max(skipna=True):
            fig.add_hline(y=0, line=dict(color="#888", dash="dot"), row=r + 1, col=c + 1)
    fig.update_annotations(font_size=14)
    fig.update_layout(template=TEMPLATE, height=max(380, 380 * nrows),
                      title=title or f"What each scheme buys: mean and {INTERVAL_TEXT[interval]}")
    return fig


def parameter_effects_chart(effects: pd.DataFrame, outcome: str, title: str | None = None) -> go.Figure:
    """For a study: the outcome's mean and 90 % range against each swept parameter.

    ``effects`` comes from ``tables.parameter_effects`` (one panel per parameter, values
    averaged over the other parameters).
    """
    params = list(dict.fromkeys(effects["parameter"]))
    cols = min(3, max(1, len(params)))
    nrows = max(1, math.ceil(len(params) / cols))
    fig = make_subplots(rows=nrows, cols=cols, horizontal_spacing=0.08,
                        vertical_spacing=0.22 if nrows > 1 else 0.1)
    fmt = _value_format(outcome)
    for i, p in enumerate(params):
        r, c = divmod(i, cols)
        e = effects[effects["parameter"] == p]
        fig.add_trace(go.Scatter(
            x=list(e["x"]) + list(e["x"])[::-1], y=list(e["p95"]) + list(e["p05"])[::-1],
            fill="toself", fillcolor=_rgba("#0072B2", 0.15), line=dict(width=0), mode="lines",
            hoverinfo="skip", showlegend=False), row=r + 1, col=c + 1)
        fig.add_trace(go.Scatter(
            x=e["x"], y=e["mean"], mode="lines+markers", line=dict(color="#0072B2", width=2.5),
            showlegend=False, name=short_label(p), customdata=e[["p05", "p95", "n"]].to_numpy(),
            hovertemplate=(f"{esc(label(p))} %{{x:,.3g}}<br>mean %{{y:{fmt}}}<br>90 % of runs "
                           f"%{{customdata[0]:{fmt}}} – %{{customdata[1]:{fmt}}}<br>runs %{{customdata[2]}}"
                           "<extra></extra>")), row=r + 1, col=c + 1)
        fig.update_xaxes(title_text=short_label(p), row=r + 1, col=c + 1)
        _style_value_axis(fig, outcome, row=r + 1, col=c + 1,
                          title_text=axis_title(outcome) if c == 0 else None)
    fig.update_layout(template=TEMPLATE, height=max(340, 300 * nrows),
                      title=title or f"{label(outcome)} against each swept parameter (mean, 90 % of runs)")
    return fig


RANKING_INDICES = ("S1", "ST", "mu_star", "sigma")
INDEX_NAMES = {"S1": "S1 (alone)", "ST": "ST (with interactions)", "mu_star": "μ* (mean |effect|)",
               "sigma": "σ (interactions)"}


def sensitivity_chart(sens: pd.DataFrame, outcome: str, title: str | None = None) -> go.Figure:
    """Sensitivity indices of one outcome per parameter as horizontal bars with intervals.

    ``sens`` is tidy: ``outcome, parameter, index, value`` and optionally ``conf`` (half
    width of the 95 % interval SALib reports); one bar colour per index. The ranking indices
    are shown (S1 and ST for Sobol, mu_star and sigma for Morris), others only when none is.
    """
    s = sens[(sens["outcome"] == outcome) & sens["value"].notna()]
    main = s[s["index"].isin(RANKING_INDICES)]
    s = main if not main.empty else s
    fig = go.Figure()
    idx_colours = scheme_colours(s["index"].unique())
    for idx, g in s.groupby("index", sort=False):
        conf = g["conf"].fillna(0).tolist() if "conf" in g else None
        fig.add_trace(go.Bar(
            y=[short_label(p) for p in g["parameter"]], x=g["value"], orientation="h",
            name=INDEX_NAMES.get(idx, str(idx)),
            marker_color=idx_colours[idx],
            error_x=dict(type="data", array=conf, color="#333") if conf else None,
            hovertemplate=f"%{{y}}<br>{idx} %{{x:.3f}}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, barmode="group",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=1.0, xanchor="right"),
                      height=max(300, 120 + 28 * s["parameter"].nunique() * max(1, s["index"].nunique())),
                      title=title or f"Sensitivity of {label(outcome).lower()} to each parameter")
    fig.update_xaxes(title_text="index (share of variance, or mean elementary effect)")
    fig.update_yaxes(autorange="reversed")
    return fig
