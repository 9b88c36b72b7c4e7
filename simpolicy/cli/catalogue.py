"""``simpolicy list`` and ``simpolicy validate``."""

from __future__ import annotations

import sys
from pathlib import Path

from simpolicy.cli.render import table, to_json
from simpolicy.scenario.behaviour import Behaviour
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.loader import bundled_names, load_scenario
from simpolicy.scenario.yamlio import read_yaml, validate


def register(sub) -> None:
    p = sub.add_parser("list", help="the bundled scenarios")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("validate", help="check scenario or sweep files")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)


def cmd_list(args) -> int:
    items = []
    for name in bundled_names():
        s = load_scenario(name)
        items.append({"name": name, "country": s.country, "description": s.description,
                      "horizon_years": s.horizon_years, "instruments": len(s.scheme.instruments),
                      "buyers": sum(g.count for g in s.population.buyers)})
    if args.json:
        print(to_json({"scenarios": items}))
    else:
        print(table(["name", "country", "years", "instruments", "description"],
                    [[i["name"], i["country"], f"{i['horizon_years']:g}", str(i["instruments"]),
                      i["description"][:70]] for i in items]))
    return 0


def is_sweep(path: str) -> bool:
    """Sweep specs have a design or parameters; scenarios have a population."""
    try:
        data, _ = read_yaml(path)
    except InputError:
        return False
    return isinstance(data, dict) and ("design" in data or "parameters" in data) \
        and "population" not in data


def _is_optimize(path: str) -> bool:
    """Optimisation specs (``simpolicy optimize``) have objectives."""
    from simpolicy.experiments.optspec import is_optimize_spec

    try:
        data, _ = read_yaml(path)
    except InputError:
        return False
    return is_optimize_spec(data)


def validate_file(path: str) -> None:
    if Path(path).name == "behaviour.yaml":
        data, lines = read_yaml(path)
        validate(Behaviour, data, path, lines)
    elif _is_optimize(path):
        from simpolicy.experiments.optspec import load_optimize_spec

        load_optimize_spec(path)
    elif is_sweep(path):
        from simpolicy.experiments.spec import load_spec

        load_spec(path)
    else:
        load_scenario(path)


def cmd_validate(args) -> int:
    problems, results = [], {}
    for f in args.files:
        try:
            validate_file(f)
            results[f] = []
        except InputError as e:
            problems += e.problems
            results[f] = [str(p) for p in e.problems]
    if args.json:
        print(to_json({"files": {f: {"ok": not v, "problems": v} for f, v in results.items()}}))
    for p in problems:
        print(str(p), file=sys.stderr)
    if not problems and not args.json:
        print(f"{len(args.files)} file(s) valid")
    return 2 if problems else 0
