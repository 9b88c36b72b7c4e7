"""Finding, reading, overriding and validating scenarios and the shared behaviour file.

A scenario is named (``"flanders"``, a bundled file in ``scenarios/``) or given by path.
``--set path=value`` overrides any field before validation, so a bad override is reported
like a bad file, and named as typed (``--set behaviour.x=abc: expected a number ...``), not
at a line of the file it overrides. Instruments can be addressed by position or by id
(``scheme.instruments.pio_development.rate=0.4``).
"""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .behaviour import Behaviour
from .errors import ArgumentProblem, InputError, Problem
from .sanity import check_scenario
from .schema import Scenario
from .yamlio import parse_yaml, read_yaml, validate

ROOT = Path(__file__).resolve().parents[2]
NOT_SCENARIOS = {"behaviour.yaml", "schema.json"}


def scenario_dir() -> Path:
    """The folder of bundled scenarios (``SIMPOLICY_SCENARIOS`` overrides it)."""
    return Path(os.environ.get("SIMPOLICY_SCENARIOS", ROOT / "scenarios"))


def bundled_names() -> list[str]:
    """Names of the bundled scenario files."""
    return sorted(p.stem for p in scenario_dir().glob("*.yaml") if p.name not in NOT_SCENARIOS)


def resolve(name_or_path: str | Path) -> Path:
    """A bundled name or a path -> the file path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    candidate = scenario_dir() / f"{name_or_path}.yaml"
    if candidate.exists():
        return candidate
    known = ", ".join(bundled_names())
    raise InputError([Problem(str(name_or_path), 0, "", f"no such scenario; bundled: {known}")])


class Sets(dict):
    """Parsed ``--set`` overrides (path -> value) that remember what was typed for each,
    so that a problem with a value names the argument (``--set path=value``)."""

    def __init__(self, values=(), typed: dict[str, str] | None = None):
        super().__init__(values)
        self.typed = dict(typed or {})


def parse_sets(sets: list[str] | dict | None) -> dict[str, Any]:
    """``["a.b=1", ...]`` -> ``{"a.b": 1}``; values are parsed as YAML scalars."""
    if not sets:
        return {}
    if isinstance(sets, dict):
        return Sets(sets, getattr(sets, "typed", None))
    out = Sets()
    for item in sets:
        if "=" not in item:
            raise InputError([ArgumentProblem(f"--set {item}", 0, item, "expected path=value")])
        key, raw = item.split("=", 1)
        if key.strip() in out:  # the last one won silently, as duplicate keys in a file did
            raise InputError([ArgumentProblem(f"--set {item}", 0, key.strip(),
                                              f"given twice (also --set {out.typed[key.strip()]})")])
        out[key.strip()] = _set_value(key.strip(), raw, item)
        out.typed[key.strip()] = item
    return out


def _set_value(key: str, raw: str, item: str) -> Any:
    """A ``--set`` value read as a file's value is (YAML 1.2 scalars, no tags, printable);
    text that is not YAML at all stays text, as before."""
    if not raw.strip():
        return ""
    try:
        return parse_yaml(raw, "--set")[0]
    except InputError as e:
        msg = e.problems[0].message
        if msg.startswith("invalid YAML"):
            return raw
        raise InputError([ArgumentProblem(f"--set {item}", 0, key, msg)]) from None


def _arg(path: str, message: str, typed: dict) -> ArgumentProblem:
    return ArgumentProblem(f"--set {typed.get(path, path)}", 0, path, message)


def apply_sets(data: dict, sets: dict[str, Any], lines: dict,
               resolved: dict[str, str] | None = None) -> dict:
    """Applies overrides to raw scenario data (a copy); unknown paths are errors.

    ``resolved`` receives each override's field path as validation reports it (list items
    by position, ``scheme.instruments.0.rate`` for ``...pcp_lt.rate``) -> what was typed.
    """
    typed = getattr(sets, "typed", {})
    data = copy.deepcopy(data)
    for path, value in sets.items():
        parts = path.split(".")
        node, at = data, []
        for part in parts[:-1]:
            node, key = _child(node, part, path, typed, create=parts[0] == "behaviour")
            at.append(key)
        last = parts[-1]
        if not isinstance(node, dict | list):
            raise InputError([_arg(path, "cannot set a field below a value", typed)])
        if isinstance(node, list):
            last = _index(node, last, path, typed)
        node[last] = value
        lines[tuple(_key(p) for p in parts)] = 0
        if resolved is not None and path in typed:
            resolved[".".join(map(str, [*at, last]))] = typed[path]
    return data


def _child(node: Any, part: str, path: str, typed: dict, create: bool) -> tuple[Any, Any]:
    if isinstance(node, list):
        i = _index(node, part, path, typed)
        return node[i], i
    if isinstance(node, dict):
        if part not in node:
            if not create:
                raise InputError([_arg(path, f"no field '{part}' to override", typed)])
            node[part] = {}
        return node[part], part
    raise InputError([_arg(path, f"'{part}' is not a mapping or list", typed)])


def _index(node: list, part: str, path: str, typed: dict) -> int:
    if part.isdigit() and int(part) < len(node):
        return int(part)
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("id") == part:
            return i
    raise InputError([_arg(path, f"no list item '{part}'", typed)])


def name_arguments(e: InputError, resolved: dict[str, str]) -> InputError:
    """Problems at an overridden field (or inside its value) become the argument's own."""
    if not resolved:
        return e
    out = []
    for p in e.problems:
        field = next((f for f in resolved if p.path == f or p.path.startswith(f + ".")), None)
        if field is None:
            out.append(p)
            continue
        typed, msg = resolved[field], p.message
        if not typed.split("=", 1)[-1].lstrip().startswith(("'", '"')):
            msg = msg.replace(" (write it without quotes)", "")  # nothing was quoted
        out.append(ArgumentProblem(f"--set {typed}", 0, p.path, msg))
    return InputError(out)


