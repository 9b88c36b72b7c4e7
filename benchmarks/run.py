"""``python -m benchmarks.run`` (``make bench``): every benchmark, one results file, one table.

Runs the model benchmark (speed against Mesa's Boltzmann reference, scaling, profile) in
this process, then the study and dashboard benchmarks when they exist, each in its own
process (they start process pools, Dask clusters and a browser, and must not share this
process's state or measure our imports). Every figure goes to ``benchmarks/results.json``
and a Markdown table for the README is printed at the end. A benchmark that fails or is
missing is recorded with the reason; the others still run, and the exit code is 1.

Options: ``--quick`` (fewer repetitions everywhere), ``--only model,studies,dashboard``,
``--collect studies,dashboard`` (take those figures from the JSON their own last run wrote,
with its date, instead of running them again: they take many minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results.json"
PARTS = ("model", "studies", "dashboard")
# the other benchmarks: module, the JSON file each writes, and its quick options
EXTERNAL = {
    "studies": ("benchmarks.bench_studies", "results_studies.json", ["--quick"]),
    "dashboard": ("benchmarks.bench_dashboard", "results_dashboard.json", ["--tries", "5"]),
}


def collect_external(name: str) -> dict:
    """The figures another benchmark wrote on its last run, marked with when that was."""
    _module, filename, _ = EXTERNAL[name]
    path = ROOT / "benchmarks" / filename
    if not path.exists():
        return {"skipped": f"no {filename} to collect"}
    out = json.loads(path.read_text())
    out["collected_from"] = {"file": f"benchmarks/{filename}", "written": datetime.fromtimestamp(
        path.stat().st_mtime, UTC).isoformat(timespec="seconds")}
    return out


def run_external(name: str, quick: bool) -> dict:
    """Runs another engineer's benchmark as a subprocess and reads the JSON it writes."""
    module, filename, quick_args = EXTERNAL[name]
    if not (ROOT / (module.replace(".", "/") + ".py")).exists():
        return {"skipped": f"{module} does not exist yet"}
    path = ROOT / "benchmarks" / filename
    t0 = time.time()
    cmd = [sys.executable, "-m", module, *(quick_args if quick else [])]
    print(f"\n$ {' '.join(cmd)}", file=sys.stderr, flush=True)
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, text=True)
    if r.returncode != 0:
        return {"error": f"{module} exited {r.returncode}"}
    if not path.exists() or path.stat().st_mtime < t0:
        return {"error": f"{module} wrote no fresh {filename}"}
    out = json.loads(path.read_text())
    out["elapsed_s"] = round(time.time() - t0, 1)
    return out


def run_model(quick: bool) -> dict:
    from benchmarks import bench_model

    return bench_model.main(["--quick"] if quick else [])


def _x(v, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}x"


