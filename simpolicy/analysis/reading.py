"""The decision table in words: its cells as a reader sees them, and one sentence that answers.

Kept apart from `decision` (the numbers) so the report, the dashboard and the terminal show
the same cells and the same sentence: each renderer only lays them out (HTML, Dash, text).
Counts are whole buyers or solutions, money is "EUR 2.0 m", and every bracket says which
interval it is.
"""

from __future__ import annotations

import math

from simpolicy.analysis.labels import fmt_value

CI = "90 % CI of the mean"
SORT_LABELS = {
    "additional_adopters": "additional adopters",
    "scaling": "scaling (extra solutions bought by 3+ buyers)",
    "spread": "spread (extra adoptions by followers)",
    "public_money": "public money",
    "cost_per_adopter": "public money per additional adopter",
}


def _finite(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def count(x, signed: bool = True) -> str:
    """A mean count as whole units ('+45', '-15'); below one unit one decimal ('+0.4')."""
    if not _finite(x):
        return "–"
    sign = "+" if signed and x > 0 else ""
    if abs(x) >= 1 or x == 0:
        return f"{sign}{x:,.0f}".replace("+-", "-")
    return f"{sign}{x:.1f}"


def money(x) -> str:
    return fmt_value(x, "programme_spend_eur") if _finite(x) else "–"


def _ci(lo, hi, fmt) -> str:
    if not (_finite(lo) and _finite(hi)):
        return "CI needs 2+ runs"
    return f"CI {fmt(lo)} to {fmt(hi)}"


def headers(dec) -> list[str]:
    money_head = ("Public money (services included)" if dec.services_included
                  else "Public money (programme paid)")
    return ["Design", "Additional adopters", "Scaling: extra solutions with 3+ buyers",
            "Spread: extra follower adoptions", money_head,
            "Public money per additional adopter", "Against no scheme",
            f"Against the best ({SORT_LABELS[dec.sort_by]})"]


def cells(dec) -> list[list[tuple[str, str]]]:
    """Per design, per column: (main text, detail line). Renderers stack or join the two."""
    out = []
    for r in dec.table.itertuples(index=False):
        row = [(r.design, f"{r.runs} runs")]
        for q in ("additional_adopters", "scaling", "spread"):
            row.append((count(getattr(r, q)),
                        _ci(getattr(r, f"{q}_ci_low"), getattr(r, f"{q}_ci_high"), count)))
        row.append((money(r.public_money), _ci(r.public_money_ci_low, r.public_money_ci_high, money)))
        if _finite(r.cost_per_adopter):
            row.append((money(r.cost_per_adopter),
                        f"{_ci(r.cost_ci_low, r.cost_ci_high, money)}; {r.cost_runs} runs"))
        else:
            row.append(("–", "not shown: effect not clearly above zero"))
        row.append({"more": ("more adopters", "CI above zero"),
                    "fewer": ("fewer adopters", "CI below zero"),
                    }.get(r.vs_no_scheme, ("not distinguishable from no scheme", "CI spans zero")))
        if r.best:
            row.append(("best", ""))
        elif r.not_distinguishable_from_best is None or (
                isinstance(r.not_distinguishable_from_best, float)):
            row.append(("–", "not compared"))
        else:
            how = "paired over common seeds" if r.paired_with_best else "unpaired"
            row.append(("not distinguishable from the best" if r.not_distinguishable_from_best
                        else "below the best", how))
        out.append(row)
    return out


def caption(dec) -> str:
    """What the table is, in one line: horizon, replications, interval, money counted."""
    services = ("programme money plus the cost of services (competence centre, joint processes)"
                if dec.services_included else
                "programme money paid (these results do not record the cost of services)")
    return (f"Horizon {dec.horizon}; {dec.reps} replications; each design against the same "
            f"runs without it. Each cell: the mean and its {CI}. Public money: {services}. Sorted by "
            f"{SORT_LABELS[dec.sort_by]}.")


def _names(xs: list[str]) -> str:
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]


def _is(xs: list[str]) -> str:
    return "is" if len(xs) == 1 else "are"


def reading(dec) -> str:
    """One sentence from the numbers: the best design, its effect and cost, the flags."""
    t = dec.table
    if t.empty:
        return "No run finished, so there is nothing to read yet."
    if not t["best"].any():
        return (f"No design has a defined {SORT_LABELS[dec.sort_by]} in these runs, so none "
                "can be called best.")
    b = t.iloc[0]
    eff = (f"{count(b.additional_adopters)} additional adopters ({CI} "
           f"{count(b.additional_adopters_ci_low)} to {count(b.additional_adopters_ci_high)})")
    cost = (f", {money(b.cost_per_adopter)} per additional adopter ({b.cost_runs} runs)"
            if _finite(b.cost_per_adopter) else "")
    lead = {
        "additional_adopters": "adds the most adopters",
        "scaling": "scales the most solutions", "spread": "spreads the furthest",
        "public_money": "costs the least public money",
        "cost_per_adopter": "buys additional adopters most cheaply",
    }[dec.sort_by]
    over = f"Over {dec.horizon.split(' (')[0]}, " if dec.horizon_months else ""
    parts = [f"{over}{b.design} {lead}: {eff} for "
             f"{money(b.public_money)} of public money{cost}"]
    tie = [r.design for r in t.itertuples() if r.not_distinguishable_from_best is True]
    none = [r.design for r in t.itertuples() if r.vs_no_scheme == "not distinguishable"]
    fewer = [r.design for r in t.itertuples() if r.vs_no_scheme == "fewer"]
    if b.vs_no_scheme != "more":
        parts.append(f"even {b.design} is not clearly better than no scheme")
    if tie:
        parts.append(f"{_names(tie)} {_is(tie)} not distinguishable from it")
    if none:
        parts.append(f"{_names(none)} {_is(none)} not distinguishable from no scheme")
    if fewer:
        parts.append(f"{_names(fewer)} {'lowers' if len(fewer) == 1 else 'lower'} adoption")
    if "not equal" in dec.horizon:
        parts.append("the designs ran on different horizons, so their totals do not compare")
    return "; ".join(parts) + "."



def one_line(dec, population: str | None = None) -> str:
    """The answer in one line for a terminal: which design, how many more adopters, at what cost.

    With several designs it is the reading; with one it states that design's effect and
    cost, or that it cannot be told from no scheme. ``population`` names the common
    population the designs were put on, so the line can drop it from every name.
    """
    t = dec.table
    if len(t) != 1:
        text = dec.reading
        return text.replace(f"@{population}", "") + f" (all on {population}'s population)" \
            if population else text
    b = t.iloc[0]
    over = f"Over {dec.horizon.split(' (')[0]}, " if dec.horizon_months else ""
    eff = (f"{count(b.additional_adopters)} additional adopters ({CI} "
           f"{count(b.additional_adopters_ci_low)} to {count(b.additional_adopters_ci_high)})")
    if b.vs_no_scheme != "more":
        verdict = ("fewer adopters than no scheme" if b.vs_no_scheme == "fewer"
                   else "not distinguishable from no scheme")
        return f"{over}{b.design}: {eff} for {money(b.public_money)} of public money: {verdict}."
    cost = (f", {money(b.cost_per_adopter)} per additional adopter ({b.cost_runs} runs)"
            if _finite(b.cost_per_adopter) else "")
    return f"{over}{b.design}: {eff} for {money(b.public_money)} of public money{cost}."
