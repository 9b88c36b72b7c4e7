"""Forged and damaged manifests (issue 16, items 4 and 8).

- Script put into any text or number of a manifest, into its scheme labels, or into the
  parts' ``scenario`` and ``error`` columns never reaches the offline report unescaped;
  the report is written (exit 0) or refused with one line (exit 2), never a traceback.
- ``[]``, ``null``, JSON nested 100,000 deep, ``"counts": "abc"`` and friends: ``report``
  exits 2 with one line; the dashboard's studies list shows the bad one as unreadable and
  every other study as before.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.data import StudyStore
from simpolicy.cli.main import main

pytestmark = pytest.mark.timeout(300)
SCRIPT = '<script>alert("forged")</script>'
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("r") / "run"
    assert main(["run", "lithuania", "--reps", "2", "--years", "0.25", "--workers", "1",
                 "--out", str(out), "--json"]) == 0
    return out


def poison(v, key: str = ""):
    """Every text and number of a manifest replaced by script (the parts list kept)."""
    if isinstance(v, dict):
        return {k: poison(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [poison(x) for x in v]
    if isinstance(v, str | int | float) and not isinstance(v, bool):
        return SCRIPT
    return v


def rewrite_parts(d: Path, m: dict, **columns) -> None:
    """Sets columns of every part and records the new checksums, as a careful forger would."""
    for kind in ("parts", "timeseries"):
        df = pq.read_table(d / kind / "part-000000000.parquet").to_pandas()
        for k, v in columns.items():
            if k in df:
                df[k] = v
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink)
        data = sink.getvalue().to_pybytes()
        (d / kind / "part-000000000.parquet").write_bytes(data)
        m["parts"][kind][0]["sha256"] = hashlib.sha256(data).hexdigest()


def report(d: Path, tmp_path: Path, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    html = tmp_path / "r.html"
    rc = main(["report", str(d), "-o", str(html)])
    err = capsys.readouterr().err
    return rc, err, html.read_text() if rc == 0 else ""


def forged(run_dir: Path, tmp_path: Path) -> tuple[Path, dict]:
    d = tmp_path / "forged"
    shutil.copytree(run_dir, d)
    return d, json.loads((d / "manifest.json").read_text())


def test_script_in_every_manifest_value_is_never_inserted(run_dir, tmp_path, capsys):
    """Before: counts.runs and design.points_per_scenario went into the HTML as they were."""
    d, m = forged(run_dir, tmp_path)
    keep = {k: m.pop(k) for k in ("parts", "summary")}
    m = poison(m)
    m.update(keep, kind="study", design={"points_per_scenario": SCRIPT, "parameters": {"x": SCRIPT}})
    m["counts"] = {"runs": SCRIPT}
    rewrite_parts(d, m, error=SCRIPT, status="failed")
    (d / "manifest.json").write_text(json.dumps(m))
    rc, err, html = report(d, tmp_path, capsys)
    assert rc in (0, 2), err
    assert SCRIPT not in html and "Traceback" not in err
    if rc == 2:
        assert len(err.strip().splitlines()) == 1


def test_script_in_labels_and_run_columns_is_escaped(run_dir, tmp_path, capsys):
    d, m = forged(run_dir, tmp_path)
    for k in ("summary", "scenarios"):
        m[k] = {IMG: next(iter(m[k].values()))}
    m.update(study_id=IMG, command=IMG, created=IMG)
    rewrite_parts(d, m, scenario=IMG, error=IMG)
    (d / "manifest.json").write_text(json.dumps(m))
    rc, err, html = report(d, tmp_path, capsys)
    assert rc == 0, err
    assert IMG not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_script_in_the_stored_summary_is_refused(run_dir, tmp_path, capsys):
    d, m = forged(run_dir, tmp_path)
    m["summary"] = poison(m["summary"])
    (d / "manifest.json").write_text(json.dumps(m))
    rc, err, _ = report(d, tmp_path, capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "summary" in err


BAD_MANIFESTS = {
    "list": "[]", "null": "null", "number": "3", "text": '"abc"', "broken": '{"kind": ',
    "deep": "[" * 100_000 + "]" * 100_000, "deep_map": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "counts_text": '{"kind": "run", "counts": "abc"}', "design_list": '{"kind": "study", "design": []}',
    "summary_list": '{"kind": "compare", "summary": [1, 2]}', "parts_text": '{"kind": "run", "parts": "x"}',
    "parts_entry": '{"kind": "run", "parts": {"parts": [{"file": "../../x", "rows": 1, "sha256": "0"}]}}',
}


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS))
def test_report_on_a_bad_manifest_exits_2_with_one_line(name, tmp_path, capsys):
    d = tmp_path / name
    d.mkdir()
    (d / "manifest.json").write_text(BAD_MANIFESTS[name])
    rc, err, _ = report(d, tmp_path, capsys)
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_one_bad_manifest_does_not_take_down_the_studies_list(run_dir, tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    shutil.copytree(run_dir, root / "good")
    for name, text in BAD_MANIFESTS.items():
        (root / name).mkdir()
        (root / name / "manifest.json").write_text(text)
    store = StudyStore(root)
    listed = {s["id"]: s for s in store.list()}
    assert listed["good"]["kind"] == "run" and listed["good"]["runs"] == 2
    for name in ("list", "null", "deep", "broken"):
        assert listed[name]["kind"] == "unreadable" and "cannot be opened" in listed[name]["status"]
    assert listed["counts_text"]["runs"] == ""
    assert len(store.load("good")["runs"]) == 2
    for name in ("list", "deep", "parts_entry"):
        with pytest.raises(ValueError):
            store.load(name)


def test_specs_of_schemes_put_on_a_population_are_kept(tmp_path):
    """A stored spec named ``flanders@denmark_baseline`` still describes the scheme (and its
    country titles the report), while a forged spec is left out."""
    from simpolicy.experiments.compare import compare_scenarios
    from simpolicy.report.data import read
    from simpolicy.scenario.loader import load_scenario

    dk = load_scenario("denmark_baseline", ["horizon_years=0.25"])
    sc = load_scenario("lithuania", ["horizon_years=0.25"]).on_population(dk)
    out = compare_scenarios({sc.name: sc}, reps=1).save(tmp_path / "on_dk")
    assert read(out).specs[sc.name]["country"] == dk.country
