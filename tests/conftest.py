"""Shared fixtures: bundled scenarios at short horizons so the suite stays fast."""

from __future__ import annotations

import pytest

from simpolicy import load_scenario
from simpolicy.scenario.loader import bundled_names, with_sets

SCENARIOS = bundled_names()


def short(name: str, years: float = 2, **sets):
    """A bundled scenario at a short horizon with optional overrides (dots as __)."""
    overrides = {"horizon_years": years, **{k.replace("__", "."): v for k, v in sets.items()}}
    return with_sets(load_scenario(name), overrides)


@pytest.fixture(scope="session")
def flanders_short():
    return short("flanders", 3)
