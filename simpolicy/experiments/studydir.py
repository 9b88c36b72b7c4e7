"""A study's folder across sessions: manifest, design table, lock and the rules of resuming.

A study folder belongs to one spec and one set of scenarios: the manifest records the hash
of each, and ``--resume`` continues only when both match, because a study whose runs come
from two different specs or models would be silently wrong. A lock file keeps two
processes from writing the same study at once; a process killed with SIGKILL leaves a lock
whose process is gone, which the next ``--resume`` takes over.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from simpolicy.results import listing, store
from simpolicy.results.claim import FolderRefused, claim

if TYPE_CHECKING:
    from simpolicy.experiments.study import Plan, StudyResult

LOCK = ".lock"


class StudyError(Exception):
    """A study that cannot start or resume as asked; ``code`` is the exit code (2: bad input)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def scenarios_digest(scenarios: dict) -> str:
    """A hash of everything the scenarios (with behaviour and ``fixed``) make a run do."""
    h = hashlib.sha256()
    for label, sc in scenarios.items():
        h.update(label.encode())
        h.update(sc.model_dump_json().encode())
    return h.hexdigest()


def study_digest(spec_hash: str, scenarios_hash: str) -> str:
    """The study's hash: its spec and its scenarios together (the study id carries 8 digits)."""
    return hashlib.sha256((spec_hash + scenarios_hash).encode()).hexdigest()


def _alive(owner: str) -> bool:
    host, _, pid = owner.partition(":")
    if host != socket.gethostname():
        return True  # cannot tell: assume it runs
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class SessionFolder:
    """What every resumable results folder (a sweep, a design search) does with its manifest:
    write it, open a session, and close the session and release the lock. Subclasses have
    ``path`` and ``manifest``."""

    path: Path
    manifest: dict

    def write(self) -> None:
        self.manifest["updated"] = store.now()
        store.write_manifest(self.path, self.manifest)

    def start_session(self, executor: str, workers: int, command: str) -> None:
        self.manifest["status"] = "running"
        self.manifest.setdefault("sessions", []).append({
            "started": store.now(), "executor": executor, "workers": workers,
            "host": socket.gethostname(), "pid": os.getpid(), "command": command,
            "code_version": store.code_version()})
        self.write()

    def close_session(self, status: str, counts: dict, session: dict, error: str | None = None) -> None:
        """Records how the session ended and releases the lock.

        A failed disk may refuse the manifest too: then, if the session failed anyway, the
        stored parts stand and the error already said why.
        """
        m = self.manifest
        m["status"] = status
        m["counts"] = counts
        m["sessions"][-1].update(finished=store.now(), status=status, **session,
                                 **({"error": error} if error else {}))
        m["elapsed_s"] = round(sum(x.get("elapsed_s", 0) for x in m["sessions"]), 2)
        try:
            self.write()
        except OSError:
            if error is None:
                raise
        finally:
            with contextlib.suppress(OSError):
                (self.path / LOCK).unlink(missing_ok=True)


