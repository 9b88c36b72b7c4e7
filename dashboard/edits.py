"""What-if edits: which knobs a reader may turn, applying them, and writing the edited scheme.

Pure functions on scenarios. An edit is a dict of ``--set`` paths to values
(``{"scheme.instruments.pio_dev.rate": 0.4, "behaviour.risk_aversion": 2}``) plus optional
scaling support, so a what-if is exactly what ``simpolicy run --set`` would run, and the
downloaded YAML is validated with the same safe parser as any upload before it is offered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

from simpolicy.analysis.labels import fmt_value
from simpolicy.scenario.behaviour import Behaviour
from simpolicy.scenario.loader import ensure_behaviour, scenario_from_data, with_sets
from simpolicy.scenario.schema import Scenario
from simpolicy.scenario.yamlio import parse_yaml


@dataclass(frozen=True)
class Knob:
    """One editable value: its field, control kind, label, unit and range."""

    field: str
    kind: str  # "slider" | "number" | "int" | "themes" | "flag"
    label: str
    unit: str = ""
    low: float = 0.0
    high: float = 1.0
    step: float | None = None


INSTRUMENT_KNOBS = (
    Knob("rate", "slider", "Co-funding rate of eligible costs", "share", 0, 1, 0.05),
    Knob("annual_budget_eur", "number", "Annual budget", "EUR", 0, 1e10),
    Knob("total_budget_eur", "number", "Total budget over the horizon", "EUR", 0, 1e11),
    Knob("max_grant_eur", "number", "Largest grant per project", "EUR", 0, 1e12),
    Knob("calls_per_year", "int", "Calls per year (0 = open all year)", "calls", 0, 12, 1),
    Knob("themes", "themes", "Themes (none ticked = any theme)"),
    Knob("internal_costs", "flag", "Buyer's internal costs eligible"),
)
CENTRE_KNOBS = (
    Knob("reach", "slider", "Share of buyers the competence centre reaches", "share", 0, 1, 0.05),
    Knob("awareness_gain_per_year", "slider", "Awareness gain a year", "share", 0, 1, 0.01),
    Knob("capability_gain_per_year", "slider", "Capability gain a year", "share", 0, 1, 0.01),
)
# The behavioural assumptions a reader most often questions (ranges from the schema).
BEHAVIOUR_KNOBS = (
    Knob("risk_aversion", "slider", "Buyers' risk aversion (weight of own money at risk)", "", 0, 5, 0.1),
    Knob("need_rate_per_year", "slider", "Innovation needs a year per median buyer", "needs", 0, 2, 0.05),
    Knob("value_multiple", "slider", "Value of a need / its development cost", "", 0.5, 5, 0.1),
    Knob("base_success", "slider", "Success chance of one contractor's phase", "share", 0.3, 1, 0.01),
    Knob("imitation_q", "slider", "Peer effect on adoption (monthly, at full adoption)", "", 0, 0.1, 0.002),
    Knob("innovation_p", "slider", "Own discovery of solutions (monthly)", "", 0, 0.02, 0.0005),
    Knob("crowd_out", "slider", "Reuse lost where development money is known", "share", 0, 1, 0.05),
    Knob("application_cost_eur", "number", "Effort of one application", "EUR", 0, 1e6),
)
SCALING_ID = "scaling_support"


def instrument_path(inst_id: str, field: str) -> str:
    return f"scheme.instruments.{inst_id}.{field}"


def current_values(scenario: Scenario) -> dict[str, Any]:
    """Every knob's value in a scenario, by ``--set`` path."""
    sc = ensure_behaviour(scenario)
    out: dict[str, Any] = {}
    for inst in sc.scheme.instruments:
        for k in INSTRUMENT_KNOBS:
            out[instrument_path(inst.id, k.field)] = getattr(inst, k.field)
    if sc.scheme.competence_centre is not None:
        for k in CENTRE_KNOBS:
            out[f"scheme.competence_centre.{k.field}"] = getattr(sc.scheme.competence_centre, k.field)
    for k in BEHAVIOUR_KNOBS:
        out[f"behaviour.{k.field}"] = getattr(sc.behaviour, k.field)
    return out


def knob_of(path: str) -> Knob | None:
    field = path.rsplit(".", 1)[-1]
    group = (BEHAVIOUR_KNOBS if path.startswith("behaviour.") else CENTRE_KNOBS
             if path.startswith("scheme.competence_centre.") else INSTRUMENT_KNOBS)
    return next((k for k in group if k.field == field), None)


def normalise(path: str, value: Any) -> Any:
    """A control's value as the schema wants it (checklists give lists, empty inputs None)."""
    knob = knob_of(path)
    if knob is None:
        return value
    if knob.kind == "flag":
        return bool(value)
    if knob.kind == "themes":
        return sorted(value or [])
    if value is None or value == "":
        return None
    if knob.kind == "int":
        return int(value)
    return float(value)


