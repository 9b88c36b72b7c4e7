"""The model's shortcuts change how long a run takes, never what it produces.

Each vectorised shortcut has a one-need (or one-solution) original; these tests run the
model with the shortcut on and off and require identical runs, and check the array formulas
against the scalar ones they stand for.
"""

from __future__ import annotations

import numpy as np
import pytest

from simpolicy.core import run_model
from simpolicy.model import draws, screen
from simpolicy.model.model import PolicyModel
from simpolicy.scenario.loader import with_sets
from tests.conftest import short


def fingerprint(model: PolicyModel) -> tuple:
    """Everything a run's outcomes are computed from."""
    led = model.ledger
    return (
        led.rows,
        [(a.buyer, a.solution, a.month, a.via, a.first_of_kind, a.price) for a in led.adoptions],
        [(p.id, p.need.id, p.status, p.phase, p.supplier,
          [(g.instrument, g.amount, g.paid) for g in p.grants]) for p in model.projects],
        [(s.id, s.paid, s.applications, s.awards) for s in model.programme.instruments],
    )


# schemes with open instruments, calls and panels, joint processes and scaling grants; and
# Norway over 9 years, past Trøndelag's county merger in month 96 (the screen is refreshed)
CASES = [("denmark_copi_proposal", 0, 4), ("flanders", 1, 4), ("norway", 2, 9), ("spain", 3, 4)]


@pytest.mark.parametrize(("name", "seed", "years"), CASES)
def test_screen_of_hopeless_needs_changes_nothing(name, seed, years, monkeypatch):
    scenario = short(name, years)
    screened = fingerprint(run_model(scenario, seed))
    monkeypatch.setattr(screen.Screen, "hopeless",
                        lambda self, month, exists, open_to: np.zeros(len(exists), dtype=bool))
    assert fingerprint(run_model(scenario, seed)) == screened


def test_screen_does_screen():
    """Without this the test above would pass with a screen that never drops a need."""
    model = run_model(short("denmark_baseline", 4), 0)
    built = len(model.projects)
    arrived = sum(len(a.rows) for a in model.draws.arrivals)
    assert arrived > 2 * built  # most needs end on the spot, unbuilt


def some_needs(model, n: int):
    """The first n needs that arrive over the horizon, built (half of them with a product)."""
    out = []
    for a in model.draws.arrivals:
        for i in range(len(a.rows)):
            out.append(model.needs._build(int(a.rows[i]), a.u[i], a.z[i].tolist(), int(a.ids[i]),
                                          int(a.challenges[i]), len(out) % 2 == 0))
            if len(out) == n:
                return out
    return out


def test_phase_totals_match_the_cost_of_each_phase():
    model = PolicyModel(short("denmark_baseline", 1), 0)
    needs = some_needs(model, 50)
    total, first = screen.phase_totals(model, np.array([n.dev_cost for n in needs]),
                                       np.array([n.market_exists for n in needs]))
    costs = [model.needs.costs(n) for n in needs]
    np.testing.assert_allclose(total, [sum(c.values()) for c in costs], rtol=1e-12)
    np.testing.assert_allclose(first, [c["preparation"] + c["tender"] for c in costs], rtol=1e-12)


def test_might_fund_is_never_false_when_there_is_an_offer():
    model = PolicyModel(short("denmark_copi_proposal", 1), 0)
    prog, offered = model.programme, 0
    for need in some_needs(model, 3000):
        offers = prog.offers(need, model.needs.costs(need), 0)
        might = prog.might_fund(np.array([need.buyer]), np.array([need.theme]),
                                np.array([need.market_exists]), np.array([need.id]), 0)[0]
        assert might or not offers
        offered += bool(offers)
    assert offered > 50


def test_scaling_grant_for_one_purchase_and_for_many_agree():
    """``diffusion_grant`` (one purchase) and ``scaling_grants`` (the month's candidates, in
    one pass) are twins; its second part is the largest offer of any instrument."""
    model = PolicyModel(short("denmark_copi_proposal", 1), 0)
    model.new_year()  # the first month's start: who knows the scaling grant is read
    prog, rng = model.programme, np.random.default_rng(0)
    assert prog._scaling  # the scheme has scaling support
    themes = rng.integers(0, len(model.theme_names), 200)
    prices = rng.lognormal(12, 1.5, 200)
    rows = rng.integers(0, model.buyers.n, 200)
    many, largest = prog.scaling_grants(themes, prices, 0, rows)
    one = [prog.diffusion_grant(int(t), float(p), 0, int(r))[1]
           for t, p, r in zip(themes, prices, rows, strict=True)]
    np.testing.assert_array_equal(many, one)
    assert (many > 0).any() and (many == 0).any()
    assert (largest >= many).all()
    # the largest offer, read straight from each open instrument's offers
    offers = [np.where(ok, amount, 0.0) for amount, ok in prog._scaling_offers(themes, prices, 0, rows)]
    np.testing.assert_array_equal(largest, np.maximum.reduce(offers))


