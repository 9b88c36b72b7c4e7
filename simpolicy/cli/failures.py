"""Why runs failed, for every command that reports runs.

A run that raised used to show as a table of "-" and ``"failed": 1``: the reason was stored
in the results but never shown. Now the distinct errors are printed (stderr, one line each)
and carried in ``--json`` under ``errors``.
"""

from __future__ import annotations

import sys

import pandas as pd


def failures(runs: pd.DataFrame, limit: int = 5) -> list[dict]:
    """Distinct errors of the failed runs: message, how many runs, their first seeds."""
    if runs is None or runs.empty or "status" not in runs:
        return []
    bad = runs[runs["status"] != "ok"]
    if bad.empty:
        return []
    errors = bad["error"].fillna("unknown error").astype(str) if "error" in bad else \
        pd.Series("unknown error", index=bad.index)
    out = []
    for message, group in bad.groupby(errors, sort=False):
        seeds = [int(s) for s in group["seed"].head(5)] if "seed" in group else []
        scen = sorted({str(s) for s in group["scenario"]}) if "scenario" in group else []
        out.append({"error": str(message)[:500], "runs": len(group), "seeds": seeds, "scenarios": scen})
    return sorted(out, key=lambda e: -e["runs"])[:limit]


def print_failures(runs: pd.DataFrame, file=None) -> None:
    """One line per distinct error, on stderr."""
    file = file or sys.stderr
    errs = failures(runs)
    total = int((runs["status"] != "ok").sum()) if errs else 0
    if not errs:
        return
    print(f"{total} of {len(runs)} runs failed:", file=file)
    for e in errs:
        where = f" ({', '.join(e['scenarios'])}; seeds {', '.join(map(str, e['seeds']))})"
        print(f"  {e['runs']} run(s): {e['error'].splitlines()[0] if e['error'] else ''}{where}", file=file)
