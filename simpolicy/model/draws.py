"""What a run draws before any scheme acts: its population and the needs that arrive.

Both come from random streams that no scheme touches (see model.py), so a scheme, its
counterfactual and every edit of it in a what-if draw exactly the same buyers, suppliers
and needs. They are drawn once per population (with behaviour and horizon) and seed in a
process, kept read-only, and shared: a what-if that edits the scheme then pays only for
what the scheme changes. Reusing them gives the same results as drawing them again
(``tests/test_model_speedups.py``).

Whether a buyer has a need in a month, and every uniform of that need, are counter-based
draws keyed by the buyer, the month and the need (see rng.py), so they are computed for the
whole horizon at once; what follows from them alone (a need's challenge, its normal
deviates) is computed once too. The population itself comes from one sequential stream of
its own, which no scheme can reach (it is drawn before any scheme acts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from simpolicy.memo import Memo
from simpolicy.scenario.schema import Population, Scenario

from . import rng as crn
from .population import Buyers, Merge, Suppliers, draw_buyers, draw_suppliers, plan_mergers
from .project import BUYER_BITS, CARRIED
from .rng import Purpose

# draws that make a need, one column each: theme, challenge, cost, value, product, complexity,
# reuse; then the N_DRAWS it carries (project.CARRIED)
MAKES = (Purpose.NEED_THEME, Purpose.NEED_CHALLENGE, Purpose.NEED_COST, Purpose.NEED_VALUE,
         Purpose.NEED_PRODUCT, Purpose.NEED_COMPLEXITY, Purpose.NEED_REUSE)
ATTRS = len(MAKES)
A_THEME, A_CHALLENGE, A_COST, A_VALUE, A_PRODUCT, A_COMPLEXITY, A_REUSE = range(ATTRS)
STOCK_SHARE = 0.4  # challenges that already have a public solution somewhere at the start
STOCK_USERS = 0.08  # share of concerned buyers already using such a stock solution
MEMO_BYTES = 64 * 2**20  # per process: 12 seeds of a national population (2.2 MB + 2 MB kept)
NEEDS_KEPT = 4096  # built needs kept per seed: a national run builds about 2,400
NEED_BYTES = 500  # what one built need holds (object, its numbers, its view of the uniforms)


class Arrivals(NamedTuple):
    """One month's needs as drawn, before any buyer weighs them (arrays, one row per need;
    a named tuple: a horizon cuts 120 of them, and a frozen dataclass costs more to make)."""

    rows: np.ndarray  # the buyer of each need
    ids: np.ndarray  # each need's id: month * 2**BUYER_BITS + buyer row
    u: np.ndarray  # its uniforms: ATTRS that make it, then N_DRAWS it carries
    z: np.ndarray  # normal deviates for its cost and value
    challenges: np.ndarray


@dataclass(frozen=True)
class StockSolution:
    """A public solution that exists before the horizon, and who already uses it."""

    challenge: int
    quality: float
    users: np.ndarray  # bool per buyer


@dataclass(frozen=True)
class Draws:
    """Everything a run draws that no scheme can change (shared read-only between runs)."""

    buyers: Buyers  # a template: each run takes ``fresh_buyers()`` with its own budgets
    suppliers: Suppliers
    relevance: np.ndarray  # buyer x challenge: which challenges concern which buyer
    stock: tuple[StockSolution, ...]
    rate: np.ndarray  # each buyer's monthly chance of a new need
    theme_p: np.ndarray  # the population's theme shares
    theme_cum: np.ndarray  # and cumulated
    # every month's needs end to end, and where each month starts (``month_first[m]``, then
    # the end): per-run arrays over all needs are made once from these and read by month
    horizon: Arrivals
    month_first: tuple[int, ...]
    built: BuiltNeeds  # needs as runs with these draws built them
    merges: tuple[Merge, ...] = ()  # the population's mergers within the horizon, in order

    def fresh_buyers(self) -> Buyers:
        """The buyers with this run's own copy of what a run changes.

        Budgets are spent, and the competence centre raises awareness and capability; the
        other columns stay read-only, so a run that changed one would fail loudly instead of
        leaking into the next run.
        """
        b = self.buyers
        return replace(b, budget_left=None, awareness=b.awareness.copy(), capability=b.capability.copy())

    @cached_property
    def arrivals(self) -> tuple[Arrivals, ...]:
        """One per month of the horizon: views of ``horizon`` (read-only, as it is)."""
        f = self.month_first
        return tuple(Arrivals(*(x[a:z] for x in self.horizon))
                     for a, z in zip(f[:-1], f[1:], strict=True))

    @cached_property
    def concerned(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Who each challenge concerns: buyer rows end to end by challenge, where each
        challenge's rows start, and how many buyers of each type it concerns (challenge x type).

        It never changes, so diffusion looks it up when a solution appears; made once here.
        """
        # (np.nonzero, by its two index arrays, takes three times as long)
        chal, rows = np.divmod(np.flatnonzero(self.relevance.T.ravel()), self.relevance.shape[0])
        start = np.searchsorted(chal, np.arange(self.relevance.shape[1]))
        types = self.buyers.type_idx
        by_type = np.stack([self.relevance[types == t].sum(0) for t in range(len(self.buyers.types))],
                           axis=1).astype(np.int64)
        return rows.astype(np.int64), start, by_type

    @cached_property
    def stock_peers(self) -> tuple[np.ndarray, np.ndarray]:
        """Per stock solution: its users that its challenge concerns (the peers diffusion
        counts as having adopted), by buyer type and by region; made once for all of them."""
        region, types = self.buyers.region, self.buyers.type_idx
        n_types, n_regions = len(self.buyers.types), int(region.max()) + 1 if len(region) else 1
        chal = np.array([s.challenge for s in self.stock], dtype=np.int64)
        users = np.array([s.users for s in self.stock], dtype=bool).reshape(len(chal), -1)
        sol, row = np.nonzero(users & self.relevance[:, chal].T)  # (no BLAS: it spins threads)
        out = tuple(np.bincount(sol * k + col[row], minlength=len(chal) * k).reshape(len(chal), k)
                    for col, k in ((types, n_types), (region, n_regions)))
        for a in out:
            a.flags.writeable = False
        return out

    @cached_property
    def stock_users(self) -> tuple[frozenset[int], ...]:
        """Per stock solution: the rows of the buyers that use it (each run copies them)."""
        return tuple(frozenset(np.flatnonzero(s.users).tolist()) for s in self.stock)

    @cached_property
    def concerned_by_region(self) -> np.ndarray:
        """Challenge x region: how many buyers of each region each challenge concerns."""
        region = self.buyers.region
        n_regions = int(region.max()) + 1 if len(region) else 1
        out = np.stack([self.relevance[region == r].sum(0) for r in range(n_regions)],
                       axis=1).astype(np.int64)
        out.flags.writeable = False
        return out

    @cached_property
    def nbytes(self) -> int:
        """Bytes held in arrays (what bounds the memo)."""
        return sum(a.nbytes for a in self.arrays()) + self.built.max_bytes

    def arrays(self) -> list[np.ndarray]:
        """Every array the draws hold."""
        out = [self.relevance, self.rate, self.theme_p, self.theme_cum,
               *vars(self.suppliers).values(), *vars(self.buyers).values(),
               *(s.users for s in self.stock), *self.concerned, self.concerned_by_region]
        out += list(self.horizon)  # the months' arrivals are views of these
        for g in self.merges:
            out += [g.rows, g.into, g.budget, g.gone]
        return [a for a in out if isinstance(a, np.ndarray)]


