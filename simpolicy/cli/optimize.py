"""``simpolicy optimize SPEC``: search a design space for the best designs (parse, call, render).

Exit codes as for ``sweep``: 0 done, 1 some runs failed (or the search could not run),
2 bad spec or a resume that does not match, 130 interrupted (resume with ``--resume``).
"""

from __future__ import annotations

import math
import shlex
import signal
import sys

from simpolicy.cli import flags
from simpolicy.cli.render import fmt, to_json
from simpolicy.experiments.studydir import StudyError


def register(sub) -> None:
    p = sub.add_parser("optimize", help="multi-objective design search (NSGA-II), resumable, local or Dask",
                       description="Searches the design space of an optimisation spec "
                                   "(scenarios/optimize/*.yaml) and writes a study whose designs carry "
                                   "their objectives with intervals and a pareto flag.")
    p.add_argument("spec", help="optimisation spec file (YAML)")
    p.add_argument("--workers", type=flags.workers, default=None, help="local processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--out", help="study folder (default results/<study-id>)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted search")
    again.add_argument("--force", action="store_true",
                       help="start anew, replacing a previous result in the folder")
    p.add_argument("--batch-size", type=flags.batch, default=None,
                   help="runs per batch (default: sized to about 2 s of work)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_optimize)


def _terminate_as_interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_optimize(args) -> int:
    from simpolicy.experiments.optimize import plan_search, run_search

    plan = plan_search(args.spec)
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    bar = _Bar() if sys.stderr.isatty() and not args.json else None
    try:
        result = run_search(plan, args.out, workers=args.workers, scheduler=args.scheduler,
                            resume=args.resume, force=args.force, batch_size=args.batch_size,
                            progress=bar.update if bar else None,
                            notify=lambda m: print(m, file=sys.stderr),
                            command=shlex.join(["simpolicy", "optimize", *sys.argv[2:]]))
    except StudyError as e:
        print(f"simpolicy: error: {e}", file=sys.stderr)
        return e.code
    finally:
        if bar:
            bar.close()
    print(to_json(summary(result, plan)) if args.json else render(result, plan))
    if result.interrupted:
        again = ["simpolicy", "optimize", args.spec, "--resume"] + (["--out", args.out] if args.out else [])
        print(f"interrupted after {result.runs} runs; resume with:\n  {shlex.join(again)}", file=sys.stderr)
        return 130
    if result.failed:
        print(f"{result.failed} of {result.runs} runs failed (status 'failed', see the 'error' column)",
              file=sys.stderr)
        return 1
    return 0


def _front(result, plan) -> list[dict]:
    d = result.designs
    if d is None:
        return []
    rows = []
    for _, r in d[d["reevaluated"]].iterrows():
        item = {"design": int(r["design"]), "origin": r["origin"], "pareto": bool(r["pareto"]),
                "feasible": bool(r["feasible"]), "dominates_start": bool(r["dominates_start"]),
                "beats_start": bool(r["beats_start"]),
                "objectives": {k: {"mean": r[k], "ci_low": r[f"{k}_ci_low"], "ci_high": r[f"{k}_ci_high"]}
                               for k in plan.goals},
                "parameters": {p: r[p] for p in plan.space.columns}}
        rows.append(item)
    return rows


def summary(result, plan) -> dict:
    """The ``--json`` answer: where the study is, the front with intervals, stability."""
    s = result.summary or {}
    return {"study_id": result.study_id, "path": str(result.path), "runs": result.runs,
            "failed": result.failed, "new_runs": result.new_runs, "elapsed_s": round(result.elapsed_s, 2),
            "interrupted": result.interrupted, "complete": result.complete,
            "hypervolume": s.get("hypervolume"), "hypervolume_change_last": s.get("hypervolume_change_last"),
            "stable": s.get("stable"), "dominating_start": s.get("dominating_start"),
            "beating_start": s.get("beating_start"),
            **{k: s.get(k) for k in ("effect", "cost", "clearly_more_effect_no_more_cost",
                                     "clearly_less_cost_no_less_effect",
                                     "dominating_start_on_effect_and_cost")},
            "designs": _front(result, plan)}


def render(result, plan) -> str:
    """The end-of-search text: counts, the front with 90 % CIs, stability, where it is."""
    rate = result.new_runs / result.elapsed_s if result.elapsed_s > 0 else 0.0
    lines = [f"search {result.study_id}: {result.runs} runs ({result.failed} failed)"
             + (" after resuming" if result.resumed else ""),
             f"this session: {result.new_runs} runs in {result.elapsed_s:.1f} s ({rate:.1f} runs/s)",
             f"results: {result.path}"]
    if not result.complete:
        return "\n".join(lines)
    s = result.summary
    heads = list(plan.goals)
    lines.append(f"\nfront after re-evaluation ({plan.spec.search.final_replications} replications; "
                 "mean [90 % CI of the mean]):")
    for item in _front(result, plan):
        if not (item["pareto"] or item["origin"] == "start"):
            continue
        cells = ", ".join(f"{k} {fmt(v['mean'])} [{fmt(v['ci_low'])}, {fmt(v['ci_high'])}]"
                          for k, v in item["objectives"].items() if k in heads)
        tag = "start (as written)" if item["origin"] == "start" else f"design {item['design']}"
        flags_ = [x for x, on in (("dominates the start", item["dominates_start"]),
                                  ("clearly better than the start", item["beats_start"]),
                                  ("infeasible", not item["feasible"])) if on]
        lines.append(f"  {tag}: {cells}" + (f"  ({'; '.join(flags_)})" if flags_ else ""))
    lines += _verdict(s)
    change = s.get("hypervolume_change_last")
    lines.append("hypervolume change over the last generation: "
                 + ("n/a (one generation)" if change is None or not math.isfinite(change)
                    else f"{100 * change:.2f} % ({'stable' if s.get('stable') else 'still moving'})"))
    lines.append(f"report: simpolicy report {result.path}")
    return "\n".join(lines)


def _verdict(s: dict) -> list[str]:
    """The designs that beat the scheme as written, by the summary's lists (paired intervals)."""
    def ids(key: str) -> str:
        return ", ".join(f"design {d}" for d in s.get(key) or []) or "none"

    out = ["against the scheme as written (paired seed by seed, 90 % CIs):"]
    e, c = s.get("effect"), s.get("cost")
    if e and c:
        out += [f"  clearly more {e} at no more {c}: {ids('clearly_more_effect_no_more_cost')}",
                f"  clearly less {c} at no less {e}: {ids('clearly_less_cost_no_less_effect')}",
                f"  dominating on these two (means): {ids('dominating_start_on_effect_and_cost')}"]
    out += [f"  dominating on every objective (means): {ids('dominating_start')}",
            f"  clearly better on one objective, clearly worse on none: {ids('beating_start')}"]
    return out


class _Bar:
    """Runs done of the planned total (which the re-evaluation stage fixes), on stderr."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self.task = None

    def update(self, done: int, total: int, failed: int) -> None:
        if self.task is None:  # started after the workers exist (no thread at fork)
            self.progress.start()
            self.task = self.progress.add_task("search", total=total, completed=done, failed="")
        self.progress.update(self.task, total=max(total, done), completed=done,
                             failed=f"{failed} failed" if failed else "")

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()
