"""Designs of a study: one row per parameter point, its headline outcomes with intervals.

A sweep runs every design (one scheme at one point of the parameter grid or sample) with
several replications. Analysts ask which design gives most adoption for the public money,
so the answer is a table with one row per design, never one row per scheme: pooling a
grid's designs into a single row hides exactly the differences the study was run to see.

The numbers are those of the decision table (`simpolicy.analysis.decision`): each design's
runs are paired with their counterfactual, means carry a 90 % CI of the mean over
replications, and public money per additional adopter is total money over total effect,
shown only where the effect is clearly above zero. Designs on the Pareto front of
additional adopters (more is better) against public money (less is better) are marked,
with `simpolicy.experiments.pareto.pareto_mask`, the helper of the design search.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simpolicy.analysis.decision import decision_table
from simpolicy.analysis.labels import fmt_value, short_label
from simpolicy.analysis.tables import parameter_columns
from simpolicy.experiments.pareto import pareto_mask

# Decision-table quantity -> the outcome name it reports (for labels, units and the CSV).
HEADLINE = {
    "additional_adopters": "additional_adopters",
    "public_money": "public_money_eur",
    "cost_per_adopter": "public_eur_per_additional_adopter",
    "spread": "followers",
}
CI = {"additional_adopters": ("additional_adopters_ci_low", "additional_adopters_ci_high"),
      "public_money": ("public_money_ci_low", "public_money_ci_high"),
      "cost_per_adopter": ("cost_ci_low", "cost_ci_high"),
      "spread": ("spread_ci_low", "spread_ci_high")}


def design_keys(runs: pd.DataFrame, params: list[str]) -> pd.Series:
    """A key per run naming its design: scheme and point (or parameter values)."""
    scen = runs["scenario"].astype(str) if "scenario" in runs else pd.Series("", index=runs.index)
    if "point" in runs and params:
        return scen + "#" + runs["point"].astype(int).astype(str)
    if params:
        vals = runs[params].astype(float).round(12).map(repr).agg("|".join, axis=1)
        return scen + "#" + vals
    return scen


def design_label(row: pd.Series, params: list[str], several_schemes: bool) -> str:
    """'rate 0.3 · annual budget EUR 600 k' (prefixed by the scheme when there are several)."""
    names = param_names(params)
    parts = [f"{names[p]} {_value(p, row[p])}" for p in params if p in row]
    text = " · ".join(parts)
    if several_schemes or not text:
        text = f"{row['scenario']}: {text}" if text else str(row["scenario"])
    return text


def param_names(params: list[str]) -> dict[str, str]:
    """Short names for parameters: the field ('rate', 'annual budget'), or owner and field
    ('value chain › rate') where two instruments share a field name."""
    last = {p: short_label(p).split(" › ")[-1].removesuffix(" eur") for p in params}
    dup = {n for n in last.values() if list(last.values()).count(n) > 1}
    return {p: (short_label(p).removesuffix(" eur") if n in dup else n) for p, n in last.items()}


def _value(param: str, x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if param.endswith("_eur"):
        return fmt_value(float(x), "programme_spend_eur")
    x = float(x)
    return f"{x:,.0f}" if x == round(x) and abs(x) >= 1 else f"{x:.3g}"


def design_table(runs: pd.DataFrame, params: list[str] | None = None,
                 horizon_months: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per design: its parameters, runs, headline outcomes with 90 % CIs, front flag.

    Args:
        runs: run rows of a study (``scenario``, ``point``, ``seed``, ``status``, the swept
            parameters, outcomes and ``cf_<outcome>``); failed runs are left out.
        params: the swept parameters (found in the runs when not given).
        horizon_months: months per scheme, stated with the table.

    Returns:
        Columns ``design`` (a reader's label), ``scenario``, the parameters, ``runs``, for each
        of additional adopters, public money, cost per adopter and spread its mean and
        ``_ci_low``/``_ci_high``, ``cost_runs``, ``vs_no_scheme`` and ``pareto``; sorted by
        additional adopters, most first.
    """
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if ok.empty:
        return pd.DataFrame(columns=["design", "scenario", "runs", "pareto"])
    params = parameter_columns(ok) if params is None else [p for p in params if p in ok]
    keyed = ok.assign(_design=design_keys(ok, params).to_numpy())
    first = keyed.drop_duplicates("_design").set_index("_design")
    dec = decision_table(keyed.assign(scenario=keyed["_design"]), "additional_adopters")
    t = dec.table.rename(columns={"design": "_design"})
    several = first["scenario"].nunique() > 1 if "scenario" in first else False
    out = pd.DataFrame({"_design": t["_design"]})
    out["design"] = [design_label(first.loc[k], params, several) for k in t["_design"]]
    out["scenario"] = [first.loc[k, "scenario"] for k in t["_design"]]
    for p in params:
        out[p] = [first.loc[k, p] for k in t["_design"]]
    out["runs"] = t["runs"].to_numpy()
    if horizon_months:
        out["horizon_months"] = [horizon_months.get(s, math.nan) for s in out["scenario"]]
    for q, (lo, hi) in CI.items():
        out[q], out[f"{q}_ci_low"], out[f"{q}_ci_high"] = t[q], t[lo], t[hi]
    out["cost_runs"] = t["cost_runs"].to_numpy()
    out["vs_no_scheme"] = t["vs_no_scheme"].to_numpy()
    out["pareto"] = front_mask(out["additional_adopters"], out["public_money"])
    return out.drop(columns="_design").reset_index(drop=True)


