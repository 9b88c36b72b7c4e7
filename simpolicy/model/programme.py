"""The programme (the agency): runs the scheme's instruments, calls, panels and services.

Buyers apply only to instruments they know of; open instruments decide at once (first come,
first served within the money left), calls collect applications and a panel ranks them
within the budget. The programme also runs the non-monetary services: joint processes that
aggregate one challenge across buyers, idea competitions, and a competence centre that
raises awareness and capability over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from . import rng as crn
from .instruments import DEVELOPMENT_TYPES, InstrumentState
from .project import U_SCORE, Need
from .rng import Purpose

if TYPE_CHECKING:
    from .model import PolicyModel

SERVICE_TYPES = ("joint_process", "prize", "diffusion_grant")  # run or paid by the programme
ROUTES = ("existing", "development")


@dataclass
class Application:
    """A buyer's request to one instrument for one need, waiting for a call or a panel."""

    need: Need
    state: InstrumentState
    amount: float
    score: float
    decision: Decision


@dataclass
class Decision:
    """A need's open applications; the buyer decides once every one has an answer."""

    need: Need
    costs: dict[str, float]
    offers: list[tuple[InstrumentState, float]]
    waiting: int = 0
    awarded: list = field(default_factory=list)
    followers: list[int] = field(default_factory=list)
    joint: bool = False
    members: list = field(default_factory=list)  # joint process: the other buyers' needs
    prepared: bool = False  # an idea competition came first


