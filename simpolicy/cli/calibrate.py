"""``simpolicy calibrate``: reproduce the observed patterns, or rerun the fitting search."""

from __future__ import annotations

import sys
from pathlib import Path

from simpolicy.cli import flags
from simpolicy.cli.render import fmt, table, to_json


def register(sub) -> None:
    p = sub.add_parser("calibrate", help="reproduce the observed patterns (P1-P14)")
    p.add_argument("--check", action="store_true", help="exit 1 when a pattern is out of band")
    p.add_argument("--reps", type=flags.reps, default=30, help="replications per pattern scenario")
    p.add_argument("--workers", type=flags.workers, default=None)
    p.add_argument("--only", help="comma-separated pattern ids, e.g. P1,P4")
    p.add_argument("--set", action="append", default=[], metavar="behaviour.NAME=VALUE",
                   help="try other behavioural parameters against the patterns")
    p.add_argument("--strict", action="store_true",
                   help="with --check, also exit 1 when an observed number lies outside the "
                        "model's 90 %% range over replications")
    p.add_argument("--json", action="store_true")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    p.add_argument("--fit", type=int, metavar="N", help="rerun the search with N candidates")
    p.add_argument("--fit-out", default="docs/calibration_search.csv")
    p.add_argument("--shrink", type=float, metavar="S",
                   help="with --fit, search around the current behaviour set, within S times "
                        "each parameter's range (a local search; default: the whole space)")
    p.add_argument("--margin", type=float, default=0.1, metavar="M",
                   help="with --fit, score against bands narrowed by M of their width on "
                        "each side, so that the chosen point holds with room to spare")
    p.add_argument("--seed", type=int, default=1, help="with --fit, the Latin hypercube's seed")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from simpolicy.calibration.patterns import check
    from simpolicy.experiments.executors import default_workers
    from simpolicy.scenario.loader import load_behaviour, parse_sets

    workers = args.workers or default_workers()
    if args.fit:
        from simpolicy.calibration.fit import fit

        around = load_behaviour().model_dump() if args.shrink else None
        best = fit(args.fit, args.reps, workers, Path(args.fit_out), seed=args.seed,
                   around=around, shrink=args.shrink or 1.0, strict=args.strict,
                   margin=args.margin, log=lambda m: print(m, file=sys.stderr))
        print(best.head(5).to_string())
        return 0
    only = args.only.split(",") if args.only else None
    parsed = parse_sets(args.set)
    sets = {k.removeprefix("behaviour."): v for k, v in parsed.items()}
    typed = {k.removeprefix("behaviour."): v for k, v in getattr(parsed, "typed", {}).items()}
    load_behaviour(sets, typed)  # a bad name or value is refused, naming the --set argument
    res = check(args.reps, workers, only=only, behaviour=sets)
    if args.json:
        print(to_json({"reps": args.reps, "patterns": res}))
    else:
        print(render(res, args.reps))
    if args.markdown:
        Path(args.markdown).write_text(markdown(res, args.reps))
    bad = [k for k, v in res.items() if not v["ok"]]
    if bad and not args.json:
        print(f"\nout of band: {', '.join(bad)}", file=sys.stderr)
    outside = [k for k, v in res.items() if v.get("point_ok") is False]
    if outside and not args.json:
        print(f"observed number outside the model's 90 % range: {', '.join(outside)}", file=sys.stderr)
    if args.strict:
        bad += outside
    return 1 if (args.check and bad) else 0


def _rows(res: dict) -> list[list[str]]:
    rows = []
    for pid, r in res.items():
        lo, hi = r["band"]
        band = f"{fmt(lo)}-{fmt(hi)}" if hi != float("inf") else f">= {fmt(lo)}"
        model = f"{fmt(r['mean'])} [{fmt(r['p05'])}, {fmt(r['p95'])}]"
        if "p_value" in r:
            band, model = f"p < {fmt(hi)}", f"diff {fmt(r['mean'])}, p = {r['p_value']:.3g}"
        point = "" if r.get("point_ok") is None else (
            f"{fmt(r['point'])} {'in' if r['point_ok'] else 'OUT'}")
        rows.append([pid, r["what"][:58], band, model, "in" if r["ok"] else "OUT", point])
    return rows


def render(res: dict, reps: int) -> str:
    head = f"Observed patterns, {reps} replications each: model mean [90 % interval]\n"
    return head + table(["id", "pattern", "band", "model", "ok", "observed in 90 % range"], _rows(res))


def markdown(res: dict, reps: int) -> str:
    lines = [f"| id | pattern | observed | band | model mean [90 % range of runs] ({reps} reps) | ok "
             "| observed number in the 90 % range |",
             "|---|---|---|---|---|---|---|"]
    for (pid, r), row in zip(res.items(), _rows(res), strict=True):
        lines.append(f"| {pid} | {r['what']} | {r['observed']} | {row[2]} | {row[3]} | {row[4]} "
                     f"| {row[5]} |")
    return "\n".join(lines) + "\n"
