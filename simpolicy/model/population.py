"""Drawing buyer and supplier attributes from a scenario's population.

Attributes live in numpy arrays (one row per agent) so that the monthly hot loops (need
arrival, diffusion, awareness growth) are vectorised; the Mesa agents read their row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simpolicy.scenario.schema import Dist, Population


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
