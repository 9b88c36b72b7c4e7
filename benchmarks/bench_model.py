"""Model speed against Mesa's Boltzmann wealth reference, scaling, and where the time goes.

The machines we run on are shared and noisy, so every figure is a ratio against something
measured in the same process a moment apart: our agent-steps per second against the
Boltzmann reference at the same number of agents and steps (repetitions interleaved, median
ratio), and scaling as times relative to the 1x run of the same session (best of a few
repetitions, as Mesa's own benchmark suite keeps the fastest replication).

Agent-steps are (buyers + suppliers) x monthly steps. ``simulate()`` runs the scenario and
its counterfactual, so its rate counts the scenario's agent-steps once although it steps the
model twice (``simulate``: the memos emptied first). Since simulate() memoises
counterfactuals, and the model its scheme-free draws (population, needs), per population and
seed, a what-if that edits a scheme runs one model on draws it already has:
``simulate_warm`` is that case, timed on the scheme with its first budget changed to a value
not run before (as the dashboard benchmark's what-if does), after the unchanged scheme was
simulated. ``run_model`` is one model run from scratch.

Run: ``.venv/bin/python -m benchmarks.bench_model [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path

from benchmarks import boltzmann
from simpolicy import core
from simpolicy.core import run_model, simulate
from simpolicy.model import draws
from simpolicy.scenario.loader import load_scenario, with_sets
from simpolicy.scenario.schema import Scenario

NATIONAL = "denmark_copi_proposal"  # the Danish proposal: a whole country over 10 years
GOAL_RATIO = 5.0  # the browser what-if needs at least this against Boltzmann
GOAL_10X = 12.0  # 10x the agents may cost at most 12x the time


def scaled(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with every buyer and supplier group `factor` times as large."""
    pop = scenario.population
    sets = {f"population.buyers.{i}.count": round(g.count * factor) for i, g in enumerate(pop.buyers)}
    sets.update({f"population.suppliers.{i}.count": round(g.count * factor)
                 for i, g in enumerate(pop.suppliers)})
    return with_sets(scenario, sets)


def longer(scenario: Scenario, factor: float) -> Scenario:
    """The scenario over `factor` times its horizon (the schema allows up to 50 years)."""
    return with_sets(scenario, {"horizon_years": scenario.horizon_years * factor})


def edited(scenario: Scenario, r: int) -> Scenario:
    """The scenario with its first budgeted instrument's budget cut to a value not run before."""
    for i, ins in enumerate(scenario.scheme.instruments):
        for field in ("annual_budget_eur", "total_budget_eur"):
            if getattr(ins, field):
                budget = getattr(ins, field) * (0.8 - 0.01 * r)
                return with_sets(scenario, {f"scheme.instruments.{i}.{field}": budget})
    return scenario


def n_agents(scenario: Scenario) -> int:
    pop = scenario.population
    return sum(g.count for g in pop.buyers) + sum(g.count for g in pop.suppliers)


def timed(fn, *args, **kwargs) -> float:
    """Wall time of one call, after a collection so garbage of the last call is not billed."""
    gc.collect()
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def forget_counterfactuals() -> None:
    """Empties simulate()'s memos (counterfactual runs, scheme-free draws): a run from scratch."""
    memo = getattr(core, "_COUNTERFACTUALS", None)
    if memo is not None:
        memo.clear()
    draws.forget()


