"""Checks across fields that the schema cannot express: a scenario that validates must run.

Each check here answers a file that validated and then failed or did nothing without a
word: ``project_office_share: 1`` divided by zero, all buyer counts 0 crashed the draws,
theme shares of 1e308 overflowed, budgets of 1e308 ran as silent nonsense, ``phases: []``
or a theme no buyer has made an instrument that can never pay, and aliased groups made
100,000,000 buyers from 13.5 kB. The loader runs these checks after pydantic and reports
each problem as ``FILE:LINE: field.path: message`` (exit 2).

Limits are stated once here and in the README: they are far above every bundled scenario
(the largest has 3,793 buyers and 433,000 buyer-months) and far below what exhausts a
2-core machine with a few GB of memory.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from .errors import InputError, Problem
from .yamlio import line_of

MAX_EUR = 1e12  # more than any national programme's whole budget; beyond it is a typo or an attack
MAX_THEME_SHARE = 1e6  # shares are relative weights: their sum must stay finite
MAX_THEMES = 200
MAX_BUYERS = 200_000  # after YAML aliases: what the model will build
MAX_BUYER_MONTHS = 12_000_000  # buyers x months: the work (and memory) of one run
PHASE_ORDER = ("preparation", "tender", "development", "purchase", "implementation", "diffusion")


def check_scenario(scenario: Any, name: str, lines: dict[tuple, int]) -> None:
    """Raises ``InputError`` with every located problem of a validated scenario."""
    # a horizon the file sets is the scenario as written; one shortened by an override
    # (--years, --set horizon_years, a study's probe) just ends before later mergers
    found = problems(scenario, file_horizon=lines.get(("horizon_years",), 0) > 0)
    if found:
        raise InputError([Problem(name, line_of(lines, loc), ".".join(map(str, loc)), msg)
                          for loc, msg in found])


def problems(sc: Any, file_horizon: bool = False) -> list[tuple[tuple, str]]:
    """``(field path, message)`` for every check that fails."""
    out: list[tuple[tuple, str]] = []
    out += _money(sc.population, ("population",))
    pop = sc.population
    out += _themes(pop)
    out += _mergers(sc, file_horizon)
    counts = [g.count for g in pop.buyers]
    if not any(counts):
        out.append((("population", "buyers"), "every buyer group has count 0: nobody could take part"))
    if not any(g.count for g in pop.suppliers):
        out.append((("population", "suppliers"), "every supplier group has count 0: nobody could deliver"))
    buyers, months = sum(counts), sc.months
    if buyers > MAX_BUYERS:
        out.append((("population", "buyers"), f"{buyers:,} buyers in all, more than the {MAX_BUYERS:,} "
                    "a run may simulate"))
    elif buyers * months > MAX_BUYER_MONTHS:
        out.append((("horizon_years",), f"{buyers:,} buyers over {months} months is {buyers * months:,} "
                    f"buyer-months, more than the {MAX_BUYER_MONTHS:,} a run may simulate"))
    themes = set(pop.themes)
    instruments = sc.scheme.instruments
    for i, ins in enumerate(instruments):
        at = ("scheme", "instruments", i)
        out += _money(ins, at)
        out += _phases(ins, at)
        out += _down_selection(ins, at)
        if ins.project_office_share >= 1:
            out.append((at + ("project_office_share",), "must be below 1 (the office would take "
                        "everything and the project nothing)"))
        for j, t in enumerate(ins.themes):
            if t not in themes:
                out.append((at + ("themes", j), f"theme {t!r} is not one of the population's themes "
                            f"({', '.join(sorted(themes))})"))
        for r, call in enumerate(getattr(ins, "call_themes", ())):
            for j, t in enumerate(call):
                if t not in themes:
                    out.append((at + ("call_themes", r, j), f"theme {t!r} is not one of the "
                                f"population's themes ({', '.join(sorted(themes))})"))
    if instruments and sc.scheme.competence_centre is None \
            and all(ins.start_month >= months for ins in instruments):
        first = min(ins.start_month for ins in instruments)
        out.append((("scheme", "instruments"), f"no instrument opens within the horizon ({months} "
                    f"months; the first opens in month {first}): the scheme would do nothing; "
                    "lengthen horizon_years or move start_month"))
    return out


def _themes(pop: Any) -> list[tuple[tuple, str]]:
    out = []
    if len(pop.themes) > MAX_THEMES:
        out.append((("population", "themes"), f"{len(pop.themes)} themes, more than {MAX_THEMES}"))
    seen: dict[str, str] = {}
    for key, share in pop.themes.items():
        at = ("population", "themes", key)
        if share > MAX_THEME_SHARE:
            out.append((at, f"share {share:g} is larger than {MAX_THEME_SHARE:g} (shares are "
                        "relative weights)"))
        folded = unicodedata.normalize("NFKC", key).casefold()
        if folded in seen:
            out.append((at, f"theme {key!r} differs from {seen[folded]!r} only in case or form"))
        seen[folded] = key
    return out


def _money(model: Any, at: tuple) -> list[tuple[tuple, str]]:
    """Every ``*_eur`` amount of a model (and its Dist means and spreads) is at most 1e12."""
    out = []
    for field_name in type(model).model_fields:
        value = getattr(model, field_name)
        if isinstance(value, list):
            for i, item in enumerate(value):
                if hasattr(type(item), "model_fields"):
                    out += _money(item, at + (field_name, i))
            continue
        if not field_name.endswith("_eur"):
            continue
        for sub, v in ([("mean", value.mean), ("sd", value.sd)] if hasattr(value, "mean")
                       else [(None, value)]):
            if isinstance(v, int | float) and not (math.isfinite(v) and v <= MAX_EUR):
                loc = at + (field_name,) + ((sub,) if sub else ())
                out.append((loc, f"EUR {v:g} is more than {MAX_EUR:g}: not an amount a scheme "
                            "or a buyer has"))
    return out


def _phases(ins: Any, at: tuple) -> list[tuple[tuple, str]]:
    phases = list(ins.phases)
    if not phases:
        return [(at + ("phases",), "an instrument funds at least one phase")]
    dup = sorted({p for p in phases if phases.count(p) > 1})
    if dup:
        return [(at + ("phases",), f"phase {dup[0]!r} is listed twice")]
    if phases != sorted(phases, key=PHASE_ORDER.index):
        return [(at + ("phases",), f"phases must be in the order of a project: {', '.join(PHASE_ORDER)}")]
    return []


def _down_selection(ins: Any, at: tuple) -> list[tuple[tuple, str]]:
    kept = list(ins.down_selection)
    out = []
    prev = ins.competing_suppliers
    for j, n in enumerate(kept):
        if n < 1:
            out.append((at + ("down_selection", j), "each phase keeps at least 1 contract"))
        elif n > prev:
            out.append((at + ("down_selection", j), f"keeps {n} contracts after {prev}: a down-selection "
                        "never grows (competing_suppliers, then each phase's count, may only fall)"))
        prev = n
    return out


def _mergers(sc: Any, file_horizon: bool) -> list[tuple[tuple, str]]:
    """Mergers that could not happen: an unknown or ambiguous group, a date before the year
    the counts describe (they already include it), after the horizon the file sets, or more
    buyers merging (or absorbing) than the group still has then (ODD 7.13)."""
    pop, out = sc.population, []
    groups: dict[str, list[int]] = {}
    for i, g in enumerate(pop.buyers):
        groups.setdefault(g.type, []).append(i)
    left = {t: sum(pop.buyers[i].count for i in rows) for t, rows in groups.items()}
    year = pop.year if pop.year is not None else sc.start_year
    months = pop.merger_months(sc.start_year)
    known = ", ".join(groups)
    for k in sorted(range(len(months)), key=lambda k: (months[k], k)):
        m, at = pop.mergers[k], ("population", "mergers", k)
        target = m.into_type or m.type
        bad = [(f, t) for f, t in (("type", m.type), ("into_type", target)) if t not in groups
               or len(groups[t]) > 1]
        for f, t in bad:
            why = "names no buyer group" if t not in groups else "names several buyer groups"
            out.append((at + (f,), f"{t!r} {why} (groups: {known})"))
        if bad:
            continue
        y, mon = m.calendar(year)
        if (y, mon) < (year, 1):
            out.append((at + ("date",), f"{m.date} is before {year}, the year the population's "
                        "counts describe: they already include it"))
            continue
        if file_horizon and months[k] >= sc.months:
            out.append((at + ("date" if m.date else "month",), f"takes effect in month "
                        f"{months[k]} of the run, after its horizon ({sc.months} months from "
                        f"{sc.start_year}-01): it would change nothing; remove it or lengthen "
                        "horizon_years"))
            continue
        same = target == m.type
        absorbers = m.absorbers or m.merged
        if m.merged > left[m.type] - (1 if same else 0):
            out.append((at + ("merged",), f"{m.merged} {m.type} merge, but {left[m.type]} exist "
                        "then" + (" and at least one must remain to absorb them" if same else "")))
            continue
        room = left[target] - (m.merged if same else 0)
        if absorbers > room:
            out.append((at + ("absorbers",), f"{absorbers} {target} absorb them, but only {room} "
                        "remain then" + (" (the default is one absorber per merged buyer)"
                                         if m.absorbers is None else "")))
            continue
        if absorbers > m.merged:
            out.append((at + ("absorbers",), f"{absorbers} absorbers for {m.merged} merged "
                        "buyers: each absorber takes over at least one"))
            continue
        left[m.type] -= m.merged
    return out
