"""Optimisation specs: a design space in the sweep format plus objectives and constraints.

An analyst who asks "how should the Danish proposal split its yearly money?" writes the
same parameters a sweep takes (``--set`` paths with ranges), may give budgets as *shares of
a yearly total* (so every design spends the same kind of money, split differently), names
the outcomes to maximise or minimise and a constraint such as public money per year. The
spec is checked like a sweep spec, before any run: schema, design rules, and that every
path and range end is accepted by the scenario, each problem as ``FILE:LINE: field: message``.
``Space`` turns a spec into optuna's search variables and a design's variables back into
the ``--set`` values a run takes (the spec's one other concept, kept beside it).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from simpolicy.experiments.spec import Parameter, Scalar, SweepSpec, base_scenarios
from simpolicy.outcomes import ALIASES, OUTCOMES
from simpolicy.scenario.base import Strict
from simpolicy.scenario.errors import InputError, Problem
from simpolicy.scenario.schema import Scenario
from simpolicy.scenario.yamlio import line_of, read_yaml, validate

SHARE = "share:"  # prefix of a budget share's search variable (its weight before normalising)
TOTAL = "budget_total_eur"  # the search variable of the yearly total


class Objective(Strict):
    """An outcome to maximise or minimise, averaged over the replications of a design.

    ``versus_counterfactual`` optimises the outcome minus the same run's counterfactual (no
    scheme, same seed), for outcomes that are not already a difference (``followers``).
    """

    goal: Literal["max", "min"]
    versus_counterfactual: bool = False


class Constraint(Strict):
    """A bound on a design's mean outcome (``per_year`` divides it by the horizon in years)."""

    outcome: str
    per_year: bool = False
    max: float | None = None
    min: float | None = None

    @property
    def column(self) -> str:
        return f"{self.outcome}_per_year" if self.per_year else self.outcome


class Budget(Strict):
    """Yearly budgets given as shares of one total: ``path = total x weight / sum(weights)``.

    Each path in ``shares`` gets a weight in [0, 1] that the search varies; ``total_eur``
    is a range (``low``/``high``) or a fixed amount (``levels: [x]``).
    """

    total_eur: Parameter
    shares: list[str] = Field(min_length=2, description="budget field paths (as --set)")


class Search(Strict):
    """NSGA-II's settings and the re-evaluation of the front."""

    population: int = Field(16, ge=4, le=1000, description="designs per generation")
    generations: int = Field(10, ge=1, le=1000)
    final_replications: int = Field(20, ge=2, le=100_000,
                                    description="replications of every front design reported")
    reevaluate: int = Field(20, ge=1, le=1000, description="front designs re-evaluated at most")
    start_in_search: bool = Field(
        True, description="the scheme as written is the first design tried, when the space holds it")