class Programme(mesa.Agent):
    """The agency that runs a country's scheme."""

    def __init__(self, model: PolicyModel):
        super().__init__(model)
        spec = model.scenario.scheme
        self.instruments = [InstrumentState(i, model.months) for i in spec.instruments]
        self.centre = spec.competence_centre
        self._advised_rows: np.ndarray | None = None  # the buyers the centre works with
        self._by_id = {s.id: s for s in self.instruments}
        # what an instrument covers never changes: look it up once per theme and route
        themes = model.theme_names
        self._covers = [np.array([[st.covers(t, r) for r in ROUTES] for t in themes], dtype=bool)
                        for st in self.instruments]
        self._applicable = {
            (t, route): [(k, st) for k, st in enumerate(self.instruments)
                         if st.type not in SERVICE_TYPES and self._covers[k][t, r]]
            for t in range(len(themes)) for r, route in enumerate(ROUTES)}
        self._scaling = [(st, self._covers[k][:, 0]) for k, st in enumerate(self.instruments)
                         if st.type == "diffusion_grant"]
        self._scaling_keys = [crn.name_id(st.id) for st, _ in self._scaling]
        self._scaling_known: list[np.ndarray] = []  # per scaling instrument: buyers who know it
        # each instrument's key for the draws that concern it: by its id, not its position,
        # so adding an instrument leaves a buyer's luck with the others as it was
        self._inst_keys = np.array([crn.name_id(st.id) for st in self.instruments], dtype=np.int64)
        # need x instrument: the draw that decides whether the need's buyer knows the
        # instrument, for every need the run's arrivals hold, made at once (one array pass
        # instead of one a month); by need id for ``known``, by month for ``might_fund``
        all_ids = model.draws.horizon.ids
        self._known_all = self._known_draws(all_ids)
        self._known_u: dict[int, list] = (dict(zip(all_ids.tolist(), self._known_all.tolist(),
                                                   strict=True))
                                          if self.instruments else {})  # none to know: no lists

    def state(self, instrument_id: str) -> InstrumentState:
        """The running instrument with this id."""
        return self._by_id[instrument_id]

    # --- who knows what -------------------------------------------------------------
    def known(self, need: Need, k: int, state: InstrumentState) -> bool:
        """Whether the buyer knows this instrument (its awareness times the visibility).

        The draw is the need's own for this instrument (Purpose.KNOWS_INSTRUMENT keyed by the
        need and the instrument's id), made for every arriving need at the run's start.
        """
        u = self._known_u.get(need.id)
        if u is None:  # a need the arrivals do not hold (a test's): the same draws, made by
            # the one function that makes them (one place per purpose, test_random_streams)
            u = self._known_u[need.id] = self._known_draws(np.array([need.id]))[0].tolist()
        aw = self.model.buyers.awareness[need.buyer] * state.spec.visibility
        return u[k] < aw

    def _known_draws(self, need_ids: np.ndarray) -> np.ndarray:
        """Need x instrument: the uniform that decides whether the need's buyer knows it."""
        seed = self.model.seed
        return crn.uniforms(seed, Purpose.KNOWS_INSTRUMENT, need_ids[:, None], self._inst_keys[None, :])

    def arrival_draws(self, month: int) -> np.ndarray:
        """The draws of ``_known_draws`` for the needs that arrive in ``month``, in order."""
        first = self.model.draws.month_first
        return self._known_all[first[month]:first[month + 1]]

    def might_fund(self, rows: np.ndarray, themes: np.ndarray, existing: np.ndarray,
                   need_ids: np.ndarray, month: int, arrivals: bool = False) -> np.ndarray:
        """For many needs at once: whether an open instrument the buyer knows covers the need.

        The same test as the start of ``offers`` (before the amounts), so a need without
        it gets no offer. ``arrivals``: the needs are the month's arrivals in order, whose
        draws were made at the run's start.
        """
        out = np.zeros(len(rows), dtype=bool)
        if not self.instruments:
            return out
        aware = self.model.buyers.awareness[rows]
        u = self.arrival_draws(month) if arrivals else self._known_draws(need_ids)
        for k, st in enumerate(self.instruments):
            if st.type in SERVICE_TYPES or not st.active(month):
                continue
            covers = np.where(existing, self._covers[k][themes, 0], self._covers[k][themes, 1])
            known = u[:, k] < aware * st.spec.visibility
            out |= covers & known
        for k, st, theme_ok in self.model.services.takes:  # any route, the service's themes
            if self.model.services.running(st, month):
                out |= theme_ok[themes] & (u[:, k] < aware * st.spec.visibility)
        return out

    def offers(self, need: Need, costs: dict[str, float], month: int):
        """The instruments a buyer knows and may apply to for this need, with their grant."""
        b = self.model.behaviour
        out = []
        theme = self.model.theme_names[need.theme]
        for k, st in self._applicable[need.theme, need.route]:
            if not (st.active(month) and st.call_open_to(theme, month) and self.known(need, k, st)):
                continue
            amount = st.offer(costs, b.internal_cost_share)
            if amount > b.application_cost_eur:
                out.append((st, amount))
        return _no_stacking(out, costs) if out else out

    # --- applications and awards --------------------------------------------------------
    def apply(self, decision: Decision, month: int) -> None:
        """Files the applications of a decision: open instruments answer at once."""
        for st, amount in decision.offers:
            st.applications += 1
            score = self.score(decision.need, decision.costs, st)
            if st.spec.calls_per_year == 0 and st.spec.selection == "first_come":
                if score >= st.spec.min_score and st.available(month) >= amount:
                    decision.awarded.append(self._commit(st, amount, month, decision.costs))
            else:
                decision.waiting += 1
                st.pending.append(Application(decision.need, st, amount, score, decision))

    def score(self, need: Need, costs: dict[str, float], st: InstrumentState) -> float:
        """The panel's score in [0, 1]: capability, value for money, plan and novelty.

        A realistic implementation plan weighs heavily in some panels (Flanders); others
        score the innovation degree (Austria: 50 %), which a product already used by other
        public buyers lacks.
        """
        b = self.model.buyers
        value = min(1.0, need.value / max(1.0, sum(costs.values())) / 3)
        plan = self.model.plans_purchase(need)
        novelty = 1.0 if self.model.diffusion.in_use(need.challenge) is None else 0.2
        w, wi = st.spec.implementation_plan_weight, st.spec.innovation_weight
        raw = (0.4 * b.capability[need.buyer] + 0.3 * value + 0.3 * need.u[U_SCORE]
               + w * plan + wi * novelty)
        return raw / (1 + w + wi)

    def run_calls(self, month: int) -> list[Decision]:
        """Closes the calls due this month; returns the decisions that are now complete."""
        done = []
        for st in self.instruments:
            if not st.pending or not st.call_month(month):
                continue
            ranked = self._order(st)
            st.pending = []
            for app in ranked:
                if app.score >= st.spec.min_score and st.available(month) >= app.amount:
                    app.decision.awarded.append(self._commit(st, app.amount, month, app.decision.costs))
                app.decision.waiting -= 1
                if app.decision.waiting == 0:
                    done.append(app.decision)
        return sorted(done, key=lambda d: d.need.id)

    @staticmethod
    def _order(st: InstrumentState) -> list[Application]:
        """The order in which a call's applications are granted while its money lasts.

        ``ranked``: by the panel's score (ties by need id); ``first_come``: in the order they
        were filed, so an early modest project takes money a later, better one would have
        had. Both refuse scores below ``min_score``.
        """
        if st.spec.selection == "first_come":
            return list(st.pending)
        return sorted(st.pending, key=lambda a: (-a.score, a.need.id))

    def _commit(self, st: InstrumentState, amount: float, month: int, costs: dict[str, float]):
        """Commits a grant with its plan by cost line (the instrument's rules)."""
        plan = st.plan(costs, self.model.behaviour.internal_cost_share)
        return st.commit(amount, month, costs, plan=plan)

    # --- services ------------------------------------------------------------------
    def service_costs(self) -> None:
        """The month's running cost of the competence centre and the running joint processes."""
        m = self.model
        if self.centre is not None and self.centre.annual_budget_eur:
            m.money.service("competence_centre", self.centre.annual_budget_eur / 12)
        for st in self.instruments:
            if st.type == "joint_process" and st.spec.annual_budget_eur and m.services.running(st, m.month):
                m.money.service(st.id, st.spec.annual_budget_eur / 12)

    def read_scaling_known(self) -> None:
        """Which buyers know each scaling grant: their awareness times its visibility.

        A buyer that has not heard of scaling support pays the full price and is not drawn
        by a lower one. Each buyer's draw for each instrument is its own (keyed by the buyer
        and the instrument's id, Purpose.KNOWS_SCALING); it is re-read each year as
        awareness grows, like knowledge of development money.
        """
        m = self.model
        rows = np.arange(m.buyers.n)
        self._scaling_known = [
            crn.uniforms(m.seed, Purpose.KNOWS_SCALING, rows, key) < m.buyers.awareness * st.spec.visibility
            for (st, _), key in zip(self._scaling, self._scaling_keys, strict=True)]

    def diffusion_grant(self, theme: int, price: float, month: int, row: int) -> tuple:
        """Scaling support for a follower's purchase, if an instrument it knows offers it."""
        for (st, covered), known in zip(self._scaling, self._scaling_known, strict=True):
            if st.active(month) and covered[theme] and known[row]:
                amount = min(st.spec.max_grant_eur, st.spec.rate * price)
                if amount >= max(1.0, st.spec.min_grant_eur) and st.available(month) >= amount:
                    return st, amount
        return None, 0.0

    def scaling_grants(self, themes: np.ndarray, prices: np.ndarray, month: int,
                       rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For many purchases at once: what ``diffusion_grant`` would pay (0 where none
        applies), and the most any scaling instrument could still grant this month.

        The second is an upper bound on what a purchase gets later in the month: money
        still free only falls within a month, so an instrument short of it now stays short.
        """
        amounts, best = np.zeros(len(prices)), np.zeros(len(prices))
        if not self._scaling:
            return amounts, best
        done = np.zeros(len(prices), dtype=bool)
        for amount, ok in self._scaling_offers(themes, prices, month, rows):
            best = np.where(ok, np.maximum(best, amount), best)
            ok &= ~done  # the first instrument that offers is the one that pays
            amounts[ok] = amount[ok]
            done |= ok
        return amounts, best

    def _scaling_offers(self, themes: np.ndarray, prices: np.ndarray, month: int, rows: np.ndarray):
        """Per open scaling instrument, in order: its grant on each price and where it offers it.

        The rule of ``diffusion_grant`` as arrays: the buyer knows it, the theme is covered,
        the grant reaches the minimum, and the money left holds it.
        """
        for (st, covered), known in zip(self._scaling, self._scaling_known, strict=True):
            if not st.active(month):
                continue
            amount = np.minimum(st.spec.max_grant_eur, st.spec.rate * prices)
            yield amount, (known[rows] & covered[themes] & (amount >= max(1.0, st.spec.min_grant_eur))
                           & (st.available(month) >= amount))

    def centre_step(self) -> None:
        """The competence centre reaches buyers and raises awareness and capability."""
        c = self.centre
        if c is None:
            return
        b = self.model.buyers
        if self._advised_rows is None:  # who the centre works with is fixed for the run
            self._advised_rows = np.flatnonzero(self.model.advised)
        reached = self._advised_rows
        # the reach its budget can support (services.centre_reach), not the reach it aims at
        b.awareness += c.awareness_gain_per_year / 12 * self.model.centre_reach * (1 - b.awareness)
        b.capability[reached] += c.capability_gain_per_year / 12 * (1 - b.capability[reached])

    def dev_money_known(self) -> np.ndarray:
        """Buyer x theme: whether the buyer knows of money for new development there.

        Each buyer's draw for each development instrument is its own (keyed by the buyer and
        the instrument's id); awareness grows, the draw stays.
        """
        m = self.model
        known = np.zeros((m.buyers.n, len(m.theme_names)), dtype=bool)
        rows = np.arange(m.buyers.n)
        for k, st in enumerate(self.instruments):
            if st.type not in DEVELOPMENT_TYPES or not st.spec.has_money:
                continue
            u = crn.uniforms(m.seed, Purpose.KNOWS_DEV_MONEY, rows, self._inst_keys[k])
            aware = u < m.buyers.awareness * st.spec.visibility
            themes = [m.theme_names.index(t) for t in st.spec.themes if t in m.theme_names]
            cols = themes or list(range(len(m.theme_names)))
            known[:, cols] |= aware[:, None]
        return known

    @property
    def spent(self) -> float:
        return sum(s.paid for s in self.instruments)


def _no_stacking(offers: list, costs: dict[str, float]) -> list:
    """One buyer-side grant per phase: the buyer takes the largest offers that do not overlap.

    Supplier-side money may come on top, but only for what the buyer-side grants leave
    unpaid: public money never pays more than a phase costs.
    """
    if len(offers) == 1 and offers[0][0].spec.paid_to != "supplier":
        return offers  # a single buyer-side grant overlaps nothing
    chosen, covered = [], set()
    buyer_side = [o for o in offers if o[0].spec.paid_to != "supplier"]
    for st, amount in sorted(buyer_side, key=lambda o: (-o[1], o[0].id)):
        phases = set(st.spec.phases)
        if not phases & covered:
            chosen.append((st, amount))
            covered |= phases
    for st, amount in sorted((o for o in offers if o[0].spec.paid_to == "supplier"),
                             key=lambda o: (-o[1], o[0].id)):
        phases = set(st.spec.phases)
        paid = sum(a for s, a in chosen if set(s.spec.phases) & phases)
        left = sum(costs.get(p, 0.0) for p in st.spec.phases) - paid  # file order, not set order
        if min(amount, left) > max(1.0, st.spec.min_grant_eur):
            chosen.append((st, min(amount, left)))
    order = {id(st): i for i, (st, _) in enumerate(offers)}
    return sorted(chosen, key=lambda o: order[id(o[0])])