def test_diffusion_keeps_its_totals_as_peers_adopt_and_buyers_merge():
    """Diffusion reads each solution's adopting and concerned buyers from totals it keeps
    (``_ad_tot``, ``_rel_tot1``) instead of summing them every month; after a run with a
    merger (Norway's counties in month 96) they equal the sums."""
    model = run_model(short("norway", 9), 0)
    d = model.diffusion
    n = len(d.solutions)
    assert model.gone_rows  # the merger happened
    np.testing.assert_array_equal(d._ad_tot[:n], d.ad[:n].sum(1))
    np.testing.assert_array_equal(d._rel_tot1[:n], np.maximum(d.rel[:n].sum(1), 1))
    assert d._ad_tot[:n].any()
    # every solution that went live was planned (``go_live`` queues it for ``_plan_live``)
    assert d.live[:n].any() and not (d.live[:n] & ~d._planned[:n]).any()


def test_stock_peers_are_the_concerned_users_by_type_and_region():
    """Diffusion starts each stock solution's peer counts from ``Draws.stock_peers``, made for
    all of them at once; each row must be the users its challenge concerns, counted by type
    and by region one solution at a time."""
    model = PolicyModel(short("norway", 2), 0)
    d = model.draws
    by_type, by_region = d.stock_peers
    assert len(d.stock) > 5 and by_type.sum() > 0
    for i, st in enumerate(d.stock):
        users = d.relevance[:, st.challenge] & st.users
        np.testing.assert_array_equal(by_type[i], np.bincount(d.buyers.type_idx[users],
                                                              minlength=by_type.shape[1]))
        np.testing.assert_array_equal(by_region[i], np.bincount(d.buyers.region[users],
                                                                minlength=by_region.shape[1]))
    assert by_region.shape[1] > 1  # Norway's regions: the region count is not trivially all


def test_screen_is_refreshed_when_buyers_merge():
    """The screen fixes each need's costs and its buyer's budget once per run; a merger
    changes sizes and budgets, so after Norway's county merger (month 96) the run's screen
    must hold what a screen made on the merged population holds, not what it held before."""
    model = run_model(short("norway", 9), 0)
    assert model.gone_rows  # the merger happened
    kept = model.needs.screen
    fresh = screen.Screen(model)
    fresh.refresh()
    before = screen.Screen(PolicyModel(short("norway", 9), 0))
    before.refresh()
    names = [k for k, v in vars(fresh).items() if isinstance(v, np.ndarray)]
    assert "_over_d" in names and "_lhs_d" in names
    for name in names:
        np.testing.assert_array_equal(getattr(kept, name), getattr(fresh, name), err_msg=name)
    assert any(not np.array_equal(getattr(before, k), getattr(fresh, k)) for k in names)


def test_a_firms_tender_draws_do_not_depend_on_its_place_in_the_pool(monkeypatch):
    """Tender draws are keyed by the need and the firm (rng.py): the same pool in another
    order looks, bids and ranks alike, so the same firms win."""
    from simpolicy.model import market

    model = run_model(short("lithuania", 3), 0)
    projects = [p for p in model.projects if p.contracts > 0]
    assert projects
    pool_of = market.supplier_pool
    for p in projects[:5]:
        # the firms' state at the end of the run (learning, entry, exit), for both orders
        assert market.tender(model, p, p.contracts_wanted)
        won = set(p.winners.tolist())
        monkeypatch.setattr(market, "supplier_pool", lambda m, t: pool_of(m, t)[::-1])
        assert market.tender(model, p, p.contracts_wanted)
        monkeypatch.setattr(market, "supplier_pool", pool_of)
        assert set(p.winners.tolist()) == won


@pytest.mark.parametrize(("name", "seed"), [c[:2] for c in CASES[:2]])
def test_shared_draws_change_nothing(name, seed):
    """A run on memoised scheme-free draws equals one that draws them afresh.

    The counterfactual runs between the two, on the same draws: what a run changes (budgets,
    awareness, capability) must not leak into the next run, and of the needs it built the
    next run may reuse only those that are the same for it.
    """
    scenario = short(name, 4)
    draws.forget()
    fresh = fingerprint(run_model(scenario, seed))
    draws.forget()
    # the counterfactual first: it tenders and builds needs in another run's state (another
    # buyer's solution in use or not), which the scheme's run must not take for its own
    run_model(scenario.without_scheme(), seed)
    assert len(draws._MEMO) == 1
    kept = draws.draws_for(scenario, seed)
    assert kept.built._needs  # and the needs it built
    assert fingerprint(run_model(scenario, seed)) == fresh


