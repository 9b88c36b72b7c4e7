"""Design search: NSGA-II over a spec's design space, noise-aware, resumable, on any executor.

Optuna's NSGA-II proposes a generation of designs (ask); each design runs ``replications``
times with seeds ``base_seed + r``, the same seeds as every other design and as its own
counterfactual (common random numbers), through the sweep's batches and executors; the
means go back to the sampler (tell) before the next generation is asked. Then the leading
designs are re-evaluated with ``final_replications`` (their first runs are reused, as the
seeds are the same), the starting scheme too, and the front is drawn from those numbers.

Determinism: a generation is asked whole and told in trial order, and a run is a pure
function of its design and seed, so the search is the same for 1 or N workers or Dask.
Resume: the folder's parts are the storage. A resumed search replays the asks with a fresh
sampler of the same seed and tells the stored values, which rebuilds the sampler's state
exactly (optuna's own storages would restart the sampler's random state, and the search
would diverge from an uninterrupted one); only runs not stored are run.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from simpolicy.experiments import pareto
from simpolicy.experiments.batches import BatchSizer, Task
from simpolicy.experiments.executors import make_executor
from simpolicy.experiments.optdir import SearchDir
from simpolicy.experiments.optfront import feasible, front_table, runs_of
from simpolicy.experiments.optspec import OptimizeSpec, Space, load_optimize_spec, value_at
from simpolicy.experiments.study import _Loop, outcome_columns
from simpolicy.experiments.studydir import StudyError, scenarios_digest, study_digest
from simpolicy.results import store
from simpolicy.scenario.schema import Scenario

SAMPLER_SEED = 19_000_000  # offset from base_seed, so seed 0 is a seed like any other


@dataclass
class SearchPlan:
    """Everything a search needs before it starts: spec, scenario, space, hashes, columns."""

    spec: OptimizeSpec
    spec_file: str
    label: str
    scenario: Scenario
    spec_hash: str
    scenarios_hash: str
    outcomes: list[str]
    space: Space = field(init=False)

    def __post_init__(self):
        self.space = Space(self.spec)

    @property
    def study_hash(self) -> str:
        return study_digest(self.spec_hash, self.scenarios_hash)

    @property
    def study_id(self) -> str:
        return f"{self.spec.name}-{self.study_hash[:8]}"

    @property
    def goals(self) -> dict[str, str]:
        """Objective columns and their goals (``<outcome>_vs_cf`` for differences)."""
        return {objective_key(o, ob.versus_counterfactual): ob.goal for o, ob in self.spec.objectives.items()}

    def run_id(self, design: int, replication: int) -> int:
        """Design d's replication r; run ids stay put whatever the search re-evaluates."""
        return design * self.spec.search.final_replications + replication

    def measures(self, runs: pd.DataFrame) -> dict[str, pd.Series]:
        """Per-run values of the objectives and constrained outcomes of one design."""
        out = {objective_key(o, ob.versus_counterfactual):
               pareto.run_values(runs, o, ob.versus_counterfactual) for o, ob in self.spec.objectives.items()}
        for c in self.spec.constraints:
            out[c.column] = pareto.run_values(runs, c.outcome, per_year=(
                self.scenario.horizon_years if c.per_year else None))
        return out

    def space_value(self, path: str):
        """A ``--set`` path's value in the starting scheme (the start's row of the table)."""
        return value_at(self.scenario, path)

    def violations(self, summary: dict) -> list[float]:
        """Optuna's constraint values: at most 0 where a design keeps the bound."""
        return [(summary[c.column] - c.max) if c.max is not None else (c.min - summary[c.column])
                for c in self.spec.constraints]

    def schema(self):
        import pyarrow as pa

        ids = [("study_id", pa.string()), ("run_id", pa.int64()), ("scenario", pa.string()),
               ("design", pa.int64()), ("replication", pa.int64()), ("seed", pa.int64())]
        return store.run_schema(ids, list(self.param_types().items()), self.outcomes)

    def param_types(self) -> dict:
        import pyarrow as pa

        types = {}
        for path in self.space.columns:
            p = self.spec.parameters.get(path)
            types[path] = (store.arrow_type(p.levels) if p is not None and p.levels is not None
                           else pa.int64() if p is not None and p.integer else pa.float64())
        return types


def objective_key(outcome: str, versus_counterfactual: bool) -> str:
    return f"{outcome}_vs_cf" if versus_counterfactual else outcome


