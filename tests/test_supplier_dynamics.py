"""Suppliers that learn, enter and leave (issue 17 item 4, ODD 7.17).

Each test names the defect it catches: a delivery that teaches nothing, references that do
not count in a tender, idle firms that never leave or entrants that never come, foreign firms
that ignore how thin the domestic market is, a scheme whose contracts do not keep firms alive,
and a run that writes its learning into the draws other runs share.
"""

from __future__ import annotations

import numpy as np
import pytest

from simpolicy import simulate
from simpolicy.core import run_model
from simpolicy.model.model import PolicyModel
from simpolicy.scenario.loader import ensure_behaviour
from tests.conftest import short
from tests.test_reliability_money import check_money

SEEDS = range(6)


def _model(name: str = "lithuania", years: float = 3, **behaviour) -> PolicyModel:
    sets = {f"behaviour__{k}": v for k, v in behaviour.items()}
    return PolicyModel(ensure_behaviour(short(name, years, **sets)), seed=0)


def test_a_delivery_raises_capability_toward_one_and_adds_a_reference():
    """Defect: delivering teaches the firm nothing (or pushes capability past 1)."""
    m = _model(supplier_learning=0.2)
    f = m.firms
    firm = int(m.suppliers_by_theme[0][0])
    cap = float(m.suppliers.capability[firm])
    f.delivered(firm)
    assert m.suppliers.capability[firm] == pytest.approx(cap + 0.2 * (1 - cap))
    assert f.refs[firm] == 1 and f.rank_bonus(np.array([firm]))[0] > 0
    for _ in range(200):
        f.delivered(firm)
    assert cap < m.suppliers.capability[firm] <= 1.0
    f.delivered(-1)  # a product of the market at large: nobody of the population learns


def _contracts(sc, seeds=SEEDS) -> tuple[int, int, int]:
    """Contracts awarded, to first-time suppliers, to firms that had delivered before."""
    out = np.zeros(3, dtype=int)
    for seed in seeds:
        f = run_model(sc, seed).firms
        out += (f.awarded, f.first_time, f.to_referenced)
    return tuple(out)


def test_firms_that_delivered_win_more_later_contracts():
    """Defect: references and learning do not count when a buyer ranks bidders. Firms that
    delivered before win a larger share of later contracts than the same firms would if
    delivering changed nothing (learning and references off)."""
    sc = ensure_behaviour(short("lithuania", 6))
    off = ensure_behaviour(short("lithuania", 6, behaviour__supplier_learning=0.0,
                                 behaviour__reference_weight=0.0))
    on_all, _, on_ref = _contracts(sc)
    off_all, _, off_ref = _contracts(off)
    assert on_ref / on_all > 1.3 * off_ref / off_all, (on_ref, on_all, off_ref, off_all)


def test_idle_firms_leave_and_entrants_appear():
    """Defect: firms without sales never leave, or no firm ever enters. With exit certain
    after one idle year, every domestic firm without a deal in the year leaves in January;
    entrants come as the entry rate says, with low capability and no references, and are
    candidates in tenders while those that left are not."""
    m = _model(supplier_idle_years=1, supplier_exit_rate=1.0, supplier_entry_rate=0.1,
               entrant_capability=0.2)
    f = m.firms
    for _ in range(13):
        m.step()
    n0 = f.n_start
    domestic = ~m.suppliers.foreign[:n0]
    dealt = f.last_deal[:n0] > 0
    assert not f.active[:n0][domestic & ~dealt].any(), "idle firms stayed"
    assert f.active[:n0][dealt | ~domestic].all(), "a firm with a deal, or a foreign one, left"
    new = np.arange(n0, m.suppliers.n)
    expected = 0.1 * f.domestic_start.sum()
    assert abs(len(new) - expected) <= len(f.domestic_start), (len(new), expected)
    assert f.entrants == len(new) > 0
    assert (m.suppliers.capability[new] <= 0.3).all() and not f.refs[new].any()
    assert m.suppliers.sme[new].all() and not m.suppliers.foreign[new].any()
    pooled = np.concatenate(m.suppliers_by_theme)
    assert np.isin(new, pooled).all()
    assert not np.isin(np.flatnonzero(~f.active), pooled).any()