class BuiltNeeds:
    """Needs as built for one set of behavioural parameters, kept for the next run.

    A need is made from the draws and the behavioural parameters alone (its cost, value and
    complexity, ``NeedSource._build``), and from whether a product already exists, which
    depends on the run (another buyer's solution may be in use): that is part of the key.
    Needs never change once built, so runs on these draws with the same behaviour share
    them, as a what-if's runs do. Only the behaviour asked for last is kept; up to ``limit``
    needs of it.
    """

    def __init__(self, limit: int = NEEDS_KEPT):
        self.limit = limit
        self._behaviour: str | None = None
        self._needs: dict[int, object] = {}

    @property
    def max_bytes(self) -> int:
        return self.limit * NEED_BYTES

    def for_behaviour(self, behaviour: str) -> dict[int, object]:
        """The kept needs (by ``2 * id + exists``) of this behaviour (its JSON); a run
        stores a need it builds while the dictionary holds fewer than ``limit``."""
        if behaviour != self._behaviour:
            self._behaviour, self._needs = behaviour, {}
        return self._needs


@dataclass(frozen=True)
class DrawSpec:
    """Everything the draws depend on, and nothing else: ``draw`` can read only this.

    Narrower than the scenario without its scheme, so that a sweep over how buyers decide
    (risk aversion, say) shares the draws too. A new input to the draws must be added here,
    or ``draw`` cannot see it.
    """

    population: Population
    challenges_per_theme: int
    relevance_share: float
    reference_budget_eur: float
    need_rate_per_year: float
    months: int
    merger_months: tuple[int, ...] = ()  # each merger's run month (from the scenario's start)

    @classmethod
    def of(cls, scenario: Scenario) -> DrawSpec:
        b = scenario.behaviour
        pop = scenario.population
        return cls(pop, b.challenges_per_theme, b.relevance_share, b.reference_budget_eur,
                   b.need_rate_per_year, scenario.months,
                   tuple(pop.merger_months(scenario.start_year)))

    def key(self) -> str:
        return self.population.model_dump_json() + repr(tuple(vars(self).values())[1:])


