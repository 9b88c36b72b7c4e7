"""Schemes and populations in plain language, from the scenario spec stored with the results.

A reader must see what was simulated without opening YAML: each instrument says what it
pays for, how much money it has, which phases it covers, how buyers get it and where the
numbers come from; every value the modellers had to assume carries an "assumed" badge.
"""

from __future__ import annotations

from simpolicy.analysis.labels import fmt_value
from simpolicy.report.html import badge, esc, swatch, table

KIND = {
    "co_financing": "Co-finances the buyer's innovation project",
    "preparation_grant": "Grant for preparing an innovative procurement (needs, market dialogue)",
    "pcp": "Pre-commercial procurement: pays competing suppliers' R&D in phases",
    "purchase_cofinancing": "Co-finances the purchase of an innovative solution",
    "innovation_partnership": "Supports an innovation partnership (development and purchase in one tender)",
    "joint_process": "Joint process: one needs clarification and market dialogue for several buyers",
    "diffusion_grant": "Co-finances further buyers' purchase of a proven solution (spread)",
    "supplier_grant": "Development money paid to the supplier",
    "prize": "Prizes for ideas (idea competition)",
}


def _val(text: str, field: str, assumed: set[str]) -> str:
    """A value with its badge when the field is listed as assumed."""
    return esc(text) + (badge() if field in assumed else "")


def _breakable(name: str) -> str:
    """An identifier that may wrap after its underscores in a narrow column."""
    return esc(name).replace("_", "_<wbr>")


def _sentence(text: str) -> str:
    text = (text or "").strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _eur(x) -> str:
    return fmt_value(x, "programme_spend_eur")


def _budget(ins: dict, assumed: set[str]) -> str:
    parts = []
    if ins.get("annual_budget_eur"):
        parts.append(_val(f"{_eur(ins['annual_budget_eur'])} a year", "annual_budget_eur", assumed))
    if ins.get("total_budget_eur"):
        parts.append(_val(f"{_eur(ins['total_budget_eur'])} in all", "total_budget_eur", assumed))
    if ins.get("type") == "joint_process":
        parts.append(_val(f"{ins.get('processes_per_year', 0):g} processes a year", "processes_per_year",
                          assumed) + ", " + _val(f"{ins.get('buyers_per_process', 1)} buyers each",
                                                 "buyers_per_process", assumed))
    if ins.get("type") == "prize" and ins.get("prize_eur"):
        parts.append(_val(f"prizes of {_eur(ins['prize_eur'])}", "prize_eur", assumed))
    return "<br>".join(parts) or "no money of its own"


def _terms(ins: dict, assumed: set[str]) -> str:
    out = []
    if ins.get("type") not in ("joint_process", "prize"):
        out.append(_val(f"up to {ins.get('rate', 0) * 100:.0f} % of eligible costs", "rate", assumed))
        if (ins.get("max_grant_eur") or 0) < 1e11:
            out.append(_val(f"at most {_eur(ins['max_grant_eur'])} a project", "max_grant_eur", assumed))
        if ins.get("min_grant_eur"):
            out.append(_val(f"at least {_eur(ins['min_grant_eur'])}", "min_grant_eur", assumed))
    if ins.get("internal_costs"):
        out.append(_val("buyer's own staff costs eligible", "internal_costs", assumed))
    if ins.get("paid_to") == "supplier":
        out.append(_val("paid to the supplier", "paid_to", assumed))
    if ins.get("competing_suppliers", 1) > 1:
        ds = ins.get("down_selection") or []
        kept = f", down-selection to {' then '.join(map(str, ds))}" if ds else ""
        out.append(_val(f"{ins['competing_suppliers']} competing suppliers{kept}", "competing_suppliers",
                        assumed))
    if ins.get("follower_rights"):
        out.append(_val(f"other buyers may follow (up to {ins.get('max_followers', 0)})", "max_followers",
                        assumed))
    if ins.get("project_office_share"):
        out.append(_val(f"{ins['project_office_share'] * 100:.0f} % to a project office",
                        "project_office_share", assumed))
    return "<br>".join(out)


