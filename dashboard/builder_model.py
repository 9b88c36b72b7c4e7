"""Scheme builder, the pure part: instrument types and their fields read from the schema.

Why from the schema: the builder offers every type of ``schema.Instrument.type`` and, for
each, exactly the fields ``applicability.applies`` says the model reads, with ranges from
the pydantic constraints. A new instrument type or field therefore appears in the builder
without editing the page; only its plain label and sensible default live here, and both
fall back to something readable (``LABELS`` / ``DEFAULTS``; the tests check that every type
of the schema gets a default that validates).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from simpolicy.scenario.applicability import applies
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.schema import CompetenceCentre, Instrument

from .describe import TYPE_TEXT

CENTRE = "competence_centre"  # not an instrument type: at most one per scheme
CENTRE_TEXT = "advises buyers and trains their staff: raises awareness of the instruments and capability"
HIDDEN = ("type",)  # fixed when the instrument is added

# Plain labels and units; a field missing here is labelled from its name and description.
LABELS: dict[str, tuple[str, str]] = {
    "id": ("Short name (lower case, digits, _)", ""),
    "description": ("What it is for", ""),
    "source": ("Source of its rules", ""),
    "assumed": ("Values that are assumptions, not from a source", ""),
    "annual_budget_eur": ("Budget a year", "EUR"),
    "total_budget_eur": ("Budget over the whole horizon", "EUR"),
    "rate": ("Share of eligible costs it pays", "share"),
    "min_grant_eur": ("Smallest grant", "EUR"),
    "max_grant_eur": ("Largest grant per project", "EUR"),
    "phases": ("Phases it pays for", ""),
    "internal_costs": ("Buyer's own staff costs are eligible", ""),
    "internal_cost_cap_share": ("Staff costs at most this share of the grant", "share"),
    "calls_per_year": ("Calls a year (0 = open all year)", "calls"),
    "start_month": ("Opens in month (0 = at the start)", "month"),
    "end_month": ("Closes in month (empty = never)", "month"),
    "themes": ("Themes (none ticked = any theme)", ""),
    "call_themes": ("Themes of each call in turn, calls split by ; (e.g. energy, it; health)", ""),
    "selection": ("How applications are chosen", ""),
    "min_score": ("Panel's minimum score", "share"),
    "implementation_plan_weight": ("Panel weight of an implementation plan", "share"),
    "innovation_weight": ("Panel weight of novelty to public buyers", "share"),
    "follower_rights": ("Other buyers may buy the solution without a new tender", ""),
    "max_followers": ("Most follower buyers", "buyers"),
    "paid_to": ("Money is paid to", ""),
    "competing_suppliers": ("Suppliers contracted in the first phase", "suppliers"),
    "down_selection": ("Contracts kept in each later phase (e.g. 2, 1)", "contracts"),
    "project_office_share": ("Share of the grant for an external project office", "share"),
    "min_supplier_share": ("Share of the grant that must go to suppliers", "share"),
    "buyers_per_process": ("Buyers joined in one process", "buyers"),
    "processes_per_year": ("Processes (or prizes) a year", "a year"),
    "prize_eur": ("Prize", "EUR"),
    "visibility": ("How well buyers know of it", "share"),
    "max_extension_months": ("Months a development may overrun and be paid (empty = no limit)", "months"),
    "payment_lag_months": ("Paid this many months after the costs (0 = up front)", "months"),
    "financing": ("Grant, or a loan the buyer repays", ""),
    "interest_rate": ("Loan interest a year", "share"),
    "repayment_years": ("Loan repaid in yearly instalments over", "years"),
    "repayment_on_success": ("Share of the loan repaid when the project delivers", "share"),
    "repayment_on_failure": ("Share of the loan repaid when the project fails", "share"),
    "repaid_from_budget_share": ("Share of each instalment from the buyer's own budget", "share"),
    # competence centre
    "awareness_gain_per_year": ("Awareness gain a year among buyers reached", "share"),
    "capability_gain_per_year": ("Capability gain a year among buyers reached", "share"),
    "reach": ("Share of buyers it reaches", "share"),
    "legal_advice_hours": ("Hours of free legal advice per buyer", "hours"),
}

# Sensible starting values per type (from the bundled schemes' typical figures, all assumed).
DEFAULTS: dict[str, dict[str, Any]] = {
    "co_financing": {"annual_budget_eur": 1_000_000, "rate": 0.5, "max_grant_eur": 500_000,
                     "phases": ["preparation", "tender", "development"]},
    "preparation_grant": {"annual_budget_eur": 300_000, "rate": 0.5, "max_grant_eur": 30_000,
                          "phases": ["preparation"]},
    "pcp": {"annual_budget_eur": 2_000_000, "rate": 0.5, "max_grant_eur": 1_000_000,
            "phases": ["preparation", "tender", "development"], "competing_suppliers": 3,
            "down_selection": [2]},
    "purchase_cofinancing": {"annual_budget_eur": 1_000_000, "rate": 0.5, "max_grant_eur": 100_000,
                             "phases": ["purchase", "implementation"]},
    "innovation_partnership": {"annual_budget_eur": 1_000_000, "rate": 0.5, "max_grant_eur": 250_000,
                               "phases": ["preparation", "tender", "development", "purchase",
                                          "implementation"], "competing_suppliers": 3},
    "joint_process": {"annual_budget_eur": 400_000, "processes_per_year": 4, "buyers_per_process": 8},
    "diffusion_grant": {"annual_budget_eur": 500_000, "rate": 0.5, "max_grant_eur": 100_000,
                        "phases": ["purchase", "implementation", "diffusion"]},
    "supplier_grant": {"annual_budget_eur": 500_000, "rate": 0.5, "max_grant_eur": 250_000,
                       "phases": ["development"], "paid_to": "supplier"},
    "prize": {"annual_budget_eur": 60_000, "rate": 1.0, "max_grant_eur": 60_000, "prize_eur": 60_000,
              "processes_per_year": 1},
    CENTRE: {"annual_budget_eur": 500_000, "awareness_gain_per_year": 0.1,
             "capability_gain_per_year": 0.05, "reach": 0.3},
}


@dataclass(frozen=True)
class FieldSpec:
    """One editable field: how to show it and what the schema allows."""

    name: str
    kind: str  # number | int | flag | choice | multi | themes | ints | rounds | text | fields | yaml
    label: str
    unit: str
    help: str
    low: float | None
    high: float | None
    options: tuple = ()
    optional: bool = False
    default: Any = None


def instrument_types() -> tuple[str, ...]:
    """Every instrument type the schema accepts, in its order."""
    return typing.get_args(Instrument.model_fields["type"].annotation)


def explain(kind: str) -> str:
    """What a type pays for, in one line."""
    if kind == CENTRE:
        return CENTRE_TEXT
    return TYPE_TEXT.get(kind, kind.replace("_", " "))


def _strip_none(ann: Any) -> tuple[Any, bool]:
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return (args[0] if len(args) == 1 else ann), len(args) < len(typing.get_args(ann))
    return ann, False


def _bound(info, attr: str) -> float | None:
    for m in info.metadata:
        if getattr(m, attr, None) is not None:
            return float(getattr(m, attr))
    return None


def field_spec(model: type[BaseModel], name: str) -> FieldSpec:
    """A field's control, label and range, from its annotation and constraints."""
    info = model.model_fields[name]
    ann, optional = _strip_none(info.annotation)
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    options: tuple = ()
    if ann is bool:
        kind = "flag"
    elif origin is Literal:
        kind, options = "choice", args
    elif origin is list:
        inner = args[0] if args else str
        if typing.get_origin(inner) is Literal:
            kind, options = "multi", typing.get_args(inner)
        elif inner is int:
            kind = "ints"
        elif typing.get_origin(inner) is list and typing.get_args(inner) == (str,):
            kind = "rounds"
        elif inner is str:
            kind = {"themes": "themes", "assumed": "fields"}.get(name, "yaml")
        else:
            kind = "yaml"
    elif ann is int:
        kind = "int"
    elif ann is float:
        kind = "number"
    elif ann is str:
        kind = "text"
    else:  # a kind of value the builder has no control for: typed as YAML, read safely
        kind = "yaml"
    low = _bound(info, "ge") if _bound(info, "ge") is not None else _bound(info, "gt")
    high = _bound(info, "le") if _bound(info, "le") is not None else _bound(info, "lt")
    label, unit = LABELS.get(name, (None, None))
    if label is None:
        label = (info.description or name.replace("_", " ")).capitalize()
        share = kind == "number" and low == 0 and high == 1
        unit = "EUR" if name.endswith("_eur") else ("share" if share else "")
    default = info.get_default(call_default_factory=True)
    return FieldSpec(name, kind, label, unit, info.description or "", low, high, options, optional,
                     None if default is PydanticUndefined else default)


