"""The report's answer for a study: one row per design with intervals, and the front.

A study's designs are its parameter points, so its summary is the per-design table of
`simpolicy.analysis.designs` (never one row pooling a grid's designs), laid out like the
decision table so it fits an A4 page: the front and the designs with most additional
adopters are printed, every design is in the CSV.
"""

from __future__ import annotations

from simpolicy.analysis.designs import HEADLINE, design_table, front_chart, interval_text, shown_designs
from simpolicy.analysis.labels import fmt_value
from simpolicy.report.data import ReportData
from simpolicy.report.html import Sink, esc

MOST = 20
HEADERS = ("Design", "Additional adopters", "Public money", "Public money per additional adopter",
           "Spread (extra follower adoptions)", "On the front")


def _cell(row, q: str) -> str:
    main = fmt_value(row[q], HEADLINE[q], signed=q in ("additional_adopters", "spread"))
    if q == "cost_per_adopter" and main == "–":
        return '–<span class="iv">effect not clearly above zero</span>'
    return f'{esc(main)}<span class="iv">{esc(interval_text(row, q))}</span>'


def designs_html(part: ReportData, pid: str, sink: Sink) -> str:
    """The per-design table (90 % CI of the mean under each mean) and effect against cost."""
    designs = design_table(part.ok_runs, part.params, part.horizon_months())
    if designs.empty:
        return '<p class="note">No finished run in this study.</p>'
    sink.table(f"{pid}designs", designs)
    shown = shown_designs(designs, MOST)
    rows = []
    for _, r in shown.iterrows():
        design = f'<strong>{esc(r["design"])}</strong><span class="iv">{int(r["runs"])} runs</span>'
        cells = [design, *[_cell(r, q) for q in HEADLINE], "yes" if r["pareto"] else "no"]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADERS)
    more = (f" Showing {len(shown)} of {len(designs)} designs: those on the front, then those with "
            "most additional adopters; all are in the CSV file." if len(shown) < len(designs) else "")
    note = (f"One row per design (a scheme at one point of the study), sorted by additional "
            f"adopters; under each mean its 90 % CI of the mean over replications, paired with "
            f"the same seeds without the scheme. Public money per additional adopter is total money "
            f"over total additional adopters, shown only where the effect is clearly above zero. "
            f"On the front: no other design, and not doing nothing, has more additional adopters "
            f"for less public money.{more}")
    chart = sink.figure(f"{pid}designs-front", front_chart(designs),
                        "One point per design; bars: 90 % CI of the mean. Blue: on the front.") \
        if designs["additional_adopters"].notna().any() else ""
    return (f'<p class="note">{esc(note)}</p><table class="decision designs"><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>{chart}')
