"""Small view pieces every page uses: a figure card, a table, a progress line, a notice.

Each returns plain Dash components from plain data; they hold no state and register no
callbacks, so pages stay thin and the same look (and download buttons) appears everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from simpolicy.analysis.labels import COUNT_UNITS, fmt_value

GRAPH_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def figure_card(graph_id: str, csv_button_id: str, download_id: str, title: str = "",
                note: str = "", height: int | None = None, status_id: str | None = None) -> html.Div:
    """A figure with its own CSV download; the modebar's camera button gives the PNG.

    ``status_id`` adds a line saying how many runs the figure is drawn from (it grows while
    a job runs, so a reader knows the picture is still being refined).
    """
    style = {"height": f"{height}px"} if height else {}
    return html.Div(className="card", children=[
        html.Div(className="card-head", children=[
            html.H3(title) if title else None,
            html.Span(id=status_id, className="drawn-note") if status_id else None,
            html.Button("CSV", id=csv_button_id, className="btn btn-small",
                        title="Download the data behind this figure as CSV"),
        ]),
        html.P(note, className="note") if note else None,
        dcc.Graph(id=graph_id, figure=empty_figure(), config=GRAPH_CONFIG, style=style),
        dcc.Download(id=download_id),
    ])


def for_page(fig: go.Figure, height: int = 500) -> go.Figure:
    """A shared figure made roomy for the browser: taller, legend clear of the x-axis title."""
    fig.update_layout(height=height, legend=dict(y=-0.2, yanchor="top"), margin=dict(b=130))
    return fig


def empty_figure(message: str = "") -> go.Figure:
    """A blank figure with an optional centred message (no axes, no data)."""
    fig = go.Figure()
    fig.update_layout(template="simple_white", height=320, xaxis_visible=False, yaxis_visible=False,
                      margin=dict(l=20, r=20, t=20, b=20))
    if message:
        fig.add_annotation(text=message, showarrow=False, font=dict(size=15, color="#666"),
                           xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def fmt(x, unit: str = "") -> str:
    """A number as a reader wants it: thousands separators, per cent for shares, '–' for NaN.

    Money reads "EUR 2.0 m" (as in the report and the terminal) and counts of buyers,
    projects, adoptions or solutions are whole: "-13.67 buyers" claims a precision no
    simulation has.
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if unit == "share":
        return f"{100 * x:.1f} %"
    ax = abs(x)
    if unit == "EUR":
        return fmt_value(x, "programme_spend_eur")
    if unit in COUNT_UNITS:  # whole things: a mean of them is whole from one unit up
        return f"{x:,.0f}" if ax >= 1 or x == 0 else f"{x:.1f}" if ax >= 0.05 else f"{x:.2f}"
    if ax >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.2f}" if ax >= 1 else f"{x:.3f}"


def table(df: pd.DataFrame, table_id: str | None = None, numeric: Iterable[str] = ()) -> html.Table:
    """A plain HTML table (the deprecated DataTable would warn in the browser console)."""
    numeric = set(numeric)
    head = html.Thead(html.Tr([html.Th(c) for c in df.columns]))
    body = html.Tbody([
        html.Tr([html.Td(str(v), className="num" if c in numeric else None)
                 for c, v in zip(df.columns, row, strict=True)])
        for row in df.itertuples(index=False)
    ])
    kwargs = {"id": table_id} if table_id else {}
    return html.Table([head, body], className="data-table", **kwargs)


def drawn_note(done: int, total: int, finished: bool) -> str:
    """'drawn from 12 of 40 runs, refining…' or 'drawn from 40 of 40 runs'."""
    return f"drawn from {done} of {total} runs" + ("" if finished else ", refining…")


def progress(done: int, total: int, state: str, elapsed: float) -> list:
    """A progress bar and one line of text for a background job."""
    word = {"running": "running", "done": "done", "cancelled": "cancelled"}.get(state, state)
    return [
        html.Progress(value=str(done), max=str(max(total, 1)), className="progress"),
        html.Span(f" {done} of {total} runs {word} ({elapsed:.1f} s)", className="progress-text"),
    ]


def problems_box(lines: list[str]) -> html.Pre:
    """Input problems exactly as the CLI prints them (``FILE:LINE: field: message``)."""
    return html.Pre("\n".join(lines), className="problems", role="alert")


def csv_download(df: pd.DataFrame, filename: str) -> dict:
    """What ``dcc.Download`` needs to send a frame as CSV."""
    return dcc.send_data_frame(df.to_csv, filename, index=False)


def job_bar(run_id: str, cancel_id: str, progress_id: str, poll_id: str, job_id: str,
            news_id: str, drawn_id: str, poll_ms: int, run_text: str = "Run") -> html.Div:
    """Run and cancel buttons, a progress line and the poll timer of a background job.

    The job id lives in session storage so that a page left and opened again redraws its
    last result; the poll starts enabled so that this redraw happens on load. ``news_id``
    holds the last announced job version and ``drawn_id`` the last drawn one (see polling).
    """
    return html.Div(className="job-bar", children=[
        html.Button(run_text, id=run_id, className="btn btn-primary", n_clicks=0),
        html.Button("Cancel", id=cancel_id, className="btn", n_clicks=0),
        html.Div(id=progress_id, className="progress-box", **{"aria-live": "polite"}),
        dcc.Interval(id=poll_id, interval=poll_ms, disabled=False, n_intervals=0),
        dcc.Store(id=job_id, storage_type="session"),
        dcc.Store(id=news_id, storage_type="memory"),
        dcc.Store(id=drawn_id, storage_type="memory"),
    ])


def key_figure_cards(figures: list[dict], colours: dict[str, str]) -> list:
    """One card per scheme with its key figures (additionality, deadweight, cost per adopter)."""
    cards = []
    for f in figures:
        items = [html.Div(className="kf", children=[
            html.Div(i["title"], className="kf-title"),
            html.Div(i["value"], className="kf-value"),
            html.Div(i["range"], className="kf-range"),
            html.Div(i["meaning"], className="kf-meaning"),
        ]) for i in f["items"]]
        cards.append(html.Div(className="kf-card", children=[
            html.H4(f["scheme"], style={"borderColor": colours.get(f["scheme"], "#888")}),
            html.Div(items, className="kf-row"),
        ]))
    return cards
