"""Studies page: open a study from the results folder and explore outcomes against parameters.

A study (a sweep, a comparison or a run saved by the CLI) is opened by its id, never by a
path; the page shows outcomes against a parameter (scatter), all runs across parameters and
outcomes (parallel coordinates), the sensitivity indices where the study has them, and
one row per design (a scheme at one parameter point: a grid is never pooled into one row)
with its headline outcomes and their 90 % CI of the mean, sortable and filterable, beside
effect against cost with the front of designs marked. Filters (schemes, a parameter range)
apply to every view.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from simpolicy.analysis.designs import design_table, front_chart
from simpolicy.analysis.study_figures import (
    outcome_scatter,
    parallel_coordinates,
    sensitivity_bars,
    tidy_sensitivity,
)

from .. import components as ui
from .. import designs_view as dsv
from .. import search_view
from .. import study_view as sv
from ..data import StudyRefused

PATH = "/studies"
TITLE = "Studies"

STUDY = "st-study"
MESSAGE = "st-message"
REFUSED = "st-refused"
INFO = "st-info"
OUTCOME = "st-outcome"
XAXIS = "st-x"
COLOUR = "st-colour"
SCHEMES = "st-schemes"
FPARAM = "st-filter-param"
SPAN = "st-span"
COUNT = "st-count"
SCATTER, SCATTER_CSV, SCATTER_DL = "st-scatter", "st-scatter-csv", "st-scatter-dl"
PARCOORDS, PARCOORDS_CSV, PARCOORDS_DL = "st-parcoords", "st-parcoords-csv", "st-parcoords-dl"
SENS_BOX = "st-sens-box"
SENS, SENS_CSV, SENS_DL = "st-sens", "st-sens-csv", "st-sens-dl"
TABLE, TABLE_CSV, TABLE_DL = "st-table", "st-table-csv", "st-table-dl"
FRONT, FRONT_CSV, FRONT_DL = "st-front", "st-front-csv", "st-front-dl"
DESIGNS = dsv.TABLE_ID


def layout(ctx, study: str | None = None, **_query) -> html.Div:
    """The page; ``?study=<id>`` in the address opens that study (refused if not in the folder)."""
    listed = ctx.studies.list()
    ids = [s["id"] for s in listed]
    opts = [{"label": f"{s['id']} ({s['kind']}, {s['runs']} runs, {s['status']})", "value": s["id"]}
            for s in listed]
    refused = None
    if study:
        try:
            ctx.studies.path(study)
        except StudyRefused as e:
            refused, study = html.P(str(e), className="warn", role="alert"), None
    value = study if study else (ids[0] if ids and refused is None else None)
    return html.Div(className="page", children=[
        html.H2("Studies"),
        html.P([f"Studies saved in the results folder ({ctx.studies.root}, and folders in it such "
                "as demo/home) by ", html.Code("simpolicy sweep"), ", ", html.Code("compare"), " or ",
                html.Code("run"), "."], className="lead"),
        html.Div(className="controls", children=[
            _field("Study", dcc.Dropdown(id=STUDY, options=opts, value=value, clearable=False,
                                         placeholder="no study in the results folder")),
        ]),
        html.Div(id=REFUSED, children=refused),
        html.Div(id=MESSAGE),
        html.Div(id=INFO, className="info"),
        html.Div(id=search_view.PANEL),  # a design search's front, with designs to open in the builder
        html.Div(className="controls", children=[
            _field("Outcome", dcc.Dropdown(id=OUTCOME, clearable=False)),
            _field("Against", dcc.Dropdown(id=XAXIS, clearable=False)),
            _field("Colour by", dcc.Dropdown(id=COLOUR, clearable=False)),
        ]),
        html.Div(className="controls", children=[
            _field("Schemes", dcc.Dropdown(id=SCHEMES, multi=True)),
            _field("Filter on", dcc.Dropdown(id=FPARAM, placeholder="no parameter filter")),
            html.Div(className="field field-wide", children=[
                html.Span("Range"), dcc.RangeSlider(id=SPAN, min=0, max=1, value=[0, 1], marks=None,
                                                    tooltip={"placement": "bottom"})]),
            html.Span(id=COUNT, className="note"),
        ]),
        ui.figure_card(FRONT, FRONT_CSV, FRONT_DL, "Effect against cost, one point per design",
                       "Designs on the front (blue): no other design has more additional adopters "
                       "for less public money. Bars: 90 % CI of the mean over replications."),
        ui.figure_card(SCATTER, SCATTER_CSV, SCATTER_DL, "Outcome against a parameter"),
        ui.figure_card(PARCOORDS, PARCOORDS_CSV, PARCOORDS_DL, "All runs across parameters",
                       "Drag along an axis to keep only runs in that range."),
        html.Div(id=SENS_BOX, style={"display": "none"}, children=[
            ui.figure_card(SENS, SENS_CSV, SENS_DL, "Sensitivity indices",
                           "How much of the outcome's variation each parameter explains.")]),
        html.Div(className="card", children=[
            html.Div(className="card-head", children=[
                html.H3("Designs: headline outcomes against no scheme"),
                html.Button("CSV", id=TABLE_CSV, className="btn btn-small"),
            ]),
            html.Div(id=TABLE, className="table-wrap"),
            dcc.Download(id=TABLE_DL),
        ]),
    ])


FILTERS = (State(SCHEMES, "value"), State(FPARAM, "value"), State(SPAN, "value"))


def _field(text: str, control) -> html.Label:
    return html.Label(className="field", children=[html.Span(text), control])


def register(app: dash.Dash, ctx) -> None:
    """Callbacks: open a study, set the filter range, draw, downloads."""
    search_view.register(app, ctx, STUDY)

    @app.callback(Output(MESSAGE, "children"), Output(INFO, "children"),
                  Output(OUTCOME, "options"), Output(OUTCOME, "value"),
                  Output(XAXIS, "options"), Output(XAXIS, "value"),
                  Output(COLOUR, "options"), Output(COLOUR, "value"),
                  Output(SCHEMES, "options"), Output(SCHEMES, "value"),
                  Output(FPARAM, "options"), Output(FPARAM, "value"),
                  Input(STUDY, "value"))
    def _open(study_id):
        if not study_id:
            return (html.P(["No study yet: run ", html.Code("simpolicy sweep SPEC.yaml"), " or ",
                            html.Code("simpolicy compare ..."), "."]),
                    None, *[[], None] * 5)
        try:
            study = ctx.studies.load(study_id)
        except (StudyRefused, OSError, ValueError) as e:
            return html.P(str(e), className="warn", role="alert"), None, *[[], None] * 5
        runs = study["runs"]
        params, outs = sv.parameters(runs), sv.outcomes(runs)
        schemes = sorted(set(runs["scenario"])) if "scenario" in runs else []
        x = [{"label": "Scheme", "value": "scenario"}] + sv.options(params)
        colour = [{"label": "Scheme", "value": "scenario"}] + sv.options(params + outs)
        outcome = sv.default_outcome(outs, study["sensitivity"])
        # files of the folder that were not read (a foreign copy, an old folder): named, not skipped
        notes = [html.P(n, className="warn", role="status") for n in study.get("notes", [])]
        return (notes or None, [html.P(line) for line in sv.describe(study)], sv.options(outs), outcome,
                x, params[0] if params else "scenario", colour, "scenario",
                [{"label": s, "value": s} for s in schemes], schemes, sv.options(params), None)

    @app.callback(Output(SPAN, "min"), Output(SPAN, "max"), Output(SPAN, "value"), Output(SPAN, "step"),
                  Input(FPARAM, "value"), State(STUDY, "value"))
    def _span(param, study_id):
        try:
            span = sv.span_of(ctx.studies.load(study_id)["runs"], param) if study_id else None
        except (StudyRefused, OSError, ValueError):
            span = None
        if span is None:
            return 0, 1, [0, 1], 0.01
        lo, hi = span
        return lo, hi, [lo, hi], (hi - lo) / 100 or 1

    @app.callback(Output(SCATTER, "figure"), Output(PARCOORDS, "figure"), Output(SENS, "figure"),
                  Output(SENS_BOX, "style"), Output(TABLE, "children"), Output(COUNT, "children"),
                  Output(FRONT, "figure"),
                  Input(STUDY, "value"), Input(OUTCOME, "value"), Input(XAXIS, "value"),
                  Input(COLOUR, "value"),
                  Input(SCHEMES, "value"), Input(FPARAM, "value"), Input(SPAN, "value"))
    def _draw(study_id, outcome, x, colour, schemes, fparam, span):
        try:
            study = ctx.studies.load(study_id) if study_id and outcome else None
        except (StudyRefused, OSError, ValueError):
            study = None
        if study is None:
            blank = ui.empty_figure("Open a study")
            return blank, blank, blank, {"display": "none"}, None, "", blank
        return draw(study, outcome, x, colour, schemes, fparam, span)

    def _filtered(study_id, schemes, fparam, span):
        try:
            study = ctx.studies.load(study_id)
        except (StudyRefused, OSError, ValueError):
            raise PreventUpdate from None  # nothing to download for a refused study id
        return study, sv.filter_runs(study["runs"], schemes, fparam, span)

    @app.callback(Output(SCATTER_DL, "data"), Input(SCATTER_CSV, "n_clicks"), State(STUDY, "value"),
                  *FILTERS, prevent_initial_call=True)
    def _runs_csv(_n, study_id, schemes, fparam, span):
        _, df = _filtered(study_id, schemes, fparam, span)
        return ui.csv_download(df, f"{study_id}_runs.csv")

    @app.callback(Output(PARCOORDS_DL, "data"), Input(PARCOORDS_CSV, "n_clicks"), State(STUDY, "value"),
                  State(OUTCOME, "value"), *FILTERS, prevent_initial_call=True)
    def _parcoords_csv(_n, study_id, outcome, schemes, fparam, span):
        _, df = _filtered(study_id, schemes, fparam, span)
        cols = [c for c in ("run_id", "scenario", "seed", *sv.parallel_dims(df, outcome), outcome) if c in df]
        return ui.csv_download(df[list(dict.fromkeys(cols))], f"{study_id}_parallel.csv")

    @app.callback(Output(SENS_DL, "data"), Input(SENS_CSV, "n_clicks"), State(STUDY, "value"),
                  prevent_initial_call=True)
    def _sens_csv(_n, study_id):
        study, _ = _filtered(study_id, None, None, None)
        return ui.csv_download(tidy_sensitivity(study["sensitivity"]), f"{study_id}_sensitivity.csv")

    for button, dl, name in ((TABLE_CSV, TABLE_DL, "designs"), (FRONT_CSV, FRONT_DL, "front")):
        @app.callback(Output(dl, "data"), Input(button, "n_clicks"), State(STUDY, "value"),
                      *FILTERS, prevent_initial_call=True)
        def _designs_csv(_n, study_id, schemes, fparam, span, name=name):
            study, df = _filtered(study_id, schemes, fparam, span)
            table = design_table(df, sv.parameters(study["runs"])) if len(df) else df
            return ui.csv_download(table, f"{study_id.replace('/', '_')}_{name}.csv")


def draw(study: dict, outcome, x, colour, schemes, fparam, span) -> tuple:
    """Figures, sensitivity visibility, summary table and a count for the filtered runs."""
    runs = study["runs"]
    df = sv.filter_runs(runs, schemes, fparam, span)
    count = f"{len(df)} of {len(sv.ok_runs(runs))} finished runs shown"
    if df.empty or outcome not in df:
        blank = ui.empty_figure("No run matches the filters")
        return blank, blank, blank, {"display": "none"}, None, count, blank
    scatter = readable_scatter(outcome_scatter(df, x or "scenario", outcome, colour or "scenario"),
                               df, x or "scenario", colour or "scenario")
    parcoords = parallel_coordinates(df, sv.parallel_dims(df, outcome), outcome)
    sens = tidy_sensitivity(study["sensitivity"])
    sens = sens[(sens["outcome"] == outcome) & sens["value"].notna()]
    has_sens = not sens.empty
    shown = [s for s in (schemes or []) if s in set(sens["scenario"])]
    sens_fig = sensitivity_bars(sens, outcome, shown[0] if shown else None) if has_sens else ui.empty_figure()
    params = sv.parameters(runs)  # of the whole study: a filter must not merge designs
    designs = design_table(df, params)
    front = front_chart(designs) if designs["additional_adopters"].notna().any() else ui.empty_figure(
        "No design has both its additional adopters and its public money")
    table = dsv.designs_table(designs, params)
    return (scatter, parcoords, sens_fig, {"display": "block" if has_sens else "none"}, table, count,
            front)


def readable_scatter(fig, df, x: str, colour: str):
    """Room for the axis titles: schemes along the axis are named once, without the common
    population (``norway`` for ``norway@denmark_baseline``); a legend repeating them took
    three rows and squeezed the plot until its y title was clipped."""
    fig.update_layout(height=480, margin={"l": 80, "b": 90})
    if x == "scenario" and "scenario" in df:
        keys = list(dict.fromkeys(df["scenario"]))
        fig.update_xaxes(tickvals=keys, ticktext=[str(k).split("@", 1)[0] for k in keys], tickangle=0
                         if len(keys) <= 6 else -30, automargin=True)
        if colour == "scenario":
            fig.update_layout(showlegend=False)
        fig.update_layout(title_text=(fig.layout.title.text or "").replace("against scenario", "by scheme"))
    return fig