class OptimizeSpec(Strict):
    """A design search (see docs/studies.md, "Design search")."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=80)
    description: str = ""
    scenarios: list[str] = Field(min_length=1, max_length=1,
                                 description="the one starting scheme (a bundled name or a path)")
    on_population: str | None = None
    design: Literal["nsga2"] = "nsga2"
    replications: int = Field(4, ge=1, le=10_000, description="replications per design in the search")
    base_seed: int = Field(0, ge=0, le=2**31)
    fixed: dict[str, Scalar] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    budget: Budget | None = None
    objectives: dict[str, Objective] = Field(min_length=1, max_length=4)
    constraints: list[Constraint] = Field(default_factory=list, max_length=8)
    search: Search = Field(default_factory=Search)

    @field_validator("objectives", mode="before")
    @classmethod
    def _short_goals(cls, v):
        """``additional_adopters: max`` is short for ``{goal: max}``."""
        if isinstance(v, dict):
            return {k: {"goal": x} if isinstance(x, str) else x for k, x in v.items()}
        return v

    def problems(self) -> list[tuple[tuple, str]]:
        """Rules across fields, as (field location, message)."""
        out = []
        known = set(OUTCOMES) | set(ALIASES)
        for name in self.objectives:
            if name not in known:
                out.append((("objectives", name), f"unknown outcome '{name}'"))
        for i, c in enumerate(self.constraints):
            if c.outcome not in known:
                out.append((("constraints", i, "outcome"), f"unknown outcome '{c.outcome}'"))
            if (c.max is None) == (c.min is None):
                out.append((("constraints", i), "give exactly one of max or min"))
        for k, p in self.parameters.items():
            if p.steps is not None:
                out.append((("parameters", k), "steps is for grids; a search samples ranges"))
        if not self.parameters and self.budget is None:
            out.append(((), "give parameters or a budget to search over"))
        if self.budget is not None:
            t = self.budget.total_eur
            lowest = min(t.levels) if t.levels is not None else t.low
            if t.levels is not None and (len(t.levels) != 1 or not isinstance(t.levels[0], int | float)
                                         or isinstance(t.levels[0], bool)):
                out.append((("budget", "total_eur"), "a fixed total is one number: levels: [amount]"))
            elif lowest is None or lowest <= 0:
                out.append((("budget", "total_eur"), "the yearly total must be above 0"))
            if t.integer:
                out.append((("budget", "total_eur"), "a total in EUR is not an integer parameter"))
            for i, path in enumerate(self.budget.shares):
                if path in self.parameters:
                    out.append((("budget", "shares", i), f"{path} is also a parameter; give it once"))
                if self.budget.shares.index(path) != i:
                    out.append((("budget", "shares", i), f"{path} is listed twice"))
        if self.search.final_replications < self.replications:
            out.append((("search", "final_replications"),
                        f"must be at least replications ({self.replications})"))
        return out

    def digest(self) -> str:
        """A hash of what the spec means (comments and layout do not count)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def as_sweep(self) -> SweepSpec:
        """The same design space as a sweep spec, so the sweep's path checks apply unchanged.

        Budget shares become ranges from 0 to the largest total, the values a design can set.
        """
        params = dict(self.parameters)
        if self.budget is not None:
            t = self.budget.total_eur
            top = float(max(t.levels)) if t.levels is not None else float(t.high)
            for path in self.budget.shares:
                params[path] = Parameter(low=0.0, high=max(top, 1.0))
        return SweepSpec(name=self.name, scenarios=list(self.scenarios), on_population=self.on_population,
                         design="lhs", samples=1, replications=1, base_seed=self.base_seed,
                         fixed=dict(self.fixed), parameters=params)


