"""Safe YAML reading that remembers the line of every field.

PyYAML's composer gives nodes with positions; we build plain Python data ourselves from
those nodes, so no tag can construct an object, and alias bombs are stopped by a node budget.
"""

from __future__ import annotations

import difflib
import math
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
            out = {}
            for k, v in node.value:
                key = self.build(k, path)
                if not isinstance(key, str | int | float | bool):
                    raise InputError([self._problem(k, path, "keys must be plain values")])
                if key in out:  # YAML would silently keep the last one: refuse instead
                    first = self.lines[path + (key,)]
                    msg = f"duplicate key (first on line {first})"
                    raise InputError([self._problem(k, path + (key,), msg)])
                self.lines[path + (key,)] = k.start_mark.line + 1
                out[key] = self.build(v, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,)) for i, v in enumerate(node.value)]
        return self._resolver.construct_object(node, deep=True)

    def _problem(self, node: yaml.Node, path: tuple, msg: str) -> Problem:
        return Problem(self.file, node.start_mark.line + 1, _dot(path), msg)


def _dot(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def read_yaml(path: str | Path) -> tuple[Any, dict[tuple, int]]:
    """Reads a YAML file safely; returns the data and a field-path -> line map."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise InputError([Problem(name, 0, "", f"cannot read file: {e.strerror}")]) from None
    return parse_yaml(raw, name)


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


def validate(model: type[BaseModel], data: Any, name: str, lines: dict[tuple, int]):
    """Validates data against a schema model, raising located problems."""
    if not isinstance(data, dict):
        raise InputError([Problem(name, 1, "", "expected a mapping of fields at the top level")])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise InputError(problems_from(e, model, name, lines)) from None
