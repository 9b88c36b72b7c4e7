"""Assembles the report: one self-contained HTML file, its CSV tables and optional figures.

One report may cover several results folders (the demo's "each scheme at home" and "all
schemes on Denmark's population"): the question, the schemes, the limits and the
provenance appear once; the findings appear once per folder ("part").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simpolicy.analysis.figures import scheme_colours
from simpolicy.analysis.tables import write_csvs
from simpolicy.report import back, front, results, summary
from simpolicy.report.data import NotResults, ReportData, read
from simpolicy.report.html import Sink, esc, page
from simpolicy.report.study import study


@dataclass
class Report:
    """What `build_report` wrote."""

    html: Path
    csvs: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


def _colours(parts: list[ReportData]) -> dict[str, str]:
    """One colour per scheme across the whole report; a scheme abroad keeps its home colour."""
    bases = list(dict.fromkeys(lab.split("@", 1)[0] for p in parts for lab in p.labels))
    base_colours = scheme_colours(bases)
    return {lab: base_colours[lab.split("@", 1)[0]] for p in parts for lab in p.labels}


def render(parts: list[ReportData], sink: Sink) -> tuple[str, list[tuple[str, str]]]:
    """The page body and its table of contents."""
    colours = _colours(parts)
    titles = [front.part_title(p) for p in parts]
    # The answer first; how the schemes were built and where the numbers come from after it.
    toc = [("summary", "Summary: the decision table"), ("question", "The question")]
    body = [summary.summary(parts, titles, colours, sink), front.question(parts, colours)]
    for i, (part, title) in enumerate(zip(parts, titles, strict=True), start=1):
        pid = f"p{i}-" if len(parts) > 1 else ""
        inner = [results.headline(part, colours, pid, sink), results.curves(part, colours, pid, sink),
                 results.effects(part, colours, pid, sink)]
        if part.is_study:
            inner.append(study(part, pid, sink))
        if len(parts) > 1:
            body.append(f'<section class="part" id="part-{i}"><h2>Part {i}: {esc(title)}</h2>'
                        f"{''.join(inner)}</section>")
            toc.append((f"part-{i}", f"Part {i}: {title}"))
        else:
            body.extend(inner)
            toc += [("headline", "Headline outcomes"), ("curves", "Over time"),
                    ("effects", "What the money buys")]
            if part.is_study:
                toc.append(("study", "Parameters and sensitivity"))
    body += [summary.glossary(), _appendix("A", front.schemes(parts, colours)),
             _appendix("B", back.limits()), _appendix("C", back.provenance(parts, titles))]
    toc += [("glossary", "Glossary"), ("schemes", "Appendix A: The schemes"),
            ("limits", "Appendix B: Limits of the model"), ("provenance", "Appendix C: Provenance")]
    return "".join(body), toc


def _appendix(letter: str, html: str) -> str:
    """Names a section an appendix in its heading (its id, which links use, stays)."""
    return html.replace("<h2>", f"<h2>Appendix {letter}: ", 1)


def _title(parts: list[ReportData]) -> tuple[str, str]:
    labels = list(dict.fromkeys(lab.split("@", 1)[0] for p in parts for lab in p.labels))
    what = ("Study" if any(p.is_study for p in parts) else "Comparison" if len(labels) > 1 else "Scheme")
    title = f"{what}: {', '.join(labels[:6])}{' and more' if len(labels) > 6 else ''}"
    sub = ("Simulated effects of funding schemes for innovative public procurement "
           "(simpolicy, an agent-based model)")
    return title, esc(sub)


def default_output(folders: list[Path]) -> Path:
    return Path(folders[0]) / "report.html"


def build_report(folders: list[str | Path] | str | Path, out: str | Path | None = None,
                 figures_dir: str | Path | None = None) -> Report:
    """Reads results folders and writes the HTML report, its CSVs and optional PNG/SVG figures.

    Args:
        folders: one results folder, or several to combine into one report.
        out: the HTML file (default ``<first folder>/report.html``); CSVs go next to it as
            ``<stem>-<table>.csv``.
        figures_dir: when given, every figure is also written there as PNG and SVG.
    """
    folders = [Path(f) for f in ([folders] if isinstance(folders, str | Path) else folders)]
    from simpolicy.report.optimize import build_search_report, is_search

    if any(is_search(f) for f in folders):  # a design search has its own report
        if len(folders) > 1:
            raise NotResults("a design search (simpolicy optimize) is reported on its own; "
                             "give its folder alone")
        return build_search_report(folders[0], Path(out) if out else None,
                                   Path(figures_dir) if figures_dir else None)
    parts = [read(f) for f in folders]
    out = Path(out) if out else default_output(folders)
    sink = Sink()
    body, toc = render(parts, sink)
    title, subtitle = _title(parts)
    csvs = write_csvs(sink.tables, out.parent, prefix=f"{out.stem}-")
    links = " · ".join(f"{esc(p.name)}" for p in csvs)
    footer = (f"Tables as CSV next to this file: {links}. " if links else "") + \
        "Self-contained: opens offline; print to PDF from the browser."
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(title, subtitle, toc, body, footer), encoding="utf-8")
    images = []
    if figures_dir:
        from simpolicy.report.export import write_figures

        images = write_figures(sink.figures, Path(figures_dir))
    return Report(out, csvs, images, list(sink.figures), [i for i, _ in toc])
