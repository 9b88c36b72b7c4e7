"""Sensitivity: SALib indices rank a known function right, and NaN outcomes are dropped and reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_sweep_support import write_spec

from simpolicy.cli.main import main
from simpolicy.experiments import design
from simpolicy.experiments.sensitivity import analyse, top_parameters
from simpolicy.experiments.spec import SweepSpec
from simpolicy.results import load


def _spec(kind: str, n: int) -> SweepSpec:
    params = {"strong": {"low": 0, "high": 1}, "weak": {"low": 0, "high": 1}, "none": {"levels": [1, 2, 3]}}
    return SweepSpec(name="t", scenarios=["x"], design=kind, samples=n, parameters=params)


def _model(unit: np.ndarray) -> np.ndarray:
    return 10 * unit[:, 0] + unit[:, 1] ** 2


def test_sobol_ranks_the_strong_parameter_first_and_drops_nan_blocks():
    spec = _spec("sobol", 64)
    t = design.build(spec)
    y = _model(t.unit)
    rows, note = analyse(spec, t.unit, y, "x", "y")
    st = {r["parameter"]: r["value"] for r in rows if r["index"] == "ST"}
    assert st["strong"] > 0.8 > st["weak"] and abs(st["none"]) < 0.05
    assert note == "" and rows[0]["n_dropped"] == 0
    y[[3, 40]] = np.nan  # two points in two different blocks of D + 2 = 5
    rows, note = analyse(spec, t.unit, y, "x", "y")
    assert rows[0]["n_dropped"] == 2 and rows[0]["n_used"] == 62
    assert "2 of 64 base samples dropped" in note
    assert all(np.isfinite(r["value"]) for r in rows)


def test_morris_ranks_and_reports_constant_outcomes():
    spec = _spec("morris", 10)
    t = design.build(spec)
    rows, _ = analyse(spec, t.unit, _model(t.unit), "x", "y")
    mu = {r["parameter"]: r["value"] for r in rows if r["index"] == "mu_star"}
    assert mu["strong"] > mu["weak"] > mu["none"] - 1e-9
    rows, note = analyse(spec, t.unit, np.ones(len(t)), "x", "y")
    assert "constant" in note and all(np.isnan(r["value"]) for r in rows)
    rows, note = analyse(spec, t.unit, np.full(len(t), np.nan), "x", "y")
    assert "too few complete trajectories" in note


def test_sobol_study_end_to_end(tmp_path, capsys):
    text = """\
name: sob
scenarios: [lithuania]
design: sobol
samples: 4
base_seed: 1
fixed: {horizon_years: 0.5}
parameters:
  scheme.instruments.pcp_lt.rate: {low: 0.3, high: 0.9}
  behaviour.risk_aversion: {low: 0.5, high: 3}
outcomes: [projects_funded, adopters, abort_share]
timeseries: [adopters]
"""
    spec = write_spec(tmp_path, "sob", text=text)
    out = tmp_path / "study"
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "most influential parameters per outcome (sobol, by ST" in printed
    data = load(out)
    sens = data["sensitivity"]
    assert set(sens["outcome"]) == {"projects_funded", "adopters", "abort_share"}
    assert set(sens["index"]) == {"S1", "ST"} and (sens["method"] == "sobol").all()
    assert {"value", "conf", "n_used", "n_dropped", "note"} <= set(sens.columns)
    assert len(data["runs"]) == 4 * (2 + 2)
    design_table = pd.read_parquet(out / "design.parquet")
    assert {"point", "scheme.instruments.pcp_lt.rate", "unit:behaviour.risk_aversion"} <= set(design_table)
    assert len(top_parameters(sens, 1)) <= 3
