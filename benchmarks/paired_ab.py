"""CPU time of a cold ``simulate`` against another checkout's, in one process, pair by pair.

    .venv/bin/python benchmarks/paired_ab.py /path/to/other/checkout [pairs]

Wall-clock medians of a few runs (``make bench``) move by several percent on a shared
machine, more than a code change of a few percent. Here both codes run in the same process,
alternating (the order flips every pair), each cold simulate timed in CPU seconds, and the
speed ratio is read pair by pair: its median and quartiles. The other checkout's package is
copied to a temporary folder under another name so that both can be imported at once.
"""

from __future__ import annotations

import gc
import importlib
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "denmark_copi_proposal"


def renamed_copy(checkout: Path, name: str) -> Path:
    """The checkout's ``simpolicy`` package as ``name`` (imports rewritten) in a temp folder."""
    out = Path(tempfile.mkdtemp())
    shutil.copytree(checkout / "simpolicy", out / name)
    shutil.copytree(checkout / "scenarios", out / "scenarios")
    for f in (out / name).rglob("*.py"):
        text = re.sub(r"\bsimpolicy\b(?=[. ])", name, f.read_text())
        f.write_text(text)
    return out


def main(argv: list[str]) -> None:
    other, pairs = Path(argv[0]).resolve(), int(argv[1]) if len(argv) > 1 else 60
    sys.path[:0] = [str(renamed_copy(other, "simpolicy_other")), str(ROOT)]
    mods = {}
    for key, pkg in (("other", "simpolicy_other"), ("this", "simpolicy")):
        core, draws = (importlib.import_module(f"{pkg}.{m}") for m in ("core", "model.draws"))
        scenario = importlib.import_module(f"{pkg}.scenario.loader").load_scenario(SCENARIO)
        core.simulate(scenario, 99)  # imports and caches warm, untimed
        mods[key] = (core, draws, scenario)

    def timed(key: str, seed: int) -> float:
        core, draws, scenario = mods[key]
        core._COUNTERFACTUALS.clear()
        draws.forget()
        gc.collect()
        t = time.process_time()
        core.simulate(scenario, seed)
        return time.process_time() - t

    times = {"other": [], "this": []}
    for r in range(pairs):
        for key in (("other", "this") if r % 2 == 0 else ("this", "other")):
            times[key].append(timed(key, r % 10))
    ratio = sorted(o / t for o, t in zip(times["other"], times["this"], strict=True))
    q = len(ratio) // 4
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    print(f"cold simulate of {SCENARIO}, CPU ms median: other {med['other']:.1f}, this {med['this']:.1f}; "
          f"speed of this over other, pair by pair: median {statistics.median(ratio):.3f} "
          f"(quartiles {ratio[q]:.3f}-{ratio[-q - 1]:.3f}, {pairs} pairs)")


if __name__ == "__main__":
    main(sys.argv[1:])