def changes(base: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """Only the knobs whose value differs from the base scenario, normalised."""
    now = current_values(base)
    out = {}
    for path, raw in values.items():
        if path not in now:
            continue
        v = normalise(path, raw)
        old = now[path]
        if isinstance(old, list):
            old = sorted(old)
        required = knob_of(path).field in ("rate", "max_grant_eur", "calls_per_year")
        if v is None and old is not None and required:
            continue  # an emptied required number keeps its value
        if _same(v, old):
            continue
        out[path] = v
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, int | float) and b is not None:
        return math.isclose(a, float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def scaling_instrument(annual_budget_eur: float, rate: float, themes: list[str]) -> dict:
    """Scaling support: co-finances a further buyer's purchase of a proven solution."""
    return {"id": SCALING_ID, "type": "diffusion_grant",
            "description": "Scaling support added in the dashboard's what-if",
            "assumed": ["annual_budget_eur", "rate"], "annual_budget_eur": float(annual_budget_eur),
            "rate": float(rate), "phases": ["purchase", "implementation", "diffusion"],
            "themes": list(themes), "paid_to": "buyer"}


def apply(base: Scenario, sets: dict[str, Any], scaling: dict | None = None) -> Scenario:
    """The edited scenario, validated; raises ``InputError`` for an invalid combination."""
    sc = ensure_behaviour(base)
    if scaling:
        data = sc.model_dump(mode="json", exclude={"behaviour"})
        data["scheme"]["instruments"].append(scaling)
        sc = scenario_from_data(data, {}, "what-if", {}).model_copy(update={"behaviour": sc.behaviour})
    return with_sets(sc, sets)


def _plain_value(knob: Knob | None, v: Any) -> str:
    """A knob's value as a reader writes it: 'EUR 2.0 m', '40 %', 'none', 'health, mobility'."""
    if v is None:
        return "none"
    if knob is not None and knob.kind == "flag":
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(map(str, v)) if v else "any theme"
    if knob is not None and knob.unit == "EUR":
        return fmt_value(float(v), "programme_spend_eur")
    if knob is not None and knob.unit == "share":
        pct = 100 * float(v)
        return f"{pct:.0f} %" if pct == round(pct) else f"{pct:.1f} %"
    return f"{float(v):g}" if isinstance(v, int | float) else str(v)


def _owner(path: str) -> str:
    """'Value chain' for scheme.instruments.value_chain.rate; 'Behaviour' for behaviour.*."""
    if path.startswith("scheme.instruments."):
        inst = path.split(".")[2]
        return inst.replace("_", " ").capitalize()
    if path.startswith("scheme.competence_centre."):
        return "Competence centre"
    return "Behaviour (all schemes)"


def edit_summary(sets: dict[str, Any], scaling: dict | None, base: Scenario | None = None) -> list[str]:
    """The changes in plain words, e.g. "Value chain: annual budget EUR 1.2 m -> EUR 2.0 m".

    With the unchanged scheme (``base``) each line shows the old value too; never a raw
    ``--set`` path or 2000000.0, because the list is read by people who brief ministers.
    """
    old = current_values(base) if base is not None else {}
    out = []
    for path, v in sets.items():
        knob = knob_of(path)
        what = (knob.label if knob else path.rsplit(".", 1)[-1].replace("_", " "))
        what = (what[0].lower() + what[1:]).split(" (")[0]
        before = f"{_plain_value(knob, old[path])} -> " if path in old else ""
        out.append(f"{_owner(path)}: {what} {before}{_plain_value(knob, v)}")
    if scaling:
        out.append(f"Scaling support added: {fmt_value(scaling['annual_budget_eur'], 'programme_spend_eur')} "
                   f"a year, paying {100 * scaling['rate']:.0f} % of further buyers' purchases")
    return out


def to_yaml(edited: Scenario, base: Scenario, sets: dict[str, Any], scaling: dict | None) -> str:
    """The edited scheme as a scenario file that ``simpolicy validate`` and ``run`` accept.

    Behaviour is written only when the what-if changed it, so an unchanged file keeps
    following the shared, calibrated ``behaviour.yaml``.
    """
    data = edited.model_dump(mode="json", exclude={"behaviour"}, exclude_none=True)
    data["name"] = f"{base.name}_whatif"[:80]
    changed = edit_summary(sets, scaling, base)
    data["description"] = (f"What-if of {base.name} made in the dashboard"
                           + (f"; changes: {'; '.join(changed)}" if changed else "; no changes"))
    if any(p.startswith("behaviour.") for p in sets):
        b = edited.behaviour.model_dump(mode="json")
        data["behaviour"] = {k: v for k, v in b.items() if k in Behaviour.model_fields}
    text = "# Made by the simpolicy dashboard (what-if page).\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100)
    parsed, lines = parse_yaml(text, f"{data['name']}.yaml")  # never offer a file we cannot read
    scenario_from_data(parsed, lines, f"{data['name']}.yaml", {})
    return text
