"""Build a scheme: start from any scheme or from none, add instruments by type, edit every rule.

Analysts design the next scheme, not only compare existing ones (issue 19). The page keeps
a draft (instruments and centre) in the browser, writes it as the scenario file it would
save, and validates that text exactly as ``simpolicy validate`` reads a file, so problems
read ``FILE:LINE: field.path: message`` and the line is the line of the YAML shown. A run
goes through the job registry like every other page (``simulate`` in worker processes),
the built scheme against the scheme it started from, each against no scheme. A saved
scheme goes to the server's folder (``schemes_store``) and appears in every page's lists.
"""

from __future__ import annotations

import dash
from dash import ALL, MATCH, Input, Output, State, dcc, html, no_update

from simpolicy.analysis.figures import difference_chart, scheme_colours, timeseries_bands
from simpolicy.scenario.errors import InputError

from .. import builder_model as bm
from .. import builder_view as bv
from .. import components as ui
from .. import search_view as sv
from .. import summaries as sm
from ..config import MAX_REPS
from ..data import label_of
from ..describe import describe_markdown
from ..polling import register_cancel, register_poll
from ..schemes_store import sanitise
from ..whatif_view import change_table

PATH = "/build"
TITLE = "Build a scheme"

START, POPULATION, NAME, DESCRIPTION = "bld-start", "bld-population", "bld-name", "bld-description"
HORIZON, REPS, KIND, ADD = "bld-horizon", "bld-reps", "bld-kind", "bld-add"
DRAFT, EDITOR, CHECK, PLAIN, YAML_TEXT = "bld-draft", "bld-editor", "bld-check", "bld-plain", "bld-yaml"
DOWNLOAD, DOWNLOAD_DL, SAVE, SAVED = "bld-download", "bld-download-dl", "bld-save", "bld-saved"
RUN, CANCEL, PROGRESS, POLL = "bld-run", "bld-cancel", "bld-progress", "bld-poll"
JOB, NEWS, DRAWN, MESSAGE = "bld-job", "bld-news", "bld-drawn", "bld-message"
KEYS, CHANGES = "bld-keys", "bld-changes"
CURVES, CURVES_NOTE, DIFF = "bld-curves", "bld-curves-note", "bld-diff"
CURVES_CSV, CURVES_DL, DIFF_CSV, DIFF_DL = "bld-curves-csv", "bld-curves-dl", "bld-diff-csv", "bld-diff-dl"

NONE = "__none__"
DEFAULT_POPULATION = "denmark_baseline"
FIELDS = (State({"type": bv.FIELD, "key": ALL, "field": ALL}, "id"),
          State({"type": bv.FIELD, "key": ALL, "field": ALL}, "value"))


def start_options(ctx) -> list[dict]:
    return [{"label": "no scheme: start empty", "value": NONE}, *ctx.catalogue.options()]