def speed(scenario: Scenario, reps: int) -> dict:
    """Agent-steps per second of ours and of the reference, interleaved repetition by repetition."""
    agents, steps = n_agents(scenario), scenario.months
    work = agents * steps
    runs: dict[str, list[float]] = {"simulate": [], "simulate_warm": [], "run_model": [],
                                    "boltzmann": [], "boltzmann_bare": []}
    simulate(scenario, 10_000)  # warm caches and imports once, untimed
    for r in range(reps):
        forget_counterfactuals()
        runs["simulate"].append(timed(simulate, scenario, r))
        runs["simulate_warm"].append(timed(simulate, edited(scenario, r), r))
        forget_counterfactuals()
        runs["run_model"].append(timed(run_model, scenario, r))
        runs["boltzmann"].append(timed(boltzmann.run, agents, steps, r, True))
        runs["boltzmann_bare"].append(timed(boltzmann.run, agents, steps, r, False))
    rate = {k: [work / t for t in v] for k, v in runs.items()}
    stepped = 2 if scenario.scheme.offers_anything else 1

    def ratio(ours: str, ref: str) -> float:
        return statistics.median(a / b for a, b in zip(rate[ours], rate[ref], strict=True))

    return {
        "scenario": scenario.name, "agents": agents, "steps": steps, "agent_steps": work,
        "repetitions": reps,
        "seconds_median": {k: statistics.median(v) for k, v in runs.items()},
        "agent_steps_per_s_median": {k: statistics.median(v) for k, v in rate.items()},
        "ratio_simulate_vs_boltzmann": ratio("simulate", "boltzmann"),
        # a cold simulate() steps the counterfactual too: the work it actually does
        "models_stepped_by_simulate": stepped,
        "ratio_simulate_stepped_vs_boltzmann": stepped * ratio("simulate", "boltzmann"),
        "ratio_simulate_warm_vs_boltzmann": ratio("simulate_warm", "boltzmann"),
        "ratio_run_model_vs_boltzmann": ratio("run_model", "boltzmann"),
        "ratio_simulate_vs_boltzmann_bare": ratio("simulate", "boltzmann_bare"),
        "ratio_run_model_vs_boltzmann_bare": ratio("run_model", "boltzmann_bare"),
        "goal_ratio": GOAL_RATIO,
    }


def best_time(scenario: Scenario, reps: int) -> float:
    """The fastest of a few model runs, each from scratch (no memoised draws)."""
    times = []
    for r in range(reps):
        forget_counterfactuals()
        times.append(timed(run_model, scenario, r))
    return min(times)


def scaling(scenario: Scenario, factors: tuple[float, ...], make, reps: dict[float, int]) -> dict:
    """Times of one model run at each factor, relative to factor 1 (best of a few repetitions)."""
    points = []
    for f in factors:
        sc = make(scenario, f) if f != 1 else scenario
        t = best_time(sc, reps.get(f, 1))
        points.append({"factor": f, "agents": n_agents(sc), "steps": sc.months, "seconds": t,
                       "us_per_agent_step": 1e6 * t / (n_agents(sc) * sc.months)})
    base = points[0]["seconds"]
    for p in points:
        p["time_ratio"] = p["seconds"] / base
    return {"points": points}


def reference_scaling(agents: int, steps: int, factor: int) -> float:
    """The bare Boltzmann reference's time ratio at `factor` x agents (the machine's linear)."""
    t1 = min(timed(boltzmann.run, agents, steps, r, False) for r in range(2))
    tf = timed(boltzmann.run, agents * factor, steps, 0, False)
    return tf / t1


def profile(scenario: Scenario, top: int = 12) -> dict:
    """cProfile of one model run: the functions and the modules that take the time."""
    gc.collect()  # garbage of the scaling runs would be collected inside, billed to a random function
    prof = cProfile.Profile()
    prof.enable()
    run_model(scenario, 1)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    rows, by_module = [], {}
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        mod = _short(file)
        by_module[mod] = by_module.get(mod, 0.0) + tt
        rows.append({"function": f"{mod}:{line}({func})", "calls": nc, "self_s": tt, "cum_s": ct})
    rows.sort(key=lambda r: -r["self_s"])
    modules = sorted(by_module.items(), key=lambda kv: -kv[1])[:top]
    return {"total_s": total, "top_functions": rows[:top],
            "top_modules": [{"module": m, "self_s": s, "share": s / total} for m, s in modules]}


