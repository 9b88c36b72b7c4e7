"""The one module that owns the results format.

``results/<study-id>/manifest.json`` describes the study (spec, its hash, code version,
created, status, counts); ``parts/part-*.parquet`` hold one row per run (study id, run id,
scenario, seed, every parameter, every outcome, the counterfactual's outcomes as ``cf_*``,
status, error); ``timeseries/part-*.parquet`` hold monthly series. Parts are written to a
temporary name, flushed and renamed, so a crash never leaves half a part. The manifest
lists every part with its row count and SHA-256 (``"parts": {"parts": [...], "timeseries":
[...]}``) and readers take exactly those (``simpolicy.results.listing``): a stray copy or a
forged file is never read as data.

Studies write their parts with one fixed Arrow schema (``run_schema``), whatever the batch,
so parts written by 1 or N workers, by Dask or across a resume concatenate to identical
tables. Timing and host columns (``elapsed_s``, ``worker``) are the only ones that differ
between executions of the same study.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simpolicy import __version__
from simpolicy.results.listing import (
    MAX_MANIFEST_BYTES,
    ResultsError,
    ResultsWarning,
    entry,
    listing,
    regular_size,
    safe_child,
    verified,
)

MANIFEST = "manifest.json"


def code_version() -> str:
    """The package version plus the git commit when run from a checkout."""
    try:
        root = Path(__file__).resolve().parents[2]
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Writes to a temporary name, flushes to disk and renames (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk or a kill: leave no half-written file behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_manifest(study_dir: Path, manifest: dict) -> None:
    atomic_write_bytes(Path(study_dir) / MANIFEST,
                       json.dumps(manifest, indent=2, default=str).encode())


def read_manifest(study_dir: Path) -> dict:
    """The manifest as a dict; ``ResultsError`` (a ValueError) for anything else.

    A manifest is checked to be a regular file of sane size before it is read, and to hold
    a JSON object: ``[]``, ``null`` or JSON nested deeper than Python's recursion limit are
    refused with one line instead of an exception deep inside a reader.
    """
    path = safe_child(Path(study_dir), MANIFEST)
    regular_size(path, MAX_MANIFEST_BYTES)
    try:
        m = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as e:
        raise ResultsError(f"{path}: not valid JSON ({type(e).__name__})") from None
    if not isinstance(m, dict):
        raise ResultsError(f"{path}: not a results manifest (a JSON object is expected)")
    return m


def write_part(study_dir: Path, kind: str, index: int, df: pd.DataFrame) -> Path:
    """Writes one part atomically: ``<kind>/part-<index>.parquet``."""
    path = Path(study_dir) / kind / f"part-{index:06d}.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
    return path


def write_table(study_dir: Path, kind: str | None, index: int | str, table: pa.Table) -> Path:
    """Writes an Arrow table atomically as ``<kind>/part-<index>.parquet`` (or ``<index>.parquet``)."""
    name = f"part-{index:09d}.parquet" if isinstance(index, int) else f"{index}.parquet"
    path = Path(study_dir) / kind / name if kind else Path(study_dir) / name
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
    return path


def write_listed(study_dir: Path, kind: str, index: int, table: pa.Table) -> dict:
    """Writes ``<kind>/part-<index>.parquet`` atomically; returns its manifest entry."""
    name = f"part-{index:09d}.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    atomic_write_bytes(Path(study_dir) / kind / name, data)
    return entry(name, table.num_rows, data)


def add_entry(manifest: dict, kind: str, e: dict) -> None:
    """Records a written part in the manifest (replacing an entry of the same file)."""
    lists = manifest.setdefault("parts", {})
    kept = [x for x in lists.get(kind, []) if x.get("file") != e["file"]]
    lists[kind] = [*kept, e]


def write_rows(study_dir: Path, kind: str, index: int, rows: list[dict], schema: pa.Schema) -> dict:
    """Writes rows atomically with a fixed schema; keys outside it are ignored, absent ones
    null. Returns the part's manifest entry."""
    return write_listed(study_dir, kind, index, pa.Table.from_pylist(rows, schema=schema))


