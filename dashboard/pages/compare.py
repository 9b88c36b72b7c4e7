"""Compare page: several schemes side by side, each against its own counterfactual.

The reader picks schemes (bundled or uploaded) and the population to run them on (each its
own, or one country's for every scheme), and sees the monthly curves with 90 % bands, the
key figures (additionality, deadweight, public money per additional adopter), a table of
every outcome with intervals, and each scheme's difference to no scheme. Runs go through the
job registry and are drawn as they finish.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from simpolicy.analysis.decision import decision_table
from simpolicy.analysis.figures import difference_chart, outcome_intervals, scheme_colours, timeseries_bands
from simpolicy.analysis.labels import label
from simpolicy.analysis.panels import timeseries_panels
from simpolicy.analysis.why import explain
from simpolicy.experiments.compare import equal_horizon
from simpolicy.scenario.errors import InputError

from .. import components as ui
from .. import decision_view as dv
from .. import summaries as sm
from ..config import MAX_REPS
from ..data import label_of
from ..polling import register_cancel, register_poll

PATH = "/compare"
TITLE = "Compare schemes"

SCHEMES = "cmp-schemes"
POPULATION = "cmp-population"
REPS = "cmp-reps"
YEARS = "cmp-years"
RUN = "cmp-run"
CANCEL = "cmp-cancel"
PROGRESS = "cmp-progress"
POLL = "cmp-poll"
JOB = "cmp-job"
NEWS = "cmp-news"
DRAWN = "cmp-drawn"
MESSAGE = "cmp-message"
DECISION = "cmp-decision"
SORT = "cmp-sort"
KEYS = "cmp-key-figures"
SERIES = "cmp-series"
PER100 = "cmp-per100"
CURVES = "cmp-curves"
CURVES_NOTE = "cmp-curves-note"
CURVES_CSV, CURVES_DL = "cmp-curves-csv", "cmp-curves-dl"
TABLE = "cmp-table"
TABLE_CSV, TABLE_DL = "cmp-table-csv", "cmp-table-dl"
DIFF = "cmp-diff"
DIFF_CSV, DIFF_DL = "cmp-diff-csv", "cmp-diff-dl"
OUTCOME = "cmp-outcome"
INTERVALS = "cmp-intervals"
INTERVALS_CSV, INTERVALS_DL = "cmp-intervals-csv", "cmp-intervals-dl"

OWN = "__own__"
DEFAULT_SCHEMES = ("flanders", "austria", "denmark_copi_proposal")


def layout(ctx, **_query) -> html.Div:
    """The page; options are read now, so uploads made on the scenario page appear."""
    options = ctx.catalogue.options()
    refs = [o["value"] for o in options]
    default = [r for r in DEFAULT_SCHEMES if r in refs] or refs[:3]
    cfg = ctx.config
    return html.Div(className="page", children=[
        html.H2(TITLE),
        html.P("Each scheme is run with the same seeds as the same population without it (its "
               "counterfactual), so the difference is the scheme's effect. Bands and brackets "
               "show where 90 % of the runs fall.", className="lead"),
        html.Div(className="controls", children=[
            _field("Schemes", dcc.Dropdown(id=SCHEMES, options=options, value=default, multi=True)),
            _field("Population", dcc.Dropdown(
                id=POPULATION, clearable=False, value=OWN,
                options=[{"label": "each scheme on its own population", "value": OWN}]
                + [{"label": f"every scheme on {o['label']}'s population", "value": o["value"]}
                   for o in options])),
            _field("Replications", dcc.Input(id=REPS, type="number", min=1, max=MAX_REPS, step=1,
                                             value=cfg.default_reps)),
            _field("Horizon (years)", dcc.Input(id=YEARS, type="number", min=0.5, max=50, step=0.5,
                                                value=cfg.default_years,
                                                placeholder="each scenario's own")),
        ]),
        ui.job_bar(RUN, CANCEL, PROGRESS, POLL, JOB, NEWS, DRAWN, cfg.poll_ms, "Run comparison"),
        html.Div(id=MESSAGE),
        html.Div(className="card", children=[
            html.Div(className="card-head", children=[
                html.H3("Decision table: which design, how much more adoption, at what cost"),
                dcc.Dropdown(id=SORT, options=dv.SORT_OPTIONS, value="additional_adopters",
                             clearable=False, className="sort-select"),
            ]),
            html.Div(id=DECISION, children=html.P("Run a comparison to fill the table.",
                                                  className="note")),
        ]),
        html.H3("Key figures"),
        html.Div(id=KEYS, className="kf-cards"),
        html.Div(className="card-controls", children=[
            dcc.RadioItems(id=SERIES, inline=True, value="adopters", className="radio",
                           options=[{"label": v, "value": k} for k, v in sm.SERIES.items()]),
            dcc.Checklist(id=PER100, options=[{"label": "per 100 buyers", "value": "per100"}], value=[],
                          className="radio"),
        ]),
        ui.figure_card(CURVES, CURVES_CSV, CURVES_DL, "Over time", status_id=CURVES_NOTE, note=(
                       "Mean of the runs (line) and the band where 90 % of them fall; the chart "
                       "says how the same runs without the scheme are drawn.")),
        ui.figure_card(DIFF, DIFF_CSV, DIFF_DL, "Effect: difference to no scheme",
                       "Run by run with the same seeds; bars show the 90 % CI of the mean "
                       "difference; a scheme is coloured only where that CI excludes zero."),
        html.Div(className="card", children=[
            html.Div(className="card-head", children=[
                html.H3("Every outcome"),
                html.Button("CSV", id=TABLE_CSV, className="btn btn-small"),
            ]),
            html.P("Mean [range of 90 % of runs]; 'vs no scheme' is the difference to the "
                   "counterfactual. Public money per additional adopter is in the decision table "
                   "(total money over total additional adopters).", className="note"),
            html.Div(id=TABLE, className="table-wrap"),
            dcc.Download(id=TABLE_DL),
        ]),
        html.Div(className="card-controls", children=[
            _field("Outcome", dcc.Dropdown(id=OUTCOME, options=sm.outcome_options(pd.DataFrame()),
                                           value="adopters", clearable=False)),
        ]),
        ui.figure_card(INTERVALS, INTERVALS_CSV, INTERVALS_DL, "One outcome, every scheme"),
    ])


def _field(text: str, control) -> html.Label:
    return html.Label(className="field", children=[html.Span(text), control])


def start(ctx, refs, population, reps, years):
    """Loads the chosen scenarios (with the population and horizon) and starts the job."""
    refs = [r for r in (refs or []) if r]
    sets = {"horizon_years": float(years)} if years else {}
    pop = ctx.catalogue.load(population, sets) if population and population != OWN else None
    scenarios, buyers = {}, {}
    for ref in refs:
        sc = ctx.catalogue.load(ref, sets)
        label = f"{sc.name}@{pop.name}" if pop else sc.name
        if label in scenarios:  # an upload named like a bundled scheme keeps its own curve
            label = f"{label} ({label_of(ref)})"
        scenarios[label] = sc.on_population(pop) if pop else sc
        buyers[label] = sum(g.count for g in scenarios[label].population.buyers)
    if pop:  # one population, one horizon (the longest, or the one set): totals must compare
        scenarios = equal_horizon(scenarios, float(years) if years else None)
    reps = max(1, min(MAX_REPS, int(reps or ctx.config.default_reps)))
    meta = {"buyers": buyers, "labels": list(scenarios), "population": pop.name if pop else None,
            "instruments": {i.id: i.description for sc in scenarios.values()
                            for i in sc.scheme.instruments if i.description},
            "horizon_months": {k: sc.months for k, sc in scenarios.items()}}
    return ctx.jobs.submit(scenarios, list(range(reps)), meta)


def register(app: dash.Dash, ctx) -> None:
    """The page's callbacks: start, cancel, poll-and-draw, redraw on a choice, downloads."""

    @app.callback(Output(JOB, "data"), Output(POLL, "disabled", allow_duplicate=True),
                  Output(MESSAGE, "children"),
                  Input(RUN, "n_clicks"), State(SCHEMES, "value"), State(POPULATION, "value"),
                  State(REPS, "value"), State(YEARS, "value"), prevent_initial_call=True)
    def _start(_n, refs, population, reps, years):
        if not refs:
            return no_update, no_update, html.P("Choose at least one scheme.", className="warn")
        try:
            job = start(ctx, refs, population, reps, years)
        except InputError as e:
            return no_update, no_update, ui.problems_box([str(p) for p in e.problems])
        return job, False, None

    register_cancel(app, ctx, CANCEL, JOB)
    register_poll(app, ctx, POLL, JOB, NEWS, DRAWN, PROGRESS)

    @app.callback(Output(KEYS, "children"), Output(CURVES, "figure"), Output(DIFF, "figure"),
                  Output(TABLE, "children"), Output(INTERVALS, "figure"), Output(OUTCOME, "options"),
                  Output(CURVES_NOTE, "children"), Output(CURVES_NOTE, "data-drawn"), Output(DRAWN, "data"),
                  Input(NEWS, "data"), Input(SERIES, "value"), Input(PER100, "value"),
                  Input(OUTCOME, "value"),
                  State(JOB, "data"))
    def _draw(news, series, per100, outcome, job):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None:
            return (*[no_update] * 8, news)
        return (*draw(snap, series, bool(per100), outcome), news, news)

    @app.callback(Output(DECISION, "children"), Input(NEWS, "data"), Input(SORT, "value"),
                  State(JOB, "data"))
    def _decision(_news, sort_by, job):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None:
            return no_update
        return decision(snap, sort_by or "additional_adopters")

    @app.callback(Output(CURVES_DL, "data"), Input(CURVES_CSV, "n_clicks"), State(JOB, "data"),
                  State(SERIES, "value"), State(PER100, "value"), prevent_initial_call=True)
    def _curves_csv(_n, job, series, per100):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None or snap.timeseries.empty:
            return no_update
        ts = sm.per_100_buyers(snap.timeseries, snap.meta["buyers"], series) if per100 else snap.timeseries
        return ui.csv_download(sm.bands_csv(ts, series), f"compare_{series}_bands.csv")

    for button, dl, name in ((TABLE_CSV, TABLE_DL, "outcomes"), (DIFF_CSV, DIFF_DL, "differences"),
                             (INTERVALS_CSV, INTERVALS_DL, "intervals")):
        @app.callback(Output(dl, "data"), Input(button, "n_clicks"), State(JOB, "data"),
                      State(OUTCOME, "value"), prevent_initial_call=True)
        def _summary_csv(_n, job, outcome, name=name):
            snap = ctx.jobs.snapshot(job) if job else None
            if snap is None or snap.runs.empty:
                return no_update
            table = sm.outcome_table_csv(sm.summarise(snap.runs))
            if name == "differences":
                table = table[table["kind"] == "difference"]
            elif name == "intervals":
                table = table[table["outcome"] == outcome]
            return ui.csv_download(table, f"compare_{name}.csv")


