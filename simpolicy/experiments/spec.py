"""Sweep specs: the declarative description of a study, validated like a scenario.

A spec names scenarios, the parameters to vary (``--set``-style field paths with levels or
ranges), a design, replications and a base seed. ``load_spec`` reads it safely, validates
the schema, then checks that every scenario exists and that every parameter path and value
is accepted by every scenario, so a typo in a path is reported as
``FILE:LINE: parameters.<path>: message`` before a single run starts, never as a study full
of failed runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, ValidationError, model_validator

from simpolicy.outcomes import ALIASES, OUTCOMES
from simpolicy.scenario.base import Strict
from simpolicy.scenario.behaviour import Behaviour
from simpolicy.scenario.errors import InputError, Problem
from simpolicy.scenario.loader import load_scenario, with_sets
from simpolicy.scenario.schema import Scenario
from simpolicy.scenario.yamlio import line_of, problems_from, read_yaml, validate


def _scalar(v: Any) -> Any:
    """A level or fixed value: a finite number, text or true/false (one clear message otherwise)."""
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("must be a finite number")
    if not isinstance(v, bool | int | float | str):
        raise ValueError(f"must be a number, text or true/false (got {type(v).__name__})")
    return v


Scalar = Annotated[bool | int | float | str, PlainValidator(_scalar)]
Design = Literal["grid", "lhs", "sobol", "morris"]


class Parameter(Strict):
    """One varied field: a list of ``levels`` (grid levels or a choice) or a ``low``-``high`` range.

    Ranges are uniform, log-uniform (``scale: log``) or integer (``integer: true``). A range
    in a grid needs ``steps`` (evenly spaced values, geometric with ``scale: log``).
    """

    levels: list[Scalar] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None
    scale: Literal["linear", "log"] = "linear"
    integer: bool = False
    steps: int | None = Field(None, ge=2, le=1000, description="grid values over a range")

    @model_validator(mode="after")
    def _one_kind(self) -> Parameter:
        if self.levels is not None:
            if self.low is not None or self.high is not None or self.steps is not None:
                raise ValueError("give either levels or low/high, not both")
            return self
        if self.low is None or self.high is None:
            raise ValueError("give levels: [...] or both low and high")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite numbers")
        if self.low >= self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.scale == "log" and self.low <= 0:
            raise ValueError("scale: log needs low > 0")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("integer parameters need whole-number low and high")
        return self

    @property
    def kind(self) -> str:
        """``choice``, ``integer``, ``loguniform`` or ``uniform``."""
        if self.levels is not None:
            return "choice"
        if self.integer:
            return "integer"
        return "loguniform" if self.scale == "log" else "uniform"

    def probe_values(self) -> list[Scalar]:
        """Values that must all be accepted by every scenario (levels or both ends)."""
        if self.levels is not None:
            return list(self.levels)
        if self.integer:
            return [int(self.low), int(self.high)]
        return [self.low, self.high]


class SweepSpec(Strict):
    """A study: scenarios x design points x replications (see docs/studies.md)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=80)
    description: str = ""
    scenarios: list[str] = Field(min_length=1, description="bundled names or paths")
    on_population: str | None = Field(
        None, description="put every scenario's scheme on this scenario's population")
    design: Design = "grid"
    samples: int | None = Field(
        None, ge=1, le=1_000_000,
        description="points (lhs), base sample N (sobol), trajectories (morris)")
    replications: int = Field(1, ge=1, le=100_000)
    base_seed: int = Field(0, ge=0, le=2**31)
    common_random_numbers: bool = Field(
        True, description="replication r of every point uses seed base_seed + r")
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    fixed: dict[str, Scalar] = Field(default_factory=dict, description="overrides for every run")
    timeseries: list[str] = Field(default_factory=list, description="monthly series to keep")
    outcomes: list[str] = Field(default_factory=list, description="outcomes for sensitivity")
    morris_levels: int = Field(4, ge=2, le=20)

    def problems(self) -> list[tuple[tuple, str]]:
        """Design rules across fields, as (field location, message) for located errors."""
        out = []
        if self.design == "grid":
            if self.samples is not None:
                out.append((("samples",), "samples is for lhs, sobol and morris; a grid takes levels"))
            for k, p in self.parameters.items():
                if p.levels is None and p.steps is None:
                    out.append((("parameters", k), "a grid needs levels, or low/high with steps"))
        else:
            if self.samples is None:
                out.append(((), f"design {self.design} needs samples"))
            if not self.parameters:
                out.append((("parameters",), f"design {self.design} needs at least one parameter"))
            for k, p in self.parameters.items():
                if p.steps is not None:
                    out.append((("parameters", k), f"steps is for grids; {self.design} samples ranges"))
        if self.design == "sobol" and self.samples and self.samples & (self.samples - 1):
            out.append((("samples",), "sobol samples must be a power of 2 "
                        f"(e.g. {1 << (self.samples.bit_length() - 1)} or {1 << self.samples.bit_length()})"))
        for i, o in enumerate(self.outcomes):
            if o not in OUTCOMES and o not in ALIASES:  # old names kept for one release
                out.append((("outcomes", i), f"unknown outcome '{o}'"))
        return out

    @property
    def points_per_scenario(self) -> int:
        """Design points per scenario (before replications)."""
        if self.design == "grid":
            n = 1
            for p in self.parameters.values():
                n *= len(p.levels) if p.levels is not None else p.steps
            return n
        d = len(self.parameters)
        return {"lhs": self.samples, "sobol": self.samples * (d + 2),
                "morris": self.samples * (d + 1)}[self.design]

    @property
    def total_runs(self) -> int:
        return len(self.scenarios) * self.points_per_scenario * self.replications

    def sensitivity_outcomes(self) -> list[str]:
        return list(self.outcomes) or list(OUTCOMES)

    def digest(self) -> str:
        """A hash of what the spec means (comments and layout do not count)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load_spec(path: str | Path) -> SweepSpec:
    """Reads and validates a sweep spec; raises InputError with located problems."""
    return load_spec_and_scenarios(path)[0]


def load_spec_and_scenarios(path: str | Path) -> tuple[SweepSpec, dict[str, Scenario]]:
    """``load_spec`` plus the study's scenarios (``fixed`` applied), checked once."""
    name = str(path)
    data, lines = read_yaml(path)
    spec = validate(SweepSpec, data, name, lines)
    problems, scenarios = [], {}
    try:
        check(spec, name, lines)
    except InputError as e:
        problems += e.problems
    try:
        scenarios = base_scenarios(spec, name, lines)
    except InputError as e:
        problems += e.problems
    if problems:
        raise InputError(_unique(problems))
    return spec, scenarios


