"""The scheme builder without a browser (issue 19): saved schemes and the built file.

What they pin: a saved scheme is a file ``load_scenario`` and ``simpolicy validate`` accept;
names are reduced to ``[a-z0-9_-]`` and never leave the folder; the size and count limits
hold; nothing invalid is written; the page's problem lines are the CLI's; every instrument
type of the schema gets defaults that validate, and exactly the fields the model reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import builder_model as bm
from dashboard import builder_view as bv
from dashboard.data import Catalogue, label_of
from dashboard.schemes_store import SchemeStore, sanitise
from simpolicy import load_scenario
from simpolicy.scenario.applicability import APPLIES, applies
from simpolicy.scenario.errors import InputError


@pytest.fixture(scope="module")
def denmark():
    return load_scenario("denmark_baseline")


def _draft(name: str, kinds=("co_financing", "diffusion_grant"), changes: dict | None = None) -> dict:
    items = []
    for kind in kinds:
        items.append(bm.new_instrument(kind, [i["id"] for i in items]))
    for (index, field), value in (changes or {}).items():
        items[index][field] = value
    return {"name": name, "population": "denmark_baseline", "instruments": bm.keyed(items), "centre": None}


def _text(draft: dict, pop) -> str:
    return bm.to_yaml(bm.scenario_data(draft, pop))


@pytest.mark.parametrize("raw, safe", [
    ("My Scheme!", "my_scheme"), ("../../etc/passwd", "etc_passwd"), ("a/b\\c", "a_b_c"),
    (".hidden", "hidden"), ("Ørsted café", "rsted_cafe"), ("x" * 300, "x" * 60), ("CO-PI 2025", "co-pi_2025"),
])
def test_names_are_reduced_to_safe_file_names(raw, safe):
    assert sanitise(raw) == safe


@pytest.mark.parametrize("raw", ["", "   ", "___", "..", "/", "ÆØ", None])
def test_a_name_without_letters_or_digits_is_refused(raw):
    with pytest.raises(InputError, match="letters or digits"):
        sanitise(raw)


def test_a_saved_scheme_round_trips_through_load_scenario_validate_and_the_catalogue(tmp_path, denmark):
    store = SchemeStore(tmp_path / "schemes")
    ref, replaced = store.save("Round Trip", _text(_draft("round_trip"), denmark))
    assert (ref, replaced) == ("saved:round_trip", False)
    path = tmp_path / "schemes" / "round_trip.yaml"
    sc = load_scenario(path)
    assert sc.name == "round_trip" and sc.population == denmark.population
    assert [i.type for i in sc.scheme.instruments] == ["co_financing", "diffusion_grant"]
    from simpolicy.cli.catalogue import validate_file

    validate_file(str(path))  # what `simpolicy validate` runs: raises on any problem
    cat = Catalogue(store)
    assert "saved:round_trip" in cat.refs() and label_of("saved:round_trip") == "round_trip (saved)"
    assert cat.load("saved:round_trip", {"horizon_years": 2}).horizon_years == 2
    assert store.save("round_trip", _text(_draft("round_trip", ("pcp",)), denmark))[1] is True


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_written(tmp_path, denmark):
    store = SchemeStore(tmp_path, max_bytes=2_000)
    with pytest.raises(InputError, match="more than the 2,000"):
        store.save("big", _text(_draft("big"), denmark))
    assert list(tmp_path.iterdir()) == []


def test_the_count_limit_refuses_a_new_name_but_not_a_replacement(tmp_path, denmark):
    store = SchemeStore(tmp_path, max_count=2)
    for name in ("one", "two"):
        store.save(name, _text(_draft(name), denmark))
    with pytest.raises(InputError, match="2 schemes are saved already"):
        store.save("three", _text(_draft("three"), denmark))
    assert store.save("two", _text(_draft("two", ("prize",)), denmark)) == ("saved:two", True)
    assert store.names() == ["one", "two"]


def test_names_never_leave_the_folder(tmp_path, denmark):
    root = tmp_path / "schemes"
    store = SchemeStore(root)
    ref, _ = store.save("../escape", _text(_draft("escape"), denmark))
    assert ref == "saved:escape" and [p.name for p in tmp_path.rglob("*.yaml")] == ["escape.yaml"]
    (tmp_path / "outside.yaml").write_text(_text(_draft("outside"), denmark))
    for bad in ("saved:../outside", "saved:/etc/passwd", "saved:a/b", "saved:", "saved:.x", "saved:OUTSIDE"):
        with pytest.raises(InputError, match="not the name of a saved scheme"):
            Catalogue(store).load(bad)
    os.symlink(tmp_path / "outside.yaml", root / "linked.yaml")
    (root / "Odd Name.yaml").write_text("name: x")
    assert store.names() == ["escape"]  # neither the link nor an unsafe name is offered


def test_an_invalid_scheme_is_not_saved_and_the_name_must_match(tmp_path, denmark):
    store = SchemeStore(tmp_path)
    with pytest.raises(InputError) as e:
        store.save("bad", _text(_draft("bad", changes={(0, "rate"): 1.5}), denmark))
    assert str(e.value.problems[0]).startswith("bad.yaml:")
    with pytest.raises(InputError, match="the scenario is named 'other'"):
        store.save("mine", _text(_draft("other"), denmark))
    assert list(tmp_path.iterdir()) == []


def test_the_page_problem_lines_are_what_simpolicy_validate_prints(tmp_path, denmark):
    draft = _draft("lines", changes={(0, "rate"): 1.5, (1, "max_grant_eur"): -5})
    text = _text(draft, denmark)
    with pytest.raises(InputError) as e:
        bm.check(text, "lines.yaml")
    page = [str(p) for p in e.value.problems]
    (tmp_path / "lines.yaml").write_text(text)
    exe = Path(sys.executable).with_name("simpolicy")
    cli = subprocess.run([str(exe), "validate", "lines.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert cli.returncode == 2
    assert page == cli.stderr.strip().splitlines() and len(page) == 2
    number = int(page[0].split(":")[1])
    assert text.splitlines()[number - 1].strip() == "rate: 1.5"


@pytest.mark.parametrize("kind", [*bm.instrument_types(), bm.CENTRE])
def test_every_type_of_the_schema_gets_defaults_that_validate(kind, denmark):
    draft = {"name": "one_type", "population": "denmark_baseline", "instruments": [], "centre": None}
    if kind == bm.CENTRE:
        draft["centre"] = bm.new_instrument(kind, [])
    else:
        draft["instruments"] = bm.keyed([bm.new_instrument(kind, [])])
    sc = bm.check(_text(draft, denmark), "one_type.yaml")
    assert sc.scheme.offers_anything
    assert bm.explain(kind) and not bm.explain(kind).startswith(kind.replace("_", " "))


@pytest.mark.parametrize("kind", bm.instrument_types())
def test_each_type_edits_exactly_the_fields_the_model_reads(kind):
    shown = {s.name for s in bm.fields_for(kind)}
    expected = {f for f in bm.Instrument.model_fields if f != "type" and applies(f, kind)}
    assert shown == expected
    assert all(s.label and not s.label.startswith("_") for s in bm.fields_for(kind))
    assert {o["value"] for o in bv.type_options()} == {*bm.instrument_types(), bm.CENTRE}
    assert set(APPLIES) <= set(bm.LABELS)  # a new field reads from its description until labelled here


def test_edits_land_on_their_own_instrument_after_one_above_is_removed(denmark):
    draft = _draft("keys", ("co_financing", "pcp", "prize"))
    draft["instruments"] = [i for i in draft["instruments"] if i["type"] != "co_financing"]
    ids = [{"type": bv.FIELD, "key": k, "field": f}
           for k, f in (("i1", "rate"), ("i2", "prize_eur"), ("i1", "down_selection"))]
    merged = bm.merge(draft, ids, [0.7, 80_000, "3, 2"])
    pcp, prize = merged["instruments"]
    assert (pcp["rate"], pcp["down_selection"], prize["prize_eur"]) == (0.7, [3, 2], 80_000)
    added = bm.keyed([*merged["instruments"], bm.new_instrument("pcp", ["pcp", "prize"])])
    assert added[-1]["id"] == "pcp_2" and len({i["_key"] for i in added}) == 3


def test_money_and_shares_read_as_the_rest_of_the_dashboard(denmark):
    assert bv.echo(2_000_000, "EUR") == "= EUR 2.0 m" and bv.echo(0.5, "share") == "= 50 %"
    assert bv.echo(None, "EUR") == "" and bv.echo(4, "calls") == ""
    draft = _draft("money", changes={(0, "annual_budget_eur"): 2_000_000})
    sc = bm.check(_text(draft, denmark), "money.yaml")
    from dashboard.pages.builder import plain

    assert "EUR 2.0 m a year" in plain(sc) and "Population: denmark" in plain(sc)


def _controls(component):
    """Every field control of a rendered card, as the browser would send them back."""
    cid = getattr(component, "id", None)
    if isinstance(cid, dict) and cid.get("type") == bv.FIELD:
        yield cid, getattr(component, "value", None)
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _controls(child)


@pytest.mark.parametrize("kind", [*bm.instrument_types(), bm.CENTRE])
def test_a_card_sent_back_untouched_is_the_same_valid_instrument(kind, denmark):
    """Every control's first value reads back as the value it shows: a field the view cannot
    show (a new kind in the schema) must not turn a valid instrument into an invalid one."""
    draft = {"name": "untouched", "population": "denmark_baseline", "instruments": [], "centre": None}
    if kind == bm.CENTRE:
        draft["centre"] = bm.new_instrument(kind, [])
    else:
        draft["instruments"] = bm.keyed([bm.new_instrument(kind, [])])
    cards = bv.editor(draft, sorted(denmark.population.themes))
    found = [c for card in cards for c in _controls(card)]
    assert {cid["field"] for cid, _ in found} == {s.name for s in bm.fields_for(kind)}
    merged = bm.merge(draft, [c for c, _ in found], [v for _, v in found])
    assert _text(merged, denmark) == _text(draft, denmark)
    bm.check(_text(merged, denmark), "untouched.yaml")


def test_lists_of_lists_and_unknown_kinds_are_typed_as_text_and_read_back():
    rounds = next(s for s in bm.fields_for("co_financing") if s.name == "call_themes")
    assert rounds.kind == "rounds"
    assert bm.normalise(rounds, "energy, it; health") == [["energy", "it"], ["health"]]
    assert bv.as_text("rounds", [["energy", "it"], ["health"]]) == "energy, it; health"
    odd = bm.FieldSpec("odd", "yaml", "Odd", "", "", None, None, default=[])
    assert bm.normalise(odd, "{a: [1, 2]}") == {"a": [1, 2]} and bm.normalise(odd, "") == []
    assert bm.normalise(odd, "[unclosed") == "[unclosed"  # left for validation to name
