"""Safe YAML reading that remembers the line of every field.

PyYAML's composer gives nodes with positions; we build plain Python data ourselves from
those nodes, so no tag can construct an object, and alias bombs are stopped by a node budget.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import types
import typing
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import InputError, Problem

MAX_BYTES = 2_000_000
MAX_NODES = 200_000
_ALLOWED_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


class _Builder:
    """Turns a composed YAML node tree into data plus a map from field path to line."""

    def __init__(self, file: str):
        self.file, self.lines, self.count = file, {}, 0
        self._resolver = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: tuple) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise InputError([Problem(self.file, node.start_mark.line + 1, _dot(path),
                                      "document too large (alias bomb?)")])
        self.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in _ALLOWED_TAGS:
            raise InputError([self._problem(node, path, f"tag {node.tag} is not allowed")])
        if isinstance(node, yaml.MappingNode):
            out, folded = {}, {}
            for k, v in node.value:
                key = self.build(k, path)
                if not isinstance(key, str | int | float | bool):
                    raise InputError([self._problem(k, path, "keys must be plain values")])
                if isinstance(key, str) and (bad := _unprintable(key, in_key=True)):
                    raise InputError([self._problem(k, path, f"key {key!r} contains {bad}")])
                same = folded.get(_fold(key))
                if key in out or same is not None:  # YAML would keep the last one: refuse
                    first = self.lines[path + (same if same is not None else key,)]
                    how = "" if key in out else f" {same!r} (keys differ only in case or form)"
                    msg = f"duplicate key{how} (first on line {first})"
                    raise InputError([self._problem(k, path + (key,), msg)])
                folded[_fold(key)] = key
                self.lines[path + (key,)] = k.start_mark.line + 1
                out[key] = self.build(v, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,)) for i, v in enumerate(node.value)]
        try:
            value = scalar(node, self._resolver)
        except Ambiguous as e:
            raise InputError([self._problem(node, path, str(e))]) from None
        if isinstance(value, str) and (bad := _unprintable(value, in_key=False)):
            raise InputError([self._problem(node, path, f"text contains {bad}")])
        return value

    def _problem(self, node: yaml.Node, path: tuple, msg: str) -> Problem:
        return Problem(self.file, node.start_mark.line + 1, _dot(path), msg)


# YAML 1.2 core schema (what editors, JSON and most other tools mean by a plain scalar).
# PyYAML resolves YAML 1.1, where `1:30` is 90 (base 60), `010` is 8 (octal), `1_000` is
# 1000 and `yes`/`on` are true: a file meaning 1.2 is read as other values without a word.
_INT12 = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT12 = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"
                      r"|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")
_BOOL12 = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL12 = {"", "~", "null", "Null", "NULL"}
_TYPED = ("int", "float", "bool", "null")
# Bidirectional overrides and isolates reorder what a reader sees (a name that displays as
# one thing and is another); zero-width characters make two keys look equal.
_BIDI = set("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
            "\u2066\u2067\u2068\u2069\ufeff")


class Ambiguous(ValueError):
    """A plain scalar that YAML 1.1 and YAML 1.2 read as different values."""


def scalar(node: yaml.ScalarNode, resolver) -> Any:
    """A plain scalar as YAML 1.2 reads it; one YAML 1.1 reads otherwise is refused.

    Quoted scalars are text. A plain scalar that both versions read alike is returned as
    such; ``010`` (8 in 1.1, 10 in 1.2), ``1:30`` (90 or text), ``1_000`` or ``yes`` would
    silently mean different things to different tools, so the writer is asked to say which.
    """
    value = resolver.construct_object(node, deep=True)
    if node.style is not None or not isinstance(node.value, str):
        return value
    text = node.value
    kind = node.tag.rsplit(":", 1)[-1]
    if _INT12.match(text):
        v12 = int(text, 8) if text.startswith("0o") else int(text, 16) if text.startswith("0x") else int(text)
    elif _FLOAT12.match(text):
        v12 = value if kind == "float" else float(text)
    elif text in _BOOL12:
        v12 = _BOOL12[text]
    elif text in _NULL12:
        v12 = None
    else:
        v12 = text
    if kind in _TYPED and (type(v12) is not type(value) or v12 != value) and not (
            isinstance(value, float) and value != value):
        raise Ambiguous(f"{text!r} is read as {value!r} by YAML 1.1 but as {v12!r} by YAML 1.2; "
                         f"write the value you mean (quote text)")
    return v12


def _unprintable(text: str, in_key: bool) -> str:
    """A description of the first control or direction character in a text ('' if none)."""
    for ch in text:
        if ch in _BIDI or (unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")
                           and (in_key or ch not in "\n\t\r")):
            return f"the invisible character U+{ord(ch):04X} ({unicodedata.name(ch, 'control')})"
    return ""


def _fold(key) -> Any:
    """A key as a reader sees it: ``IT``, ``it`` and a full-width ``ｉｔ`` are one theme."""
    return unicodedata.normalize("NFKC", key).casefold() if isinstance(key, str) else key


def _dot(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def read_yaml(path: str | Path) -> tuple[Any, dict[tuple, int]]:
    """Reads a YAML file safely; returns the data and a field-path -> line map."""
    name = str(path)
    try:
        raw = _read_limited(Path(path), name)
    except OSError as e:
        raise InputError([Problem(name, 0, "", f"cannot read file: {e.strerror}")]) from None
    return parse_yaml(raw, name)


def _read_limited(path: Path, name: str) -> bytes:
    """The bytes of a regular file of at most ``MAX_BYTES``, checked before reading.

    ``/dev/zero`` was read until memory ran out, a FIFO waited forever for a writer and a
    3 GB file was read whole before its size was looked at: stat first (regular files
    only), open without blocking, and read one byte more than allowed at most.
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise InputError([Problem(name, 0, "", f"cannot read file: {what}")])
    if st.st_size > MAX_BYTES:
        raise InputError([Problem(name, 1, "", f"file larger than {MAX_BYTES} bytes")])
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped after the stat
            raise InputError([Problem(name, 0, "", "cannot read file: not a regular file")])
        return f.read(MAX_BYTES + 1)