@dataclass
class Space:
    """The search variables (optuna distributions) and the ``--set`` values they make."""

    spec: OptimizeSpec

    def distributions(self) -> dict:
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        out = {}
        for path, p in self.spec.parameters.items():
            if p.levels is not None:
                out[path] = CategoricalDistribution(list(p.levels))
            elif p.integer:
                out[path] = IntDistribution(int(p.low), int(p.high), log=p.scale == "log")
            else:
                out[path] = FloatDistribution(p.low, p.high, log=p.scale == "log")
        b = self.spec.budget
        if b is not None:
            t = b.total_eur
            if t.levels is None:
                out[TOTAL] = FloatDistribution(t.low, t.high, log=t.scale == "log")
            for path in b.shares:
                out[SHARE + path] = FloatDistribution(0.0, 1.0)
        return out

    @property
    def columns(self) -> list[str]:
        """The ``--set`` paths a design sets: parameters, then the budgets of the split."""
        return [*self.spec.parameters, *(self.spec.budget.shares if self.spec.budget else [])]

    def sets(self, params: dict) -> tuple:
        """A design's overrides; budgets are the total split by the normalised weights (whole EUR)."""
        out = [(path, params[path]) for path in self.spec.parameters]
        b = self.spec.budget
        if b is not None:
            total = float(params[TOTAL]) if TOTAL in params else float(b.total_eur.levels[0])
            w = [float(params[SHARE + p]) for p in b.shares]
            s = sum(w)
            w = [x / s for x in w] if s > 0 else [1 / len(w)] * len(w)
            out += [(p, float(round(total * x))) for p, x in zip(b.shares, w, strict=True)]
        return tuple(out)

    def start_params(self, scenario: Scenario) -> dict | None:
        """The search variables of the scheme as written, or None when the space cannot hold it."""
        out: dict = {}
        for path, p in self.spec.parameters.items():
            v = value_at(scenario, path)
            inside = (v in p.levels) if p.levels is not None else (
                isinstance(v, int | float) and not isinstance(v, bool) and p.low <= v <= p.high)
            if not inside:
                return None
            out[path] = v
        b = self.spec.budget
        if b is not None:
            amounts = [value_at(scenario, p) for p in b.shares]
            if any(not isinstance(a, int | float) or a < 0 for a in amounts):
                return None
            total = float(sum(amounts))
            t = b.total_eur
            fixed = t.levels[0] if t.levels is not None else None
            if total <= 0 or (fixed is not None and not math.isclose(total, fixed)) or (
                    fixed is None and not t.low <= total <= t.high):
                return None
            if fixed is None:
                out[TOTAL] = total
            out.update({SHARE + p: a / total for p, a in zip(b.shares, amounts, strict=True)})
        return out

    def describe(self, values: dict) -> dict:
        """The budget split of a design as a total and shares (for the designs table)."""
        b = self.spec.budget
        if b is None:
            return {}
        amounts = [float(values.get(p, math.nan)) for p in b.shares]
        total = sum(amounts)
        return {TOTAL: total, **{SHARE + p: (a / total if total > 0 else math.nan)
                                 for p, a in zip(b.shares, amounts, strict=True)}}


def value_at(scenario: Scenario, path: str):
    """The value a ``--set`` path has in a scenario (instruments by id), or None."""
    node = scenario.model_dump(mode="json")
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list):
            node = next((x for x in node if isinstance(x, dict) and x.get("id") == part), None)
        else:
            return None
    return node


def load_optimize_spec(path: str | Path) -> tuple[OptimizeSpec, str, Scenario]:
    """Reads and checks a spec; returns it with its scenario's label and the scenario
    (``fixed`` applied). Raises InputError with every located problem."""
    name = str(path)
    data, lines = read_yaml(path)
    spec = validate(OptimizeSpec, data, name, lines)
    problems = [Problem(name, line_of(lines, loc), ".".join(map(str, loc)), msg)
                for loc, msg in spec.problems()]
    scenarios: dict[str, Scenario] = {}
    try:
        scenarios = base_scenarios(spec.as_sweep(), name, lines)
    except InputError as e:
        problems += [_relocate_share(p, spec, lines) for p in e.problems]
    if problems:
        raise InputError(problems)
    label, scenario = next(iter(scenarios.items()))
    return spec, label, scenario


def is_optimize_spec(data) -> bool:
    """An optimisation spec is a mapping with ``objectives`` (a sweep or scenario has none)."""
    return isinstance(data, dict) and "objectives" in data and "population" not in data


def _relocate_share(p: Problem, spec: OptimizeSpec, lines: dict) -> Problem:
    """A problem the sweep check found at a budget share is shown at ``budget.shares.<i>``."""
    if spec.budget is None:
        return p
    for i, path in enumerate(spec.budget.shares):
        if p.path == f"parameters.{path}":
            return Problem(p.file, line_of(lines, ("budget", "shares", i)), f"budget.shares.{i}",
                           p.message.replace("value 0.0 in ", "").replace(
                               f"value {max(1.0, _top(spec))!r} in ", ""))
    return p


def _top(spec: OptimizeSpec) -> float:
    t = spec.budget.total_eur
    return float(max(t.levels)) if t.levels is not None else float(t.high)
