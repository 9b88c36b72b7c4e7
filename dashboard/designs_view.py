"""The Studies page's per-design table: one row per design, sortable and filterable.

The numbers come from ``simpolicy.analysis.designs.design_table`` (the report's table too);
this module only lays them out as a Dash DataTable. Means are numeric columns, so the
table sorts by value and filters with ``> 40``; the 90 % CI of the mean sits beside each
mean as text. Money is shown in EUR millions or thousands, never in scientific notation.
"""

from __future__ import annotations

import math

import pandas as pd
from dash import dash_table, html

from simpolicy.analysis.designs import interval_text, param_names

TABLE_ID = "st-designs"
# quantity -> (column title, scale, unit note)
SHOWN = {
    "additional_adopters": ("Additional adopters", 1.0, ""),
    "public_money": ("Public money", 1e6, "EUR m"),
    "cost_per_adopter": ("Public money per additional adopter", 1e3, "EUR k"),
    "spread": ("Spread (extra follower adoptions)", 1.0, ""),
}
CI_TITLE = "90 % CI of the mean"


def _fmt(decimals: int, group: bool = True) -> dict:
    """A DataTable number format: fixed decimals, thousands grouped (d3-format)."""
    return {"specifier": f"{',' if group else ''}.{decimals}f"}


def columns(designs: pd.DataFrame, params: list[str]) -> list[dict]:
    """DataTable columns: design, parameters, runs, each headline mean with its CI, front."""
    names = param_names(params)
    cols = [{"name": ["Design", ""], "id": "design", "type": "text"}]
    for p in params:
        money = p.endswith("_eur")
        cols.append({"name": ["Parameter", names[p] + (" (EUR)" if money else "")], "id": p,
                     "type": "numeric", "format": _fmt(0) if money else {"specifier": ".3~g"}})
    cols.append({"name": ["Runs", ""], "id": "runs", "type": "numeric", "format": _fmt(0)})
    for q, (title, _scale, u) in SHOWN.items():
        decimals = 0 if u == "" else (2 if u == "EUR m" else 0)
        cols.append({"name": [title, f"mean ({u})" if u else "mean"], "id": q, "type": "numeric",
                     "format": _fmt(decimals)})
        cols.append({"name": [title, CI_TITLE], "id": f"{q}_ci", "type": "text"})
    cols.append({"name": ["On the front", ""], "id": "front", "type": "text"})
    return cols


def records(designs: pd.DataFrame, params: list[str]) -> list[dict]:
    """Rows for the DataTable: means scaled to the column's unit, CIs as text, no NaN."""
    rows = []
    for _, r in designs.iterrows():
        row = {"design": r["design"], "runs": int(r["runs"]),
               "front": "yes" if bool(r["pareto"]) else "no"}
        for p in params:
            row[p] = _num(r[p])
        for q, (_title, scale, _u) in SHOWN.items():
            row[q] = _num(r[q] / scale)
            row[f"{q}_ci"] = interval_text(r, q)
        if not math.isfinite(float(r["cost_per_adopter"])):
            row["cost_per_adopter_ci"] = ("not shown: effect not clearly above zero"
                                          if r["vs_no_scheme"] != "more" else "–")
        rows.append(row)
    return rows


def _num(x) -> float | None:
    """A JSON number, or None (an empty cell) for NaN."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def designs_table(designs: pd.DataFrame, params: list[str]) -> list:
    """The sortable, filterable table and a line saying how to read it."""
    if designs.empty:
        return [html.P("No finished run matches the filters.", className="note")]
    n_front = int(designs["pareto"].sum())
    note = (f"{len(designs)} designs, each the mean over its replications with the {CI_TITLE} "
            f"(paired with the same seeds without the scheme); {n_front} on the front of additional "
            "adopters against public money. Click a column title to sort; type in the row under "
            "the titles to filter (e.g. > 40, or a word of the design).")
    return [html.P(note, className="note"), dash_table.DataTable(
        id=TABLE_ID, columns=columns(designs, params), data=records(designs, params),
        sort_action="native", filter_action="native", page_action="native", page_size=25,
        merge_duplicate_headers=True, style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "inherit", "fontSize": "13px", "padding": "4px 8px",
                    "whiteSpace": "normal", "height": "auto", "minWidth": "70px"},
        style_cell_conditional=[{"if": {"column_id": "design"}, "textAlign": "left", "minWidth": "220px"}],
        style_data_conditional=[{"if": {"filter_query": '{front} = "yes"'}, "fontWeight": "600"}],
        style_header={"fontWeight": "600", "whiteSpace": "normal", "height": "auto"})]