def test_kept_needs_are_per_behaviour_and_bounded(monkeypatch):
    """Needs built under other behavioural parameters are never reused; the bound holds."""
    scenario = short("denmark_copi_proposal", 4)
    draws.forget()
    d = draws.draws_for(scenario, 0)
    base = fingerprint(run_model(scenario, 0))
    needs = d.built._needs
    dearer = with_sets(scenario, {"behaviour.dev_cost_eur": 2 * scenario.behaviour.dev_cost_eur})
    m = run_model(dearer, 0)
    assert draws.draws_for(dearer, 0) is d and d.built._needs is not needs
    built = {2 * p.need.id + p.need.market_exists: p.need for p in m.projects}
    same = [k for k in built if k in needs]
    assert same and all(built[k].dev_cost == 2 * needs[k].dev_cost for k in same)
    monkeypatch.setattr(d.built, "limit", 10)
    d.built.for_behaviour("another")
    assert fingerprint(run_model(scenario, 0)) == base  # built afresh, beyond the bound too
    assert len(d.built._needs) == 10


def test_shared_draws_are_read_only_and_bounded(monkeypatch):
    """A run cannot write into the shared draws, and the memo forgets the oldest beyond its size."""
    scenario = short("denmark_copi_proposal", 2)
    d = draws.draws_for(scenario, 0)
    before = d.relevance.copy(), d.arrivals[0].u.copy(), d.buyers.awareness.copy()
    run_model(scenario, 0)
    assert (d.relevance == before[0]).all() and (d.arrivals[0].u == before[1]).all()
    assert (d.buyers.awareness == before[2]).all()  # the run raised its own copy
    with pytest.raises(ValueError, match="read-only"):
        d.buyers.budget[0] = 1.0
    monkeypatch.setattr(draws._MEMO, "limit", 2 * d.nbytes + 1)
    draws.forget()
    for seed in range(5):
        draws.draws_for(scenario, seed)
    assert [seed for _, seed in draws._MEMO.keys()] == [3, 4]


def test_draws_are_shared_exactly_when_their_inputs_agree():
    """How buyers decide does not change the draws; how many challenges concern them does."""
    scenario = short("denmark_copi_proposal", 2)
    draws.forget()
    d = draws.draws_for(scenario, 0)
    assert draws.draws_for(with_sets(scenario, {"behaviour.risk_aversion": 2.5}), 0) is d
    assert draws.draws_for(scenario.without_scheme(), 0) is d
    other = draws.draws_for(with_sets(scenario, {"behaviour.relevance_share": 0.5}), 0)
    assert other is not d and other.relevance.mean() > d.relevance.mean()
    assert draws.draws_for(scenario, 1) is not d


def test_a_run_pauses_the_cyclic_collector_and_restores_it(monkeypatch):
    """The collector is off while a model steps and back as it was afterwards, also on errors."""
    import gc

    from simpolicy import core

    seen = []
    monkeypatch.setattr(PolicyModel, "step", lambda self: seen.append(gc.isenabled()))
    scenario = short("denmark_copi_proposal", 1)
    assert gc.isenabled()
    core.run_model(scenario, 0)
    assert seen and not any(seen) and gc.isenabled()
    gc.disable()
    try:
        core.run_model(scenario, 0)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()

    def boom(self):
        raise RuntimeError("a failing step")

    monkeypatch.setattr(PolicyModel, "step", boom)
    with pytest.raises(RuntimeError):
        core.run_model(scenario, 0)
    assert gc.isenabled()


def test_a_returned_model_goes_to_the_oldest_generation_without_a_walk():
    """``run_model`` returns a live model: its objects must not be left in the youngest
    generation (whose count the run pushed past its threshold), or the first allocation
    after the run walks them all only to find them alive. A process that froze objects
    itself (the dashboard server) keeps them frozen."""
    import gc

    from simpolicy import core

    scenario = short("denmark_copi_proposal", 1)
    gc.collect()
    collections = []

    def seen(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        model = core.run_model(scenario, 0)
        assert collections == [], "the collector walked the run's objects on its way out"
    finally:
        gc.callbacks.remove(seen)
    assert gc.is_tracked(model) and gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        core.run_model(scenario, 0)
        assert gc.get_freeze_count() > frozen // 2  # the process's own freeze is not undone
    finally:
        gc.unfreeze()


def test_simulate_frees_its_models_without_the_cyclic_collector():
    """``simulate`` closes its models: nothing of a run is left for the cyclic collector.

    A finished model is a cycle (Mesa's registry and ``agent.model``); left to the
    collector, its thousands of objects were walked again and again in a dashboard worker
    or a study. Closed, reference counting frees them at once.
    """
    import gc

    from simpolicy import core

    scenario = short("denmark_copi_proposal", 1)
    core.simulate(scenario, 0)  # memoise the draws, so that what follows is one run's work
    core._COUNTERFACTUALS.clear()
    gc.collect()
    gc.disable()  # so that no collection inside hides what the run left behind
    try:
        result = core.simulate(scenario, 0)  # the scheme's run and its counterfactual
        left = gc.collect()
    finally:
        gc.enable()
    assert result.meta["n_buyers"] > 1000
    assert left < 50  # without close(): every agent of both runs, thousands
    model = core.run_model(scenario, 0)
    model.close()
    assert not vars(model)  # a closed model holds nothing
