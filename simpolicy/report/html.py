"""The report's HTML: page shell, print CSS, tables and embedded figures.

The page must open offline, years from now, on a ministry laptop: plotly.js is inlined
once in the head and every figure is a ``div`` plus a call to ``Plotly.newPlot``; nothing
refers to any host. Plain string templates keep the dependency list short.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

esc = html.escape

# Figures respond to the window on screen; the modebar keeps "download as PNG" (local).
PLOT_CONFIG = {"displaylogo": False, "responsive": True,
               "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
               "toImageButtonOptions": {"format": "png", "scale": 2}}

CSS = """
:root { --ink:#1d1d1f; --muted:#5b5b60; --rule:#d9d9de; --accent:#0072B2; --warn:#a15c00; }
* { box-sizing: border-box; }
body { font: 15px/1.5 Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1120px; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
header.title { border-bottom: 3px solid var(--accent); margin-bottom: 1rem; padding-bottom: .5rem; }
h1 { font-size: 1.9rem; margin: .2rem 0; }
h2 { font-size: 1.4rem; margin: 2.2rem 0 .6rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
p.lead { font-size: 1.05rem; color: var(--muted); margin: .3rem 0; }
nav.toc { background: #f6f7f9; border: 1px solid var(--rule); padding: .6rem 1rem; margin: 1rem 0; }
nav.toc ol { margin: .2rem 0; padding-left: 1.2rem; columns: 2; }
nav.toc a { color: var(--accent); text-decoration: none; }
.note { color: var(--muted); font-size: .9rem; }
.callout { border-left: 4px solid var(--accent); background: #f3f8fc; padding: .5rem .9rem; margin: .8rem 0; }
.assumed { display: inline-block; font-size: .72rem; font-weight: bold; color: var(--warn);
  border: 1px solid var(--warn); border-radius: 3px; padding: 0 .25rem; margin-left: .25rem;
  vertical-align: 1px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .86rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: #f1f2f4; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td .iv { display: block; color: var(--muted); font-size: .78rem; }
td .diff { display: block; font-size: .8rem; }
td .diff.pos { color: #006a4e; } td .diff.neg { color: #a3001b; }
code { font-size: .85rem; background: #f1f2f4; padding: 0 .2rem; border-radius: 2px;
  overflow-wrap: anywhere; }
td code { overflow-wrap: normal; }
figure.fig { margin: 1rem 0 1.6rem; page-break-inside: avoid; break-inside: avoid; }
figure.fig figcaption { color: var(--muted); font-size: .88rem; margin-top: .2rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 50%; margin-right: .35rem;
  vertical-align: -1px; border: 1px solid #333; }
table.decision { width: 100%; table-layout: fixed; font-size: .8rem; }
table.decision th, table.decision td { overflow-wrap: anywhere; hyphens: auto; padding: .25rem .35rem; }
table.decision th:first-child { width: 18%; }
table.decision td .iv { font-size: .92em; }
.flag.pos { color: #006a4e; font-weight: 600; } .flag.neg { color: #a3001b; font-weight: 600; }
p.reading { font-size: 1.05rem; border-left: 4px solid var(--accent); padding: .3rem .8rem;
  background: #f3f8fc; }
dl.glossary dt { font-weight: 600; margin-top: .4rem; } dl.glossary dd { margin: 0 0 0 1.2rem; }
section.part { border-top: 6px solid #eef0f3; margin-top: 2.5rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; border-top: 1px solid var(--rule);
  padding-top: .5rem; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav.toc, .modebar-container { display: none !important; }
  h2 { page-break-after: avoid; break-after: avoid; }
  section { page-break-before: auto; }
  table { font-size: 8pt; page-break-inside: auto; }
  tr { page-break-inside: avoid; }
  .scroll { overflow: visible; }
  table.decision { font-size: 7.5pt; }
  table { max-width: 100%; } th, td { overflow-wrap: anywhere; } td.num { white-space: normal; }
  section#summary h2 { margin-top: 0; }
  a { color: inherit; text-decoration: none; }
}
"""


# Figures are laid out for the screen; before printing they are re-laid out to the page width
# (and back afterwards), so nothing is cut off on A4.
PRINT_JS = """
(function () {
  function resizeAll() {
    document.querySelectorAll('.js-plotly-plot').forEach(function (el) { Plotly.Plots.resize(el); });
  }
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
})();
"""


def figure(fig: go.Figure, fig_id: str, caption: str = "") -> str:
    """A figure as an HTML block: its div, the ``Plotly.newPlot`` call and a caption."""
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"{fig_id}-plot",
                       config=PLOT_CONFIG, default_height=fig.layout.height or 460)
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="fig" id="{esc(fig_id)}">{body}{cap}</figure>'


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric_from: int = 1,
          cls: str = "") -> str:
    """An HTML table; headers are escaped, cells are HTML already (callers escape text).

    Columns from ``numeric_from`` on are right-aligned numbers.
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for r in rows:
        cells = "".join(f'<td class="num">{c}</td>' if i >= numeric_from else f"<td>{c}</td>"
                        for i, c in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    return (f'<div class="scroll"><table class="{esc(cls)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def section(sec_id: str, title: str, body: str) -> str:
    return f'<section id="{esc(sec_id)}"><h2>{esc(title)}</h2>{body}</section>'


def badge(text: str = "assumed", title: str = "value assumed by the modellers, not from a source") -> str:
    return f'<span class="assumed" title="{esc(title)}">{esc(text)}</span>'


def swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{esc(colour)}"></span>'


def page(title: str, subtitle: str, toc: list[tuple[str, str]], body: str, footer: str) -> str:
    """The whole document; plotly.js is inlined here, once."""
    items = "".join(f'<li><a href="#{esc(i)}">{esc(t)}</a></li>' for i, t in toc)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="simpolicy report">
<title>{esc(title)}</title>
<style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<main>
<header class="title"><h1>{esc(title)}</h1><p class="lead">{subtitle}</p></header>
<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>{items}</ol></nav>
{body}
<footer>{footer}</footer>
</main>
<script type="text/javascript">{PRINT_JS}</script>
</body>
</html>
"""


class Sink:
    """Collects every figure and table a report shows, for the PNG/SVG and CSV exports."""

    def __init__(self) -> None:
        self.figures: dict[str, go.Figure] = {}
        self.tables: dict = {}

    def figure(self, fig_id: str, fig: go.Figure, caption: str = "") -> str:
        self.figures[fig_id] = fig
        return figure(fig, fig_id, caption)

    def table(self, name: str, df) -> None:
        if df is not None and not df.empty:
            self.tables[name] = df
