"""Random numbers by purpose and identity: a uniform is a pure function of what it decides.

Common random numbers make "the scheme's effect" a paired difference, but only if every
chance event draws the same number in the scheme's run and in its counterfactual whenever
it is the same event, whatever else happened before it. A generator advanced as the run
goes breaks that as soon as a scheme changes how many draws come first; a row of uniforms
read at computed positions breaks it when two purposes land on one position (both seen in
this model before, issue 15). So every chance event here reads

    u = U(seed, purpose, ids of what it concerns...)

a counter-based draw (Salmon et al. 2011): the SplitMix64 finaliser chained over the seed,
the purpose's constant and the ids (need, buyer, instrument, solution, month, k-th draw).
The same event gets the same number in every run, process and worker count; two purposes
never share a number because the purpose is part of the key. ``Purpose`` is the one table
of purposes; a test requires its constants to be distinct and each to be used at exactly
one place in the model (``tests/test_random_streams.py``).

Vectorised over numpy uint64 arrays (numpy's uint64 arithmetic wraps modulo 2**64, which
is what the mixer needs); a scalar path in plain Python for the one-event-at-a-time code.
"""

from __future__ import annotations

import zlib
from enum import IntEnum
from functools import lru_cache

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment (2**64 / golden ratio)
M1, M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_INV53 = 2.0 ** -53


class Purpose(IntEnum):
    """Every decision that draws a random number, with its own constant (distinct, fixed).

    Renumbering a purpose changes every draw it serves (and so the calibration); adding one
    changes nothing else.
    """

    ARRIVAL = 1  # whether a buyer has a new need this month (buyer, month)
    NEED_THEME = 2  # a need's theme (need)
    NEED_CHALLENGE = 3  # which challenge of the theme (need)
    NEED_COST = 4  # its development cost deviate (need)
    NEED_VALUE = 5  # its value deviate (need)
    NEED_PRODUCT = 6  # whether a product for it exists on the market (need)
    NEED_COMPLEXITY = 7  # its complexity (need)
    NEED_REUSE = 8  # whether the buyer reuses another buyer's solution (need)
    NEED_PLAN = 10  # whether the buyer plans and budgets the purchase (need)
    NEED_PREP = 11  # the luck of its preparation (need)
    NEED_SCORE = 12  # the panel's view beyond what the rules score (need)
    NEED_RETENDER = 13  # whether the piloting supplier wins the re-tender (need)
    NEED_BACKGROUND = 14  # whether pools or foundations pay part of it (need)
    NEED_RUSH = 15  # whether the buyer rushes its preparation (need)
    NEED_TENDER_FIT = 16  # whether a tender for an existing product finds one that fits (need)
    KNOWS_INSTRUMENT = 17  # whether the buyer of a need knows an instrument (need, instrument)
    KNOWS_DEV_MONEY = 18  # whether a buyer knows of development money (buyer, instrument, year)
    CENTRE_REACH = 19  # whether the competence centre works with a buyer (buyer)
    PHASE_SUCCESS = 20  # whether one contractor's phase succeeds (need, phase, supplier)
    LATER_PLAN = 21  # a plan for a stalled purchase found in a budget year (need, month)
    FOLLOWER_UPTAKE = 22  # whether a named follower uses its right (need, follower)
    DIFFUSION_GAP = 23  # a solution's candidate peers, month after month (solution, k-th jump)
    DIFFUSION_ADOPT = 24  # whether a candidate peer adopts (solution, month, buyer)
    TENDER = 25  # whether a firm looks at a tender, bids, and its rank (need, firm, which)
    FOLLOWERS = 26  # which buyers a tender names as followers (need, buyer)
    RETENDER_RIVAL = 27  # which rival wins a re-tender the pilot lost (need)
    PRIZE_ENTRANTS = 28  # how many firms enter an idea competition (need)
    KNOWS_SCALING = 29  # whether a buyer knows of a scaling grant (buyer, instrument)
    MERGER = 31  # which buyers a population's merger joins to which (merger entry, buyer)
    DEV_OVERRUN = 30  # how far a development overruns its planned months (need)
    SUPPLIER_EXIT = 32  # whether an idle domestic firm leaves this year (firm, year)
    SUPPLIER_ENTRY = 33  # how many firms enter a theme this year (theme, year)
    SUPPLIER_ENTRANT = 34  # an entrant's capability and risk tolerance (theme, year, slot, which)