def layout(ctx, scenario: str | None = None, study: str | None = None, design: str | None = None,
           **_query) -> html.Div:
    """The page; ``?scenario=<ref>`` starts from a scheme, ``?study=<id>&design=<n>`` from a
    design of a search (the Studies page links here)."""
    refs = ctx.catalogue.refs()
    options = start_options(ctx)
    start = scenario if scenario in refs else NONE
    ref = f"{sv.DESIGN_PREFIX}{study}:{design}"
    if study and design and sv.parse_ref(ref):
        start = ref
        options.insert(1, {"label": f"design {design} of the search {study}", "value": start})
    pop = DEFAULT_POPULATION if DEFAULT_POPULATION in refs else refs[0]
    cfg = ctx.config
    return html.Div(className="page bld-page", children=[
        html.H2(TITLE),
        html.P("Start from a scheme or from none, add instruments, set their rules, and put the "
               "scheme on a country's population. The file below is what is validated, run and "
               "saved; a saved scheme appears in every page's lists.", className="lead"),
        html.Div(className="controls bld-top", children=[
            _field("Start from", dcc.Dropdown(id=START, options=options, value=start,
                                              clearable=False)),
            _field("Population", dcc.Dropdown(id=POPULATION, options=ctx.catalogue.options(), value=pop,
                                              clearable=False)),
            _field("Name", dcc.Input(id=NAME, type="text", value="my_scheme", debounce=True)),
            _field("Horizon (years)", dcc.Input(id=HORIZON, type="number", min=0.5, max=50, step=0.5,
                                                value=cfg.default_years, placeholder="the population's own",
                                                debounce=True)),
        ]),
        html.Div(className="controls", children=[
            _field("What it is for (one sentence)", dcc.Input(id=DESCRIPTION, type="text", debounce=True,
                                                               className="bld-text", value="")),
        ]),
        dcc.Store(id=DRAFT, storage_type="memory"),
        html.Div(className="whatif-grid bld-grid", children=[
            html.Div(className="bld-editor-col", children=[
                html.Div(className="bld-add", children=[
                    _field("Add an instrument", dcc.Dropdown(id=KIND, options=bv.type_options(),
                                                             value="co_financing", clearable=False)),
                    html.Button("Add", id=ADD, className="btn btn-primary", n_clicks=0),
                ]),
                html.Div(id=EDITOR),
            ]),
            html.Div(className="whatif-results", children=[
                html.Div(id=CHECK, **{"aria-live": "polite"}),
                html.Div(className="card", children=[
                    html.H3("In plain language"),
                    dcc.Markdown(id=PLAIN, className="scenario-text bld-plain"),
                ]),
                html.Div(className="card", children=[
                    html.H3("Keep it"),
                    html.Div(className="job-bar", children=[
                        html.Button("Save on the server", id=SAVE, className="btn btn-primary", n_clicks=0),
                        html.Button("Download YAML", id=DOWNLOAD, className="btn", n_clicks=0),
                        dcc.Download(id=DOWNLOAD_DL)]),
                    html.Div(id=SAVED, **{"aria-live": "polite"}),
                    html.Details(className="bld-yaml", children=[
                        html.Summary("The YAML it will save"), html.Pre(id=YAML_TEXT, className="bld-pre")]),
                ]),
                html.Div(className="card", children=[
                    html.H3("Run it against the original and no scheme"),
                    html.Div(className="controls bld-run-controls", children=[
                        _field("Replications", dcc.Input(id=REPS, type="number", min=1, max=MAX_REPS, step=1,
                                                         value=cfg.default_reps))]),
                    ui.job_bar(RUN, CANCEL, PROGRESS, POLL, JOB, NEWS, DRAWN, cfg.poll_ms, "Run"),
                    html.Div(id=MESSAGE),
                    html.Div(id=KEYS, className="kf-cards"),
                    html.Div(id=CHANGES, className="table-wrap"),
                ]),
                ui.figure_card(CURVES, CURVES_CSV, CURVES_DL, "Adopters over time", status_id=CURVES_NOTE,
                               note="Mean and 90 % band of the runs; dashed: the same runs without any "
                                    "scheme."),
                ui.figure_card(DIFF, DIFF_CSV, DIFF_DL, "Each against no scheme"),
            ]),
        ]),
    ])


def _field(text: str, control) -> html.Label:
    return html.Label(className="field", children=[html.Span(text), control])


def themes_of(ctx, ref: str | None) -> list[str]:
    try:
        return sorted(ctx.catalogue.load(ref).population.themes) if ref else []
    except InputError:
        return []


def assemble(ctx, draft, ids, values, name, horizon, description) -> tuple[str, str, object, list[str]]:
    """(YAML text, file name, scenario or None, problem lines) of the page as it is now."""
    draft = bm.merge(draft or {}, ids or [], values or [])
    draft.update(name=(name or "").strip() or "my_scheme", horizon_years=horizon, description=description)
    filename, text = f"{draft['name']}.yaml", ""
    try:
        pop = ctx.catalogue.load(draft.get("population") or DEFAULT_POPULATION)
        text = bm.to_yaml(bm.scenario_data(draft, pop))
        return text, filename, bm.check(text, filename), []
    except InputError as e:
        return text, filename, None, [str(p) for p in e.problems]


