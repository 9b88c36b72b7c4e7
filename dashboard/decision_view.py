"""The decision table as Dash components: the same cells and sentence as the report and CLI.

The numbers come from ``simpolicy.analysis.decision.decision_table`` and the words from
``simpolicy.analysis.reading``; this module only lays them out (a table with the interval
under each mean, flags coloured only where an interval excludes zero).
"""

from __future__ import annotations

from dash import html

from simpolicy.analysis.decision_figure import short_design
from simpolicy.analysis.reading import SORT_LABELS, caption, cells, headers

FLAG_CLASS = {"more adopters": "flag pos", "fewer adopters": "flag neg", "below the best": "flag neg"}
SORT_OPTIONS = [{"label": f"sort by {v}", "value": k} for k, v in SORT_LABELS.items()]
TABLE_ID = "decision-table"


def _cell(main: str, detail: str) -> list:
    return [html.Span(main, className=FLAG_CLASS.get(main, "main")),
            html.Span(detail, className="iv") if detail else None]


WHY_ID = "decision-why"


def decision_component(dec, colours: dict[str, str], population: str | None = None,
                       why: dict[str, str] | None = None) -> list:
    """Reading, caption and table of a `Decision` (an empty-state line when nothing ran).

    ``why`` (from ``simpolicy.analysis.why.explain``) adds, under the table, why each design
    that lowers an outcome does so, from the runs' own records.
    """
    if dec.table.empty:
        return [html.P("No run has finished yet.", className="note")]
    rows = []
    for row in cells(dec):
        (name, runs), *rest = row
        design = [html.Span(className="swatch", style={"background": colours.get(name, "#999")}),
                  html.Strong(short_design(name, population)), html.Span(runs, className="iv")]
        rows.append(html.Tr([html.Td(design), *[html.Td(_cell(m, d)) for m, d in rest]],
                            className="best" if name == dec.table.iloc[0]["design"] else None))
    where = f"All designs on {population}'s population. " if population else ""
    return [
        html.P([html.Strong("Reading. "), dec.reading], className="reading"),
        html.P(where + caption(dec), className="note"),
        html.Table([html.Thead(html.Tr([html.Th(h) for h in headers(dec)])), html.Tbody(rows)],
                   className="data-table decision", id=TABLE_ID),
        html.Div(id=WHY_ID, className="why", children=[
            html.H4("Why some designs lower an outcome"),
            html.Ul([html.Li(text) for text in why.values()])]) if why else None,
    ]
