"""The decision table: which design gives most adoption per public euro, against no scheme.

One pure function, `decision_table`, turns a comparison's run rows (one row per run: the
scheme's outcomes and ``cf_<outcome>``, its counterfactual with the same seed) into one row
per design. The report, the dashboard's Compare page and ``simpolicy compare`` all call it,
so the number an analyst quotes to a minister is the same wherever it was read.

Every interval here is a **90 % confidence interval of the mean** over replications (how
sure we are of the average effect), never the range where 90 % of runs fall (how much one
history varies): the table is for telling designs apart. Effects are paired run by run
against the counterfactual with the same seed (common random numbers).

Cost per additional adopter is a ratio of sums, total public money over total additional
adopters, because a mean of per-run ratios explodes in runs with one or no extra adopter.
Its interval is the delta method over replications. It is shown only where the effect's
interval lies clearly above zero: next to a zero or negative effect a cost per adopter is
meaningless, and quoting one would mislead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import stdtrit

LEVEL = 0.90
# Outcome -> columns to read, newest name first: results written before the model renamed
# an outcome (issue 15) keep working.
NAMES = {
    "additional_adopters": ("additional_adopters", "additional_adoptions"),
    "public_money_eur": ("public_money_eur", "programme_spend_eur"),
    "public_eur_per_additional_adopter": ("public_eur_per_additional_adopter",
                                          "public_eur_per_adoption"),
    "solutions_scaled": ("solutions_scaled",),
    "followers": ("followers",),
    "deadweight_share": ("deadweight_share",),
    "deadweight_eur_share": ("deadweight_eur_share",),
}
# What the table ranks by, and which way is better.
SORT_KEYS = {
    "additional_adopters": "higher", "scaling": "higher", "spread": "higher",
    "public_money": "lower", "cost_per_adopter": "lower",
}
COLUMNS = ["design", "runs", "horizon_months",
           "additional_adopters", "additional_adopters_ci_low", "additional_adopters_ci_high",
           "scaling", "scaling_ci_low", "scaling_ci_high",
           "spread", "spread_ci_low", "spread_ci_high",
           "public_money", "public_money_ci_low", "public_money_ci_high",
           "cost_per_adopter", "cost_ci_low", "cost_ci_high", "cost_runs",
           "deadweight_share", "deadweight_eur_share",
           "vs_no_scheme", "best", "not_distinguishable_from_best", "paired_with_best"]


def column(runs: pd.DataFrame, name: str) -> str | None:
    """The column holding an outcome: its new name if present, else its old one, else None."""
    return next((c for c in NAMES.get(name, (name,)) if c in runs.columns), None)


def t_interval(x) -> tuple[float, float, float, int]:
    """Mean and 90 % CI of the mean (Student t) of the finite values, and how many there were."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, n
    half = float(stdtrit(n - 1, (1 + LEVEL) / 2) * x.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half, n


def ratio_of_sums(money, effect) -> tuple[float, float, float, int]:
    """Total money / total effect with a delta-method 90 % interval over replications.

    The linearised ratio per run, ``(money_i - R * effect_i) / mean(effect)``, has mean zero
    and the ratio's sampling variance over n; the interval uses Student t like the others.
    The lower end is cut at zero (money is never negative).
    """
    m, e = np.asarray(money, dtype=float), np.asarray(effect, dtype=float)
    ok = np.isfinite(m) & np.isfinite(e)
    m, e = m[ok], e[ok]
    n = len(m)
    if n == 0 or e.sum() <= 0:
        return math.nan, math.nan, math.nan, n
    r = float(m.sum() / e.sum())
    if n < 2:
        return r, math.nan, math.nan, n
    z = (m - r * e) / e.mean()
    half = float(stdtrit(n - 1, (1 + LEVEL) / 2) * z.std(ddof=1) / math.sqrt(n))
    return r, max(0.0, r - half), r + half, n


@dataclass
class Decision:
    """The decision table and what is needed to read it honestly."""

    table: pd.DataFrame
    sort_by: str
    reading: str = ""
    horizon_months: dict[str, int] = field(default_factory=dict)
    money_column: str = "programme_spend_eur"
    effect_column: str = "additional_adopters"
    reps: int = 0

    @property
    def horizon(self) -> str:
        """'10 years', or the span when designs ran on different horizons."""
        return horizon_text(self.horizon_months)

    @property
    def services_included(self) -> bool:
        """Whether public money counts the competence centre and joint processes."""
        return self.money_column == "public_money_eur"

    def to_dict(self) -> dict:
        """A JSON-ready form (``simpolicy compare --json`` prints it under ``decision``)."""
        rows = self.table.astype(object).where(self.table.notna(), None).to_dict("records")
        return {"sort_by": self.sort_by, "horizon": self.horizon,
                "horizon_months": self.horizon_months, "reps": self.reps,
                "interval": "90 % CI of the mean",
                "money_column": self.money_column, "effect_column": self.effect_column,
                "services_included": self.services_included, "reading": self.reading,
                "rows": rows}


def horizon_text(months: dict[str, int]) -> str:
    spans = sorted({int(m) for m in months.values() if m})
    if not spans:
        return "horizon not recorded"
    if len(spans) == 1:
        return f"{spans[0] / 12:g} year{'s' if spans[0] != 12 else ''}"
    return f"{spans[0] / 12:g} to {spans[-1] / 12:g} years (not equal: totals not comparable)"


def _per_run(runs: pd.DataFrame) -> tuple[pd.DataFrame, str, str]:
    """Per run: seed, design, and the four quantities paired against the counterfactual."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    eff = column(ok, "additional_adopters")
    if eff is not None:
        effect = ok[eff].astype(float)
    elif {"adopters", "cf_adopters"} <= set(ok.columns):
        eff, effect = "adopters - cf_adopters", ok["adopters"].astype(float) - ok["cf_adopters"]
    else:
        eff, effect = "", pd.Series(math.nan, index=ok.index)
    money_col = column(ok, "public_money_eur") or ""
    money = ok[money_col].astype(float) if money_col else pd.Series(math.nan, index=ok.index)
    if money_col and f"cf_{money_col}" in ok:  # the money the scheme adds (none is paid without it)
        money = money - ok[f"cf_{money_col}"].astype(float).fillna(0.0)

    def diff(name: str) -> pd.Series:
        if name not in ok:
            return pd.Series(math.nan, index=ok.index)
        cf = ok[f"cf_{name}"].astype(float) if f"cf_{name}" in ok else 0.0
        return ok[name].astype(float) - cf

    cf_cols = [c for c in ("cf_adopters", "cf_projects_started", "cf_followers") if c in ok]
    per = pd.DataFrame({
        "design": ok["scenario"].astype(str), "seed": ok["seed"] if "seed" in ok else range(len(ok)),
        "additional_adopters": effect, "scaling": diff("solutions_scaled"),
        "spread": diff("followers"), "public_money": money,
        "deadweight_share": ok[column(ok, "deadweight_share")] if column(ok, "deadweight_share")
        else math.nan,
        "deadweight_eur_share": ok["deadweight_eur_share"] if "deadweight_eur_share" in ok
        else math.nan,
        "population_key": ok[cf_cols].astype(float).round(6).astype(str).agg("|".join, axis=1)
        if cf_cols else "",
    })
    return per.reset_index(drop=True), eff, money_col


def _design_row(g: pd.DataFrame) -> dict:
    row: dict = {"runs": len(g)}
    for q in ("additional_adopters", "scaling", "spread", "public_money"):
        m, lo, hi, _ = t_interval(g[q])
        row[q], row[f"{q}_ci_low"], row[f"{q}_ci_high"] = m, lo, hi
    row["deadweight_share"] = float(np.nanmean(g["deadweight_share"])) \
        if g["deadweight_share"].notna().any() else math.nan
    row["deadweight_eur_share"] = float(np.nanmean(g["deadweight_eur_share"])) \
        if g["deadweight_eur_share"].notna().any() else math.nan
    lo = row["additional_adopters_ci_low"]
    hi = row["additional_adopters_ci_high"]
    row["vs_no_scheme"] = ("more" if lo > 0 else "fewer" if hi < 0 else "not distinguishable")
    if lo > 0:  # clearly above zero: only then does a cost per adopter mean anything
        r, clo, chi, n = ratio_of_sums(g["public_money"], g["additional_adopters"])
        row.update(cost_per_adopter=r, cost_ci_low=clo, cost_ci_high=chi, cost_runs=n)
    else:
        row.update(cost_per_adopter=math.nan, cost_ci_low=math.nan, cost_ci_high=math.nan,
                   cost_runs=0)
    return row


def _shared(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame | None:
    """Runs of two designs on the same population and seeds, matched by seed, or None.

    Two designs share a population exactly when their counterfactual runs with the same seed
    are identical (same buyers, suppliers, horizon and draws); only then is a seed-by-seed
    difference between them free of chance.
    """
    m = a.merge(b, on="seed", suffixes=("_a", "_b"))
    if len(m) < 2 or not (m["population_key_a"] == m["population_key_b"]).all() \
            or not m["population_key_a"].ne("").all():
        return None
    return m


def _difference(a: pd.DataFrame, b: pd.DataFrame, key: str) -> tuple[float, float, bool]:
    """90 % CI of mean(a) - mean(b) for one quantity: paired over common seeds when the two
    designs share a population, Welch otherwise. Returns (low, high, paired)."""
    m = _shared(a, b)
    if key == "cost_per_adopter":
        return _cost_difference(a, b, m)
    if m is not None:
        _, lo, hi, _ = t_interval(m[f"{key}_a"] - m[f"{key}_b"])
        return lo, hi, True
    xa, xb = (np.asarray(x[key], dtype=float) for x in (a, b))
    xa, xb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
    if len(xa) < 2 or len(xb) < 2:
        return math.nan, math.nan, False
    va, vb = xa.var(ddof=1) / len(xa), xb.var(ddof=1) / len(xb)
    se = math.sqrt(va + vb)
    if se == 0:
        d = xa.mean() - xb.mean()
        return d, d, False
    dof = (va + vb) ** 2 / (va ** 2 / (len(xa) - 1) + vb ** 2 / (len(xb) - 1))
    d, half = xa.mean() - xb.mean(), float(stdtrit(dof, (1 + LEVEL) / 2) * se)
    return d - half, d + half, False


def _cost_difference(a, b, m) -> tuple[float, float, bool]:
    """Delta-method CI of the difference of two ratios of sums, paired when runs match."""
    def lin(money, effect):
        money, effect = np.asarray(money, float), np.asarray(effect, float)
        r = money.sum() / effect.sum()
        return r, (money - r * effect) / effect.mean()

    if m is not None:
        ra, za = lin(m["public_money_a"], m["additional_adopters_a"])
        rb, zb = lin(m["public_money_b"], m["additional_adopters_b"])
        _, lo, hi, _ = t_interval(za - zb)
        return ra - rb + lo, ra - rb + hi, True
    (ra, za), (rb, zb) = (lin(x["public_money"], x["additional_adopters"]) for x in (a, b))
    se = math.sqrt(za.var(ddof=1) / len(za) + zb.var(ddof=1) / len(zb))
    half = float(stdtrit(min(len(za), len(zb)) - 1, (1 + LEVEL) / 2) * se)
    return ra - rb - half, ra - rb + half, False


def decision_table(runs: pd.DataFrame, sort_by: str = "additional_adopters",
                   horizon_months: dict[str, int] | None = None) -> Decision:
    """One row per design, ranked by ``sort_by`` (a key of `SORT_KEYS`).

    Args:
        runs: run rows of a comparison (``scenario``, ``seed``, ``status``, outcomes and
            ``cf_<outcome>``); failed runs are left out.
        sort_by: the outcome the analyst ranks by; the best design is the first row and
            every other design is flagged when it is not distinguishable from it.
        horizon_months: months each design ran (stated with the table; designs on different
            horizons are not comparable in totals).
    """
    if sort_by not in SORT_KEYS:
        raise ValueError(f"sort_by must be one of {', '.join(SORT_KEYS)}, not {sort_by!r}")
    per, eff_col, money_col = _per_run(runs)
    horizon_months = {str(k): int(v) for k, v in (horizon_months or {}).items()}
    groups = {d: g for d, g in per.groupby("design", sort=False)}
    rows = [{"design": d, "horizon_months": horizon_months.get(d, math.nan), **_design_row(g)}
            for d, g in groups.items()]
    table = pd.DataFrame(rows, columns=COLUMNS)
    higher = SORT_KEYS[sort_by] == "higher"
    table = table.sort_values(sort_by, ascending=not higher, na_position="last", kind="stable")
    table = table.reset_index(drop=True)
    table["best"] = False
    table["not_distinguishable_from_best"] = pd.Series([None] * len(table), dtype=object)
    table["paired_with_best"] = pd.Series([None] * len(table), dtype=object)
    if table[sort_by].notna().any():
        best = table.loc[0, "design"]
        table.loc[0, "best"] = True
        for i, d in enumerate(table["design"]):
            if d == best or not math.isfinite(table.loc[i, sort_by]):
                continue
            lo, hi, paired = _difference(groups[d], groups[best], sort_by)
            table.loc[i, "not_distinguishable_from_best"] = bool(lo <= 0 <= hi) \
                if math.isfinite(lo) and math.isfinite(hi) else None
            table.loc[i, "paired_with_best"] = paired
    reps = int(per.groupby("design")["seed"].nunique().max()) if len(per) else 0
    dec = Decision(table, sort_by, "", horizon_months, money_col or "programme_spend_eur",
                   eff_col or "additional_adopters", reps)
    from simpolicy.analysis.reading import reading

    dec.reading = reading(dec)
    return dec
