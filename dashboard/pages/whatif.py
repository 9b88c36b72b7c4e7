"""What-if page: change a scheme's design or a behavioural assumption and see what happens.

The reader starts from a scheme, turns its instruments' knobs (rate, budgets, caps, calls,
themes, internal costs, scaling support) and the main behavioural assumptions, and runs the
edited scheme against the unchanged one with the same seeds. Runs go to the job registry:
the page stays responsive, shows progress, can cancel, and draws the first replications as
soon as they finish. The edited scheme downloads as a scenario file the CLI accepts.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, dcc, html, no_update

from simpolicy.analysis.decision import decision_table
from simpolicy.analysis.figures import difference_chart, scheme_colours, timeseries_bands
from simpolicy.analysis.marginal import marginal_cost
from simpolicy.scenario.errors import InputError

from .. import components as ui
from .. import decision_view as dv
from .. import edits
from .. import summaries as sm
from ..config import MAX_REPS
from ..polling import register_cancel, register_poll
from ..whatif_view import change_table, knob_control

PATH = "/what-if"
TITLE = "What-if"

SCHEME = "wi-scheme"
RESET = "wi-reset"
REPS = "wi-reps"
YEARS = "wi-years"
KNOBS = "wi-knobs"
KNOB = "wi-knob"  # pattern-matching type: {"type": KNOB, "path": "<--set path>"}
SCALING = "wi-scaling"
SCALING_BUDGET = "wi-scaling-budget"
SCALING_RATE = "wi-scaling-rate"
RUN, CANCEL, PROGRESS, POLL = "wi-run", "wi-cancel", "wi-progress", "wi-poll"
JOB, NEWS, DRAWN = "wi-job", "wi-news", "wi-drawn"
MESSAGE, CHANGES = "wi-message", "wi-changes"
MARGINAL, DECISION = "wi-marginal", "wi-decision"
SERIES = "wi-series"
CURVES, CURVES_CSV, CURVES_DL = "wi-curves", "wi-curves-csv", "wi-curves-dl"
CURVES_NOTE = "wi-curves-note"
TABLE, TABLE_CSV, TABLE_DL = "wi-table", "wi-table-csv", "wi-table-dl"
DIFF, DIFF_CSV, DIFF_DL = "wi-diff", "wi-diff-csv", "wi-diff-dl"
YAML, YAML_DL = "wi-yaml", "wi-yaml-dl"

DEFAULT_SCHEME = "denmark_copi_proposal"


def layout(ctx, **_query) -> html.Div:
    options = ctx.catalogue.options()
    refs = [o["value"] for o in options]
    start = DEFAULT_SCHEME if DEFAULT_SCHEME in refs else (refs[0] if refs else None)
    cfg = ctx.config
    return html.Div(className="page", children=[
        html.H2("What-if: change a design, see what happens"),
        html.P("The edited scheme and the unchanged one run with the same seeds, so the change "
               "between them is the effect of your edit, not noise.", className="lead"),
        html.Div(className="controls", children=[
            _field("Start from", dcc.Dropdown(id=SCHEME, options=options, value=start, clearable=False)),
            _field("Replications", dcc.Input(id=REPS, type="number", min=1, max=MAX_REPS, step=1,
                                             value=cfg.default_reps)),
            _field("Horizon (years)", dcc.Input(id=YEARS, type="number", min=0.5, max=50, step=0.5,
                                                value=cfg.default_years, placeholder="the scenario's own")),
            html.Button("Reset to the scheme", id=RESET, className="btn", n_clicks=0),
        ]),
        html.Div(className="whatif-grid", children=[
            html.Div(id=KNOBS, className="knobs"),
            html.Div(className="whatif-results", children=[
                ui.job_bar(RUN, CANCEL, PROGRESS, POLL, JOB, NEWS, DRAWN, cfg.poll_ms, "Run what-if"),
                html.Div(id=MESSAGE),
                html.Div(className="card", children=[
                    html.H3("What the edit buys"),
                    html.Div(id=CHANGES, className="changes"),
                    html.P(id=MARGINAL, className="reading",
                           children="Run the what-if to see the extra public money per extra adopter."),
                    html.Div(id=DECISION),
                ]),
                html.Div(className="card-controls", children=[
                    dcc.RadioItems(id=SERIES, inline=True, value="adopters", className="radio",
                                   options=[{"label": v, "value": k} for k, v in sm.SERIES.items()]),
                ]),
                ui.figure_card(CURVES, CURVES_CSV, CURVES_DL, "Edited against unchanged",
                               "Mean and 90 % band of the runs; dashed: the same runs without any scheme.",
                               status_id=CURVES_NOTE),
                html.Div(className="card", children=[
                    html.Div(className="card-head", children=[
                        html.H3("What the edit changes"),
                        html.Button("CSV", id=TABLE_CSV, className="btn btn-small"),
                    ]),
                    html.P("Change = edited minus unchanged, run by run with the same seeds; "
                           "the bracket is the 90 % confidence interval of the mean change.",
                           className="note"),
                    html.Div(id=TABLE, className="table-wrap"),
                    dcc.Download(id=TABLE_DL),
                ]),
                ui.figure_card(DIFF, DIFF_CSV, DIFF_DL, "Each against no scheme"),
                html.Div(className="card", children=[
                    html.H3("Keep the edited scheme"),
                    html.P("A scenario file you can validate, run and compare with the CLI.",
                           className="note"),
                    html.Button("Download scenario YAML", id=YAML, className="btn", n_clicks=0),
                    dcc.Download(id=YAML_DL),
                ]),
            ]),
        ]),
    ])


def _field(text: str, control) -> html.Label:
    return html.Label(className="field", children=[html.Span(text), control])


def knob_panel(sc) -> list:
    """Controls for every knob of a scenario, grouped by instrument, then behaviour."""
    values = edits.current_values(sc)
    themes = sorted(sc.population.themes)
    groups = []
    for inst in sc.scheme.instruments:
        rows = [knob_control(KNOB, edits.instrument_path(inst.id, k.field), k,
                             values[edits.instrument_path(inst.id, k.field)], themes)
                for k in edits.INSTRUMENT_KNOBS]
        first = not groups
        head, more = knob_heading(inst)
        groups.append(html.Details(open=first, className="knob-group", children=[
            html.Summary(head), html.P(more, className="note") if more else None, *rows]))
    if sc.scheme.competence_centre is not None:
        rows = [knob_control(KNOB, f"scheme.competence_centre.{k.field}", k,
                             values[f"scheme.competence_centre.{k.field}"], themes)
                for k in edits.CENTRE_KNOBS]
        groups.append(html.Details(className="knob-group",
                                   children=[html.Summary("competence centre"), *rows]))
    has_scaling = any(i.type == "diffusion_grant" for i in sc.scheme.instruments)
    groups.append(html.Details(open=not has_scaling, className="knob-group", children=[
        html.Summary("scaling support"),
        html.P("This scheme already has a diffusion grant (edit it above)." if has_scaling else
               "Co-finance further buyers' purchase of proven solutions.", className="note"),
        dcc.Checklist(id=SCALING, options=[{"label": " add scaling support", "value": "on",
                                            "disabled": has_scaling}], value=[]),
        html.Label(className="field", children=[html.Span("Annual budget (EUR)"), dcc.Input(
            id=SCALING_BUDGET, type="number", min=0, step=50_000, value=500_000)]),
        html.Label(className="field", children=[html.Span("Rate (share)"), dcc.Input(
            id=SCALING_RATE, type="number", min=0, max=1, step=0.05, value=0.5)]),
    ]))
    rows = [knob_control(KNOB, f"behaviour.{k.field}", k, values[f"behaviour.{k.field}"], themes)
            for k in edits.BEHAVIOUR_KNOBS]
    groups.append(html.Details(className="knob-group", children=[
        html.Summary("behavioural assumptions (all schemes)"), *rows]))
    return groups


def edited_scenario(ctx, ref, years, paths, values, scaling_on, budget, rate):
    """(base, edited, sets, scaling) from the controls; raises ``InputError`` if invalid."""
    sets = {"horizon_years": float(years)} if years else {}
    base = ctx.catalogue.load(ref, sets)
    changed = edits.changes(base, {p["path"]: v for p, v in zip(paths, values, strict=True)})
    scaling = edits.scaling_instrument(budget or 0, rate if rate is not None else 0.5, []) \
        if scaling_on else None
    return base, edits.apply(base, changed, scaling), changed, scaling


def register(app: dash.Dash, ctx) -> None:
    """Callbacks: controls for the chosen scheme, start, cancel, poll-and-draw, downloads."""
    knob_states = (State({"type": KNOB, "path": ALL}, "id"), State({"type": KNOB, "path": ALL}, "value"),
                   State(SCALING, "value"), State(SCALING_BUDGET, "value"), State(SCALING_RATE, "value"))

    @app.callback(Output(KNOBS, "children"), Input(SCHEME, "value"), Input(RESET, "n_clicks"),
                  State(YEARS, "value"))
    def _knobs(ref, _reset, years):
        if not ref:
            return html.P("No scheme to start from.")
        try:
            return knob_panel(ctx.catalogue.load(ref, {"horizon_years": float(years)} if years else {}))
        except InputError as e:
            return ui.problems_box([str(p) for p in e.problems])

    @app.callback(Output(JOB, "data"), Output(POLL, "disabled", allow_duplicate=True),
                  Output(MESSAGE, "children"), Output(CHANGES, "children"),
                  Input(RUN, "n_clicks"), State(SCHEME, "value"), State(REPS, "value"), State(YEARS, "value"),
                  *knob_states, prevent_initial_call=True)
    def _start(_n, ref, reps, years, paths, values, scaling_on, budget, rate):
        try:
            base, edited, changed, scaling = edited_scenario(ctx, ref, years, paths, values, scaling_on,
                                                             budget, rate)
        except InputError as e:
            return no_update, no_update, ui.problems_box([str(p) for p in e.problems]), None
        labels = {f"{base.name}: unchanged": base, f"{base.name}: what-if": edited}
        reps = max(1, min(MAX_REPS, int(reps or ctx.config.default_reps)))
        words = edits.edit_summary(changed, scaling, base) or ["no change: both runs are the same scheme"]
        job = ctx.jobs.submit(dict(reversed(labels.items())), list(range(reps)),
                              {"labels": list(labels), "base": base.name,
                               "horizon_months": {k: sc.months for k, sc in labels.items()}})
        return job, False, None, [html.P("Edits:", className="note"), html.Ul([html.Li(w) for w in words])]

    register_cancel(app, ctx, CANCEL, JOB)
    register_poll(app, ctx, POLL, JOB, NEWS, DRAWN, PROGRESS)

    @app.callback(Output(CURVES, "figure"), Output(TABLE, "children"), Output(DIFF, "figure"),
                  Output(CURVES_NOTE, "children"), Output(CURVES_NOTE, "data-drawn"), Output(DRAWN, "data"),
                  Input(NEWS, "data"), Input(SERIES, "value"), State(JOB, "data"))
    def _draw(news, series, job):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None:
            return no_update, no_update, no_update, no_update, no_update, news
        return (*draw(snap, series), news, news)

    @app.callback(Output(MARGINAL, "children"), Output(DECISION, "children"),
                  Input(NEWS, "data"), State(JOB, "data"))
    def _answer(_news, job):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None:
            return no_update, no_update
        return answer(snap)

    @app.callback(Output(CURVES_DL, "data"), Input(CURVES_CSV, "n_clicks"), State(JOB, "data"),
                  State(SERIES, "value"), prevent_initial_call=True)
    def _curves_csv(_n, job, series):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None or snap.timeseries.empty:
            return no_update
        return ui.csv_download(sm.bands_csv(snap.timeseries, series), f"whatif_{series}_bands.csv")

    @app.callback(Output(TABLE_DL, "data"), Input(TABLE_CSV, "n_clicks"), State(JOB, "data"),
                  prevent_initial_call=True)
    def _table_csv(_n, job):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None or snap.runs.empty:
            return no_update
        return ui.csv_download(change_table(snap.runs, *snap.meta["labels"], raw=True), "whatif_changes.csv")

    @app.callback(Output(DIFF_DL, "data"), Input(DIFF_CSV, "n_clicks"), State(JOB, "data"),
                  prevent_initial_call=True)
    def _diff_csv(_n, job):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None or snap.runs.empty:
            return no_update
        table = sm.outcome_table_csv(sm.summarise(snap.runs))
        return ui.csv_download(table[table["kind"] == "difference"], "whatif_vs_no_scheme.csv")

    @app.callback(Output(YAML_DL, "data"), Output(MESSAGE, "children", allow_duplicate=True),
                  Input(YAML, "n_clicks"), State(SCHEME, "value"), State(YEARS, "value"), *knob_states,
                  prevent_initial_call=True)
    def _yaml(_n, ref, years, paths, values, scaling_on, budget, rate):
        try:
            base, edited, changed, scaling = edited_scenario(ctx, ref, years, paths, values, scaling_on,
                                                             budget, rate)
            text = edits.to_yaml(edited, base, changed, scaling)
        except InputError as e:
            return no_update, ui.problems_box([str(p) for p in e.problems])
        return {"content": text, "filename": f"{base.name}_whatif.yaml", "type": "text/yaml"}, None


def answer(snap) -> tuple:
    """The marginal cost of the edit in words, and the decision table of both schemes."""
    unchanged, whatif = snap.meta["labels"]
    if snap.runs.empty or "status" not in snap.runs or not (snap.runs["status"] == "ok").any():
        return "Waiting for the first runs…", None
    m = marginal_cost(snap.runs, unchanged, whatif)
    dec = decision_table(snap.runs, "additional_adopters", snap.meta.get("horizon_months"))
    colours = dict(zip(snap.meta["labels"], ("#7a7a7a", "#D55E00"), strict=True))
    return m.sentence(), dv.decision_component(dec, colours)


def draw(snap, series: str) -> tuple:
    """The curves, change table and difference chart for a job snapshot."""
    unchanged, whatif = snap.meta["labels"]
    base_colour = scheme_colours([snap.meta.get("base", unchanged)])[snap.meta.get("base", unchanged)]
    colours = {unchanged: "#7a7a7a" if base_colour != "#7a7a7a" else "#555555",
               whatif: base_colour if base_colour not in ("#555555", "#9A9A9A") else "#D55E00"}
    summary = sm.summarise(snap.runs, sm.DIFFERENCE_OUTCOMES)  # all this page draws of it
    if summary.empty:
        msg = "Waiting for the first runs…" if not snap.finished else "No run finished."
        return ui.empty_figure(msg), html.P(msg), ui.empty_figure(msg), ui.drawn_note(0, snap.total, False)
    curves = one_no_scheme_line(ui.for_page(timeseries_bands(snap.timeseries, series, colours,
                                                             counterfactual=True)))
    outs = sm.difference_outcomes(summary)
    diff = difference_chart(summary, outs, colours) if outs else ui.empty_figure()
    note = ui.drawn_note(snap.done, snap.total, snap.finished)
    return curves, ui.table(change_table(snap.runs, unchanged, whatif)), diff, note


def knob_heading(inst) -> tuple[str, str | None]:
    """A knob group's heading by what the instrument does, not the id a modeller gave it
    ('Risk-relieving co-financing for the first buyer… (co-financing grant)'), and the full
    description under it when the heading had to shorten it."""
    kind = inst.type.replace("_", " ")
    text = (inst.description or "").strip().rstrip(".")
    if not text:
        return f"{inst.id.replace('_', ' ').capitalize()} ({kind})", None
    if len(text) <= 80:
        return f"{text} ({kind})", None
    return f"{text[:77].rsplit(' ', 1)[0]}… ({kind})", inst.description


def one_no_scheme_line(fig):
    """One dashed no-scheme line where both schemes' no-scheme runs are the same.

    The unchanged and the edited scheme run on one population with the same seeds, so
    unless the edit changes behaviour their counterfactuals are identical: two dashed lines
    were drawn exactly on top of each other, one hiding the other. A line equal to one
    already drawn is dropped and the kept one says it stands for both.
    """
    kept, drop = [], set()
    for i, t in enumerate(fig.data):
        if not (t.name or "").endswith(", no scheme"):
            continue
        same = next((k for k in kept if list(fig.data[k].y) == list(t.y)
                     and list(fig.data[k].x) == list(t.x)), None)
        if same is None:
            kept.append(i)
        else:
            drop.add(i)
            fig.data[same].update(name="no scheme (the same for both)", legendgroup="no scheme",
                                  line={"color": "#555555"})
    if drop:
        fig.data = [t for i, t in enumerate(fig.data) if i not in drop]
    return fig
