"""Optimisation specs are checked like sweep specs, and fronts are what they claim (issue 19).

Each bad spec gives exactly one ``FILE:LINE: field: message`` line and exit 2, from
``validate`` and from ``optimize`` alike. The front helpers are checked on a hand-made set
where the answer is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simpolicy.cli.main import main
from simpolicy.experiments import pareto

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "optimize" / "copi_budget.yaml"

GOOD = """\
name: tiny
scenarios: [denmark_copi_proposal]
replications: 2
base_seed: 3
fixed: {horizon_years: 1}
parameters:
  scheme.instruments.value_chain.rate: {low: 0.2, high: 0.9}
budget:
  total_eur: {low: 1000000, high: 4000000}
  shares:
    - scheme.instruments.value_chain.annual_budget_eur
    - scheme.instruments.scaling_grant.annual_budget_eur
objectives:
  additional_adopters: max
  public_money_eur: min
constraints:
  - {outcome: public_money_eur, per_year: true, max: 3000000}
search: {population: 4, generations: 3, final_replications: 3, reevaluate: 3}
"""

# (what is broken, replace this, with this, expected "LINE: field: message" start)
BROKEN = [
    ("path", "value_chain.rate:", "valu_chain.rate:",
     "7: parameters.scheme.instruments.valu_chain.rate: no list item 'valu_chain'"),
    ("outcome", "additional_adopters: max", "additional_adoptrs: max",
     "14: objectives.additional_adoptrs: unknown outcome 'additional_adoptrs'"),
    ("goal", "public_money_eur: min", "public_money_eur: minimise",
     "15: objectives.public_money_eur.goal: Input should be 'max' or 'min'"),
    ("share path", "- scheme.instruments.scaling_grant.", "- scheme.instruments.scaling.",
     "12: budget.shares.1: no list item 'scaling'"),
    ("bound", "max: 3000000}", "max: 3000000, min: 1}", "17: constraints.0: give exactly one of max or min"),
    ("typo", "generations: 3", "generatons: 3",
     "18: search.generatons: unknown field; did you mean 'generations'?"),
    ("final reps", "final_replications: 3", "final_replications: 1", "18: search.final_replications: "),
    ("text number", "replications: 2\n", "replications: '2'\n", "3: replications: expected a number"),
    ("two scenarios", "[denmark_copi_proposal]", "[denmark_copi_proposal, flanders]", "2: scenarios: "),
]


@pytest.mark.parametrize("what, old, new, expected", BROKEN, ids=[b[0] for b in BROKEN])
@pytest.mark.parametrize("command", ["validate", "optimize"])
def test_a_broken_spec_is_one_located_line_and_exit_2(tmp_path, capsys, command, what, old, new, expected):
    assert old in GOOD
    spec = tmp_path / "tiny.yaml"
    spec.write_text(GOOD.replace(old, new, 1))
    assert main([command, str(spec)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"{spec}:{expected}"), err[0]
    assert not (tmp_path / "results").exists()


def test_the_bundled_example_and_a_good_spec_validate(tmp_path, capsys):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(GOOD)
    assert main(["validate", str(BUNDLED), str(spec)]) == 0, capsys.readouterr().err


def _table(values, goals):
    return pd.DataFrame(values, columns=list(goals))


def test_pareto_flags_on_a_hand_made_set():
    goals = {"adopters": "max", "money": "min"}
    d = _table([[10, 5.0],   # 0 front: cheapest of the good ones
                [12, 6.0],   # 1 front: more for more
                [9, 6.0],    # 2 dominated by 0 (less for more)
                [12, 6.0],   # 3 equal to 1: equal designs do not dominate each other
                [20, 9.0],   # 4 front on its own... but infeasible below
                [11, 5.0],   # 5 front: dominates 0 (more for the same money)
                [np.nan, 1.0],  # 6 undefined: never on the front
                [12, 7.0]],  # 7 dominated by 1
               goals)
    feasible = np.array([True, True, True, True, False, True, True, True])
    mask = pareto.pareto_mask(pareto.losses(d, goals), feasible)
    assert mask.tolist() == [False, True, False, True, False, True, False, False]
    assert pareto.pareto_mask(pareto.losses(d, goals)).tolist() == \
        [False, True, False, True, True, True, False, False]  # without the constraint, 4 is on it


def test_leading_takes_the_front_then_the_next_layer_and_thins_evenly():
    goals = {"a": "max", "b": "min"}
    d = _table([[1, 1], [2, 2], [3, 3], [4, 4], [1, 2], [2, 3]], goals)
    loss = pareto.losses(d, goals)
    ok = np.ones(len(d), bool)
    assert pareto.leading(loss, ok, 6) == [0, 1, 2, 3, 4, 5]
    assert pareto.leading(loss, ok, 5) == [0, 1, 2, 3, 5]  # the front, then the best of the next layer
    assert pareto.leading(loss, ok, 4) == [0, 1, 2, 3]  # the front alone
    assert pareto.leading(loss, ok, 2) == [0, 3]  # thinned: both ends kept


def test_hypervolume_of_a_known_staircase():
    pts = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    assert pareto.hypervolume(pts, np.array([4.0, 4.0])) == pytest.approx(6.0)
    assert pareto.hypervolume(np.array([[5.0, 5.0]]), np.array([4.0, 4.0])) == 0.0
    assert pareto.relative_change([1.0, 2.0]) == pytest.approx(0.5)


def test_front_table_flags_only_feasible_undominated_designs_and_pairs_with_the_start(tmp_path):
    """Design 2 has the most adopters but spends over the yearly bound: not on the front."""
    from simpolicy.experiments.optfront import front_table
    from simpolicy.experiments.optimize import plan_search

    spec = tmp_path / "tiny.yaml"
    spec.write_text(GOOD)
    plan = plan_search(spec)
    paths = plan.space.columns
    # design: (additional adopters, public money over the 1-year horizon) on seeds 3, 4, 5
    made = {0: ([5, 6, 7], 2.0e6), 1: ([7, 8, 9], 2.0e6), 2: ([20, 21, 22], 3.5e6), 3: ([6, 7, 8], 1.5e6)}
    rows = {}
    for d, (adopters, money) in made.items():
        for r, a in enumerate(adopters):
            rows[plan.run_id(d, r)] = {"seed": 3 + r, "status": "ok", "additional_adopters": float(a),
                                      "public_money_eur": money + r, "design": d}
    searched = pd.DataFrame([{"design": d, "origin": "search", "generation": 0, "search_pareto": True,
                              "feasible": True, **{p: 0.5 for p in paths}} for d in (1, 2, 3)])
    table, summary = front_table(plan, rows, searched, [1, 2, 3], [0.5])
    flags = table.set_index("design")
    assert flags["feasible"].tolist() == [True, True, False, True]
    assert flags["pareto"].tolist() == [False, True, False, True]  # 0 is beaten by 1; 2 is over the bound
    assert flags.loc[1, "additional_adopters_vs_start"] == pytest.approx(2.0)
    assert flags.loc[1, "additional_adopters_vs_start_ci_low"] == pytest.approx(2.0)  # same gain each seed
    assert flags["dominates_start"].tolist() == [False, True, False, True]
    assert summary["front"] == [1, 3] and summary["dominating_start"] == [1, 3]
