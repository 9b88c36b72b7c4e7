"""Benchmarks of studies: parallel speed-up, Dask, memory that does not grow, common random numbers.

Ratios only (absolute times depend on the machine and on what else runs on it):

- ``speedup_2_local``: wall time of a study on 1 local worker / on 2 (goal >= 1.8 on 2 cores);
  ``parallelism_*`` is the sum of the runs' own times / the study's wall time, i.e. how many
  workers were kept busy, and ``cpu_share_*`` the CPU seconds the study got per second (the
  cores it actually had): together they separate the executor's overhead from a machine
  whose cores are shared with other work (see ``load_average_1min``).
  ``estimated_idle_speedup_2_local`` is what the speed-up would be if each worker had a core
  of its own: the runs' CPU seconds on 1 worker / half those on 2 (start-up, measured as a
  command with nothing left to run, taken out of both). It is an estimate, not a measurement;
- ``speedup_dask_2``: 1 local worker / a Dask loopback cluster of 2 single-thread workers
  (goal >= 1.7; the cluster is started before timing, as a long-lived cluster would be, its
  workers preloading the model as docs/studies.md starts them: local workers are forked
  from a process that has it imported, so neither pays the import inside the study);
- ``memory_ratio``: peak resident memory of a 2,000-run study / a 200-run study, both on one
  worker in one process so that every byte is counted (goal <= 1.2);
- ``crn_width_ratio``: 90 % interval width of a design difference with independent seeds /
  with common random numbers, at the same number of runs (goal >= 3), per outcome.

Run:  .venv/bin/python benchmarks/bench_studies.py [--quick]
It prints JSON and writes benchmarks/results_studies.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results_studies.json"
PRELOAD = "simpolicy.experiments.batches"  # what docs/studies.md has dask workers preload

SPEED = """\
name: bench_speed
scenarios: [flanders]
design: grid
replications: {reps}
base_seed: 1
fixed: {{horizon_years: 1}}
parameters:
  scheme.instruments.pio_development_open.rate: {{levels: [0.3, 0.5, 0.7]}}
"""
MEMORY = """\
name: bench_memory_{runs}
scenarios: [lithuania]
design: lhs
samples: {points}
replications: 10
base_seed: 1
fixed: {{horizon_years: 0.25}}
parameters:
  scheme.instruments.pcp_lt.rate: {{low: 0.3, high: 0.9}}
  behaviour.risk_aversion: {{low: 0.5, high: 3.0}}
"""
CRN = """\
name: bench_crn_{crn}
scenarios: [denmark_copi_proposal]
design: grid
replications: {reps}
base_seed: 1
common_random_numbers: {crn}
fixed: {{horizon_years: 3}}
parameters:
  scheme.instruments.value_chain.rate: {{levels: [0.4, 0.6]}}
"""
CRN_OUTCOMES = ("adopters", "additional_adoptions", "projects_funded", "projects_started", "followers",
                "buyers_innovating", "programme_spend_eur")
PEAK_RSS = """\
import resource, sys
from simpolicy.experiments.study import plan_study, run_study
res = run_study(plan_study(sys.argv[1]), sys.argv[2], workers=1, notify=lambda m: None)
assert res.complete and res.done == int(sys.argv[3]), (res.done, sys.argv[3])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def parallelism(out: Path, wall: float) -> float:
    """Workers kept busy on average: the runs' own times over the study's wall time."""
    return round(float(pd.read_parquet(out / "parts")["elapsed_s"].sum()) / wall, 2)


