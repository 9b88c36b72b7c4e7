"""The report's opening: the question asked, and each scheme described in plain language."""

from __future__ import annotations

from simpolicy.report.data import ReportData
from simpolicy.report.describe import scheme_block
from simpolicy.report.html import esc, section, swatch


def part_title(part: ReportData) -> str:
    """How a results folder is named in the report: by where its schemes were put."""
    if part.is_study:
        return f"Study {part.study_id}"
    if part.population:
        countries = {str(s.get("country")) for s in part.specs.values() if s.get("country")}
        where = f"{countries.pop()} ({part.population})" if len(countries) == 1 else part.population
        return f"All schemes on the population of {where}"
    if len(part.labels) == 1:
        return f"{part.labels[0]} against no scheme"
    return "Each scheme on its own population"


def _seeds(part: ReportData) -> str:
    s = part.seeds
    return f"seeds {s[0]}..{s[1]}" if s else "seeds as stored"


def _question_of(part: ReportData, colours: dict[str, str]) -> str:
    months = part.horizon_months()
    spans = sorted(set(months.values()))
    horizon = (f"{spans[0] / 12:g} years" if len(spans) == 1
               else f"{spans[0] / 12:g} to {spans[-1] / 12:g} years (each scheme its own horizon)")
    reps = part.reps or "?"
    where = (f"every scheme is put on the population of <strong>{esc(part.population)}</strong>, so "
             "they compare on equal terms" if part.population else
             "each scheme runs on its own country's population; counts are also shown per 100 buyers"
             if len(part.labels) > 1 else "the scheme runs on its own population")
    schemes = ", ".join(f"{swatch(colours.get(lab, '#999'))}{esc(lab)}" for lab in part.labels)
    extra = ""
    if part.is_study:
        points = part.design.get("points_per_scenario")
        extra = (f" The study varies {len(part.params)} parameter(s) "
                 f"({esc(', '.join(part.params)) or 'none found'})"
                 + (f" over {esc(str(points))} design points per scheme" if points else "")
                 + f"; {esc(str(part.manifest.get('counts', {}).get('runs', len(part.runs))))} runs in all.")
    return (f"<li><strong>{esc(part_title(part))}</strong>: {schemes}. Here {where}. Horizon "
            f"{horizon}; {esc(str(reps))} replications ({esc(_seeds(part))}) with common random "
            f"numbers; each run is paired with the same population and seed without the scheme "
            f"(its counterfactual).{extra}</li>")


def question(parts: list[ReportData], colours: dict[str, str]) -> str:
    """What was asked: the schemes compared, the population, the horizon, the replications."""
    items = "".join(_question_of(p, colours) for p in parts)
    body = (
        "<p>What would each funding scheme for innovative public procurement achieve: how many "
        "public buyers adopt new solutions, how far the solutions scale and spread to other "
        "buyers, and at what public cost, compared with the same buyers and suppliers without "
        "the scheme?</p>"
        f"<ul>{items}</ul>"
        '<p class="callout">How to read the numbers: every number is a mean over replications '
        "(independent simulated histories). <em>90 % interval</em> is the range in which 90 % of "
        "the replications fall (5th to 95th percentile): the spread of plausible outcomes, not "
        "a forecast. <em>Difference to no scheme</em> (Δ) is computed run by run against the "
        "same run without the scheme, so it isolates the scheme's effect from chance.</p>")
    return section("question", "The question", body)


def schemes(parts: list[ReportData], colours: dict[str, str]) -> str:
    """Each scheme once (a scheme put on another population is the same scheme)."""
    seen: dict[str, tuple[str, dict, list[str]]] = {}
    for p in parts:
        for lab in p.labels:
            spec = p.specs.get(lab)
            base = lab.split("@", 1)[0]
            if spec is None:
                continue
            if base not in seen:
                seen[base] = (lab, spec, [])
            elif lab == base and seen[base][0] != base:  # prefer the scheme at home
                old, _, also = seen[base]
                seen[base] = (lab, spec, [old, *also])
            elif lab != seen[base][0]:
                seen[base][2].append(lab)
    origin = {p.spec_origin for p in parts}
    note = ("" if origin == {"manifest"} else
            '<p class="note">Some scheme descriptions come from the current scenario files, not from '
            "the results (the results folder did not store them).</p>")
    blocks = "".join(scheme_block(lab, spec, colours.get(lab, "#999"), also)
                     for lab, spec, also in seen.values())
    body = ('<p>What was simulated, instrument by instrument, as stored with the results. Values '
            'marked <span class="assumed">assumed</span> are the modellers\' assumptions where the '
            f"sources give no figure; everything else cites its source.</p>{note}"
            f"{blocks or '<p class=note>No scenario specifications were stored.</p>'}")
    return section("schemes", "The schemes", body)