def _access(ins: dict, start_year: int, assumed: set[str]) -> str:
    cpy = ins.get("calls_per_year", 0)
    calls = _val(f"{cpy} call{'s' if cpy != 1 else ''} a year" if cpy else "open all year",
                 "calls_per_year", assumed)
    sel = {"first_come": "first come, first served", "ranked": "ranked by a panel"}.get(
        ins.get("selection", ""), ins.get("selection", ""))
    if ins.get("selection") == "ranked" and ins.get("min_score"):
        sel += f" (minimum score {ins['min_score']:g})"
    if ins.get("implementation_plan_weight"):
        sel += f", implementation plan weighs {ins['implementation_plan_weight']:g}"
    out = [calls, _val(sel, "selection", assumed)]
    themes = ins.get("themes") or []
    if themes:
        out.append(_val("themes: " + ", ".join(themes), "themes", assumed))
    rounds = ins.get("call_themes") or []
    if rounds:
        out.append(_val("calls rotate between themes: " + "; then ".join(", ".join(r) for r in rounds),
                        "call_themes", assumed))
    start, end = ins.get("start_month", 0), ins.get("end_month")
    if start or end is not None:
        y0 = start_year + start / 12
        span = f"from {y0:.0f}" + (f" to {start_year + end / 12:.0f}" if end is not None else "")
        out.append(_val(span, "start_month", assumed))
    if ins.get("visibility", 1.0) < 1.0:
        out.append(_val(f"known to {ins['visibility'] * 100:.0f} % of buyers", "visibility", assumed))
    return "<br>".join(out)


def instruments_table(spec: dict) -> str:
    """One row per instrument: what it pays for, money, terms, phases, access, source."""
    scheme = spec.get("scheme") or {}
    rows = []
    for ins in scheme.get("instruments") or []:
        assumed = set(ins.get("assumed") or [])
        what = esc(KIND.get(ins.get("type", ""), ins.get("type", "")))
        if ins.get("description"):
            what += f'<br><span class="note">{esc(ins["description"])}</span>'
        rows.append([
            f"<code>{_breakable(ins.get('id', ''))}</code>", what, _budget(ins, assumed),
            _terms(ins, assumed),
            _val(", ".join(ins.get("phases") or []), "phases", assumed),
            _access(ins, int(spec.get("start_year", 2024)), assumed),
            esc(ins.get("source") or scheme.get("source") or "–")])
    if not rows:
        return '<p class="note">No funding instruments.</p>'
    return table(["instrument", "what it pays for", "money", "terms", "phases", "access", "source"],
                 rows, numeric_from=99)


def competence_centre(spec: dict) -> str:
    cc = (spec.get("scheme") or {}).get("competence_centre")
    if not cc:
        return ""
    a = set(cc.get("assumed") or [])
    parts = [_val(f"reaches {cc.get('reach', 0) * 100:.0f} % of buyers", "reach", a),
             _val(f"raises awareness by {cc.get('awareness_gain_per_year', 0):g} a year",
                  "awareness_gain_per_year", a),
             _val(f"capability by {cc.get('capability_gain_per_year', 0):g} a year",
                  "capability_gain_per_year", a)]
    if cc.get("legal_advice_hours"):
        parts.append(_val(f"{cc['legal_advice_hours']:g} hours of legal advice per project",
                          "legal_advice_hours", a))
    return (f"<p><strong>Competence centre:</strong> {'; '.join(parts)}. "
            f'<span class="note">Source: {esc(cc.get("source") or "–")}</span></p>')


def population_line(spec: dict) -> str:
    """Who is in the population, and how much of it is assumed."""
    pop = spec.get("population") or {}
    buyers = pop.get("buyers") or []
    suppliers = pop.get("suppliers") or []
    n_b = sum(int(g.get("count", 0)) for g in buyers)
    n_s = sum(int(g.get("count", 0)) for g in suppliers)
    small = sum(int(g.get("count", 0)) for g in buyers if g.get("small"))
    n_assumed = sum(1 for g in buyers if g.get("assumed"))
    types = ", ".join(f"{g.get('count', 0):,} {g.get('type', '')}" for g in buyers)
    flag = badge(f"{n_assumed} of {len(buyers)} groups assumed") if n_assumed else ""
    return (f"<p><strong>Population ({esc(pop.get('name', ''))}):</strong> {n_b:,} public buyers "
            f"({esc(types)}; {small:,} small){flag}, {n_s:,} suppliers. "
            f"<span class=\"note\">Source: {esc(pop.get('source') or '–')}</span></p>")


def scheme_block(label: str, spec: dict, colour: str, also: list[str] | None = None) -> str:
    """A scheme in plain language: heading, description, source, instruments, centre, population."""
    scheme = spec.get("scheme") or {}
    also_txt = (f'<p class="note">Also run as: {esc(", ".join(also))}.</p>' if also else "")
    return (f'<h3 id="scheme-{esc(label)}">{swatch(colour)}{esc(label)}: {esc(scheme.get("name", ""))}'
            f"</h3><p>{esc(_sentence(spec.get('country', '')))} "
            f"{esc(_sentence(spec.get('description', '')))} "
            f"Simulated over {float(spec.get('horizon_years', 0)):g} years from "
            f"{spec.get('start_year', '')}. "
            f'<span class="note">Source: {esc(spec.get("source") or scheme.get("source") or "–")}</span></p>'
            f"{also_txt}{instruments_table(spec)}{competence_centre(spec)}{population_line(spec)}")
