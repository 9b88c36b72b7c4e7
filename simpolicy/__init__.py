"""simpolicy: agent-based simulation of funding mechanisms for innovative public procurement.

The public API: ``load_scenario`` (a bundled name or a path), ``simulate`` (the one pure
entry point) and ``evaluate`` (a plain function of flat keyword parameters for EMA
Workbench, SALib or any optimiser).
"""

from simpolicy.evaluate import evaluate
from simpolicy.scenario.errors import InputError
from simpolicy.scenario.loader import load_scenario
from simpolicy.simulate import RunResult, simulate

__all__ = ["InputError", "RunResult", "evaluate", "load_scenario", "simulate"]
__version__ = "0.1.0"
