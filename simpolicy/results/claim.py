"""Results folders that cannot collide: a new folder per result, claimed exclusively.

A run's folder used to be ``run-<scenario>-<second>``, made with ``exist_ok``: four runs
started in the same second wrote one folder, and the manifest of one sat over another's
parts. Now a default folder carries a random token and is made with ``os.mkdir`` (which
fails if it exists), and an ``--out`` folder is used only when it is new or empty (claimed
by making its ``parts/`` exclusively). A folder that already holds something (another result,
a study, anyone's files) is refused unless ``force``: then a previous result's manifest and
parts are removed first, and other files are left alone (they are never read: readers take
only the parts the new manifest lists).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from pathlib import Path

from simpolicy.results.listing import KINDS, PART_NAME, ResultsError

OWNED_FILES = ("design.parquet", "sensitivity.parquet", ".lock")


class FolderRefused(ValueError):
    """An output folder that holds something else (the command exits 2)."""


def new_folder(root: Path, stem: str) -> Path:
    """A fresh folder ``root/<stem>-<stamp>-<token>``, created exclusively."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.@-]", "_", stem)
    for _ in range(20):
        path = root / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        os.mkdir(path / "parts")
        return path
    raise FolderRefused(f"could not create a new folder in {root}")


def claim(out: Path, force: bool = False) -> Path:
    """Makes ``out`` the folder of a new result: created, or empty, or (``force``) emptied
    of a previous result. Raises ``FolderRefused`` with one line saying what it holds."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        out.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # lost a race: judged below like any folder
            os.mkdir(out)
    if not out.is_dir():
        raise FolderRefused(f"{out} exists and is not a folder; give another --out")
    held = describe(out)
    if held and not force:
        raise FolderRefused(f"{out} already holds {held}; give another --out, or add --force to "
                            "replace what it holds")
    if held:
        _remove_result(out)
    try:
        os.mkdir(out / "parts")
    except FileExistsError:
        if not force:
            raise FolderRefused(f"{out} is being written by another process; give another --out") from None
    return out


def describe(folder: Path) -> str:
    """What a folder holds, in a few words ("" when empty)."""
    names = sorted(os.listdir(folder))
    if not names:
        return ""
    if names == ["parts"]:
        return "a result being written by another process (no manifest yet)"
    if "manifest.json" in names:
        from simpolicy.results.store import read_manifest

        try:
            m = read_manifest(folder)
            kind = m.get("kind") or "result"
            return f"a {kind} result ({m.get('study_id', folder.name)})" if kind != "study" else \
                f"a study ({m.get('study_id', folder.name)}, made by simpolicy sweep)"
        except (OSError, ValueError):
            return "a damaged results folder"
    return f"{len(names)} other file(s) (e.g. {names[0]!r})"


def _remove_result(folder: Path) -> None:
    """Deletes a previous result's own files: manifest first (so a crash part-way never leaves
    a manifest listing deleted parts), then strictly named parts. A study still being written
    (its lock's process alive) is refused even with ``force``."""
    lock = folder / ".lock"
    if lock.is_file():
        from simpolicy.experiments.studydir import _alive

        owner = lock.read_text(errors="replace").strip()
        if owner and _alive(owner):
            raise FolderRefused(f"{folder} is being written by process {owner}; not replaced")
    (folder / "manifest.json").unlink(missing_ok=True)
    for kind in KINDS:
        d = folder / kind
        if d.is_symlink():
            raise ResultsError(f"{d}: is a symlink; refused")
        if d.is_dir():
            for p in d.iterdir():
                if PART_NAME.match(p.name) or (p.name.startswith(".") and ".tmp-" in p.name):
                    p.unlink()
            with contextlib.suppress(OSError):
                d.rmdir()  # only when nothing foreign is left in it
    for name in OWNED_FILES:
        p = folder / name
        if p.is_file() and not p.is_symlink():
            p.unlink()


def release(folder: Path) -> None:
    """Gives back a claimed folder that received nothing (a run that failed to start)."""
    with contextlib.suppress(OSError):
        (Path(folder) / "parts").rmdir()  # only when empty: nothing of anyone's is removed
