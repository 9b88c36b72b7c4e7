"""Every bundled scenario loads, validates, encodes its sources, and runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from simpolicy import load_scenario, simulate
from simpolicy.outcomes import OUTCOMES
from simpolicy.scenario.jsonschema import scenario_json_schema
from tests.conftest import SCENARIOS, short

CONTRACT = {"denmark_baseline", "denmark_copi_proposal", "norway", "sweden", "finland", "flanders",
            "austria", "estonia", "estonia_2023", "spain", "lithuania", "netherlands", "uk_sbri"}


def test_all_contract_scenarios_are_bundled():
    assert CONTRACT <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_cites_sources_and_runs(name):
    sc = load_scenario(name)
    assert sc.source.startswith("docs/sources.md#")
    anchor = sc.source.split("#", 1)[1].split()[0]
    headings = [line[3:].strip().lower().replace(" ", "-")
                for line in Path("docs/sources.md").read_text().splitlines() if line.startswith("## ")]
    assert anchor in headings
    for inst in sc.scheme.instruments:
        assert inst.source, f"{name}: instrument {inst.id} cites no source"
    res = simulate(short(name, 1), seed=3)
    assert set(OUTCOMES) <= set(res.summary)
    assert len(res.timeseries) == 12
    assert all(isinstance(v, float) for v in res.summary.values())


def test_denmark_scenarios_share_one_population():
    a, b = load_scenario("denmark_baseline"), load_scenario("denmark_copi_proposal")
    assert a.population == b.population


def test_json_schema_file_is_current():
    on_disk = json.loads(Path("scenarios/schema.json").read_text())
    assert on_disk == json.loads(json.dumps(scenario_json_schema()))


def test_baseline_funds_nothing_and_defines_no_funded_shares():
    res = simulate(short("denmark_baseline", 2), seed=1)
    assert res.summary["projects_funded"] == 0
    assert math.isnan(res.summary["abort_share"])  # undefined, not zero
    assert res.summary["adopters"] > 0  # buyers still innovate with their own money


def test_behaviour_file_is_complete_and_matches_the_defaults():
    import yaml

    from simpolicy.scenario.behaviour import Behaviour

    data = yaml.safe_load(Path("scenarios/behaviour.yaml").read_text())
    assert set(data) == set(Behaviour.model_fields)  # one shared file holds every parameter
    assert Behaviour(**data) == Behaviour()
