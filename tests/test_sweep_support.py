"""Helpers shared by the sweep tests (no tests here): small specs, the CLI, a study digest.

The digest is the contract's: every part's rows minus timing and host columns, sorted by
run id, hashed; two studies with equal digests have identical rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

TIMING = {"study_id", "created", "elapsed_s", "duration_s", "started", "finished", "worker", "host", "pid"}

# Lithuania's single PCP instrument at a one-year horizon: ~0.05 s a run, and it funds projects.
SMALL = """\
name: {name}
scenarios: [lithuania]
design: grid
replications: {reps}
base_seed: 3
fixed:
  horizon_years: {years}
parameters:
  scheme.instruments.pcp_lt.rate: {{levels: [0.5, 0.9]}}
"""


def write_spec(folder: Path, name: str = "small", reps: int = 4, years: float = 1,
               text: str | None = None) -> Path:
    path = Path(folder) / f"{name}.yaml"
    path.write_text(text if text is not None else SMALL.format(name=name, reps=reps, years=years))
    return path


def cli(*args, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs ``simpolicy`` in a fresh process, as a user would."""
    return subprocess.run([sys.executable, "-m", "simpolicy.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=_env())


def popen(*args, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simpolicy.cli.main", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=_env())


def _env() -> dict:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def rows(study_dir: Path) -> pd.DataFrame:
    """All run rows of a study without timing columns, sorted by run id."""
    parts = sorted(Path(study_dir).glob("**/parts/*.parquet"))
    df = pd.concat([pd.read_parquet(p) for p in parts])
    df = df[[c for c in df.columns if c not in TIMING]]
    return df.sort_values("run_id").reset_index(drop=True)


def digest(study_dir: Path) -> tuple[int, int, int]:
    df = rows(study_dir)
    return len(df), int((df["status"] != "ok").sum()), int(pd.util.hash_pandas_object(df, index=False).sum())
