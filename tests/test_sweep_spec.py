"""Sweep specs: bundled specs validate, bad ones give located one-line errors, designs are right."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_sweep_support import SMALL

from simpolicy.cli.main import main
from simpolicy.experiments import design
from simpolicy.experiments.spec import Parameter, SweepSpec, load_spec

BUNDLED = sorted((Path(__file__).resolve().parents[1] / "scenarios" / "sweeps").glob("*.yaml"))

GOOD_HEAD = "name: bad\nscenarios: [lithuania]\n"
BAD = {
    "typo": (GOOD_HEAD + "design: grid\nreplicatons: 3\n", 4,
             "replicatons: unknown field; did you mean 'replications'?"),
    "path": (GOOD_HEAD + "design: grid\nparameters:\n  scheme.instruments.nope.rate: {levels: [0.5]}\n",
             5, "parameters.scheme.instruments.nope.rate: "),
    "behaviour_path": (GOOD_HEAD + "design: grid\nparameters:\n  behaviour.risk_aversoin: {levels: [1]}\n",
                  5, "did you mean 'risk_aversion'"),
    "range": (GOOD_HEAD + "design: lhs\nsamples: 4\nparameters:\n"
              "  scheme.instruments.pcp_lt.rate: {low: 0.5, high: 1.5}\n",
              6, "parameters.scheme.instruments.pcp_lt.rate: "),
    "sobol": (GOOD_HEAD + "design: sobol\nsamples: 10\nparameters:\n  horizon_years: {low: 1, high: 2}\n",
              4, "samples: sobol samples must be a power of 2"),
    "scenario": ("name: bad\nscenarios: [lithuania, atlantis]\ndesign: grid\n", 2,
                 "scenarios.1: no such scenario"),
    "grid_range": (GOOD_HEAD + "design: grid\nparameters:\n  horizon_years: {low: 1, high: 2}\n",
                   5, "a grid needs levels"),
    "low_high": (GOOD_HEAD + "design: lhs\nsamples: 3\nparameters:\n  horizon_years: {low: 3, high: 2}\n",
                 6, "low (3) must be below high (2)"),
    "yaml": ("name: [unclosed\n  design: : :\n", None, "invalid YAML"),
}


@pytest.mark.parametrize("spec", BUNDLED, ids=lambda p: p.stem)
def test_bundled_specs_validate(spec):
    s = load_spec(spec)
    assert s.total_runs > 0


def test_bundled_specs_cover_the_issue():
    names = {p.stem for p in BUNDLED}
    assert {"copi_design", "schemes_on_denmark", "behaviour_sobol"} <= names
    assert load_spec(BUNDLED[[p.stem for p in BUNDLED].index("schemes_on_denmark")]).on_population


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["validate", "sweep"])
def test_bad_spec_is_a_located_error(tmp_path, capsys, case, command):
    text, line, message = BAD[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    assert main([command, str(f)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    prefix = f"{f}:{line}: " if line else f"{f}:"
    assert any(x.startswith(prefix) and message in x for x in err.splitlines()), err


def test_digest_ignores_layout_and_comments(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(SMALL.format(name="x", reps=2, years=1))
    b.write_text("# a comment\n" + SMALL.format(name="x", reps=2, years=1).replace("[levels: ", "[levels:  "))
    assert load_spec(a).digest() == load_spec(b).digest()
    b.write_text(SMALL.format(name="x", reps=3, years=1))
    assert load_spec(a).digest() != load_spec(b).digest()


def _spec(kind: str, n: int | None, **params) -> SweepSpec:
    return SweepSpec(name="t", scenarios=["x"], design=kind, samples=n, parameters=params)


@pytest.mark.parametrize("kind,n,expected", [("lhs", 7, 7), ("sobol", 8, 8 * 5), ("morris", 5, 5 * 4)])
def test_sampled_design_sizes(kind, n, expected):
    s = _spec(kind, n, a={"low": 0, "high": 1}, b={"low": 1, "high": 100, "scale": "log"},
              c={"levels": ["x", "y", "z"]})
    t = design.build(s)
    assert len(t) == expected == s.points_per_scenario
    assert t.unit.shape == (expected, 3)
    assert design.build(s).values == t.values  # seeded: the same design on every machine


def test_grid_is_the_product_of_levels():
    s = _spec("grid", None, a={"levels": [1, 2, 3]}, b={"low": 1, "high": 100, "scale": "log", "steps": 3})
    t = design.build(s)
    assert len(t) == 9 == s.points_per_scenario
    assert [v[1] for v in t.values[:3]] == pytest.approx([1, 10, 100])


@given(u=st.floats(0, 1), lo=st.floats(1e-3, 1e3), width=st.floats(1e-3, 1e3),
       kind=st.sampled_from(["uniform", "log", "integer"]))
def test_values_stay_in_range(u, lo, width, kind):
    if kind == "integer":
        p = Parameter(low=math.floor(lo), high=math.floor(lo) + math.ceil(width), integer=True)
    else:
        p = Parameter(low=lo, high=lo + width, scale="log" if kind == "log" else "linear")
    v = design.to_value(p, u)
    assert p.low <= v <= p.high
    if kind == "integer":
        assert isinstance(v, int)


@given(u=st.floats(0, 1), levels=st.lists(st.integers() | st.text(max_size=3), min_size=1, max_size=5))
def test_choice_picks_a_level(u, levels):
    assert design.to_value(Parameter(levels=levels), u) in levels
