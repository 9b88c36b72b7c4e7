"""Drawing buyer and supplier attributes from a scenario's population, and its mergers.

Attributes live in numpy arrays (one row per agent) so that the monthly hot loops (need
arrival, diffusion, awareness growth) are vectorised; the Mesa agents read their row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simpolicy.scenario.schema import Dist, Population

from . import rng as crn
from .rng import Purpose

if TYPE_CHECKING:
    from .model import PolicyModel


def draw_share(rng: np.random.Generator, d: Dist, n: int) -> np.ndarray:
    """Draws n values in (0, 1) from a Beta with the given mean and standard deviation."""
    m = min(max(d.mean, 1e-3), 1 - 1e-3)
    var = min(d.sd**2, m * (1 - m) * 0.95)
    if var <= 0:
        return np.full(n, m)
    k = m * (1 - m) / var - 1
    return rng.beta(m * k, (1 - m) * k, n)


def draw_money(rng: np.random.Generator, d: Dist, n: int) -> np.ndarray:
    """Draws n positive amounts log-normally around the mean (sd is the log spread)."""
    if d.mean <= 0:
        return np.zeros(n)
    s = d.sd
    return d.mean * np.exp(rng.normal(-0.5 * s * s, s, n))


@dataclass
class Buyers:
    """Column arrays of all buyers' state."""

    type_idx: np.ndarray
    types: list[str]
    small: np.ndarray
    region: np.ndarray
    budget: np.ndarray
    capability: np.ndarray
    risk_tolerance: np.ndarray
    awareness: np.ndarray
    budget_left: np.ndarray = None  # this year's budget not yet spent (state of the run)

    def __post_init__(self):
        if self.budget_left is None:
            self.budget_left = self.budget.astype(float)

    @property
    def n(self) -> int:
        return len(self.budget)

    def new_year(self) -> None:
        """Budgets are annual: what was not spent is gone, a new budget arrives.

        A budgeted commitment that overran last year's budget is paid from this year's.
        """
        self.budget_left = self.budget + np.minimum(0.0, self.budget_left)


@dataclass
class Suppliers:
    """Column arrays of all suppliers' state."""

    sme: np.ndarray
    foreign: np.ndarray
    capability: np.ndarray
    risk_tolerance: np.ndarray
    theme: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sme)


def draw_buyers(rng: np.random.Generator, pop: Population) -> Buyers:
    """Creates the buyer arrays group by group, in file order (deterministic)."""
    cols: dict[str, list] = {k: [] for k in ("t", "small", "region", "budget", "cap", "risk", "aw")}
    for t, g in enumerate(pop.buyers):
        n = g.count
        cols["t"].append(np.full(n, t))
        cols["small"].append(np.full(n, g.small))
        cols["region"].append(rng.integers(0, g.regions, n))
        cols["budget"].append(draw_money(rng, g.innovation_budget_eur, n))
        cols["cap"].append(draw_share(rng, g.capability, n))
        cols["risk"].append(draw_share(rng, g.risk_tolerance, n))
        cols["aw"].append(draw_share(rng, g.awareness, n))
    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in cols.items()}
    return Buyers(cat["t"].astype(int), [g.type for g in pop.buyers], cat["small"].astype(bool),
                  cat["region"].astype(int), cat["budget"], cat["cap"], cat["risk"], cat["aw"])


def draw_suppliers(rng: np.random.Generator, pop: Population, n_themes: int) -> Suppliers:
    """Creates the supplier arrays; each supplier specialises in one theme."""
    sme, foreign, cap, risk, theme = [], [], [], [], []
    for g in pop.suppliers:
        n = g.count
        sme.append(np.full(n, g.type == "sme"))
        foreign.append(np.full(n, g.foreign))
        cap.append(draw_share(rng, g.capability, n))
        risk.append(draw_share(rng, g.risk_tolerance, n))
        theme.append(rng.integers(0, n_themes, n))
    return Suppliers(np.concatenate(sme).astype(bool), np.concatenate(foreign).astype(bool),
                     np.concatenate(cap), np.concatenate(risk), np.concatenate(theme).astype(int))