def _mix(x: int) -> int:
    """The SplitMix64 finaliser on a Python int (bijective on 64 bits, good avalanche)."""
    x = ((x ^ (x >> 30)) * M1) & MASK
    x = ((x ^ (x >> 27)) * M2) & MASK
    return x ^ (x >> 31)


@lru_cache(maxsize=4096)
def _head(seed: int, purpose: int) -> int:
    """The key of a seed and a purpose alone, where every chain starts: a run asks for the
    same few thousands of times (one per event of the purpose), so it is kept."""
    return _mix((int(seed) * GOLDEN + int(purpose)) & MASK)


def key(seed: int, purpose: Purpose, *ids: int) -> int:
    """The 64-bit key of an event: the seed, its purpose and the ids it concerns, chained."""
    h = _head(seed, purpose)
    for i in ids:
        h = _mix((h + (int(i) & MASK) * GOLDEN + 1) & MASK)
    return h


def uniform(seed: int, purpose: Purpose, *ids: int) -> float:
    """One uniform in [0, 1) for one event (the scalar path)."""
    return (key(seed, purpose, *ids) >> 11) * _INV53


_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_M1, _M2, _GOLDEN = np.uint64(M1), np.uint64(M2), np.uint64(GOLDEN)


def mix_array(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser over a uint64 array (wrapping arithmetic), in place: ``x``
    is consumed (``chain`` passes a fresh array). The model calls it for every month's
    candidates, so temporaries count."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def _terms(ids, plus: int = 1) -> np.ndarray:
    """What chaining adds to a key for each id, ``id * GOLDEN + 1``, plus ``plus - 1`` (a
    key added in the same pass): a fresh uint64 array, wrapping (an int64 id wraps to
    two's complement, as ``& MASK`` does)."""
    i = np.asarray(ids)
    if i.dtype.kind not in "iu":
        i = i.astype(np.int64)
    t = i.astype(np.uint64)
    t *= _GOLDEN
    t += np.uint64(plus)
    return t


def chain(h: np.ndarray | int, ids: np.ndarray | int) -> np.ndarray:
    """Keys ``h`` extended by one more id each (arrays broadcast): ``key(..., id)``."""
    i = np.asarray(ids)
    h = np.asarray(h, dtype=np.uint64)
    if not (h.ndim or i.ndim):  # scalars: the exact Python path (numpy scalars warn on overflow)
        return np.uint64(_mix((int(h) + (int(i) & MASK) * GOLDEN + 1) & MASK))
    if not h.ndim:  # one key for all: added with the 1 in one pass
        return mix_array(_terms(i, (int(h) + 1) & MASK))
    return mix_array(_terms(i) + h)


def _scalar(x) -> bool:
    """Whether an id is one number (a Python int is the common case: no array made)."""
    if isinstance(x, np.ndarray):
        return x.ndim == 0
    return isinstance(x, (int, np.integer)) or np.ndim(x) == 0


def keys(seed: int, purpose: Purpose, *ids) -> np.ndarray:
    """Keys of many events at once; each id may be a scalar or an array (broadcast).

    Leading scalar ids are chained in plain Python (``key``), the rest as arrays: the
    same keys, without array overhead for what is one number.
    """
    n = 0
    while n < len(ids) and _scalar(ids[n]):
        n += 1
    h: np.ndarray | int = key(seed, purpose, *ids[:n])
    for i in ids[n:]:
        h = chain(h, i)
    return np.asarray(h, dtype=np.uint64)


def to_uniform(h: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from 64-bit keys (their top 53 bits)."""
    u = (h >> _S11).astype(np.float64)
    u *= _INV53
    return u


def uniforms(seed: int, purpose: Purpose, *ids) -> np.ndarray:
    """Uniforms of many events at once (ids broadcast like numpy arrays)."""
    return to_uniform(keys(seed, purpose, *ids))


def uniforms_of(seed: int, purposes, ids: np.ndarray) -> np.ndarray:
    """Ids x purposes: column j holds ``uniforms(seed, purposes[j], ids)``, made in one pass
    (each purpose's key is chained with every id at once)."""
    h = np.array([key(seed, p) for p in purposes], dtype=np.uint64)
    return to_uniform(chain(h[None, :], np.asarray(ids)[:, None]))


def name_id(name: str) -> int:
    """A stable integer for a name (an instrument's id): the same in every process.

    Python's own ``hash`` of a string changes between processes; CRC-32 does not. Keying by
    the instrument's id rather than its position keeps a buyer's knowledge of one
    instrument the same when another instrument is added or removed.
    """
    return zlib.crc32(name.encode("utf-8"))