def register(app: dash.Dash, ctx) -> None:
    """Callbacks: the draft (start, population, add, remove), the live check, run, keep."""

    @app.callback(Output(DRAFT, "data"), Output(EDITOR, "children"), Output(POPULATION, "value"),
                  Output(NAME, "value"),
                  Input(START, "value"), Input(POPULATION, "value"), Input(ADD, "n_clicks"),
                  Input({"type": bv.REMOVE, "key": ALL}, "n_clicks"), State(KIND, "value"),
                  State(DRAFT, "data"), *FIELDS)
    def _draft(start, population, _add, _removes, kind, draft, ids, values):
        trigger = dash.ctx.triggered_id
        if draft is None or trigger == START:
            draft, population, name = initial(ctx, start, population, draft is None)
        else:
            name = no_update
            if isinstance(trigger, dict) and not (dash.ctx.triggered and dash.ctx.triggered[0]["value"]):
                return no_update, no_update, no_update, no_update  # a Remove button was drawn, not clicked
            if trigger is None:
                return no_update, no_update, no_update, no_update
            draft = bm.merge(draft, ids, values)
            draft["population"] = population
            if trigger == ADD and kind:
                draft = add(draft, kind)
            elif isinstance(trigger, dict):
                draft = remove(draft, trigger.get("key"))
        return draft, bv.editor(draft, themes_of(ctx, population)), population, name

    app.clientside_callback(bv.ECHO_JS, Output({"type": bv.ECHO, "key": MATCH, "field": MATCH}, "children"),
                            Input({"type": bv.FIELD, "key": MATCH, "field": MATCH}, "value"),
                            State({"type": bv.ECHO, "key": MATCH, "field": MATCH}, "title"),
                            prevent_initial_call=True)

    @app.callback(Output(PLAIN, "children"), Output(YAML_TEXT, "children"), Output(CHECK, "children"),
                  Input(DRAFT, "data"), Input({"type": bv.FIELD, "key": ALL, "field": ALL}, "value"),
                  Input(NAME, "value"), Input(HORIZON, "value"), Input(DESCRIPTION, "value"), FIELDS[0])
    def _preview(draft, values, name, horizon, description, ids):
        if draft is None:
            return no_update, no_update, no_update
        text, filename, sc, problems = assemble(ctx, draft, ids, values, name, horizon, description)
        if problems:
            return ("Fix the problems above to read the scheme in plain language.", text,
                    html.Div(className="upload-error", children=[
                        html.P(f"{filename} would not pass simpolicy validate:", className="warn"),
                        ui.problems_box(problems)]))
        return plain(sc), text, html.P(f"{filename} is valid: simpolicy validate accepts it.",
                                                  className="ok", id="bld-valid")

    keep = (State(DRAFT, "data"), *FIELDS, State(NAME, "value"), State(HORIZON, "value"),
            State(DESCRIPTION, "value"))

    @app.callback(Output(DOWNLOAD_DL, "data"), Output(SAVED, "children", allow_duplicate=True),
                  Input(DOWNLOAD, "n_clicks"), *keep, prevent_initial_call=True)
    def _download(_n, draft, ids, values, name, horizon, description):
        text, filename, sc, problems = assemble(ctx, draft, ids, values, name, horizon, description)
        if problems:
            return no_update, ui.problems_box(problems)
        return {"content": text, "filename": filename, "type": "text/yaml"}, None

    @app.callback(Output(SAVED, "children"), Output(START, "options"),
                  Output(NAME, "value", allow_duplicate=True),
                  Input(SAVE, "n_clicks"), *keep, prevent_initial_call=True)
    def _save(_n, draft, ids, values, name, horizon, description):
        store = ctx.catalogue.saved
        if store is None:
            return html.P("This dashboard has no folder for schemes.", className="warn"), no_update, no_update
        try:
            safe = sanitise(name)
            text, _f, _sc, problems = assemble(ctx, draft, ids, values, safe, horizon, description)
            if problems:
                return ui.problems_box(problems), no_update, no_update
            ref, replaced = store.save(safe, text)
        except InputError as e:
            return ui.problems_box([str(p) for p in e.problems]), no_update, no_update
        word = "replaced" if replaced else "saved"
        return (html.P(f"{word} as “{safe}”: it is now in the lists of Compare, What-if and Scenario "
                       f"({ref}).", className="ok", id="bld-saved-ok"), start_options(ctx), safe)

    @app.callback(Output(JOB, "data"), Output(POLL, "disabled", allow_duplicate=True),
                  Output(MESSAGE, "children"), Input(RUN, "n_clicks"), State(START, "value"),
                  State(REPS, "value"), *keep, prevent_initial_call=True)
    def _run(_n, start, reps, draft, ids, values, name, horizon, description):
        _t, _f, built, problems = assemble(ctx, draft, ids, values, name, horizon, description)
        if problems:
            return no_update, no_update, ui.problems_box(problems)
        try:
            runs = contenders(ctx, built, start, (draft or {}).get("population"))
        except InputError as e:
            return no_update, no_update, ui.problems_box([str(p) for p in e.problems])
        reps = max(1, min(MAX_REPS, int(reps or ctx.config.default_reps)))
        job = ctx.jobs.submit(runs, list(range(reps)), {"labels": list(runs)})
        return job, False, None

    register_cancel(app, ctx, CANCEL, JOB)
    register_poll(app, ctx, POLL, JOB, NEWS, DRAWN, PROGRESS)

    @app.callback(Output(KEYS, "children"), Output(CHANGES, "children"), Output(CURVES, "figure"),
                  Output(DIFF, "figure"), Output(CURVES_NOTE, "children"), Output(DRAWN, "data"),
                  Input(NEWS, "data"), State(JOB, "data"))
    def _draw(news, job):
        snap = ctx.jobs.snapshot(job) if job else None
        if snap is None:
            return (*[no_update] * 5, news)
        return (*draw(snap), news)

    for button, dl, kind in ((CURVES_CSV, CURVES_DL, "curves"), (DIFF_CSV, DIFF_DL, "differences")):
        @app.callback(Output(dl, "data"), Input(button, "n_clicks"), State(JOB, "data"),
                      prevent_initial_call=True)
        def _csv(_n, job, kind=kind):
            snap = ctx.jobs.snapshot(job) if job else None
            if snap is None or snap.runs.empty:
                return no_update
            if kind == "curves":
                return ui.csv_download(sm.bands_csv(snap.timeseries, "adopters"), "built_adopters_bands.csv")
            table = sm.outcome_table_csv(sm.summarise(snap.runs))
            return ui.csv_download(table[table["kind"] == "difference"], "built_vs_no_scheme.csv")


