"""``simpolicy dashboard``: not built yet (see the open issue)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("dashboard", help="(not built yet)")
    p.set_defaults(func=lambda args: _todo())


def _todo() -> int:
    raise NotImplementedError("simpolicy dashboard is not built yet")
