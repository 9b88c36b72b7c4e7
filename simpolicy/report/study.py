"""The report's section for studies (sweeps): each swept parameter's effect and sensitivity.

Works on any study table: parameters are the numeric columns that are neither outcomes,
counterfactual outcomes nor ids, so a new design or parameter needs no change here.
"""

from __future__ import annotations

import pandas as pd

from simpolicy.analysis.figures import parameter_effects_chart, sensitivity_chart
from simpolicy.analysis.labels import fmt_value, label, short_label
from simpolicy.analysis.tables import parameter_effects
from simpolicy.report.data import ReportData
from simpolicy.report.html import Sink, esc, section, table

STUDY_OUTCOMES = ("additional_adoptions", "adopters", "public_eur_per_adoption", "followers",
                  "deadweight_share")
MAX_EFFECT_FIGS = 3
MAX_SENS_FIGS = 4


def _param_rows(runs: pd.DataFrame, params: list[str]) -> list[list[str]]:
    rows = []
    for p in params:
        x = runs[p].dropna()
        levels = x.nunique()
        rows.append([f"<code>{esc(p)}</code>", esc(short_label(p)), fmt_value(x.min()), fmt_value(x.max()),
                     str(levels) if levels <= 12 else "continuous"])
    return rows


def study(part: ReportData, pid: str, sink: Sink) -> str:
    """Parameters swept, the outcome against each parameter, and the sensitivity indices."""
    runs = part.ok_runs
    params = part.params
    spec = part.manifest.get("spec") or {}
    design = part.design.get("kind") or spec.get("design") or "?"
    body = [f"<p>Design <strong>{esc(str(design))}</strong> over {len(params)} parameter(s), "
            f"{len(runs)} successful runs. The summary compares its designs one by one; the headline "
            "numbers in this part average over all of them.</p>"]
    if params:
        body.append(table(["parameter", "meaning", "lowest", "highest", "levels"],
                          _param_rows(runs, params), numeric_from=2))
        body.append("<h3>Effect of each parameter</h3><p>Each panel bins the runs by one "
                    "parameter (averaging over the others) and shows the mean and the range of "
                    "90 % of runs in each bin.</p>")
        shown = [o for o in STUDY_OUTCOMES if o in runs and runs[o].notna().any()][:MAX_EFFECT_FIGS]
        effects = []
        for o in shown:
            eff = parameter_effects(runs, params, o)
            effects.append(eff.assign(outcome=o))
            body.append(sink.figure(f"{pid}study-{o}", parameter_effects_chart(eff, o)))
        if effects:
            sink.table(f"{pid}parameter_effects", pd.concat(effects, ignore_index=True))
    else:
        body.append('<p class="note">No swept parameter varies in these runs.</p>')
    body.append(_sensitivity(part, pid, sink))
    return section(f"{pid}study", "The study: swept parameters and sensitivity", "".join(body))


def _sensitivity(part: ReportData, pid: str, sink: Sink) -> str:
    sens = part.sensitivity
    if sens.empty:
        return ("<h3>Sensitivity indices</h3><p class=\"note\">No sensitivity indices: the design "
                "is not Sobol or Morris, or the analysis has not run.</p>")
    sink.table(f"{pid}sensitivity", sens)
    out = ["<h3>Sensitivity indices</h3><p>How much of each outcome's variation each parameter "
           "explains: for Sobol designs S1 (alone) and ST (with its interactions) as shares of the "
           "variance; for Morris designs μ* (the mean absolute elementary effect) and σ "
           "(interactions and non-linearity). Bars show the 95 % confidence half-width where "
           "available.</p>"]
    scen = list(dict.fromkeys(sens["scenario"])) if "scenario" in sens else [None]
    with_values = set(sens.loc[sens["value"].notna(), "outcome"])
    outcomes = [o for o in STUDY_OUTCOMES if o in with_values]
    outcomes += [o for o in dict.fromkeys(sens["outcome"]) if o in with_values and o not in outcomes]
    n = 0
    for sc in scen:
        s = sens if sc is None else sens[sens["scenario"] == sc]
        for o in outcomes:
            if n >= MAX_SENS_FIGS or s[(s["outcome"] == o) & s["value"].notna()].empty:
                continue
            title = f"Sensitivity of {label(o).lower()}" + (f" ({sc})" if sc else "")
            out.append(sink.figure(f"{pid}sens-{n}", sensitivity_chart(s, o, title=title)))
            n += 1
    notes = sens["note"].dropna().unique() if "note" in sens else []
    notes = [x for x in notes if str(x).strip()]
    if notes:
        out.append(f'<p class="note">Notes from the analysis: {esc("; ".join(map(str, notes[:5])))}</p>')
    out.append('<p class="note">All indices are in the CSV file of this report.</p>')
    return "".join(out)