def plan_search(spec_path: str | Path) -> SearchPlan:
    """Loads and checks a spec (InputError with located problems) and fixes the columns."""
    spec, label, scenario = load_optimize_spec(spec_path)
    scenarios = {label: scenario}
    return SearchPlan(spec, str(spec_path), label, scenario, spec.digest(), scenarios_digest(scenarios),
                      outcome_columns(scenarios, seed=spec.base_seed))


@dataclass
class SearchResult:
    """What a search session did, for the command line to report."""

    path: Path
    study_id: str
    runs: int
    failed: int
    new_runs: int
    elapsed_s: float
    interrupted: bool = False
    resumed: bool = False
    designs: pd.DataFrame | None = None
    summary: dict = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.designs is not None


class _LoopPlan:
    """What the sweep's submit-collect-write loop needs to know of a search's runs."""

    def __init__(self, plan: SearchPlan, tasks: dict[int, Task]):
        self.plan, self.tasks = plan, tasks
        self.study_id = plan.study_id
        self.scenarios = {plan.label: plan.scenario}
        self.spec = SimpleNamespace(timeseries=())
        self.total = 0

    def schema(self):
        return self.plan.schema()

    def timeseries_schema(self):
        import pyarrow as pa

        return pa.schema([])

    def param_types(self):
        return self.plan.param_types()

    def task(self, run_id: int) -> Task:
        return self.tasks[run_id]


class _Runs(_Loop):
    """The sweep's loop (batches, executors, Ctrl-C draining) run stage by stage; it keeps
    every stored row so the search can tell the sampler and resume from them."""

    def __init__(self, lp: _LoopPlan, sd: SearchDir, rows: dict[int, dict], progress):
        super().__init__(lp, sd, iter(()), 0, progress)
        self.rows = rows

    def evaluate(self, run_ids: list[int]) -> None:
        todo = [i for i in run_ids if i not in self.rows]
        self.pending, self.remaining = iter(todo), len(todo)
        self.run()

    def _write(self, index: int, result: dict) -> None:
        for r in result["rows"]:
            r["design"] = r.pop("point", None)
        super()._write(index, result)
        for r in result["rows"]:
            self.rows[r["run_id"]] = r


def run_search(plan: SearchPlan, out: str | Path | None = None, *, workers: int | None = None,
               scheduler: str | None = None, resume: bool = False, force: bool = False,
               batch_size: int | None = None, progress: Callable[[int, int, int], None] | None = None,
               notify: Callable[[str], None] | None = None, command: str = "") -> SearchResult:
    """Runs (or resumes) a search; rows stream to ``out`` (default ``results/<study-id>``).

    Ctrl-C stops cleanly as in a sweep: runs in progress are finished and written, the
    manifest says ``interrupted`` and ``--resume`` continues where it stopped.
    """
    notify = notify or (lambda msg: print(msg, file=sys.stderr))
    s = plan.spec
    n = min(workers or os.cpu_count() or 1, s.search.population * s.replications)
    executor = make_executor(n, scheduler, ("simpolicy.experiments.batches",))
    try:
        sd = SearchDir.open(plan, out, resume, force, notify)
    except BaseException:
        executor.close(cancel=True)
        raise
    if sd.resumed and sd.manifest.get("outcomes"):
        plan.outcomes = list(sd.manifest["outcomes"])  # the parts already written fix the columns
    stored = sd.stored_rows()
    rows = {int(r["run_id"]): r for r in stored.to_dict("records")} if not stored.empty else {}
    lp = _LoopPlan(plan, {})
    loop = _Runs(lp, sd, rows, progress)
    loop.done = len(rows)
    loop.failed = sum(1 for r in rows.values() if r.get("status") != "ok")
    loop.executor, loop.sizer = executor, BatchSizer(executor.capacity, batch_size)
    sd.start_session(executor.name, executor.capacity, command)
    t0, error, designs, summary = time.perf_counter(), None, None, {}
    try:
        designs, summary = _search(plan, loop, lp)
    except KeyboardInterrupt:
        loop.interrupted = True
        notify("stopping: finishing the runs in progress (press Ctrl-C again to drop them)")
        loop.drain()
    except BaseException as e:
        error = f"{type(e).__name__}: {e}"
        raise
    finally:
        executor.close(cancel=True)
        elapsed = time.perf_counter() - t0
        if designs is not None:
            sd.write_designs(designs)
            sd.manifest["result"] = summary
        status = "complete" if designs is not None else ("failed" if error else "interrupted")
        sd.close_session(status, {"runs": loop.done, "ok": loop.done - loop.failed, "failed": loop.failed,
                           "designs": int(len(designs)) if designs is not None else None},
                  {"runs": loop.new, "elapsed_s": round(elapsed, 2)}, error)
    return SearchResult(sd.path, plan.study_id, loop.done, loop.failed, loop.new, elapsed,
                        loop.interrupted, sd.resumed, designs, summary)


