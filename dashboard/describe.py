"""A scenario in plain language: what the scheme offers, to whom, with what money and why.

Officials read this instead of YAML. Pure functions from a validated ``Scenario`` to
Markdown text, so the wording is tested without a browser and could serve the report too.
Every number says whether it comes from a source or is our assumption.
"""

from __future__ import annotations

from simpolicy.scenario.behaviour import Behaviour
from simpolicy.scenario.schema import Dist, Instrument, Scenario

from .components import fmt

TYPE_TEXT = {
    "co_financing": "co-finances buyers' innovation projects",
    "preparation_grant": "pays for preparing an innovative procurement (needs, market dialogue)",
    "pcp": "runs pre-commercial procurement: competing suppliers develop in phases",
    "purchase_cofinancing": "co-finances the purchase of an existing innovative solution",
    "innovation_partnership": "funds an innovation partnership (development and purchase in one)",
    "joint_process": "organises joint procurement processes for several buyers",
    "diffusion_grant": "co-finances further buyers' purchase of proven solutions (scaling support)",
    "supplier_grant": "gives grants to suppliers that develop for public buyers",
    "prize": "awards prizes for ideas or solutions",
}


def _eur(x: float | None) -> str:
    return "none" if x is None else fmt(x, "EUR")


def _mark(assumed: bool) -> str:
    return " *(assumed)*" if assumed else ""


def instrument_text(inst: Instrument) -> str:
    """One instrument as a paragraph a reader can check against the scheme's rules."""
    a = set(inst.assumed)
    parts = [f"**{inst.id}** — {TYPE_TEXT.get(inst.type, inst.type)}."]
    if inst.description:
        parts.append(inst.description.rstrip(".") + ".")
    if inst.type != "joint_process" and inst.type != "prize":
        cap = _eur(inst.max_grant_eur) if inst.max_grant_eur < 1e12 else "no cap"
        parts.append(f"Pays {100 * inst.rate:.0f} %{_mark('rate' in a)} of eligible costs in "
                     f"{', '.join(inst.phases)}, up to {cap}{_mark('max_grant_eur' in a)} per project.")
    money = []
    if inst.annual_budget_eur is not None:
        money.append(f"{_eur(inst.annual_budget_eur)} a year{_mark('annual_budget_eur' in a)}")
    if inst.total_budget_eur is not None:
        money.append(f"{_eur(inst.total_budget_eur)} in total{_mark('total_budget_eur' in a)}")
    if inst.prize_eur:
        money.append(f"prizes of {_eur(inst.prize_eur)}{_mark('prize_eur' in a)}")
    if inst.processes_per_year:
        money.append(f"{inst.processes_per_year:g} joint processes a year{_mark('processes_per_year' in a)}")
    parts.append(("Budget: " + "; ".join(money) + " (a ceiling, not a target).") if money else "No budget.")
    calls = "open all year" if inst.calls_per_year == 0 else f"{inst.calls_per_year} calls a year"
    themes = ", ".join(inst.themes) if inst.themes else "any theme"
    if inst.call_themes:
        themes = "calls rotate between " + "; then ".join(", ".join(r) for r in inst.call_themes)
    parts.append(f"Applications: {calls}, {inst.selection.replace('_', ' ')} selection; {themes}; "
                 f"buyer's internal costs {'eligible' if inst.internal_costs else 'not eligible'}"
                 f"{_mark('internal_costs' in a)}; paid to the {inst.paid_to}.")
    if inst.source:
        parts.append(f"Source: {inst.source}.")
    return " ".join(parts)


def _dist(d: Dist, unit: str = "share") -> str:
    return f"{fmt(d.mean, unit)}{_mark(d.assumed)}"


def population_markdown(sc: Scenario) -> str:
    """Buyers, suppliers and themes as tables."""
    pop = sc.population
    lines = [f"### Population: {pop.name}" + (f" (source: {pop.source})" if pop.source else ""), "",
             "| buyers | count | small | innovation budget a year | capability | risk tolerance "
             "| awareness |",
             "|---|---:|:---:|---:|---:|---:|---:|"]
    for g in pop.buyers:
        lines.append(f"| {g.type}{_mark(g.assumed)} | {g.count:,} | {'yes' if g.small else ''} | "
                     f"{_dist(g.innovation_budget_eur, 'EUR')} | {_dist(g.capability)} | "
                     f"{_dist(g.risk_tolerance)} | {_dist(g.awareness)} |")
    lines += ["", "| suppliers | count | foreign | capability | risk tolerance |",
              "|---|---:|:---:|---:|---:|"]
    for s in pop.suppliers:
        lines.append(f"| {s.type.upper() if s.type == 'sme' else s.type}{_mark(s.assumed)} | {s.count:,} | "
                     f"{'yes' if s.foreign else ''} | {_dist(s.capability)} | {_dist(s.risk_tolerance)} |")
    themes = ", ".join(f"{k} {100 * v / sum(pop.themes.values()):.0f} %" for k, v in pop.themes.items())
    lines += ["", f"Needs by theme: {themes}.",
              f"Existing funding pools pay {100 * pop.background_funding_rate:.0f} % of "
              f"{100 * pop.background_funding_share:.0f} % of projects without any scheme. "
              f"Purchases above {_eur(pop.tender_threshold_eur)} must be tendered."]
    return "\n".join(lines)


