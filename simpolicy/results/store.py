"""The one module that owns the results format.

``results/<study-id>/manifest.json`` describes the study (spec, its hash, code version,
created, status, counts); ``parts/part-*.parquet`` hold one row per run (study id, run id,
scenario, seed, every parameter, every outcome, the counterfactual's outcomes as ``cf_*``,
status, error); ``timeseries/part-*.parquet`` hold monthly series. Parts are written to a
temporary name, flushed and renamed, so a crash never leaves half a part.

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
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simpolicy import __version__

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
    return json.loads((Path(study_dir) / MANIFEST).read_text())


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


def write_rows(study_dir: Path, kind: str, index: int, rows: list[dict], schema: pa.Schema) -> Path:
    """Writes rows atomically with a fixed schema; keys outside it are ignored, absent ones null."""
    return write_table(study_dir, kind, index, pa.Table.from_pylist(rows, schema=schema))


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


def done_runs(study_dir: Path) -> tuple[set[int], int]:
    """Run ids already stored and how many of them failed (reads two columns only)."""
    ids: set[int] = set()
    failed = 0
    for p in part_paths(study_dir, "parts"):
        t = pq.read_table(p, columns=["run_id", "status"])
        ids.update(t.column("run_id").to_pylist())
        failed += sum(1 for s in t.column("status").to_pylist() if s != "ok")
    return ids, failed


def drop_parts_without(study_dir: Path, kind: str, run_ids: set[int]) -> int:
    """Deletes parts holding a run not in ``run_ids`` (written just before a crash cut the
    batch short); those runs run again, so keeping the part would store them twice."""
    n = 0
    for p in part_paths(study_dir, kind):
        ids = pq.read_table(p, columns=["run_id"]).column("run_id").to_pylist()
        if any(i not in run_ids for i in ids):
            p.unlink()
            n += 1
    return n


def iter_parts(study_dir: Path, columns: list[str] | None = None, kind: str = "parts"):
    """Yields one DataFrame per part, optionally only some columns (constant memory)."""
    for p in part_paths(study_dir, kind):
        cols = columns
        if columns is not None:
            present = set(pq.read_schema(p).names)
            cols = [c for c in columns if c in present]
        yield pq.read_table(p, columns=cols).to_pandas()


def remove_temporaries(study_dir: Path) -> int:
    """Deletes half-written temporary files a killed process left behind."""
    n = 0
    for p in Path(study_dir).rglob(".*.tmp-*"):
        p.unlink(missing_ok=True)
        n += 1
    return n


def part_paths(study_dir: Path, kind: str = "parts") -> list[Path]:
    return sorted((Path(study_dir) / kind).glob("part-*.parquet"))


def read_parts(study_dir: Path, kind: str = "parts") -> pd.DataFrame:
    """Every part of one kind as one frame, sorted by run id (and month): the same table
    whatever the batches, workers or interruptions that wrote it."""
    paths = part_paths(study_dir, kind)
    if not paths:
        return pd.DataFrame()
    df = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    keys = [k for k in ("run_id", "month") if k in df.columns]
    return df.sort_values(keys, kind="stable", ignore_index=True) if keys else df


def load(study_dir: str | Path) -> dict:
    """Reads a study back: ``{"manifest": dict, "runs": DataFrame, "timeseries": DataFrame,
    "sensitivity": DataFrame}`` (empty frames where absent)."""
    d = Path(study_dir)
    sens = d / "sensitivity.parquet"
    return {
        "manifest": read_manifest(d),
        "runs": read_parts(d, "parts"),
        "timeseries": read_parts(d, "timeseries"),
        "sensitivity": pd.read_parquet(sens) if sens.exists() else pd.DataFrame(),
    }
