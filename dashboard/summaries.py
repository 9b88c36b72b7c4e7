"""Pure pandas helpers that turn finished runs into what the compare and what-if pages show.

They take the frames of a job snapshot (one row per run with outcomes and ``cf_*``; monthly
series) and return tidy frames; the figures come from ``simpolicy.analysis.figures``. No
Dash here, so each helper is tested on its own.
"""

from __future__ import annotations

import math

import pandas as pd

from simpolicy.analysis.labels import label, unit
from simpolicy.analysis.tables import outcome_columns, summary_from_runs
from simpolicy.outcomes import OUTCOMES

from .components import fmt

# The monthly series a reader can pick, and the question each answers.
SERIES = {
    "adopters": "Adoption (buyers that adopted)",
    "adoptions": "Scaling (all adoptions)",
    "followers": "Spread (adoptions by followers)",
    "projects_funded": "Projects funded",
    "programme_spend_eur": "Public money paid",
}
# The three numbers that say whether a scheme is worth its money.
KEY_FIGURES = (
    ("additional_adopters", "Additional adopters", "buyers that adopted because of the scheme"),
    ("deadweight_share", "Deadweight", "funded projects that would have happened anyway"),
    ("public_eur_per_additional_adopter", "Public money per additional adopter",
     "total public money / total additional adopters, where the effect is clearly above zero"),
)
DIFFERENCE_OUTCOMES = ("adopters", "followers", "solutions_scaled", "projects_funded",
                       "projects_completed", "programme_spend_eur")
COUNT_UNITS = ("buyers", "projects", "adoptions", "solutions")
# Quoted by the decision table as total money over total effect; the outcome table's mean of
# per-run ratios showed a second number for the same thing (EUR 41 k beside EUR 40 k).
IN_DECISION_TABLE = ("public_eur_per_additional_adopter", "public_eur_per_adoption")


def summarise(runs: pd.DataFrame, outcomes=None) -> pd.DataFrame:
    """Tidy intervals per scheme (outcomes, counterfactual, difference) from finished runs.

    ``outcomes`` limits it to the ones a page draws (every outcome otherwise): a redraw
    while runs arrive need not compute intervals it does not show.
    """
    if runs.empty or "status" not in runs or not (runs["status"] == "ok").any():
        return pd.DataFrame(columns=["scenario", "kind", "outcome", "mean", "p05", "p95",
                                     "ci_low", "ci_high", "n"])
    return summary_from_runs(runs[runs["status"] == "ok"], outcomes=outcomes)


def cell(iv: pd.Series | dict | None, u: str) -> str:
    """'mean [p05 – p95]' for a table cell."""
    if iv is None:
        return "–"
    m, lo, hi = iv["mean"], iv["p05"], iv["p95"]
    if isinstance(m, float) and math.isnan(m):
        return "–"
    return f"{fmt(m, u)} [{fmt(lo, u)} – {fmt(hi, u)}]"


def _lookup(summary: pd.DataFrame) -> dict:
    return {(r.scenario, r.kind, r.outcome): r._asdict() for r in summary.itertuples(index=False)}


def instrument_label(name: str, instruments: dict[str, str]) -> str:
    """'Applications: Needs-assessment grant, open all year' for applications_<id>: readers
    know an instrument by what it does, not by the id a modeller gave it."""
    for prefix, word in (("applications_", "Applications"), ("awards_", "Projects funded")):
        iid = name[len(prefix):] if name.startswith(prefix) else None
        if iid and instruments.get(iid):
            text = instruments[iid]
            return f"{word}: {text if len(text) <= 70 else text[:67].rstrip() + '…'}"
    return label(name)


def outcome_table(summary: pd.DataFrame, schemes: list[str], outcomes: list[str] | None = None,
                  instruments: dict[str, str] | None = None) -> pd.DataFrame:
    """Every outcome as a row; per scheme its mean [90 % of runs] and the difference to no scheme.

    ``instruments`` (id -> description) names per-instrument outcomes by what they do.
    """
    if summary.empty:
        return pd.DataFrame()
    look = _lookup(summary)
    names = outcomes or [o for o in dict.fromkeys(summary["outcome"]) if o not in IN_DECISION_TABLE]
    rows = []
    for o in names:
        u = unit(o)
        row = {"outcome": instrument_label(o, instruments or {})
               + (f" ({'%' if u == 'share' else u})" if u else "")}
        for s in schemes:
            row[s] = cell(look.get((s, "outcomes", o)), u)
            row[f"{s}: vs no scheme"] = cell(look.get((s, "difference", o)), u)
        rows.append(row)
    return pd.DataFrame(rows)


