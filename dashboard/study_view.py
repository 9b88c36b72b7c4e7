"""Pure helpers of the studies page: what a study holds, its filters, and its summary.

They work on what ``results.store.load`` returns, so they are tested on a tiny study made
in the test itself.
"""

from __future__ import annotations

import pandas as pd

from simpolicy.analysis.labels import label
from simpolicy.analysis.tables import outcome_columns, parameter_columns

HEADLINE_DIMS = ("projects_funded", "adopters", "additional_adoptions", "followers", "programme_spend_eur")


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs that finished (failed runs carry no values)."""
    return runs[runs["status"] == "ok"] if "status" in runs else runs


def describe(study: dict) -> list[str]:
    """A few lines about a study: kind, status, size, when and how it was made."""
    m, runs = study["manifest"], study["runs"]
    failed = int((runs["status"] != "ok").sum()) if "status" in runs and len(runs) else 0
    spec = m.get("spec") or {}
    lines = [f"{m.get('kind', 'study')} {m.get('study_id', '')}: status {m.get('status', '?')}, "
             f"{len(runs)} runs ({failed} failed), created {m.get('created', '?')}"]
    if spec:
        design = spec.get("design") or "?"
        lines.append(f"design {design}, {points(study)} × "
                     f"{spec.get('replications') or '?'} replications; "
                     f"scenarios {', '.join(map(str, spec.get('scenarios') or []))}")
    elif m.get("scenarios"):
        lines.append(f"schemes: {', '.join(m['scenarios'])}; {m.get('reps', '?')} replications")
    if m.get("code_version"):
        lines.append(f"code version {m['code_version']}")
    return lines


def points(study: dict) -> str:
    """'9 design points' (per scheme): a grid spec has no ``samples``, so it read "None points"."""
    m, runs = study["manifest"], study["runs"]
    design = m.get("design") if isinstance(m.get("design"), dict) else {}
    n = design.get("points_per_scenario")
    if not isinstance(n, int) and "point" in runs and len(runs):
        by = runs.groupby("scenario")["point"] if "scenario" in runs else runs.groupby(lambda _: 0)["point"]
        n = int(by.nunique().max())
    if not isinstance(n, int):
        return "design points not recorded"
    schemes = (m.get("spec") or {}).get("scenarios") or []
    return f"{n} design point{'s' if n != 1 else ''}" + (" per scheme" if len(schemes) > 1 else "")


def parameters(runs: pd.DataFrame) -> list[str]:
    """Swept parameters of a study (numeric columns that vary and are no outcome)."""
    return parameter_columns(ok_runs(runs)) if len(runs) else []


def outcomes(runs: pd.DataFrame) -> list[str]:
    return outcome_columns(runs) if len(runs) else []


def options(names: list[str]) -> list[dict]:
    return [{"label": label(n), "value": n} for n in names]


def filter_runs(runs: pd.DataFrame, scenarios: list[str] | None, parameter: str | None,
                span: list[float] | None) -> pd.DataFrame:
    """The ok runs of the chosen schemes whose parameter lies in the chosen range."""
    df = ok_runs(runs)
    if scenarios and "scenario" in df:
        df = df[df["scenario"].isin(scenarios)]
    if parameter and span and parameter in df and len(span) == 2:
        lo, hi = sorted(float(v) for v in span)
        df = df[(df[parameter] >= lo) & (df[parameter] <= hi)]
    return df


def default_outcome(outs: list[str], sensitivity: pd.DataFrame, preferred: str = "adopters") -> str | None:
    """Adopters, unless the study has sensitivity indices for other outcomes only (show those)."""
    from simpolicy.analysis.study_figures import tidy_sensitivity

    sens = tidy_sensitivity(sensitivity)
    with_indices = [o for o in outs if o in set(sens.loc[sens["value"].fillna(0) != 0, "outcome"])]
    if with_indices and preferred not in with_indices:
        return with_indices[0]
    return preferred if preferred in outs else (outs[0] if outs else None)


def parallel_dims(runs: pd.DataFrame, outcome: str) -> list[str]:
    """Axes of the parallel coordinates: the parameters, or headline outcomes if none were swept."""
    params = parameters(runs)
    if params:
        return params[:12]
    return [o for o in HEADLINE_DIMS if o in runs and o != outcome]


def span_of(runs: pd.DataFrame, parameter: str | None) -> tuple[float, float] | None:
    """The range of a parameter over the ok runs (for the filter slider)."""
    df = ok_runs(runs)
    if not parameter or parameter not in df or df.empty:
        return None
    v = pd.to_numeric(df[parameter], errors="coerce").dropna()
    return (float(v.min()), float(v.max())) if len(v) else None