def decision(snap, sort_by: str) -> list:
    """The decision table of the runs finished so far (the report's and the CLI's function)."""
    if snap.runs.empty or "status" not in snap.runs or not (snap.runs["status"] == "ok").any():
        return [html.P("Waiting for the first runs…" if not snap.finished else "No run finished.",
                       className="note")]
    labels = snap.meta.get("labels") or list(dict.fromkeys(snap.runs["scenario"]))
    dec = decision_table(snap.runs, sort_by, snap.meta.get("horizon_months"))
    why = explain(snap.runs, list(dec.table["design"])) if snap.finished else None
    return dv.decision_component(dec, scheme_colours(labels), snap.meta.get("population"), why)


def _cf_totals(snap, series: str, per100: bool) -> dict[str, float] | None:
    """No-scheme totals at the horizon where no monthly no-scheme series exists (spread)."""
    runs = snap.runs
    if series != "followers" or f"cf_{series}" not in runs or "status" not in runs:
        return None
    ok = runs[runs["status"] == "ok"]
    out = ok.groupby("scenario")[f"cf_{series}"].mean().to_dict()
    buyers = snap.meta.get("buyers", {})
    return {k: v * 100 / buyers[k] for k, v in out.items() if buyers.get(k)} if per100 else out


def draw(snap, series: str, per100: bool, outcome: str) -> tuple:
    """Everything the page shows for a job snapshot (pure apart from building components)."""
    labels = snap.meta.get("labels") or list(dict.fromkeys(snap.runs.get("scenario", [])))
    colours = scheme_colours(labels)
    summary = sm.summarise(snap.runs)
    if summary.empty:
        msg = "Waiting for the first runs…" if not snap.finished else "No run finished."
        blank = ui.empty_figure(msg)
        return [], blank, blank, html.P(msg), blank, no_update, ui.drawn_note(0, snap.total, snap.finished)
    ts = snap.timeseries
    if per100:
        ts = sm.per_100_buyers(ts, snap.meta.get("buyers", {}), series)
    if len(labels) > 2:  # one panel per scheme: many overlaid lines cannot be read
        curves = timeseries_panels(
            ts, series, colours, zero_is_no_scheme=series in ("projects_funded", "programme_spend_eur"),
            cf_totals=_cf_totals(snap, series, per100), population=snap.meta.get("population"),
            y_title=f"{label(series)}{' per 100 buyers' if per100 else ''}")
    else:
        curves = ui.for_page(timeseries_bands(ts, series, colours, counterfactual=True))
        if per100:
            curves.update_yaxes(title_text=curves.layout.yaxis.title.text + " per 100 buyers")
    diff_outcomes = sm.difference_outcomes(summary)
    diff = (difference_chart(summary, diff_outcomes, colours, population=snap.meta.get("population"))
            if diff_outcomes else ui.empty_figure())
    table = ui.table(sm.outcome_table(summary, labels, instruments=snap.meta.get("instruments")),
                     numeric=())
    intervals = outcome_intervals(summary, outcome or "adopters", colours)
    intervals.update_layout(height=480)  # at the default height its y title was cut at the top
    dec = decision_table(snap.runs, "additional_adopters", snap.meta.get("horizon_months"))
    cards = ui.key_figure_cards(sm.key_figures(summary, labels, dec.table), colours)
    note = ui.drawn_note(snap.done, snap.total, snap.finished)
    return cards, curves, diff, table, intervals, sm.outcome_options(snap.runs), note
