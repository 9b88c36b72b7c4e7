"""Services the programme runs on the buyers' own needs: joint processes and idea competitions.

Neither creates demand. A buyer whose need arrives while a joint process (Norway's LUP) or an
idea competition (Estonia) is open for the need's theme, and who knows the service (its own
draw against its awareness times the service's visibility), brings the need to it instead
of weighing it alone. The need waits in the service's pool until the service next runs (the
service's interval, 12 / ``processes_per_year`` months, at most ``POOL_MONTHS``); a need the
service does not take by then goes back to its buyer, who weighs it alone as it would have
without the service.

- A **joint process** runs up to ``processes_per_year`` times a year. For each challenge in
  the pool it gathers up to ``buyers_per_process`` buyers (oldest needs first); each decides
  on its own whether its need is worth it at the shared cost of one process (preparation,
  tender and development shared: ``PolicyModel.joins``, the usual rule, no forced uptake),
  and the process runs on the challenge with most buyers willing to go ahead. The joining
  buyer with the largest budget leads the procurement; the others are its named followers. A need
  the process took but whose buyer declined is weighed alone, so a joint process changes
  how procurements are made and who shares them, and deadweight is measured for it like
  for any project: its needs would or would not have started without the scheme.
- An **idea competition** runs ``processes_per_year`` times a year on the oldest pooled
  need: firms enter when the prize covers enough of their design work; with an entrant the
  prize is paid, and the buyer then weighs the need with the winning idea in hand.

Running a service costs money (its ``annual_budget_eur``), counted in public money by
``PolicyModel.services_cost``, and the money bounds what the service can handle (issue 17,
item 9): a joint process runs at most ``annual_budget_eur / joint_process_cost_eur`` whole
processes a year (none when the budget is below one; pooled needs wait and go back to their
buyers), and a competence centre supports at most ``annual_budget_eur`` / (the hours a
supported buyer takes x the cost of an hour) buyers; those beyond are turned away
(``centre_reach``). A smaller budget serves fewer buyers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import rng as crn
from .rng import Purpose

if TYPE_CHECKING:
    from .instruments import InstrumentState
    from .model import PolicyModel
    from .project import Need

POOL_MONTHS = 6  # the longest a need waits for a service before its buyer weighs it alone
POOL_TYPES = ("joint_process", "prize")


def runs_per_year(spec, behaviour) -> float:
    """How many processes a service can run a year: its ``processes_per_year``, and for a
    joint process no more whole processes than its running budget pays for (a budget
    below one process runs none; without a stated budget its cost is not modelled)."""
    if spec.type != "joint_process" or spec.annual_budget_eur is None:
        return spec.processes_per_year
    affordable = math.floor(spec.annual_budget_eur / behaviour.joint_process_cost_eur + 1e-9)
    return min(spec.processes_per_year, float(affordable))


def centre_capacity(centre, behaviour) -> float:
    """How many buyers a competence centre can support at once: its budget over what one
    supported buyer costs a year (process support hours plus its legal advice hours, at
    the cost of an adviser's hour)."""
    hours = behaviour.advice_hours_per_buyer + centre.legal_advice_hours
    per_buyer = hours * behaviour.advice_cost_per_hour_eur
    return math.floor(centre.annual_budget_eur / per_buyer + 1e-9) if per_buyer > 0 else math.inf


def centre_reach(scenario, seed: int, n: int) -> tuple[np.ndarray, float]:
    """The buyers the competence centre supports, and the share of all buyers it reaches.

    The centre reaches ``reach`` of the buyers (each buyer's own draw); when more of them
    come than its capacity (``centre_capacity``) can support, the first ones (lowest draw)
    are supported and the rest are turned away: no advice, process support or upskilling.
    The reach that raises awareness shrinks in the same proportion. With room for all the
    result is exactly the uncapped one, so a budget that is not binding changes nothing.
    """
    centre = scenario.scheme.competence_centre
    u = crn.uniforms(seed, Purpose.CENTRE_REACH, np.arange(n))
    if centre is None:
        return np.zeros(n, dtype=bool), 0.0
    reached = u < centre.reach
    wanted = int(reached.sum())
    cap = centre_capacity(centre, scenario.behaviour)
    if wanted <= cap:
        return reached, centre.reach
    advised = np.zeros(n, dtype=bool)
    advised[np.argsort(u, kind="stable")[:int(cap)]] = True
    return advised, centre.reach * cap / wanted


class Services:
    """The pools of needs waiting for a joint process or a competition, and the processes."""

    def __init__(self, model: PolicyModel):
        self.model = model
        prog = model.programme
        self.members = [(k, st) for k, st in enumerate(prog.instruments) if st.type in POOL_TYPES]
        self.pools: dict[str, list[Need]] = {st.id: [] for _, st in self.members}
        self.credit = {st.id: 0.0 for _, st in self.members}
        self.rate = {st.id: runs_per_year(st.spec, model.behaviour) for _, st in self.members}
        # what ``running`` and ``take`` read never changes in a run: the months each service
        # may run (none without runs a year), and which themes it takes (by theme index; the
        # programme's screen of a month's needs reads the same, ``Programme.might_fund``)
        self._window = {st.id: (st.spec.start_month, st.spec.end_month if st.spec.end_month
                                is not None else model.months) if self.rate[st.id] > 0 else (0, 0)
                        for _, st in self.members}
        self.takes = [(k, st, np.array([not st.spec.themes or t in st.spec.themes
                                        for t in model.theme_names], dtype=bool))
                      for k, st in self.members]

    def running(self, st: InstrumentState, month: int) -> bool:
        """Whether the service runs this month (joint processes need no grant money, but a
        budget that pays for at least one process a year)."""
        start, end = self._window.get(st.id, (0, 0))
        if not start <= month < end:
            return False
        return st.type == "joint_process" or st.active(month)

    def take(self, need: Need) -> bool:
        """Puts the need in the first open service for its theme that its buyer knows of."""
        prog, month = self.model.programme, self.model.month
        for k, st, takes in self.takes:
            if not takes[need.theme]:
                continue
            if self.running(st, month) and prog.known(need, k, st):
                self.pools[st.id].append(need)
                return True
        return False

    def step(self) -> None:
        """Runs the services due this month, then returns needs that waited too long."""
        m = self.model
        for _, st in self.members:
            if not self.running(st, m.month):
                continue
            self.credit[st.id] += self.rate[st.id] / 12
            while self.credit[st.id] >= 1 and self.pools[st.id]:
                if st.type == "joint_process":
                    if not self._joint(st):
                        break  # no challenge any pooled buyer would go ahead with
                else:
                    self._compete(st, self.pools[st.id].pop(0))
                self.credit[st.id] -= 1
            self.credit[st.id] = min(self.credit[st.id], 1.0)  # an idle service does not bank runs
        for _, st in self.members:
            pool = self.pools[st.id]
            wait = min(POOL_MONTHS, math.ceil(12 / max(self.rate[st.id], 1e-9)))
            if pool and (m.month - pool[0].month >= wait or not self.running(st, m.month)):
                on = self.running(st, m.month)
                self.pools[st.id] = [n for n in pool if on and m.month - n.month < wait]
                for need in pool[: len(pool) - len(self.pools[st.id])]:
                    m.consider(need)  # pools are in arrival order: the oldest leave first

    def _joint(self, st: InstrumentState) -> bool:
        """One joint process on the challenge that most pooled buyers would join.

        The facilitator gathers the buyers of one challenge (up to ``buyers_per_process``,
        oldest needs first), and each decides by the usual rule whether its need is worth
        it at the shared cost; the process runs on the challenge that gathers most buyers
        willing to go ahead (oldest first on ties). Returns False when no challenge has any.
        """
        m, pool = self.model, self.pools[st.id]
        groups: dict[int, list] = {}
        for n in pool:
            g = groups.setdefault(n.challenge, [])
            if len(g) < st.spec.buyers_per_process and all(x.buyer != n.buyer for x in g):
                g.append(n)
        # the most willing buyers win, the oldest challenge on ties; a group cannot gather
        # more willing buyers than it has, so largest groups are asked first and the rest
        # only while they could still win (asking is pure: the same answer, fewer questions)
        items = list(groups.items())  # in order of each challenge's oldest need
        best, best_at, best_joined = None, len(items), []
        for at in sorted(range(len(items)), key=lambda i: -len(items[i][1])):
            challenge, group = items[at]
            if len(group) < len(best_joined):
                break
            if len(group) == len(best_joined) and at > best_at:
                continue
            joined = [n for n in group if m.joins(n, len(group))]
            if joined and (len(joined), -at) > (len(best_joined), -best_at):
                best, best_at, best_joined = challenge, at, joined
        if best is None:
            return False
        group = groups[best]
        self.pools[st.id] = [n for n in pool if n not in group]
        m.ledger.joint(st.id, group)
        for n in group:
            if n not in best_joined:
                m.consider(n)  # declined: weighs its need alone, as without the service
        # the buyer with the largest budget whose staff can take on the lead leads; the
        # others are its named followers. With nobody free to lead, each weighs its need alone
        joined = sorted(best_joined, key=lambda n: (-m.annual_budgets[n.buyer], n.id))
        staff = m.staff
        lead = next((n for n in joined if staff.room(n.buyer, staff.load(n.buyer, joint=True))), None)
        if lead is None:
            for n in joined:
                m.consider(n)
            return True
        rest = [n for n in joined if n is not lead]
        m.consider(lead, followers=[n.buyer for n in rest], joint=True, members=rest)
        return True

    def _compete(self, st: InstrumentState, need: Need) -> None:
        """Firms join when the prize covers their design work; no purchase is promised.

        Estonia's firms were often reluctant: the prize rarely covers IT design work and
        nothing guarantees development or purchase afterwards (brief section 4.7).
        """
        m = self.model
        design_cost = 0.15 * need.dev_cost
        p_join = float(np.clip(st.spec.prize_eur / design_cost * 0.2, 0, 0.5))
        firms = min(len(m.suppliers_by_theme[need.theme]), m.behaviour.supplier_candidates)
        u = crn.uniforms(m.seed, Purpose.PRIZE_ENTRANTS, need.id, np.arange(firms))
        entrants = np.count_nonzero(u < p_join)
        amount = min(st.spec.max_grant_eur, st.spec.rate * st.spec.prize_eur)
        st.applications += 1
        if entrants == 0 or amount <= 0 or st.available(m.month) < amount:
            m.consider(need)
            return
        g = st.commit(amount, m.month, {"prize": st.spec.prize_eur}, plan={"prize": amount})
        m.money.grant(st, g, "prize")
        m.ledger.prize(st.id, g, need, entrants)
        m.consider(need, prepared=True)  # the winning idea in hand, the buyer weighs the need
