"""What a report reads from one results folder, normalised whatever produced it.

``run``, ``compare`` and ``sweep`` folders differ in their manifests (a sweep has no
per-scheme summary and has swept parameters as columns); `ReportData` gives the sections
one shape: labels, a tidy summary, the runs, the monthly series, the scenario specs, the
parameters and the sensitivity indices.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simpolicy.analysis.tables import parameter_columns, summary_frame, summary_from_runs
from simpolicy.results.store import MANIFEST, load, part_paths


class NotResults(ValueError):
    """The folder given is not a readable results folder (the CLI exits 2)."""


@dataclass
class ReportData:
    """One results folder, ready for the report's sections."""

    folder: Path
    manifest: dict
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    sensitivity: pd.DataFrame
    summary: pd.DataFrame
    labels: list[str]
    specs: dict[str, dict]
    params: list[str] = field(default_factory=list)
    spec_origin: str = "manifest"
    aliases: dict[str, str] = field(default_factory=dict)  # shown label -> label in the results

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind") or ("study" if self.params else "compare"))

    @property
    def is_study(self) -> bool:
        """A sweep over parameters (``simpolicy sweep`` writes kind "study")."""
        return self.kind in ("study", "sweep") or bool(self.params)

    @property
    def design(self) -> dict:
        return self.manifest.get("design") or {}

    @property
    def reps(self):
        return self.manifest.get("reps") or self.design.get("replications") or (
            self.runs["seed"].nunique() if "seed" in self.runs else None)

    @property
    def study_id(self) -> str:
        return str(self.manifest.get("study_id") or self.folder.name)

    @property
    def commands(self) -> list[str]:
        """Command lines that produced the results (a resumed study has several sessions)."""
        if self.manifest.get("command"):
            return [str(self.manifest["command"])]
        return [str(x["command"]) for x in self.manifest.get("sessions") or [] if x.get("command")]

    @property
    def seeds(self) -> tuple[int, int] | None:
        s = self.manifest.get("seeds")
        if isinstance(s, list) and len(s) == 2:
            return int(s[0]), int(s[1])
        if "base_seed" in self.design and self.design.get("replications"):
            b = int(self.design["base_seed"])
            return b, b + int(self.design["replications"]) - 1
        return None

    @property
    def population(self) -> str | None:
        """The common population every scheme was put on, if any."""
        return self.manifest.get("population")

    @property
    def ok_runs(self) -> pd.DataFrame:
        if self.runs.empty or "status" not in self.runs:
            return self.runs
        return self.runs[self.runs["status"] == "ok"]

    def buyers(self, label: str) -> int | None:
        """Number of buyers in a scheme's population (for per-100-buyers figures)."""
        s = (self.manifest.get("summary") or {}).get(self.aliases.get(label, label)) or {}
        if s.get("buyers"):
            return int(s["buyers"])
        spec = self.specs.get(label) or {}
        groups = (spec.get("population") or {}).get("buyers") or []
        return sum(int(g.get("count", 0)) for g in groups) or None

    def horizon_months(self) -> dict[str, int]:
        """Months simulated per scheme, from the monthly series or the specs."""
        if not self.timeseries.empty and "month" in self.timeseries:
            return {str(k): int(v) for k, v in self.timeseries.groupby("scenario")["month"].max().items()}
        return {k: round(float(s.get("horizon_years", 0)) * 12) for k, s in self.specs.items()}


