"""The core, with the one pure entry point: ``simulate(scenario, seed) -> RunResult``.

Every feature (CLI, sweeps on local processes or Dask, dashboard, report, calibration,
benchmarks) calls this; nothing else steps the model. It runs the scenario and its
counterfactual (same population and seed, no scheme) so that deadweight and additionality
come from common random numbers.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from simpolicy.memo import Memo
from simpolicy.model.model import PolicyModel
from simpolicy.outcomes import Baseline, summarise
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
    with _no_cyclic_gc(survives=True):
        model = PolicyModel(scenario, seed)
        for _ in range(scenario.months):
            model.step()
    return model


@contextmanager
def _no_cyclic_gc(survives: bool = False):
    """Pauses Python's cyclic garbage collector while a model runs.

    A run allocates tens of thousands of objects that live until it ends (agents, needs,
    projects, grants), so the collector kept promoting them and then walked the whole heap
    in full collections: a fifth of a run's time in a process that holds other data (a
    dashboard worker, a study, a benchmark). Nothing a run makes is garbage before it ends,
    so pausing costs no memory (measured: the same peak). Reference counting is not paused.
    ``simulate`` keeps the collector paused until it has closed its models
    (``PolicyModel.close``), so their objects are freed by reference counting and the
    collector never walks them at all.

    ``survives``: what the block made outlives it (``run_model`` returns its model). All of
    it sits in the youngest generation, whose count the run pushed far past its threshold,
    so the first allocation after ``gc.enable`` would walk every object of the run only to
    find it alive (a tenth of a run's time). Freezing and unfreezing instead hands it to the
    oldest generation without a walk, where objects that live long belong. Skipped when the
    process froze objects itself (the dashboard server), which unfreezing would undo.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if survives and gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


@dataclass(frozen=True)
class Counterfactual:
    """The outcomes of the run without the scheme, and what the scheme's outcomes need."""

    baseline: Baseline
    summary: dict[str, float]
    series: dict[str, tuple]  # monthly counts without the scheme (``COUNTERFACTUAL_SERIES``)


# the monthly counts whose no-scheme line the views draw beside the scheme's (adoption,
# scaling and spread), as ``<name>_counterfactual`` columns of ``RunResult.timeseries``
COUNTERFACTUAL_SERIES = ("adopters", "adoptions", "followers", "projects_started")


_COUNTERFACTUALS: Memo[Counterfactual] = Memo(256)  # (counterfactual key, seed) -> outcomes


def counterfactual_key(scenario: Scenario) -> str:
    """What a counterfactual depends on: the scenario without its scheme, names left out.

    Schemes on one population (with one behaviour and horizon) share it; executors use it
    to send the runs that share a counterfactual to the process that has it memoised.
    """
    return scenario.without_scheme().model_dump_json(exclude={"name", "description", "source"})


def counterfactual(scenario: Scenario, seed: int) -> Counterfactual:
    """The run without the scheme, memoised: schemes edited on one population share it.

    The counterfactual depends only on the population, behaviour and horizon, so a what-if
    that edits the scheme (or a sweep over scheme parameters) need not rerun it. The result
    is the same as running it again (runs are deterministic); only time is saved.
    """
    return _COUNTERFACTUALS.get((counterfactual_key(scenario), seed),
                                lambda: _closed(run_model(scenario.without_scheme(), seed), _record))


def _record(model: PolicyModel) -> Counterfactual:
    base = Baseline.of(model)
    rows = model.ledger.rows
    return Counterfactual(base, summarise(model, base),
                          {k: tuple(r[k] for r in rows) for k in COUNTERFACTUAL_SERIES})


def _closed(model: PolicyModel, read):
    """What `read` takes from the model, with the model closed afterwards (see ``close``)."""
    with _no_cyclic_gc():
        try:
            return read(model)
        finally:
            model.close()


def simulate(scenario: Scenario, seed: int = 0) -> RunResult:
    """Runs a scenario and its counterfactual with the same seed; pure and deterministic."""
    scenario = ensure_behaviour(scenario)
    seed = int(seed)
    with _no_cyclic_gc():
        return _closed(run_model(scenario, seed), lambda model: _result(scenario, seed, model))


def _result(scenario: Scenario, seed: int, model: PolicyModel) -> RunResult:
    """The scheme's outcomes against its counterfactual, read from the finished model."""
    # nothing offered: the run is its own counterfactual
    cf = counterfactual(scenario, seed) if scenario.scheme.offers_anything else _record(model)
    summary = summarise(model, cf.baseline)
    ts = pd.DataFrame(model.ledger.rows)
    for k, values in cf.series.items():
        ts[f"{k}_counterfactual"] = list(values)
    meta = {
        "scenario": scenario.name,
        "seed": seed,
        "steps": scenario.months,
        "n_buyers": model.buyers.n,
        "n_suppliers": model.suppliers.n,
    }
    return RunResult(summary, ts, meta, dict(cf.summary))
