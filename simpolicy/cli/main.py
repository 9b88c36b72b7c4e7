"""``simpolicy``: the console script. Errors are one line; exit 0 ok, 1 failure, 2 bad input."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
import warnings

from simpolicy.scenario.errors import InputError

COMMAND_MODULES = ("catalogue", "runs", "sweep", "optimize", "report", "calibrate", "dashboard", "demo")


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


def _one_line_warnings() -> None:
    """Warnings about results folders (a foreign file not read) as one line on stderr."""
    from simpolicy.results.listing import ResultsWarning

    shown = warnings.showwarning
    if getattr(shown, "simpolicy", False):
        return

    def show(message, category, *args, **kwargs):
        if issubclass(category, ResultsWarning):
            print(f"simpolicy: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, *args, **kwargs)

    show.simpolicy = True
    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _one_line_warnings()
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except InputError as e:
        for p in e.problems:
            print(str(p), file=sys.stderr)
        return 2
    except ValueError as e:
        from simpolicy.results.claim import FolderRefused
        from simpolicy.results.listing import ResultsError

        if not isinstance(e, FolderRefused | ResultsError):
            return _failure(e, debug)
        print(f"simpolicy: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # the boundary: one line, or the traceback with --debug
        return _failure(e, debug)


def _failure(e: Exception, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    else:
        print(f"simpolicy: error: {type(e).__name__}: {e} (run with --debug for details)",
              file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
