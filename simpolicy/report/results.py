"""The report's findings for one results folder: headline table, curves over time, effects.

Each function returns HTML and records its figures and tables in a `Sink`, so the same
objects end up in the page, the PNG/SVG export and the CSV files.
"""

from __future__ import annotations

import math

import pandas as pd

from simpolicy.analysis.decision_figure import short_design
from simpolicy.analysis.figures import difference_chart, metric_panels
from simpolicy.analysis.labels import fmt_value, label
from simpolicy.analysis.panels import timeseries_panels
from simpolicy.analysis.tables import HEADLINE, PER_100, RELATIVE, band_frame, headline_table, present
from simpolicy.report.data import ReportData
from simpolicy.report.html import Sink, esc, section, swatch, table

DIFF_OUTCOMES = ("adopters", "followers", "solutions_scaled", "projects_started", "buyers_innovating")
# No Δ in the table: relative already, or zero without a scheme by definition (Δ = the value).
NO_DIFF = RELATIVE | {"projects_funded", "programme_spend_eur", "public_money_eur"}
EFFECTS = ("additional_adopters", "deadweight_share", "public_eur_per_additional_adopter",
           "private_eur_per_public_eur")
COUNT_SERIES = ("adopters", "adoptions", "followers", "adopters_counterfactual", "projects_started",
                "projects_funded", "projects_completed", "projects_aborted", "buyers_innovating",
                "additional_adopters")


def _value(mean, p05, p95, o: str, extra: str = "") -> str:
    """Mean with its 90 % interval below; only a dash when the measure is undefined."""
    if not (isinstance(mean, float) and math.isfinite(mean)):
        return "–" + (f'<span class="iv">{extra}</span>' if extra else "")
    return (f"{esc(fmt_value(mean, o))}<span class=\"iv\">[{esc(fmt_value(p05, o))} – "
            f"{esc(fmt_value(p95, o))}]{extra}</span>")


def diff_class(mean: float, ci_low: float, ci_high: float) -> str:
    """'pos'/'neg' only when the 90 % CI of the mean difference excludes zero, else ''.

    A coloured difference reads as a finding; one the replications cannot tell from zero
    stays black whatever its sign.
    """
    if not all(isinstance(x, float) and math.isfinite(x) for x in (mean, ci_low, ci_high)):
        return ""
    return "pos" if ci_low > 0 else "neg" if ci_high < 0 else ""


def _cell(row: pd.Series) -> str:
    o = row["outcome"]
    out = _value(float(row["mean"]), row["p05"], row["p95"], o)
    if o not in NO_DIFF and isinstance(row["diff_mean"], float) and math.isfinite(row["diff_mean"]):
        lo, hi = float(row["diff_ci_low"]), float(row["diff_ci_high"])
        cls = diff_class(float(row["diff_mean"]), lo, hi)
        ci = (f" (CI {esc(fmt_value(lo, o, signed=True))} to {esc(fmt_value(hi, o, signed=True))})"
              if math.isfinite(lo) and math.isfinite(hi) else "")
        out += f'<span class="diff {cls}">Δ {esc(fmt_value(row["diff_mean"], o, signed=True))}{ci}</span>'
    return out


SCHEMES_PER_TABLE = 4  # with the outcome column, what fits an A4 page without scrolling


def split_table(heads: list[str], rows: list[list[str]], per: int = SCHEMES_PER_TABLE) -> str:
    """A wide outcome-by-scheme table as several tables of at most ``per`` schemes each.

    A printed page cannot scroll sideways: nine schemes in one table hid four of them.
    Each part repeats the outcome column so it reads on its own.
    """
    n = max(len(heads) - 1, 1)
    return "".join(table([heads[0], *heads[1 + i:1 + i + per]], [[r[0], *r[1 + i:1 + i + per]]
                                                                 for r in rows])
                   for i in range(0, n, per))


def _verdicts(part: ReportData, outcome: str = "adopters") -> str:
    """Which schemes' mean effect is distinguishable from zero (90 % CI of the mean excludes 0)."""
    s = part.summary
    d = s[(s["kind"] == "difference") & (s["outcome"] == outcome)]
    up = [r.scenario for r in d.itertuples() if r.ci_low > 0]
    down = [r.scenario for r in d.itertuples() if r.ci_high < 0]
    unclear = [r.scenario for r in d.itertuples() if not (r.ci_low > 0 or r.ci_high < 0)]
    bits = []
    if up:
        bits.append(f"more than without the scheme: {esc(', '.join(up))}")
    if down:
        bits.append(f"fewer: {esc(', '.join(down))}")
    if unclear:
        bits.append(f"not distinguishable from no scheme with these replications: {esc(', '.join(unclear))}")
    if not bits:
        return ""
    return ('<p class="callout">Read with the 90 % confidence interval of the mean difference. '
            f"{esc(label(outcome))}: " + "; ".join(bits) + ".</p>")