def front_mask(effect, money) -> np.ndarray:
    """Designs no other design beats on more additional adopters for less public money.

    No scheme (zero effect for zero money) takes part as a design: one that adds no adopter,
    or loses some, is beaten by doing nothing and is never on the front, however cheap.
    """
    loss = np.column_stack([-np.asarray(effect, float), np.asarray(money, float)])
    return pareto_mask(np.vstack([loss, [[0.0, 0.0]]]))[:-1]


def front_frame(designs: pd.DataFrame) -> pd.DataFrame:
    """The designs table in the shape `analysis.front_figure.front_figure` draws.

    Every design of a sweep ran all its replications, so all are "re-evaluated" and none is
    the starting scheme; the front is the `pareto` flag.
    """
    f = pd.DataFrame({
        "design": designs["design"], "origin": "design", "reevaluated": True,
        "pareto": designs["pareto"].astype(bool),
        "additional_adopters": designs["additional_adopters"],
        "public_money_eur": designs["public_money"]})
    for q, col in (("additional_adopters", "additional_adopters"), ("public_money", "public_money_eur")):
        m = designs[q].astype(float)
        # one replication has no interval: draw the point without a bar, not a NaN bar
        f[f"{col}_ci_low"] = designs[f"{q}_ci_low"].astype(float).fillna(m)
        f[f"{col}_ci_high"] = designs[f"{q}_ci_high"].astype(float).fillna(m)
    return f[np.isfinite(f["additional_adopters"]) & np.isfinite(f["public_money_eur"])]


def interval_text(row: pd.Series, q: str) -> str:
    """'12 to 18' or 'EUR 1.1 m to EUR 1.4 m' (a dash when there is no interval)."""
    lo, hi = row[f"{q}_ci_low"], row[f"{q}_ci_high"]
    if not (isinstance(lo, float | int) and math.isfinite(lo) and math.isfinite(hi)):
        return "–"
    name = HEADLINE[q]
    # no break inside "EUR 9.8 m": a lone "m" on the next line of a cell reads as a typo
    return f"{fmt_value(lo, name)} to {fmt_value(hi, name)}".replace(" m", "\u00a0m").replace(
        " k", "\u00a0k").replace("EUR ", "EUR\u00a0")


def shown_designs(designs: pd.DataFrame, most: int = 20) -> pd.DataFrame:
    """The designs a printed page has room for: the front, then most additional adopters."""
    if len(designs) <= most:
        return designs
    front = designs[designs["pareto"]]
    rest = designs[~designs["pareto"]].head(max(0, most - len(front)))
    return pd.concat([front, rest]).sort_values("additional_adopters", ascending=False,
                                                na_position="last", kind="stable")


FRONT_NAMES = {"re-evaluated, not on the front": "design not on the front",
               "front (re-evaluated)": "on the front (no design has more adopters for less money)"}


def front_chart(designs: pd.DataFrame):
    """Additional adopters against public money, one point per design with its 90 % CIs.

    The design search's figure (`front_figure`), so a sweep's front and a search's front
    look alike; a design's runs are pooled into its point, never drawn one by one.
    """
    from simpolicy.analysis import money_axes
    from simpolicy.analysis.front_figure import front_figure

    frame = front_frame(designs)
    fig = front_figure(frame, "additional_adopters", "public_money_eur",
                       cost_title="Public money (vs no scheme)")
    fig.for_each_trace(lambda t: t.update(name=FRONT_NAMES.get(t.name, t.name)))
    fig.update_traces(hovertemplate="%{text}<br>public money EUR %{x:,.0f}"
                                    "<br>additional adopters %{y:,.0f}<extra></extra>")
    fig.update_layout(title="Additional adopters against public money: one point per design, "
                            "bars the 90 % CI of the mean")
    lo, hi = frame["public_money_eur_ci_low"].min(), frame["public_money_eur_ci_high"].max()
    if len(frame) and math.isfinite(lo) and math.isfinite(hi):  # ticks over the designs' span
        vals, texts = money_axes.linear_ticks(lo, hi)
        fig.update_xaxes(tickvals=vals, ticktext=texts, range=[vals[0], vals[-1]])
    return fig
