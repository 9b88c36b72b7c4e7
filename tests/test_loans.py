"""Loans (issue 17 item 2, ODD 7.14): Spain's FID Line is a loan the buyer repays.

What a policy maker must be able to trust: the money records still balance every actor to
the cent once buyers repay; a loan moves fewer buyers than a grant of the same size (the
buyer weighs the repayment as a future obligation, more so the more risk-averse it is) and
more than nothing; repayment falls due only on the project's outcome the instrument names;
net public money falls by exactly what was repaid. Each test was shown to fail with its
mechanism removed (docs/ODD.md 7.14).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

from simpolicy import load_scenario, simulate
from simpolicy.core import run_model
from simpolicy.model.loans import annuity, delivered
from simpolicy.model.project import N_DRAWS, Need
from simpolicy.scenario.loader import with_sets
from simpolicy.scenario.schema import Scenario
from tests.test_reliability_money import check_money

LOAN = {"financing": "loan", "interest_rate": 0.04, "repayment_years": 2, "repayment_on_failure": 0.0}


def scheme(pop: str = "finland", years: float = 6, **instrument) -> Scenario:
    """Finland's co-financing (paid up front) alone on a population, with changes."""
    d = load_scenario(pop).model_dump(mode="json", exclude={"behaviour"})
    base = next(i for i in d["scheme"]["instruments"] if i["id"] == "business_finland")
    base = {**base, "payment_lag_months": 0, "start_month": 0, **instrument}
    d["scheme"] = {"name": "one instrument", "instruments": [base]}
    d["horizon_years"] = years
    return with_sets(Scenario.model_validate(d), {})


def replay_budgets(model) -> np.ndarray:
    """Each buyer's budget left at the end, rebuilt from the money records alone: budgets
    renew each January (an overdraft carries over), every payment by a buyer lowers it and
    every payment to a buyer raises it."""
    budget = model.buyers.budget.astype(float)
    left = budget.copy()
    by_month = defaultdict(list)
    for t in model.money.transfers:
        by_month[t.month].append(t)
    for month in range(model.months):
        if month % 12 == 0:
            left = budget + np.minimum(0.0, left)
        for t in by_month[month]:
            if t.payer_kind == "buyer":
                left[t.payer] -= t.amount
            if t.payee_kind == "buyer":
                left[t.payee] += t.amount
    return left


def check_actors(model) -> None:
    """Every instrument, every buyer and the loans' repayments balanced to the cent."""
    check_money(model)
    assert np.abs(replay_budgets(model) - model.buyers.budget_left).max() < 0.005
    back = sum(t.amount for t in model.money.transfers if t.payee_kind == "instrument")
    assert abs(back - (model.finance.repaid if model.finance else 0.0)) < 0.005


@pytest.fixture(scope="module")
def loan_run():
    sc = scheme(**LOAN, repaid_from_budget_share=0.75)
    return sc, run_model(sc, 0)


def test_money_balances_per_actor_with_loans(loan_run):
    _, model = loan_run
    assert model.finance.repaid > 0, "no repayment within the horizon: the test sees nothing"
    check_actors(model)
    lines = {t.line for t in model.money.transfers if t.payee_kind == "instrument"}
    assert lines == {"repayment"}
    payers = {t.payer_kind for t in model.money.transfers if t.line == "repayment"}
    assert payers == {"buyer", "other_funds"}  # 75 % from the budget, the rest from other funds


def test_repayment_only_on_success_and_as_scheduled(loan_run):
    """Each loan project repays (principal x its outcome's share) in yearly annuity
    instalments from a year after it ended, and a failed project nothing (share 0)."""
    sc, model = loan_run
    spec = sc.scheme.instruments[0]
    repaid = defaultdict(float)
    for t in model.money.transfers:
        if t.line == "repayment":
            repaid[t.project] += t.amount
    ended = [p for p in model.projects if p.grants and p.status != "active"]
    ok = [p for p in ended if delivered(p, p.status)]
    failed = [p for p in ended if not delivered(p, p.status)]
    assert ok and failed
    assert all(repaid[p.id] == 0 for p in failed)
    for p in model.projects:
        if not p.grants or p.status == "active":
            assert repaid[p.id] == 0
    due = 0
    for p in ok:
        principal = sum(g.paid for g in p.grants) * spec.repayment_on_success
        instalment = annuity(principal, spec.interest_rate, spec.repayment_years)
        k = round(repaid[p.id] / instalment) if instalment else 0
        assert 0 <= k <= spec.repayment_years
        assert math.isclose(repaid[p.id], k * instalment, rel_tol=1e-9, abs_tol=0.005)
        due += k
    assert due > 0


