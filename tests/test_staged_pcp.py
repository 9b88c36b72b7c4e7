"""Stage-gated pre-commercial procurement (issue 17, item 3; ODD 7.15).

A PCP pays phase by phase and only the contractors still in a phase; at each gate the buyer
keeps the best-scored results and what the grant had reserved for the contractors it drops
goes back to the instrument. The defect this guards against: the whole development grant
was paid when development started, so down-selection (and a project that fails in its first
phase) saved nothing. Checked on Lithuania's PCP (brief §4.9) and the UK's phased SBRI
contracts (brief §4.10), against the same runs paying every planned contractor up front.
"""

from __future__ import annotations

import pytest

from simpolicy.core import run_model
from simpolicy.model import stages
from simpolicy.model.instruments import PHASE_SHARES
from simpolicy.model.market import phase_score, success_chance
from simpolicy.outcomes import Baseline, summarise
from tests.conftest import short
from tests.test_reliability_money import check_money

SEEDS = range(4)
YEARS = 6


@pytest.fixture()
def record(monkeypatch):
    """Each phase a staged project enters: (project id, phase, contractors in it), and each
    gate's scored contractors (project id, phase, [(score, supplier)], kept)."""
    phases, gates = [], []
    enter_stage = stages._enter_stage

    def enter_(model, p):
        ok = enter_stage(model, p)
        if ok:
            phases.append((p.id, p.stage, list(p.alive)))
        return ok

    advance = stages.advance

    def advance_(model, p):
        before = (p.stage, list(p.alive), p.phase)
        out = advance(model, p)
        if p.staged and before[2] == "development" and (p.stage != before[0] or out is not None):
            chance = success_chance(model, p)
            scored = [(phase_score(model, p, before[0], s, chance), s) for s in before[1]]
            kept = p.alive if out is None else ([out[1]] if out[0] else [])
            gates.append((p.id, before[0], scored, list(kept), out))
        return out

    monkeypatch.setattr(stages, "_enter_stage", enter_)
    monkeypatch.setattr(stages, "advance", advance_)
    return phases, gates


def _lump(monkeypatch):
    """The old way: the whole development paid at its start for every planned contractor."""
    start = stages.start

    def start_(model, p):
        p.staged = False
        return start(model, p)

    monkeypatch.setattr(stages, "start", start_)


def _dev_paid(model, project_ids) -> float:
    return sum(t.amount for t in model.money.transfers if t.payer_kind == "instrument"
               and t.line == "development" and t.project in project_ids)


@pytest.mark.parametrize("name", ["lithuania", "uk_sbri"])
def test_down_selection_releases_money(name, monkeypatch):
    """Paid phase by phase, the same PCPs cost the programme less than paid up front, and
    what the grants gave back shows in the outcomes: public money and budget use fall."""
    sc = short(name, YEARS if name == "lithuania" else 2)

    def per_pcp(m):  # what a PCP that reached development cost the programme, on average
        ids = {p.id for p in m.projects if p.contracts and (p.pcp or p.contracts_wanted > 1)}
        assert ids, "no PCP reached development"
        return _dev_paid(m, ids) / len(ids)

    staged = [run_model(sc, s) for s in SEEDS]
    assert all(any(p.staged for p in m.projects) for m in staged)
    out_staged = [summarise(m, Baseline.of(m)) for m in staged]
    _lump(monkeypatch)
    lump = [run_model(sc, s) for s in SEEDS]
    assert not any(p.staged and p.contracts for m in lump for p in m.projects)
    out_lump = [summarise(m, Baseline.of(m)) for m in lump]
    assert sum(map(per_pcp, staged)) < 0.9 * sum(map(per_pcp, lump))
    released = sum(g.awarded - g.paid for m in staged for p in m.projects if p.staged
                   and p.status != "active" for g in p.grants)
    assert released > 0
    assert (sum(o["public_money_eur"] for o in out_staged)
            < sum(o["public_money_eur"] for o in out_lump))
    assert (sum(o["budget_use_share"] for o in out_staged)
            < sum(o["budget_use_share"] for o in out_lump))


def test_each_phase_pays_only_its_contractors(record):
    """A phase's payment is its price for the contractors in it, no more: a contractor
    dropped at a gate is paid nothing afterwards; and at the end of a delivered PCP nothing
    is still reserved for its development."""
    phases, _ = record
    sc = short("lithuania", YEARS)
    for seed in SEEDS[:2]:
        phases.clear()
        m = run_model(sc, seed)
        by_project = {}
        for pid, k, alive in phases:
            by_project.setdefault(pid, []).append((k, alive))
        assert any(len(v) > 1 for v in by_project.values()), "no PCP reached a second phase"
        for pid, seen in by_project.items():
            p = m.projects[pid]
            plan = p.phase_plan[:3]
            shares = PHASE_SHARES[len(plan)]
            multiple = sum(n * s for n, s in zip(plan, shares, strict=True))
            pays = [t.amount for t in m.money.transfers if t.project == pid
                    and t.payer_kind == "instrument" and t.line == "development"]
            assert len(pays) == len(seen) * sum(1 for g in p.grants if g.plan.get("development"))
            for (_, alive), (k2, later) in zip(seen, seen[1:], strict=False):
                assert set(later) <= set(alive) and len(later) <= plan[k2], (pid, alive, later)
            dev_plan = sum(g.plan.get("development", 0.0) for g in p.grants)
            expected = sum(dev_plan * len(alive) * shares[k] / multiple for k, alive in seen)
            assert sum(pays) == pytest.approx(expected, rel=1e-9), (pid, seen)
            if p.completed_month >= 0:
                assert p.dev_reserved == 0.0
                for g in p.grants:
                    unpaid_other = sum(v for line, v in g.plan.items() if line not in g.paid_lines)
                    assert g.amount - g.paid <= unpaid_other + 1e-6, (pid, g)
        check_money(m)


def test_gate_keeps_the_best_scored_results(record):
    """At each gate the buyer keeps, of the contractors whose phase succeeded, those its
    scoring of the phase's result ranks highest (not the most capable by reputation)."""
    _, gates = record
    m = run_model(short("lithuania", YEARS), 0)
    assert gates, "no gate was passed"
    reordered = 0
    for pid, k, scored, kept, out in gates:
        p = m.projects[pid]
        ok = sorted((x for x in scored if x[0] > 0), reverse=True)
        if out is not None:  # the last phase: the best result delivers, or none succeeded
            assert out == ((True, ok[0][1]) if ok else (False, -1)), (pid, out, ok)
            continue
        assert kept == [s for _, s in ok[:p.phase_plan[k + 1]]], (pid, kept, ok)
        caps = m.suppliers.capability
        reordered += [s for _, s in ok] != sorted((s for _, s in ok), key=lambda s: -caps[s])
    assert reordered, "scores never differed from the capability order: the test sees nothing"


@pytest.mark.parametrize("name", ["lithuania", "uk_sbri", "spain", "norway"])
def test_staged_money_balances(name):
    """Every actor balances to the cent with stage payments and gate releases."""
    sc = short(name, 4 if name == "lithuania" else 2)
    for seed in SEEDS[:2]:
        m = run_model(sc, seed)
        assert any(p.staged for p in m.projects) or name == "norway"
        check_money(m)