_MEMO: Memo[Draws] = Memo(MEMO_BYTES, size=lambda d: d.nbytes)


def draws_for(scenario: Scenario, seed: int) -> Draws:
    """The scheme-free draws of a scenario and seed, memoised (least recently used kept)."""
    spec = DrawSpec.of(scenario)
    return _MEMO.get((spec.key(), int(seed)), lambda: draw(spec, seed))


def forget() -> None:
    """Empties the memo (benchmarks time cold runs with it)."""
    _MEMO.clear()


def population_stream(seed: int) -> np.random.SeedSequence:
    """The population's own sequential stream (buyers, suppliers, relevance, stock)."""
    return np.random.SeedSequence(seed).spawn(1)[0]


def draw(spec: DrawSpec, seed: int) -> Draws:
    """Draws the population, the stock of solutions and every month's needs."""
    s_pop = population_stream(seed)
    pop = spec.population
    themes = list(pop.themes)
    rng_pop = np.random.default_rng(s_pop)
    buyers = draw_buyers(rng_pop, pop)
    suppliers = draw_suppliers(rng_pop, pop, len(themes))
    n_chal = len(themes) * spec.challenges_per_theme
    relevance = rng_pop.random((buyers.n, n_chal)) < spec.relevance_share
    stock = _stock(rng_pop, relevance)
    merges = plan_mergers(int(seed), pop, spec.merger_months, buyers, spec.months)
    rate = _rate(spec, buyers.budget)
    w = np.array([pop.themes[t] for t in themes], dtype=float)
    theme_p = w / w.sum()
    theme_cum = np.cumsum(theme_p)
    horizon, first = _arrivals(int(seed), _rates_by_month(spec, rate, merges), spec.months,
                               relevance, theme_cum, spec.challenges_per_theme)
    d = Draws(buyers, suppliers, relevance, stock, rate, theme_p, theme_cum, horizon, first,
              BuiltNeeds(), merges)
    _freeze(d)
    return d


def _rate(spec: DrawSpec, budget: np.ndarray) -> np.ndarray:
    """Each buyer's monthly chance of a need: larger buyers have more to renew, so needs
    grow with the budget, less than in proportion."""
    size = np.clip((budget / spec.reference_budget_eur) ** 0.4, 0.05, 5)
    return spec.need_rate_per_year / 12 * size


