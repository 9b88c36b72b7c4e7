"""A first look at the month's new needs, all at once: which cannot lead to a project.

About half of all needs end on the spot: no instrument the buyer knows is open for them, and
on its own money the project is not worth it or does not fit this year's budget
(``PolicyModel._worth_it``). That test is the same arithmetic for every need, so it is done
here for the month's needs as arrays, and only the other needs are built and go through the
buyer's full decision one by one. This changes nothing but the time a run takes:

- a need that might get a grant is never screened out (it takes the full path);
- the screen drops a need only if the full decision would drop it by a clear margin
  (``TOL``), so rounding in array arithmetic can never change a decision;
- budgets only fall within a month, so a need the buyer cannot afford now it cannot afford
  later in the month either.

``tests/test_model_speedups.py`` runs scenarios with the screen on and off and requires
identical results, and checks these formulas against the one-need ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .draws import A_COMPLEXITY, ATTRS
from .project import U_BACKGROUND

if TYPE_CHECKING:
    from .model import PolicyModel

TOL = 1e-9  # relative margin: the screen only decides what is clear beyond rounding


def phase_totals(model: PolicyModel, dev_cost: np.ndarray, existing: np.ndarray):
    """Total cost and the first year's cost (preparation and tender), as ``NeedSource.costs``."""
    pcm = model.behaviour.purchase_cost_multiple
    price = dev_cost * pcm
    total = np.where(existing, (0.03 + 0.02 + 0.75 + 0.25) * price,
                     (0.06 + 0.03 + 1.0) * dev_cost + (0.7 + 0.3) * pcm * dev_cost)
    first = np.where(existing, (0.03 + 0.02) * price, (0.06 + 0.03) * dev_cost)
    return total, first


class Screen:
    """The screen of one run: what is fixed about each need over the run, made once.

    A need's cost, value, background share and complexity come from its draws; its buyer's
    size, budget, risk weight and smallness change only when buyers merge (``refresh``).
    So the parts of the test that depend on nothing else are computed for every need of
    the horizon at once, for both routes (a product exists or not: that is decided in the
    month), and a month reads its slice. What changes within a run (the budget left this
    year, capability the competence centre raises, whether an instrument is open to the
    need) is read in the month.
    """

    def __init__(self, model: PolicyModel):
        self.model = model
        d = model.draws
        self.first = d.month_first
        h = d.horizon
        self.rows = h.rows
        b, pop = model.behaviour, model.scenario.population
        self._cost_f = np.exp(b.cost_sd_log * h.z[:, 0])
        self._value_f = np.exp(0.5 * h.z[:, 1])
        u = h.u  # each need's uniforms: the ATTRS that made it, then those it carries
        complexity = u[:, A_COMPLEXITY] ** 0.8
        self._years_d = (6 + 24 * complexity) / 12
        self._hard = 1 - b.complexity_effect * complexity  # success before capability
        background = np.where(u[:, ATTRS + U_BACKGROUND] < pop.background_funding_share,
                              pop.background_funding_rate, 0.0)
        self._own_share = 1 - background
        self.stale = True  # what the buyers fix is made at the first month's screen

    def refresh(self) -> None:
        """What the buyers' sizes, budgets and risk weights fix (again after buyers merged,
        ODD 7.13: ``stale`` is set)."""
        self.stale = False
        m, b = self.model, self.model.behaviour
        rows = self.rows
        dev_cost = b.dev_cost_eur * m.size_scales[rows] * self._cost_f
        value = b.value_multiple * dev_cost * (1.09 + b.purchase_cost_multiple) * self._value_f
        budget, risk = m.buyers.budget[rows], m.risk_weight[rows]
        small = m.buyers.small[rows]
        out = {}
        for existing in (True, False):
            total, first = phase_totals(m, dev_cost, np.full(len(rows), existing))
            own = total * self._own_share
            years = np.full(len(rows), 0.5) if existing else self._years_d
            commit = np.where(small, b.multi_year_penalty_small * years, 0.0)
            out[existing] = (first, _clearly_above(own / np.maximum(1.0, years), budget),
                             own * (risk + commit))
        self._first_e, self._over_e, lhs_e = out[True]
        self._first_d, self._over_d, self._lhs_d = out[False]
        self._not_worth_e = _clearly_above(lhs_e, 0.9 * value)  # Buyer.perceived_success: 0.9
        self._value_hard = value * self._hard

    def hopeless(self, month: int, exists: np.ndarray, open_to: np.ndarray) -> np.ndarray:
        """The month's needs (in arrival order) that certainly end at once: no grant possible
        and not worth it on own money (``PolicyModel._worth_it`` and ``Buyer.utility``).

        Args:
            exists: whether a product exists for each need (its route).
            open_to: whether some instrument the buyer knows might fund the need.
        """
        if self.stale:
            self.refresh()
        lo, hi = self.first[month], self.first[month + 1]
        buyers, rows = self.model.buyers, self.rows[lo:hi]
        # this year's part must fit what is left, each year's share a year's budget
        first = np.where(exists, self._first_e[lo:hi], self._first_d[lo:hi])
        unaffordable = (np.where(exists, self._over_e[lo:hi], self._over_d[lo:hi])
                        | _clearly_above(first, buyers.budget_left[rows] + 1e-9))
        # expected value against own money at risk; a development's success needs capability
        success_value = self._value_hard[lo:hi] * (0.5 + 0.5 * buyers.capability[rows])
        not_worth = np.where(exists, self._not_worth_e[lo:hi],
                             _clearly_above(self._lhs_d[lo:hi], success_value))
        return ~open_to & (unaffordable | not_worth)


def _clearly_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a > b`` by more than rounding could explain."""
    return a > b + TOL * (np.abs(a) + np.abs(b) + 1.0)
