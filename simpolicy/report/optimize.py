"""The report of a design search: the front, the chosen designs in words, and what changed.

An analyst reads it to answer "is there a better way to spend this money than the scheme as
written, and how sure are we?". So it opens with that answer (with the paired 90 %
intervals the search computed against the start), shows effect against cost for every
design, describes each design on the front as a list of changes to the starting scheme
in plain words, and ends with how stable the front is and where the numbers come from.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from simpolicy.analysis.front_figure import (
    difference_figure,
    fmt_measure,
    front_figure,
    hypervolume_figure,
    measure_label,
)
from simpolicy.analysis.tables import write_csvs
from simpolicy.report.data import NotResults
from simpolicy.report.describe import KIND, instruments_table
from simpolicy.report.html import Sink, esc, page, section, table
from simpolicy.results.store import read_manifest

MAX_CHOSEN = 8


def is_search(folder: Path) -> bool:
    """Whether a results folder holds a design search (``simpolicy optimize``)."""
    try:
        return read_manifest(Path(folder)).get("kind") == "optimize"
    except (OSError, ValueError):
        return False


def build_search_report(folder: Path, out: Path | None = None, figures_dir: Path | None = None):
    """Writes the search's HTML report and its CSV tables (and figures); returns a Report."""
    from simpolicy.experiments.optdir import read_designs
    from simpolicy.report.build import Report

    folder = Path(folder)
    try:
        m = read_manifest(folder)
        designs = read_designs(folder, m)
    except (OSError, ValueError) as e:
        raise NotResults(f"{folder}: cannot read the search: {e}") from None
    if designs.empty or m.get("status") != "complete":
        raise NotResults(f"{folder}: the search is not complete ({m.get('status')}); finish it with "
                         "simpolicy optimize SPEC --resume")
    out = Path(out) if out else folder / "report.html"
    sink = Sink()
    ctx = _Context(m, designs)
    parts = [("answer", "The answer", ctx.answer()), ("question", "What was searched", ctx.question()),
             ("front", "The front: effect against cost", ctx.front(sink)),
             ("designs", "The designs on the front, in plain words", ctx.chosen()),
             ("stability", "Is the front stable?", ctx.stability(sink)),
             ("scheme", "The scheme as written", instruments_table(ctx.start_spec)),
             ("provenance", "Provenance", ctx.provenance())]
    body = "".join(section(i, t, b) for i, t, b in parts)
    sink.table("designs", designs)
    csvs = write_csvs(sink.tables, out.parent, prefix=f"{out.stem}-")
    out.parent.mkdir(parents=True, exist_ok=True)
    title = f"Design search: {m.get('spec', {}).get('name', folder.name)}"
    out.write_text(page(title, esc(str(m.get("spec", {}).get("description", ""))),
                        [(i, t) for i, t, _ in parts], body,
                        "Tables as CSV next to this file. Self-contained: opens offline."), encoding="utf-8")
    images = []
    if figures_dir:
        from simpolicy.report.export import write_figures

        images = write_figures(sink.figures, Path(figures_dir))
    return Report(out, csvs, images, list(sink.figures), [i for i, _, _ in parts])