def _rates_by_month(spec: DrawSpec, rate: np.ndarray, merges: tuple[Merge, ...]) -> np.ndarray:
    """The need rates month by month: from a merger's month, the merged buyers have none and
    their absorbers the rate of their grown budget (ODD 7.13). Without mergers, one row."""
    if not merges:
        return rate
    out = np.repeat(rate[None, :], spec.months, axis=0)
    for g in merges:
        out[g.month:] = np.where(g.gone, 0.0, _rate(spec, g.budget))
    return out


def _stock(rng: np.random.Generator, relevance: np.ndarray) -> tuple[StockSolution, ...]:
    """Public solutions that exist before the horizon (most innovations are adapted)."""
    n, n_chal = relevance.shape
    out = []
    for c in np.flatnonzero(rng.random(n_chal) < STOCK_SHARE):
        users = relevance[:, c] & (rng.random(n) < STOCK_USERS)
        out.append(StockSolution(int(c), 0.6 + 0.4 * rng.random(), users))
    return tuple(out)


def _arrivals(seed: int, rate: np.ndarray, months: int, relevance: np.ndarray,
              theme_cum: np.ndarray, cpt: int) -> tuple[Arrivals, tuple[int, ...]]:
    """Every month's needs: who has one (each buyer at its rate), and the need's uniforms;
    all months end to end, in month order, and where each month starts (and the end).

    A buyer has a need in a month when its draw for (buyer, month) falls below its rate;
    the need's id is its identity (month, buyer), and each of its uniforms is the draw of
    one purpose for that id.
    """
    n = rate.shape[-1]
    months = max(0, months)
    month = np.arange(months)
    rates = rate[None, :] if rate.ndim == 1 else rate  # one row, or one per month (mergers)
    hit = crn.uniforms(seed, Purpose.ARRIVAL, np.arange(n)[None, :], month[:, None]) < rates
    when, all_rows = np.divmod(np.flatnonzero(hit), n)  # month-major, as np.nonzero gives
    ids = when.astype(np.int64) * (1 << BUYER_BITS) + all_rows
    all_u = crn.uniforms_of(seed, MAKES + CARRIED, ids)  # one column per purpose
    z = normal_deviates(all_u)
    chal = challenges(relevance, theme_cum, cpt, all_rows, all_u)
    first = tuple(np.searchsorted(when, np.arange(months + 1)).tolist())
    return Arrivals(all_rows, ids, all_u, z, chal), first


def normal_deviates(u: np.ndarray) -> np.ndarray:
    """A need's cost and value deviates from its uniforms 2 and 3."""
    return ndtri(np.clip(u[:, [A_COST, A_VALUE]], 1e-9, 1 - 1e-9))


def challenges(relevance: np.ndarray, theme_cum: np.ndarray, cpt: int, rows: np.ndarray,
               u: np.ndarray) -> np.ndarray:
    """Each need's theme (by the theme shares) and a challenge in it that concerns its buyer.

    A buyer concerned by none of the theme's challenges may have any of them.
    """
    themes = np.searchsorted(theme_cum, u[:, A_THEME] * 0.999999)
    options = relevance.reshape(relevance.shape[0], -1, cpt)[rows, themes]
    count = np.count_nonzero(options, axis=1)
    none = count == 0
    options[none] = True
    count[none] = cpt
    pick = (u[:, A_CHALLENGE] * count).astype(np.int64)  # the pick-th challenge that concerns it
    running = np.cumsum(options, axis=1, dtype=np.int32)
    return themes * cpt + np.argmax(running > pick[:, None], axis=1)


def _freeze(d: Draws) -> None:
    """Makes every shared array read-only: a run that wrote into one would leak into the next."""
    for a in d.arrays():
        if a is not d.buyers.budget_left:  # unused: each run makes its own (fresh_buyers)
            a.flags.writeable = False
