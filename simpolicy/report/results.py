"""The report's findings for one results folder: headline table, curves over time, effects.

Each function returns HTML and records its figures and tables in a `Sink`, so the same
objects end up in the page, the PNG/SVG export and the CSV files.
"""

from __future__ import annotations

import math

import pandas as pd

from simpolicy.analysis.decision_figure import short_design
from simpolicy.analysis.figures import difference_chart, metric_panels, timeseries_bands
from simpolicy.analysis.labels import fmt_value, label
from simpolicy.analysis.tables import HEADLINE, PER_100, RELATIVE, band_frame, headline_table
from simpolicy.report.data import ReportData
from simpolicy.report.html import Sink, esc, section, swatch, table

DIFF_OUTCOMES = ("adopters", "followers", "solutions_scaled", "projects_started", "buyers_innovating")
# No Δ in the table: relative already, or zero without a scheme by definition (Δ = the value).
NO_DIFF = RELATIVE | {"projects_funded", "programme_spend_eur"}
EFFECTS = ("additional_adoptions", "deadweight_share", "public_eur_per_adoption",
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


def _cell(row: pd.Series) -> str:
    o = row["outcome"]
    out = _value(float(row["mean"]), row["p05"], row["p95"], o)
    if o not in NO_DIFF and isinstance(row["diff_mean"], float) and math.isfinite(row["diff_mean"]):
        cls = "pos" if row["diff_mean"] > 0 else "neg" if row["diff_mean"] < 0 else ""
        out += (f'<span class="diff {cls}">Δ {esc(fmt_value(row["diff_mean"], o, signed=True))} '
                f'[{esc(fmt_value(row["diff_p05"], o, signed=True))} – '
                f'{esc(fmt_value(row["diff_p95"], o, signed=True))}]</span>')
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
    tab = headline_table(part.summary, HEADLINE)
    sink.table(f"{pid}headline", tab)
    sink.table(f"{pid}summary", part.summary)
    labels = part.labels
    rows = []
    for o in HEADLINE:
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
        "<p>Mean over replications, with the 90 % interval below it; Δ is the difference to the "
        "same runs without the scheme, with its 90 % interval. Measures that are already relative "
        "to no scheme (additional adopters, deadweight, money per adopter, leverage) carry no Δ.</p>",
        split_table(heads, rows),
    ]
    if not part.population and len(labels) > 1:
        per = part.summary[part.summary["kind"] == "per_100_buyers"]
        if not per.empty:
            prow = []
            for o in PER_100:
                t = per[per["outcome"] == o].set_index("scenario")
                if t.empty:
                    continue
                prow.append([esc(label(o))] + [
                    _value(float(t.loc[lab, "mean"]), t.loc[lab, "p05"], t.loc[lab, "p95"], o)
                    if lab in t.index else "–" for lab in labels])
            body += ["<h3>Per 100 buyers</h3><p>The schemes run on populations of different sizes; "
                     "per 100 public buyers they compare on more equal terms.</p>",
                     split_table(heads, prow)]
            sink.table(f"{pid}per_100_buyers", per)
    body.append(_verdicts(part))
    fig = difference_chart(part.summary, DIFF_OUTCOMES, colours)
    body.append(sink.figure(f"{pid}difference", fig,
                            "Each dot is the mean difference to no scheme over replications; the bar "
                            "spans 90 % of the runs. Hover for the 90 % confidence interval of the mean."))
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
    ("adopters", "Adoption", True,
     "Buyers that have adopted at least one new solution; dashed: the same runs without the scheme."),
    ("additional_adopters", "Additionality over time", False,
     "Adopters minus adopters in the same run without the scheme: the scheme's effect as it builds up."),
    ("adoptions", "Scaling", False,
     "All adoptions of new solutions, including repeat purchases of the same solution by more buyers."),
    ("followers", "Spread", False,
     "Adoptions by buyers other than the developing buyer(s): solutions spreading across the sector."),
    ("programme_spend_eur", "Public money", False, "Programme money paid out, cumulative."),
)


def curves(part: ReportData, colours: dict[str, str], pid: str, sink: Sink) -> str:
    """Adoption, scaling and spread over time, each with its 90 % band."""
    if part.timeseries.empty:
        return section(f"{pid}curves", "Over time",
                       '<p class="note">These results hold no monthly series.</p>')
    ts, per_100 = _normalised(part)
    body = ["<p>Monthly means over replications; the shaded band holds 90 % of the runs. "
            + ("Counts are per 100 public buyers, because the populations differ in size. "
               if per_100 else "") + "</p>"]
    bands = []
    for col, title, cf, caption in CURVES:
        if col not in ts:
            continue
        per = per_100 and col != "programme_spend_eur"
        y_title = f"{label(col)} (per 100 buyers)" if per else None
        fig = timeseries_bands(ts, col, colours, counterfactual=cf, y_title=y_title,
                               title=f"{title}: {label(col).lower()}, mean and 90 % band")
        body.append(f"<h3>{esc(title)}</h3>" + sink.figure(f"{pid}curve-{col}", fig, caption))
        b = band_frame(ts, col)
        bands.append(b.assign(series=col, per_100_buyers=per))
    if bands:
        sink.table(f"{pid}curves", pd.concat(bands, ignore_index=True))
    return section(f"{pid}curves", "Adoption, scaling and spread over time", "".join(body))


def effects(part: ReportData, colours: dict[str, str], pid: str, sink: Sink) -> str:
    """Additionality, deadweight, public money per additional adoption, private money leveraged."""
    s = part.summary[part.summary["kind"] == "outcomes"]
    rows = []
    for lab in part.labels:
        cells = [f"{swatch(colours.get(lab, '#999'))}{esc(lab)}"]
        for o in EFFECTS:
            r = s[(s["scenario"] == lab) & (s["outcome"] == o)]
            if r.empty:
                cells.append("–")
                continue
            r = r.iloc[0]
            cells.append(_value(float(r["mean"]), r["p05"], r["p95"], o, f"; {int(r['n'])} runs"))
        rows.append(cells)
    body = [
        "<ul><li><strong>Additionality</strong>: adopters with the scheme minus adopters in the same "
        "run without it.</li><li><strong>Deadweight</strong>: the share of funded projects whose "
        "need would have been started without the scheme.</li><li><strong>Public money per "
        "additional adopter</strong>: programme money paid divided by additional adopters; "
        "undefined in runs without additional adopters, so the number of runs with a value is "
        "shown.</li><li><strong>Private money leveraged</strong>: suppliers' own investment per "
        "programme euro.</li></ul>",
        table(["scheme", *[label(o) for o in EFFECTS]], rows),
        sink.figure(f"{pid}effects", metric_panels(part.summary, EFFECTS, colours),
                    "Means with the range of 90 % of the runs (runs where the measure is defined)."),
    ]
    return section(f"{pid}effects", "What the money buys: additionality, deadweight, cost, leverage",
                   "".join(body))
