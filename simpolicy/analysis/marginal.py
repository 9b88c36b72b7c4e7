"""The marginal cost of an edit: extra public money per extra adopter, edited against unchanged.

A what-if changes one design; the question it answers is "what does the change buy?". Both
schemes run with the same seeds on the same population (common random numbers), so the
change is paired seed by seed and its noise mostly cancels. The cost per extra adopter is a
ratio of sums (total extra money over total extra adopters) with a delta-method 90 % CI over
replications, like the decision table's cost, and it is given only where the extra adopters'
CI lies above zero: per "extra" adopter of an edit that adds none it would mean nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from simpolicy.analysis.decision import column, ratio_of_sums, t_interval
from simpolicy.analysis.reading import CI, count, money


@dataclass(frozen=True)
class Marginal:
    """Extra adopters, extra public money and money per extra adopter of an edit."""

    pairs: int
    adopters: tuple[float, float, float]  # mean, CI low, CI high of the paired change
    money: tuple[float, float, float]
    cost: tuple[float, float, float]  # NaN unless the extra adopters are clearly above zero
    money_column: str

    @property
    def clear(self) -> bool:
        return math.isfinite(self.adopters[1]) and self.adopters[1] > 0

    def sentence(self) -> str:
        """The answer in words, from the numbers."""
        if self.pairs == 0:
            return "No pair of runs has finished yet."
        a, m = self.adopters, self.money
        head = (f"The edit changes adopters by {count(a[0])} ({CI} {count(a[1])} to {count(a[2])}) "
                f"and public money by {_signed_money(m[0])} ({CI} {_signed_money(m[1])} to "
                f"{_signed_money(m[2])}), over {self.pairs} pairs of runs with the same seeds")
        if self.clear and math.isfinite(self.cost[0]) and self.cost[0] <= 0:
            return f"{head}: extra adopters for no extra public money."
        if self.clear and math.isfinite(self.cost[0]):
            lo, hi = self.cost[1], self.cost[2]
            ci = f" ({CI} {money(lo)} to {money(hi)})" if math.isfinite(lo) else ""
            return f"{head}: {money(self.cost[0])} of extra public money per extra adopter{ci}."
        return (f"{head}. The extra adopters are not clearly above zero, so no cost per extra "
                "adopter is given.")


def _signed_money(x: float) -> str:
    return ("+" if x > 0 else "") + money(x) if math.isfinite(x) else "–"


def marginal_cost(runs: pd.DataFrame, unchanged: str, whatif: str) -> Marginal:
    """Paired change edited minus unchanged over the seeds both finished."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    money_col = column(ok, "public_money_eur") or "programme_spend_eur"
    a = ok[ok["scenario"] == unchanged].drop_duplicates("seed").set_index("seed")
    b = ok[ok["scenario"] == whatif].drop_duplicates("seed").set_index("seed")
    seeds = a.index.intersection(b.index)
    nan3 = (math.nan, math.nan, math.nan)
    if len(seeds) == 0 or "adopters" not in ok or money_col not in ok:
        return Marginal(0, nan3, nan3, nan3, money_col)
    d_adopt = (b.loc[seeds, "adopters"] - a.loc[seeds, "adopters"]).astype(float)
    d_money = (b.loc[seeds, money_col] - a.loc[seeds, money_col]).astype(float)
    adopters = t_interval(d_adopt)[:3]
    extra = t_interval(d_money)[:3]
    cost = nan3
    if math.isfinite(adopters[1]) and adopters[1] > 0:
        cost = ratio_of_sums(d_money, d_adopt)[:3]
    return Marginal(len(seeds), adopters, extra, cost, money_col)
