"""Verification properties that must hold for every scenario (patterns.md).

Money is conserved and every grant respects its instrument's caps and co-funding rate; a
scheme with no money and no services equals its counterfactual run by run; more budget
never lowers the expected number of funded projects.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simpolicy import simulate
from tests.conftest import SCENARIOS, short

FUNDED = [s for s in SCENARIOS if s not in ("denmark_baseline", "netherlands")]


# Money conservation and caps over every scenario and many seeds: tests/test_reliability_money.py


def _no_money(name):
    sc = short(name, 3)
    instruments = [i.model_copy(update={"annual_budget_eur": 0.0 if i.annual_budget_eur is not None
                                        else None, "total_budget_eur": 0.0 if i.total_budget_eur
                                        is not None else None, "processes_per_year": 0.0})
                   for i in sc.scheme.instruments]
    scheme = sc.scheme.model_copy(update={"instruments": instruments, "competence_centre": None})
    return sc.model_copy(update={"scheme": scheme})


@pytest.mark.parametrize("name", FUNDED)
def test_zero_budget_scheme_equals_counterfactual(name):
    empty = _no_money(name)
    for seed in (0,):
        a = simulate(empty, seed).summary
        b = simulate(empty.without_scheme(), seed).summary
        for k, v in b.items():
            assert (a[k] == v) or (math.isnan(a[k]) and math.isnan(v)), k
        assert all(a[k] == 0 for k in a if k.startswith(("applications_", "awards_")))


def _scaled(name, factor):
    sc = short(name, 3)
    instruments = [i.model_copy(update={
        "annual_budget_eur": None if i.annual_budget_eur is None else i.annual_budget_eur * factor,
        "total_budget_eur": None if i.total_budget_eur is None else i.total_budget_eur * factor})
        for i in sc.scheme.instruments]
    return sc.model_copy(update={"scheme": sc.scheme.model_copy(update={"instruments": instruments})})


def _mean_funded(sc, seeds=range(4)):
    return sum(simulate(sc, s).summary["projects_funded"] for s in seeds) / len(seeds)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["flanders", "austria", "lithuania", "estonia"]),
       factor=st.floats(min_value=0.0, max_value=0.9))
def test_more_budget_never_lowers_funded_projects(name, factor):
    assert _mean_funded(_scaled(name, factor)) <= _mean_funded(_scaled(name, 1.0)) + 1e-9
