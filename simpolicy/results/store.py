"""The one module that owns the results format.

``results/<study-id>/manifest.json`` describes the study (spec, its hash, code version,
created, status, counts); ``parts/part-*.parquet`` hold one row per run (study id, run id,
scenario, seed, every parameter, every outcome, the counterfactual's outcomes as ``cf_*``,
status, error); ``timeseries/part-*.parquet`` hold monthly series. Parts are written to a
temporary name, flushed and renamed, so a crash never leaves half a part.
"""

from __future__ import annotations

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
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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


def part_paths(study_dir: Path, kind: str = "parts") -> list[Path]:
    return sorted((Path(study_dir) / kind).glob("part-*.parquet"))


def read_parts(study_dir: Path, kind: str = "parts") -> pd.DataFrame:
    paths = part_paths(study_dir, kind)
    if not paths:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


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
