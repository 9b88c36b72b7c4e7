"""Funded means awarded: the summary, the monthly series and the records agree (issue 15).

The defect this guards against: ``Project.funded`` was read after a project's unpaid grants
had been released, so a project awarded a grant and aborted before any payment dropped out
of ``projects_funded``, ``abort_share`` and ``awards_*`` while the monthly series (counted at
start) kept it. Austria gave 42 funded in its summary and 45 in its own series, and an
``abort_share`` of 1.0 or undefined. An analyst reading the table and the chart of one run
must see one number.

Over every bundled scenario and three seeds at a three-year horizon, from the very model
``simulate`` reads:

- ``projects_funded`` in the summary = the last row of the monthly series = projects that
  carry a grant + prizes paid;
- each ``awards_<id>`` = grants of that instrument on started projects + its prizes + its
  scaling grants, and the prizes and scaling grants each have their payment in the money
  records;
- ``abort_share`` is defined whenever some funded project has ended, and is the share of
  those that were aborted.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest

import simpolicy.core as core
from simpolicy import simulate
from tests.conftest import SCENARIOS, short

SEEDS = (0, 1, 2)
YEARS = 3


def _records(model) -> dict:
    """What the model's own records say, independently of ``outcomes.summarise``."""
    led, money = model.ledger, model.money
    grants = Counter(g.instrument for p in model.projects for g in p.grants)
    prizes = Counter(inst for inst, _, _ in led.prizes)
    scaling = Counter(inst for inst, *_ in led.scaling)
    paid = Counter((t.payer, t.line) for t in money.transfers if t.payer_kind == "instrument")
    with_grant = [p for p in model.projects if p.grants]
    ended = [p for p in with_grant if p.status == "aborted" or p.completed_month >= 0]
    return {
        "funded": len(with_grant) + len(led.prizes),
        "awards": {st.id: grants[st.id] + prizes[st.id] + scaling[st.id]
                   for st in model.programme.instruments},
        "prizes": prizes, "scaling": scaling, "paid": paid,
        "zero_awards": [g.instrument for p in with_grant for g in p.grants if g.awarded <= 0],
        "ended": len(ended), "aborted": sum(p.status == "aborted" for p in ended),
    }


@pytest.mark.parametrize("name", SCENARIOS)
def test_summary_series_and_records_agree(name, monkeypatch):
    seen = {}
    result = core._result

    def spy(scenario, seed, model):
        seen[seed] = _records(model)  # read before simulate closes the model
        return result(scenario, seed, model)

    monkeypatch.setattr(core, "_result", spy)
    sc = short(name, YEARS)
    for seed in SEEDS:
        r = simulate(sc, seed)
        rec, s = seen[seed], r.summary
        where = f"{name} seed {seed}"
        assert not rec["zero_awards"], f"{where}: grants awarded nothing: {rec['zero_awards']}"
        assert s["projects_funded"] == r.timeseries["projects_funded"].iloc[-1], where
        assert s["projects_funded"] == rec["funded"], where
        for inst, n in rec["awards"].items():
            assert s[f"awards_{inst}"] == n, (where, inst, s[f"awards_{inst}"], n)
            assert rec["paid"][inst, "prize"] == rec["prizes"][inst], (where, inst, "prize paid")
            assert rec["paid"][inst, "diffusion"] == rec["scaling"][inst], (where, inst, "scaling paid")
        if rec["ended"]:
            assert not math.isnan(s["abort_share"]), f"{where}: funded projects ended, share undefined"
            assert s["abort_share"] == pytest.approx(rec["aborted"] / rec["ended"]), where
        else:
            assert math.isnan(s["abort_share"]), where