def fields_for(kind: str) -> list[FieldSpec]:
    """The fields a reader edits for one type: those the model reads for it, schema order."""
    if kind == CENTRE:
        return [field_spec(CompetenceCentre, n) for n in CompetenceCentre.model_fields]
    return [field_spec(Instrument, n) for n in Instrument.model_fields
            if n not in HIDDEN and applies(n, kind)]


def new_instrument(kind: str, taken: list[str]) -> dict:
    """A new instrument of a type with sensible defaults and a free id (``pcp``, ``pcp_2``)."""
    if kind == CENTRE:
        return {**DEFAULTS[CENTRE], "assumed": sorted(DEFAULTS[CENTRE])}
    ident, n = kind, 2
    while ident in taken:
        ident, n = f"{kind}_{n}", n + 1
    values = DEFAULTS.get(kind, {"annual_budget_eur": 1_000_000})
    values = {k: v for k, v in values.items() if applies(k, kind)}
    return {"id": ident, "type": kind, "description": explain(kind).capitalize(),
            "assumed": sorted(values), **values}


def normalise(spec: FieldSpec, raw: Any) -> Any:
    """A control's value as the file should hold it; what cannot be read stays as typed, so
    that validation names it (with its line) instead of the page guessing."""
    if spec.kind == "flag":
        return bool(raw)
    if spec.kind in ("multi", "themes", "fields"):
        return list(raw or [])
    if spec.kind in ("rounds", "yaml") and not isinstance(raw, str):
        return raw
    if spec.kind == "rounds":
        rounds = [[t.strip() for t in part.split(",") if t.strip()] for part in str(raw).split(";")]
        return [r for r in rounds if r] if str(raw).strip() else []
    if spec.kind == "yaml":
        if not str(raw).strip():
            return spec.default
        from simpolicy.scenario.yamlio import parse_yaml

        try:
            return parse_yaml(str(raw), spec.name)[0]
        except InputError:
            return str(raw)
    if spec.kind == "ints":
        if isinstance(raw, list):
            return raw
        text = str(raw or "").replace(";", ",").strip()
        parts = [p.strip() for p in text.split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError:
            return text
    if raw is None or raw == "":
        return None if spec.optional or spec.kind in ("number", "int") else ""
    if spec.kind == "int" and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if spec.kind == "number" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    return raw


def written(kind: str, values: dict) -> dict:
    """The fields of one instrument (or the centre) a file needs: identity, then every value
    that differs from the schema's default, in schema order."""
    out = {} if kind == CENTRE else {"id": values.get("id", ""), "type": kind}
    for spec in fields_for(kind):
        if spec.name in out or spec.name not in values:
            continue
        v = values[spec.name]
        if v is None and spec.default is None and spec.optional:
            continue
        required = spec.default is None and not spec.optional and spec.kind not in ("fields",)
        if required or v != spec.default:
            out[spec.name] = v
    return out


def from_scenario(sc) -> tuple[list[dict], dict | None]:
    """A scheme's instruments and centre as editable values (every applicable field)."""
    items = []
    for inst in sc.scheme.instruments:
        data = inst.model_dump(mode="json")
        items.append({k: v for k, v in data.items() if k in ("id", "type") or applies(k, inst.type)})
    cc = sc.scheme.competence_centre
    return items, (cc.model_dump(mode="json") if cc is not None else None)


def scenario_data(draft: dict, pop) -> dict:
    """The scenario file's data: the built scheme on a population scenario's population.

    ``draft`` holds ``name``, ``description``, ``horizon_years`` (None: the population
    scenario's own), ``population`` (its reference), ``instruments`` and ``centre``.
    Behaviour is left out, so the file follows the shared, calibrated ``behaviour.yaml``.
    """
    name = str(draft.get("name") or "my_scheme")
    horizon = draft.get("horizon_years")
    instruments = [written(i.get("type", ""), i) for i in draft.get("instruments", [])]
    scheme: dict[str, Any] = {"name": name, "source": "built in the simpolicy dashboard (scheme builder)",
                              "instruments": instruments}
    if draft.get("centre") is not None:
        scheme["competence_centre"] = written(CENTRE, draft["centre"])
    start = draft.get("start_label") or draft.get("start") or "no scheme"
    return {
        "name": name,
        "country": pop.country,
        "description": str(draft.get("description") or "").strip()
        or f"A scheme built in the dashboard (started from {start})",
        "source": f"built in the simpolicy dashboard; population from {draft.get('population')} "
                  f"({pop.population.source or pop.source})",
        "horizon_years": pop.horizon_years if horizon in (None, "") else horizon,
        "start_year": pop.start_year,
        "scheme": scheme,
        "population": pop.population.model_dump(mode="json", exclude_defaults=True),
    }


def to_yaml(data: dict) -> str:
    """The file the builder saves and downloads (the text validation reads, line by line)."""
    import yaml

    return ("# Made by the simpolicy dashboard (scheme builder). Check it with: simpolicy validate FILE\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None))


def check(text: str, filename: str):
    """The scenario ``simpolicy validate`` would read from this text; raises ``InputError``
    with the same ``FILE:LINE: field.path: message`` lines."""
    from simpolicy.scenario.loader import scenario_from_data
    from simpolicy.scenario.yamlio import parse_yaml

    data, lines = parse_yaml(text, filename)
    return scenario_from_data(data, dict(lines), filename, {})


def keyed(items: list[dict]) -> list[dict]:
    """Instruments with a card key each (``_key``), kept across adds and removes so that a
    control never edits another instrument's field after a card above it went away."""
    used = {i.get("_key") for i in items}
    out, n = [], 0
    for item in items:
        if not item.get("_key"):
            while f"i{n}" in used:
                n += 1
            item = {**item, "_key": f"i{n}"}
            used.add(item["_key"])
        out.append(item)
    return out


def merge(draft: dict, ids: list[dict], values: list) -> dict:
    """The draft with the values now in the page's controls (ids as the view makes them)."""
    items = {i["_key"]: dict(i) for i in draft.get("instruments", [])}
    centre = dict(draft["centre"]) if draft.get("centre") is not None else None
    for cid, raw in zip(ids, values, strict=True):
        key, name = cid.get("key"), cid.get("field")
        target, kind = (centre, CENTRE) if key == "centre" else (items.get(key), None)
        if target is None:
            continue
        kind = kind or target.get("type", "")
        spec = next((s for s in fields_for(kind) if s.name == name), None)
        if spec is not None:
            target[name] = normalise(spec, raw)
    out = dict(draft)
    out["instruments"] = [items[i["_key"]] for i in draft.get("instruments", [])]
    out["centre"] = centre
    return out