@dataclass
class StudyDir(SessionFolder):
    """An opened study folder: where parts go, and its manifest kept up to date."""

    path: Path
    plan: Plan
    manifest: dict
    resumed: bool = False
    sessions: list = field(default_factory=list)

    @classmethod
    def open(cls, plan: Plan, out: str | Path | None, resume: bool, notify,
             force: bool = False) -> StudyDir:
        """Creates a study folder, or reopens one for ``resume`` after the checks.

        A new study claims its folder as ``run --out`` does (``results.claim``): created, or
        empty, or with ``force`` emptied of a previous result (this study, another study or
        a run), foreign files left alone and never read. Before, ``sweep`` could only be
        told to use another folder, and two sweeps of one spec could both start in one.
        """
        path = Path(out) if out else Path("results") / plan.study_id
        if resume and force:
            raise StudyError("--resume continues the study in a folder and --force replaces it; give one")
        if (path / store.MANIFEST).is_file() and not force:
            m = store.read_manifest(path)
            _check_same_study(path, m, plan)
            if not resume:
                c = m.get("counts", {})
                raise StudyError(f"{path} already holds this study ({m.get('status')}, "
                                 f"{c.get('runs', 0)} of {c.get('planned', '?')} runs); add --resume to "
                                 "continue it, --force to start it anew, or give another --out")
            _take_lock(path)
            before, now = m.get("code_version"), store.code_version()
            if before and before != now:
                notify(f"note: {path} was started with simpolicy {before}, now {now}; the runs of "
                       "this session come from the newer code")
            if m.get("outcomes"):
                plan.outcomes = list(m["outcomes"])  # the parts already written fix the columns
            sd = cls(path, plan, m, resumed=True)
        else:
            if resume:
                _refuse_changed_sibling(path, plan, out is None)
                notify(f"nothing to resume at {path}; starting the study")
            try:
                claim(path, force)
            except FolderRefused as e:
                raise StudyError(str(e)) from None
            sd = cls(path, plan, _new_manifest(plan))
            _take_lock(path)
            sd.write()
            _write_design(path, plan)
        store.remove_temporaries(path)
        return sd

    def reconcile(self, notify) -> tuple[set[int], int]:
        """Brings the manifest's list of parts in line with the folder before a session.

        A kill between a part's rename and the manifest's update leaves a strictly named
        part the list lacks: it is adopted when it reads, belongs to this study and holds
        only runs of the plan not stored already; otherwise resuming is refused naming the
        file. A monthly-series part of runs that are not stored (a kill cut the batch
        short) is deleted, as those runs run again. Any other file is foreign: noted and
        never read. A folder from before the list existed has all its parts adopted.
        Returns the stored run ids and how many failed.
        """
        m = self.manifest
        old = "parts" not in m
        lists = m.setdefault("parts", {})
        for kind in listing.KINDS:
            lists.setdefault(kind, [])
        if old:
            notify(f"note: {self.path}: manifest.json lists no parts (older simpolicy); adopting "
                   "the files named part-<number>.parquet")
        done, failed = store.done_runs(self.path, m)
        known = {e["file"] for e in lists["parts"]}
        for path in _unlisted(self.path, "parts", known, notify):
            table = listing.read_part(path, columns=["study_id", "run_id", "status"])
            ids = table.column("run_id").to_pylist()
            if (set(table.column("study_id").to_pylist()) != {self.plan.study_id}
                    or any(not 0 <= i < self.plan.total or i in done for i in ids)
                    or len(set(ids)) != len(ids)):
                raise StudyError(f"{path}: not a part of this study or repeats stored runs; move it "
                                 "out of the folder to resume")
            store.add_entry(m, "parts", listing.entry(path.name, len(ids), path.read_bytes()))
            done.update(ids)
            failed += sum(1 for x in table.column("status").to_pylist() if x != "ok")
            notify(f"note: adopted {path.name}, written just before the last session stopped")
        known = {e["file"] for e in lists["timeseries"]}
        for path in _unlisted(self.path, "timeseries", known, notify):
            ids = set(listing.read_part(path, columns=["run_id"]).column("run_id").to_pylist())
            if ids <= done:
                store.add_entry(m, "timeseries", listing.entry(path.name, _rows(path), path.read_bytes()))
            else:
                path.unlink()  # series of runs a kill cut short; they run again
        self.write()
        return done, failed

    def finish(self, result: StudyResult, error: str | None = None) -> None:
        """Records the outcome of a session and releases the lock."""
        if result.notes:
            self.manifest["notes"] = result.notes
        status = "complete" if result.complete else ("failed" if error else "interrupted")
        self.close_session(status, {"runs": result.done, "planned": result.total,
                                    "ok": result.done - result.failed, "failed": result.failed},
                           {"runs": result.new_runs, "elapsed_s": round(result.elapsed_s, 2)}, error)


