"""Data access for the pages: scenarios (bundled and uploaded) and studies in the results folder.

The pages never touch files or YAML: they ask a ``Catalogue`` for a scenario by its
reference and a ``StudyStore`` for a study by its id. Both are small so tests can swap them.
Security rules live here, in one place: uploads are parsed only by simpolicy's safe YAML
reader and limited in size; studies are opened only as direct children of the results
folder, by a plain id, never by a path from the client.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simpolicy.results import store
from simpolicy.scenario.errors import InputError, Problem
from simpolicy.scenario.loader import bundled_names, load_scenario, scenario_from_data
from simpolicy.scenario.schema import Scenario
from simpolicy.scenario.yamlio import parse_yaml

from . import memory, study_checks
from .config import MAX_UPLOAD_BYTES
from .schemes_store import SAVED_PREFIX, SchemeStore
from .schemes_store import label as saved_label

UPLOAD_PREFIX = "upload:"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}$")
MAX_UPLOADS = 50


@dataclass(frozen=True)
class Upload:
    """An uploaded scenario kept as parsed data, so overrides apply as for a file."""

    ref: str
    filename: str
    data: Any
    lines: dict


class Catalogue:
    """Scenarios by reference: a bundled name (``"flanders"``) or ``"upload:<name>"``."""

    def __init__(self, saved: SchemeStore | None = None):
        self._uploads: OrderedDict[str, Upload] = OrderedDict()
        self._lock = threading.Lock()
        self.saved = saved  # schemes saved by the scheme builder (``saved:<name>``), if any

    def refs(self) -> list[str]:
        """Every scenario a page can offer: bundled ones, saved ones, then uploads (newest last)."""
        saved = self.saved.refs() if self.saved is not None else []
        with self._lock:
            return bundled_names() + saved + list(self._uploads)

    def options(self) -> list[dict]:
        """Dropdown options with readable labels."""
        return [{"label": label_of(r), "value": r} for r in self.refs()]

    def load(self, ref: str, sets: dict | None = None) -> Scenario:
        """The validated scenario with overrides (``{"horizon_years": 2, ...}``)."""
        sets = dict(sets or {})
        if ref.startswith(UPLOAD_PREFIX):
            with self._lock:
                up = self._uploads.get(ref)
            if up is None:
                raise InputError([Problem(ref, 0, "", "this upload is no longer available; upload it again")])
            return scenario_from_data(up.data, dict(up.lines), up.filename, sets)
        if ref.startswith(SAVED_PREFIX) and self.saved is not None:  # by name in its folder only
            return self.saved.load(ref, sets)
        if ref not in bundled_names():  # never a path from the client
            raise InputError([Problem(ref, 0, "", "no such bundled scenario")])
        return load_scenario(ref, sets)

    def add_upload(self, contents: str, filename: str) -> tuple[str, Scenario]:
        """Parses an upload safely and keeps it; raises ``InputError`` with located problems.

        Args:
            contents: the data URL ``dcc.Upload`` sends (``data:...;base64,...``).
            filename: the client's file name, used only as a label in messages.
        """
        name = Path(str(filename or "upload.yaml")).name[:120] or "upload.yaml"
        raw = decode_upload(contents, name)
        data, lines = parse_yaml(raw, name)
        scenario = scenario_from_data(data, dict(lines), name, {})
        ref = UPLOAD_PREFIX + scenario.name
        with self._lock:
            self._uploads.pop(ref, None)
            self._uploads[ref] = Upload(ref, name, data, lines)
            while len(self._uploads) > MAX_UPLOADS:
                self._uploads.popitem(last=False)
        return ref, scenario


def label_of(ref: str) -> str:
    """A readable name for a scenario reference."""
    if ref.startswith(UPLOAD_PREFIX):
        return f"{ref[len(UPLOAD_PREFIX):]} (uploaded)"
    if ref.startswith(SAVED_PREFIX):
        return saved_label(ref)
    return ref


def decode_upload(contents: str, name: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, refused above the size limit."""
    if not isinstance(contents, str) or "," not in contents:
        raise InputError([Problem(name, 0, "", "the upload is empty or not a file")])
    b64 = contents.split(",", 1)[1]
    if len(b64) > MAX_UPLOAD_BYTES * 4 // 3 + 8:
        raise InputError([Problem(name, 0, "", f"file larger than {MAX_UPLOAD_BYTES // 1000} kB")])
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise InputError([Problem(name, 0, "", "the upload could not be decoded")]) from None
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InputError([Problem(name, 0, "", f"file larger than {MAX_UPLOAD_BYTES // 1000} kB")])
    return raw


class StudyRefused(ValueError):
    """A study id that is not a plain folder name inside the results folder."""


