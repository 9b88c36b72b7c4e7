"""``simpolicy report``: an offline HTML report of a run, a comparison or a study."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("report", help="offline HTML report of results (run, compare or sweep)",
                       description="Writes one self-contained HTML file (opens offline, prints well) "
                                   "with its tables as CSV files next to it.")
    p.add_argument("results", nargs="+", metavar="RESULTS_DIR",
                   help="results folder(s); several are combined into one report")
    p.add_argument("-o", "--out", metavar="FILE.html", help="report file (default RESULTS_DIR/report.html)")
    p.add_argument("--png", "--figures", dest="figures", metavar="DIR",
                   help="also write every figure as PNG and SVG into DIR (uses the system Chromium)")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from simpolicy.report import NotResults, build_report
    from simpolicy.report.export import NoBrowser

    try:
        rep = build_report([Path(r) for r in args.results], args.out, args.figures)
    except NotResults as e:
        print(f"simpolicy report: error: {e}", file=sys.stderr)
        return 2
    except NoBrowser as e:
        print(f"simpolicy report: error: {e}", file=sys.stderr)
        return 1
    size = rep.html.stat().st_size / 1e6
    print(f"report: {rep.html} ({size:.1f} MB, {len(rep.figures)} figures, {len(rep.csvs)} CSV tables)")
    if rep.images:
        print(f"figures: {len(rep.images)} files in {Path(args.figures)}")
    print(f"open it with: xdg-open {rep.html}  (or any browser; it needs no network)")
    return 0
