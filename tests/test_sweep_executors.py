"""The same study gives identical rows on 1 worker, 2 local workers and a Dask cluster."""

from __future__ import annotations

import threading

import pandas as pd
import pytest
from test_sweep_support import digest, rows, write_spec

from simpolicy.experiments.executors import InlineExecutor, LocalExecutor, map_runs
from simpolicy.experiments.study import plan_study, run_study
from simpolicy.results import load


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec")
    text = write_spec(d, "exec", reps=4).read_text() + "timeseries: [adopters]\n"
    return write_spec(d, "exec", text=text)


@pytest.fixture(scope="module")
def one_worker(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("w1") / "study"
    res = run_study(plan_study(spec), out, workers=1, notify=lambda m: None)
    assert res.complete and res.failed == 0
    return out


def test_two_workers_give_identical_rows(spec, one_worker, tmp_path):
    out = tmp_path / "study"
    res = run_study(plan_study(spec), out, workers=2, batch_size=1, notify=lambda m: None)
    assert res.complete
    assert digest(out) == digest(one_worker)
    assert digest(out)[:2] == (8, 0)


def test_dask_cluster_gives_identical_rows(spec, one_worker, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        out = tmp_path / "study"
        res = run_study(plan_study(spec), out, scheduler=cluster.scheduler_address, batch_size=3,
                        notify=lambda m: None)
    assert res.complete
    assert digest(out) == digest(one_worker)
    workers = set(pd.read_parquet(out / "parts")["worker"])
    assert len(workers) >= 1 and all(":" in w for w in workers)


def test_rows_carry_ids_params_outcomes_and_counterfactuals(one_worker):
    df = rows(one_worker)
    assert list(df["run_id"]) == list(range(8))
    # common random numbers: replication r of every point has seed base_seed + r
    assert (df["seed"] == 3 + df["replication"]).all()
    assert set(df["scheme.instruments.pcp_lt.rate"]) == {0.5, 0.9}
    assert {"adopters", "cf_adopters", "applications_pcp_lt", "status", "error"} <= set(df.columns)
    assert df["adopters"].dtype == "float64"


def test_load_reads_a_study_back(one_worker):
    data = load(one_worker)
    assert data["manifest"]["status"] == "complete"
    assert data["manifest"]["counts"] == {"runs": 8, "planned": 8, "ok": 8, "failed": 0}
    assert len(data["runs"]) == 8
    ts = data["timeseries"]
    assert set(ts["run_id"]) == set(range(8)) and {"month", "adopters"} <= set(ts.columns)
    assert data["sensitivity"].empty


def test_local_executor_with_threads_uses_forkserver():
    """Forking a process that has threads can deadlock, so the pool then uses forkserver."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        ex = LocalExecutor(2)
        assert ex.pool._mp_context.get_start_method() == "forkserver"
        futs = {ex.submit(abs, -i) for i in range(4)}
        results = set()
        while futs:
            done, futs = ex.wait_first(futs)
            results |= {f.result() for f in done}
        ex.close()
        assert results == {0, 1, 2, 3}
    finally:
        stop.set()


def test_inline_executor_and_map_runs_keep_order():
    ex = InlineExecutor()
    futs = [ex.submit(lambda x: x * 2, i) for i in range(3)]
    assert [f.result() for f in futs] == [0, 2, 4]
    assert map_runs(abs, [-3, 2, -1], workers=2) == [3, 2, 1]