def test_net_public_money_falls_by_repayments(loan_run):
    sc, model = loan_run
    s = simulate(sc, 0).summary
    assert s["loan_repaid_eur"] > 0
    assert s["public_money_eur"] == pytest.approx(
        s["programme_spend_eur"] + s["services_cost_eur"] - s["loan_repaid_eur"], abs=0.01)
    row = simulate(sc, 0).timeseries.iloc[-1]
    assert row["public_money_eur"] == pytest.approx(s["public_money_eur"], abs=0.01)
    grant = simulate(scheme(), 0).summary
    assert grant["loan_repaid_eur"] == 0
    assert grant["public_money_eur"] == grant["programme_spend_eur"] + grant["services_cost_eur"]


def _moved(sc: Scenario, seeds=range(3)) -> int:
    """Needs that started a project with the scheme and not without it (common random numbers)."""
    n = 0
    for s in seeds:
        run, cf = run_model(sc, s), run_model(sc.without_scheme(), s)
        n += len(run.ledger.started_needs - cf.ledger.started_needs)
    return n


def test_a_loan_moves_fewer_buyers_than_a_grant_and_more_than_nothing():
    """The same money as a loan moves fewer projects than as a grant, because the buyer
    weighs what it will repay; a loan forgiven in every case is a grant."""
    money = {"annual_budget_eur": 10_000_000, "repayment_years": 5}
    grant = _moved(scheme(annual_budget_eur=10_000_000))
    loan = _moved(scheme(financing="loan", **money))
    forgiven = _moved(scheme(financing="loan", repayment_on_success=0.0, **money))
    assert 0 < loan < grant, (loan, grant)
    assert forgiven == grant


COSTS = {"preparation": 40_000.0, "tender": 20_000.0, "development": 500_000.0,
         "purchase": 100_000.0, "implementation": 50_000.0}


def _need(model, row: int) -> Need:
    u = np.full(N_DRAWS, 0.5)
    return Need(1, row, 0, 0, 0, value=2_000_000.0, dev_cost=500_000.0, complexity=0.3,
                market_exists=False, u=u)


def test_a_risk_averse_buyer_values_a_loan_less():
    """The loan's worth to a buyer is the grant's less its expected repayment weighed like
    own money at risk: the gap grows with risk aversion, and is zero with nothing to repay."""
    sc = scheme(financing="loan", years=1)
    gaps = []
    for aversion in (0.0, 1.3, 4.0):
        model = run_model(with_sets(sc, {"behaviour.risk_aversion": aversion}), 0)
        row = int(np.argmax(model.buyers.budget))
        need, spec = _need(model, row), sc.scheme.instruments[0]
        buyer = model.buyer_agents[row]
        late, owed = model.finance.weigh(need, [(spec, 300_000.0)], 2.0, COSTS)
        assert late == 0 and 0 < owed < 300_000.0
        loan = buyer.utility(need, 700_000.0 + owed, 2.0)
        grant = buyer.utility(need, 700_000.0, 2.0)
        gaps.append(grant - loan)
        assert gaps[-1] == pytest.approx(owed * model.risk_weights[row], rel=1e-9)
    assert gaps[0] < gaps[1] < gaps[2]
    free = scheme(financing="loan", repayment_on_success=0.0, years=1).scheme.instruments[0]
    model = run_model(scheme(financing="loan", repayment_on_success=0.0, years=1), 0)
    assert model.finance.weigh(_need(model, 0), [(free, 300_000.0)], 2.0, COSTS) == (0.0, 0.0)


def test_spain_fid_line_is_a_loan_repaid_from_eu_funds():
    """Spain's FID Line (brief §4.8): a loan repaid after the project from EU regional funds,
    so the buyers' budgets carry nothing of it and the national money is returned."""
    sc = with_sets(load_scenario("spain"), {"horizon_years": 5})
    fid = next(i for i in sc.scheme.instruments if i.id == "fid_line")
    assert fid.financing == "loan" and fid.repaid_from_budget_share == 0
    model = run_model(sc, 0)
    assert np.abs(replay_budgets(model) - model.buyers.budget_left).max() < 0.005
    rep = [t for t in model.money.transfers if t.line == "repayment"]
    assert rep and {t.payer_kind for t in rep} == {"other_funds"}
