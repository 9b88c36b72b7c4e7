"""``simpolicy sweep SPEC``: run or resume a study (parse, call the library, render).

The progress bar (runs done, runs/s, ETA) appears only when stderr is a terminal, so logs
of batch jobs stay clean. Exit codes: 0 every run ok, 1 some runs failed (or the study
could not run), 2 bad spec or a resume that does not match, 130 interrupted.
"""

from __future__ import annotations

import shlex
import signal
import sys

from simpolicy.cli import flags
from simpolicy.cli.render import fmt, to_json
from simpolicy.experiments.study import plan_study, run_study
from simpolicy.experiments.studydir import StudyError


def register(sub) -> None:
    p = sub.add_parser("sweep", help="a study: design x replications, resumable, local or Dask",
                       description="Runs a sweep spec (scenarios/sweeps/*.yaml) and streams one row "
                                   "per run to results/<study-id>/parts/*.parquet.")
    p.add_argument("spec", help="sweep spec file (YAML)")
    p.add_argument("--workers", type=flags.workers, default=None, help="local processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://host:8786 (see docs/studies.md)")
    p.add_argument("--out", help="study folder (default results/<study-id>)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="finish an interrupted study")
    again.add_argument("--force", action="store_true",
                       help="start anew in a folder that holds something, replacing a previous result "
                            "(other files are left alone)")
    p.add_argument("--batch-size", type=flags.batch, default=None,
                   help="runs per batch (default: sized to about 2 s of work)")
    p.add_argument("--top", type=int, default=3, help="influential parameters shown per outcome")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_sweep)


def _terminate_as_interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_sweep(args) -> int:
    for flag, value in (("--workers", args.workers), ("--batch-size", args.batch_size)):
        if value is not None and value < 1:
            print(f"simpolicy: error: {flag} must be at least 1", file=sys.stderr)
            return 2
    plan = plan_study(args.spec)
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)  # a batch system's stop is a Ctrl-C
    # a parent that ignores SIGINT (a test runner, nohup) must not make Ctrl-C a no-op here
    signal.signal(signal.SIGINT, signal.default_int_handler)
    bar = _ProgressBar() if sys.stderr.isatty() and not args.json else None
    try:
        with bar or _nothing():
            result = run_study(plan, args.out, workers=args.workers, scheduler=args.scheduler,
                               resume=args.resume, force=args.force, batch_size=args.batch_size,
                               progress=bar.update if bar else None,
                               notify=lambda m: print(m, file=sys.stderr),
                               command=shlex.join(["simpolicy", "sweep", *sys.argv[2:]]))
    except StudyError as e:
        print(f"simpolicy: error: {e}", file=sys.stderr)
        return e.code
    errors = _errors(result) if result.failed else []
    if args.json:
        print(to_json({**_summary(result, args.top), "errors": errors}))
    else:
        print(render(result, args.top))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.interrupted:
        again = ["simpolicy", "sweep", args.spec, "--resume"] + (["--out", args.out] if args.out else [])
        print(f"interrupted after {result.done} of {result.total} runs; resume with:\n  {shlex.join(again)}",
              file=sys.stderr)
        return 130
    if result.failed:
        print(f"{result.failed} of {result.done} runs failed (status 'failed', see the 'error' column):",
              file=sys.stderr)
        for e in errors:
            print(f"  {e['runs']} run(s): {e['error'].splitlines()[0] if e['error'] else ''} "
                  f"({', '.join(e['scenarios'])}; seeds {', '.join(map(str, e['seeds']))})", file=sys.stderr)
        return 1
    return 0


def _errors(result) -> list[dict]:
    """Why runs failed, as ``run`` and ``compare`` say it: before, a sweep said only how many
    failed and pointed at the 'error' column of the parts."""
    from simpolicy.cli.failures import failures
    from simpolicy.results.store import iter_parts

    frames = [df[df["status"] != "ok"] for df in
              iter_parts(result.path, ["status", "error", "seed", "scenario"])]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return []
    import pandas as pd

    return failures(pd.concat(frames, ignore_index=True))


def render(result, top: int = 3) -> str:
    """The end-of-study text: counts, speed, where the results are, influential parameters."""
    rate = result.new_runs / result.elapsed_s if result.elapsed_s > 0 else 0.0
    lines = [f"study {result.study_id}: {result.done} of {result.total} runs "
             f"({result.done - result.failed} ok, {result.failed} failed)"
             + (" after resuming" if result.resumed else ""),
             f"this session: {result.new_runs} runs in {result.elapsed_s:.1f} s ({rate:.1f} runs/s)",
             f"results: {result.path}"]
    sens = result.sensitivity
    if sens is not None and not sens.empty:
        from simpolicy.experiments.sensitivity import RANK_BY, top_parameters

        method = str(sens["method"].iloc[0])
        rank = RANK_BY[method]
        lines.append(f"\nmost influential parameters per outcome ({method}, by {rank}; "
                     "95 % confidence half-width):")
        best = top_parameters(sens, top)
        for (label, outcome), g in best.groupby(["scenario", "outcome"], sort=False):
            cells = ", ".join(f"{p} {fmt(v)} ± {fmt(c)}" for p, v, c in
                              zip(g["parameter"], g["value"], g["conf"], strict=True))
            lines.append(f"  {outcome} [{label}]: {cells}")
    return "\n".join(lines)


def _summary(result, top: int) -> dict:
    from simpolicy.experiments.sensitivity import top_parameters

    out = {"study_id": result.study_id, "path": str(result.path), "runs": result.done,
           "planned": result.total, "failed": result.failed, "new_runs": result.new_runs,
           "elapsed_s": round(result.elapsed_s, 2), "interrupted": result.interrupted,
           "notes": result.notes}
    if result.sensitivity is not None:
        out["top_parameters"] = top_parameters(result.sensitivity, top)[
            ["scenario", "outcome", "parameter", "index", "value", "conf"]].to_dict("records")
    return out


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _ProgressBar:
    """A rich progress bar on stderr: runs done of total, failed, runs/s and ETA."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]} runs/s"), TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False)
        self.task = None
        self.start_done = None
        self.t0 = None

    def __enter__(self):
        return self  # started by the first update, after the workers exist (no thread at fork)

    def __exit__(self, *exc):
        if self.task is not None:
            self.progress.stop()
        return False

    def update(self, done: int, total: int, failed: int) -> None:
        import time

        now = time.perf_counter()
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("study", total=total, completed=done, rate="-", failed="")
            self.start_done, self.t0 = done, now
        rate = (done - self.start_done) / (now - self.t0) if now > self.t0 else 0.0
        self.progress.update(self.task, completed=done, rate=f"{rate:.1f}" if rate else "-",
                             failed=f"{failed} failed" if failed else "")
