"""A design search's folder: claimed like any result, locked like a study, resumed by hash.

The folder is ``results/<name>-<8 hex digits of spec and scenario hashes>`` unless ``--out``
names one. It follows the sweep's rules: an existing search is continued only with
``--resume`` and only when its spec and scenarios are unchanged; ``--force`` replaces it
(never while its process is alive); anything else in the folder is refused. Run rows go
to ``parts/`` exactly as a sweep's do; ``designs.parquet`` (one row per design, with its
objectives, intervals and ``pareto`` flag) is written when the search completes.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from simpolicy.experiments.studydir import SessionFolder, StudyError, _take_lock
from simpolicy.results import store
from simpolicy.results.claim import claim

if TYPE_CHECKING:
    from simpolicy.experiments.optimize import SearchPlan

KIND = "optimize"
DESIGNS = "designs.parquet"


class SearchDir(SessionFolder):
    """An opened search folder: where parts go, and its manifest kept up to date."""

    def __init__(self, path: Path, manifest: dict, resumed: bool = False):
        self.path, self.manifest, self.resumed = path, manifest, resumed

    @classmethod
    def open(cls, plan: SearchPlan, out: str | Path | None, resume: bool, force: bool,
             notify) -> SearchDir:
        path = Path(out) if out else Path("results") / plan.study_id
        if (path / store.MANIFEST).is_file() and not force:
            m = store.read_manifest(path)
            _check_same(path, m, plan)
            if not resume:
                c = m.get("counts", {})
                raise StudyError(f"{path} already holds this search ({m.get('status')}, {c.get('runs', 0)} "
                                 "runs); add --resume to continue it, --force to start it again, or give "
                                 "another --out")
            _take_lock(path)
            store.remove_temporaries(path)
            return cls(path, m, resumed=True)
        if resume and not force:
            notify(f"nothing to resume at {path}; starting the search")
        claim(path, force)  # a new or empty folder, or (force) one emptied of a previous result
        with contextlib.suppress(FileNotFoundError):
            (path / DESIGNS).unlink()
        sd = cls(path, _new_manifest(plan))
        _take_lock(path)
        sd.write()
        return sd

    def stored_rows(self) -> pd.DataFrame:
        """Every run stored so far (the manifest's listed parts, checked), by run id."""
        return store.read_parts(self.path, "parts", self.manifest)

    def write_designs(self, designs: pd.DataFrame) -> None:
        """designs.parquet, with its checksum in the manifest (a changed file is refused)."""
        table = pa.Table.from_pandas(designs, preserve_index=False)
        path = store.write_table(self.path, None, "designs", table)
        self.manifest.setdefault("files", {})[DESIGNS] = hashlib.sha256(path.read_bytes()).hexdigest()


def read_designs(folder: str | Path, manifest: dict | None = None) -> pd.DataFrame:
    """The designs table of a finished search; ``ResultsError`` when it was changed or forged."""
    from simpolicy.results.listing import MAX_PART_BYTES, ResultsError, read_part, regular_size, safe_child

    folder = Path(folder)
    manifest = store.read_manifest(folder) if manifest is None else manifest
    path = safe_child(folder, DESIGNS)
    want = (manifest.get("files") or {}).get(DESIGNS)
    if not path.exists() or not want:
        return pd.DataFrame()
    regular_size(path, MAX_PART_BYTES)
    if hashlib.sha256(path.read_bytes()).hexdigest() != want:
        raise ResultsError(f"{path}: changed since the search wrote it (checksum differs); refused")
    return read_part(path).to_pandas()


def design_scenario(folder: str | Path, design: int):
    """The scenario a design of a finished search ran (for the dashboard's builder, or YAML).

    The starting scheme is stored in the manifest (with its behaviour, so a spec's
    ``fixed: behaviour.*`` is kept); the design's values are applied as ``--set`` overrides,
    exactly as its runs did. Raises ``ResultsError`` for a design the search does not hold.
    """
    from simpolicy.results.listing import ResultsError
    from simpolicy.scenario.behaviour import Behaviour
    from simpolicy.scenario.loader import ensure_behaviour, with_sets
    from simpolicy.scenario.schema import Scenario

    m = store.read_manifest(Path(folder))
    designs = read_designs(folder, m)
    row = designs[designs["design"] == int(design)] if not designs.empty else designs
    if row.empty:
        raise ResultsError(f"{folder}: no design {design} in this search")
    info = next(iter((m.get("scenarios") or {}).values()))
    sc = Scenario.model_validate(info["spec"])
    if info.get("behaviour"):
        sc = sc.model_copy(update={"behaviour": Behaviour.model_validate(info["behaviour"])})
    sets = {p: _plain(row.iloc[0][p]) for p in m.get("parameters") or []}
    return with_sets(ensure_behaviour(sc), sets) if int(design) != 0 else ensure_behaviour(sc)


def _plain(v):
    """A parquet value as the Python scalar ``--set`` takes (numpy ints and floats unwrapped)."""
    return v.item() if hasattr(v, "item") else v


def _new_manifest(plan: SearchPlan) -> dict:
    spec = plan.spec
    sc = plan.scenario
    return {
        "study_id": plan.study_id, "kind": KIND, "status": "running", "created": store.now(),
        "code_version": store.code_version(), "spec_file": plan.spec_file,
        "spec": spec.model_dump(mode="json"), "spec_hash": plan.spec_hash,
        "scenarios_hash": plan.scenarios_hash, "study_hash": plan.study_hash,
        "scenarios": {plan.label: {"name": sc.name, "country": sc.country,
                                   "horizon_years": sc.horizon_years,
                                   "spec": sc.model_dump(mode="json", exclude={"behaviour"}),
                                   "behaviour": sc.behaviour.model_dump(mode="json")
                                   if sc.behaviour is not None else None}},
        "parameters": plan.space.columns,
        "objectives": {k: g for k, g in plan.goals.items()},
        "counts": {"runs": 0, "ok": 0, "failed": 0},
        "outcomes": plan.outcomes,
        "sessions": [],
        "parts": {"parts": [], "timeseries": []},
    }


def _check_same(path: Path, m: dict, plan: SearchPlan) -> None:
    if m.get("kind") != KIND:
        raise StudyError(f"{path} holds a {m.get('kind', 'different')} result, not a design search; "
                         "give another --out (or --force to replace it)")
    if m.get("spec_hash") != plan.spec_hash:
        raise StudyError(f"{path} was started with a different spec (hash {str(m.get('spec_hash'))[:8]}, "
                         f"now {plan.spec_hash[:8]}); restore it to resume, or --force to start again")
    if m.get("scenarios_hash") != plan.scenarios_hash:
        raise StudyError(f"{path} was started with other scenarios or behaviour parameters; its runs "
                         "would mix two models. Restore them to resume, or --force to start again")