class _Context:
    """One search's manifest and designs, and the sections made from them."""

    def __init__(self, m: dict, designs: pd.DataFrame):
        self.m, self.d = m, designs
        self.spec = m.get("spec") or {}
        self.goals: dict[str, str] = (m.get("result") or {}).get("goals") or m.get("objectives") or {}
        label, info = next(iter((m.get("scenarios") or {"?": {}}).items()))
        self.label, self.years = label, float(info.get("horizon_years") or 1)
        self.start_spec = info.get("spec") or {}
        self.effect = next((k for k, g in self.goals.items() if g == "max"), next(iter(self.goals)))
        self.cost = next((k for k, g in self.goals.items() if g == "min"), None)
        self.start = designs[designs["origin"] == "start"].iloc[0]
        self.front_rows = designs[designs["pareto"] & (designs["origin"] != "start")]
        self.params = list(m.get("parameters") or [])

    def _iv(self, row, key: str, signed: bool = False, scale: float = 1.0) -> str:
        mean, lo, hi = (row.get(f"{key}{s}") for s in ("", "_ci_low", "_ci_high"))
        name = key.removesuffix("_vs_start")
        return (f"{fmt_measure(_div(mean, scale), name, signed)} <span class=\"iv\">90 % CI "
                f"{fmt_measure(_div(lo, scale), name, signed)} to "
                f"{fmt_measure(_div(hi, scale), name, signed)}</span>")

    def _vs(self, row, key: str) -> str:
        """A design's paired difference to the scheme as written, with its interval."""
        return self._iv(row, f"{key}_vs_start", True, self._scale(key))

    def _name(self, key: str) -> str:
        """A measure's label, "a year" for money (shown per year, as budgets and bounds are)."""
        return measure_label(key) + (" a year" if self._scale(key) != 1 else "")

    def _scale(self, key: str) -> float:
        """Money over the horizon is shown a year (the constraint's and the budget's unit)."""
        return self.years if key.endswith("_eur") else 1.0

    def _rows(self, ids) -> pd.DataFrame:
        return self.d[self.d["design"].isin([int(x) for x in ids or []])]

    def _gain(self, row) -> str:
        """A design's effect and cost against the scheme as written, with paired intervals."""
        e, c = self.effect, self.cost
        return (f"{int(row['design'])}, {self._iv(row, f'{e}_vs_start', True)} "
                f"{esc(measure_label(e).lower())} at {self._iv(row, f'{c}_vs_start', True, self._scale(c))} "
                f"{esc(measure_label(c).lower())}{' a year' if self._scale(c) != 1 else ''}")

    def answer(self) -> str:
        e, c = self.effect, self.cost
        final = self.spec.get("search", {}).get("final_replications")
        tried, again = int((self.d["origin"] == "search").sum()), int(self.d["reevaluated"].sum()) - 1
        out = [f"<p>The search tried {tried} designs of "
               f"<strong>{esc(self.label)}</strong> and re-evaluated the {again} "
               f"leading ones and the scheme as written with {final} replications each (the same seeds, so "
               "each design's difference to the scheme as written is paired run by run).</p>"]
        if c is None:
            return "".join(out)
        r = self.m.get("result") or {}
        el, cl = esc(measure_label(e).lower()), esc(measure_label(c).lower())
        more = self._rows(r.get("clearly_more_effect_no_more_cost"))
        cheaper = self._rows(r.get("clearly_less_cost_no_less_effect"))
        dom = self._rows(r.get("dominating_start_on_effect_and_cost"))
        if not more.empty:
            best = more.sort_values(f"{e}_vs_start", ascending=False).iloc[0]
            head = (f"Yes: {len(more)} design(s) give clearly more {el} than the scheme as written for no "
                    f"more {cl}; the largest gain is design {self._gain(best)}.")
        elif not dom.empty:
            ids = ", ".join(str(int(x)) for x in dom["design"])
            head = (f"On the means, {len(dom)} design(s) ({ids}) give at least as many {el} for no more "
                    f"{cl} (they dominate the scheme as written on these two), but none gives clearly "
                    f"more {el} at no more {cl}.")
        else:
            head = f"No design found gives more {el} than the scheme as written for no more {cl}."
        items = []
        if not cheaper.empty:
            best = cheaper.sort_values(f"{c}_vs_start").iloc[0]
            items.append(f"The largest clear saving without fewer {el}: design {self._gain(best)}.")
        clear = self.d[self.d["reevaluated"] & (self.d["origin"] != "start") & self.d["feasible"]
                       & (self.d[f"{e}_vs_start_ci_low"] > 0)]
        if not clear.empty:
            best = clear.sort_values(f"{e}_vs_start", ascending=False).iloc[0]
            items.append(f"The largest clear gain in {el} at any {cl} within the constraint: design "
                         f"{self._gain(best)}.")
        n_dom, n_beat = len(r.get("dominating_start") or []), len(r.get("beating_start") or [])
        items.append(f"On all {len(self.goals)} objectives, {n_dom} design(s) dominate the scheme as written "
                     f"on the means and {n_beat} are clearly better on one objective and clearly worse on "
                     "none (paired 90 % CIs).")
        out.append(f'<p class="callout">{head}</p><ul>' + "".join(f"<li>{x}</li>" for x in items) + "</ul>")
        out.append(f"<p>The scheme as written: {esc(measure_label(e))} {self._iv(self.start, e)}; "
                   f"{esc(measure_label(c))} {self._iv(self.start, c, scale=self._scale(c))}"
                   f"{' a year' if self._scale(c) != 1 else ''}.</p>")
        return "".join(out)

    def question(self) -> str:
        s = self.spec
        rows = [[f"<code>{esc(p)}</code>", esc(_range(v))] for p, v in (s.get("parameters") or {}).items()]
        b = s.get("budget")
        if b:
            rows.append(["yearly total split by shares", esc(_range(b["total_eur"], "public_money_eur")
                                                             + " a year, into "
                                                             + ", ".join(_short(x) for x in b["shares"]))])
        goals = "; ".join(f"{g}imise {esc(measure_label(k).lower())}" for k, g in self.goals.items())
        cons = "; ".join(_bound(c) for c in s.get("constraints") or [])
        se = s.get("search") or {}
        return (f"<p>Objectives: {goals}. Constraint: {cons or 'none'} (on the mean over a design's "
                "runs).</p>"
                + table(["searched", "range"], rows, numeric_from=9)
                + f"<p>NSGA-II (optuna), {se.get('population')} designs a generation, "
                  f"{se.get('generations')} "
                  f"generations, {s.get('replications')} replications per design (seeds {s.get('base_seed')} "
                  f"onwards), {se.get('final_replications')} for the designs reported; horizon "
                  f"{self.years:g} year{'s' if self.years != 1 else ''}.</p>")

    def front(self, sink: Sink) -> str:
        if self.cost is None:
            return "<p class=\"note\">No objective to minimise: no cost axis to draw.</p>"
        money = self.cost.endswith("_eur")
        fig = front_figure(self.d, self.effect, self.cost, self.years if money else 1.0,
                           f"{measure_label(self.cost)} a year (EUR)" if money else None)
        heads = ["design", *(self._name(k) for k in self.goals), "vs the scheme as written", "front"]
        rows = []
        for _, r in self.d[self.d["reevaluated"]].sort_values(self.effect, ascending=False).iterrows():
            start = r["origin"] == "start"
            vs = "" if start else "<br>".join(f"{esc(self._name(k))}: {self._vs(r, k)}" for k in self.goals)
            rows.append(["as written" if start else str(int(r["design"])),
                         *(self._iv(r, k, scale=self._scale(k)) for k in self.goals), vs,
                         ("yes" if r["pareto"] else "no")
                         + ("" if r["feasible"] else " (over the constraint)")])
        return (sink.figure("front", fig, "Grey: designs tried (means of the search's replications). "
                            "Blue: the front after re-evaluation, with 90 % confidence intervals of the "
                            "mean on both axes. Star: the scheme as written. The front is taken on every "
                            "objective, so a design may look beaten on these two axes and still be on it.")
                + sink.figure("front-vs-start", difference_figure(
                    self.d, self.effect, self.cost, self.years if money else 1.0,
                    f"{measure_label(self.cost)} a year (EUR)" if money else None),
                    "Each re-evaluated design minus the scheme as written, seed by seed (common random "
                    "numbers), with the 90 % confidence intervals of these paired differences: much "
                    "narrower than the intervals above, which include the spread between seeds.")
                + table(heads, rows, numeric_from=1))

    def chosen(self) -> str:
        rows = self.front_rows.sort_values(self.effect, ascending=False).head(MAX_CHOSEN)
        if rows.empty:
            return "<p>No design other than the scheme as written is on the front.</p>"
        out = []
        for _, r in rows.iterrows():
            changes = "".join(f"<li>{c}</li>" for c in self.changes(r)) or "<li>no change</li>"
            gains = ", ".join(f"{esc(self._name(k).lower())} {self._vs(r, k)}" for k in self.goals)
            out.append(f"<h3>Design {int(r['design'])}</h3><p>Against the scheme as written: {gains}.</p>"
                       f"<ul>{changes}</ul>")
        return "".join(out)

    def changes(self, row) -> list[str]:
        """What a design changes in the starting scheme, one plain sentence per value."""
        instruments = (self.start_spec.get("scheme") or {}).get("instruments", [])
        kinds = {i.get("id"): i.get("type") for i in instruments}
        out = []
        for p in self.params:
            new, old = row.get(p), self.start.get(p)
            if _same(new, old):
                continue
            parts = p.split(".")
            inst = len(parts) > 3 and parts[1] == "instruments"
            what = KIND.get(kinds.get(parts[2], ""), "") if inst else ""
            who = (f"<strong>{esc(parts[2])}</strong> ({esc(what.lower())})" if what
                   else f"<code>{esc(p)}</code>")
            field = parts[-1]
            if field == "rate":
                out.append(f"{who} pays {_pct(new)} of eligible costs (as written: {_pct(old)})")
            elif field.endswith("budget_eur"):
                out.append(f"{who} has {fmt_measure(new, 'public_money_eur')} a year "
                           f"(as written: {fmt_measure(old, 'public_money_eur')})")
            else:
                out.append(f"{who}: {esc(field.replace('_', ' '))} {esc(_num(new))} "
                           f"(as written: {esc(_num(old))})")
        return out

    def stability(self, sink: Sink) -> str:
        r = self.m.get("result") or {}
        hv = r.get("hypervolume") or []
        ch = r.get("hypervolume_change_last")
        verdict = ("n/a (one generation)" if ch is None or not math.isfinite(ch) else
                   f"{100 * ch:.2f} % over the last generation: "
                   + ("stable (under 1 %)" if ch < 0.01 else "still moving (1 % or more)"))
        return (f"<p>Hypervolume change {verdict}. The hypervolume is measured on the search's "
                "few-replication means with every objective scaled to 0-1 over all feasible designs "
                "tried.</p>"
                + (sink.figure("hypervolume", hypervolume_figure(hv)) if hv else ""))

    def provenance(self) -> str:
        rows = [["study", esc(str(self.m.get("study_id")))],
                ["code version", esc(str(self.m.get("code_version")))],
                ["spec hash", esc(str(self.m.get("spec_hash", ""))[:16])],
                ["created", esc(str(self.m.get("created")))]]
        rows += [["command", f"<code>{esc(str(s.get('command')))}</code>"]
                 for s in self.m.get("sessions") or [] if s.get("command")]
        return table(["", ""], rows, numeric_from=9)


def _bound(c: dict) -> str:
    """A constraint in words: "public money a year at most EUR 3.4 m"."""
    what = esc(measure_label(c["outcome"]).lower()) + (" a year" if c.get("per_year") else "")
    if c.get("max") is not None:
        return f"{what} at most {fmt_measure(c['max'], c['outcome'])}"
    return f"{what} at least {fmt_measure(c.get('min'), c['outcome'])}"


def _div(x, scale: float):
    return x / scale if isinstance(x, int | float) and x is not None else x


def _same(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _pct(x) -> str:
    try:
        return f"{100 * float(x):.0f} %"
    except (TypeError, ValueError):
        return "–"


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, int | float) else str(x)


def _short(path: str) -> str:
    parts = path.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "instruments" else path


def _range(p: dict, unit_of: str = "") -> str:
    """A searched range in words (money in EUR k/m when ``unit_of`` names a money outcome)."""
    def f(x):
        return fmt_measure(x, unit_of) if unit_of else f"{x:,g}"
    if p.get("levels") is not None:
        return ", ".join(f(x) for x in p["levels"])
    return f"{f(p.get('low'))} to {f(p.get('high'))}" + (" (log scale)" if p.get("scale") == "log" else "")