def _unlisted(folder: Path, kind: str, known: set[str], notify) -> list[Path]:
    """Strictly named parts the manifest does not list; other files are noted as foreign."""
    d = folder / kind
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.iterdir()):
        if p.name in known or (p.name.startswith(".") and ".tmp-" in p.name):
            continue
        if listing.PART_NAME.match(p.name) and p.is_file() and not p.is_symlink():
            out.append(p)
        else:
            notify(f"note: {kind}/{p.name}: foreign file, not listed in manifest.json; not read")
    return out


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _new_manifest(plan: Plan) -> dict:
    spec = plan.spec
    return {
        "study_id": plan.study_id, "kind": "study", "status": "running", "created": store.now(),
        "code_version": store.code_version(), "spec_file": plan.spec_file,
        "spec": spec.model_dump(mode="json"), "spec_hash": plan.spec_hash,
        "scenarios_hash": plan.scenarios_hash, "study_hash": plan.study_hash,
        "design": {"kind": spec.design, "points_per_scenario": len(plan.table),
                   "parameters": {k: p.kind for k, p in spec.parameters.items()},
                   "replications": spec.replications, "base_seed": spec.base_seed,
                   "common_random_numbers": spec.common_random_numbers},
        "scenarios": {label: {"name": sc.name, "country": sc.country, "horizon_years": sc.horizon_years}
                      for label, sc in plan.scenarios.items()},
        "counts": {"runs": 0, "planned": plan.total, "ok": 0, "failed": 0},
        "outcomes": plan.outcome_columns(),
        "sessions": [],
        "parts": {"parts": [], "timeseries": []},
    }


def _check_same_study(path: Path, m: dict, plan: Plan) -> None:
    if m.get("kind") != "study" or "spec_hash" not in m:
        raise StudyError(f"{path} holds a {m.get('kind', 'different')} result, not a study; "
                         "give another --out")
    if m["spec_hash"] != plan.spec_hash:
        raise StudyError(
            f"{path} was started with a different spec (hash {m['spec_hash'][:8]}, now "
            f"{plan.spec_hash[:8]}); a study cannot mix two specs. Restore the spec to resume, or "
            "start a new study with another --out")
    if m.get("scenarios_hash") != plan.scenarios_hash:
        raise StudyError(
            f"{path} was started with other scenarios or behaviour parameters (hash "
            f"{str(m.get('scenarios_hash'))[:8]}, now {plan.scenarios_hash[:8]}); its runs would mix "
            "two models. Restore them to resume, or start a new study with another --out")


def _refuse_changed_sibling(path: Path, plan: Plan, default_out: bool) -> None:
    """``--resume`` of a spec that changed since its study started: say so, do not start anew."""
    if not default_out or not path.parent.is_dir():
        return
    for d in sorted(path.parent.glob(f"{plan.spec.name}-*")):
        try:
            m = store.read_manifest(d)
        except (OSError, ValueError):
            continue
        if m.get("kind") == "study" and m.get("spec", {}).get("name") == plan.spec.name:
            _check_same_study(d, m, plan)


def _take_lock(path: Path) -> None:
    lock = path / LOCK
    if lock.exists():
        owner = lock.read_text().strip()
        if owner and _alive(owner):
            raise StudyError(f"another simpolicy process ({owner}) is writing {path}; wait for it, "
                             f"or delete {lock} if no such process runs", code=1)
    store.atomic_write_bytes(lock, f"{socket.gethostname()}:{os.getpid()}".encode())


def _write_design(path: Path, plan: Plan) -> None:
    """design.parquet: the model values of every point and, for SALib, its unit coordinates."""
    table = plan.table
    cols: dict[str, pa.Array] = {"point": pa.array(range(len(table)), pa.int64())}
    for i, (name, typ) in enumerate(plan.param_types().items()):
        vals = [v[i] if str(typ) != "string" else str(v[i]) for v in table.values]
        cols[name] = pa.array(vals, typ)
    if table.unit is not None:
        for i, name in enumerate(table.names):
            cols[f"unit:{name}"] = pa.array(table.unit[:, i], pa.float64())
    store.write_table(path, None, "design", pa.table(cols))
