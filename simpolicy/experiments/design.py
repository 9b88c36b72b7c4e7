"""Designs: which parameter values a study runs (grid, LHS, Sobol, Morris).

Samplers work in the unit cube (every parameter in [0, 1]) and a parameter's kind maps a
unit value to a model value (uniform, log-uniform, integer, choice). Keeping the unit
matrix lets SALib analyse Sobol and Morris designs whatever the parameter kinds. Every
sampler is seeded from the spec, so a design is the same on every machine and on resume.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from simpolicy.experiments.spec import Parameter, Scalar, SweepSpec

SAMPLER_SEED = 20_240_601  # SALib treats seed 0 as "unseeded", so offset the base seed


@dataclass(frozen=True)
class DesignTable:
    """Design points of one scenario: model values per point plus the unit matrix.

    Attributes:
        names: parameter paths in spec order.
        values: one tuple of model values per point, in ``names`` order.
        unit: the sampler's matrix in [0, 1] (``None`` for grids), for SALib's analysis.
    """

    names: tuple[str, ...]
    values: tuple[tuple[Scalar, ...], ...]
    unit: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)

    def sets(self, point: int) -> tuple[tuple[str, Scalar], ...]:
        """The ``--set`` overrides of one point, as (path, value) pairs."""
        return tuple(zip(self.names, self.values[point], strict=True))


def problem(spec: SweepSpec) -> dict:
    """The SALib problem: every parameter in the unit interval."""
    names = list(spec.parameters)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def to_value(param: Parameter, u: float) -> Scalar:
    """Maps a unit value to the parameter's model value."""
    u = min(max(float(u), 0.0), 1.0)
    if param.levels is not None:
        return param.levels[min(int(u * len(param.levels)), len(param.levels) - 1)]
    lo, hi = param.low, param.high
    if param.integer:
        return int(min(math.floor(lo + u * (hi - lo + 1)), hi))
    if param.scale == "log":
        x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    else:
        x = lo + u * (hi - lo)
    return float(min(max(x, lo), hi))  # rounding must never step outside the range


def grid_values(param: Parameter) -> list[Scalar]:
    """A grid's values for one parameter: its levels, or ``steps`` values over its range."""
    if param.levels is not None:
        return list(param.levels)
    if param.scale == "log":
        xs = np.geomspace(param.low, param.high, param.steps)
    else:
        xs = np.linspace(param.low, param.high, param.steps)
    if param.integer:
        return sorted({int(round(x)) for x in xs})
    return [float(x) for x in xs]


def build(spec: SweepSpec) -> DesignTable:
    """The design points of a spec (the same for every scenario of the study)."""
    names = tuple(spec.parameters)
    params = list(spec.parameters.values())
    if spec.design == "grid":
        combos = itertools.product(*(grid_values(p) for p in params))
        return DesignTable(names, tuple(tuple(c) for c in combos))
    unit = sample_unit(spec)
    values = tuple(tuple(to_value(p, u) for p, u in zip(params, row, strict=True)) for row in unit)
    return DesignTable(names, values, unit)


def sample_unit(spec: SweepSpec) -> np.ndarray:
    """SALib's sample in the unit cube for lhs, sobol (first and total order) or morris."""
    from SALib.sample import latin, morris, sobol

    prob, seed = problem(spec), SAMPLER_SEED + spec.base_seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.design == "lhs":
            return latin.sample(prob, spec.samples, seed=seed)
        if spec.design == "sobol":
            return sobol.sample(prob, spec.samples, calc_second_order=False, scramble=True, seed=seed)
        if spec.design == "morris":
            return morris.sample(prob, spec.samples, num_levels=spec.morris_levels, seed=seed)
    raise ValueError(f"no sampler for design {spec.design}")


def group_size(spec: SweepSpec) -> int:
    """Consecutive points that SALib analyses together: a Sobol block or a Morris trajectory."""
    d = len(spec.parameters)
    return {"sobol": d + 2, "morris": d + 1}.get(spec.design, 1)