def _summary(d: Path) -> dict:
    """One line of the studies list; a manifest that cannot be read is listed as such.

    One forged or damaged manifest (``[]``, ``null``, JSON nested 100,000 deep, ``"counts":
    "abc"``) used to raise inside the page and take the Studies page down for every study;
    now it is one entry saying why it cannot be opened, and the others are unaffected.
    """
    try:
        m = store.read_manifest(d)
        counts = m.get("counts") if isinstance(m.get("counts"), dict) else {}
        runs = counts.get("runs", counts.get("done", ""))
        status = str(m.get("status", "?"))[:40]
        notes = study_checks.file_notes(d, m)  # foreign or missing files, named in the list
        if notes:
            status = f"{status}; {notes[0]}" + (f" (and {len(notes) - 1} more)" if len(notes) > 1 else "")
        return {"id": d.name, "kind": str(m.get("kind") or ("study" if m.get("spec") else "run"))[:40],
                "status": status[:300], "created": str(m.get("created", ""))[:40],
                "runs": runs if isinstance(runs, int) and not isinstance(runs, bool) else ""}
    except (OSError, ValueError, RecursionError) as e:
        reason = str(e).rsplit(": ", 1)[-1][:120]
        return {"id": d.name, "kind": "unreadable", "status": f"cannot be opened: {reason}",
                "created": "", "runs": ""}


MAX_DEPTH = 3  # results/demo/home is two deep; deeper folders are not searched


def _study_dirs(folder: Path, depth: int):
    """Folders holding a manifest, searched up to ``depth`` levels down.

    ``simpolicy demo`` writes ``results/demo/home`` and ``results/demo/denmark_baseline``:
    a list of direct children only hid them. A study's own folder is not searched further,
    and symbolic links are skipped (``path`` refuses them, so listing one offered a study
    that could not be opened).
    """
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    for d in children:
        if d.is_symlink() or not (d.is_dir() and _SAFE_NAME.match(d.name)):
            continue
        if (d / store.MANIFEST).is_file():
            yield d
        elif depth > 1:
            yield from _study_dirs(d, depth - 1)


class StudyStore:
    """Studies (runs, comparisons, sweeps) in one results folder, read through ``results.store``.

    A loaded study is cached by its id and the modification times of its manifest and
    parts, so a study that is still being written is re-read when it grows. A study is
    loaded only within a row budget (``study_checks``), the cache holds at most
    ``max_cached_rows`` rows in all, and what it drops is given back to the system.
    """

    def __init__(self, results_dir: Path, cache_size: int = 8, max_rows: int | None = None,
                 max_cached_rows: int | None = None):
        self.root = Path(results_dir)
        self._cache: OrderedDict[tuple, dict] = OrderedDict()
        self._rows: dict[tuple, int] = {}
        self._lock = threading.Lock()
        self.cache_size = cache_size
        self.max_rows = max_rows or study_checks.MAX_OPEN_ROWS
        self.max_cached_rows = max_cached_rows or study_checks.MAX_CACHED_ROWS

    def list(self) -> list[dict]:
        """Studies found: id, kind, status, created and run count, newest first."""
        if not self.root.is_dir():
            return []
        out = []
        for d in _study_dirs(self.root, MAX_DEPTH):
            out.append({**_summary(d), "id": d.relative_to(self.root).as_posix()})
        return sorted(out, key=lambda s: s["created"], reverse=True)

    def path(self, study_id: str) -> Path:
        """The folder of a study id (``demo/home``: plain names, at most `MAX_DEPTH` deep);
        refuses anything that is not a folder inside the results folder, symbolic links too."""
        parts = study_id.split("/") if isinstance(study_id, str) else []
        if not parts or len(parts) > MAX_DEPTH or not all(_SAFE_NAME.match(x) and ".." not in x
                                                          for x in parts):
            raise StudyRefused(f"refused: {study_id!r} is not a study id in the results folder")
        root = self.root.resolve()
        d = root.joinpath(*parts).resolve()
        if d != root.joinpath(*parts) or not (d / store.MANIFEST).is_file():
            raise StudyRefused(f"refused: no study {study_id!r} in the results folder")
        return d

    def load(self, study_id: str) -> dict:
        """``results.store.load`` of a study, cached until its files change."""
        d = self.path(study_id)
        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(d.rglob("*.parquet")))
        key = (study_id, (d / store.MANIFEST).stat().st_mtime_ns, stamp)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rows = study_checks.check_size(study_id, d, store.read_manifest(d), self.max_rows)
        data = store.load(d)
        with self._lock:
            self._cache[key], self._rows[key] = data, rows
            dropped = 0
            while len(self._cache) > 1 and (len(self._cache) > self.cache_size
                                            or sum(self._rows.values()) > self.max_cached_rows):
                old, _ = self._cache.popitem(last=False)
                dropped += self._rows.pop(old, 0)
        if dropped > 100_000:  # a large study left the cache: give its memory back
            memory.give_back()
        return data