def behaviour_markdown(b: Behaviour | None) -> str:
    """The shared behavioural assumptions with what each means."""
    if b is None:
        return ""
    lines = ["### Behavioural assumptions (shared by every scenario)", "",
             "| parameter | value | meaning |", "|---|---:|---|"]
    for name, field in Behaviour.model_fields.items():
        lines.append(f"| {name} | {getattr(b, name):,.4g} | {field.description or ''} |")
    return "\n".join(lines)


def assumed_list(sc: Scenario) -> list[str]:
    """Every value the scenario marks as assumed rather than sourced."""
    out = [f"{i.id}.{f}" for i in sc.scheme.instruments for f in i.assumed]
    cc = sc.scheme.competence_centre
    if cc is not None:
        out += [f"competence_centre.{f}" for f in cc.assumed]
    pop = sc.population
    out += [f"buyers.{g.type}" for g in pop.buyers if g.assumed]
    for g in pop.buyers:
        for k in ("innovation_budget_eur", "capability", "risk_tolerance", "awareness"):
            if getattr(g, k).assumed:
                out.append(f"buyers.{g.type}.{k}")
    out += [f"suppliers.{s.type}" for s in pop.suppliers if s.assumed]
    return out


def assumed_lines(assumed: list[str], sc: Scenario) -> list[str]:
    """The assumed values as one line per instrument or group, in words, not field paths.

    The list read "value_chain.annual_budget_eur, value_chain.rate, ..." over ten lines: a
    reader needs to know which rules of which instrument were assumed, not the YAML paths.
    """
    names = {i.id: (i.description or i.id.replace("_", " ")).split(":")[0].split(",")[0].strip()
             for i in sc.scheme.instruments}
    groups: dict[str, list[str]] = {}
    for path in assumed:
        head, _, rest = path.partition(".")
        if head in names:
            owner = names[head]
        elif head == "competence_centre":
            owner = "Competence centre"
        else:  # buyers.<type>[.field] (a type alone: its count) and suppliers.<type>
            kind, _, rest = rest.partition(".")
            owner = f"{'Buyers' if head == 'buyers' else 'Suppliers'}, {kind.replace('_', ' ')}"
            rest = rest or "count"
        words = rest.replace("_eur", "").replace("_", " ")
        groups.setdefault(owner, []).append(words)
    return [f"- **{owner}**: {', '.join(dict.fromkeys(fields))}" for owner, fields in groups.items()]


def describe_markdown(sc: Scenario) -> str:
    """The whole scenario as Markdown: summary, scheme, centre, population, assumptions."""
    scheme = sc.scheme
    head = [f"## {sc.name} — {sc.country}", "", sc.description.strip(), "",
            f"Runs {sc.horizon_years:g} years from {sc.start_year} ({sc.months} monthly steps). "
            f"Source: {sc.source}."]
    if not scheme.instruments and scheme.competence_centre is None:
        body = ["", f"### Scheme: {scheme.name}", "", "No scheme: this is a baseline population "
                "(every other scheme's counterfactual looks like this)."]
    else:
        source = f" (source: {scheme.source})" if scheme.source else ""
        body = ["", f"### Scheme: {scheme.name}{source}", ""]
        body += [f"- {instrument_text(i)}" for i in scheme.instruments]
        cc = scheme.competence_centre
        if cc is not None:
            a = set(cc.assumed)
            body.append(f"- **competence centre** — advice and upskilling reaching {100 * cc.reach:.0f} %"
                        f"{_mark('reach' in a)} of buyers: awareness "
                        f"+{100 * cc.awareness_gain_per_year:.0f} %"
                        f"{_mark('awareness_gain_per_year' in a)} and capability "
                        f"+{100 * cc.capability_gain_per_year:.0f} %{_mark('capability_gain_per_year' in a)}"
                        " a year" + (f"; {cc.legal_advice_hours:g} hours of legal advice"
                                     if cc.legal_advice_hours else "") + ".")
    assumed = assumed_list(sc)
    tail = ["", "### Assumed values", "",
            ("These values are our assumptions, not taken from a source:" if assumed
             else "The file marks no value as assumed."), "", *assumed_lines(assumed, sc)]
    parts = head + body + ["", population_markdown(sc)] + tail + ["", behaviour_markdown(sc.behaviour)]
    return "\n".join(parts)
