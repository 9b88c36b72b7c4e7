"""Input errors reported as ``FILE:LINE: field.path: message`` lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, located by line and field path."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return (f"{_one_line(self.file)}:{self.line}: {_one_line(self.path) or '(top)'}: "
                f"{_one_line(self.message)}")


@dataclass(frozen=True)
class ArgumentProblem(Problem):
    """A problem in a command-line argument such as ``--set behaviour.x=abc``.

    An override has no file or line of its own: reported against the file it overrides,
    ``behaviour.yaml:40: x: ...`` pointed at a line the user never wrote. It is named as
    typed instead, ``--set behaviour.x=abc: message``, still one line.
    """

    def __str__(self) -> str:
        return f"{_one_line(self.file)}: {_one_line(self.message)}"


def _one_line(text: str) -> str:
    """Control characters (a key with a newline, YAML's own multi-line messages) escaped,
    so that every problem stays on one line."""
    text = " ".join(str(text).split("\n  in "))  # PyYAML appends '\n  in "<string>"'
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class InputError(Exception):
    """Bad input: one or more problems; the CLI prints them and exits 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