def _get(d: dict, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _point(scaling: dict | None, factor: float) -> dict | None:
    return next((p for p in (scaling or {}).get("points", []) if p["factor"] == factor), None)


def table(results: dict) -> str:
    """The README's Markdown table: figure, measured value, goal."""
    rows: list[tuple[str, str, str]] = []
    m = results.get("model") or {}
    s = m.get("speed") or {}
    if s:
        scale = f"{s['agents']:,} agents x {s['steps']} steps"
        cold = _x(s["ratio_simulate_vs_boltzmann"])
        if s.get("ratio_simulate_stepped_vs_boltzmann"):
            cold += f" ({_x(s['ratio_simulate_stepped_vs_boltzmann'])} per agent-step stepped)"
        rows += [
            (f"Model speed: a what-if's `simulate()` (an edited scheme; its counterfactual and "
             f"draws in memory) vs Mesa's Boltzmann wealth model, agent-steps/s, {scale}",
             _x(s.get("ratio_simulate_warm_vs_boltzmann")), ">= 5x (what the browser what-if needs)"),
            ("Model speed: a cold `simulate()` vs Boltzmann: it draws the population and steps two "
             "models (the scheme and its counterfactual) for the scenario's agent-steps", cold, ""),
            ("Model speed: one model run from scratch vs Boltzmann",
             _x(s["ratio_run_model_vs_boltzmann"]), ""),
            ("Model speed: a cold `simulate()` vs Boltzmann's bare exchange (no data collection)",
             _x(s["ratio_simulate_vs_boltzmann_bare"]), ">= 1x"),
            ("Agent-steps per second of a what-if's `simulate()`",
             f"{s['agent_steps_per_s_median']['simulate_warm'] / 1e3:,.0f} k", ""),
        ]
    for f in (10, 30):
        p = _point(m.get("population_scaling"), f)
        if p:
            rows.append((f"Time of one run at {f}x the population ({p['agents']:,} agents)",
                         _x(p["time_ratio"], 1), "<= 12x" if f == 10 else ""))
    for f in (2, 4):
        p = _point(m.get("horizon_scaling"), f)
        if p:
            rows.append((f"Time of one run at {f}x the horizon ({p['steps']} months)",
                         _x(p["time_ratio"], 1), f"~{f}x (linear)"))
    st = results.get("studies") or {}
    if _get(st, "speed"):
        rows += [
            ("Study speed-up, 2 local workers vs 1", _x(_get(st, "speed", "speedup_2_local")), ">= 1.8x"),
            ("Study speed-up, Dask (2 workers) vs 1 local", _x(_get(st, "speed", "speedup_dask_2")),
             ">= 1.7x"),
            ("Study memory, 2,000 runs vs 200 runs (peak RSS)", _x(_get(st, "memory", "memory_ratio")),
             "<= 1.2x"),
            ("Interval width, independent seeds vs common random numbers",
             _x(_get(st, "crn", "crn_width_ratio")), ">= 3x"),
        ]
    db = results.get("dashboard") or {}
    if _get(db, "whatif"):
        final, first = db["whatif"]["final_redraw_s"], db["whatif"]["first_redraw_s"]
        rows += [
            ("What-if in the browser: click to final chart, p95 (p50)",
             f"{final['p95']:.1f} s ({final['p50']:.1f} s)", "< 3 s"),
            ("What-if in the browser: click to first redrawn chart, p95", f"{first['p95']:.1f} s", ""),
        ]
        if "final_p95_over_simulation" in db["whatif"]:
            w = db["whatif"]
            rows.append(("What-if: its 20 edited runs alone, in-process, per worker (the floor of the above)",
                         f"{w['simulation_s_per_worker']:.1f} s; final chart p95 = "
                         f"{w['final_p95_over_simulation']:.2f}x that", ""))
        rows += [
            ("Dashboard first page load (cold browser)", f"{db['first_load_s']:.1f} s", ""),
        ]
    for name in PARTS:
        part = results.get(name) or {}
        for key in ("skipped", "error"):
            if key in part:
                rows.append((f"{name} benchmark", f"{key}: {part[key]}", ""))
    lines = ["| Figure | Measured | Goal |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (noisier figures)")
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated: " + ",".join(PARTS))
    ap.add_argument("--collect", default="", help="comma-separated: studies,dashboard figures to read "
                    "from their last run's JSON instead of running them")
    args = ap.parse_args(argv)
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    collect = {p.strip() for p in args.collect.split(",") if p.strip()}
    unknown = (set(only) - set(PARTS)) | (collect - set(EXTERNAL))
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    t0 = time.time()
    load_before = os.getloadavg()
    results: dict = {"created": datetime.now(UTC).isoformat(timespec="seconds"),
                     "command": "python -m benchmarks.run" + (" --quick" if args.quick else "")
                     + (f" --only {args.only}" if set(only) != set(PARTS) else "")
                     + (f" --collect {args.collect}" if collect else "")}
    if OUT.exists():  # keep figures of benchmarks not run this time
        try:
            old = json.loads(OUT.read_text())
            results.update({k: old[k] for k in PARTS if k in old and k not in only})
        except (OSError, ValueError):
            pass
    for name in only:
        try:
            if name == "model":
                results[name] = run_model(args.quick)
            elif name in collect:
                results[name] = collect_external(name)
            else:
                results[name] = run_external(name, args.quick)
        except Exception as e:  # one benchmark's failure must not lose the others' figures
            results[name] = {"error": f"{type(e).__name__}: {e}"}
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(),
                          "load_average_before": [round(x, 2) for x in load_before],
                          "load_average_after": [round(x, 2) for x in os.getloadavg()],
                          "total_seconds": round(time.time() - t0, 1)}
    results["table_markdown"] = table(results)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nAll figures: {OUT.relative_to(ROOT)}\n")
    print(results["table_markdown"])
    failed = [n for n in only if "error" in (results.get(n) or {})]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
