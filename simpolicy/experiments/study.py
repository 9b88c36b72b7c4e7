"""Running a study: scenarios x design points x replications, streamed to the results store.

Every run is a task with a fixed id and seed. With common random numbers (the default)
replication r of every point uses seed ``base_seed + r``, so differences between design
points are not noise; each run also carries its counterfactual (same seed, no scheme).
Tasks go to an executor in batches; each finished batch is written at once as one Parquet
part (temporary name, flush, rename) and forgotten, so memory does not grow with the study.
``resume`` skips run ids already stored and refuses a spec or scenarios that changed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from simpolicy.experiments import design as designs
from simpolicy.experiments.batches import Batch, BatchSizer, Task, run_batch
from simpolicy.experiments.executors import make_executor
from simpolicy.experiments.spec import SweepSpec, base_scenarios, check, load_spec_and_scenarios
from simpolicy.experiments.studydir import StudyDir, scenarios_digest, study_digest
from simpolicy.outcomes import EXTRA, OUTCOMES
from simpolicy.results import store
from simpolicy.scenario.loader import with_sets
from simpolicy.scenario.schema import Scenario


@dataclass
class Plan:
    """What a study will run: its scenarios, design, run ids and the columns of its rows."""

    spec: SweepSpec
    spec_file: str
    scenarios: dict[str, Scenario]
    table: designs.DesignTable
    spec_hash: str
    scenarios_hash: str
    outcomes: list[str] = field(default_factory=list)

    @property
    def study_hash(self) -> str:
        return study_digest(self.spec_hash, self.scenarios_hash)

    @property
    def study_id(self) -> str:
        return f"{self.spec.name}-{self.study_hash[:8]}"

    @property
    def labels(self) -> list[str]:
        return list(self.scenarios)

    @property
    def total(self) -> int:
        return len(self.scenarios) * len(self.table) * self.spec.replications

    def execution_order(self):
        """Run ids replication by replication: every design point of a seed one after another.

        With common random numbers the points of one replication share a seed, hence a
        counterfactual, which ``simulate`` memoises in the worker: a batch that holds several
        points of one seed runs that counterfactual once. The order changes no result (each
        run is a function of its task; the store returns rows sorted by run id).
        """
        reps, points = self.spec.replications, len(self.table)
        for s in range(len(self.scenarios)):
            for r in range(reps):
                for p in range(points):
                    yield (s * points + p) * reps + r

    def task(self, run_id: int) -> Task:
        """Run ids enumerate scenario, then point, then replication."""
        reps, points = self.spec.replications, len(self.table)
        sp, r = divmod(run_id, reps)
        s, p = divmod(sp, points)
        seed = self.spec.base_seed + (r if self.spec.common_random_numbers else run_id)
        return Task(run_id, self.labels[s], p, r, seed, self.table.sets(p))

    def outcome_columns(self) -> list[str]:
        return self.outcomes or outcome_columns(self.scenarios, probe=False)

    def param_types(self) -> dict:
        names = self.table.names
        return {n: store.arrow_type(v[i] for v in self.table.values) for i, n in enumerate(names)}

    def schema(self):
        import pyarrow as pa

        ids = [("study_id", pa.string()), ("run_id", pa.int64()), ("scenario", pa.string()),
               ("point", pa.int64()), ("replication", pa.int64()), ("seed", pa.int64())]
        return store.run_schema(ids, list(self.param_types().items()), self.outcome_columns())

    def timeseries_schema(self):
        import pyarrow as pa

        return pa.schema([("run_id", pa.int64()), ("scenario", pa.string()), ("point", pa.int64()),
                          ("replication", pa.int64()), ("seed", pa.int64()), ("month", pa.int64()),
                          *((c, pa.float64()) for c in self.spec.timeseries)])


def outcome_columns(scenarios: dict[str, Scenario], probe: bool = True, seed: int = 0) -> list[str]:
    """The outcome columns of a study's rows: contract outcomes first, then the rest, sorted.

    Some outcomes exist per instrument (``applications_<id>``...), so the set depends on the
    scenarios; a one-month run of each finds it, so every part gets the same columns
    whatever the batch (a part of failed runs included).
    """
    plain = [*OUTCOMES, *EXTRA]
    keys = {f"applications_{i.id}" for sc in scenarios.values() for i in sc.scheme.instruments}
    cf_keys: set[str] = set()
    if probe:
        from simpolicy.core import simulate

        for sc in scenarios.values():
            try:
                res = simulate(with_sets(sc, {"horizon_years": 1 / 12}), seed)
            except Exception:  # the study will record the failure run by run
                continue
            keys |= set(res.summary)
            cf_keys |= set(res.counterfactual)
    extra = sorted(keys - set(plain))
    cf_extra = sorted(cf_keys - set(plain))
    return [*plain, *extra, *(f"cf_{o}" for o in plain), *(f"cf_{o}" for o in cf_extra)]


def plan_study(spec_path: str | Path) -> Plan:
    """Loads and checks a spec and fixes everything a run needs (raises InputError)."""
    spec, scenarios = load_spec_and_scenarios(spec_path)
    return _plan(spec, str(spec_path), scenarios)


def plan_from_spec(spec: SweepSpec, spec_file: str = "<spec>") -> Plan:
    """A plan for a spec built in code (checked as a file would be)."""
    check(spec, spec_file)
    return _plan(spec, spec_file, base_scenarios(spec, spec_file))


def _plan(spec: SweepSpec, spec_file: str, scenarios: dict[str, Scenario]) -> Plan:
    return Plan(spec, spec_file, scenarios, designs.build(spec), spec.digest(),
                scenarios_digest(scenarios), outcome_columns(scenarios, seed=spec.base_seed))


@dataclass
class StudyResult:
    """What a study run did, for the command line to report."""

    path: Path
    study_id: str
    total: int
    done: int
    failed: int
    new_runs: int
    elapsed_s: float
    interrupted: bool = False
    resumed: bool = False
    sensitivity: object = None
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.done >= self.total


def run_study(plan: Plan, out: str | Path | None = None, *, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, batch_size: int | None = None,
              progress: Callable[[int, int, int], None] | None = None,
              notify: Callable[[str], None] | None = None, command: str = "",
              force: bool = False) -> StudyResult:
    """Runs (or resumes) a study; rows stream to ``out`` (default ``results/<study-id>``);
    ``force`` replaces what that folder holds (see ``StudyDir.open``).

    Ctrl-C (KeyboardInterrupt) stops cleanly: batches already running are finished and
    written, the manifest says ``interrupted`` and the result has ``interrupted`` set.
    """
    notify = notify or (lambda msg: print(msg, file=sys.stderr))
    # The executor first: an unreachable cluster leaves no study folder behind.
    n = min(workers or os.cpu_count() or 1, max(1, plan.total))
    executor = make_executor(n, scheduler, ("simpolicy.experiments.batches",))
    try:
        sd = StudyDir.open(plan, out, resume, notify, force)
    except BaseException:
        executor.close(cancel=True)
        raise
    done_ids, failed = sd.reconcile(notify)
    todo = plan.total - len(done_ids)
    pending = (i for i in plan.execution_order() if i not in done_ids)
    loop = _Loop(plan, sd, pending, todo, progress)
    loop.done, loop.failed = len(done_ids), failed
    t0 = time.perf_counter()
    error = None
    try:
        if todo:
            loop.executor = executor
            loop.sizer = BatchSizer(executor.capacity, batch_size)
        else:
            executor.close()
        sd.start_session(loop.executor.name if loop.executor else "none",
                         loop.executor.capacity if loop.executor else 0, command)
        if progress:
            progress(loop.done, plan.total, loop.failed)
        loop.run()
    except KeyboardInterrupt:
        loop.interrupted = True
        notify("stopping: finishing the runs in progress (press Ctrl-C again to drop them)")
        loop.drain()
    except BaseException as e:
        error = f"{type(e).__name__}: {e}"
        raise
    finally:
        if loop.executor is not None:
            loop.executor.close(cancel=True)
        result = StudyResult(sd.path, plan.study_id, plan.total, loop.done, loop.failed, loop.new,
                             time.perf_counter() - t0, loop.interrupted, sd.resumed, notes=loop.notes)
        if result.complete and plan.spec.design in ("sobol", "morris") and error is None:
            from simpolicy.experiments.sensitivity import analyse_study

            result.sensitivity, sens_notes = analyse_study(plan, sd.path)
            result.notes += sens_notes
        if "sessions" in sd.manifest and sd.manifest["sessions"]:
            sd.finish(result, error)
    return result


class _Loop:
    """The submit-collect-write loop, kept apart so Ctrl-C can drain what is in flight."""

    def __init__(self, plan, sd, pending, todo, progress):
        self.plan, self.sd, self.pending = plan, sd, pending
        self.remaining, self.progress = todo, progress
        self.executor = None
        self.sizer = BatchSizer(1)
        self.interrupted = False
        self.schema, self.ts_schema = plan.schema(), plan.timeseries_schema()
        self.str_params = [n for n, t in plan.param_types().items() if str(t) == "string"]
        self.known = set(self.schema.names)
        self.in_flight: dict = {}  # future -> index of its batch
        self.done = self.failed = self.new = 0
        self.notes: list[str] = []

    def _next_batch(self) -> Batch | None:
        size = self.sizer.size(self.remaining)
        tasks = []
        for run_id in self.pending:
            tasks.append(self.plan.task(run_id))
            if len(tasks) >= size:
                break
        if not tasks:
            return None
        self.remaining -= len(tasks)
        labels = {t.label for t in tasks}
        return Batch(tasks[0].run_id, self.plan.study_id,
                     {k: v for k, v in self.plan.scenarios.items() if k in labels},
                     tuple(tasks), tuple(self.plan.spec.timeseries))

    def _fill(self) -> None:
        while len(self.in_flight) < 2 * self.executor.capacity:
            batch = self._next_batch()
            if batch is None:
                return
            self.in_flight[self.executor.submit(run_batch, batch)] = batch.index

    def run(self) -> None:
        if self.executor is None:
            return
        self._fill()
        while self.in_flight:
            done, _ = self.executor.wait_first(set(self.in_flight))
            for fut in done:
                self._write(self.in_flight.pop(fut), fut.result())
            self._fill()

    def drain(self) -> None:
        """After Ctrl-C: keep what finishes of the batches already running, start nothing."""
        if self.executor is None:
            return
        try:
            for fut in list(self.in_flight):
                if fut.cancel():
                    del self.in_flight[fut]
            if hasattr(self.executor, "cancel"):  # Dask: running tasks cannot be waited for cheaply
                self.executor.cancel(list(self.in_flight))
                self.in_flight.clear()
            while self.in_flight:
                done, _ = self.executor.wait_first(set(self.in_flight))
                for fut in done:
                    index = self.in_flight.pop(fut)
                    if not fut.cancelled() and fut.exception() is None:
                        self._write(index, fut.result())
        except KeyboardInterrupt:
            self.executor.terminate()
            self.in_flight.clear()

    def _write(self, index: int, result: dict) -> None:
        rows = result["rows"]
        for r in rows:
            for n in self.str_params:
                r[n] = str(r[n])
            extra = set(r) - self.known
            if extra:
                note = f"outcomes not in the results schema were not stored: {sorted(extra)}"
                if note not in self.notes:
                    self.notes.append(note)
        if result["timeseries"]:  # first: a rows part is the mark that its runs are done
            import pandas as pd
            import pyarrow as pa

            ts = pd.concat(result["timeseries"], ignore_index=True)
            table = pa.Table.from_pandas(ts, schema=self.ts_schema, preserve_index=False, safe=False)
            store.add_entry(self.sd.manifest, "timeseries",
                            store.write_listed(self.sd.path, "timeseries", index, table))
        store.add_entry(self.sd.manifest, "parts",
                        store.write_rows(self.sd.path, "parts", index, rows, self.schema))
        self.sd.write()  # the manifest lists the part: a part it does not list is never read
        self.sizer.observe(rows)
        self.done += len(rows)
        self.new += len(rows)
        self.failed += sum(1 for r in rows if r.get("status") != "ok")
        if self.progress:
            self.progress(self.done, self.plan.total, self.failed)


def run_spec_file(spec_path: str | Path, **kwargs) -> StudyResult:
    """Convenience for scripts and tests: load, plan and run a spec file."""
    return run_study(plan_study(spec_path), **kwargs)
