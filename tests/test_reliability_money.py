"""Money and outcomes over many seeds: every bundled scenario, every seed, every month.

Properties a policy maker must be able to trust whatever the luck of a run:

- programme spending never exceeds the budget, at the end and at any month on the way
  (paid <= committed <= the ceiling of the budget years so far; an annual pot is never
  over-committed), and what instruments paid equals what their grants received;
- every grant respects its instrument's cap, minimum and co-funding rate, and no phase of a
  project gets more public money than it costs (grants that may be combined, e.g. a
  buyer-side PCP and a supplier-side grant, must not add up to over 100 %);
- an outcome is NaN exactly when it is a share or a mean whose denominator is zero
  (simpolicy/outcomes.py: NaN means "not defined for this run"), and is never infinite.

CI runs 10 seeds at a 2-year horizon; ``SIMPOLICY_NIGHTLY=1`` runs 40 seeds at 5 years.
"""

from __future__ import annotations

import math
import os

import pytest

from simpolicy import simulate
from simpolicy.core import run_model
from simpolicy.outcomes import STUCK_AGE_MONTHS, Baseline, summarise
from simpolicy.scenario.loader import bundled_names, load_scenario, with_sets

NIGHTLY = os.environ.get("SIMPOLICY_NIGHTLY") == "1"
SEEDS = range(40) if NIGHTLY else range(10)
YEARS = 5 if NIGHTLY else 2
EPS = 1e-6  # euros: rounding of sums of floats


def run(name: str, seed: int):
    """The scenario run and its counterfactual, exactly as simulate() makes them."""
    sc = with_sets(load_scenario(name), {"horizon_years": YEARS})
    model = run_model(sc, seed)
    cf = run_model(sc.without_scheme(), seed) if sc.scheme.offers_anything else model
    return sc, model, cf


def check_money(model) -> None:
    """Every grant within its rules, nothing paid twice, and every actor balanced to the cent."""
    prog = model.programme
    states = {s.id: s for s in prog.instruments}
    grants = [g for p in model.projects for g in p.grants]
    for p in model.projects:
        for g in p.grants:
            spec = states[g.instrument].spec
            assert -EPS <= g.paid <= g.awarded + EPS, (g.instrument, g.paid, g.awarded)
            assert g.amount <= g.awarded + EPS
            assert g.awarded <= spec.max_grant_eur + EPS, (g.instrument, g.awarded, spec.max_grant_eur)
            assert g.awarded >= spec.min_grant_eur - EPS, (g.instrument, g.awarded, spec.min_grant_eur)
            # within rate x eligible cost: the plan pays each line at most rate x its cost
            for line, planned in g.plan.items():
                assert planned <= spec.rate * p.costs.get(line, 0.0) + EPS, (g.instrument, line, planned)
            assert math.isclose(sum(g.plan.values()), g.awarded, rel_tol=1e-9, abs_tol=EPS)
            assert g.paid_lines <= set(g.plan), "a line paid that the grant did not plan"
            if spec.min_supplier_share > 0 and g.awarded > 0:
                # an overrun the grant extended is the suppliers' development work too
                dev = g.plan.get("development", 0.0) + g.plan.get("overrun", 0.0)
                assert dev >= spec.min_supplier_share * g.awarded - EPS, (g.instrument, dev, g.awarded)
            if spec.internal_costs and spec.internal_cost_cap_share < 1 and g.awarded > 0:
                staff = sum(v for k, v in g.plan.items() if k in ("preparation", "tender", "implementation")
                            and k not in spec.phases)
                assert staff <= spec.internal_cost_cap_share * g.awarded + EPS, (g.instrument, staff)
        for line, cost in p.costs.items():  # all grants together pay at most a line's cost
            covered = sum(g.plan.get(line, 0.0) * (g.awarded and g.amount / g.awarded) for g in p.grants
                          if line in g.paid_lines)
            assert covered <= cost + EPS, (p.id, line, covered, cost)
    for st in prog.instruments:
        spec = st.spec
        assert -EPS <= st.paid <= st.granted + EPS, (st.id, st.paid, st.granted)
        assert st.granted <= st.budget_over(model.months) + EPS, (st.id, st.granted)
        if spec.annual_budget_eur is not None:
            for year, committed in st.committed.items():
                assert -EPS <= committed <= spec.annual_budget_eur + EPS, (st.id, year, committed)
        elif st.type != "joint_process":
            assert -EPS <= st.committed_total <= (spec.total_budget_eur or 0.0) + EPS, st.id
        if st.type not in ("prize", "diffusion_grant"):  # those grants live outside projects
            paid = sum(g.paid for g in grants if g.instrument == st.id)
            assert math.isclose(st.paid, paid, rel_tol=1e-9, abs_tol=EPS), (st.id, st.paid, paid)
        # the ledger: what the instrument paid, payment by payment, is what it counts as paid
        ledger = sum(t.amount for t in model.money.transfers
                     if (t.payer_kind, t.payer) == ("instrument", st.id))
        assert abs(ledger - st.paid) < 0.005, (st.id, ledger, st.paid)
    # each buyer: what it paid, payment by payment, is what left its budgets
    spent = {}
    for t in model.money.transfers:
        if t.payer_kind == "buyer":
            spent[t.payer] = spent.get(t.payer, 0.0) + t.amount
    assert abs(sum(spent.values()) - model.money.buyer_spent) < 0.005
    for _, eur, _ in model.ledger.prizes:
        assert eur <= max(s.spec.prize_eur for s in prog.instruments if s.type == "prize") + EPS
    # at every month: cumulative spending within the budget years opened so far
    for row in model.ledger.rows:
        ceiling = sum(s.budget_over(row["month"]) for s in prog.instruments)
        assert row["programme_spend_eur"] <= ceiling + EPS, (row["month"], row["programme_spend_eur"])
    spent = [r["programme_spend_eur"] for r in model.ledger.rows]
    assert all(b >= a - EPS for a, b in zip(spent, spent[1:], strict=False)), "spending went down"


