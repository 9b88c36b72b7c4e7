"""The core, with the one pure entry point: ``simulate(scenario, seed) -> RunResult``.

Every feature (CLI, sweeps on local processes or Dask, dashboard, report, calibration,
benchmarks) calls this; nothing else steps the model. It runs the scenario and its
counterfactual (same population and seed, no scheme) so that deadweight and additionality
come from common random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from simpolicy.model.model import PolicyModel
from simpolicy.outcomes import summarise
from simpolicy.scenario.loader import ensure_behaviour
from simpolicy.scenario.schema import Scenario


@dataclass
class RunResult:
    """Outcomes of one run: a summary, a monthly time series and what produced them."""

    summary: dict[str, float]
    timeseries: pd.DataFrame
    meta: dict = field(default_factory=dict)
    counterfactual: dict[str, float] = field(default_factory=dict)


def run_model(scenario: Scenario, seed: int) -> PolicyModel:
    """Builds and steps one model over the scenario's horizon."""
    model = PolicyModel(scenario, seed)
    for _ in range(scenario.months):
        model.step()
    return model


def simulate(scenario: Scenario, seed: int = 0) -> RunResult:
    """Runs a scenario and its counterfactual with the same seed; pure and deterministic."""
    scenario = ensure_behaviour(scenario)
    seed = int(seed)
    model = run_model(scenario, seed)
    if scenario.scheme.offers_anything:
        cf = run_model(scenario.without_scheme(), seed)
    else:
        cf = model  # nothing offered: the run is its own counterfactual
    summary = summarise(model, cf)
    cf_summary = summarise(cf, cf) if cf is not model else dict(summary)
    ts = pd.DataFrame(model.ledger.rows)
    ts["adopters_counterfactual"] = [r["adopters"] for r in cf.ledger.rows]
    meta = {
        "scenario": scenario.name,
        "seed": seed,
        "steps": scenario.months,
        "n_buyers": model.buyers.n,
        "n_suppliers": model.suppliers.n,
    }
    return RunResult(summary, ts, meta, cf_summary)
