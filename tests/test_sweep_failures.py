"""A run that raises is stored as failed with its error and no values; the study exits 1."""

from __future__ import annotations

import math

import pandas as pd
from test_sweep_support import SMALL, rows, write_spec

from simpolicy.cli.main import main
from simpolicy.experiments import replicate
from simpolicy.experiments.study import plan_study, run_study

# Each value is valid alone (the spec validates), but min above max is refused at run time.
CLASH = SMALL.replace("  scheme.instruments.pcp_lt.rate: {{levels: [0.5, 0.9]}}\n", """\
  scheme.instruments.pcp_lt.min_grant_eur: {{levels: [0, 3000000]}}
  scheme.instruments.pcp_lt.max_grant_eur: {{levels: [4000000, 1000000]}}
""").replace("  horizon_years: {years}\n",
            "  horizon_years: {years}\n  scheme.instruments.pcp_lt.max_grant_eur: 4000000\n")


def test_refused_combination_is_a_failed_run_and_exit_1(tmp_path, capsys):
    spec = write_spec(tmp_path, "clash", text=CLASH.format(name="clash", reps=2, years=0.5))
    out = tmp_path / "study"
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "2 of 8 runs failed" in err
    df = rows(out)
    bad = df[df["status"] == "failed"]
    assert len(bad) == 2 and set(bad["point"]) == {3}
    assert bad["error"].str.contains("min_grant_eur is larger than max_grant_eur").all()
    outcome_cols = [c for c in df.columns if c == "adopters" or c.startswith("cf_")]
    assert bad[outcome_cols].isna().all().all()  # never another run's values
    good = df[df["status"] == "ok"]
    assert good["adopters"].notna().all() and (good["error"] == "").all()


def test_simulate_raising_is_recorded_and_the_study_finishes(tmp_path, monkeypatch):
    real = replicate.simulate

    def flaky(scenario, seed=0):
        if seed == 4:
            raise RuntimeError("boom in the model")
        return real(scenario, seed)

    monkeypatch.setattr(replicate, "simulate", flaky)  # workers=1 runs in this process
    spec = write_spec(tmp_path, "flaky", reps=3, years=0.5)
    res = run_study(plan_study(spec), tmp_path / "study", workers=1, notify=lambda m: None)
    assert res.complete and res.failed == 2  # seed 4 = replication 1 of both points
    df = pd.read_parquet(tmp_path / "study" / "parts")
    bad = df[df["status"] == "failed"]
    assert set(bad["seed"]) == {4} and (bad["error"] == "RuntimeError: boom in the model").all()
    assert all(math.isnan(v) for v in bad["projects_funded"])
