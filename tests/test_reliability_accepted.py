""""Validates" implies "runs": every accepted edit of a bundled scenario runs (issue 16).

The input suite proves that what cannot be meant is refused; this is its other half. Files
that validated and then failed inside the model (``project_office_share: 1`` dividing by
zero, every buyer count 0, ``phases: []``) were the worst kind of error: the user was told
the file is fine, then got a table of "-". Here hypothesis edits the bundled scenarios the
way an analyst does, and every edit that ``validate`` accepts is run for one month (twelve
in the nightly profile) with its counterfactual, as ``simpolicy run`` would. It must finish,
with no infinite outcome. Edits that are refused are fine (their lines are the input suite's
job); the share of accepted ones is reported with ``--hypothesis-show-statistics``.

Edit families, one to three per case:
- a number set to a boundary (0, 1, 1e-9, 0.5, 0.999, EUR 1e12) or scaled (x10, /10, x1000),
  ints kept as ints;
- one field set to the same value everywhere it occurs (every ``count`` 0, every ``rate`` 1):
  how a user zeroes a population or maxes a scheme;
- a list item dropped or duplicated, or the list emptied (groups, instruments, phases,
  down-selections, themes);
- an optional field deleted (its default must run too);
- a boolean flipped; a text replaced by another text of the same field found in any file
  (another instrument type, another theme).
"""

from __future__ import annotations

import copy
import math
from functools import cache

from hypothesis import event, given
from hypothesis import strategies as st

from simpolicy.core import simulate
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.loader import scenario_from_data
from simpolicy.scenario.schema import Scenario
from tests.test_reliability_inputs import (
    NIGHTLY,
    SCENARIO_FILES,
    _base,
    _delete,
    _get,
    _set,
    cases,
    is_number,
    required_paths,
    walk,
)

MONTHS = 12 if NIGHTLY else 1
FILES = [str(p) for p in SCENARIO_FILES]
FLOATS = (0.0, 0.0, 1.0, 1e-9, 0.5, 0.999, 1e12, "x10", "/10", "x1000")
INTS = (0, 0, 1, 2, "x10", "/10", "x1000")
KINDS = ("number", "number", "everywhere", "everywhere", "drop_item", "duplicate_item",
         "empty_list", "drop_optional", "flip_bool", "other_text")


def _name(path: tuple):
    """The field a leaf belongs to: its key, or the key of its list."""
    return next((p for p in reversed(path) if isinstance(p, str)), "")


@cache
def _texts() -> dict[str, tuple[str, ...]]:
    """Every text value of each field name across the bundled files (replacements to draw)."""
    found: dict[str, set[str]] = {}
    for f in FILES:
        for p, v in walk(_base(f)):
            if isinstance(v, str) and _name(p) not in ("name", "description", "source", "country"):
                found.setdefault(_name(p), set()).add(v)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def _value(draw, old):
    choice = draw(st.sampled_from(INTS if isinstance(old, int) else FLOATS))
    if isinstance(choice, str):
        factor = {"x10": 10, "/10": 0.1, "x1000": 1000}[choice]
        return max(0, round(old * factor)) if isinstance(old, int) else old * factor
    return choice


def _edit(draw, doc: dict, kind: str) -> str:
    """Applies one edit of `kind` in place; returns what it did (or "" if nothing fitted)."""
    nodes = list(walk(doc))
    if kind in ("number", "everywhere"):
        numbers = [(p, v) for p, v in nodes if is_number(v)]
        if not numbers:
            return ""
        name = draw(st.sampled_from(sorted({str(_name(p)) for p, _ in numbers})))
        where = [(p, v) for p, v in numbers if str(_name(p)) == name]
        if kind == "number":
            where = [draw(st.sampled_from(where))]
        value = _value(draw, where[0][1])
        for p, v in where:
            _set(doc, p, value if isinstance(v, float) or not isinstance(value, float) else v)
        return f"{kind} {name}={value}"
    if kind in ("drop_item", "duplicate_item", "empty_list"):
        lists = [p for p, v in nodes if isinstance(v, list) and v]
        if not lists:
            return ""
        p = draw(st.sampled_from(lists))
        items = _get(doc, p)
        if kind == "empty_list":
            items.clear()
        elif kind == "drop_item":
            del items[draw(st.integers(0, len(items) - 1))]
        else:
            items.append(copy.deepcopy(items[draw(st.integers(0, len(items) - 1))]))
        return f"{kind} {'.'.join(map(str, p))}"
    if kind == "drop_optional":
        required = set(required_paths(Scenario, doc))
        optional = [p for p, _ in nodes if isinstance(p[-1], str) and p not in required]
        if not optional:
            return ""
        p = draw(st.sampled_from(optional))
        _delete(doc, p)
        return f"drop {'.'.join(map(str, p))}"
    if kind == "flip_bool":
        flags = [(p, v) for p, v in nodes if isinstance(v, bool)]
        if not flags:
            return ""
        p, v = draw(st.sampled_from(flags))
        _set(doc, p, not v)
        return f"flip {'.'.join(map(str, p))}"
    texts = [(p, v) for p, v in nodes if isinstance(v, str) and len(_texts().get(_name(p), ())) > 1]
    if not texts:
        return ""
    p, v = draw(st.sampled_from(texts))
    new = draw(st.sampled_from([t for t in _texts()[_name(p)] if t != v]))
    _set(doc, p, new)
    return f"text {'.'.join(map(str, p))}={new}"


@st.composite
def edited(draw):
    path = draw(st.sampled_from(FILES))
    doc = copy.deepcopy(_base(path))
    done = [_edit(draw, doc, draw(st.sampled_from(KINDS))) for _ in range(draw(st.integers(1, 3)))]
    return path, doc, [d for d in done if d]


@cases(ci=300, nightly=2000)
@given(case=edited(), seed=st.integers(0, 3))
def test_every_accepted_edit_runs(case, seed):
    path, doc, done = case
    try:
        scenario = scenario_from_data(doc, {}, path, {})
    except InputError as e:
        assert all("\n" not in str(p) for p in e.problems)
        event("refused")
        return
    event("accepted")
    short = scenario.model_copy(update={"horizon_years": MONTHS / 12})
    try:
        res = simulate(short, seed)
    except Exception as e:  # noqa: BLE001 - the point: name the edit that validated but failed
        raise AssertionError(f"{path} with {done} validated but failed at seed {seed}: "
                             f"{type(e).__name__}: {e}") from e
    assert res.meta["steps"] == MONTHS
    infinite = {k: v for k, v in res.summary.items() if isinstance(v, float) and math.isinf(v)}
    assert not infinite, f"{path} with {done}: infinite outcomes {infinite}"
