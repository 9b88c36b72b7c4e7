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
    manifest, runs = _normalise(d["manifest"], folder), d["runs"]
    try:  # a forged or damaged manifest: one line (exit 2), never a traceback
        params = _parameters(manifest, runs)
        if manifest.get("summary") and not params:
            summary = summary_frame(manifest["summary"])
        elif not runs.empty:
            summary = summary_from_runs(runs)
        else:
            summary = summary_frame({})
        labels = list(dict.fromkeys(summary["scenario"])) if not summary.empty else []
        specs, origin = _specs(manifest, labels)
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as e:
        raise NotResults(f"{folder}/manifest.json: malformed ({type(e).__name__}: {e})") from None
    if not labels:
        raise NotResults(f"{folder}: holds no runs to report (manifest.json lists none)")
    data = ReportData(folder, manifest, runs, d["timeseries"], _tidy_sensitivity(d["sensitivity"]),
                      summary, labels, specs, params, origin)
    _short_labels(data)
    return data


_SHAPES = {"counts": dict, "design": dict, "scenarios": (dict, list), "summary": dict,
           "sessions": list, "spec": dict, "behaviour": dict}
_NUMBERS = ("reps", "elapsed_s")
_TEXTS = ("study_id", "kind", "status", "created", "command", "population", "code_version")


def _number(v):
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def _normalise(m: dict, folder: Path) -> dict:
    """The manifest with every field the report reads in the type it expects.

    A forged manifest put script where a number belongs (``counts.runs``,
    ``design.points_per_scenario``) and the report inserted it as it was; numbers that are
    not numbers are dropped here, texts are texts (and escaped where they are shown), and
    containers of the wrong kind are emptied, so the sections never meet a surprise.
    """
    m = dict(m)
    for k, kind in _SHAPES.items():
        if k in m and not isinstance(m[k], kind):
            m[k] = kind[0]() if isinstance(kind, tuple) else kind()
    for k in _NUMBERS:
        if k in m and _number(m[k]) is None:
            m[k] = None
    for k in _TEXTS:
        if m.get(k) is not None and not isinstance(m[k], str):
            m[k] = str(m[k])
    if "counts" in m:
        m["counts"] = {k: v for k, v in m["counts"].items() if _number(v) is not None}
    if "design" in m:
        m["design"] = {k: v for k, v in m["design"].items()
                       if k in ("parameters",) or _number(v) is not None or isinstance(v, bool)
                       or (k == "kind" and isinstance(v, str))}
        if not isinstance(m["design"].get("parameters", {}), dict):
            m["design"]["parameters"] = {}
    seeds = m.get("seeds")
    if seeds is not None and not (isinstance(seeds, list) and len(seeds) == 2
                                  and all(_number(x) is not None for x in seeds)):
        m["seeds"] = None
    m["sessions"] = [x for x in m.get("sessions") or [] if isinstance(x, dict)]
    if m.get("summary") and not _numbers_only(m["summary"]):
        raise NotResults(f"{folder}/manifest.json: 'summary' holds values that are not numbers; refused")
    return m


def _numbers_only(v, key: str = "", depth: int = 0) -> bool:
    """The stored summary holds numbers (or null) at every leaf; only ``country`` is text."""
    if depth > 6:
        return False
    if isinstance(v, dict):
        return all(isinstance(k, str) and _numbers_only(x, k, depth + 1) for k, x in v.items())
    if key == "country":
        return isinstance(v, str)
    return v is None or _number(v) is not None


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
        return {k: v["spec"] for k, v in sc.items() if _valid_spec(v["spec"])}, "manifest"
    if isinstance(sc, dict) and sc:
        names = {k: (v.get("name") if isinstance(v, dict) else None) or k for k, v in sc.items()}
    else:
        names = {str(n): str(n) for n in (sc if isinstance(sc, list) and sc else labels)}
    from simpolicy.scenario.loader import bundled_names, load_scenario

    out = {}
    bundled = set(bundled_names())
    for lab, name in names.items():
        if str(name).split("@", 1)[0] not in bundled:
            continue  # a manifest names bundled scenarios only, never a path to read
        try:
            out[str(lab)] = load_scenario(str(name).split("@", 1)[0]).model_dump(
                mode="json", exclude={"behaviour"})
        except Exception:  # a missing or changed file only costs the description
            continue
    return out, "current scenario files"


def _valid_spec(spec) -> bool:
    """A stored scenario is described only if it still validates (a forged one is left out)."""
    import json

    from simpolicy.scenario.schema import Scenario

    if not isinstance(spec, dict):
        return False
    try:  # "flanders@denmark_baseline" names a scheme put on a population: not a file's name
        Scenario.model_validate_json(json.dumps({**spec, "name": "stored"}))
    except (ValueError, TypeError, RecursionError):
        return False
    return True


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