def headline(part: ReportData, colours: dict[str, str], pid: str, sink: Sink) -> str:
    """Headline table (mean, 90 % interval, Δ to no scheme) and the difference chart."""
    shown = present(HEADLINE, part.summary["outcome"])
    tab = headline_table(part.summary, shown)
    sink.table(f"{pid}headline", tab)
    sink.table(f"{pid}summary", part.summary)
    labels = part.labels
    rows = []
    for o in shown:
        t = tab[tab["outcome"] == o].set_index("scheme")
        if t.empty:
            continue
        rows.append([esc(label(o))] + [_cell(t.loc[lab]) if lab in t.index else "–" for lab in labels])
    heads = ["outcome"] + [short_design(lab, part.population) for lab in labels]
    failed = int((part.runs["status"] != "ok").sum()) if "status" in part.runs else 0
    warn = (f'<p class="callout"><strong>{failed} run(s) failed</strong>; their errors are stored in '
            "the results folder. Every number here uses the successful runs only.</p>" if failed else "")
    status = part.manifest.get("status")
    if status and status != "complete":
        warn += (f'<p class="callout">These results are <strong>{esc(str(status))}</strong>, not complete '
                 "(an interrupted study finishes with <code>simpolicy sweep SPEC --resume</code>).</p>")
    body = [
        warn,
        "<p>Mean over replications, with the range of 90 % of the runs in brackets below it; Δ is "
        "the difference to the same runs without the scheme, with its 90 % CI of the mean in "
        "parentheses, coloured only where that CI excludes zero. Measures that are already "
        "relative to no scheme (additional adopters, deadweight, money per adopter, leverage) "
        "carry no Δ.</p>",
        split_table(heads, rows),
    ]
    if not part.population and len(labels) > 1:
        per = part.summary[part.summary["kind"] == "per_100_buyers"]
        if not per.empty:
            prow = []
            for o in present(PER_100, per["outcome"]):
                t = per[per["outcome"] == o].set_index("scenario")
                if t.empty:
                    continue
                prow.append([esc(label(o))] + [  # a rate per 100 buyers, not a whole count
                    _value(float(t.loc[lab, "mean"]), t.loc[lab, "p05"], t.loc[lab, "p95"], "")
                    if lab in t.index else "–" for lab in labels])
            body += ["<h3>Per 100 buyers</h3><p>The schemes run on populations of different sizes; "
                     "per 100 public buyers they compare on more equal terms.</p>",
                     split_table(heads, prow)]
            sink.table(f"{pid}per_100_buyers", per)
    body.append(_verdicts(part))
    fig = difference_chart(part.summary, DIFF_OUTCOMES, colours, population=part.population)
    body.append(sink.figure(f"{pid}difference", fig,
                            "Each dot is the mean difference to no scheme over replications, with its "
                            "90 % CI of the mean; dashed line: no scheme. Open grey dots: not "
                            "distinguishable from no scheme. Hover for the range of 90 % of the runs."))
    return section(f"{pid}headline", "Headline outcomes", "".join(body))


def _normalised(part: ReportData) -> tuple[pd.DataFrame, bool]:
    """The monthly series, per 100 buyers when schemes run on populations of different sizes."""
    ts = part.timeseries.copy()
    if "adopters_counterfactual" in ts:
        ts["additional_adopters"] = ts["adopters"] - ts["adopters_counterfactual"]
    sizes = {lab: part.buyers(lab) for lab in part.labels}
    per_100 = (not part.population and len(part.labels) > 1 and len(set(sizes.values())) > 1
               and all(sizes.values()))
    if per_100:
        factor = ts["scenario"].map({k: 100 / v for k, v in sizes.items()})
        for c in COUNT_SERIES:
            if c in ts:
                ts[c] = ts[c] * factor
    return ts, per_100


CURVES = (
    ("adopters", "Adoption", "Buyers that have adopted at least one new solution; dashed: the same "
     "runs without the scheme."),
    ("additional_adopters", "Additionality over time", "Adopters minus adopters in the same run "
     "without the scheme: the scheme's effect as it builds up; dashed: no scheme (zero)."),
    ("adoptions", "Scaling", "All adoptions of new solutions, including repeat purchases of the same "
     "solution by more buyers. The results hold no monthly series of this without the scheme."),
    ("followers", "Spread", "Adoptions by buyers other than the developing buyer(s): solutions "
     "spreading across the sector. Open circle: the same runs without the scheme at the horizon "
     "(only its total is recorded, not its monthly series)."),
    ("programme_spend_eur", "Public money", "Programme money paid out, cumulative; without the "
     "scheme none is paid."),
)


def _cf_totals(part: ReportData, col: str, per_100: bool) -> dict[str, float]:
    """Mean of each scheme's no-scheme total at the horizon (``cf_<col>`` of the runs)."""
    runs = part.ok_runs
    if f"cf_{col}" not in runs:
        return {}
    out = runs.groupby("scenario")[f"cf_{col}"].mean().to_dict()
    if per_100:
        out = {k: v * 100 / part.buyers(k) for k, v in out.items() if part.buyers(k)}
    return out


