"""Each solution's candidate adopters, planned a year ahead (the sampling side of diffusion).

Each live solution has a fixed bound ``b`` on its adoption hazard (``Diffusion``). Its
candidates are the points of one stream over month x concerned buyer (position
``month * n + i``, buyers in a fixed order) reached by geometric jumps with success chance
``b``, jump j being the keyed draw (solution, j); ``Diffusion.step`` then keeps a candidate
when its own keyed draw (solution, month, buyer) times ``b`` falls below its hazard
(thinning). The candidates of a solution are the same in every run, whenever it appears, so
common random numbers hold event by event. A year's candidates of every live solution are
planned in one vectorised pass at the year's start; a solution that goes live within the
year is planned then, from its stream's start (its past skipped).
"""

from __future__ import annotations

import numpy as np

from . import rng as crn

MONTH_SHIFT = 1 << 24  # counters: month * 2**24 + the buyer's row
PLAN_MONTHS = 12  # candidates are planned a year ahead (memory stays bounded)


class CandidateStreams:
    """The planning half of ``Diffusion``: it reads the per-solution arrays that
    ``Diffusion`` keeps (``live``, ``bound``, ``_n``, stream keys and positions)."""

    def _plan_live(self, month: int) -> None:
        """Plans the candidates of every live solution up to the end of this planning block.

        At a block's start every live solution is planned; within a block only solutions
        that became live since (their stream starts at position 0 and is skipped forward).
        """
        n_sol = len(self.solutions)
        if month % PLAN_MONTHS == 0:
            todo = self.live[:n_sol].nonzero()[0]
        elif self._pending:  # within a block only what went live since (a few: plain Python)
            live, planned = self.live, self._planned
            todo = np.array([s for s in sorted(set(self._pending)) if live[s] and not planned[s]],
                            dtype=np.int64)
        else:
            return
        self._pending.clear()
        self._planned[todo] = True
        todo = todo[(self._n[todo] > 0) & (self.bound[todo] > 0)]
        if len(todo) == 0:
            return
        end = min(self.model.months, (month // PLAN_MONTHS + 1) * PLAN_MONTHS)
        seg, pos = self._draw_jumps(todo, end * self._n[todo])
        sol_ids = todo[seg]
        n = self._n[sol_ids]
        when = pos // n
        ok = (when >= month).nonzero()[0]  # a solution live from a later month skips its stream's past
        if not len(ok):
            return
        sol_ids, when, pos, n = sol_ids[ok], when[ok], pos[ok], n[ok]
        rows = self._rows[self._start[sol_ids] + pos - when * n]
        u = crn.to_uniform(crn.chain(self._kadopt[sol_ids], when * MONTH_SHIFT + rows))
        # by month, each solution's candidates in stream order (a stable sort on a small
        # integer type is a radix sort)
        after = when - month
        order = after.astype(np.int16).argsort(kind="stable")
        counts = np.bincount(after, minlength=end - month)
        bounds = [0, *counts.cumsum().tolist()]
        self._plans.append((month, end, bounds, sol_ids[order], rows[order], u[order]))

    def _due(self, month: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """This month's planned candidates, plan by plan in the order the plans were made;
        plans whose months are over are dropped."""
        pieces = []
        for start, _, bounds, sol_ids, rows, u in self._plans:
            a, z = bounds[month - start], bounds[month - start + 1]
            if z > a:
                pieces.append((sol_ids[a:z], rows[a:z], u[a:z]))
        self._plans = [p for p in self._plans if p[1] > month + 1]
        return pieces

    def _draw_jumps(self, todo: np.ndarray, until: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each solution's candidates from where its stream stands to position ``until``:
        (its position in ``todo``, the candidate's position in the stream).

        A solution's stream runs over month x concerned buyer (position ``month * n + i``),
        by geometric jumps with success chance ``bound``; jump j is the keyed draw
        (solution, j). Blocks of jumps are drawn until each solution has passed ``until``;
        jumps beyond it are not consumed (the next block redraws them: the same keys).
        """
        log1m, kgap = self._log1m[todo], self._kgap[todo]
        live = np.arange(len(todo))
        segs, poss = [], []
        while len(live):
            t = todo[live]
            expect = (until[live] - self._at[t] - 1) * self.bound[t]
            k = np.ceil(expect + 4 * np.sqrt(expect) + 4).astype(np.int64)
            # (array methods, not numpy's functions: the same, without their Python wrappers)
            seg = live.repeat(k)
            first = k.cumsum() - k
            j = np.arange(len(seg)) - first.repeat(k) + self._jump[t].repeat(k)
            u = crn.to_uniform(crn.chain(kgap[seg], j))
            # log of a uniform kept above 0, over log(1 - bound) < 0 (bound in (0, 1])
            gap = np.floor(np.log(np.maximum(u, 2.0 ** -60)) / log1m[seg])
            gap = np.minimum(gap, float(until.max()) + 1.0).astype(np.int64)  # no jump past the end
            steps = (gap + 1).cumsum()
            pos = steps - (steps[first] - gap[first] - 1).repeat(k) + self._at[t].repeat(k)
            ok = pos < until[seg]
            segs.append(seg[ok])
            poss.append(pos[ok])
            used = np.add.reduceat(ok.astype(np.int64), first)
            self._jump[t] += used
            self._at[t] = np.where(used > 0, pos[first + used - 1], self._at[t])
            live = live[used == k]  # every jump drawn was consumed: the stream goes on
        return np.concatenate(segs), np.concatenate(poss)
