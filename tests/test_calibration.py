"""A fast calibration check: the observed patterns with few replications and the same bands.

The seeds are fixed (0..R-1), so the check is deterministic: a change to the model that moves
a pattern out of its band fails CI. The full calibration (30+ replications) runs with
`make calibrate`; its figures are in docs/calibration.md.
"""

from __future__ import annotations

import pytest

from simpolicy.calibration.patterns import check, load_targets

REPS = 4


@pytest.fixture(scope="module")
def results():
    return check(reps=REPS, workers=2)


def test_every_target_has_a_source():
    for p in load_targets():
        assert p.source.startswith("docs/sources.md#"), p.id
        assert p.band[0] <= p.band[1]


@pytest.mark.parametrize("pattern", [p.id for p in load_targets()])
def test_pattern_in_band(results, pattern):
    r = results[pattern]
    assert r["ok"], f"{pattern}: {r['what']}: model {r['mean']:.3g} outside {r['band']}"