@dataclass(frozen=True)
class Merge:
    """One merger entry as it happens in a run: who ceases to exist and who takes them over.

    Drawn before any scheme acts (it is a fact about the population), so a scheme's run and
    its counterfactual merge the same buyers in the same month.
    """

    month: int  # the run month it takes effect (before that month's needs arrive)
    rows: np.ndarray  # the buyers that cease to exist
    into: np.ndarray  # the buyer each of them joins
    budget: np.ndarray  # every buyer's annual budget from this month on (see plan_mergers)
    gone: np.ndarray  # bool per buyer: merged away by this month (this entry included)


def plan_mergers(seed: int, pop: Population, months: tuple[int, ...], buyers: Buyers,
                 horizon: int) -> tuple[Merge, ...]:
    """Which buyers merge into which, entry by entry in time order (file order within a month).

    ``months`` are the entries' run months (``Population.merger_months``); an entry before
    the run takes effect at month 0, one at or after the horizon never does. Each entry
    draws one keyed uniform per buyer (seed, MERGER, entry, buyer): the ``merged`` buyers of
    its group still present with the lowest draws cease to exist, the ``absorbers`` of the
    target group still present (and not merged here) with the highest draws take them over,
    spread evenly in draw order. Keyed draws leave the population's own stream alone, so
    everything before the first merger is what a population without mergers draws.

    An absorber's annual budget grows by the budgets of the buyers that join it. A merged
    buyer keeps its own budget line, but only for the projects it had running, which its
    successor carries on (no new needs, no adoptions: draws.py, model.py): without it they
    would abort for want of money at the reform's date, which is not what a reform does.
    """
    group_of = {}
    for i, g in enumerate(pop.buyers):
        group_of.setdefault(g.type, i)
    budget, gone = buyers.budget.astype(float), np.zeros(buyers.n, dtype=bool)
    order = sorted(range(len(months)), key=lambda k: (months[k], k))
    out = []
    for k in order:
        if months[k] >= horizon:
            continue
        m = pop.mergers[k]
        u = crn.uniforms(seed, Purpose.MERGER, k, np.arange(buyers.n))
        own = np.flatnonzero((buyers.type_idx == group_of[m.type]) & ~gone)
        rows = own[np.argsort(u[own], kind="stable")][:m.merged]
        target = group_of[m.into_type or m.type]
        free = (buyers.type_idx == target) & ~gone
        free[rows] = False
        cands = np.flatnonzero(free)
        absorbers = cands[np.argsort(-u[cands], kind="stable")][:m.absorbers or m.merged]
        into = absorbers[np.arange(len(rows)) % len(absorbers)]
        budget = budget.copy()
        np.add.at(budget, into, budget[rows])
        gone = gone.copy()
        gone[rows] = True
        out.append(Merge(max(0, months[k]), rows, into, budget, gone))
    return tuple(out)


def apply_mergers(model: PolicyModel, entries: list[Merge]) -> None:
    """Buyers merge into others at the start of the month (ODD 7.13), before a January's
    budget renewal: the absorber's annual budget grows from this month, and this year's
    money by the months left of the merged budgets. A merged buyer has no new needs
    (draws.py), joins and adopts nothing, and peers stop counting it; its own budget line
    pays only the projects it had running, which its successor carries on. Planned with the
    draws (``plan_mergers``), applied here to the run's own state."""
    b, month = model.buyers, model.month
    rest_of_year = (12 - month % 12) / 12
    for g in entries:
        np.add.at(b.budget_left, g.into, b.budget[g.rows] * rest_of_year)
        b.budget = g.budget  # the run's own Buyers (fresh_buyers); a shared array
        model.gone_rows.update(g.rows.tolist())
        model.gone = g.gone
        model.diffusion.leave(g.rows)
    ratio = b.budget / model.behaviour.reference_budget_eur  # as in PolicyModel.__init__
    model.size_scales = np.clip(ratio ** model.behaviour.size_exponent, 0.05, 5.0)
    model.annual_budgets = b.budget.tolist()
    model.scales = model.size_scales.tolist()
    model.needs.population_changed()