def outcome_table_csv(summary: pd.DataFrame) -> pd.DataFrame:
    """The same numbers as plain columns for a spreadsheet (one row per scheme, kind, outcome)."""
    if summary.empty:
        return summary
    out = summary.copy()
    out.insert(3, "label", [label(o) for o in out["outcome"]])
    out.insert(4, "unit", [unit(o) for o in out["outcome"]])
    return out


def key_figures(summary: pd.DataFrame, schemes: list[str], decision: pd.DataFrame | None = None
                ) -> list[dict]:
    """Per scheme the key figures: value text, interval text and what it means.

    ``decision`` (the decision table's rows) gives public money per additional adopter as
    the table above the cards has it, total money over total effect with its 90 % CI of
    the mean: a mean of per-run ratios gave a second, different number for the same thing.
    """
    look = _lookup(summary) if not summary.empty else {}
    rows = ({str(r["design"]): r for _, r in decision.iterrows()}
            if decision is not None and not decision.empty else {})
    out = []
    for s in schemes:
        items = []
        for name, title, meaning in KEY_FIGURES:
            if name == "public_eur_per_additional_adopter" and s in rows:
                items.append({"title": title, **_cost_item(rows[s]), "meaning": meaning})
                continue
            iv = look.get((s, "outcomes", name))
            u = unit(name)
            value = fmt(iv["mean"], u) if iv else "–"
            rng = f"90 % of runs: {fmt(iv['p05'], u)} – {fmt(iv['p95'], u)}" if iv else ""
            if name == "public_eur_per_additional_adopter" and iv is not None and not _clear(look, s):
                value, rng = "–", "not shown: additional adopters not clearly above zero"
            elif iv and name == "public_eur_per_additional_adopter" and not math.isfinite(iv["mean"]):
                rng = "no additional adopters in these runs"
            items.append({"title": title, "value": value, "range": rng, "meaning": meaning})
        out.append({"scheme": s, "items": items})
    return out


def _cost_item(row: pd.Series) -> dict:
    """Value and interval text of the decision table's public money per additional adopter."""
    cost = float(row["cost_per_adopter"])
    if not math.isfinite(cost):
        return {"value": "–", "range": "not shown: additional adopters not clearly above zero"}
    lo, hi, n = float(row["cost_ci_low"]), float(row["cost_ci_high"]), int(row["cost_runs"])
    rng = (f"90 % CI of the mean: {fmt(lo, 'EUR')} – {fmt(hi, 'EUR')}, " if math.isfinite(lo) else "")
    return {"value": fmt(cost, "EUR"), "range": rng + f"{n} run{'s' if n != 1 else ''}"}


def _clear(look: dict, scheme: str) -> bool:
    """Whether a scheme's additional adopters have a 90 % CI of the mean above zero."""
    iv = look.get((scheme, "outcomes", "additional_adopters")) or look.get(
        (scheme, "outcomes", "additional_adoptions"))
    return bool(iv) and isinstance(iv["ci_low"], float) and iv["ci_low"] > 0


def per_100_buyers(ts: pd.DataFrame, buyers: dict[str, int], series: str) -> pd.DataFrame:
    """Monthly series scaled to 100 buyers of each scheme's population (countries differ in size)."""
    if ts.empty or series not in ts:
        return ts
    out = ts.copy()
    factor = out["scenario"].map(lambda s: 100.0 / buyers[s] if buyers.get(s) else math.nan)
    for col in (series, f"{series}_counterfactual"):
        if col in out:
            out[col] = out[col] * factor
    return out


def bands_csv(ts: pd.DataFrame, series: str) -> pd.DataFrame:
    """The curves' numbers: mean and 90 % band per scheme and month."""
    from simpolicy.analysis.tables import band_frame

    return band_frame(ts, series)


def difference_outcomes(summary: pd.DataFrame) -> list[str]:
    """The outcomes worth a difference panel, present and defined in these runs."""
    if summary.empty:
        return []
    present = set(summary.loc[summary["kind"] == "difference", "outcome"])
    return [o for o in DIFFERENCE_OUTCOMES if o in present]


def outcome_options(runs: pd.DataFrame) -> list[dict]:
    """Dropdown options for every outcome present, labelled for readers."""
    cols = outcome_columns(runs) if not runs.empty else list(OUTCOMES)
    return [{"label": label(c), "value": c} for c in cols]
