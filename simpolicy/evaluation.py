"""``evaluate(**params)``: the model as a plain function of flat keyword parameters.

Parameter names are ``--set`` paths with dots replaced by ``__`` (for example
``scheme__instruments__pio_development__rate=0.4`` or ``behaviour__risk_aversion=2``), so
EMA Workbench, SALib or an optimiser can drive the model without adapters.
"""

from __future__ import annotations

from simpolicy.core import simulate
from simpolicy.scenario.loader import load_scenario, with_sets


def evaluate(scenario: str = "denmark_copi_proposal", seed: int = 0, **params) -> dict[str, float]:
    """Runs one replication with the given overrides and returns the summary outcomes."""
    base = load_scenario(scenario)
    sets = {k.replace("__", "."): v for k, v in params.items()}
    return simulate(with_sets(base, sets), seed).summary
