"""Where needs come from: buyers' own needs, joint processes and idea competitions.

Needs arrive at each buyer at a monthly rate that grows with its budget (larger buyers have
more to renew). The theme follows the population's theme shares; the challenge is one that
concerns the buyer. Every need carries its own random numbers, drawn from a stream the
scheme cannot touch (see project.py).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import rng as crn
from . import screen
from .draws import A_COMPLEXITY, A_PRODUCT, A_REUSE, ATTRS, Draws
from .project import U_BACKGROUND, Need, Solution, solution_key
from .rng import Purpose

if TYPE_CHECKING:
    from .model import PolicyModel



class NeedSource:
    """Generates needs and knows what solving them costs."""

    def __init__(self, model: PolicyModel, draws: Draws):
        self.model, self.draws = model, draws
        self.built = draws.built.for_behaviour(model.behaviour.model_dump_json())
        self._interested: dict[int, np.ndarray] = {}
        self.screen = screen.Screen(model)

    def population_changed(self) -> None:
        """Buyers merged (ODD 7.13): sizes and budgets changed, so who could buy changed."""
        self._interested.clear()
        self.screen.stale = True

    def arrive(self) -> list[Need]:
        """This month's new needs that may lead somewhere (drawn in draws.py).

        Needs that certainly end on the spot (see screen.py) keep their id but are never
        built. A need built in an earlier run on the same draws and behaviour is reused
        (``draws.BuiltNeeds``).
        """
        a = self.draws.arrivals[self.model.month]
        rows, u, z, challenges = a.rows, a.u, a.z, a.challenges
        if len(rows) == 0:
            return []
        exists = self._exists(rows, challenges, u)
        m = self.model
        open_to = m.programme.might_fund(rows, challenges // m.behaviour.challenges_per_theme,
                                         exists, a.ids, m.month, arrivals=True)
        keep = ~self.screen.hopeless(m.month, exists, open_to)
        built, limit, out = self.built, self.draws.built.limit, []
        ids = a.ids.tolist()
        for i in keep.nonzero()[0].tolist():
            ex = bool(exists[i])
            need = built.get(2 * ids[i] + ex)
            if need is None:
                need = self._build(int(rows[i]), u[i], z[i].tolist(), ids[i], int(challenges[i]), ex)
                if len(built) < limit:
                    built[2 * ids[i] + ex] = need
            out.append(need)
        return out

    def _exists(self, rows: np.ndarray, challenges: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Whether a product exists: on the market, or another buyer's solution to reuse.

        A buyer reuses a solution another buyer already uses half of the time; knowing of
        development money in the theme crowds out part of that reuse.
        """
        m = self.model
        in_use = m.diffusion.in_use_any[challenges]
        themes = challenges // m.behaviour.challenges_per_theme
        crowd = m.behaviour.crowd_out * m.dev_money_known[rows, themes]
        reuse = in_use & (u[:, A_REUSE] < 0.5 * (1 - crowd))
        return reuse | (u[:, A_PRODUCT] < m.behaviour.existing_product_share)

    def _build(self, row: int, u: np.ndarray, z: list[float], need_id: int, challenge: int,
               exists: bool) -> Need:
        """A need's cost, value, complexity and its own random numbers."""
        m, b = self.model, self.model.behaviour
        dev_cost = b.dev_cost_eur * m.size_scale(row) * math.exp(b.cost_sd_log * z[0])
        total = dev_cost * (1.09 + b.purchase_cost_multiple)
        value = b.value_multiple * total * math.exp(0.5 * z[1])
        pop = m.scenario.population  # pools and foundations pay part of some buyers' needs
        pooled = u[ATTRS + U_BACKGROUND] < pop.background_funding_share
        background = pop.background_funding_rate if pooled else 0.0
        return Need(need_id, row, m.month, challenge // b.challenges_per_theme, challenge, value,
                    dev_cost, float(u[A_COMPLEXITY] ** 0.8), exists, u[ATTRS:], background)

    def costs(self, need: Need) -> dict[str, float]:
        """The cost of each phase for this need's route (EUR)."""
        d, pcm = need.dev_cost, self.model.behaviour.purchase_cost_multiple
        if need.route == "existing":
            price = d * pcm
            return {"preparation": 0.03 * price, "tender": 0.02 * price, "development": 0.0,
                    "purchase": 0.75 * price, "implementation": 0.25 * price}
        return {"preparation": 0.06 * d, "tender": 0.03 * d, "development": d,
                "purchase": 0.7 * pcm * d, "implementation": 0.3 * pcm * d}

    def product_for(self, need: Need) -> Solution:
        """The existing product (or another buyer's solution) that meets a need."""
        m = self.model
        used = m.diffusion.in_use(need.challenge)
        if used is not None:
            return used
        if need.challenge not in m.market_products:
            m.market_products[need.challenge] = m.new_solution(need, "market", 0.8, -1)
        return m.market_products[need.challenge]

    def seed_stock(self) -> None:
        """Public solutions that exist before the horizon (most innovations are adapted)."""
        m = self.model
        b = m.behaviour
        sols = [Solution(len(m.diffusion.solutions) + i, st.challenge,
                         st.challenge // b.challenges_per_theme, st.quality,
                         b.dev_cost_eur * b.purchase_cost_multiple,
                         "stock", -1, -1, set(users), key=solution_key("stock", st.challenge))
                for i, (st, users) in enumerate(zip(self.draws.stock, self.draws.stock_users,
                                                    strict=True))]
        m.diffusion.add_stock(sols, [st.users for st in self.draws.stock], self.draws.stock_peers)

    def followers(self, need: Need, k: int, existing: list[int]) -> list[int]:
        """Buyers named in a tender as followers: others concerned by the same challenge."""
        cands = self.interested(need.challenge)
        cands = cands[cands != need.buyer]
        if len(cands) == 0:
            return sorted(set(existing))
        # the k candidates with the lowest draws, each buyer's own for this need (rng.py)
        u = crn.uniforms(self.model.seed, Purpose.FOLLOWERS, need.id, cands)
        named = cands[u.argsort(kind="stable")[:k]]
        return sorted(set(existing) | {int(x) for x in named})

    def interested(self, challenge: int) -> np.ndarray:
        """Buyers concerned by a challenge that could pay for a solution from a year's budget.

        Only they join a joint process or ask to be named as followers: a buyer joins a
        procurement it means to buy from.
        """
        hit = self._interested.get(challenge)
        if hit is None:  # relevance, sizes and annual budgets change only when buyers merge
            m, b = self.model, self.model.behaviour
            rows, start = m.draws.concerned[:2]
            end = start[challenge + 1] if challenge + 1 < len(start) else len(rows)
            concerned = rows[start[challenge]:end]
            price = b.dev_cost_eur * b.purchase_cost_multiple * m.size_scales[concerned]
            hit = self._interested[challenge] = concerned[(price <= m.buyers.budget[concerned])
                                                          & ~m.gone[concerned]]
        return hit