def _search(plan: SearchPlan, loop: _Runs, lp: _LoopPlan) -> tuple[pd.DataFrame, dict]:
    """The generations, then the re-evaluation; returns the designs table and the summary."""
    import optuna
    from optuna.samplers import NSGAIISampler

    s, space = plan.spec, plan.space
    pop, gens, reps, final = (s.search.population, s.search.generations, s.replications,
                              s.search.final_replications)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = NSGAIISampler(population_size=pop, seed=SAMPLER_SEED + s.base_seed)
    study = optuna.create_study(directions=["maximize" if g == "max" else "minimize"
                                            for g in plan.goals.values()], sampler=sampler)
    dists = space.distributions()
    start = space.start_params(plan.scenario) if s.search.start_in_search else None
    if start is not None:  # NSGA-II then breeds from the scheme as written too
        study.enqueue_trial(start)
    lp.total = pop * gens * reps + final + min(s.search.reevaluate, pop * gens) * (final - reps)
    records: list[dict] = []
    for g in range(gens):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            trials = [study.ask(dists) for _ in range(pop)]
        batch = [(t, t.number + 1, space.sets(t.params)) for t in trials]
        for _, d, sets in batch:
            _register(plan, lp, loop.rows, d, sets, range(final))
        loop.evaluate([plan.run_id(d, r) for r in range(reps) for _, d, _ in batch])
        for t, d, sets in batch:
            summ = _summary(plan, loop.rows, d, reps)
            rec = {"design": d, "origin": "search", "generation": g, **dict(sets), **summ}
            values = [summ[k] for k in plan.goals]
            if any(not math.isfinite(v) for v in [*values, *plan.violations(summ)]):
                study.tell(t, state=optuna.trial.TrialState.FAIL)
            else:
                for i, v in enumerate(plan.violations(summ)):  # feasible where <= 0
                    t.set_constraint(f"c{i}", v)
                study.tell(t, values)
            records.append(rec)
    searched = pd.DataFrame(records)
    searched["feasible"] = feasible(plan, searched)
    loss = pareto.losses(searched, plan.goals)
    searched["search_pareto"] = pareto.pareto_mask(loss, searched["feasible"].to_numpy())
    hv = pareto.hypervolume_history(loss, searched["generation"].to_numpy(), searched["feasible"].to_numpy())
    chosen = [int(searched["design"].iloc[i]) for i in
              pareto.leading(loss, searched["feasible"].to_numpy(), s.search.reevaluate)]
    _register(plan, lp, loop.rows, 0, (), range(final))
    lp.total = loop.done + sum(1 for d in [0, *chosen] for r in range(final)
                               if plan.run_id(d, r) not in loop.rows)
    loop.evaluate([plan.run_id(d, r) for r in range(final) for d in [0, *chosen]])
    return front_table(plan, loop.rows, searched, chosen, hv)


def _register(plan: SearchPlan, lp: _LoopPlan, rows: dict, design: int, sets: tuple, reps) -> None:
    """Makes a design's runs known to the loop; a stored run must have the design's values."""
    for r in reps:
        run_id = plan.run_id(design, r)
        lp.tasks[run_id] = Task(run_id, plan.label, design, r, plan.spec.base_seed + r, sets)
        stored = rows.get(run_id)
        if stored is not None and any(not _same(stored.get(p), v) for p, v in sets):
            raise StudyError(f"run {run_id} (design {design}) was stored with other parameter values than "
                             "the search asks now (another optuna or simpolicy version?); start the search "
                             "again with --force or another --out")


def _same(a, b) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return str(a) == str(b)


def _summary(plan: SearchPlan, rows: dict, design: int, n: int) -> dict:
    runs = runs_of(plan, rows, design, n)
    return pareto.summarise(runs, plan.measures(runs))