def test_foreign_firms_look_where_the_domestic_market_is_thin():
    """Defect: foreign firms are candidates whatever the domestic market. None where every
    theme has more domestic firms than the threshold allows for, all where it is thin."""
    def foreign_share(threshold):
        m = _model(thin_market_firms=threshold)
        m.step()  # January: pools made
        pooled = np.concatenate(m.suppliers_by_theme)
        return m.suppliers.foreign[pooled].sum() / m.suppliers.foreign.sum()
    assert foreign_share(0.0) == 0.0
    assert 0.0 < foreign_share(40.0) < foreign_share(80.0) < 1.0
    assert foreign_share(1e5) == 1.0


def test_a_scheme_that_funds_development_keeps_suppliers_alive():
    """Defect: contracts and sales do not protect a firm from leaving. Lithuania's PCP
    awards several development contracts per project: with the scheme, more domestic firms
    have a recent deal, so more of them are still active at the end than without it (paired
    runs: exits are each firm's own draw). More firms win a first contract too; their share
    of all contracts falls, because the scheme's contracts also go back to firms that
    delivered before (references, learning): the mechanism concentrates repeat business."""
    sc = ensure_behaviour(short("lithuania", 6))
    cf = sc.without_scheme()
    surv = np.array([[simulate(s, seed).summary["supplier_survival_share"] for s in (sc,)]
                     for seed in SEEDS]).ravel()
    surv_cf = np.array([run_model(cf, seed).firms.survival_share() for seed in SEEDS])
    assert (surv >= surv_cf).all() and surv.mean() > surv_cf.mean(), (surv, surv_cf)
    awarded, first, _ = _contracts(sc)
    awarded_cf, first_cf, _ = _contracts(cf)
    assert first > first_cf
    assert first / awarded < first_cf / awarded_cf


def test_entry_and_exit_leave_money_balanced_and_the_shared_draws_untouched():
    """Defect: a run writes its learning into the draws other runs share (its next run
    would start from learnt capabilities), or the dynamics unbalance the money records."""
    sc = ensure_behaviour(short("lithuania", 6, behaviour__supplier_learning=0.5))
    fresh = PolicyModel(sc, 3)  # before any entrant replaces the arrays
    assert not np.shares_memory(fresh.suppliers.capability, fresh.draws.suppliers.capability)
    first = simulate(sc, 3).summary
    m = run_model(sc, 3)
    assert m.firms.entrants > 0 and (~m.firms.active).any()
    check_money(m)
    again = simulate(sc, 3).summary
    assert first == pytest.approx(again, nan_ok=True)


def _pools_by_theme(m: PolicyModel) -> list[np.ndarray]:
    """Each theme's candidates by the rule, theme by theme (``SupplierMarket._pools``
    computes all themes in one pass)."""
    s, firms, b = m.suppliers, m.firms, m.behaviour
    pools = []
    for t in range(len(m.theme_names)):
        own = np.flatnonzero((s.theme == t) & firms.active)
        foreign, domestic = own[s.foreign[own]], own[~s.foreign[own]]
        share = min(1.0, b.thin_market_firms / len(domestic)) if len(domestic) else 1.0
        pools.append(np.sort(np.concatenate([domestic, foreign[:int(np.ceil(share * len(foreign)))]])))
    return pools


@pytest.mark.parametrize("threshold", [0.0, 12.0, 40.0, 1e5])
def test_the_pools_of_all_themes_at_once_follow_the_rule_theme_by_theme(threshold):
    """Defect guarded: the one-pass pools drop or misplace a theme's firms (after exits and
    entries, in thin and thick markets)."""
    m = _model(years=4, thin_market_firms=threshold, supplier_exit_rate=0.5,
               supplier_entry_rate=0.2)
    for month in range(m.months):
        m.step()
        if month % 12 == 0:
            got, want = m.suppliers_by_theme, _pools_by_theme(m)
            assert len(got) == len(want)
            for g, w in zip(got, want, strict=True):
                assert np.array_equal(g, w)