def run_schema(ids: list[tuple[str, pa.DataType]], params: list[tuple[str, pa.DataType]],
               outcomes: list[str]) -> pa.Schema:
    """The columns of a study's run rows, in order, with their types.

    Outcomes are always float64 (NaN = undefined, null = not run), so a part of failed runs
    has the same types as a part of good ones.
    """
    fields = [pa.field(n, t) for n, t in ids] + [pa.field(n, t) for n, t in params]
    fields += [pa.field(o, pa.float64()) for o in outcomes]
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string()),
               pa.field("elapsed_s", pa.float64()), pa.field("worker", pa.string())]
    return pa.schema(fields)


def arrow_type(values) -> pa.DataType:
    """The column type of a parameter from the values it can take."""
    values = list(values)
    if values and all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


def done_runs(study_dir: Path, manifest: dict | None = None) -> tuple[set[int], int]:
    """Run ids stored in the listed parts and how many of them failed (two columns only)."""
    manifest = read_manifest(study_dir) if manifest is None else manifest
    ids: set[int] = set()
    failed = 0
    for _, t in verified(Path(study_dir), "parts", manifest, ["run_id", "status"]):
        ids.update(t.column("run_id").to_pylist())
        failed += sum(1 for s in t.column("status").to_pylist() if s != "ok")
    return ids, failed


def iter_parts(study_dir: Path, columns: list[str] | None = None, kind: str = "parts"):
    """Yields one DataFrame per listed part, optionally only some columns (constant memory)."""
    manifest = read_manifest(study_dir)
    for _, t in verified(Path(study_dir), kind, manifest, columns):
        yield t.to_pandas()


def remove_temporaries(study_dir: Path) -> int:
    """Deletes half-written temporary files a killed process left behind."""
    n = 0
    for p in Path(study_dir).rglob(".*.tmp-*"):
        p.unlink(missing_ok=True)
        n += 1
    return n


def part_paths(study_dir: Path, kind: str = "parts", manifest: dict | None = None) -> list[Path]:
    """The parts of one kind the manifest lists (strictly named files for an old folder)."""
    manifest = read_manifest(study_dir) if manifest is None else manifest
    return listing(Path(study_dir), kind, manifest).paths


def foreign_notes(study_dir: Path, manifest: dict) -> list[str]:
    """One line per file in ``parts/`` or ``timeseries/`` that is not read, and why."""
    return [n for kind in ("parts", "timeseries")
            for n in listing(Path(study_dir), kind, manifest).notes(kind)]


def read_parts(study_dir: Path, kind: str = "parts", manifest: dict | None = None) -> pd.DataFrame:
    """Every listed part of one kind as one frame, sorted by run id (and month): the same
    table whatever the batches, workers or interruptions that wrote it."""
    manifest = read_manifest(study_dir) if manifest is None else manifest
    frames = [t.to_pandas() for _, t in verified(Path(study_dir), kind, manifest)]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    keys = [k for k in ("run_id", "month") if k in df.columns]
    if "run_id" in df.columns and kind == "parts" and df["run_id"].duplicated().any():
        dup = int(df.loc[df["run_id"].duplicated(), "run_id"].iloc[0])
        raise ResultsError(f"{study_dir}: run {dup} is stored twice in the listed parts; refused")
    return df.sort_values(keys, kind="stable", ignore_index=True) if keys else df


def load(study_dir: str | Path) -> dict:
    """Reads a study back: ``{"manifest": dict, "runs": DataFrame, "timeseries": DataFrame,
    "sensitivity": DataFrame, "notes": [str]}`` (empty frames where absent).

    Only the parts the manifest lists are read, each checked against its row count and
    checksum; ``notes`` names files that were not read (foreign copies, an old folder's
    fallback). Raises ``ResultsError`` (a ValueError) naming a damaged or refused file.
    """
    d = Path(study_dir)
    manifest = read_manifest(d)
    notes = foreign_notes(d, manifest)
    for n in notes:
        warnings.warn(n, ResultsWarning, stacklevel=2)
    sens = safe_child(d, "sensitivity.parquet")
    sensitivity = pd.DataFrame()
    if sens.exists():
        from simpolicy.results.listing import MAX_PART_BYTES, read_part

        regular_size(sens, MAX_PART_BYTES)
        sensitivity = read_part(sens).to_pandas()
    return {
        "manifest": manifest,
        "runs": read_parts(d, "parts", manifest),
        "timeseries": read_parts(d, "timeseries", manifest),
        "sensitivity": sensitivity,
        "notes": notes,
    }
