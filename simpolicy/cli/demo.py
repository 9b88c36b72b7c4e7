"""``simpolicy demo``: the README's main command, in about a minute on two cores.

It asks the Danish proposal's question twice: what does each national scheme achieve at
home (against its own counterfactual), and what would each do on Denmark's population over
Denmark's horizon, where they compare on equal terms. Both results folders go into one
report.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from simpolicy.cli import flags

# The eight in-depth cases of the brief plus the Danish proposal; --all adds the others.
SCHEMES = ("norway", "sweden", "finland", "flanders", "austria", "estonia", "spain", "lithuania",
           "denmark_copi_proposal")
MORE = ("estonia_2023", "netherlands", "uk_sbri")
POPULATION = "denmark_baseline"
DEFAULT_REPS = 8  # about a minute on 2 idle cores: 12.5 CPU s per replication (docs/report.md)


def register(sub) -> None:
    p = sub.add_parser("demo", help="compare the bundled schemes at home and on Denmark's population, "
                                    "and write the report",
                       description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("--reps", type=flags.reps, default=DEFAULT_REPS,
                   help=f"replications per scheme (default {DEFAULT_REPS}: about a minute on 2 cores)")
    p.add_argument("--workers", type=flags.workers, default=None, help="local processes (default: all cores)")
    p.add_argument("--seed", type=flags.seed, default=0, help="first seed")
    p.add_argument("--out", default="results/demo", help="folder for both results and the report")
    p.add_argument("--all", action="store_true",
                   help=f"also {', '.join(MORE)} (slower: large populations)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field in every scenario, e.g. horizon_years=2 (for quick checks)")
    p.set_defaults(func=cmd_demo)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_demo(args) -> int:
    from simpolicy.analysis.reading import one_line
    from simpolicy.cli.failures import print_failures
    from simpolicy.experiments.compare import compare_scenarios
    from simpolicy.experiments.executors import default_workers
    from simpolicy.report import build_report
    from simpolicy.scenario.loader import load_scenario

    if args.reps < 2:
        _say("simpolicy demo: error: --reps must be at least 2 (intervals need replications)")
        return 2
    t0 = time.perf_counter()
    names = SCHEMES + (MORE if args.all else ())
    workers = args.workers or default_workers()
    out = Path(args.out)
    command = " ".join(sys.argv)
    home = {n: load_scenario(n, args.set) for n in names}
    dk = load_scenario(POPULATION, args.set)
    # Denmark's horizon for everyone: equal terms means the same buyers AND the same years.
    mine = [s for s in args.set if s.split("=", 1)[0].strip() != "horizon_years"]  # checked above
    abroad = {f"{n}@{dk.name}": load_scenario(n, [*mine, f"horizon_years={dk.horizon_years}"])
              .on_population(dk) for n in names}
    _say(f"simpolicy demo: {len(names)} schemes x {args.reps} replications, twice (at home; on "
         f"{dk.name}'s population), on {workers} worker(s)")
    folders, failed, answers = [], 0, []
    for step, (label, scenarios, pop) in enumerate(
            [("each scheme on its own population", home, None),
             (f"every scheme on {dk.name}'s population", abroad, dk.name)], start=1):
        t = time.perf_counter()
        _say(f"[{step}/3] {label} ...")
        cmp = compare_scenarios(scenarios, args.reps, args.seed, workers, population=pop,
                                command=command)
        folder = cmp.save(out / ("home" if pop is None else pop), force=True)  # the demo's own
        folders.append(folder)
        failed += cmp.failed
        print_failures(cmp.runs)  # why, as run and compare say it (before: "see the folders")
        answers.append(one_line(cmp.decision("additional_adopters"), pop))
        _say(f"      {len(cmp.runs)} runs in {time.perf_counter() - t:.0f} s -> {folder}")
    _say("[3/3] report ...")
    rep = build_report(folders, out / "report.html")
    elapsed = time.perf_counter() - t0
    size = rep.html.stat().st_size / 1e6
    print(f"""
Demo done in {elapsed:.0f} s ({workers} worker(s), {args.reps} replications per scheme).
  results:   {', '.join(str(f) for f in folders)}
  report:    {rep.html} ({size:.1f} MB, {len(rep.figures)} figures; opens offline)
             open it with: xdg-open {rep.html}   (or drag it into any browser)
  tables:    {len(rep.csvs)} CSV files next to the report ({out}/report-*.csv)
  dashboard: make dashboard   (or .venv/bin/simpolicy dashboard --results {out})
             then open http://127.0.0.1:8050/studies (both parts are listed there)
  rerun one part yourself: .venv/bin/simpolicy compare flanders austria --reps 10
""".rstrip())
    print(f"\nThe answer on equal terms: {answers[-1]}")
    if failed:
        _say(f"simpolicy demo: {failed} run(s) failed (reasons above; each run's error is in the "
             "results folders)")
        return 1
    return 0
