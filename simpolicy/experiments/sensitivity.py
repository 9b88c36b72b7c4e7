"""Sensitivity indices of a Sobol or Morris study, per scenario and outcome, via SALib.

The analysis reads only the columns it needs, part by part, and averages replications per
design point (with common random numbers the replications of every point share seeds, so
the noise is the same at every point). SALib needs every point of a Sobol block (``D + 2``
points) or a Morris trajectory (``D + 1``); an outcome that is undefined (NaN) at a point,
or a run that failed, would break the whole estimate, so incomplete blocks are dropped and
counted, and the result says so (``n_dropped``, ``note``) instead of printing NaN indices.

The table is tidy: ``scenario, outcome, parameter, index, value, conf, n_used, n_dropped,
note`` with ``index`` one of ``S1``, ``ST`` (Sobol, 95 % confidence half-width in ``conf``)
or ``mu_star``, ``sigma``, ``mu`` (Morris).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

from simpolicy.experiments import design as designs
from simpolicy.results import store

COLUMNS = ["scenario", "outcome", "parameter", "index", "value", "conf", "n_used", "n_dropped", "note"]
RANK_BY = {"sobol": "ST", "morris": "mu_star"}
CONF_LEVEL = 0.95


def point_means(plan, study_dir, outcomes: list[str]) -> dict[str, np.ndarray]:
    """Mean of each outcome per design point over its good replications, per scenario.

    Streams the parts, so memory is points x outcomes, not runs x outcomes.
    """
    n_points = len(plan.table)
    sums = {lab: np.zeros((n_points, len(outcomes))) for lab in plan.labels}
    counts = {lab: np.zeros((n_points, len(outcomes))) for lab in plan.labels}
    for part in store.iter_parts(study_dir, ["scenario", "point", "status", *outcomes]):
        part = part[part["status"] == "ok"]
        for lab, g in part.groupby("scenario"):
            if lab not in sums:
                continue
            vals = g.reindex(columns=outcomes).to_numpy(dtype=float)
            ok = np.isfinite(vals)
            pts = g["point"].to_numpy()
            np.add.at(sums[lab], pts, np.where(ok, vals, 0.0))
            np.add.at(counts[lab], pts, ok)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {lab: np.where(counts[lab] > 0, sums[lab] / counts[lab], np.nan) for lab in plan.labels}


def analyse(spec, unit: np.ndarray, y: np.ndarray, label: str, outcome: str) -> tuple[list[dict], str]:
    """Indices of one outcome of one scenario; drops incomplete blocks and says why."""
    from SALib.analyze import morris, sobol

    g = designs.group_size(spec)
    names = list(spec.parameters)
    blocks = y.reshape(-1, g)
    keep = np.isfinite(blocks).all(axis=1)
    n_used, n_dropped = int(keep.sum()), int((~keep).sum())
    unit_name = "base samples" if spec.design == "sobol" else "trajectories"
    note = ""
    if n_dropped:
        note = f"{n_dropped} of {len(blocks)} {unit_name} dropped: outcome undefined (NaN) or run failed"
    yk = blocks[keep].ravel()
    base = {"scenario": label, "outcome": outcome, "n_used": n_used, "n_dropped": n_dropped}
    indices = ("S1", "ST") if spec.design == "sobol" else ("mu_star", "sigma", "mu")
    if n_used < 2 or np.nanstd(yk) == 0:
        why = "too few complete " + unit_name if n_used < 2 else "outcome constant over the design"
        note = "; ".join(x for x in (note, f"no indices: {why}") if x)
        return [{**base, "parameter": p, "index": i, "value": np.nan, "conf": np.nan, "note": note}
                for p in names for i in indices], note
    problem = designs.problem(spec)
    seed = designs.SAMPLER_SEED + spec.base_seed
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if spec.design == "sobol":
            si = sobol.analyze(problem, yk, calc_second_order=False, conf_level=CONF_LEVEL, seed=seed)
            pairs = {"S1": ("S1", "S1_conf"), "ST": ("ST", "ST_conf")}
        else:
            xk = unit.reshape(-1, g, len(names))[keep].reshape(-1, len(names))
            si = morris.analyze(problem, xk, yk, num_levels=spec.morris_levels, conf_level=CONF_LEVEL,
                                seed=seed)
            pairs = {"mu_star": ("mu_star", "mu_star_conf"), "sigma": ("sigma", None), "mu": ("mu", None)}
    rows = []
    for j, p in enumerate(names):
        for idx, (key, conf) in pairs.items():
            rows.append({**base, "parameter": p, "index": idx, "value": float(si[key][j]),
                         "conf": float(si[conf][j]) if conf else np.nan, "note": note})
    return rows, note


def analyse_study(plan, study_dir) -> tuple[pd.DataFrame, list[str]]:
    """All indices of a finished Sobol or Morris study, written to ``sensitivity.parquet``."""
    spec = plan.spec
    outcomes = spec.sensitivity_outcomes()
    means = point_means(plan, study_dir, outcomes)
    rows, notes = [], []
    for label in plan.labels:
        for k, outcome in enumerate(outcomes):
            r, note = analyse(spec, plan.table.unit, means[label][:, k], label, outcome)
            rows += r
            if note:
                notes.append(f"sensitivity of {outcome} ({label}): {note}")
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["method"] = spec.design
    store.write_table(study_dir, None, "sensitivity", pa.Table.from_pandas(df, preserve_index=False))
    return df, notes


def top_parameters(sens: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The k most influential parameters per scenario and outcome (by ST, or Morris mu*)."""
    if sens is None or sens.empty:
        return pd.DataFrame(columns=COLUMNS)
    rank = RANK_BY.get(str(sens["method"].iloc[0]), "ST")
    s = sens[(sens["index"] == rank) & sens["value"].notna()]
    s = s.sort_values(["scenario", "outcome", "value"], ascending=[True, True, False], kind="stable")
    return s.groupby(["scenario", "outcome"], sort=False).head(k).reset_index(drop=True)
