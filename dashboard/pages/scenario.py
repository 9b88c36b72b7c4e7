"""Scenario page: read a scenario in plain language, or upload one and see its problems.

Uploads are checked in the browser for size (so a large file is never sent) and then on the
server by simpolicy's safe YAML parser and schema, exactly as ``simpolicy validate`` does;
problems show as the CLI's ``FILE:LINE: field.path: message`` lines. A valid upload becomes
available on every page for the rest of the session.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html, no_update

from simpolicy.scenario.errors import InputError

from .. import components as ui
from ..config import MAX_UPLOAD_BYTES
from ..describe import describe_markdown

PATH = "/scenario"
TITLE = "Scenario"

SCENARIO = "sc-scenario"
UPLOAD = "sc-upload"
CHECKED = "sc-upload-checked"
RESULT = "sc-upload-result"
TEXT = "sc-text"

# Runs in the browser: refuses a file above the limit before it is sent.
SIZE_GATE = """
function(contents, filename) {
    if (!contents) { return window.dash_clientside.no_update; }
    var b64 = contents.split(',')[1] || '';
    var bytes = Math.floor(b64.length * 3 / 4);
    if (bytes > MAX_BYTES) {
        return {filename: filename, error: filename + ':0: (top): file larger than MAX_KB kB'};
    }
    return {filename: filename, contents: contents};
}
""".replace("MAX_BYTES", str(MAX_UPLOAD_BYTES)).replace("MAX_KB", str(MAX_UPLOAD_BYTES // 1000))


def layout(ctx, scenario: str | None = None, **_query) -> html.Div:
    options = ctx.catalogue.options()
    refs = [o["value"] for o in options]
    value = scenario if scenario in refs else ("denmark_copi_proposal" if "denmark_copi_proposal" in refs
                                              else (refs[0] if refs else None))
    return html.Div(className="page", children=[
        html.H2("Scenario"),
        html.P("A scenario is a population of buyers and suppliers plus a scheme of instruments. "
               "Read one here, or upload your own to use it on every page.", className="lead"),
        html.Div(className="controls", children=[
            html.Label(className="field", children=[
                html.Span("Scenario"),
                dcc.Dropdown(id=SCENARIO, options=options, value=value, clearable=False)]),
            dcc.Upload(id=UPLOAD, className="upload", accept=".yaml,.yml,text/yaml,application/x-yaml",
                       multiple=False, children=html.Div([
                           "Drop a scenario YAML here or ", html.A("choose a file", className="link"),
                           f" (at most {MAX_UPLOAD_BYTES // 1000} kB)"])),
        ]),
        dcc.Store(id=CHECKED),
        html.Div(id=RESULT, **{"aria-live": "polite"}),
        dcc.Markdown(id=TEXT, className="scenario-text"),
    ])


def upload(ctx, checked: dict) -> tuple[str | None, list[str]]:
    """(new reference, problem lines) for a size-checked upload."""
    if not isinstance(checked, dict):
        return None, ["upload: not a file upload"]
    if checked.get("error"):
        return None, [str(checked["error"])[:300]]
    try:
        ref, _ = ctx.catalogue.add_upload(checked.get("contents"), checked.get("filename"))
    except InputError as e:
        return None, [str(p) for p in e.problems]
    return ref, []


def register(app: dash.Dash, ctx) -> None:
    """Callbacks: describe the chosen scenario; size gate and server check of an upload."""
    app.clientside_callback(SIZE_GATE, Output(CHECKED, "data"), Input(UPLOAD, "contents"),
                            State(UPLOAD, "filename"), prevent_initial_call=True)

    @app.callback(Output(TEXT, "children"), Input(SCENARIO, "value"))
    def _describe(ref):
        if not ref:
            return "No scenario found."
        try:
            return describe_markdown(ctx.catalogue.load(ref))
        except InputError as e:
            return "```\n" + "\n".join(str(p) for p in e.problems) + "\n```"

    @app.callback(Output(RESULT, "children"), Output(SCENARIO, "options"), Output(SCENARIO, "value"),
                  Output(UPLOAD, "contents"), Input(CHECKED, "data"), prevent_initial_call=True)
    def _upload(checked):
        if not checked:
            return no_update, no_update, no_update, no_update
        ref, problems = upload(ctx, checked)
        name = checked.get("filename") if isinstance(checked, dict) else "the upload"
        if problems:  # contents cleared so that the same file can be dropped again after a fix
            return (html.Div(className="upload-error", children=[
                html.P(f"{name} was not accepted:"), ui.problems_box(problems)]),
                no_update, no_update, None)
        return (html.P(f"{name} is valid and is now available on every page as "
                       f"“{ref}”.", className="ok"), ctx.catalogue.options(), ref, None)
