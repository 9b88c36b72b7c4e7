"""A small thread-safe memo that forgets the least recently used entries beyond a size.

``simulate`` memoises counterfactual runs and the model its scheme-free draws; the dashboard
may run simulations in threads, so every look-up and insertion holds a lock. Computing a
missing value happens outside the lock: two threads that miss the same key at once both
compute it (the same value, runs being deterministic) and the first one stored is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """Values by key, at most ``limit`` in total ``size`` (1 per entry by default).

    The newest entry is always kept, even when it alone is over the limit.
    """

    def __init__(self, limit: float, size: Callable[[V], float] = lambda _v: 1):
        self.limit, self._size = limit, size
        self._data: OrderedDict[Hashable, tuple[V, float]] = OrderedDict()
        self._total = 0.0
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for ``key``, made by ``make()`` and stored if it is not there."""
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                return hit[0]
        value = make()
        with self._lock:
            if key not in self._data:
                size = self._size(value)
                self._data[key] = (value, size)
                self._total += size
                while len(self._data) > 1 and self._total > self.limit:
                    _, (_, dropped) = self._data.popitem(last=False)
                    self._total -= dropped
            return self._data[key][0]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._total = 0.0

    def keys(self) -> list:
        with self._lock:
            return list(self._data)

    def __len__(self) -> int:
        return len(self._data)
