"""The no-scheme lines the views draw come from the counterfactual run itself.

``RunResult.timeseries`` carries ``<name>_counterfactual`` for adoption, scaling and spread;
each must equal the same column of the scheme-free run with the same seed (common random
numbers), and a scheme that offers nothing must be its own counterfactual. The buyers' own
money is the money records' payments by buyers.
"""

from __future__ import annotations

import pytest

from simpolicy import load_scenario, simulate
from simpolicy.core import COUNTERFACTUAL_SERIES, run_model
from simpolicy.scenario.loader import with_sets


@pytest.mark.parametrize("name", ["denmark_copi_proposal", "flanders"])
def test_counterfactual_columns_are_the_scheme_free_run(name):
    sc = with_sets(load_scenario(name), {"horizon_years": 4})
    ts = simulate(sc, 3).timeseries
    cf = simulate(sc.without_scheme(), 3).timeseries
    for k in COUNTERFACTUAL_SERIES:
        assert ts[f"{k}_counterfactual"].tolist() == cf[k].tolist(), k
        assert cf[f"{k}_counterfactual"].tolist() == cf[k].tolist(), k  # its own counterfactual
    assert (ts["followers"] != ts["followers_counterfactual"]).any()  # the scheme moves spread


def test_buyers_own_money_is_what_buyers_paid():
    sc = with_sets(load_scenario("flanders"), {"horizon_years": 3})
    model = run_model(sc, 1)
    paid = sum(t.amount for t in model.money.transfers if t.payer_kind == "buyer")
    assert paid > 0
    assert simulate(sc, 1).summary["buyers_own_money_eur"] == pytest.approx(paid, rel=1e-12)