def check(spec: SweepSpec, file: str = "<spec>", lines: dict | None = None) -> None:
    """Raises InputError for the design rules that span several fields."""
    problems = [Problem(file, line_of(lines or {}, loc), ".".join(map(str, loc)), msg)
                for loc, msg in spec.problems()]
    if problems:
        raise InputError(problems)


def base_scenarios(spec: SweepSpec, file: str = "<spec>",
                   lines: dict | None = None) -> dict[str, Scenario]:
    """The scenarios of a study, with ``fixed`` applied, keyed by label; checks every path.

    With ``on_population`` each scheme is put on that scenario's population (as
    ``compare --population``); the label is ``scheme@population``.
    """
    lines = lines or {}
    problems: list[Problem] = []
    pop = _load(spec.on_population, file, line_of(lines, ("on_population",)), "on_population",
                problems) if spec.on_population else None
    out: dict[str, Scenario] = {}
    for i, ref in enumerate(spec.scenarios):
        sc = _load(ref, file, line_of(lines, ("scenarios", i)), f"scenarios.{i}", problems)
        if sc is None:
            continue
        label = f"{sc.name}@{pop.name}" if pop else sc.name
        if pop is not None:
            sc = sc.model_copy(update={"name": f"{sc.name}_on_{pop.name}", "country": pop.country,
                                       "population": pop.population})
        if label in out:
            problems.append(Problem(file, line_of(lines, ("scenarios", i)), f"scenarios.{i}",
                                    f"scenario {label} is listed twice"))
            continue
        try:
            sc = with_sets(sc, dict(spec.fixed))
        except (InputError, ValidationError) as e:
            problems += _relocate(e, file, lines, "fixed", label)
        except (TypeError, KeyError, IndexError, AttributeError) as e:  # a path below a value
            for key in spec.fixed:
                problems.append(Problem(file, line_of(lines, ("fixed", key)), f"fixed.{key}",
                                        _below_value(sc, key, label, e)))
        for path, param in spec.parameters.items():
            for value in param.probe_values():
                try:
                    with_sets(sc, {path: value})
                except (InputError, ValidationError) as e:
                    problems += _relocate(e, file, lines, "parameters", label, path, value)
                    break
                except (TypeError, KeyError, IndexError, AttributeError) as e:  # a path below a value
                    problems.append(Problem(file, line_of(lines, ("parameters", path)), f"parameters.{path}",
                                            _below_value(sc, path, label, e)))
                    break
        out[label] = sc
    if not problems and spec.timeseries and out:
        problems += _check_timeseries(spec, next(iter(out.values())), file, lines)
    if problems:
        raise InputError(_unique(problems))
    return out


