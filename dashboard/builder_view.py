"""Scheme builder, the view: one card per instrument with a control for each of its fields.

Controls are generated from ``builder_model.fields_for`` (the schema), so the page has no
per-type code. Every control has a pattern-matching id ``{"type": FIELD, "key": <card>,
"field": <name>}``; the page reads them all at once, so an edit costs no server round trip
until something needs the whole scheme (plain language, YAML, validation, a run, a save).
Money and shares echo their value as a reader says it ("EUR 2.0 m", "50 %") in the browser.
"""

from __future__ import annotations

from dash import dcc, html

from simpolicy.scenario.applicability import METADATA

from . import builder_model as bm
from .components import fmt

FIELD = "bld-field"
ECHO = "bld-echo"
REMOVE = "bld-remove"
CENTRE_KEY = "centre"
MAIN = ("id", "description", "annual_budget_eur", "total_budget_eur", "rate", "max_grant_eur", "phases",
        "paid_to", "processes_per_year", "buyers_per_process", "prize_eur", "themes")

# Runs in the browser on every edit of a number: the value as the page's text says it.
ECHO_JS = """
function(value, unit) {
    if (value === null || value === undefined || value === '' || isNaN(Number(value))) { return ''; }
    var x = Number(value), ax = Math.abs(x);
    function sep(v, d) {
        return v.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d});
    }
    if (unit === 'EUR') {
        if (ax >= 1e6) { return '= EUR ' + sep(x / 1e6, 1) + ' m'; }
        if (ax >= 1e3) { return '= EUR ' + sep(x / 1e3, 0) + ' k'; }
        return '= EUR ' + sep(x, 0);
    }
    if (unit === 'share') { return '= ' + sep(100 * x, (ax >= 0.095 || x === 0) ? 0 : 1) + ' %'; }
    return '';
}
"""


def echo(value, unit: str) -> str:
    """The server's version of ``ECHO_JS`` for the first drawing (the same words)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or unit not in ("EUR", "share"):
        return ""
    if unit == "share":
        ax = abs(value)
        return f"= {100 * value:.0f} %" if ax >= 0.095 or value == 0 else f"= {100 * value:.1f} %"
    return "= " + fmt(value, "EUR")


def _caption(spec: bm.FieldSpec) -> str:
    unit = {"share": "share 0–1", "": ""}.get(spec.unit, spec.unit)
    return spec.label + (f" ({unit})" if unit else "")


def _option(value) -> dict:
    return {"label": " " + str(value).replace("_", " "), "value": value}


def field_control(key: str, spec: bm.FieldSpec, value, themes: list[str], names: list[str]) -> html.Div:
    """The input for one field of one card, labelled in plain words with its unit."""
    cid = {"type": FIELD, "key": key, "field": spec.name}
    if spec.kind in ("number", "int"):
        control = dcc.Input(id=cid, type="number", value=value, debounce=True, step="any",
                            placeholder="none" if spec.optional else "")
    elif spec.kind == "flag":
        control = dcc.Checklist(id=cid, options=[{"label": " yes", "value": "yes"}],
                                value=["yes"] if value else [])
    elif spec.kind == "choice":
        control = dcc.RadioItems(id=cid, inline=True, className="radio", value=value,
                                 options=[_option(o) for o in spec.options])
    elif spec.kind in ("multi", "themes", "fields"):
        opts = {"multi": list(spec.options), "themes": themes, "fields": names}[spec.kind]
        opts = opts + [v for v in (value or []) if v not in opts]  # keep what is set, so it is seen
        if spec.kind == "fields":
            control = dcc.Dropdown(id=cid, options=opts, value=list(value or []), multi=True,
                                   placeholder="none")
        else:
            control = dcc.Checklist(id=cid, inline=True, className="radio", value=list(value or []),
                                    options=[_option(o) for o in opts])
    elif spec.kind in ("ints", "rounds", "yaml"):
        control = dcc.Input(id=cid, type="text", value=as_text(spec.kind, value), debounce=True,
                            placeholder="none")
    else:
        control = dcc.Input(id=cid, type="text", value=value or "", debounce=True,
                            className="bld-text")
    return html.Div(className="bld-field", title=spec.help or None, children=[
        html.Span(_caption(spec), className="knob-label"),
        html.Div(className="bld-control", children=[
            control, html.Span(echo(value, spec.unit), className="bld-echo",
                               id={"type": ECHO, "key": key, "field": spec.name}, title=spec.unit)]),
    ])


def as_text(kind: str, value) -> str:
    """A list as typed in a text box: ``3, 2``; ``energy, it; health``; or YAML (flow style)."""
    if isinstance(value, str):
        return value
    if kind == "ints" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if kind == "rounds" and isinstance(value, list):
        return "; ".join(", ".join(map(str, r)) for r in value if isinstance(r, list))
    if value is None or value == []:
        return ""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()


def card(key: str, kind: str, values: dict, themes: list[str]) -> html.Div:
    """One instrument (or the competence centre): what it pays for, then its fields."""
    specs = bm.fields_for(kind)
    names = [s.name for s in specs if s.name not in METADATA]
    rows = {s.name: field_control(key, s, values.get(s.name, s.default), themes, names) for s in specs}
    main = [rows[n] for n in rows if n in MAIN or kind == bm.CENTRE]
    more = [rows[n] for n in rows if n not in MAIN and kind != bm.CENTRE]
    title = "competence centre" if kind == bm.CENTRE else f"{values.get('id', '')}"
    return html.Div(className="bld-card", id=f"bld-card-{key}", children=[
        html.Div(className="card-head", children=[
            html.H4([title, html.Span(f" {kind.replace('_', ' ')}", className="bld-type")]),
            html.Button("Remove", id={"type": REMOVE, "key": key}, className="btn btn-small", n_clicks=0),
        ]),
        html.P(f"Pays for: {bm.explain(kind)}.", className="note"),
        html.Div(main, className="bld-fields"),
        html.Details(className="bld-more", children=[
            html.Summary(f"More rules ({len(more)})"), html.Div(more, className="bld-fields"),
        ]) if more else None,
    ])


def editor(draft: dict, themes: list[str]) -> list:
    """Every card of a draft, or a line saying the scheme is still empty."""
    cards = [card(i["_key"], i.get("type", ""), i, themes) for i in draft.get("instruments", [])]
    if draft.get("centre") is not None:
        cards.append(card(CENTRE_KEY, bm.CENTRE, draft["centre"], themes))
    return cards or [html.P("No instrument yet: add one above. An empty scheme is the "
                            "population without any scheme (every scheme's counterfactual).",
                            className="note", id="bld-empty")]


def type_options() -> list[dict]:
    """The add-menu: every instrument type of the schema with what it pays for, then the centre."""
    kinds = [*bm.instrument_types(), bm.CENTRE]
    return [{"label": f"{k.replace('_', ' ')}: {bm.explain(k)}", "value": k} for k in kinds]
