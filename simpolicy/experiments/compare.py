"""Comparing schemes: replications of each, their counterfactuals, and the differences.

Every scheme runs with the same seeds (common random numbers); its counterfactual is the
same population and seed without the scheme, so ``difference`` is the scheme's effect run
by run, with its interval. ``per_100_buyers`` puts countries of different sizes on equal
terms when they are not put on one population.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from simpolicy.experiments.replicate import cf_rows, ok_rows, replicate
from simpolicy.experiments.stats import intervals, paired_differences
from simpolicy.outcomes import EXTRA, OUTCOMES
from simpolicy.results.claim import claim, new_folder
from simpolicy.results.store import code_version, now, write_listed, write_manifest
from simpolicy.scenario.schema import Scenario


def scenario_hash(sc: Scenario) -> str:
    """A stable hash of everything that determines a run (scheme, population, behaviour)."""
    return hashlib.sha256(sc.model_dump_json().encode()).hexdigest()[:16]


@dataclass
class Comparison:
    """The result of `compare_scenarios`: intervals per scheme plus the raw rows."""

    scenarios: dict[str, dict]
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    specs: dict[str, Scenario]
    reps: int
    seed: int
    population: str | None = None
    command: str = ""
    elapsed_s: float = 0.0
    failed: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def horizon_months(self) -> dict[str, int]:
        """Months each scheme ran (stated with every table: totals depend on it)."""
        return {k: sc.months for k, sc in self.specs.items()}

    def decision(self, sort_by: str = "additional_adopters"):
        """The decision table of these runs (the same function the report and dashboard use)."""
        from simpolicy.analysis.decision import decision_table

        return decision_table(self.runs, sort_by, self.horizon_months)

    def save(self, out: Path | None = None, force: bool = False, claimed: bool = False) -> Path:
        """Writes parts, then the manifest that lists them; returns the folder.

        Without ``out`` the folder is new and unique (``results/<kind>-<names>-<stamp>-<token>``,
        made exclusively), so runs started together never share one. An ``out`` that holds
        anything is refused (``FolderRefused``) unless ``force`` replaces a previous result;
        ``claimed`` says the caller claimed ``out`` already (before running, so a refusal
        costs no simulation).
        """
        kind = "run" if len(self.specs) == 1 else "compare"
        if out is None:
            out = new_folder(Path("results"), f"{kind}-{'-'.join(self.specs)[:60]}")
        elif not claimed:
            out = claim(Path(out), force)
        study_id = out.name
        runs = self.runs.drop(columns=["traceback"], errors="ignore").copy()
        runs.insert(0, "study_id", study_id)
        parts = {"parts": [write_listed(out, "parts", 0, pa.Table.from_pandas(runs, preserve_index=False))]}
        if not self.timeseries.empty:
            parts["timeseries"] = [write_listed(out, "timeseries", 0, pa.Table.from_pandas(
                self.timeseries, preserve_index=False))]
        write_manifest(out, {
            "study_id": study_id, "kind": kind, "status": "complete",
            "created": now(), "code_version": code_version(), "command": self.command,
            "reps": self.reps, "seeds": [self.seed, self.seed + self.reps - 1],
            "population": self.population, "elapsed_s": round(self.elapsed_s, 2),
            "counts": {"runs": len(runs), "failed": self.failed},
            "scenarios": {k: {"hash": scenario_hash(v),
                              "spec": v.model_dump(mode="json", exclude={"behaviour"})}
                          for k, v in self.specs.items()},
            "behaviour": next(iter(self.specs.values())).behaviour.model_dump(mode="json"),
            "summary": self.scenarios,
            "parts": parts,
        })
        return out


def equal_horizon(scenarios: dict[str, Scenario], years: float | None = None
                  ) -> dict[str, Scenario]:
    """Every scheme over one horizon: ``years``, or the longest of the schemes given.

    Schemes put on one population compare on equal terms only over the same years: totals
    over 2 and 10 years say nothing about which design is better, and runs on different
    horizons have different counterfactuals, so they cannot be paired seed by seed.
    """
    if not scenarios:
        return scenarios
    h = float(years) if years else max(sc.horizon_years for sc in scenarios.values())
    return {k: sc if sc.horizon_years == h else sc.model_copy(update={"horizon_years": h})
            for k, sc in scenarios.items()}


def compare_scenarios(scenarios: dict[str, Scenario], reps: int, seed: int = 0,
                      workers: int = 1, population: str | None = None,
                      command: str = "") -> Comparison:
    """Runs every scenario `reps` times with seeds seed..seed+reps-1 and summarises."""
    t0 = time.perf_counter()
    runs, ts = replicate(scenarios, reps, seed, workers)
    out = {}
    for label, sc in scenarios.items():
        rows = ok_rows(runs, label)
        names = list(OUTCOMES) + list(EXTRA) + sorted(
            k for k in (rows[0] if rows else {}) if k.startswith("applications_"))
        cfs = cf_rows(rows, names)
        n_buyers = sum(g.count for g in sc.population.buyers)
        out[label] = {
            "outcomes": intervals(rows, names),
            "counterfactual": intervals(cfs, names),
            "difference": paired_differences(rows, cfs, names),
            "per_100_buyers": intervals([{k: r[k] * 100 / n_buyers for k in OUTCOMES}
                                         for r in rows], OUTCOMES) if n_buyers else {},
            "buyers": n_buyers,
            "country": sc.country,
        }
    failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
    return Comparison(out, runs, ts, scenarios, reps, seed, population, command,
                      time.perf_counter() - t0, failed)
