"""Money paid after the fact (issue 17 item 6, ODD 7.14): Finland co-finances against
realised costs, so the buyer pre-finances each phase and the grant arrives months later.

The records must show both payments and still balance every actor to the cent; the buyer's
decision and the budget check at a phase's start must count the pre-financed amount; and
that is what binds small budgets: buyers that a grant paid up front would keep drop out,
small ones far more than large ones. Each test was shown to fail with its mechanism removed.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from simpolicy import load_scenario
from simpolicy.core import run_model
from tests.test_loans import _need, check_actors, scheme

LAG = 6


@pytest.fixture(scope="module")
def late_run():
    sc = scheme(payment_lag_months=LAG, years=4)
    return sc, run_model(sc, 0)


def test_money_balances_per_actor_paid_after_the_fact(late_run):
    _, model = late_run
    check_actors(model)
    back = [t for t in model.money.transfers if t.payer_kind == "instrument"]
    assert back and all(t.payee_kind == "buyer" for t in back)  # never to suppliers directly
    assert model.money.reimbursed == pytest.approx(sum(t.amount for t in back), abs=0.005)


def test_the_buyer_pays_first_and_the_grant_arrives_after_the_lag(late_run):
    """Every line the grant pays reaches the buyer exactly LAG months after the buyer paid
    the whole line (its own share and the grant's) to the suppliers."""
    _, model = late_run
    paid = defaultdict(float)  # (project, line, month) -> what the buyer paid
    for t in model.money.transfers:
        if t.payer_kind == "buyer":
            paid[(t.project, t.line, t.month)] += t.amount
    cost = {p.id: p.costs for p in model.projects}
    for t in model.money.transfers:
        if t.payer_kind != "instrument":
            continue
        advanced = paid[(t.project, t.line, t.month - LAG)]
        assert advanced >= t.amount - 1e-6, (t, advanced)
        bg = [b for b in model.money.transfers if b.payer_kind == "background" and b.project == t.project
              and b.line == t.line]
        whole = cost[t.project].get(t.line, 0.0) + (cost[t.project].get("office", 0.0)
                                                    if t.line == "preparation" else 0.0)
        assert advanced + sum(b.amount for b in bg) == pytest.approx(whole, rel=1e-9)


def _funded_by_size(lag: int, seeds=range(5)) -> tuple[int, int]:
    small = large = 0
    for s in seeds:
        m = run_model(scheme(payment_lag_months=lag, years=5), s)
        for p in m.projects:
            if p.funded:
                if m.buyers.small[p.need.buyer]:
                    small += 1
                else:
                    large += 1
    return small, large


def test_pre_financing_makes_small_buyers_drop_out():
    """The same grant paid after the fact funds fewer projects of small buyers, and loses a
    larger share of them than of large buyers: a small budget cannot hold a whole phase."""
    small0, large0 = _funded_by_size(0)
    small6, large6 = _funded_by_size(LAG)
    assert small6 < small0 and large6 <= large0, (small0, small6, large0, large6)
    assert small6 / small0 < large6 / large0, (small0, small6, large0, large6)


def test_the_decision_counts_the_pre_financed_amount():
    """A buyer whose budget holds a year's own share but not the whole cost takes a grant
    paid up front and declines the same grant paid after the fact; a large buyer takes both.
    (A development of EUR 710,000 over 1.1 years, half of it granted.)"""
    up = scheme(years=1)
    late = scheme(payment_lag_months=LAG, years=1)
    model = run_model(late, 0)
    spec_up, spec_late = up.scheme.instruments[0], late.scheme.instruments[0]
    costs = {"preparation": 40_000.0, "tender": 20_000.0, "development": 500_000.0,
             "purchase": 100_000.0, "implementation": 50_000.0}
    public = 0.5 * sum(costs.values())
    budgets = model.buyers.budget
    verdicts = {}
    for label, row in (("modest", int(np.argmin(np.abs(budgets - 400_000)))),
                       ("large", int(np.argmax(budgets)))):
        assert label == "large" or 330_000 < budgets[row] < 640_000
        need = _need(model, row)
        need.value = 10 * sum(costs.values())  # clearly worth it: only money can stop it
        model.buyers.budget_left[row] = budgets[row]
        verdicts[label] = (model._worth_it(need, costs, public, [(spec_up, public)]),
                           model._worth_it(need, costs, public, [(spec_late, public)]))
    assert verdicts == {"modest": (True, False), "large": (True, True)}, verdicts


def test_finland_pays_after_the_fact():
    """Business Finland's grants are paid afterwards against reports (brief §4.4)."""
    bf = next(i for i in load_scenario("finland").scheme.instruments if i.id == "business_finland")
    assert bf.payment_lag_months > 0 and bf.financing == "grant"