def _load(ref: str, file: str, line: int, where: str, problems: list[Problem]) -> Scenario | None:
    try:
        return load_scenario(_relative(ref, file))
    except InputError as e:
        msg = e.problems[0].message if len(e.problems) == 1 else f"{len(e.problems)} problems"
        if Path(e.problems[0].file).exists():
            msg = f"scenario {ref} is invalid: {e.problems[0]}"
        problems.append(Problem(file, line, where, msg))
        return None


def _relative(ref: str, file: str) -> str:
    """A scenario given as a relative path is looked up beside the spec first."""
    if ref.endswith((".yaml", ".yml")) and not Path(ref).is_absolute():
        beside = Path(file).parent / ref
        if beside.exists():
            return str(beside)
    return ref


def _relocate(err: InputError | ValidationError, file: str, lines: dict, section: str, label: str,
              path: str | None = None, value: Any = None) -> list[Problem]:
    """Turns a ``--set`` or schema problem into one located at the spec's own field."""
    out = []
    if isinstance(err, ValidationError):  # behaviour.* overrides are validated by Behaviour itself
        err = InputError([Problem(file, 0, f"behaviour.{p.path}", p.message)
                          for p in problems_from(err, Behaviour, file, {})])
    for p in err.problems:
        key = path or p.path
        where = f"{section}.{key}"
        line = line_of(lines, (section, key)) if (section, key) in lines else line_of(lines, (section,))
        shown = f"value {value!r} in " if value is not None else ""
        out.append(Problem(file, line, where, f"{p.message} ({shown}scenario {label})"))
    return out


def _below_value(sc: Scenario, path: str, label: str, err: Exception) -> str:
    """Why a path cannot be set: the first part of it that is a plain value."""
    node: Any = sc.model_dump(mode="json")
    parts = path.split(".")
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list):
            node = next((x for x in node if isinstance(x, dict) and x.get("id") == part),
                        node[int(part)] if part.isdigit() and int(part) < len(node) else None)
        if node is not None and not isinstance(node, dict | list):
            return (f"'{'.'.join(parts[:i + 1])}' is a value in scenario {label}; "
                    "nothing can be set below it")
    return f"cannot override this path in scenario {label} ({type(err).__name__}: {err})"


def _check_timeseries(spec: SweepSpec, sc: Scenario, file: str, lines: dict) -> list[Problem]:
    """Checks the kept series against the columns a one-month run actually produces."""
    from simpolicy.core import simulate

    columns = set(simulate(with_sets(sc, {"horizon_years": 1 / 12}), 0).timeseries.columns)
    return [Problem(file, line_of(lines, ("timeseries", i)), f"timeseries.{i}",
                    f"no monthly series '{name}'; choose from {', '.join(sorted(columns))}")
            for i, name in enumerate(spec.timeseries) if name not in columns]


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.line, p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
