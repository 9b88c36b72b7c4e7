"""The dashboard's memory is bounded and given back; its Studies page names files it skips
(issue 16, item 7 and "say which file is foreign or damaged").

- A run worker lives under an address-space limit: a run that needs more fails with a
  ``MemoryError`` that says so, the worker is replaced, and the next run works.
- A worker that grew past the retirement threshold is replaced after its run, so what it
  grew to goes back to the system; below the threshold it is kept (its memoised
  counterfactuals are worth keeping).
- A study is loaded only within a row budget counted before decoding; the studies kept
  open hold at most a row budget in all.
- The studies list names a foreign copy of a part and a listed part that is missing, and
  opening the study shows the foreign file in the page's message.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from dashboard import memory
from dashboard.data import StudyStore
from dashboard.jobs import JobRegistry
from dashboard.study_checks import StudyTooLarge
from simpolicy import load_scenario
from simpolicy.cli.main import main
from simpolicy.scenario.loader import with_sets

pytestmark = pytest.mark.timeout(300)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited: its memory is back
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(registry: JobRegistry, scenario, seed: int, timeout: float = 200) -> dict:
    job = registry.submit({"x": scenario}, [seed])
    deadline = time.time() + timeout
    while registry.status(job).state == "running":
        assert time.time() < deadline, "the run did not finish"
        time.sleep(0.05)
    return registry.snapshot(job).runs.iloc[0].to_dict()


def _pids(registry: JobRegistry) -> set[int]:
    return {p.pid for pool in registry._pools.values()
            for p in (getattr(pool, "_processes", None) or {}).values()}


def _gone(pids: set[int], timeout: float = 20) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _lithuania(buyers: int | None = None, years: float = 1 / 12):
    sc = load_scenario("lithuania")
    sets: dict = {"horizon_years": years}
    if buyers:
        n = len(sc.population.buyers)
        sets.update({f"population.buyers.{i}.count": buyers // n for i in range(n)})
    return with_sets(sc, sets)


def test_a_run_over_the_worker_limit_fails_with_its_reason_and_the_worker_is_replaced(monkeypatch):
    """Before: a 4.6 kB upload grew a worker to 3.2 GB. 850 MB lets a small run through
    (a worker is about 550 MB of address space after import) but not 150,000 buyers."""
    monkeypatch.setattr(memory, "WORKER_MEMORY_MB", 850)
    registry = JobRegistry(workers=1, retire_mb=100_000)
    try:
        assert _wait(registry, _lithuania(), 0)["status"] == "ok"
        first = _pids(registry)
        assert len(first) == 1
        row = _wait(registry, _lithuania(150_000, 1), 0)
        assert row["status"] == "failed", "the run went past the worker's limit"
        assert row["error"].startswith("MemoryError: the run needed more than the 850 MB"), row["error"]
        assert _gone(first), "the worker that ran out of memory was kept"
        assert _wait(registry, _lithuania(), 1)["status"] == "ok"  # a new worker, not from the cache
        assert _pids(registry) and not _pids(registry) & first
    finally:
        registry.shutdown()


def test_a_grown_worker_is_replaced_and_a_small_one_kept():
    kept = JobRegistry(workers=1, retire_mb=100_000)
    retired = JobRegistry(workers=1, retire_mb=1)  # every worker is above 1 MB after a run
    try:
        assert _wait(kept, _lithuania(), 0)["status"] == "ok"
        pids = _pids(kept)
        assert _wait(kept, _lithuania(), 1)["status"] == "ok"
        assert _pids(kept) == pids, "a worker below the threshold was replaced"
        assert _wait(retired, _lithuania(), 0)["status"] == "ok"
        assert not _pids(retired), "a grown worker is still the one new runs go to"
        assert _wait(retired, _lithuania(), 1)["status"] == "ok"
        old = {p for p in _pids(retired)}
        assert _wait(retired, _lithuania(), 2)["status"] == "ok"
        assert _gone(old), "a retired worker did not exit"
    finally:
        kept.shutdown()
        retired.shutdown()


def test_memory_knobs_read_from_the_environment():
    assert memory._env_mb("NO_SUCH_VARIABLE_H16", 4096) == 4096
    os.environ["SIMPOLICY_H16_TEST_MB"] = "abc"
    try:
        assert memory._env_mb("SIMPOLICY_H16_TEST_MB", 7) == 7
    finally:
        del os.environ["SIMPOLICY_H16_TEST_MB"]


# --- studies in the server -------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("m") / "run"
    assert main(["run", "lithuania", "--reps", "2", "--years", "0.25", "--workers", "1",
                 "--out", str(out), "--json"]) == 0
    return out


def _rows(run_dir: Path) -> int:
    m = json.loads((run_dir / "manifest.json").read_text())
    return sum(e["rows"] for kind in m["parts"].values() for e in kind)


def test_a_study_over_the_row_budget_is_not_loaded(run_dir, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(run_dir, root / "a")
    rows = _rows(run_dir)
    with pytest.raises(StudyTooLarge, match=f"{rows:,} rows"):
        StudyStore(root, max_rows=rows - 1).load("a")
    assert len(StudyStore(root, max_rows=rows).load("a")["runs"]) == 2


def test_the_studies_kept_open_stay_within_a_row_budget(run_dir, tmp_path):
    root = tmp_path / "results"
    for name in "abcd":
        shutil.copytree(run_dir, root / name)
    rows = _rows(run_dir)
    store = StudyStore(root, cache_size=8, max_cached_rows=2 * rows)
    for name in "abcd":
        store.load(name)
    assert len(store._cache) == 2 and sum(store._rows.values()) <= 2 * rows


def test_the_studies_list_names_foreign_and_missing_files(run_dir, tmp_path):
    """Before: the list showed both studies as if nothing were wrong."""
    root = tmp_path / "results"
    for name in ("copied", "missing", "clean"):
        shutil.copytree(run_dir, root / name)
    part = "part-000000000.parquet"
    shutil.copy(root / "copied" / "parts" / part, root / "copied" / "parts" / "part-000000000 (1).parquet")
    (root / "missing" / "parts" / part).unlink()
    listed = {s["id"]: s["status"] for s in StudyStore(root).list()}
    assert "parts/part-000000000 (1).parquet: foreign file" in listed["copied"]
    assert f"parts/{part}: listed in manifest.json but missing" in listed["missing"]
    assert ";" not in listed["clean"]


def test_opening_a_study_with_a_foreign_file_names_it_on_the_page(run_dir, tmp_path):
    from dashboard.app import create_app
    from dashboard.config import DashboardConfig

    root = tmp_path / "results"
    shutil.copytree(run_dir, root / "copied")
    shutil.copy(root / "copied" / "parts" / "part-000000000.parquet",
                root / "copied" / "parts" / "part-000000000 (1).parquet")
    app = create_app(DashboardConfig.from_env(root, 0))
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if d["output"].startswith("..st-message.children"))
    outs = [{"id": n.rsplit(".", 1)[0], "property": n.rsplit(".", 1)[1]}
            for n in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outs, "changedPropIds": ["st-study.value"],
            "inputs": [{"id": "st-study", "property": "value", "value": "copied"}], "state": []}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200
    message = json.dumps(r.get_json()["response"]["st-message"])
    assert "part-000000000 (1).parquet: foreign file" in message
    app.simpolicy.jobs.shutdown()