def _short(file: str) -> str:
    """A profile file name shortened to its package path (``simpolicy/model/needs.py``)."""
    for marker in ("site-packages/", "/work/main/", str(Path(__file__).resolve().parents[1]) + "/"):
        if marker in file:
            return file.split(marker, 1)[1]
    if file == "~":
        return "(built-ins)"
    return file if file.startswith("<") else os.path.basename(file)


def main(argv: list[str] | None = None) -> dict:
    """Runs the model benchmarks, prints a summary and returns every figure."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_model", description=__doc__)
    ap.add_argument("--scenario", default=NATIONAL)
    ap.add_argument("--reps", type=int, default=5, help="repetitions of the speed comparison")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and no 30x point")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    reps = 2 if args.quick else args.reps
    sc = load_scenario(args.scenario)
    out: dict = {"scenario": args.scenario}
    t0 = time.perf_counter()
    out["speed"] = speed(sc, reps)
    pop = (1, 10) if args.quick else (1, 10, 30)
    out["population_scaling"] = scaling(sc, pop, scaled, {1: 3, 10: 2, 30: 1})
    out["population_scaling"]["reference_boltzmann_10x_time_ratio"] = reference_scaling(
        n_agents(sc), sc.months, 10)
    out["horizon_scaling"] = scaling(sc, (1, 2, 4), longer, {1: 3, 2: 2, 4: 2})
    out["profile"] = profile(sc)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["elapsed_s"] = time.perf_counter() - t0
    print(json.dumps(out, indent=2) if args.json else render(out))
    return out


def render(out: dict) -> str:
    """The figures as text for a terminal."""
    s = out["speed"]
    rate = s["agent_steps_per_s_median"]
    lines = [f"model speed: {s['scenario']}, {s['agents']} agents x {s['steps']} steps, "
             f"{s['repetitions']} repetitions (medians)",
             *(f"  {k:16s} {v / 1e3:9.0f} k agent-steps/s  ({s['seconds_median'][k]:.2f} s)"
               for k, v in rate.items()),
             f"  a what-if's simulate() (edited scheme, counterfactual memoised) vs Boltzmann: "
             f"{s['ratio_simulate_warm_vs_boltzmann']:.2f}x (goal {GOAL_RATIO:g}x)",
             f"  cold simulate() vs Boltzmann: {s['ratio_simulate_vs_boltzmann']:.2f}x; "
             f"{s['ratio_simulate_stepped_vs_boltzmann']:.2f}x per agent-step stepped "
             f"({s['models_stepped_by_simulate']} models; bare exchange: "
             f"{s['ratio_simulate_vs_boltzmann_bare']:.2f}x)",
             f"  one model run vs Boltzmann: {s['ratio_run_model_vs_boltzmann']:.2f}x "
             f"(bare exchange: {s['ratio_run_model_vs_boltzmann_bare']:.2f}x)"]
    for key, label in (("population_scaling", "population"), ("horizon_scaling", "horizon")):
        lines.append(f"scaling with the {label} (one model run, best of repetitions):")
        for p in out[key]["points"]:
            lines.append(f"  {p['factor']:>4g}x  {p['agents']:>7d} agents x {p['steps']:>3d} steps  "
                         f"{p['seconds']:7.2f} s  {p['time_ratio']:5.1f}x time  "
                         f"{p['us_per_agent_step']:.2f} us/agent-step")
    ref = out["population_scaling"]["reference_boltzmann_10x_time_ratio"]
    lines.append(f"  (Boltzmann reference at 10x agents: {ref:.1f}x time; goal for ours <= {GOAL_10X:g}x)")
    prof = out["profile"]
    lines.append(f"profile of one run ({prof['total_s']:.2f} s under cProfile), self time by module:")
    lines += [f"  {m['share']:5.1%}  {m['module']}" for m in prof["top_modules"][:8]]
    lines.append("top functions by self time:")
    lines += [f"  {r['self_s']:6.3f} s  {r['calls']:>8d} calls  {r['function']}"
              for r in prof["top_functions"][:10]]
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
