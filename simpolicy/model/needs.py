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

from . import screen
from .draws import ATTRS, Draws, normal_deviates
from .draws import challenges as draw_challenges
from .project import N_DRAWS, U_BACKGROUND, Need, Solution

if TYPE_CHECKING:
    from .model import PolicyModel

JOINT_ID_BASE = 10_000_000  # joint processes and competitions draw ids from another range


class NeedSource:
    """Generates needs and knows what solving them costs."""

    def __init__(self, model: PolicyModel, draws: Draws):
        self.model, self.draws = model, draws
        self.next_id = 0
        self.next_joint = JOINT_ID_BASE
        self.built = draws.built.for_behaviour(model.behaviour.model_dump_json())

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
        keep = ~self._hopeless(rows, u, z, challenges, exists)
        first = self.next_id
        self.next_id += len(rows)
        built, limit, out = self.built, self.draws.built.limit, []
        for i in np.flatnonzero(keep).tolist():
            ex = bool(exists[i])
            need = built.get(2 * (first + i) + ex)
            if need is None:
                need = self._build(int(rows[i]), u[i], z[i].tolist(), first + i, int(challenges[i]), ex)
                if len(built) < limit:
                    built[2 * (first + i) + ex] = need
            out.append(need)
        return out

    def make(self, row: int, rng: np.random.Generator, need_id: int,
             challenge: int | None = None) -> Need:
        """Draws one need (joint processes and competitions use the programme's stream)."""
        u = rng.random((1, N_DRAWS + ATTRS))
        z = normal_deviates(u)
        rows = np.array([row])
        challenges = self._challenges(rows, u) if challenge is None else np.array([challenge])
        exists = self._exists(rows, challenges, u)
        return self._build(row, u[0], z[0].tolist(), need_id, int(challenges[0]), bool(exists[0]))

    def _challenges(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        m = self.model
        return draw_challenges(m.relevance, self.draws.theme_cum, m.behaviour.challenges_per_theme, rows, u)

    def _exists(self, rows: np.ndarray, challenges: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Whether a product exists: on the market, or another buyer's solution to reuse.

        A buyer reuses a solution another buyer already uses half of the time; knowing of
        development money in the theme crowds out part of that reuse.
        """
        m = self.model
        in_use = np.array([m.diffusion.in_use(c) is not None for c in challenges.tolist()], dtype=bool)
        themes = challenges // m.behaviour.challenges_per_theme
        crowd = m.behaviour.crowd_out * m.dev_money_known[rows, themes]
        reuse = in_use & (u[:, 6] < 0.5 * (1 - crowd))
        return reuse | (u[:, 4] < m.behaviour.existing_product_share)

    def _hopeless(self, rows, u, z, challenges, exists) -> np.ndarray:
        """Needs that no instrument could fund and that are not worth it on own money."""
        m, b = self.model, self.model.behaviour
        cpt = b.challenges_per_theme
        own_u = u[:, ATTRS:]
        open_to = m.programme.might_fund(rows, challenges // cpt, exists, own_u, m.month)
        dev_cost = b.dev_cost_eur * m.size_scales[rows] * np.exp(b.cost_sd_log * z[:, 0])
        value = b.value_multiple * dev_cost * (1.09 + b.purchase_cost_multiple) * np.exp(0.5 * z[:, 1])
        return screen.hopeless(m, rows, own_u, dev_cost, value, u[:, 5] ** 0.8, exists, open_to)

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
                    dev_cost, float(u[5] ** 0.8), exists, u[ATTRS:], background)

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
        for st in self.draws.stock:
            sol = Solution(len(m.diffusion.solutions), st.challenge,
                           st.challenge // m.behaviour.challenges_per_theme, st.quality,
                           m.behaviour.dev_cost_eur * m.behaviour.purchase_cost_multiple,
                           "stock", -1, -1, set(np.flatnonzero(st.users).tolist()))
            m.diffusion.add(sol, initial=st.users)

    def followers(self, need: Need, k: int, existing: list[int]) -> list[int]:
        """Buyers named in a tender as followers: others concerned by the same challenge."""
        cands = self.interested(need.challenge)
        cands = cands[cands != need.buyer]
        if len(cands) == 0:
            return sorted(set(existing))
        named = cands[self.draws.per_need.followers(need.id, len(cands), min(k, len(cands)))]
        return sorted(set(existing) | {int(x) for x in named})

    def interested(self, challenge: int) -> np.ndarray:
        """Buyers concerned by a challenge that could pay for a solution from a year's budget.

        Only they join a joint process or ask to be named as followers: a buyer joins a
        procurement it means to buy from.
        """
        m, b = self.model, self.model.behaviour
        concerned = np.flatnonzero(m.relevance[:, challenge])
        price = b.dev_cost_eur * b.purchase_cost_multiple * m.size_scales[concerned]
        return concerned[price <= m.buyers.budget[concerned]]

    def joint_processes(self) -> None:
        """Joint processes gather one challenge from several buyers (Norway's LUP)."""
        m = self.model
        for st in m.programme.due_processes("joint_process"):
            rng = m.rng_programme
            theme = int(rng.choice(len(self.draws.theme_p), p=self.draws.theme_p))
            cpt = m.behaviour.challenges_per_theme
            challenge = theme * cpt + int(rng.integers(cpt))
            concerned = self.interested(challenge)
            aware = concerned[rng.random(len(concerned)) < m.buyers.awareness[concerned]]
            if len(aware) == 0:
                continue
            group = rng.permutation(aware)[: st.spec.buyers_per_process]
            # the buyer with the largest budget leads the process for the group
            group = group[np.argsort(-m.buyers.budget[group], kind="stable")]
            need = self.make(int(group[0]), rng, self.next_joint, challenge)
            self.next_joint += 1
            m.ledger.joint(group)
            m.consider(need, followers=[int(x) for x in group[1:]], joint=True)

    def competitions(self) -> None:
        """Idea competitions: a buyer posts a challenge, firms compete for a prize."""
        m = self.model
        for st in m.programme.due_processes("prize"):
            rng = m.rng_programme
            row = int(rng.integers(m.buyers.n))
            need = self.make(row, rng, self.next_joint)
            self.next_joint += 1
            self._compete(st, need)

    def _compete(self, st, need: Need) -> None:
        """Firms join when the prize covers their design work; no purchase is promised.

        Estonia's firms were often reluctant: the prize rarely covers IT design work and
        nothing guarantees development or purchase afterwards (brief section 4.7).
        """
        m = self.model
        design_cost = 0.15 * need.dev_cost
        p_join = float(np.clip(st.spec.prize_eur / design_cost * 0.2, 0, 0.5))
        firms = len(m.suppliers_by_theme[need.theme])
        entrants = m.rng_programme.binomial(min(firms, m.behaviour.supplier_candidates), p_join)
        amount = st.spec.rate * st.spec.prize_eur
        st.applications += 1
        if entrants == 0 or st.available(m.month) < amount or amount <= 0:
            return
        g = st.commit(amount, m.month, {"preparation": st.spec.prize_eur})
        st.pay(g, "preparation", {"preparation": st.spec.prize_eur})
        m.ledger.prize(g, entrants)
        m.consider(need)  # the winning idea may or may not lead to a project



