"""``simpolicy``: the console script. Errors are one line; exit 0 ok, 1 failure, 2 bad input."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from simpolicy.scenario.errors import InputError

COMMAND_MODULES = ("catalogue", "runs", "sweep", "report", "calibrate", "dashboard", "demo")


class Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one clear line on a usage error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="simpolicy", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"simpolicy.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except InputError as e:
        for p in e.problems:
            print(str(p), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # the boundary: one line, or the traceback with --debug
        if debug:
            traceback.print_exc()
        else:
            print(f"simpolicy: error: {type(e).__name__}: {e} (run with --debug for details)",
                  file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
