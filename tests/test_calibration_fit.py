"""The calibration search: its score, its margin and its local search (``calibrate --fit``).

No model runs here: the score is a pure function of pattern results, and the candidates
of a Latin hypercube are checked for where they lie.
"""

from __future__ import annotations

import math

from simpolicy.calibration.fit import candidates, search_space
from simpolicy.calibration.patterns import distance, point_distance
from simpolicy.scenario.loader import load_behaviour


def mean_result(mean: float, band=(10.0, 20.0)) -> dict:
    lo, hi = band
    return {"mean": mean, "band": [lo, hi], "ok": lo <= mean <= hi}


def test_distance_is_zero_inside_and_grows_outside_the_band():
    assert distance(mean_result(15.0)) == 0.0
    assert distance(mean_result(10.0)) == 0.0  # an edge is in
    assert math.isclose(distance(mean_result(22.0)), 0.2)  # 2 beyond, relative to a width of 10
    assert math.isclose(distance(mean_result(5.0)), 0.5)
    assert distance(mean_result(1000.0)) == 2.0  # capped: one pattern cannot swamp the rest


def test_a_margin_asks_for_room_to_spare():
    """A mean just inside an edge at few replications is often outside at many: with a
    margin the search prefers points that hold with room (docs/calibration.md)."""
    assert distance(mean_result(10.5)) == 0.0
    assert math.isclose(distance(mean_result(10.5), margin=0.1), 0.05)  # needs 11
    assert distance(mean_result(15.0), margin=0.1) == 0.0
    assert math.isclose(distance(mean_result(19.5), margin=0.1), 0.05)
    # a one-sided band (P9, ratio at least 1.5) narrows only from below
    one_sided = {"mean": 1.55, "band": [1.5, math.inf], "ok": True}
    assert distance(one_sided) == 0.0 and distance(one_sided, margin=0.1) > 0
    # a test (P10): with a margin the p-value must be well below the threshold
    test = {"mean": 0.1, "band": [0, 0.05], "ok": True, "p_value": 0.04}
    assert distance(test) == 0.0 and distance(test, margin=0.1) > 0
    assert distance({**test, "p_value": 0.001}, margin=0.1) == 0.0


def test_point_distance_reads_the_range_of_runs():
    r = {"point": 30.0, "point_ok": False, "p05": 18.0, "p95": 28.0}
    assert math.isclose(point_distance(r), 0.2)
    assert point_distance({**r, "point_ok": True}) == 0.0
    assert point_distance({"point": None, "point_ok": None}) == 0.0


def test_the_search_space_holds_the_fitted_set():
    """Every searched parameter exists in the behaviour set and its fitted value lies in
    its range: a local search around it must be able to return to it."""
    fitted = load_behaviour().model_dump()
    for name, (lo, hi) in search_space().items():
        assert name in fitted, name
        assert lo <= fitted[name] <= hi, f"{name} = {fitted[name]} outside [{lo}, {hi}]"


def test_a_local_search_stays_near_its_start():
    """``--shrink S``: every candidate lies within S/2 of each parameter's range around the
    current set, clipped to the range; the sample is reproducible."""
    here = load_behaviour().model_dump()
    space = search_space()
    points = candidates(20, seed=3, around=here, shrink=0.2)
    assert points == candidates(20, seed=3, around=here, shrink=0.2)
    for point in points:
        for name, (lo, hi) in space.items():
            half = (hi - lo) * 0.1
            assert max(lo, here[name] - half) - 1e-9 <= point[name] <= min(hi, here[name] + half) + 1e-9
    wide = candidates(20, seed=3)
    lo, hi = space["dev_cost_eur"]
    assert any(abs(p["dev_cost_eur"] - here["dev_cost_eur"]) > 0.1 * (hi - lo) for p in wide)


def test_a_local_search_scores_its_start_first(monkeypatch, tmp_path):
    """The CSV of a local search shows whether it found anything better than where it
    started: the start is its first candidate."""
    from simpolicy.calibration import fit as fitting

    seen = []

    def fake_score(point, reps, workers, strict=False, margin=0.0):
        seen.append(point)
        return 1.0, {"P1": {"mean": 1.0, "ok": True}}

    monkeypatch.setattr(fitting, "score", fake_score)
    here = load_behaviour().model_dump()
    fitting.fit(3, 1, 1, tmp_path / "fit.csv", around=here, shrink=0.2, log=lambda m: None)
    assert len(seen) == 3
    assert seen[0] == {k: float(here[k]) for k in search_space()}
    assert (tmp_path / "fit.csv").exists()
