"""``simpolicy run`` and ``simpolicy compare``: replications with intervals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simpolicy.analysis.reading import one_line
from simpolicy.cli import flags
from simpolicy.cli.failures import failures, print_failures
from simpolicy.cli.render import decision_text, fmt, interval_cells, runs_note, table, to_json
from simpolicy.results.claim import claim, release
from simpolicy.scenario.loader import load_scenario

if TYPE_CHECKING:
    from simpolicy.experiments.compare import Comparison


COUNTS = ("projects_funded", "projects_started", "adopters", "followers", "additional_adoptions",
          "buyers_innovating", "solutions_scaled")


def _common(p, reps: int) -> None:
    p.add_argument("--seed", type=flags.seed, default=0,
                   help="first seed (replications use seed..seed+R-1)")
    p.add_argument("--reps", type=flags.reps, default=reps, help="replications")
    p.add_argument("--years", type=flags.years, help="override the horizon in years")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override any scenario field, e.g. behaviour.risk_aversion=2")
    p.add_argument("--workers", type=flags.workers, default=None, help="local processes (default: cores)")
    p.add_argument("--out", help="results folder (default results/<id>)")
    p.add_argument("--force", action="store_true",
                   help="write into an --out folder that holds something, replacing a previous result")
    p.add_argument("--no-save", action="store_true", help="do not write results")
    p.add_argument("--json", action="store_true")


def register(sub) -> None:
    p = sub.add_parser("run", help="replications of one scenario")
    p.add_argument("scenario", help="bundled name or path")
    _common(p, 10)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("compare", help="schemes against their counterfactuals")
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--population", help="put every scheme on this scenario's population "
                   "(and over one horizon: the longest of the schemes, or --years)")
    p.add_argument("--sort", default="additional_adopters",
                   choices=["additional_adopters", "scaling", "spread", "public_money",
                            "cost_per_adopter"],
                   help="rank the decision table by this outcome (default: additional adopters)")
    _common(p, 10)
    p.set_defaults(func=cmd_compare)


def _known(name: str) -> str:
    """A scenario name as given, or an error naming the bundled one it misspells.

    'flandres' gets "did you mean 'flanders'?" in one line (exit 2), instead of a list of
    the thirteen bundled names to scan.
    """
    import difflib

    from simpolicy.scenario.errors import InputError, Problem
    from simpolicy.scenario.loader import bundled_names

    bundled = bundled_names()
    if name in bundled or Path(name).suffix in (".yaml", ".yml") or Path(name).exists():
        return name
    close = difflib.get_close_matches(name, bundled, n=1, cutoff=0.6)
    if close:
        raise InputError([Problem(name, 0, "", f"no such scenario; did you mean '{close[0]}'?")])
    return name  # the loader says what is bundled


def _load(names, args, population=None):
    names = [_known(n) for n in names]
    population = _known(population) if population else None
    sets = list(args.set)
    if args.years is not None:
        _one_horizon(sets)
        sets.append(f"horizon_years={args.years}")
    pop = load_scenario(population, sets) if population else None
    out = {}
    for n in names:
        sc = load_scenario(n, sets)
        out[sc.name if not pop else f"{sc.name}@{pop.name}"] = sc.on_population(pop) if pop \
            else sc
    if pop:  # one population, one horizon: otherwise totals (and seeds) do not compare
        from simpolicy.experiments.compare import equal_horizon

        out = equal_horizon(out, args.years)
    return out


def _one_horizon(sets: list[str]) -> None:
    """``--years`` and ``--set horizon_years=...`` together: one of them would be ignored
    (``--years`` won silently, so ``--set horizon_years=abc`` even passed as valid)."""
    from simpolicy.scenario.errors import ArgumentProblem, InputError

    for item in sets:
        if item.split("=", 1)[0].strip() == "horizon_years":
            raise InputError([ArgumentProblem(f"--set {item}", 0, "horizon_years",
                                              "--years sets the horizon too; give one of them")])


def _run(args, names, population=None) -> Comparison:
    from simpolicy.experiments.compare import compare_scenarios
    from simpolicy.experiments.executors import default_workers

    if args.reps < 1:  # bad input: exit 2, like every other bad argument
        print("simpolicy: error: --reps must be at least 1", file=sys.stderr)
        raise SystemExit(2)
    scenarios = _load(names, args, population)
    workers = args.workers or min(default_workers(), max(1, args.reps * len(scenarios) // 4))
    # --out is claimed before any run, so a folder that holds something costs no simulation
    out = claim(Path(args.out), args.force) if args.out and not args.no_save else None
    try:
        cmp = compare_scenarios(scenarios, args.reps, args.seed, workers, population=population,
                                command=" ".join(sys.argv))
    except BaseException:
        if out is not None:
            release(out)
        raise
    if not args.no_save:
        where = cmp.save(out, claimed=out is not None)
        print(f"results: {where}", file=sys.stderr)
    print_failures(cmp.runs)  # why, not only how many: the reason is what a user can fix
    return cmp


def cmd_run(args) -> int:
    from simpolicy.outcomes import OUTCOMES

    cmp = _run(args, [args.scenario])
    label = next(iter(cmp.scenarios))
    s = cmp.scenarios[label]
    if args.json:
        print(to_json({"scenario": label, "reps": args.reps, "seed": args.seed,
                       "outcomes": s["outcomes"], "difference": s["difference"],
                       "failed": cmp.failed, "errors": failures(cmp.runs)}))
        return 1 if cmp.failed else 0
    print(f"{label}: {args.reps} replications, seeds {args.seed}..{args.seed + args.reps - 1}; "
          "mean and 90 % interval over replications; difference to the counterfactual "
          "(same population, no scheme, same seeds)\n")
    rows = []
    for k in OUTCOMES + tuple(x for x in s["outcomes"] if x.startswith("applications_")):
        rows.append([k, *interval_cells(s["outcomes"][k], args.reps),
                     *interval_cells(s["difference"].get(k, {"mean": None, "p05": None,
                                                               "p95": None}), args.reps)])
    print(table(["outcome", "mean", "90% interval", "vs no scheme", "90% interval"], rows))
    print(f"\nIn one line: {one_line(cmp.decision('additional_adopters'))}", file=sys.stderr)
    return 1 if cmp.failed else 0


def cmd_compare(args) -> int:
    from simpolicy.outcomes import OUTCOMES

    cmp = _run(args, args.scenarios, args.population)
    decision = cmp.decision(args.sort)
    if args.json:
        print(to_json({"population": args.population, "reps": args.reps, "seed": args.seed,
                       "decision": decision.to_dict(), "scenarios": cmp.scenarios,
                       "failed": cmp.failed, "errors": failures(cmp.runs)}))
        return 1 if cmp.failed else 0
    labels = list(cmp.scenarios)
    where = f"on {args.population}'s population" if args.population else "each on its own population"
    print(f"{len(labels)} schemes {where}, {args.reps} replications with common random numbers.\n")
    print("Decision table")
    print(decision_text(decision) + "\n")
    print("Every outcome")
    print(f"Horizon {decision.horizon}. Cells: mean [90 % of runs]; 'Δ' rows are the difference "
          "to the counterfactual.\n")
    rows = []
    for k in OUTCOMES:
        rows.append([k, *[_cell(cmp.scenarios[n]["outcomes"][k], args.reps) for n in labels]])
        if k in COUNTS or k in ("programme_spend_eur",):
            rows.append([f"  Δ {k}", *[_cell(cmp.scenarios[n]["difference"][k], args.reps)
                                        for n in labels]])
        if not args.population and k in COUNTS:
            rows.append(["  per 100 buyers", *[_cell(cmp.scenarios[n]["per_100_buyers"][k], args.reps)
                                                 for n in labels]])
    print(table(["outcome", *labels], rows))
    print(f"\nIn one line: {one_line(decision, args.population)}", file=sys.stderr)
    return 1 if cmp.failed else 0


def _cell(iv: dict, reps: int) -> str:
    return f"{fmt(iv['mean'])} [{fmt(iv['p05'])}, {fmt(iv['p95'])}]{runs_note(iv, reps)}"