def is_results_folder(folder: Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def read(folder: str | Path) -> ReportData:
    """Loads a results folder; raises NotResults when it is not one."""
    folder = Path(folder)
    if not is_results_folder(folder):
        raise NotResults(f"{folder} is not a results folder (no manifest.json); "
                         "make one with `simpolicy run`, `compare` or `sweep`")
    try:
        d = load(folder)
    except (OSError, ValueError) as e:
        raise NotResults(f"{folder}: cannot read the results: {e}") from None
    manifest, runs = d["manifest"], d["runs"]
    params = _parameters(manifest, runs)
    if manifest.get("summary") and not params:
        summary = summary_frame(manifest["summary"])
    elif not runs.empty:
        summary = summary_from_runs(runs)
    else:
        summary = summary_frame({})
    labels = list(dict.fromkeys(summary["scenario"])) if not summary.empty else []
    specs, origin = _specs(manifest, labels)
    data = ReportData(folder, manifest, runs, d["timeseries"], _tidy_sensitivity(d["sensitivity"]),
                      summary, labels, specs, params, origin)
    _short_labels(data)
    return data


def _short_labels(d: ReportData) -> None:
    """On a common population, ``flanders@denmark_baseline`` is shown as ``flanders``.

    The part's title already says where the schemes were put; the long labels only crowd
    tables and axes. Provenance keeps the labels as stored (via ``aliases``).
    """
    pop = d.population
    suffix = f"@{pop}"
    if not pop or not d.labels or not all(lab.endswith(suffix) for lab in d.labels):
        return
    short = {lab: lab[: -len(suffix)] for lab in d.labels}
    if len(set(short.values())) < len(short):
        return
    d.aliases = {v: k for k, v in short.items()}
    for frame in (d.summary, d.runs, d.timeseries):
        if not frame.empty and "scenario" in frame:
            frame["scenario"] = frame["scenario"].map(lambda x: short.get(x, x))
    d.labels = [short[lab] for lab in d.labels]
    d.specs = {short.get(k, k): v for k, v in d.specs.items()}


def _parameters(manifest: dict, runs: pd.DataFrame) -> list[str]:
    """The swept parameters: as the study declares them, else guessed from the columns."""
    if runs.empty:
        return []
    declared = (manifest.get("design") or {}).get("parameters") or \
        (manifest.get("spec") or {}).get("parameters")
    if isinstance(declared, dict) and declared:
        return [p for p in declared if p in runs.columns]
    if manifest.get("kind") in ("run", "compare"):
        return []
    return parameter_columns(runs, manifest.get("outcomes") or ())


def _specs(manifest: dict, labels: list[str]) -> tuple[dict[str, dict], str]:
    """Scenario specs by label: from the manifest, else the bundled files of the same name."""
    sc = manifest.get("scenarios")
    if isinstance(sc, dict) and sc and all(isinstance(v, dict) and "spec" in v for v in sc.values()):
        return {k: v["spec"] for k, v in sc.items()}, "manifest"
    if isinstance(sc, dict) and sc:
        names = {k: (v.get("name") if isinstance(v, dict) else None) or k for k, v in sc.items()}
    else:
        names = {str(n): str(n) for n in (sc if isinstance(sc, list) and sc else labels)}
    from simpolicy.scenario.loader import load_scenario

    out = {}
    for lab, name in names.items():
        try:
            out[str(lab)] = load_scenario(str(name).split("@", 1)[0]).model_dump(
                mode="json", exclude={"behaviour"})
        except Exception:  # a missing or changed file only costs the description
            continue
    return out, "current scenario files"


SENS_ID = ("outcome", "parameter")


def _tidy_sensitivity(sens: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices as ``outcome, parameter, index, value, conf`` whatever their layout.

    Accepts the tidy form, or a wide one with columns such as ``S1, S1_conf, ST, ST_conf``
    or ``mu_star, mu_star_conf, sigma`` next to ``outcome`` and ``parameter`` (or ``name``).
    """
    if sens is None or sens.empty:
        return pd.DataFrame(columns=["outcome", "parameter", "index", "value", "conf"])
    s = sens.rename(columns={"name": "parameter", "param": "parameter", "names": "parameter"})
    if {"index", "value"} <= set(s.columns):
        out = s.copy()
        if "conf" not in out:
            out["conf"] = float("nan")
        return out
    if "outcome" not in s:
        s = s.assign(outcome="")
    value_cols = [c for c in s.columns if c not in (*SENS_ID, "method") and not c.endswith("_conf")
                  and pd.api.types.is_numeric_dtype(s[c])]
    rows = []
    for _, r in s.iterrows():
        for c in value_cols:
            rows.append({"outcome": r["outcome"], "parameter": r.get("parameter", ""), "index": c,
                         "value": r[c], "conf": r.get(f"{c}_conf", float("nan"))})
    return pd.DataFrame(rows, columns=["outcome", "parameter", "index", "value", "conf"])


def data_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 (first 16 hex) of the data, one per kind of part (all files in name order).

    A reader can tell the data behind the report are unchanged without a line per part (a
    study may have thousands).
    """
    out = {}
    for kind in ("parts", "timeseries"):
        paths = part_paths(folder, kind)
        if not paths:
            continue
        h = hashlib.sha256()
        for p in paths:
            h.update(p.name.encode())
            h.update(p.read_bytes())
        out[f"{kind}/ ({len(paths)} file{'s' if len(paths) > 1 else ''})"] = h.hexdigest()[:16]
    sens = Path(folder) / "sensitivity.parquet"
    if sens.exists():
        out[sens.name] = hashlib.sha256(sens.read_bytes()).hexdigest()[:16]
    return out
