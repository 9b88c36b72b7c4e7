"""A design search (``simpolicy optimize``) on the Studies page, and its designs in the builder.

Why here and not in the Studies page's own module: the page explores runs of any study;
a search adds a front to read and designs to open, which the builder (issue 19) must be
able to start from. So this module reads the search (its manifest and ``designs.parquet``,
through ``optdir.read_designs`` with its checksum), draws the same front figure as the
report (``analysis.front_figure``) and turns one design into a scenario: the scheme as the
search ran it (the manifest keeps its full spec) with the design's ``--set`` values.
Designs are addressed by study id and design number only, never by a path.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import pandas as pd
from dash import Input, Output, dcc, html

from simpolicy.analysis.front_figure import fmt_measure, front_figure, measure_label
from simpolicy.scenario.errors import InputError, Problem
from simpolicy.scenario.loader import scenario_from_data

from . import components as ui
from .data import StudyRefused

PANEL, FRONT = "st-search", "st-search-front"
DESIGN_PREFIX = "design:"
MAX_LISTED = 20


def read_search(ctx, study_id: str) -> tuple[dict, pd.DataFrame] | None:
    """(manifest, designs) of a finished search in the results folder, or None for another study."""
    from simpolicy.experiments.optdir import KIND, read_designs
    from simpolicy.results import store

    try:
        folder = ctx.studies.path(study_id)
        m = store.read_manifest(folder)
        if m.get("kind") != KIND:
            return None
        return m, read_designs(folder, m)
    except (StudyRefused, OSError, ValueError):
        return None


def design_ref(study_id: str, design: int | None) -> str:
    """The builder's start value for a design (None: the scheme as the search started it)."""
    return f"{DESIGN_PREFIX}{study_id}:{'start' if design is None else int(design)}"


def parse_ref(ref: str) -> tuple[str, int | None] | None:
    """(study id, design or None) of a ``design:`` reference, or None for any other value."""
    if not isinstance(ref, str) or not ref.startswith(DESIGN_PREFIX):
        return None
    study, _, which = ref[len(DESIGN_PREFIX):].rpartition(":")
    if not study or not (which == "start" or which.isdigit()):
        return None
    return study, None if which == "start" else int(which)


def _plain(value):
    """A parquet value as the scenario file would hold it (numpy scalars made plain)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) >= 1000:
        return int(value)  # whole-euro budgets, as the search wrote them
    return value


def design_scenario(ctx, ref: str):
    """(scenario, label, start scenario name) of a ``design:`` reference; raises ``InputError``."""
    parsed = parse_ref(ref)
    found = read_search(ctx, parsed[0]) if parsed else None
    if found is None:
        raise InputError([Problem(str(ref)[:120], 0, "", "no such design search in the results folder")])
    (study, design), (m, designs) = parsed, found
    label, info = next(iter((m.get("scenarios") or {}).items()), (None, {}))
    spec = (info or {}).get("spec")
    if not isinstance(spec, dict):
        raise InputError([Problem(study, 0, "", "the search keeps no scenario to start from")])
    sets = {}
    if design is not None:
        rows = designs[designs["design"] == design]
        if rows.empty:
            raise InputError([Problem(study, 0, "", f"the search has no design {design}")])
        sets = {p: _plain(rows.iloc[0][p]) for p in m.get("parameters") or [] if p in rows}
    name = f"{study}#{'start' if design is None else design}"
    return scenario_from_data(spec, {}, name, sets), label, spec.get("name", label)


def panel(ctx, study_id: str | None) -> list:
    """The front of a search and its designs with links to the builder (empty otherwise)."""
    found = read_search(ctx, study_id) if study_id else None
    if found is None:
        return []
    m, d = found
    if d.empty:
        return [html.P("This design search has not finished: its front is written at the end "
                       "(finish it with simpolicy optimize SPEC --resume).", className="note")]
    goals = (m.get("result") or {}).get("goals") or m.get("objectives") or {}
    effect = next((k for k, g in goals.items() if g == "max"), next(iter(goals), None))
    cost = next((k for k, g in goals.items() if g == "min"), None)
    years = float(next(iter((m.get("scenarios") or {"": {}}).values())).get("horizon_years") or 1)
    children = [html.H3("Design search: the front")]
    if effect and cost:
        money = cost.endswith("_eur")
        fig = front_figure(d, effect, cost, years if money else 1.0,
                           f"{measure_label(cost)} a year (EUR)" if money else None)
        children += [html.P("Grey: designs tried; blue: the front after re-evaluation with 90 % confidence "
                            "intervals of the mean; star: the scheme as written.", className="note"),
                     dcc.Graph(id=FRONT, figure=fig, config=ui.GRAPH_CONFIG)]
    rows = d[d["reevaluated"]].sort_values(effect, ascending=False).head(MAX_LISTED) if effect else d.head(0)
    head = html.Tr([html.Th(t) for t in ("design", *(measure_label(k) for k in goals), "on the front", "")])
    body = []
    for _, r in rows.iterrows():
        start = r["origin"] == "start"
        scale = {k: years if k.endswith("_eur") else 1.0 for k in goals}
        body.append(html.Tr([
            html.Td("as written" if start else str(int(r["design"]))),
            *(html.Td(fmt_measure(r[k] / scale[k], k) + (" a year" if scale[k] != 1 else "")) for k in goals),
            html.Td("yes" if r["pareto"] else "no"),
            html.Td(dcc.Link("Open in the builder", className="link", href=builder_href(
                study_id, None if start else int(r["design"])))),
        ]))
    children.append(html.Table([html.Thead(head), html.Tbody(body)], className="data-table",
                               id="st-search-designs"))
    return [html.Div(className="card", children=children)]


def builder_href(study_id: str, design: int | None) -> str:
    """The builder's address for a design (None: the scheme as the search started it)."""
    return f"/build?{urlencode({'study': study_id, 'design': 'start' if design is None else design})}"


def register(app, ctx, study_id: str) -> None:
    """Fills the search panel of the Studies page when a search is chosen."""

    @app.callback(Output(PANEL, "children"), Input(study_id, "value"))
    def _panel(study):
        return panel(ctx, study)
