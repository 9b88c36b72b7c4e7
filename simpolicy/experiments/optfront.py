"""The reported front: the leading designs and the start on all their runs, and flags.

The search ranks designs on a few replications; what is reported rests on
``final_replications`` runs of each leading design and of the starting scheme (the same
seeds, so each design's difference to the start is paired run by run). ``pareto`` marks the
designs no other re-evaluated feasible design beats; ``dominates_start`` compares means,
``beats_start`` asks the paired 90 % intervals (clearly better on one objective, clearly
worse on none).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simpolicy.experiments import pareto

if TYPE_CHECKING:
    from simpolicy.experiments.optimize import SearchPlan


def runs_of(plan: SearchPlan, rows: dict, design: int, n: int) -> pd.DataFrame:
    """The first n runs of a design (replications 0..n-1), as stored."""
    return pd.DataFrame([rows[plan.run_id(design, r)] for r in range(n)])


def feasible(plan: SearchPlan, table: pd.DataFrame) -> np.ndarray:
    ok = np.ones(len(table), bool)
    for c in plan.spec.constraints:
        v = table[c.column].to_numpy(dtype=float)
        ok &= (v <= c.max) if c.max is not None else (v >= c.min)
    return ok


def front_table(plan: SearchPlan, rows: dict, searched: pd.DataFrame, chosen: list[int],
           hv: list[float]) -> tuple[pd.DataFrame, dict]:
    """Front designs and the start on all their runs; the front drawn from those numbers."""
    final = plan.spec.search.final_replications
    start_runs = runs_of(plan, rows, 0, final)
    start_m = plan.measures(start_runs)
    start_vals = {p: plan.space_value(p) for p in plan.space.columns}
    out = [{"design": 0, "origin": "start", "generation": -1, **start_vals,
            **pareto.summarise(start_runs, start_m)}]
    for d in chosen:
        runs = runs_of(plan, rows, d, final)
        m = plan.measures(runs)
        rec = {"design": d, **pareto.summarise(runs, m)}
        for k in m:
            rec.update(pareto.paired(runs, start_runs, m[k], start_m[k], k))
        out.append(rec)
    re = pd.DataFrame(out)
    re["feasible"] = feasible(plan, re)
    re["pareto"] = pareto.pareto_mask(pareto.losses(re, plan.goals), re["feasible"].to_numpy())
    re["reevaluated"] = True
    start_loss = pareto.losses(re.iloc[:1], plan.goals)[0]
    re["dominates_start"] = [bool(np.all(np.isfinite(x)) and pareto.dominates(x, start_loss))
                             for x in pareto.losses(re, plan.goals)]
    re["beats_start"] = [_beats(r, plan.goals) for _, r in re.iterrows()]
    search_cols = ["design", "origin", "generation", *plan.space.columns, "search_pareto"]
    merged = searched[search_cols].merge(re.drop(columns=["origin", "generation", *plan.space.columns],
                                                 errors="ignore"), on="design", how="left")
    stats = searched.drop(columns=[c for c in search_cols if c != "design"])
    stats = stats.rename(columns={c: f"search_{c}" for c in stats.columns if c != "design"})
    merged = merged.merge(stats, on="design", how="left")
    for c in ("reevaluated", "pareto", "dominates_start", "beats_start", "feasible"):
        merged[c] = merged[c].fillna(False).astype(bool)
    start = re.iloc[:1].assign(search_pareto=False)
    table = pd.concat([start, merged], ignore_index=True)
    table["generation"] = table["generation"].astype(int)
    table["search_feasible"] = table["search_feasible"].astype("boolean")  # NA for the start
    for i, row in table.iterrows():
        for k, v in plan.space.describe({p: row[p] for p in plan.space.columns}).items():
            table.loc[i, k] = v
    table["same_as_start"] = [all(_same(row[p], start_vals[p]) for p in plan.space.columns)
                              for _, row in table.iterrows()]  # the start as the search tried it
    table = table.sort_values("design", kind="stable", ignore_index=True)
    front = table.loc[table["pareto"], "design"].astype(int).tolist()
    change = pareto.relative_change(hv)
    summary = {"hypervolume": [round(x, 6) for x in hv], "hypervolume_change_last": change,
               "stable": bool(change < 0.01) if math.isfinite(change) else None,
               "front": front, "reevaluated": chosen, "start_design": 0,
               "dominating_start": table.loc[table["dominates_start"], "design"].astype(int).tolist(),
               "beating_start": table.loc[table["beats_start"], "design"].astype(int).tolist(),
               "goals": plan.goals, "constraints": [c.model_dump() for c in plan.spec.constraints],
               **effect_and_cost(table, plan.goals)}
    return table, summary


def effect_and_cost(table: pd.DataFrame, goals: dict[str, str]) -> dict:
    """The analyst's question on two objectives: the first maximised (the effect) and the
    first minimised (the cost), against the scheme as written, on the final runs.

    ``dominating_start_on_effect_and_cost``: mean effect no lower and mean cost no higher,
    one of them strictly; ``clearly_more_effect_no_more_cost``: the effect's paired 90 % CI
    above zero at a mean cost no higher; ``clearly_less_cost_no_less_effect``: the cost's
    paired 90 % CI below zero at a mean effect no lower.
    """
    e = next((k for k, g in goals.items() if g == "max"), None)
    c = next((k for k, g in goals.items() if g == "min"), None)
    if e is None or c is None:
        return {}
    t = table[table["reevaluated"] & (table["origin"] != "start") & table["feasible"]
              & ~table["same_as_start"]]
    de, dc = t[f"{e}_vs_start"], t[f"{c}_vs_start"]

    def ids(mask) -> list[int]:
        return t.loc[mask, "design"].astype(int).tolist()

    return {"effect": e, "cost": c,
            "dominating_start_on_effect_and_cost": ids((de >= 0) & (dc <= 0) & ((de > 0) | (dc < 0))),
            "clearly_more_effect_no_more_cost": ids((t[f"{e}_vs_start_ci_low"] > 0) & (dc <= 0)),
            "clearly_less_cost_no_less_effect": ids((t[f"{c}_vs_start_ci_high"] < 0) & (de >= 0))}


def _beats(row: pd.Series, goals: dict[str, str]) -> bool:
    """Clearly better than the start on one objective and clearly worse on none (90 % CI of
    the paired difference, seed by seed)."""
    better = worse = False
    for k, g in goals.items():
        lo, hi = row.get(f"{k}_vs_start_ci_low"), row.get(f"{k}_vs_start_ci_high")
        if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
            return False
        if g == "min":
            lo, hi = -hi, -lo
        better |= lo > 0
        worse |= hi < 0
    return better and not worse


def _same(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(a) == str(b)
