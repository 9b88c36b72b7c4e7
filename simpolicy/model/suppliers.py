"""Suppliers that learn, enter and leave (ODD 7.17; brief §4.9, §6: supplier entry and survival).

The population's firms are drawn once and shared read-only between runs (draws.py); what a
run changes about them lives here, in the run's own arrays:

- **learning**: a firm that delivers a solution (its development is completed, or a buyer
  buys and implements its solution) gains capability, ``supplier_learning × (1 − capability)``
  (bounded by 1), and one **reference**. References raise its rank among a tender's bidders by
  ``reference_weight × refs / (1 + refs)`` (market.tender), so firms that delivered win more;
  capability raises its success in development and its solutions' quality as before.
- **exit**: every January, a domestic firm with no contract or sale in the last
  ``supplier_idle_years`` years leaves with chance ``supplier_exit_rate`` (its own draw by
  firm and year): it stops being a candidate. Foreign firms sell at home and do not leave.
- **entry**: every January from the second year, ``supplier_entry_rate`` × the theme's
  domestic firms at the start enter each theme (stochastic rounding, a draw by theme and
  year), as domestic SMEs with capability around ``entrant_capability`` and no references.
- **foreign firms where the domestic market is thin**: the share of a theme's foreign firms
  that look at its tenders is min(1, ``thin_market_firms`` / active domestic firms of the
  theme), so they fill in where few domestic firms are left (brief §4.9, Lithuania).

Everything is vectorised once a year; learning is a scalar update per delivery. Draws are
keyed by theme, year, slot and firm, never by a counter a scheme could shift, so a scheme
that acts on one theme leaves the other themes' firms as they are without it. Entrants'
rows are appended in theme order by counts no scheme can change: a firm has the same row in
a scheme's run and in its counterfactual.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from . import rng as crn
from .rng import Purpose

if TYPE_CHECKING:
    from .model import PolicyModel


class SupplierMarket:
    """The run's own state of its suppliers: who is active, references, last deal."""

    def __init__(self, model: PolicyModel):
        self.model = model
        s = model.draws.suppliers
        # the run's own Suppliers: capability changes (learning), rows are added (entry)
        model.suppliers = self.s = replace(s, capability=s.capability.copy())
        n = s.n
        self.n_start = n
        self.active = np.ones(n, dtype=bool)
        self.refs = np.zeros(n, dtype=np.int64)
        self.contracts = np.zeros(n, dtype=np.int64)  # development contracts won in the run
        self.last_deal = np.zeros(n, dtype=np.int64)  # month of the last contract or sale
        self.n_themes = len(model.theme_names)
        domestic = ~s.foreign
        self.domestic_start = np.bincount(s.theme[domestic], minlength=self.n_themes)
        self.entrants = 0
        self.awarded = 0  # development contracts awarded
        self.first_time = 0  # ... of them to a firm with no earlier contract in the run
        self.to_referenced = 0  # ... of them to a firm that had delivered before

    # --- events ----------------------------------------------------------------------
    def contracted(self, winners: np.ndarray) -> int:
        """Firms won development contracts this month: counts those that never had one.
        Returns how many of them are first-time suppliers."""
        first, month = 0, self.model.month
        contracts, refs, last = self.contracts, self.refs, self.last_deal
        for f in winners.tolist():  # one to a few firms: a loop beats array calls
            first += int(contracts[f] == 0)
            self.to_referenced += int(refs[f] > 0)
            contracts[f] += 1
            last[f] = month
        self.awarded += len(winners)
        self.first_time += first
        return first

    def delivered(self, firm: int) -> None:
        """A firm delivered (a completed development, or a sale of its solution): it
        learns, gains a reference, and has a deal this month."""
        if firm < 0:
            return  # a product of the market at large, not one of the population's firms
        cap = self.s.capability
        cap[firm] += self.model.behaviour.supplier_learning * (1.0 - cap[firm])
        self.refs[firm] += 1
        self.last_deal[firm] = self.model.month

    def rank_bonus(self, firms: np.ndarray) -> np.ndarray:
        """What a firm's references add to its rank among a tender's bidders."""
        r = self.refs[firms]
        return self.model.behaviour.reference_weight * r / (1.0 + r)

    # --- the year ----------------------------------------------------------------------
    def new_year(self) -> None:
        """January: idle domestic firms may leave, new firms enter, the pools are remade."""
        m = self.model
        year = m.month // 12
        if year > 0:
            self._exit(year)
            self._enter(year)
        self._pools()

    def _exit(self, year: int) -> None:
        b = self.model.behaviour
        idle = self.model.month - self.last_deal >= 12 * b.supplier_idle_years
        cand = (self.active & idle & ~self.s.foreign).nonzero()[0]
        if len(cand) and b.supplier_exit_rate > 0:
            u = crn.uniforms(self.model.seed, Purpose.SUPPLIER_EXIT, cand, year)
            self.active[cand[u < b.supplier_exit_rate]] = False

    def _enter(self, year: int) -> None:
        b = self.model.behaviour
        if b.supplier_entry_rate <= 0:
            return
        themes = np.arange(self.n_themes)
        seed = self.model.seed
        # how many enter each theme: the theme's expected entrants, stochastically rounded
        u = crn.uniforms(seed, Purpose.SUPPLIER_ENTRY, themes, year)
        count = np.floor(b.supplier_entry_rate * self.domestic_start + u).astype(np.int64)
        n = int(count.sum())
        if n == 0:
            return
        theme = themes.repeat(count)
        slot = np.arange(n) - (count.cumsum() - count).repeat(count)  # k-th entrant of its theme
        # each entrant's own draws (theme, year, slot): capability and risk tolerance
        u_cap, u_risk = crn.uniforms(seed, Purpose.SUPPLIER_ENTRANT, theme, year, slot,
                                     np.arange(2)[:, None])
        s = self.s
        cap = np.clip(b.entrant_capability * (0.5 + u_cap), 0.0, 1.0)
        self.s = self.model.suppliers = replace(
            s, sme=np.concatenate([s.sme, np.ones(n, dtype=bool)]),
            foreign=np.concatenate([s.foreign, np.zeros(n, dtype=bool)]),
            capability=np.concatenate([s.capability, cap]),
            risk_tolerance=np.concatenate([s.risk_tolerance, 0.3 + 0.4 * u_risk]),
            theme=np.concatenate([s.theme, theme]))
        self.active = np.concatenate([self.active, np.ones(n, dtype=bool)])
        self.refs = np.concatenate([self.refs, np.zeros(n, dtype=np.int64)])
        self.contracts = np.concatenate([self.contracts, np.zeros(n, dtype=np.int64)])
        self.last_deal = np.concatenate([self.last_deal, np.full(n, self.model.month, dtype=np.int64)])
        self.entrants += n

    def _pools(self) -> None:
        """Each theme's candidates: its active domestic firms, and as many of its foreign
        firms (lowest rows first: their theme is already random) as its thinness admits.

        All themes in one pass: active firms grouped by theme (rows ascending within it),
        each foreign firm's rank among its theme's, and the pools cut from one array."""
        b, s = self.model.behaviour, self.s
        rows = self.active.nonzero()[0]
        rows = rows[s.theme[rows].argsort(kind="stable")]
        theme, foreign = s.theme[rows], s.foreign[rows]
        n_domestic = np.bincount(theme[~foreign], minlength=self.n_themes).tolist()
        n_foreign = np.bincount(theme[foreign], minlength=self.n_themes).tolist()
        limit = [int(np.ceil((min(1.0, b.thin_market_firms / d) if d else 1.0) * f))
                 for d, f in zip(n_domestic, n_foreign, strict=True)]
        starts = np.searchsorted(theme, np.arange(self.n_themes))
        seen = foreign.cumsum()  # foreign firms up to each row, then its rank in its theme
        rank = seen - 1 - np.concatenate(([0], seen))[starts][theme]
        keep = ~foreign | (rank < np.array(limit, dtype=np.int64)[theme])
        rows, theme = rows[keep], theme[keep]
        self.model.suppliers_by_theme = np.split(rows, np.searchsorted(theme, np.arange(1, self.n_themes)))

    # --- outcomes ----------------------------------------------------------------------
    def survival_share(self) -> float:
        """Domestic firms active at the start still active at the end (nan without any)."""
        start = ~self.s.foreign[:self.n_start]
        n = int(start.sum())
        return float(self.active[:self.n_start][start].sum()) / n if n else float("nan")
