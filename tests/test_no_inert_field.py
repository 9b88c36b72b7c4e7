"""No inert field (issue 15): every scenario field an analyst can change changes an outcome.

A field that changes nothing misleads: an analyst who changes it concludes that the policy
does not matter (follower rights on a co-financing instrument, competing suppliers on the
UK's supplier grant and a population's regions all did nothing before issue 15). The cases
are generated from the schema:

- every Instrument field x every type it applies to (simpolicy/scenario/applicability.py):
  one bundled instrument of that type (its own scenario's, opening at month 0) is put on
  Lithuania's population (the smallest with every kind of buyer and supplier), the field is
  changed by a rule for its kind, and some outcome must move over two seeds;
- every CompetenceCentre, Population (with each BuyerGroup and SupplierGroup field and the
  Dist/Share inside them) and Behaviour field, on Lithuania (which has a centre) or on the
  Danish proposal's scheme (followers, joint processes, scaling grants) on Lithuania.

Rules by kind: booleans flip; choices take the other value; shares (a number within [0, 1])
move far across their range; euros are divided by ten (a cap of 1e12 becomes EUR 20,000, a
zero becomes EUR 500,000, or less where a cap is lower); counts and months move by a step
that matters; lists change (phases lose or gain one, themes become energy only or any,
down-selection appears or goes). Some fields act only together with another (a cap on
internal costs only when they are eligible): ``COMPANIONS`` sets that one in both runs. Metadata (ids, names,
descriptions, sources, ``assumed``) is exempt by the explicit list ``EXEMPT``.

``validate`` refuses a field on a type it means nothing for (last test).
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from simpolicy import load_scenario, simulate
from simpolicy.scenario.applicability import APPLIES, METADATA
from simpolicy.scenario.behaviour import Behaviour
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.loader import scenario_dir, with_sets
from simpolicy.scenario.schema import (
    LOAN_FIELDS,
    PHASES,
    BuyerGroup,
    CompetenceCentre,
    Dist,
    Instrument,
    Merger,
    Population,
    Scenario,
    SupplierGroup,
)

YEARS = 3
SEEDS = (0, 1)
POPULATION = "lithuania"
EXEMPT = {*METADATA, "name", "assumed", "source"}
# BuyerGroup.type and SupplierGroup's labels name groups; what a group is lies in its numbers
# (SupplierGroup.type, sme or large, is a number of the model: it is tested)
EXEMPT_GROUP = {"type"}
TEMPLATES = {  # type -> (bundled scenario, instrument id) whose rules are put on the population
    "co_financing": ("finland", "business_finland"),
    "preparation_grant": ("flanders", "pio_needs_open"),
    "pcp": ("lithuania", "pcp_lt"),
    "purchase_cofinancing": ("austria", "transfer"),
    "innovation_partnership": ("norway", "in_partnership"),
    "joint_process": ("denmark_copi_proposal", "joint_processes"),
    "diffusion_grant": ("denmark_copi_proposal", "scaling_grant"),
    "supplier_grant": ("uk_sbri", "sbri"),
    "prize": ("estonia", "idea_competition"),
}
COMPANIONS = {  # field -> settings without which it cannot act (in both runs)
    "internal_cost_cap_share": {"internal_costs": True},
    "follower_rights": {"max_followers": 10},
    "max_followers": {"follower_rights": True},
    "implementation_plan_weight": {"min_score": 0.5, "selection": "ranked"},
    "innovation_weight": {"min_score": 0.5, "selection": "ranked"},
    "down_selection": {"competing_suppliers": 4},
    "call_themes": {"calls_per_year": 2, "themes": []},
    "total_budget_eur": {"annual_budget_eur": None},
    "annual_budget_eur": {"total_budget_eur": None},
    "paid_to": {"payment_lag_months": 0},  # money to suppliers is paid as phases start
    # a loan's terms act only on a loan (schema.Instrument refuses them on a grant)
    **{f: {"financing": "loan"} for f in LOAN_FIELDS},
}

CASE_COMPANIONS = {  # (field, type) -> settings it needs on that type's template
    # a failed purchase (the tender found nothing) has drawn only the loan's preparation
    # and tender lines: Austria's Transfer pays neither, so it has nothing to repay
    ("repayment_on_failure", "purchase_cofinancing"): {
        "phases": ["preparation", "tender", "purchase", "implementation"]},
}


# --- rules by kind ------------------------------------------------------------------------

def _bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    lo, hi = -math.inf, math.inf
    for m in model.model_fields[name].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return lo, hi


def changes(model: type[BaseModel], name: str, value):
    """Candidate new values for a field, the strongest first (the first valid one is used)."""
    f = model.model_fields[name]
    lo, hi = _bounds(model, name)
    if isinstance(value, bool):
        return [not value]
    if name in ("selection",):
        return ["ranked" if value == "first_come" else "first_come"]
    if name == "financing":
        return ["loan" if value == "grant" else "grant"]
    if name == "paid_to":
        return ["supplier" if value == "buyer" else "buyer"]
    if name == "type" and model is SupplierGroup:
        return ["large" if value == "sme" else "sme"]
    if name in ("type", "into_type") and model is Merger:  # another buyer group
        return [t for t in ("library", "state_agency") if t != value]
    if name == "date" and model is Merger:  # earlier or later in the horizon
        return [d for d in ("2017-03", "2019-01") if d != value]
    if name == "phases":
        if len(value) > 1:
            return [value[-1:], value[:1]]
        extra = "preparation" if "preparation" not in value else "tender"
        return [[p for p in PHASES if p in {*value, extra}]]
    if name == "themes" and model is Instrument:
        return [["energy"] if not value else []]
    if name == "themes":  # the population's theme shares: one theme gets most needs
        return [{k: (10.0 if i == 0 else v) for i, (k, v) in enumerate(value.items())}]
    if name == "call_themes":  # rotating calls: energy, then IT (or back to any theme)
        return [[["energy"], ["it"]]] if not value else [[]]
    if name == "down_selection":
        return [[2] if not value else []]
    if name == "max_extension_months":  # no limit <-> strict (the grant ends at the plan's end)
        return [0] if value is None else [None]
    if name == "calls_per_year":  # open all year <-> one call a year
        return [1] if value == 0 else [0]
    if name in ("start_month", "end_month"):
        return [12] if value in (None, 0) else [0, None]
    if name == "staff_capacity":  # empty is the default by size (1 small, 3 others)
        return [0.5, 0.0, 10.0] if value is None else [None, 0.0]
    if value is None:  # an optional budget
        return [1_000_000.0]
    if name.endswith("_eur"):
        if value >= 1e11:
            return [20_000.0]
        return [value / 10, value / 3, value * 10] if value > 0 else [500_000.0, 50_000.0, 20_000.0, 10_000.0]
    if hi == 1 and isinstance(value, float):  # a share
        far = 1.0 - value if abs(1 - 2 * value) > 0.4 else (0.05 if value >= 0.5 else 0.95)
        ends = [e for e in (lo, hi) if e != value]  # a cap binds only when low, a floor when high
        return [far, (lo + hi) / 2 if value != (lo + hi) / 2 else 0.9, 0.9 if value < 0.9 else 0.1, *ends]
    if f.annotation in (int, "int") or isinstance(value, int):
        up = value * 4 if value else 10
        return [v for v in (up if up <= hi else None, max(lo, value // 4), int(lo) + 1, lo) if v is not None
                and v != value and lo <= v <= hi]
    ups = [value * 3] if value else [1.0, 10.0, 100.0]  # from nothing: small to large
    return [v for v in (*ups, value / 3) if lo <= v <= hi and v != value]


def _same(a: dict, b: dict) -> bool:
    return all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def moves(base: Scenario, changed: Scenario) -> bool:
    """Whether some outcome differs on some seed (stops at the first that does)."""
    return any(not _same(simulate(base, s).summary, simulate(changed, s).summary) for s in SEEDS)


def _build(data: dict, behaviour: dict | None = None, years: int = YEARS) -> Scenario:
    return with_sets(Scenario.model_validate(data), {"horizon_years": years, **{
        f"behaviour.{k}": v for k, v in (behaviour or {}).items()}})


def changed_pairs(data: dict, path: list, model: type[BaseModel], behaviour: dict | None = None):
    """The base scenario and each valid change of the field at ``path`` in ``data``, strongest
    first. A field may act only in part of its range (a saturating effect, a cap that binds
    only when low, a minimum that binds only when high): any valid change that moves an
    outcome shows it is live."""
    base = _build(data, behaviour)
    node = data
    for p in path[:-1]:
        node = node[p]
    tried = 0
    for new in changes(model, path[-1], node[path[-1]]):
        old, node[path[-1]] = node[path[-1]], new
        try:
            changed = _build(data, behaviour)
        except (ValidationError, InputError):
            continue
        finally:
            node[path[-1]] = old
        tried += 1
        yield base, changed
    if not tried:
        pytest.fail(f"no valid change of {'.'.join(map(str, path))} from {node[path[-1]]!r}")


def any_moves(pairs) -> bool:
    """Whether some change in ``pairs`` moves some outcome (stops at the first that does)."""
    return any(moves(base, changed) for base, changed in pairs)


# --- instruments --------------------------------------------------------------------------

@cache
def _population(name: str = POPULATION) -> dict:
    sc = load_scenario(name)
    return sc.model_dump(mode="json", exclude={"behaviour"})


# A joint process gathers buyers whose needs on one challenge arrive within a few months:
# on Lithuania's 120 buyers that almost never makes a group of two, so a process's size
# cap acts only on a larger population (Denmark's).
FIELD_POPULATION = {"buyers_per_process": "denmark_baseline",
                    # a loan's terms move a decision only at its margin, and its repayments
                    # fall due only after projects end: Lithuania's few loans within three
                    # years have neither, Denmark's many have both
                    **{f: "denmark_baseline" for f in LOAN_FIELDS},
                    # named followers act once a funded development is bought: on Lithuania's
                    # few stage-gated SBRI contracts within three years, none may be
                    **{f: "denmark_baseline" for f in ("follower_rights", "max_followers")}}
# one field on one type: since the refit of December 2026 (fewer needs a year) Lithuania's
# buyers seldom send two preparation-grant applications to one call within three years, so
# the order of selection never decides; Denmark's buyers do
CASE_POPULATION = {("selection", "preparation_grant"): "denmark_copi_proposal"}


def _instrument_data(itype: str, field: str, scarce: float = 0.5) -> dict:
    name, inst = TEMPLATES[itype]
    spec = next(i for i in load_scenario(name).scheme.instruments if i.id == inst)
    d = spec.model_dump(mode="json")
    d.update(start_month=0, end_month=None)
    if field == "annual_budget_eur" and d["annual_budget_eur"] is None:
        d["annual_budget_eur"] = d["total_budget_eur"] / 6  # a budget of its own to change
    if field == "total_budget_eur":
        d["total_budget_eur"] = d["total_budget_eur"] or 3 * d["annual_budget_eur"]
    if field == "selection":  # the order of selection matters only when money runs out
        grant = d["max_grant_eur"] if d["max_grant_eur"] < 1e11 else 500_000.0
        d.update(annual_budget_eur=scarce * grant, total_budget_eur=None, calls_per_year=1)
    for k, v in COMPANIONS.get(field, {}).items():
        if k in APPLIES and itype in APPLIES[k]:
            d[k] = v
    d.update(CASE_COMPANIONS.get((field, itype), {}))
    return d


INSTRUMENT_CASES = [(f, t) for f in Instrument.model_fields if f not in EXEMPT
                    for t in APPLIES[f]]
# Cases known to be inert (strict xfail: one that starts to pass fails until taken off).
# Empty since issue 15: selection orders a call's grants, paid_to decides stacking, scaling
# grants reach only buyers who know them; the rest needed a context where they bind.
OPEN: set[str] = set()


def _param(case_id: str, *values):
    marks = [pytest.mark.xfail(strict=True, reason="open: inert or not reached (issue 15)")] \
        if case_id in OPEN else []
    return pytest.param(*values, id=case_id, marks=marks)


def test_every_instrument_field_is_classified():
    """A new Instrument field must be placed in the table (or declared metadata)."""
    assert set(Instrument.model_fields) == set(APPLIES) | set(METADATA)
    assert all(t in TEMPLATES for types in APPLIES.values() for t in types)


@pytest.mark.parametrize("field,itype", [_param(f"{f}-{t}", f, t) for f, t in INSTRUMENT_CASES])
def test_instrument_field_moves_an_outcome(field, itype):
    for scarce in (0.5, 1.5) if field == "selection" else (0.5,):  # one grant or a few a year
        data = dict(_population(CASE_POPULATION.get((field, itype),
                                                    FIELD_POPULATION.get(field, POPULATION))))
        data["scheme"] = {"name": "one instrument", "instruments": [_instrument_data(itype, field, scarce)]}
        if field == "paid_to":  # who is paid decides whether the grant stacks on a buyer's grant
            data["scheme"]["instruments"].append({**_instrument_data("co_financing", "rate"),
                                                  "id": "companion_grant"})
        if any_moves(changed_pairs(data, ["scheme", "instruments", 0, field], Instrument)):
            return
    pytest.fail(f"{field} on a {itype} changes no outcome")


# --- competence centre, population, behaviour ----------------------------------------------

def _leaves(model: type[BaseModel], prefix: list) -> list[tuple[list, type[BaseModel]]]:
    """Every field below a model (group fields on the first group, Dist fields inside)."""
    out = []
    for name, f in model.model_fields.items():
        if name in EXEMPT or (model in (BuyerGroup,) and name in EXEMPT_GROUP):
            continue
        sub = f.annotation
        if isinstance(sub, type) and issubclass(sub, Dist):
            out += [([*prefix, name, k], sub) for k in ("mean", "sd")]
        elif name == "buyers":
            out += _leaves(BuyerGroup, [*prefix, name, 0])
        elif name == "suppliers":
            out += _leaves(SupplierGroup, [*prefix, name, 2])  # a foreign group
        elif name == "mergers":
            out += _leaves(Merger, [*prefix, name, 0])
        else:
            out.append(([*prefix, name], model))
    return out


CENTRE_CASES = _leaves(CompetenceCentre, ["scheme", "competence_centre"])
POPULATION_CASES = _leaves(Population, ["population"])


def _case_id(case) -> str:
    return ".".join(map(str, case[0]))


@pytest.mark.parametrize("case", [_param(_case_id(c), c) for c in CENTRE_CASES + POPULATION_CASES])
def test_centre_and_population_field_moves_an_outcome(case):
    path, model = case
    data = dict(_population())
    behaviour = {}
    if path[-1] == "foreign":
        data["population"] = {**data["population"], "foreign_suppliers_allowed": False}
    if path[-1] == "regions":  # every group in one region, then this one spread
        data["population"] = {**data["population"], "buyers": [
            {**g, "regions": 1} for g in data["population"]["buyers"]]}
    data = _deep(data)
    if "mergers" in path or path[-1] == "year":
        data["population"] = _with_merger(data["population"], path[-1])
    assert any_moves(changed_pairs(data, path, model, behaviour)), f"{_case_id(case)} changes no outcome"


def _with_merger(pop: dict, field: str) -> dict:
    """Lithuania's population as of its scheme's start (2017) with 60 of its 290 schools
    merging into 30 others a year on: dated by ``date`` for that field, else by ``month``
    (which counts from the population's ``year``). Since the refit of December 2026 (fewer
    needs a year) 20 schools into 10 changed nothing the two seeds saw within three years."""
    when = {"date": "2018-01"} if field == "date" else {"month": 12}
    merger = {"type": "school", "merged": 60, "into_type": None, "absorbers": 30, **when}
    return {**pop, "year": 2017, "mergers": [merger]}


def _deep(d):
    return copy.deepcopy(d)


@cache
def _copi_on_population() -> dict:
    sc = load_scenario("denmark_copi_proposal").on_population(load_scenario(POPULATION))
    data = sc.model_dump(mode="json", exclude={"behaviour"})
    data["name"] = "copi_on_lithuania"
    return data


BEHAVIOUR_CASES = [f for f in Behaviour.model_fields]
# A behaviour acts where its mechanism is: the Danish proposal's scheme on Lithuania is tried
# first; these fields act on mechanisms that scheme lacks or that need more than three years,
# so they are tried on the bundled scenario that has the mechanism, over its first six years.
BEHAVIOUR_CONTEXT = {
    "internal_cost_share": "flanders",  # buyer-paid grants over preparation and tender
    "preparation_grant_boost": "flanders",  # preparation grants
    "engagement_share": "flanders",  # grants that cover most of a project
    "full_cover_penalty": "lithuania",  # PCP at 90 %: little own money at stake
    "pilot_wins_retender": "flanders",  # developments completed and bought above the threshold
    "purchase_patience_months": "flanders",  # completed developments waiting for a budget
    "supplier_exit_rate": "lithuania",  # idle firms leave only after supplier_idle_years (3)
    # since the refit of December 2026 (fewer needs a year) these need more than three years
    # of the Danish proposal on Lithuania's buyers to be reached:
    "multi_year_penalty_small": "flanders",  # small buyers weighing multi-year developments
    "staff_relief": "norway",  # joint processes and a centre relieving staff at capacity
    "reference_weight": "flanders",  # firms that delivered bidding again
    "supplier_learning": "flanders",  # firms that delivered winning later tenders (since keyed tender draws)
}
CONTEXT_YEARS = 6


def _behaviour_context(field: str) -> dict:
    name = BEHAVIOUR_CONTEXT.get(field)
    if name is None:
        return _deep(_copi_on_population())
    data = load_scenario(name).model_dump(mode="json", exclude={"behaviour"})
    data["horizon_years"] = min(data["horizon_years"], CONTEXT_YEARS)
    return data


@pytest.mark.parametrize("field", [_param(f, f) for f in BEHAVIOUR_CASES])
def test_behaviour_field_moves_an_outcome(field):
    b = load_scenario(POPULATION).behaviour.model_dump()
    data = _behaviour_context(field)
    years = data["horizon_years"] if field in BEHAVIOUR_CONTEXT else YEARS
    base = _build(data, {}, years)
    tried = []
    for new in changes(Behaviour, field, b[field]):
        try:
            changed = _build(data, {field: new}, years)
        except (ValidationError, InputError):
            continue
        if moves(base, changed):
            return
        tried.append(new)
    assert tried, f"no valid change of behaviour.{field}"
    pytest.fail(f"behaviour.{field} {b[field]} -> any of {tried} changes no outcome")


# --- validate refuses what means nothing -----------------------------------------------------

def test_validate_refuses_a_field_meaningless_for_the_type(tmp_path: Path):
    """``prize_eur`` on a co-financing instrument: exit 2 and a FILE:LINE: path: message line."""
    text = (scenario_dir() / "denmark_copi_proposal.yaml").read_text()
    anchor = "    - id: value_chain\n      type: co_financing\n"
    assert anchor in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(anchor, anchor + "      prize_eur: 50000\n", 1))
    line = bad.read_text().splitlines().index("      prize_eur: 50000") + 1
    r = subprocess.run([sys.executable, "-m", "simpolicy.cli.main", "validate", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    out = r.stdout + r.stderr
    assert f"{bad}:{line}: scheme.instruments.0.prize_eur: " in out, out
    assert "prize" in out.split("prize_eur: ", 1)[1].splitlines()[0]  # names the type it is for
