"""Formatting for the terminal and for ``--json`` (strings only; printing is the caller's)."""

from __future__ import annotations

import json
import math


def clean(obj):
    """Replaces NaN and infinities by None so that --json is valid JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    return obj


def to_json(obj) -> str:
    return json.dumps(clean(obj), indent=2, allow_nan=False)


def fmt(x: float | None) -> str:
    """A number as a person reads it: thousands separators, few decimals, '-' if undefined."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}".rstrip("0").rstrip(".") if ax else "0"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain aligned text table."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in
                     enumerate(zip(headers, widths, strict=True)))
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    return "\n".join(out)


def interval_cells(iv: dict, reps: int | None = None) -> list[str]:
    return [fmt(iv["mean"]), f"[{fmt(iv['p05'])}, {fmt(iv['p95'])}]{runs_note(iv, reps)}"]


def runs_note(iv: dict, reps: int | None) -> str:
    """' (k of n runs)' where an outcome is undefined in some runs (a cost per additional
    adopter where the scheme added none): a mean of fewer runs than were made must say so,
    or one lucky run reads like the scheme's figure."""
    n = iv.get("n")
    if reps is None or n is None or n >= reps:
        return ""
    return f" ({int(n)} of {reps} runs)"


def decision_text(dec) -> str:
    """The decision table for a terminal: one line per design, the interval in brackets.

    The cells and sentence are the report's and the dashboard's (``analysis.reading``); only
    the layout differs: a terminal has no second line in a cell, so each bracket is labelled
    once, in the caption above the table.
    """
    from simpolicy.analysis.reading import caption, cells

    heads = ["design", "additional adopters", "scaling", "spread", "public money",
             "per additional adopter", "vs no scheme", "vs the best"]
    rows = []
    for row in cells(dec):
        (name, runs), *nums, (none, _), (best, how) = row
        out = [f"{name} ({runs})"]
        for main, detail in nums:
            if detail.startswith("CI "):
                lo_hi = detail[3:].split("; ")[0].replace(" to ", ", ").replace("EUR ", "")
                extra = "; " + detail.split("; ")[1] if "; " in detail else ""
                out.append(f"{main} [{lo_hi}]{extra}")
            else:
                out.append(main if main != "–" else "– (effect not clearly > 0)")
        out += [none.replace("not distinguishable from no scheme", "not distinguishable"),
                best.replace("not distinguishable from the best", "not distinguishable")
                + (" (paired)" if how.startswith("paired") else "")]
        rows.append(out)
    return (f"{caption(dec)}\nBrackets: 90 % CI of the mean (not the range of runs).\n\n"
            f"{table(heads, rows)}\n\nReading: {dec.reading}")