def cpu_seconds() -> float:
    """CPU time of every finished child process and its children (local workers included)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def sweep(spec: Path, out: Path, *args: str) -> tuple[float, float]:
    """Runs ``simpolicy sweep`` in a fresh process; returns the study's own wall time and the
    CPU seconds the command and its local workers used (s)."""
    cmd = [sys.executable, "-m", "simpolicy.cli.main", "sweep", str(spec), "--out", str(out), "--json", *args]
    c0 = cpu_seconds()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr[-500:]}")
    return float(json.loads(r.stdout)["elapsed_s"]), cpu_seconds() - c0


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / f"{name}.yaml"
    p.write_text(text)
    return p


def bench_speed(tmp: Path, reps: int, rounds: int = 3) -> dict:
    """Speed-ups as the median over ``rounds`` interleaved rounds (1 local, 2 local, Dask).

    The machine is a shared virtual one: the same study can take 30 % longer a minute later.
    Interleaving the three set-ups round by round and taking the median ratio keeps such
    drifts out of the figures; every round's figures are kept too.
    """
    from distributed import LocalCluster

    spec = write(tmp, "speed", SPEED.format(reps=reps))
    per_round = []
    for i in range(rounds):
        one, cpu_one = sweep(spec, tmp / f"speed1_{i}", "--workers", "1")
        two, cpu_two = sweep(spec, tmp / f"speed2_{i}", "--workers", "2")
        _, cpu_fixed = sweep(spec, tmp / f"speed1_{i}", "--workers", "1", "--resume")  # start-up only
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, preload=[PRELOAD]) as cluster:
            dask, _ = sweep(spec, tmp / f"speed_dask_{i}", "--scheduler", cluster.scheduler_address)
        per_round.append({
            "seconds_1_local": round(one, 2), "seconds_2_local": round(two, 2),
            "seconds_dask_2": round(dask, 2), "speedup_2_local": round(one / two, 2),
            "speedup_dask_2": round(one / dask, 2),
            "parallelism_2_local": parallelism(tmp / f"speed2_{i}", two),
            "parallelism_dask_2": parallelism(tmp / f"speed_dask_{i}", dask),
            "cpu_seconds_1_local": round(cpu_one, 2), "cpu_seconds_2_local": round(cpu_two, 2),
            "cpu_share_2_local": round(cpu_two / two, 2), "cpu_seconds_start_up": round(cpu_fixed, 2),
            "estimated_idle_speedup_2_local": round((cpu_one - cpu_fixed) / ((cpu_two - cpu_fixed) / 2), 2)})
    out = {"runs": 3 * reps, "rounds": rounds}
    for key in per_round[0]:
        out[key] = float(np.median([r[key] for r in per_round]))
    out["per_round"] = per_round
    return out


def peak_rss_kib(spec: Path, out: Path, runs: int) -> int:
    r = subprocess.run([sys.executable, "-c", PEAK_RSS, str(spec), str(out), str(runs)],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    if r.returncode != 0:
        raise SystemExit(f"memory run failed: {r.stderr[-500:]}")
    return int(r.stdout.split()[-1])


def bench_memory(tmp: Path, small_runs: int) -> dict:
    small, big = small_runs, small_runs * 10
    specs = [write(tmp, f"mem_{n}", MEMORY.format(runs=n, points=n // 10)) for n in (small, big)]
    a = peak_rss_kib(specs[0], tmp / "m1", small)
    b = peak_rss_kib(specs[1], tmp / "m2", big)
    return {"runs_small": small, "runs_big": big, "peak_rss_mib_small": round(a / 1024, 1),
            "peak_rss_mib_big": round(b / 1024, 1), "memory_ratio": round(b / a, 3)}


def width(df: pd.DataFrame, outcome: str, paired: bool) -> float:
    """90 % interval width of mean(point 1) - mean(point 0)."""
    a = df[df["point"] == 0].sort_values("replication")[outcome].to_numpy()
    b = df[df["point"] == 1].sort_values("replication")[outcome].to_numpy()
    n = len(a)
    if paired:
        return float(2 * stats.t.ppf(0.95, n - 1) * np.std(b - a, ddof=1) / np.sqrt(n))
    se = np.sqrt(np.var(a, ddof=1) / n + np.var(b, ddof=1) / n)
    return float(2 * stats.t.ppf(0.95, 2 * n - 2) * se)


def bench_crn(tmp: Path, reps: int) -> dict:
    frames = {}
    for crn in ("true", "false"):
        spec = write(tmp, f"crn_{crn}", CRN.format(crn=crn, reps=reps))
        sweep(spec, tmp / f"crn_{crn}", "--workers", "2")
        frames[crn] = pd.read_parquet(tmp / f"crn_{crn}" / "parts")
    ratios = {}
    for o in CRN_OUTCOMES:
        w_crn, w_ind = width(frames["true"], o, True), width(frames["false"], o, False)
        ratios[o] = round(w_ind / w_crn, 2) if w_crn > 0 else None
    return {"runs_each": 2 * reps, "design_difference": "value_chain.rate 0.6 vs 0.4, CO-PI, 3 years",
            "crn_width_ratio": ratios["adopters"], "crn_width_ratio_by_outcome": ratios}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller studies (noisier ratios)")
    ap.add_argument("--only", default="speed,memory,crn",
                    help="comma-separated sections to measure; the others keep their last figures")
    args = ap.parse_args(argv)
    q = args.quick
    benches = {"speed": lambda t: bench_speed(t, reps=20 if q else 80),
               "memory": lambda t: bench_memory(t, small_runs=200),
               "crn": lambda t: bench_crn(t, reps=15 if q else 30)}
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = sorted(set(only) - set(benches))
    if unknown:
        ap.error(f"unknown sections {unknown}; choose from {sorted(benches)}")
    result = json.loads(OUT.read_text()) if OUT.exists() and set(only) != set(benches) else {}
    load_before = os.getloadavg()
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-studies-") as d:
        for name in only:
            before = os.getloadavg()[0]
            result[name] = benches[name](Path(d))
            result[name]["load_average_1min"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "load_average_before": [round(x, 2) for x in load_before],
                         "load_average_after": [round(x, 2) for x in os.getloadavg()],
                         "total_seconds": round(time.time() - t0, 1)}
    result["command"] = ".venv/bin/python benchmarks/bench_studies.py" + (" --quick" if q else "") + (
        f" --only {args.only}" if set(only) != set(benches) else "")
    result["goals"] = {"speedup_2_local": ">= 1.8", "speedup_dask_2": ">= 1.7", "memory_ratio": "<= 1.2",
                       "crn_width_ratio": ">= 3"}
    text = json.dumps(result, indent=2)
    OUT.write_text(text + "\n")
    print(text)
    return result


if __name__ == "__main__":
    main()
