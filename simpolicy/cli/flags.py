"""Argument types that refuse numbers no one can mean (argparse then exits 2 with one line).

``--years 0`` was ignored (a falsy value), ``--workers 0`` and ``--workers -3`` were
accepted, ``--reps 0`` exited 1 and ``--seed -1`` failed every run inside numpy. Each is
bad input, so it is refused before any work, by argparse, as ``simpolicy run: error:
argument --seed: ...``.
"""

from __future__ import annotations

import argparse
import math

MAX_REPS = 100_000
MAX_WORKERS = 1_024
MAX_SEED = 2**32 - 1  # numpy's SeedSequence takes any non-negative int; seeds are stored as int64


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def bounded_int(low: int, high: int):
    def parse(text: str) -> int:
        v = _int(text)
        if not low <= v <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}, got {v}")
        return v
    parse.__name__ = "whole number"
    return parse


def positive_float(high: float):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(v) and 0 < v <= high):
            raise argparse.ArgumentTypeError(f"must be above 0 and at most {high:g}, got {text}")
        return v
    parse.__name__ = "number"
    return parse


seed = bounded_int(0, MAX_SEED)
reps = bounded_int(1, MAX_REPS)
workers = bounded_int(1, MAX_WORKERS)
batch = bounded_int(1, 100_000)
dashboard_workers = bounded_int(0, MAX_WORKERS)  # 0: runs in one thread of the server
years = positive_float(50)
