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


def hopeless(model: PolicyModel, rows: np.ndarray, u: np.ndarray, dev_cost: np.ndarray,
             value: np.ndarray, complexity: np.ndarray, existing: np.ndarray,
             open_to: np.ndarray) -> np.ndarray:
    """Needs that certainly end at once: no grant possible and not worth it on own money.

    Args:
        rows: the buyers' rows.
        u: each need's own block of uniforms (``Need.u``).
        dev_cost, value, complexity, existing: the needs' attributes (``NeedSource._build``).
        open_to: whether some instrument the buyer knows might fund the need.
    """
    b, buyers = model.behaviour, model.buyers
    total, first = phase_totals(model, dev_cost, existing)
    pop = model.scenario.population
    background = np.where(u[:, U_BACKGROUND] < pop.background_funding_share,
                          pop.background_funding_rate, 0.0)
    own = total * (1 - background)
    years = np.where(existing, 0.5, (6 + 24 * complexity) / 12)
    budget = buyers.budget[rows]
    unaffordable = (_clearly_above(first, buyers.budget_left[rows] + 1e-9)
                    | _clearly_above(own / np.maximum(1.0, years), budget))
    # Buyer.perceived_success and Buyer.utility, for many needs
    success = np.where(existing, 0.9, (1 - b.complexity_effect * complexity)
                       * (0.5 + 0.5 * buyers.capability[rows]))
    risk = model.risk_weight[rows]
    commit = np.where(buyers.small[rows], b.multi_year_penalty_small * years, 0.0)
    not_worth = _clearly_above(own * (risk + commit), success * value)
    return ~open_to & (unaffordable | not_worth)


def _clearly_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a > b`` by more than rounding could explain."""
    return a > b + TOL * (np.abs(a) + np.abs(b) + 1.0)
