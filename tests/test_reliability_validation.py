"""Validation that refuses what cannot be meant (issue 16, items 5 and 6).

Each case is one edit of a bundled scenario that used to validate silently (the value was
coerced, read as YAML 1.1, or crashed or did nothing when run). Now ``simpolicy validate``
exits 2 with ``FILE:LINE: field.path: message`` lines naming the field. Flags no one can
mean exit 2 with one line. Edits that stay valid (boundaries) must also run: "validates"
implies "runs", checked for one month of each. A run that fails says why, in the table's
stderr and in ``--json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simpolicy.cli.main import main
from simpolicy.core import simulate
from simpolicy.scenario.loader import load_scenario, with_sets

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "scenarios" / "lithuania.yaml").read_text()
pytestmark = pytest.mark.timeout(300)

# (old text, new text, field path expected in the message, words expected in it)
REFUSED = {
    "count_text": ("count: 44 ", 'count: "44" ', "population.buyers.0.count", "got text"),
    "count_bool": ("count: 44 ", "count: true ", "population.buyers.0.count", "boolean"),
    "rate_bool": ("rate: 0.9 ", "rate: true ", "scheme.instruments.0.rate", "boolean"),
    "bool_number": ("small: true", "small: 1", "population.buyers.1.small", "true or false"),
    "sexagesimal": ("count: 44 ", "count: 1:30 ", "population.buyers.0.count", "YAML 1.1"),
    "octal": ("count: 44 ", "count: 010 ", "population.buyers.0.count", "YAML 1.1"),
    "underscore": ("count: 44 ", "count: 4_4 ", "population.buyers.0.count", "YAML 1.1"),
    "yes_key": ("it: 0.24", "yes: 0.24", "population.themes", "YAML 1.1"),
    "budget_huge": ("rate: 0.9 ", "rate: 0.9\n      annual_budget_eur: 1.0e+308 ",
                    "scheme.instruments.0.annual_budget_eur", "1e+12"),
    "buyer_budget_huge": ("mean: 160000,", "mean: 5.0e+15,", "innovation_budget_eur.mean", "1e+12"),
    "theme_share_huge": ("it: 0.24", "it: 1.0e+308", "population.themes.it", "relative weights"),
    "phases_empty": ("phases: [development]", "phases: []", "scheme.instruments.0.phases", "at least one"),
    "phases_twice": ("phases: [development]", "phases: [development, development]",
                     "scheme.instruments.0.phases", "twice"),
    "phases_order": ("phases: [development]", "phases: [development, preparation]",
                     "scheme.instruments.0.phases", "order"),
    "down_selection_grows": ("down_selection: [3, 2]", "down_selection: [2, 3]",
                             "scheme.instruments.0.down_selection.1", "never grows"),
    "theme_not_in_population": ("phases: [development]", "phases: [development]\n      themes: [space]",
                                "scheme.instruments.0.themes.0", "not one of the population"),
    "office_share_one": ("rate: 0.9 ", "rate: 0.9\n      project_office_share: 1.0 ",
                         "scheme.instruments.0.project_office_share", "below 1"),
    "theme_case": ("it: 0.24", "it: 0.24\n    IT: 0.1", "population.themes.IT", "case"),
    "theme_width": ("it: 0.24", "it: 0.24\n    \uff49\uff54: 0.1", "population.themes", "case or form"),
    "key_nul": ("it: 0.24", '"i\\0t": 0.24', "population.themes", "U+0000"),
    "key_esc": ("it: 0.24", '"i\\et": 0.24', "population.themes", "U+001B"),
    "name_rtl": ("name: lithuania", 'name: "lith\\u202euania"', "name", "U+202E"),
    "duplicate_key": ("count: 44 ", "count: 44\n      count: 45 ", "population.buyers.0.count",
                      "duplicate key"),
    "buyers_many": ("count: 44 ", "count: 99999 ", "population.buyers", "buyers in all"),
}


def _write(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    if new.startswith("count: 99999"):  # three groups of 99,999: 300,000 buyers from a few bytes
        text = re.sub(r"count: \d+  # of 60 municipalities", "count: 99999  #", text)
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_file_line_and_field(case, tmp_path, capsys):
    old, new, where, words = REFUSED[case]
    path = _write(tmp_path, old, new)
    capsys.readouterr()
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert out.out == "" and lines, out
    assert all(re.match(rf"^{re.escape(str(path))}:\d+: \S.*: .+", line) for line in lines), lines
    assert any(where in line and words in line for line in lines), lines


def test_a_scheme_whose_every_instrument_opens_after_the_horizon_is_refused():
    from simpolicy.scenario.errors import InputError

    sc = load_scenario("flanders")  # no competence centre: the instruments are all it has
    late = {f"scheme.instruments.{i.id}.{k}": 900 for i in sc.scheme.instruments
            for k in ("start_month", "end_month")}
    with pytest.raises(InputError, match="no instrument opens within the horizon"):
        with_sets(sc, late)


def test_aliases_that_multiply_buyers_are_refused(tmp_path, capsys):
    """13.5 kB of aliased groups made 100,000,000 buyers; the count is checked after aliases."""
    group = BASE.split("  buyers:\n", 1)[1].split("    - type: municipality_small", 1)[0]
    anchored = group.replace("    - type: municipality_large", "    - &g\n      type: municipality_large", 1)
    anchored = anchored.replace("count: 44 ", "count: 90000 ", 1)
    text = BASE.replace(group, anchored + "    - *g\n" * 5, 1)
    path = tmp_path / "alias.yaml"
    path.write_text(text)
    capsys.readouterr()
    assert main(["validate", str(path)]) == 2
    assert "buyers in all" in capsys.readouterr().err


def test_yaml_12_readings_are_kept(tmp_path):
    """What YAML 1.1 read as text and 1.2 as a number is read as 1.2 does (1.0e6 is a million)."""
    path = _write(tmp_path, "rate: 0.9 ", "rate: 0.9\n      annual_budget_eur: 1.0e6 ")
    sc = load_scenario(str(path))
    assert sc.scheme.instruments[0].annual_budget_eur == 1e6


def test_bundled_scenarios_still_load():
    from simpolicy.scenario.loader import bundled_names

    for name in bundled_names():
        load_scenario(name)


@pytest.mark.parametrize("flag", [["--years", "0"], ["--workers", "0"], ["--workers", "-3"],
                                  ["--reps", "0"], ["--seed", "-1"], ["--years", "nan"],
                                  ["--reps", "many"]])
def test_flags_no_one_can_mean_exit_2(flag, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "lithuania", *flag])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error: argument" in err[0] and flag[0] in err[0]


def test_sweep_flags_are_checked_too(capsys):
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(ROOT / "scenarios" / "sweeps" / "copi_design.yaml"), "--workers", "0"])
    assert e.value.code == 2


def test_set_values_are_read_as_yaml_12():
    assert load_scenario("lithuania", ["scheme.instruments.pcp_lt.start_month=0o10"]) \
        .scheme.instruments[0].start_month == 8
    with pytest.raises(Exception, match="YAML 1.1"):
        load_scenario("lithuania", ["scheme.instruments.pcp_lt.start_month=010"])


# Boundary edits that stay valid must run (one month each): "validates" implies "runs".
ACCEPTED = [
    {"scheme.instruments.pcp_lt.rate": 1.0}, {"scheme.instruments.pcp_lt.rate": 0.0},
    {"scheme.instruments.pcp_lt.project_office_share": 0.99,
     "scheme.instruments.pcp_lt.min_supplier_share": 0.0},
    {"population.buyers.0.count": 0}, {"population.suppliers.0.count": 0},
    {"scheme.instruments.pcp_lt.down_selection": [3, 3]},
    {"scheme.instruments.pcp_lt.competing_suppliers": 1, "scheme.instruments.pcp_lt.down_selection": []},
    {"scheme.instruments.pcp_lt.annual_budget_eur": 1e12},
    {"population.themes": {"it": 1e6, "health": 1e-9}},
    {"scheme.instruments.pcp_lt.themes": ["it"]},
    {"scheme.instruments.pcp_lt.start_month": 0, "scheme.instruments.pcp_lt.end_month": 0},
]


@pytest.mark.parametrize("sets", ACCEPTED, ids=lambda s: ",".join(k.rsplit(".", 1)[-1] for k in s))
def test_accepted_edges_run_one_month(sets):
    sc = with_sets(load_scenario("lithuania"), {"horizon_years": 1 / 12, **sets})
    res = simulate(sc, 0)
    assert res.meta["steps"] == 1


def test_a_failed_run_says_why_in_the_table_and_json(monkeypatch, capsys, tmp_path):
    """Before: a table of '-' and ``"failed": 1``; the reason was in the results only."""
    import simpolicy.experiments.replicate as rep

    real = rep.simulate

    def flaky(scenario, seed):
        if seed == 1:
            raise ZeroDivisionError("float division by zero")
        return real(scenario, seed)

    monkeypatch.setattr(rep, "simulate", flaky)
    monkeypatch.chdir(tmp_path)
    args = ["run", "lithuania", "--reps", "2", "--years", "0.25", "--workers", "1", "--no-save"]
    assert main([*args, "--json"]) == 1
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert doc["failed"] == 1
    assert doc["errors"][0]["error"] == "ZeroDivisionError: float division by zero"
    assert doc["errors"][0]["seeds"] == [1]
    assert main(args) == 1
    assert "ZeroDivisionError: float division by zero" in capsys.readouterr().err