def denominators(m, cf, summary: dict[str, float]) -> dict[str, float]:
    """For each outcome that is a share or a mean: its denominator (zero means undefined)."""
    funded = [p for p in m.projects if p.funded]
    done = [p for p in funded if p.status == "aborted" or p.completed_month >= 0]
    dev = [p for p in funded if p.route == "development" and p.contracts > 0]
    adopted = {a.solution for a in m.ledger.adoptions if a.new}
    old = [p for p in m.projects if 0 <= p.completed_month <= m.months - STUCK_AGE_MONTHS]
    n_funded = len(funded) + len(m.ledger.prizes)
    return {
        "abort_share": len(done),
        "abort_share_rushed": sum(p.rushed for p in done),
        "abort_share_thorough": sum(not p.rushed for p in done),
        "stuck_share": len(old),
        "support_per_project_eur": n_funded,
        "transfer_share": n_funded,
        "adoptions_per_solution": sum(s.origin == "developed" for s in m.diffusion.solutions),
        "adoptions_per_scheme_solution": sum(1 for p in m.projects
                                             if p.solution >= 0 and (p.funded or p.joint)),
        "months_to_spread": summary["solutions_scaled"],
        "deadweight_share": len(funded),
        "small_buyer_share": len(funded),
        "public_eur_per_adoption": float(summary["additional_adopters"] > 0
                                         and summary["public_money_eur"] > 0),
        "public_eur_per_additional_adopter": float(summary["additional_adopters"] > 0
                                                   and summary["public_money_eur"] > 0),
        "private_eur_per_public_eur": summary["public_money_eur"],
        "deadweight_eur_share": summary["public_money_eur"],
        "sme_contract_share": sum(p.contracts for p in m.projects),
        "first_of_kind_share": len(m.ledger.adoptions),
        "budget_use_share": summary["budget_ceiling_eur"],
        "contracts_per_project": len(dev),
        "contracts_per_pcp": sum(1 for p in dev if p.pcp or p.partnership),
        "first_time_supplier_share": m.firms.awarded,
        "supplier_survival_share": int((~m.firms.s.foreign[:m.firms.n_start]).sum()),
        "_solutions_adopted": len(adopted),
    }


def check_outcomes(summary: dict[str, float], dens: dict[str, float]) -> None:
    for name, value in summary.items():
        assert not math.isinf(value), f"{name} is infinite"
        if name in dens:
            undefined = dens[name] == 0
            assert math.isnan(value) == undefined, (
                f"{name} = {value} with denominator {dens[name]} (NaN exactly when it is zero)")
        else:
            assert not math.isnan(value), f"{name} is NaN but is a count or a sum (always defined)"


@pytest.mark.timeout(600 if NIGHTLY else 120)
@pytest.mark.parametrize("name", bundled_names())
def test_money_and_outcomes_hold_for_every_seed(name):
    for seed in SEEDS:
        sc, model, cf = run(name, seed)
        check_money(model)
        summary = summarise(model, Baseline.of(cf))
        check_outcomes(summary, denominators(model, cf, summary))
        for row in model.ledger.rows:
            assert all(not math.isnan(v) for v in row.values()), row
        if seed == SEEDS[0]:  # what we checked is what simulate() returns
            res = simulate(sc, seed).summary
            assert res.keys() == summary.keys()
            assert all(res[k] == v or (math.isnan(res[k]) and math.isnan(v)) for k, v in summary.items())
