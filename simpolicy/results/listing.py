"""Which files of a results folder are its data: the manifest's list of parts.

Reading parts by glob let any file that happened to match count as data: a sync tool's copy
``part-000000003 (1).parquet`` counted its runs twice, and a ``parts`` symlink pulled in
files from outside the folder. A manifest therefore lists every part it owns with its row
count and SHA-256, and readers take exactly those: a listed part that is missing, changed,
a symlink or outside the folder is *damaged* (an error naming the file); a file the list
does not name is *foreign* (never read; a note names it). Folders written before the list
existed are read by their strictly named parts (``part-<digits>.parquet``), with a note.

Sizes are checked before anything is decoded: a part whose metadata promises more than
``MAX_PART_ROWS`` rows, or a file larger than ``MAX_PART_BYTES``, is refused, so a small
forged file cannot make a reader allocate gigabytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

KINDS = ("parts", "timeseries")
PART_NAME = re.compile(r"^part-[0-9]{1,12}\.parquet$")
MAX_PART_ROWS = 2_000_000  # a batch of runs or their monthly series is far below this
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_MANIFEST_BYTES = 32 * 1024 * 1024


class ResultsError(ValueError):
    """A results folder whose data cannot be trusted (a damaged or forged part or manifest)."""


class ResultsWarning(UserWarning):
    """A file in a results folder that is not read (foreign), or an old folder's fallback."""


@dataclass
class Listing:
    """The parts of one kind a reader will read, and the files it will not."""

    paths: list[Path] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)  # as listed (empty for an old folder)
    foreign: list[str] = field(default_factory=list)
    listed: bool = True

    def notes(self, kind: str) -> list[str]:
        out = [f"{kind}/{name}: foreign file, not listed in manifest.json; not read"
               for name in self.foreign]
        if not self.listed and self.paths:
            out.append(f"{kind}/: manifest.json lists no parts (written by an older simpolicy); "
                       "reading the files named part-<number>.parquet")
        return out


def entry(name: str, rows: int, data: bytes) -> dict:
    """The manifest's record of a part: file name, row count and SHA-256 of its bytes."""
    return {"file": name, "rows": int(rows), "sha256": hashlib.sha256(data).hexdigest()}


def safe_child(folder: Path, *names: str) -> Path:
    """``folder/names...`` if every name is a plain file name and nothing on the way is a
    symlink; raises ``ResultsError`` otherwise (paths from a manifest never leave the folder)."""
    p = Path(folder)
    for name in names:
        if (not isinstance(name, str) or not name or name in (".", "..") or "/" in name
                or "\\" in name or "\x00" in name):
            raise ResultsError(f"{folder}: refused path {name!r} (not a plain name inside the folder)")
        p = p / name
        if p.is_symlink():
            raise ResultsError(f"{p}: is a symlink; refused (results are read only from inside the folder)")
    return p


def regular_size(path: Path, limit: int) -> int:
    """The size of a regular file, refused above ``limit`` (no FIFO, device or huge file)."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise ResultsError(f"{path}: is a symlink; refused")
    if not stat.S_ISREG(st.st_mode):
        raise ResultsError(f"{path}: not a regular file; refused")
    if st.st_size > limit:
        raise ResultsError(f"{path}: {st.st_size:,} bytes, more than the {limit:,} allowed; refused")
    return st.st_size


def listing(folder: Path, kind: str, manifest: dict) -> Listing:
    """The parts of ``kind`` to read; raises ``ResultsError`` for a malformed list."""
    folder = Path(folder)
    d = folder / kind
    if d.is_symlink():
        raise ResultsError(f"{d}: is a symlink; refused (results are read only from inside the folder)")
    present = sorted(p.name for p in d.iterdir() if not _temporary(p.name)) if d.is_dir() else []
    lists = manifest.get("parts") if isinstance(manifest, dict) else None
    if lists is None:
        names = [n for n in present if PART_NAME.match(n)]
        return Listing([safe_child(folder, kind, n) for n in names], [],
                       [n for n in present if not PART_NAME.match(n)], listed=False)
    if not isinstance(lists, dict) or not isinstance(lists.get(kind, []), list):
        raise ResultsError(f"{folder}/manifest.json: 'parts' is not a list of files per kind")
    entries = lists.get(kind, [])
    names = []
    for e in entries:
        if not (isinstance(e, dict) and isinstance(e.get("file"), str) and isinstance(e.get("rows"), int)
                and not isinstance(e.get("rows"), bool) and isinstance(e.get("sha256"), str)):
            raise ResultsError(f"{folder}/manifest.json: malformed entry in parts.{kind}: {str(e)[:80]!r}")
        names.append(e["file"])
    if len(set(names)) != len(names):
        raise ResultsError(f"{folder}/manifest.json: parts.{kind} lists a file twice")
    paths = [safe_child(folder, kind, n) for n in names]
    listed = set(names)
    return Listing(paths, list(entries), [n for n in present if n not in listed])


def read_part(path: Path, expect: dict | None = None, columns: list[str] | None = None) -> pa.Table:
    """One part, after its size, row count and (when listed) checksum are checked."""
    size = regular_size(path, MAX_PART_BYTES)
    with open(path, "rb") as f:
        data = f.read(size + 1)
    if expect is not None:
        if hashlib.sha256(data).hexdigest() != expect["sha256"]:
            raise ResultsError(f"{path}: damaged (its SHA-256 differs from the one in manifest.json)")
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        n = pf.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as e:
        raise ResultsError(f"{path}: damaged (not a readable Parquet file: {e})") from None
    if n > MAX_PART_ROWS:
        raise ResultsError(f"{path}: {n:,} rows, more than the {MAX_PART_ROWS:,} a part may hold; refused")
    if expect is not None and n != expect["rows"]:
        raise ResultsError(f"{path}: damaged ({n} rows, manifest.json lists {expect['rows']})")
    try:
        if columns is not None:
            names = set(pf.schema_arrow.names)
            columns = [c for c in columns if c in names]
        return pf.read(columns=columns)
    except (pa.ArrowException, OSError, ValueError) as e:
        raise ResultsError(f"{path}: damaged ({e})") from None


def verified(folder: Path, kind: str, manifest: dict, columns: list[str] | None = None):
    """Yields ``(path, table)`` for every part the manifest lists, each checked."""
    lst = listing(folder, kind, manifest)
    for i, p in enumerate(lst.paths):
        if not p.exists():
            raise ResultsError(f"{p}: listed in manifest.json but missing")
        yield p, read_part(p, lst.entries[i] if lst.entries else None, columns)


def _temporary(name: str) -> bool:
    """A half-written part of a running or killed writer (``.part-N.parquet.tmp-PID``)."""
    return name.startswith(".") and ".tmp-" in name
