"""CPU time of one model run from scratch against Mesa's bare Boltzmann reference.

Wall-clock medians (``bench_model``) move with the machine's neighbours; CPU time, best of
several runs, moves less, so this is what compares two versions of the code: run it with
each checkout first on the path, interleaved, and compare the best times and ratios.

Run: ``PYTHONPATH=<checkout> .venv/bin/python benchmarks/cpu_time.py [scenario] [--runs N]``.
"""

from __future__ import annotations

import argparse
import gc
import time

from benchmarks import boltzmann
from simpolicy.core import run_model
from simpolicy.model import draws
from simpolicy.scenario.loader import load_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenario", nargs="?", default="denmark_copi_proposal")
    ap.add_argument("--runs", type=int, default=12)
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    agents = sum(g.count for g in sc.population.buyers) + sum(g.count for g in sc.population.suppliers)
    run_model(sc, 10_000)  # imports and caches, untimed
    ours, ref = [], []
    for seed in range(args.runs):
        draws.forget()  # from scratch: no memoised population or needs
        gc.collect()
        t = time.process_time()
        run_model(sc, seed)
        ours.append(time.process_time() - t)
        gc.collect()
        t = time.process_time()
        boltzmann.run(agents, sc.months, seed, False)
        ref.append(time.process_time() - t)
    print(f"{args.scenario}: one run best {min(ours) * 1000:.1f} ms, bare Boltzmann best "
          f"{min(ref) * 1000:.1f} ms, ratio {min(ref) / min(ours):.2f}x (CPU time, best of {args.runs})")


if __name__ == "__main__":
    main()
