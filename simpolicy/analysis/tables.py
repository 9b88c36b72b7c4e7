"""Tidy tables from results: summary intervals, monthly bands, the headline table and CSVs.

Pure pandas: every function takes what ``results.store.load`` returns (the manifest's
``summary`` dict, the runs and timeseries frames) and returns a DataFrame, so the report,
the dashboard and notebooks share one definition of "mean and 90 % interval".
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from simpolicy.analysis.labels import label, unit
from simpolicy.outcomes import EXTRA, OUTCOMES

PER_INSTRUMENT = ("applications_", "awards_")  # outcomes per instrument of a scheme
ID_COLUMNS = ("study_id", "run_id", "scenario", "seed", "status", "error", "traceback",
              "point", "point_id", "rep", "replication", "elapsed_s")
SUMMARY_KINDS = ("outcomes", "counterfactual", "difference", "per_100_buyers")
# The outcomes a ministry reads first: effect, reach, cost, leverage.
HEADLINE = ("projects_funded", "adopters", "additional_adopters", "followers",
            "solutions_scaled", "deadweight_share", "public_eur_per_additional_adopter",
            "private_eur_per_public_eur", "public_money_eur", "budget_use_share",
            "abort_share", "months_to_spread")
# Older results lack some newer names: read the older name in their place.
FALLBACK = {"additional_adopters": "additional_adoptions",
            "public_eur_per_additional_adopter": "public_eur_per_adoption",
            "public_money_eur": "programme_spend_eur"}
# Measures already relative to the counterfactual: their "difference to no scheme" says nothing.
RELATIVE = frozenset({"additional_adoptions", "deadweight_share", "public_eur_per_adoption",
                      "private_eur_per_public_eur", "budget_use_share", "support_per_project_eur",
                      "additional_adopters", "public_eur_per_additional_adopter",
                      "deadweight_eur_share"})
PER_100 = ("projects_funded", "adopters", "additional_adopters", "followers", "buyers_innovating",
           "solutions_scaled")


def present(names, available) -> list[str]:
    """``names`` as the columns these results hold: an older name where the newer is absent."""
    available = set(available)
    out = []
    for n in names:
        n = n if n in available or FALLBACK.get(n) not in available else FALLBACK[n]
        if n in available and n not in out:
            out.append(n)
    return out


def summary_frame(summary: dict | pd.DataFrame) -> pd.DataFrame:
    """The manifest's summary as rows (scenario, kind, outcome, mean, p05, p95, ci_low, ci_high, n).

    Accepts an already tidy frame unchanged, so builders can take either form.
    """
    if isinstance(summary, pd.DataFrame):
        return summary
    rows = []
    for scenario, s in summary.items():
        for kind in SUMMARY_KINDS:
            for outcome, iv in (s.get(kind) or {}).items():
                rows.append({"scenario": scenario, "kind": kind, "outcome": outcome, **iv})
    cols = ["scenario", "kind", "outcome", "mean", "p05", "p95", "ci_low", "ci_high", "n"]
    return pd.DataFrame(rows, columns=cols)


def summary_from_runs(runs: pd.DataFrame, by: str = "scenario", outcomes=None) -> pd.DataFrame:
    """The same tidy summary computed from run rows (for studies, whose manifest has none).

    ``outcomes`` keeps only those outcomes (all of them by default).
    """
    from simpolicy.experiments.stats import interval

    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    outs = [c for c in outcome_columns(ok) if outcomes is None or c in outcomes]
    rows = []
    for key, g in ok.groupby(by, sort=False):
        for o in outs:
            rows.append({"scenario": key, "kind": "outcomes", "outcome": o, **interval(g[o])})
            if f"cf_{o}" in g:
                rows.append({"scenario": key, "kind": "counterfactual", "outcome": o,
                             **interval(g[f"cf_{o}"])})
                rows.append({"scenario": key, "kind": "difference", "outcome": o,
                             **interval(g[o] - g[f"cf_{o}"])})
    return pd.DataFrame(rows)


def outcome_columns(runs: pd.DataFrame) -> list[str]:
    """Outcome columns present in a runs frame, in contract order then extras."""
    known = [c for c in (*OUTCOMES, *EXTRA) if c in runs.columns]
    per_instrument = sorted(c for c in runs.columns if c.startswith(PER_INSTRUMENT))
    return known + per_instrument


def parameter_columns(runs: pd.DataFrame, outcomes=()) -> list[str]:
    """Swept parameters: columns that are neither outcomes, counterfactual outcomes nor ids.

    ``outcomes`` adds outcome names a study declares (its manifest's list), for outcomes this
    version does not know.
    """
    from simpolicy.analysis.decision import NAMES

    # old outcome names kept as aliases (additional_adoptions, ...) are outcomes, not parameters
    outs = set(outcome_columns(runs)) | set(outcomes) | {c for cs in NAMES.values() for c in cs}
    return [c for c in runs.columns
            if c not in outs and not c.startswith("cf_") and c not in ID_COLUMNS
            and pd.api.types.is_numeric_dtype(runs[c]) and runs[c].nunique(dropna=True) > 1]


def band_frame(ts: pd.DataFrame, outcome: str, by: str = "scenario") -> pd.DataFrame:
    """Monthly mean and 90 % band (5th-95th percentile over runs) per scheme.

    Returns columns ``by, month, mean, p05, p95, n``; the counterfactual series, when
    present as ``<outcome>_counterfactual``, adds ``cf_mean, cf_p05, cf_p95``.
    """
    if ts.empty or outcome not in ts:
        return pd.DataFrame(columns=[by, "month", "mean", "p05", "p95", "n"])
    cols = [outcome] + ([f"{outcome}_counterfactual"] if f"{outcome}_counterfactual" in ts else [])
    g = ts.groupby([by, "month"], sort=False)
    out = pd.DataFrame({
        "mean": g[outcome].mean(), "p05": g[outcome].quantile(0.05),
        "p95": g[outcome].quantile(0.95), "n": g[outcome].count()})
    if len(cols) == 2:
        cf = cols[1]
        out["cf_mean"] = g[cf].mean()
        out["cf_p05"] = g[cf].quantile(0.05)
        out["cf_p95"] = g[cf].quantile(0.95)
    return out.reset_index().sort_values([by, "month"], kind="stable").reset_index(drop=True)


def headline_table(summary: dict | pd.DataFrame, outcomes=HEADLINE) -> pd.DataFrame:
    """One row per scheme and outcome: mean, 90 % interval, difference to no scheme, interval.

    The interval is the 5th-95th percentile over replications (where 90 % of runs fall);
    the difference is computed run by run against the counterfactual with the same seed.
    """
    df = summary_frame(summary)
    if df.empty:
        return pd.DataFrame(columns=["scheme", "outcome", "label", "unit", "mean", "p05", "p95",
                                     "diff_mean", "diff_p05", "diff_p95", "diff_ci_low",
                                     "diff_ci_high", "n"])
    rows = []
    for scenario in df["scenario"].unique():
        s = df[df["scenario"] == scenario]
        for o in outcomes:
            val = s[(s["kind"] == "outcomes") & (s["outcome"] == o)]
            if val.empty:
                continue
            v = val.iloc[0]
            d = s[(s["kind"] == "difference") & (s["outcome"] == o)]
            dv = d.iloc[0] if not d.empty else None
            rows.append({
                "scheme": scenario, "outcome": o, "label": label(o), "unit": unit(o),
                "mean": v["mean"], "p05": v["p05"], "p95": v["p95"],
                "diff_mean": _get(dv, "mean"), "diff_p05": _get(dv, "p05"),
                "diff_p95": _get(dv, "p95"), "diff_ci_low": _get(dv, "ci_low"),
                "diff_ci_high": _get(dv, "ci_high"), "n": v["n"]})
    return pd.DataFrame(rows)


def _get(row, key) -> float:
    return float(row[key]) if row is not None and row[key] is not None else math.nan


def parameter_effects(runs: pd.DataFrame, params: list[str], outcome: str,
                      bins: int = 5) -> pd.DataFrame:
    """Mean and 90 % range of an outcome per quantile bin (or level) of each swept parameter.

    The one-at-a-time reading of a study ("what happens as this parameter grows, averaging
    over the others"); columns ``parameter, x, mean, p05, p95, n``.
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    rows = []
    for p in params:
        x = ok[p]
        if x.nunique() <= bins:
            keys = x
        else:
            keys = pd.qcut(x, bins, duplicates="drop").map(lambda iv: iv.mid).astype(float)
        for key, g in ok.groupby(keys, sort=True, observed=True):
            y = g[outcome].to_numpy(dtype=float)
            y = y[np.isfinite(y)]
            rows.append({"parameter": p, "x": float(key), "mean": y.mean() if len(y) else math.nan,
                         "p05": np.percentile(y, 5) if len(y) else math.nan,
                         "p95": np.percentile(y, 95) if len(y) else math.nan, "n": len(y)})
    return pd.DataFrame(rows, columns=["parameter", "x", "mean", "p05", "p95", "n"])


def write_csvs(tables: dict[str, pd.DataFrame], folder: Path, prefix: str = "") -> list[Path]:
    """Writes each table as ``<prefix><name>.csv`` (UTF-8, no index) and returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        if df is None or df.empty:
            continue
        path = folder / f"{prefix}{name}.csv"
        df.to_csv(path, index=False)
        paths.append(path)
    return paths
