"""The report's first page: the answer (decision table, one chart, the reading) and a glossary.

An analyst opens the report to learn which design gives most adoption for the public money;
that answer comes first, before how the schemes were built (the appendices). The table is
`analysis.decision.decision_table` of the runs, the same one the dashboard and
``simpolicy compare`` show, laid out to fit an A4 page.
"""

from __future__ import annotations

from simpolicy.analysis.decision import decision_table
from simpolicy.analysis.decision_figure import decision_chart, short_design
from simpolicy.analysis.reading import caption, cells, headers
from simpolicy.analysis.why import explain
from simpolicy.report.data import ReportData
from simpolicy.report.designs import designs_html
from simpolicy.report.html import Sink, esc, section, swatch

FLAG_CLASS = {"more adopters": "pos", "fewer adopters": "neg", "below the best": "neg"}
GLOSSARY = (
    ("Additional", "compared with the same buyers, suppliers and random draws without the scheme "
     "(its counterfactual, run with the same seed): what the scheme adds."),
    ("Adopter", "a public buyer that implemented at least one new solution."),
    ("Scaling", "solutions bought by three or more buyers."),
    ("Spread", "adoptions by buyers other than the buyer(s) who developed the solution (followers)."),
    ("Deadweight", "the share of funded projects that would have started without the scheme: money "
     "paid for what would have happened anyway."),
    ("Public money", "programme money paid, plus (where the results record it) the cost of services "
     "such as a competence centre and joint procurement processes."),
    ("90 % CI of the mean", "where the average over many more replications would lie, 9 times in "
     "10: use it to tell designs apart."),
    ("90 % of runs", "the range (5th to 95th percentile) of single simulated histories: how much "
     "one outcome can vary, not how sure the average is."),
    ("Not distinguishable", "the 90 % CI of the difference includes zero, so these replications "
     "cannot tell the two apart; more replications may."),
    ("μ* (mu star)", "in a Morris study, the mean absolute change of an outcome when one parameter "
     "moves: how much the outcome depends on it."),
)


def _cell(main: str, detail: str) -> str:
    cls = FLAG_CLASS.get(main, "")
    main_html = f'<span class="flag {cls}">{esc(main)}</span>' if cls else esc(main)
    return main_html + (f'<span class="iv">{esc(detail)}</span>' if detail else "")


def decision_html(part: ReportData, colours: dict[str, str], pid: str, sink: Sink,
                  sort_by: str = "additional_adopters") -> str:
    """One part's decision table, its reading and its chart (empty for a study)."""
    dec = decision_table(part.ok_runs, sort_by, part.horizon_months())
    sink.table(f"{pid}decision", dec.table)
    pop = part.population
    rows = []
    for row in cells(dec):
        (name, runs), *rest = row
        shown = esc(short_design(name, pop)).replace("_", "_<wbr>")  # wraps at words, not letters
        design = (f"{swatch(colours.get(name, '#999'))}<strong>{shown}"
                  f'</strong><span class="iv">{esc(runs)}</span>')
        rows.append([design, *[_cell(m, d) for m, d in rest]])
    head = "".join(f"<th>{esc(h)}</th>" for h in headers(dec))
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    where = (f"All designs on the population of <strong>{esc(pop)}</strong>. " if pop else
             "Each design on its own population (sizes differ: compare per 100 buyers below). ")
    chart = sink.figure(f"{pid}decision-chart", decision_chart(dec, colours, pop),
                        "Mean with its 90 % CI of the mean. Open grey markers: not distinguishable "
                        "from no scheme (dashed line). Money per additional adopter only where the "
                        "effect is clearly above zero, on a log scale.")
    why = explain(part.ok_runs, list(dec.table["design"]))
    why_html = ("<h4>Why some designs lower an outcome</h4><ul class=why>"
                + "".join(f"<li>{esc(short_design(d, pop) + t[len(d):])}</li>" for d, t in why.items())
                + "</ul>") if why else ""
    return (f'<p class="reading"><strong>Reading.</strong> {esc(dec.reading)}</p>'
            f'<p class="note">{where}{esc(caption(dec))}</p>'
            f'<table class="decision"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            f"{why_html}{chart}")


def summary(parts: list[ReportData], titles: list[str], colours: dict[str, str], sink: Sink) -> str:
    """The first section: each comparison's answer, designs on one population first."""
    order = sorted(range(len(parts)), key=lambda i: (parts[i].is_study, not parts[i].population))
    blocks = []
    for i in order:
        part, pid = parts[i], f"p{i + 1}-" if len(parts) > 1 else ""
        if part.is_study:  # one row per design: a grid pooled into one row hid its answer
            blocks.append(f"<h3>{esc(titles[i])}</h3>" + designs_html(part, pid, sink))
            continue
        head = f"<h3>{esc(titles[i])}</h3>" if len(parts) > 1 else ""
        blocks.append(head + decision_html(part, colours, pid, sink))
    return section("summary", "Summary: which design, how much more adoption, at what cost",
                   "".join(blocks))


def glossary() -> str:
    items = "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}</dd>" for t, d in GLOSSARY)
    return section("glossary", "Glossary", f'<dl class="glossary">{items}</dl>')
