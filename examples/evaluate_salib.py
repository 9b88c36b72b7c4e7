"""SALib driving ``simpolicy.evaluate`` directly: a Sobol analysis in a dozen lines.

``evaluate(**params)`` is a plain function of flat keyword parameters (``--set`` paths with
dots replaced by ``__``) returning the summary outcomes, so SALib, EMA Workbench or an
optimiser can drive the model without adapters. For studies of thousands of runs use
``simpolicy sweep`` instead: it runs in parallel (local processes or Dask), streams results
to disk, resumes after a crash and computes the same indices.

Run:  .venv/bin/python examples/evaluate_salib.py [N]   (N base samples, default 8)
"""

from __future__ import annotations

import sys

import numpy as np
from SALib.analyze import sobol
from SALib.sample import sobol as sobol_sample

from simpolicy import evaluate

PROBLEM = {
    "num_vars": 3,
    "names": ["scheme__instruments__value_chain__rate", "behaviour__risk_aversion", "behaviour__imitation_q"],
    "bounds": [[0.3, 0.9], [0.5, 3.0], [0.005, 0.08]],
}
OUTCOME = "adopters"
REPLICATIONS = 2  # seeds 0..1 at every point: common random numbers


def model(x: np.ndarray) -> float:
    """One design point: the mean outcome over replications (evaluate is called as is)."""
    params = dict(zip(PROBLEM["names"], map(float, x), strict=True))
    runs = [evaluate(scenario="denmark_copi_proposal", seed=s, horizon_years=3, **params)
            for s in range(REPLICATIONS)]
    return float(np.mean([r[OUTCOME] for r in runs]))


def main(n: int = 8) -> None:
    x = sobol_sample.sample(PROBLEM, n, calc_second_order=False, seed=1)
    y = np.array([model(row) for row in x])
    si = sobol.analyze(PROBLEM, y, calc_second_order=False, seed=1)
    print(f"Sobol indices of {OUTCOME} ({len(x)} points x {REPLICATIONS} replications)")
    for name, s1, st, conf in zip(PROBLEM["names"], si["S1"], si["ST"], si["ST_conf"], strict=True):
        print(f"  {name:45s} S1 {s1:6.3f}  ST {st:6.3f} ± {conf:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
