"""What the server checks about a study's files before it lists or loads the study (issue 16).

- The studies list names files that are not read: a sync tool's copy
  ``part-000000003 (1).parquet`` (foreign: never read, so never counted twice), or a part
  the manifest lists that is missing (damaged). Before, the CLI and ``load()`` named them but
  the Studies page skipped them silently. Checksums are checked when a study is opened (a
  damaged part is then named in the page's message); the list only looks at file names.
- A study is loaded only if the rows it would bring into memory are within a budget,
  counted before any part is decoded: from the manifest's list (each count is checked
  against the part's own metadata when it is read), or from an old folder's Parquet footers.
  A 0.9 MB part expanding to 40 M rows took the server to 3.4 GB; parts are now capped at
  2 M rows each, but a study of many parts could still add up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simpolicy.results import store
from simpolicy.results.listing import KINDS, MAX_PART_BYTES, listing, regular_size


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


# rows of runs and monthly series: about 60 columns of 8 bytes, so 3 M rows are ~1.5 GB at worst
MAX_OPEN_ROWS = _env_int("SIMPOLICY_DASHBOARD_MAX_ROWS", 3_000_000)
MAX_CACHED_ROWS = MAX_OPEN_ROWS  # across the studies kept open for quick switching


class StudyTooLarge(ValueError):
    """A study the server will not load whole; it stays readable with pandas or DuckDB."""


def file_notes(d: Path, manifest: dict) -> list[str]:
    """One line per file of the study that will not be read, and why (no file is opened)."""
    notes = store.foreign_notes(d, manifest)
    for kind in KINDS:
        notes += [f"{kind}/{p.name}: listed in manifest.json but missing (damaged)"
                  for p in listing(d, kind, manifest).paths if not p.exists()]
    return notes


def study_rows(d: Path, manifest: dict) -> int:
    """Rows the study's parts hold, without decoding them."""
    total = 0
    for kind in KINDS:
        lst = listing(d, kind, manifest)
        if lst.entries:
            total += sum(e["rows"] for e in lst.entries)
            continue
        for p in lst.paths:  # an old folder without the list: the Parquet footers
            try:
                regular_size(p, MAX_PART_BYTES)
                total += pq.ParquetFile(p).metadata.num_rows
            except (OSError, ValueError, pa.ArrowException):
                continue  # reading it will name the damage
    return total


def check_size(study_id: str, d: Path, manifest: dict, limit: int | None = None) -> int:
    """The study's rows, or ``StudyTooLarge`` when they are over the server's budget."""
    limit = MAX_OPEN_ROWS if limit is None else limit
    rows = study_rows(d, manifest)
    if rows > limit:
        raise StudyTooLarge(f"{study_id}: {rows:,} rows of runs and monthly series, more than the "
                            f"{limit:,} the dashboard opens at once (SIMPOLICY_DASHBOARD_MAX_ROWS); "
                            "write a report with `simpolicy report`, or read it with pandas or DuckDB")
    return rows
