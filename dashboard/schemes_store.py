"""Schemes saved from the builder: scenario files in one folder the server owns.

Why a folder and not the browser: a saved scheme must appear on every page and for every
analyst using this dashboard, and survive a restart, like a bundled scenario. Why limits:
the folder is written on a click from a browser, so what one click can leave on disk is
bounded (a size per file, a count of files), names are reduced to ``[a-z0-9_-]`` before they
touch the file system (no ``..``, no ``/``, no hidden or odd names), and a file is only
written after it parses and validates exactly as ``simpolicy validate`` would read it.
Files are written to a temporary name and renamed, so a reader never sees half a scheme.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
import uuid
from pathlib import Path

from simpolicy.scenario.errors import InputError, Problem
from simpolicy.scenario.loader import scenario_from_data
from simpolicy.scenario.schema import Scenario
from simpolicy.scenario.yamlio import parse_yaml, read_yaml

SAVED_PREFIX = "saved:"
SCHEMES_DIR = "schemes"  # inside the results folder; the studies list skips it (no manifest)
MAX_SCHEME_BYTES = 100_000  # a whole scenario with its population is about 15 kB
MAX_SCHEMES = 200
MAX_NAME = 60
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def sanitise(name: str) -> str:
    """A file-safe scheme name: lower case letters, digits, ``_`` and ``-``, at most 60.

    Accents are dropped (``Ørsted`` -> ``rsted``, ``café`` -> ``cafe``), anything else
    becomes ``_``; an empty result is refused rather than invented.
    """
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9_-]+", "_", text.lower())
    text = re.sub(r"_{2,}", "_", text).strip("_-")[:MAX_NAME].strip("_-")
    if not _NAME.match(text):
        raise InputError([Problem("name", 0, "name", "give the scheme a name with letters or digits")])
    return text


def label(ref: str) -> str:
    """How a saved scheme reads in a page's list."""
    return f"{ref[len(SAVED_PREFIX):]} (saved)"


class SchemeStore:
    """Saved schemes by reference ``saved:<name>``, in ``folder/<name>.yaml``.

    Args:
        folder: created on the first save; nothing outside it is ever read or written.
        max_bytes: largest file one save may write.
        max_count: most schemes kept; a new name beyond it is refused (replacing one is not).
    """

    def __init__(self, folder: str | Path, max_bytes: int = MAX_SCHEME_BYTES, max_count: int = MAX_SCHEMES):
        self.root = Path(folder)
        self.max_bytes, self.max_count = max_bytes, max_count
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Names of the saved schemes (regular files with a safe name only), sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("*.yaml")
                      if _NAME.match(p.stem) and p.is_file() and not p.is_symlink())

    def refs(self) -> list[str]:
        return [SAVED_PREFIX + n for n in self.names()]

    def path(self, name: str) -> Path:
        """The file of a safe name, refused unless it sits directly in the folder."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise InputError([Problem(str(name)[:80], 0, "", "not the name of a saved scheme")])
        root = self.root.resolve()
        path = root / f"{name}.yaml"
        if path.parent != root:  # cannot happen with the pattern above; kept as the rule
            raise InputError([Problem(name, 0, "", "not the name of a saved scheme")])
        return path

    def save(self, name: str, text: str) -> tuple[str, bool]:
        """Validates and writes a scheme; returns (its reference, whether it replaced one).

        Raises ``InputError`` for a bad name, a file over the size limit, a scenario that
        does not validate (with the CLI's ``FILE:LINE`` lines) or a full folder.
        """
        name = sanitise(name)
        raw = str(text).encode("utf-8")
        fname = f"{name}.yaml"
        if len(raw) > self.max_bytes:
            raise InputError([Problem(fname, 0, "", f"{len(raw):,} bytes is more than the "
                                      f"{self.max_bytes:,} a saved scheme may have")])
        data, lines = parse_yaml(raw, fname)
        scenario = scenario_from_data(data, dict(lines), fname, {})
        if scenario.name != name:
            raise InputError([Problem(fname, lines.get(("name",), 0), "name",
                                      f"the scenario is named {scenario.name!r}, the file {name!r}")])
        path = self.path(name)
        with self._lock:
            replaced = path.is_file()
            if not replaced and len(self.names()) >= self.max_count:
                raise InputError([Problem(fname, 0, "", f"{self.max_count} schemes are saved already, "
                                          "the most this dashboard keeps; save under an existing name "
                                          "to replace it")])
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{name}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                with open(tmp, "xb") as f:
                    f.write(raw)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)  # replaces a symlink itself, never what it points to
            finally:
                tmp.unlink(missing_ok=True)
        return SAVED_PREFIX + name, replaced

    def load(self, ref: str, sets: dict | None = None) -> Scenario:
        """A saved scheme, validated, with overrides; messages name ``<name>.yaml``, never
        the server's folder."""
        name = ref[len(SAVED_PREFIX):] if ref.startswith(SAVED_PREFIX) else ref
        path = self.path(name)
        if not path.is_file():
            raise InputError([Problem(f"{name}.yaml", 0, "", "this saved scheme is no longer there")])
        try:
            data, lines = read_yaml(path)  # regular files of limited size only
        except InputError as e:  # the same problems, named without the server's folder
            named = [Problem(f"{name}.yaml", p.line, p.path, p.message) for p in e.problems]
            raise InputError(named) from None
        return scenario_from_data(data, dict(lines), f"{name}.yaml", dict(sets or {}))
