"""The memo behind simulate()'s counterfactuals and the model's shared draws."""

from __future__ import annotations

import threading

from simpolicy.memo import Memo


def test_keeps_the_most_recently_used_within_its_size():
    memo = Memo(10, size=lambda v: v)
    for key in "abc":
        memo.get(key, lambda: 4)
    assert memo.keys() == ["b", "c"]  # a + b + c = 12 > 10: the oldest went
    memo.get("b", lambda: 99)  # a hit: not made again, and now the most recent
    memo.get("d", lambda: 4)
    assert memo.keys() == ["b", "d"]
    assert memo.get("b", lambda: 99) == 4


def test_the_newest_entry_stays_even_when_it_alone_is_too_big():
    memo = Memo(10, size=lambda v: v)
    assert memo.get("big", lambda: 50) == 50 and memo.keys() == ["big"]


def test_threads_that_share_it_get_their_values_and_never_an_error():
    memo: Memo[int] = Memo(8)
    errors, made = [], []

    def worker(offset: int) -> None:
        try:
            for i in range(2000):
                key = (offset + i) % 13
                assert memo.get(key, lambda k=key: made.append(k) or k * k) == key * key
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(memo) <= 8 and made  # bounded, and misses were made