def plain(sc) -> str:
    """The scheme in the words of the Scenario page (describe.py), without the population's
    tables and the shared behaviour, which the builder does not change."""
    text = describe_markdown(sc).split("\n### Population", 1)[0]
    pop = sc.population
    return text + (f"\n\n### Population: {pop.name}\n\n{sum(g.count for g in pop.buyers):,} buyers and "
                   f"{sum(s.count for s in pop.suppliers):,} suppliers (read them on the Scenario page).")


def initial(ctx, start: str | None, population: str | None, first: bool) -> tuple[dict, str, str]:
    """(draft, population, name) for a start: its instruments, on its own population."""
    items, centre, name = [], None, "my_scheme"
    if start and start != NONE:
        try:
            sc, population = load_start(ctx, start)
            items, centre = bm.from_scenario(sc)
            found = sv.parse_ref(start)
            name = sanitise(f"{found[0]}_design_{found[1]}" if found and found[1] is not None
                            else f"{sc.name}_built")
        except InputError:
            start = NONE
    if not population or population not in ctx.catalogue.refs():
        population = DEFAULT_POPULATION
    start = None if start in (None, NONE) else start
    found = sv.parse_ref(start)
    words = (f"design {found[1] if found[1] is not None else 'start'} of the search {found[0]}"
             if found else start)
    draft = {"start": start, "start_label": words, "population": population,
             "instruments": bm.keyed(items), "centre": centre}
    return draft, population, name


def load_start(ctx, ref: str) -> tuple:
    """(scenario, reference of its population) of a start: a scheme in the lists, or a design
    of a search (its population: the searched scenario's, when it is in the lists)."""
    if sv.parse_ref(ref):
        sc, label, _name = sv.design_scenario(ctx, ref)
        return sc, label if label in ctx.catalogue.refs() else DEFAULT_POPULATION
    return ctx.catalogue.load(ref), ref


def add(draft: dict, kind: str) -> dict:
    """The draft with one more instrument of a type (or the centre, if it has none)."""
    if kind == bm.CENTRE:
        return {**draft, "centre": draft.get("centre") or bm.new_instrument(kind, [])}
    taken = [i.get("id", "") for i in draft.get("instruments", [])]
    return {**draft, "instruments": bm.keyed([*draft.get("instruments", []), bm.new_instrument(kind, taken)])}


def remove(draft: dict, key: str | None) -> dict:
    if key == bv.CENTRE_KEY:
        return {**draft, "centre": None}
    return {**draft, "instruments": [i for i in draft.get("instruments", []) if i.get("_key") != key]}


def contenders(ctx, built, start: str | None, population: str | None) -> dict:
    """What runs: the built scheme and, if it started from one, that scheme on the same
    population and horizon; each run carries its no-scheme counterfactual."""
    runs = {f"{built.name}: built": built}
    if start and start != NONE:
        found = sv.parse_ref(start)
        orig, own = load_start(ctx, sv.design_ref(found[0], None) if found else start)
        label = f"{orig.name}: as written" if found else f"{label_of(start)}: original"
        if population and population != own:
            orig = orig.on_population(ctx.catalogue.load(population))
        runs[label] = orig.model_copy(update={"horizon_years": built.horizon_years})
    return runs


def draw(snap) -> tuple:
    """Key figures, the change from the original, curves and differences of a job snapshot."""
    labels = snap.meta.get("labels") or []
    colours = scheme_colours(labels)
    summary = sm.summarise(snap.runs)
    note = ui.drawn_note(snap.done, snap.total, snap.finished)
    if summary.empty:
        msg = "Waiting for the first runs…" if not snap.finished else "No run finished."
        return [], html.P(msg, className="note"), ui.empty_figure(msg), ui.empty_figure(msg), note
    cards = ui.key_figure_cards(sm.key_figures(summary, labels), colours)
    changes = None
    if len(labels) == 2:
        table = change_table(snap.runs, labels[1], labels[0]).rename(
            columns={"unchanged": "original", "what-if": "built", "change": "built minus original"})
        changes = [html.H4("Built against the original (same seeds)"), ui.table(table)]
    curves = ui.for_page(timeseries_bands(snap.timeseries, "adopters", colours, counterfactual=True))
    outs = sm.difference_outcomes(summary)
    diff = difference_chart(summary, outs, colours) if outs else ui.empty_figure()
    return cards, changes, curves, diff, note