def parse_yaml(raw: bytes | str, name: str) -> tuple[Any, dict[tuple, int]]:
    """Parses YAML text (from a file or an upload) the same safe way as `read_yaml`."""
    if len(raw) > MAX_BYTES:
        raise InputError([Problem(name, 1, "", f"file larger than {MAX_BYTES} bytes")])
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            raise InputError([Problem(name, line, "", "not valid UTF-8 text")]) from None
    try:
        node = yaml.compose(raw, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise InputError([Problem(name, line, "", f"invalid YAML: {e.problem or e}")]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(name, 1, "", f"invalid YAML: {e}")]) from None
    except RecursionError:
        raise InputError([Problem(name, 1, "", "document nested too deeply")]) from None
    if node is None:
        raise InputError([Problem(name, 1, "", "the file is empty")])
    builder = _Builder(name)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise InputError([Problem(name, 1, "", "document nested too deeply")]) from None
    except (yaml.YAMLError, ValueError, OverflowError) as e:
        raise InputError([Problem(name, 1, "", f"invalid value: {e}")]) from None
    return data, builder.lines


def line_of(lines: dict[tuple, int], loc: tuple) -> int:
    """The line of a field path, or of its nearest ancestor that exists in the file."""
    loc = tuple(loc)
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names a model expects at a path, for did-you-mean suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        ann = fields[part].annotation
        current = _inner_model(ann)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _inner_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def problems_from(err: ValidationError, model: type[BaseModel], name: str,
                  lines: dict[tuple, int]) -> list[Problem]:
    """Turns pydantic's errors into located, readable problems."""
    out = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            known = _fields_at(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            msg = "unknown field" + (f"; did you mean '{close[0]}'?" if close else "")
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif "input" in e and isinstance(e["input"], float) and not math.isfinite(e["input"]):
            msg = f"{msg} (got {e['input']})"
        out.append(Problem(name, line_of(lines, loc), _dot(loc), msg))
    return out


def _plain(ann: Any) -> Any:
    """``Optional[X]`` / ``Annotated[X, ...]`` -> X (the type a value must have)."""
    while True:
        if typing.get_origin(ann) is typing.Annotated:
            ann = typing.get_args(ann)[0]
            continue
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if typing.get_origin(ann) in (typing.Union, types.UnionType) and len(args) == 1:
            ann = args[0]
            continue
        return ann


def _wrong_kind(ann: Any, value: Any) -> str:
    """Why a value cannot stand for a field of type ``ann`` ('' when it may)."""
    if ann is bool and not isinstance(value, bool):
        return f"expected true or false, got {type(value).__name__} {value!r}"
    if ann in (int, float) and isinstance(value, bool | str):
        what = "a boolean" if isinstance(value, bool) else f"text {value!r}"
        return f"expected a number, got {what} (write it without quotes)"
    return ""


def strict_problems(model: Any, data: Any, loc: tuple = ()) -> list[tuple[tuple, str]]:
    """Numbers given as text or booleans, and booleans given as numbers, anywhere in the data.

    pydantic's lax mode turned ``count: "12"`` into 12, ``count: true`` into 1 and
    ``rate: true`` into 1.0: a quoting slip or a wrong field silently became a value. The
    walk follows the schema (models, lists, dicts) and leaves everything else to pydantic.
    """
    ann = _plain(model)
    origin = typing.get_origin(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if not isinstance(data, dict):
            return []
        out = []
        for key, value in data.items():
            f = ann.model_fields.get(key) if isinstance(key, str) else None
            if f is not None:
                out += strict_problems(f.annotation, value, loc + (key,))
        return out
    if origin in (list, tuple, set, frozenset) and isinstance(data, list):
        (inner, *_) = typing.get_args(ann) or (Any,)
        return [p for i, v in enumerate(data) for p in strict_problems(inner, v, loc + (i,))]
    if origin is dict and isinstance(data, dict):
        _, inner = typing.get_args(ann) or (Any, Any)
        return [p for k, v in data.items() for p in strict_problems(inner, v, loc + (k,))]
    why = _wrong_kind(ann, data)
    return [(loc, why)] if why else []


def validate(model: type[BaseModel], data: Any, name: str, lines: dict[tuple, int]):
    """Validates data against a schema model, raising located problems."""
    if not isinstance(data, dict):
        raise InputError([Problem(name, 1, "", "expected a mapping of fields at the top level")])
    wrong = strict_problems(model, data)
    if wrong:
        raise InputError([Problem(name, line_of(lines, loc), _dot(loc), msg) for loc, msg in wrong])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise InputError(problems_from(e, model, name, lines)) from None
