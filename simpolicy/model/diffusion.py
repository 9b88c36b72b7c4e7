"""Spread of proven solutions to other buyers: Bass-like innovation and imitation.

Each month a buyer concerned by a solution's challenge adopts it with the hazard

    h = (p * awareness + q * peer) * quality * (1 - crowd_out * knows_development_money)

where ``peer`` is the share of concerned buyers that adopted, weighted towards buyers of
the same type (``same_type_weight``) and of the same region (``same_region_weight``: peers
see each other first where they work side by side; a population with one region has no
regional term, since the regional share is then the overall share). The buyer must also
afford the purchase from this year's budget; a diffusion grant lowers that price. Where a
buyer knows of money for new development in the theme, some reuse is crowded out (the
Danish survey's warning).

To let idle buyers cost nothing the step is vectorised over solutions, and every draw is
keyed by the solution's identity (``Solution.key``), the month and the buyer (rng.py), so a
solution has the same luck in a scheme's run and in its counterfactual whatever else
spreads. Each solution has a fixed bound ``b`` on its hazard (``2 (p + q) quality``: full
awareness, every peer adopted, the largest price pull). Its candidates are the points of
one stream over month x concerned buyer (position ``month * n + i``, buyers in a fixed
order) reached by geometric jumps with success chance ``b``, jump j being the keyed draw
(solution, j); each candidate then adopts when its own keyed draw (solution, month,
buyer) times ``b`` falls below its hazard ``h`` (thinning). Together that is exactly an
independent chance ``h`` for every concerned buyer in every month, and whether buyer i
adopts solution s in month t depends only on the state and on draws keyed by s and by
(s, t, i): the candidates of a solution are the same in every run, whenever it appears,
so common random numbers hold event by event. Candidates are planned a year ahead in one
vectorised pass (``candidates.py``), which keeps the cost per month to a few array
operations on the few buyers who might adopt; only those that do reach Python.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import rng as crn
from .candidates import CandidateStreams
from .project import Solution
from .rng import Purpose

MAX_PULL = 2.0  # the largest price pull of scaling support (``_price_pull``)

if TYPE_CHECKING:
    from .model import PolicyModel


class Diffusion(CandidateStreams):
    """Counts of concerned and adopting buyers per solution and buyer type."""

    def __init__(self, model: PolicyModel):
        self.model = model
        self.n_types = len(model.buyers.types)
        self.n_themes = len(model.theme_names)
        self.solutions: list[Solution] = []
        # who a challenge concerns (see Draws.concerned); merged-away buyers leave (leave)
        self._rows, self._chal_start, self._rel_by_challenge = model.draws.concerned
        self._positions = self._rel_by_challenge.sum(1)  # a challenge's concerned, merged or not
        self._per_challenge()
        b = model.behaviour  # a solution's bound on its hazard is this times its quality
        self._pull = MAX_PULL * (b.innovation_p + b.imitation_q)
        self._region = model.buyers.region
        # each buyer's type and region as Python ints, for the one-adoption path (``record``)
        self._type_of, self._region_of = model.buyers.type_idx.tolist(), self._region.tolist()
        self.n_regions = int(self._region.max()) + 1 if len(self._region) else 1
        self._rel_by_region = model.draws.concerned_by_region  # challenge x region
        self._rbr1 = np.maximum(self._rel_by_region, 1)  # its denominators of regional shares
        self._pending: list[int] = []  # solutions that went live since the last planning
        self._in_use: dict[int, Solution] = {}  # challenge -> its oldest solution in use
        self.in_use_any = np.zeros(len(self._chal_start), dtype=bool)  # by challenge, as an array
        # the plans still running, in the order they were made: (first month, end month,
        # where each month's candidates start, and the candidates' solution ids, buyer rows
        # and adoption draws, by month)
        self._plans: list[tuple[int, int, list[int], np.ndarray, np.ndarray, np.ndarray]] = []
        self._allocate(64)

    def _per_challenge(self) -> None:
        """What ``add`` copies to a new solution from its challenge, computed once per
        challenge (and again when buyers merge, ``leave``): its concerned buyers by type,
        at least 1, and in all, at least 1."""
        self._rel1_by_challenge = np.maximum(self._rel_by_challenge, 1)
        self._rel_tot1_by_challenge = np.maximum(self._rel_by_challenge.sum(1), 1)

    def _allocate(self, capacity: int) -> None:
        """(Re)sizes the per-solution arrays, keeping what they hold (doubling: amortised O(1))."""
        n, m = len(self.solutions), self.model
        old = getattr(self, "_capacity", 0)
        fields = {  # name: (shape of one solution's entry, dtype)
            "rel": ((self.n_types,), np.int64), "ad": ((self.n_types,), np.int64),
            "_rel1": ((self.n_types,), np.int64), "_n": ((), np.int64),
            "_adopted": ((m.buyers.n,), bool), "quality": ((), float), "unit_cost": ((), float),
            "theme": ((), np.int64), "challenge_of": ((), np.int64), "live": ((), bool),
            "_start": ((), np.int64),
            "bound": ((), float), "_log1m": ((), float), "_kgap": ((), np.uint64),
            "_kadopt": ((), np.uint64), "rad": ((self.n_regions,), np.int64),
            "_planned": ((), bool), "_jump": ((), np.int64), "_at": ((), np.int64),
            # kept as peers adopt and buyers merge: each solution's adopting and concerned
            # buyers in all (the latter at least 1), so a month reads them, not sums them
            "_ad_tot": ((), np.int64), "_rel_tot1": ((), np.int64)}
        for name, (shape, dtype) in fields.items():
            grown = np.zeros((capacity, *shape), dtype=dtype)
            if old:
                grown[:n] = getattr(self, name)[:n]
            setattr(self, name, grown)
        self._capacity = capacity

    def add(self, sol: Solution) -> None:
        """Registers a solution that appears in the run (no buyer uses it yet)."""
        n = len(self.solutions)
        if n == self._capacity:
            self._allocate(2 * n)  # the arrays double when full
        self.solutions.append(sol)
        self.quality[n], self.unit_cost[n], self.theme[n] = sol.quality, sol.unit_cost, sol.theme
        self.challenge_of[n] = c = sol.challenge
        self._start[n], self._n[n] = self._chal_start[c], self._positions[c]
        self.rel[n], self._rel1[n] = self._rel_by_challenge[c], self._rel1_by_challenge[c]
        self._rel_tot1[n] = self._rel_tot1_by_challenge[c]
        bound = min(1.0, self._pull * sol.quality)
        self.bound[n] = bound
        # numpy's log1p, as the array path had it (math.log1p may differ in the last bit)
        self._log1m[n] = float(np.log1p(-bound)) if bound < 1 else -math.inf
        # the keys of its draws: its identity across runs (``Solution.key``)
        self._kgap[n] = crn.key(self.model.seed, Purpose.DIFFUSION_GAP, sol.key)
        self._kadopt[n] = crn.key(self.model.seed, Purpose.DIFFUSION_ADOPT, sol.key)
        self._at[n] = -1  # its candidate stream has not started
        self.go_live(n)
        if sol.adopters:
            self._used(sol)

    def add_stock(self, sols: list[Solution], users: np.ndarray, peers) -> None:
        """Registers the solutions in use at the start, each as ``add`` does: ``users`` marks
        (solution x buyer) who uses each (not counted as adoptions), with ``peers``: those
        of them its challenge concerns, by type and by region (``Draws.stock_peers``)."""
        first = len(self.solutions)
        for sol in sols:
            self.add(sol)
        at = slice(first, len(self.solutions))
        self._adopted[at] = users
        self.ad[at], self.rad[at] = peers
        self._ad_tot[at] = self.ad[at].sum(1)

    def go_live(self, sol_id: int) -> None:
        """The solution spreads from this month on (its stream is planned at the next step)."""
        self.live[sol_id] = True
        self._pending.append(sol_id)

    def leave(self, rows: np.ndarray) -> None:
        """Merged-away buyers (ODD 7.13) stop being peers: they leave the concerned and the
        adopting counts of every solution, now and of solutions that appear later, so peer
        shares are shares of the buyers that still exist. They stay in the candidates' order
        (positions never change); ``PolicyModel.try_adopt`` turns them away."""
        m, n = self.model, len(self.solutions)
        rel = m.relevance[rows]
        by_type = np.stack([rel[m.buyers.type_idx[rows] == t].sum(0) for t in range(self.n_types)], 1)
        by_region = np.stack([rel[self._region[rows] == r].sum(0) for r in range(self.n_regions)], 1)
        self._rel_by_challenge = self._rel_by_challenge - by_type
        self._rel_by_region = self._rel_by_region - by_region
        self._rbr1 = np.maximum(self._rel_by_region, 1)
        self._per_challenge()
        chal = self.challenge_of[:n]
        self.rel[:n] -= by_type[chal]
        self._rel1[:n] = np.maximum(self.rel[:n], 1)
        self._rel_tot1[:n] = np.maximum(self.rel[:n].sum(1), 1)
        for row in rows.tolist():
            counted = self._adopted[:n, row] & m.relevance[row, chal]
            self.ad[:n, m.buyers.type_idx[row]] -= counted
            self.rad[:n, self._region[row]] -= counted
            self._ad_tot[:n] -= counted

    def in_use(self, challenge: int) -> Solution | None:
        """A solution for the challenge that some buyer already uses, if any."""
        return self._in_use.get(challenge)

    def uses(self, sol_id: int, row: int) -> bool:
        """Whether the buyer in `row` already uses the solution."""
        return bool(self._adopted[sol_id, row])

    def _used(self, sol: Solution) -> None:
        """Notes that a solution has users: the oldest such solution answers its challenge."""
        cur = self._in_use.get(sol.challenge)
        if cur is None or sol.id < cur.id:
            self._in_use[sol.challenge] = sol
            self.in_use_any[sol.challenge] = True

    def record(self, sol: Solution, row: int) -> None:
        """Counts an adoption so that peers see it."""
        self._used(sol)
        s = sol.id
        if self._adopted[s, row]:
            return
        self._adopted[s, row] = True
        # a project a merged-away buyer had running may still deliver (its successor uses
        # it), but that buyer is no peer any more (``leave``)
        if self.model.relevance[row, sol.challenge] and row not in self.model.gone_rows:
            self.ad[s, self._type_of[row]] += 1
            self.rad[s, self._region_of[row]] += 1
            self._ad_tot[s] += 1

    def step(self) -> None:
        """Lets every live solution spread for one month."""
        m, b = self.model, self.model.behaviour
        self._plan_live(m.month)
        pieces = self._due(m.month)
        if not pieces:
            return
        sol_ids, rows, u = (pieces[0] if len(pieces) == 1
                            else (np.concatenate(x) for x in zip(*pieces, strict=True)))
        # (a candidate that already uses the solution is turned away by ``try_adopt``; the
        # few are cheaper to carry than to filter out here)
        types, regions = m.buyers.type_idx[rows], self._region[rows]
        themes = self.theme[sol_ids]
        # keep each candidate with its own hazard over the bound (exact thinning); entries
        # of 2-d tables are taken at flat positions (``take``: faster than a pair of indices)
        w_type, w_region = b.same_type_weight, (1 - b.same_type_weight) * b.same_region_weight
        at = sol_ids * self.n_types + types
        share_type = self.ad.take(at) / self._rel1.take(at)
        share_region = (self.rad.take(sol_ids * self.n_regions + regions)
                        / self._rbr1.take(self.challenge_of[sol_ids] * self.n_regions + regions))
        # the concerned buyers that still exist, and how many of them adopted
        peer = (w_type * share_type + (1 - w_type - w_region) * self._ad_tot[sol_ids]
                / self._rel_tot1[sol_ids] + w_region * share_region)
        price = self.unit_cost[sol_ids] * m.size_scales[rows]
        first, largest = m.programme.scaling_grants(themes, price, m.month, rows)
        h = ((b.innovation_p * m.buyers.awareness[rows] + b.imitation_q * peer)
             * self.quality[sol_ids] * _price_pull(first, price)
             * (1 - b.crowd_out * m.dev_money_known.take(rows * self.n_themes + themes)))
        keep = (u * self.bound[sol_ids] < h).nonzero()[0]  # (indices: cheaper than a mask)
        if not len(keep):
            return
        sol_ids, rows, price, grant = sol_ids[keep], rows[keep], price[keep], largest[keep]
        # a peer that cannot pay the price even less the largest scaling grant it could still
        # get is out; budgets and grant money only fall within a month, so one look before
        # the purchases is exact
        afford = (price - grant <= m.buyers.budget_left[rows] + 1e-9).nonzero()[0]
        for s, row in zip(sol_ids[afford].tolist(), rows[afford].tolist(), strict=True):
            m.try_adopt(row, self.solutions[s], via="peer")


def _price_pull(grant: np.ndarray, price: np.ndarray) -> np.ndarray:
    """How much a scaling grant raises a candidate's hazard: 1 / (1 - grant share), at most 2.

    Scaling support lowers a follower's price; buyers respond to the price they pay (a
    half-price solution is taken up about twice as often). Only a buyer that knows of
    the grant responds (``Programme.read_scaling_known``). Without a grant it is 1.
    """
    pull = np.ones(len(price))
    has = (grant > 0).nonzero()[0]
    if len(has):
        pull[has] = np.minimum(2.0, 1.0 / np.maximum(1e-9, 1.0 - grant[has] / price[has]))
    return pull