def curves(part: ReportData, colours: dict[str, str], pid: str, sink: Sink) -> str:
    """Adoption, scaling and spread over time, each with its 90 % band, one panel per scheme."""
    if part.timeseries.empty:
        return section(f"{pid}curves", "Over time",
                       '<p class="note">These results hold no monthly series.</p>')
    ts, per_100 = _normalised(part)
    horizon = _horizon_words(part)
    body = ["<p>Monthly means over replications; the shaded band holds 90 % of the runs. One panel "
            "per scheme, on shared axes. " + horizon
            + ("Counts are per 100 public buyers, because the populations differ in size. "
               if per_100 else "") + "</p>"]
    bands = []
    for col, title, caption in CURVES:
        if col not in ts:
            continue
        per = per_100 and col != "programme_spend_eur"
        y_title = f"{label(col)} (per 100 buyers)" if per else None
        fig = timeseries_panels(
            ts, col, colours, zero_is_no_scheme=col in ("additional_adopters", "programme_spend_eur"),
            cf_totals=_cf_totals(part, col, per) if col == "followers" else None,
            y_title=y_title, population=part.population,
            title=f"{title}: {label(col).lower()}")
        body.append(f"<h3>{esc(title)}</h3>" + sink.figure(f"{pid}curve-{col}", fig, caption))
        b = band_frame(ts, col)
        bands.append(b.assign(series=col, per_100_buyers=per))
    if bands:
        sink.table(f"{pid}curves", pd.concat(bands, ignore_index=True))
    return section(f"{pid}curves", "Adoption, scaling and spread over time", "".join(body))


def _horizon_words(part: ReportData) -> str:
    from simpolicy.analysis.decision import horizon_text

    months = part.horizon_months()
    return f"Horizon: {horizon_text(months)}. " if months else ""


def clearly_positive(summary: pd.DataFrame) -> set[str]:
    """Schemes whose additional adopters have a 90 % CI of the mean above zero."""
    eff = present(["additional_adopters"], summary["outcome"])
    rows = summary[(summary["kind"] == "outcomes") & summary["outcome"].isin(eff)]
    return {r.scenario for r in rows.itertuples() if r.ci_low > 0}


def without_unclear_costs(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with money per additional adopter blanked where the effect is not clearly
    above zero: beside a zero or negative effect such a cost means nothing (issue 18)."""
    ok = clearly_positive(summary)
    out = summary.copy()
    cost = out["outcome"].isin(["public_eur_per_additional_adopter", "public_eur_per_adoption"])
    blank = cost & ~out["scenario"].isin(ok)
    out.loc[blank, ["mean", "p05", "p95", "ci_low", "ci_high"]] = math.nan
    out.loc[blank, "n"] = 0
    return out


def effects(part: ReportData, colours: dict[str, str], pid: str, sink: Sink) -> str:
    """Additionality, deadweight, public money per additional adoption, private money leveraged."""
    summary = without_unclear_costs(part.summary)
    s = summary[summary["kind"] == "outcomes"]
    rows = []
    for lab in part.labels:
        cells = [f"{swatch(colours.get(lab, '#999'))}{esc(short_design(lab, part.population))}"]
        for o in present(EFFECTS, s["outcome"]):
            r = s[(s["scenario"] == lab) & (s["outcome"] == o)]
            if r.empty:
                cells.append("–")
                continue
            r = r.iloc[0]
            cells.append(_value(float(r["mean"]), r["p05"], r["p95"], o, f"; {int(r['n'])} runs")
                         if int(r["n"]) else '–<span class="iv">effect not clearly above zero</span>'
                         if "per_" in o and "adopt" in o else "–")
        rows.append(cells)
    body = [
        "<ul><li><strong>Additionality</strong>: adopters with the scheme minus adopters in the same "
        "run without it.</li><li><strong>Deadweight</strong>: the share of funded projects whose "
        "need would have been started without the scheme.</li><li><strong>Public money per "
        "additional adopter</strong>: public money divided by additional adopters, run by run; "
        "shown only where the effect's 90 % CI of the mean is above zero, with the number of runs "
        "it rests on (the decision table gives the ratio of totals).</li>"
        "<li><strong>Private money leveraged</strong>: suppliers' own investment per "
        "programme euro.</li></ul>",
        table(["scheme", *[label(o) for o in present(EFFECTS, s["outcome"])]], rows),
        sink.figure(f"{pid}effects", metric_panels(summary, present(EFFECTS, s["outcome"]), colours,
                                                   population=part.population),
                    "Means with the range of 90 % of the runs (runs where the measure is defined); "
                    "money per additional adopter on a log scale."),
    ]
    return section(f"{pid}effects", "What the money buys: additionality, deadweight, cost, leverage",
                   "".join(body))
