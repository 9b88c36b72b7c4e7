"""The command line end to end, as a user's scripts rely on it (design.md's contract)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SP = [sys.executable, "-m", "simpolicy.cli.main"]
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<path>[^:]*): (?P<msg>.+)$")


def cli(*args, timeout=300):
    return subprocess.run([*SP, *args], capture_output=True, text=True, timeout=timeout)


def assert_clean_error(r, filename: str):
    """Exit 2, only FILE:LINE: field: message lines naming the file, no traceback."""
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert lines and all(LINE.match(x) for x in lines), r.stderr
    assert all(filename in x for x in lines)
    return lines


def test_list_json_names_every_bundled_scenario():
    r = cli("list", "--json")
    names = {s["name"] for s in json.loads(r.stdout)["scenarios"]}
    assert {"flanders", "denmark_baseline", "uk_sbri"} <= names


def test_validate_accepts_bundled_files():
    files = [str(p) for p in Path("scenarios").glob("*.yaml")]
    assert cli("validate", *files).returncode == 0


@pytest.fixture
def flanders_text():
    return Path("scenarios/flanders.yaml").read_text()


@pytest.mark.parametrize("edit, field, words", [
    (("horizon_years", "horizon_yeers"), "horizon_yeers", "did you mean 'horizon_years'"),
    (("rate: 0.5", "rate: lots"), "rate", "number"),
    (("rate: 0.5", "rate: 7"), "rate", "less than or equal"),
    (("count: 5 ", "count: -5 "), "count", "greater than or equal"),
    (("annual_budget_eur: 300000", "annual_budget_eur: .nan"), "annual_budget_eur", ""),
    # a share above 1 is refused, not clamped to 1 behind the user's back
    (("capability: {mean: 0.65,", "capability: {mean: 6.5,"), "capability.mean", "less than or equal"),
])
def test_bad_fields_are_located(tmp_path, flanders_text, edit, field, words):
    bad = tmp_path / "bad.yaml"
    assert edit[0] in flanders_text
    bad.write_text(flanders_text.replace(edit[0], edit[1], 1))
    lines = assert_clean_error(cli("validate", str(bad)), "bad.yaml")
    hits = [x for x in lines if field in x and words in x]
    assert hits, lines
    wrong_line = bad.read_text().splitlines()[int(LINE.match(hits[0])["line"]) - 1]
    assert edit[1] in wrong_line  # the line named is the line that is wrong


def test_a_duplicate_key_is_refused_at_its_second_line(tmp_path, flanders_text):
    """YAML keeps the last of two equal keys without a word; a scenario file must not."""
    bad = tmp_path / "dup.yaml"
    bad.write_text(flanders_text.replace("horizon_years:", "horizon_years: 3\nhorizon_years:", 1))
    lines = assert_clean_error(cli("validate", str(bad)), "dup.yaml")
    first = bad.read_text().splitlines().index("horizon_years: 3") + 1
    assert any(f"horizon_years: duplicate key (first on line {first})" in x
               and LINE.match(x)["line"] == str(first + 1) for x in lines), lines


def test_missing_field_and_invalid_yaml(tmp_path, flanders_text):
    missing = tmp_path / "missing.yaml"
    missing.write_text(re.sub(r"^country:.*\n", "", flanders_text, flags=re.M))
    lines = assert_clean_error(cli("validate", str(missing)), "missing.yaml")
    assert any("country: required field is missing" in x for x in lines)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n  horizon_years: : :\n")
    assert_clean_error(cli("run", str(broken)), "broken.yaml")


def test_yaml_tags_execute_nothing(tmp_path, flanders_text):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(flanders_text + f"\nx: !!python/object/apply:os.system ['touch {marker}']\n")
    assert_clean_error(cli("run", str(evil), "--reps", "1"), "evil.yaml")
    assert not marker.exists()


def test_bad_set_override_is_a_clean_error():
    r = cli("run", "flanders", "--set", "scheme.instruments.nope.rate=0.2", "--no-save")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "nope" in r.stderr


def test_run_json_has_intervals_and_is_reproducible(tmp_path):
    args = ("run", "austria", "--reps", "3", "--seed", "4", "--json", "--out", str(tmp_path / "r"))
    a, b = cli(*args), cli(*args[:-1], str(tmp_path / "r2"))  # one --out holds one result
    assert a.returncode == 0, a.stderr
    out = json.loads(a.stdout)
    assert out["reps"] == 3
    assert {"mean", "p05", "p95"} <= set(out["outcomes"]["adopters"])
    assert json.loads(b.stdout)["outcomes"] == out["outcomes"]
    assert (tmp_path / "r" / "manifest.json").exists()
    assert list((tmp_path / "r" / "parts").glob("part-*.parquet"))


def test_compare_on_one_population_reports_differences():
    r = cli("compare", "flanders", "austria", "--population", "denmark_baseline", "--reps", "2",
            "--set", "horizon_years=2", "--json", "--no-save")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out["scenarios"]) == {"flanders@denmark_baseline", "austria@denmark_baseline"}
    for s in out["scenarios"].values():
        assert "difference" in s and "adopters" in s["difference"]


def test_compare_table_is_readable():
    r = cli("compare", "estonia", "lithuania", "--reps", "2", "--set", "horizon_years=2", "--no-save")
    assert r.returncode == 0 and "per 100 buyers" in r.stdout and "projects_funded" in r.stdout


def test_unknown_scenario_is_bad_input():
    r = cli("run", "atlantis", "--no-save")
    assert r.returncode == 2 and "no such scenario" in r.stderr


def test_a_mean_of_fewer_runs_says_how_many():
    """An outcome undefined in some runs (cost per additional adopter where a scheme added
    none) is the mean of the others: the cell must say of how many, in both tables."""
    from simpolicy.cli.render import interval_cells
    from simpolicy.cli.runs import _cell
    from simpolicy.experiments.stats import interval

    one = interval([8.9e6, float("nan"), float("nan"), float("nan")])
    assert _cell(one, 4).endswith("(1 of 4 runs)")
    assert interval_cells(one, 4)[1].endswith("(1 of 4 runs)")
    every = interval([1.0, 2.0, 3.0, 4.0])
    assert "runs)" not in _cell(every, 4) and "runs)" not in interval_cells(every, 4)[1]
