"""simpolicy: agent-based simulation of funding mechanisms for innovative public procurement.

The public API: ``load_scenario`` (a bundled name or a path), ``simulate`` (the one pure
entry point) and ``evaluate`` (a plain function of flat keyword parameters for EMA
Workbench, SALib or any optimiser). Imports are lazy so that the command line starts fast.
"""

from __future__ import annotations

import importlib

__all__ = ["InputError", "RunResult", "evaluate", "load_scenario", "simulate"]
__version__ = "0.1.0"

_WHERE = {
    "evaluate": "simpolicy.evaluation",
    "InputError": "simpolicy.scenario.errors",
    "load_scenario": "simpolicy.scenario.loader",
    "RunResult": "simpolicy.core",
    "simulate": "simpolicy.core",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'simpolicy' has no attribute {name!r}")
