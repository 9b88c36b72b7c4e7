"""Why a scheme lowers adoption: a breakdown from the model's own records, run by run.

A decision table that says "fewer adopters than no scheme" invites the question why. The
answer here is read only from outcomes every run records against its counterfactual (same
population and seed, no scheme), so it is the model's account, not a guess:

- **deadweight**: funded projects that would have started without the scheme
  (``deadweight_share`` x ``projects_funded``), i.e. money paid for what happened anyway;
- **crowd-out of spread**: fewer adoptions by followers (``followers`` against its
  counterfactual): buyers who know development money is on offer reuse others' solutions
  less (ODD 7.1 and 7.8, ``crowd_out``);
- **purchases displaced**: fewer buyers buying a product that already existed
  (``adopters_existing_products``): needs turned into development projects instead;
- **projects**: more or fewer innovation projects started and aborted than without the
  scheme (``projects_started``, ``projects_aborted``), and pilots lost at a re-tender.

Each difference carries its 90 % CI of the mean over replications (paired by seed); a
component is named only when that interval excludes zero, except deadweight, which is a
share of the scheme's own projects and is always stated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from simpolicy.analysis.decision import t_interval
from simpolicy.analysis.labels import fmt_value

# outcome -> (direction that lowers adoption, what it means). Only a difference in that
# direction is a reason; one the other way is not named.
COMPONENTS = {
    "followers": (-1, "fewer adoptions by followers, as buyers who know development money is on "
                      "offer reuse others' solutions less (crowd-out)"),
    "adopters_existing_products": (-1, "fewer buyers bought a product that already existed, as "
                                       "needs went to development projects instead (purchases "
                                       "displaced)"),
    "projects_started": (-1, "fewer innovation projects started than without the scheme "
                             "(projects that would have happened were crowded out)"),
    "projects_aborted": (+1, "more projects ended without a working solution (aborted)"),
    "retenders_lost": (+1, "more pilots lost to another supplier at the re-tender"),
}
OUTCOMES_LOWERED = ("adopters", "followers", "solutions_scaled")


@dataclass(frozen=True)
class Component:
    """One part of the explanation: a paired difference and what it means."""

    outcome: str
    mean: float
    ci_low: float
    ci_high: float
    text: str

    def sentence(self) -> str:
        def fmt(x):
            return fmt_value(x, self.outcome, signed=True)
        return (f"{self.text}: {fmt(self.mean)} "
                f"(90 % CI of the mean {fmt(self.ci_low)} to {fmt(self.ci_high)})")


def _paired(g: pd.DataFrame, outcome: str) -> tuple[float, float, float] | None:
    if outcome not in g or f"cf_{outcome}" not in g:
        return None
    m, lo, hi, n = t_interval(g[outcome].astype(float) - g[f"cf_{outcome}"].astype(float))
    return (m, lo, hi) if n >= 2 and math.isfinite(lo) else None


def lowered(runs: pd.DataFrame, design: str) -> list[str]:
    """Headline outcomes the design lowers against no scheme (90 % CI below zero)."""
    g = _ok(runs, design)
    out = []
    for o in OUTCOMES_LOWERED:
        d = _paired(g, o)
        if d is not None and d[2] < 0:
            out.append(o)
    return out


def _ok(runs: pd.DataFrame, design: str) -> pd.DataFrame:
    g = runs[runs["scenario"].astype(str) == design]
    return g[g["status"] == "ok"] if "status" in g else g


def breakdown(runs: pd.DataFrame, design: str) -> tuple[str, list[Component]]:
    """(deadweight sentence, components whose CI excludes zero) for one design."""
    g = _ok(runs, design)
    dead = ""
    if {"deadweight_share", "projects_funded"} <= set(g.columns) and len(g):
        share = float(g["deadweight_share"].mean(skipna=True))
        funded = float(g["projects_funded"].mean(skipna=True))
        if math.isfinite(share) and math.isfinite(funded) and funded > 0:
            dead = (f"{fmt_value(share, 'deadweight_share')} of its funded projects (about "
                    f"{share * funded:,.0f} of {funded:,.0f}) would have started without the scheme "
                    "(deadweight: money paid for what happened anyway)")
    parts = []
    for o, (direction, text) in COMPONENTS.items():
        d = _paired(g, o)
        if d is None or d[1] <= 0 <= d[2] or d[0] * direction < 0:
            continue  # unclear, or not a way that lowers adoption
        parts.append(Component(o, d[0], d[1], d[2], text))
    return dead, parts


def explain(runs: pd.DataFrame, designs) -> dict[str, str]:
    """For each design that lowers adoption, scaling or spread: one paragraph saying why.

    Designs that lower nothing get no entry. The words name what was measured; where the
    records show no component clearly, the paragraph says so instead of guessing.
    """
    out = {}
    for d in designs:
        low = lowered(runs, d)
        if not low:
            continue
        what = ", ".join({"adopters": "adoption", "followers": "spread",
                          "solutions_scaled": "scaling"}[o] for o in low)
        dead, parts = breakdown(runs, d)
        bits = [dead] if dead else []
        bits += [c.sentence() for c in parts]
        body = "; ".join(bits) if bits else ("no recorded component differs clearly from no "
                                             "scheme with these replications")
        out[d] = f"{d} lowers {what} against no scheme. From the runs' own records: {body}."
    return out