def _key(p: str) -> Any:
    return int(p) if p.isdigit() else p


@lru_cache(maxsize=8)
def _shared_behaviour(path: str, mtime: float) -> tuple[dict, dict]:
    data, lines = read_yaml(path)
    validate(Behaviour, data, path, lines)
    return data, lines


def behaviour_path() -> Path:
    return scenario_dir() / "behaviour.yaml"


def load_behaviour(overrides: dict[str, Any] | None = None,
                   typed: dict[str, str] | None = None) -> Behaviour:
    """The shared behaviour file, optionally with ``behaviour.x`` overrides applied
    (``typed``: name -> the ``--set`` argument, to name it in a problem)."""
    path = behaviour_path()
    if not path.exists():
        return Behaviour()
    data, lines = _shared_behaviour(str(path), path.stat().st_mtime)
    return _behaviour({**data, **(overrides or {})}, str(path), lines, overrides, typed)


def _behaviour(data: dict, name: str, lines: dict, overrides, typed) -> Behaviour:
    try:
        return validate(Behaviour, data, name, lines)
    except InputError as e:
        typed = typed or {}
        raise name_arguments(e, {k: typed[k] for k in overrides or {} if k in typed}) from None


def load_scenario(name_or_path: str | Path, sets: list[str] | dict | None = None) -> Scenario:
    """Loads, overrides and validates a scenario; the shared behaviour is attached."""
    path = resolve(name_or_path)
    data, lines = read_yaml(path)
    return scenario_from_data(data, lines, str(path), parse_sets(sets))


def scenario_from_data(data: Any, lines: dict, name: str, sets: dict[str, Any]) -> Scenario:
    """Validates already-parsed scenario data (files and dashboard uploads alike)."""
    if not isinstance(data, dict):
        raise InputError([Problem(name, 1, "", "expected a mapping of fields at the top level")])
    typed = getattr(sets, "typed", {})
    behaviour_sets = {k.split(".", 1)[1]: v for k, v in sets.items() if k.startswith("behaviour.")}
    behaviour_typed = {k.split(".", 1)[1]: v for k, v in typed.items() if k.startswith("behaviour.")}
    other = Sets({k: v for k, v in sets.items() if not k.startswith("behaviour.")}, typed)
    resolved: dict[str, str] = {}
    data = apply_sets(data, other, lines, resolved)
    try:
        scenario = validate(Scenario, data, name, lines)
        check_scenario(scenario, name, lines)  # across fields: what validates must run
    except InputError as e:
        raise name_arguments(e, resolved) from None
    behaviour = scenario.behaviour
    if behaviour is None:
        behaviour = load_behaviour(behaviour_sets, behaviour_typed)
    elif behaviour_sets:  # strict as the shared file is (a text or boolean number is refused)
        behaviour = _behaviour({**behaviour.model_dump(), **behaviour_sets}, name, {},
                               behaviour_sets, behaviour_typed)
    return scenario.model_copy(update={"behaviour": behaviour})


def ensure_behaviour(scenario: Scenario) -> Scenario:
    """A scenario built in code gets the shared behaviour if it carries none."""
    if scenario.behaviour is not None:
        return scenario
    return scenario.model_copy(update={"behaviour": load_behaviour()})


def with_sets(scenario: Scenario, sets: dict[str, Any]) -> Scenario:
    """A validated copy of a scenario with overrides (used by sweeps and `evaluate`)."""
    if not sets:
        return ensure_behaviour(scenario)
    data = scenario.model_dump(mode="json", exclude={"behaviour"})
    b = ensure_behaviour(scenario).behaviour.model_dump()
    b_sets = {k.split(".", 1)[1]: v for k, v in sets.items() if k.startswith("behaviour.")}
    other = {k: v for k, v in sets.items() if not k.startswith("behaviour.")}
    data = apply_sets(data, other, {})
    out = validate(Scenario, data, scenario.name, {})
    check_scenario(out, scenario.name, {})
    return out.model_copy(update={"behaviour": Behaviour.model_validate({**b, **b_sets})})
