"""Results that cannot be lost, mixed or forged (issue 16, items 1-4 and 8).

- Runs started together get folders of their own (unique id, made exclusively).
- ``--out`` into a folder that holds something (a study, another run, anyone's files) is
  refused with one line and exit 2, before any simulation; ``--force`` replaces a previous
  result and leaves other files alone.
- The manifest lists its parts (rows, SHA-256); readers take exactly those: a sync tool's
  copy ``part-000000000 (1).parquet`` is named as foreign and not counted, a changed part is
  named as damaged; a folder from before the list still reads (with a note).
- A study killed between a part and its manifest adopts the part on ``--resume``; a
  foreign part that repeats stored runs is refused.
- Paths from a manifest never leave the folder; a ``parts`` symlink out is refused; a part
  whose metadata promises millions of rows is refused before it is decoded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_sweep_support import _env, cli, digest, write_spec

from simpolicy.cli.main import main
from simpolicy.experiments.study import plan_study, run_study
from simpolicy.results import load
from simpolicy.results.claim import new_folder
from simpolicy.results.listing import ResultsError, ResultsWarning

pytestmark = pytest.mark.timeout(300)
RUN = ["run", "lithuania", "--reps", "2", "--years", "0.25", "--workers", "1"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("r") / "run"
    assert main([*RUN, "--out", str(out), "--json"]) == 0
    return out


def fresh(run_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(run_dir, dst)
    return dst


def manifest(d: Path) -> dict:
    return json.loads((d / "manifest.json").read_text())


# --- 1. folders that never collide -------------------------------------------------------

def test_runs_started_together_get_folders_of_their_own(tmp_path):
    """Before: ``run-<scenario>-<second>``; four runs in one second shared one folder."""
    rates = ("0.5", "0.7", "0.9")
    procs = [subprocess.Popen([sys.executable, "-m", "simpolicy.cli.main", *RUN, "--set",
                               f"scheme.instruments.pcp_lt.rate={r}"], cwd=tmp_path, env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for r in rates]
    for p in procs:
        assert p.wait(timeout=240) == 0, p.stderr.read()
    folders = sorted((tmp_path / "results").iterdir())
    assert len(folders) == 3
    seen = set()
    for d in folders:
        m = manifest(d)
        rate = m["scenarios"]["lithuania"]["spec"]["scheme"]["instruments"]
        rate = next(i["rate"] for i in rate if i["id"] == "pcp_lt")
        seen.add(rate)
        assert f"rate={rate}" in m["command"]  # the manifest sits over its own parts
        assert len(load(d)["runs"]) == 2
    assert seen == {0.5, 0.7, 0.9}


def test_new_folder_is_unique_within_one_second(tmp_path):
    names = {new_folder(tmp_path, "run-x").name for _ in range(200)}
    assert len(names) == 200


def test_out_into_a_study_is_refused_and_the_study_kept(tmp_path, capsys):
    study = tmp_path / "study"
    run_study(plan_study(write_spec(tmp_path, "s", reps=1, years=0.25)), study, workers=1,
              notify=lambda m: None)
    before = {p.name: p.read_bytes() for p in study.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main([*RUN, "--out", str(study)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already holds a study" in err[0] and "--force" in err[0]
    assert {p.name: p.read_bytes() for p in study.rglob("*") if p.is_file()} == before


def test_out_into_foreign_files_is_refused_force_writes_beside_them(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main([*RUN, "--out", str(out)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert main([*RUN, "--out", str(out), "--force"]) == 0
    assert (out / "notes.txt").read_text() == "keep me"
    assert len(load(out)["runs"]) == 2


def test_force_replaces_a_previous_run_without_mixing(run_dir, tmp_path):
    d = fresh(run_dir, tmp_path)
    assert main([*RUN[:3], "3", *RUN[4:], "--out", str(d)]) == 2
    assert main([*RUN[:3], "3", *RUN[4:], "--out", str(d), "--force"]) == 0
    data = load(d)
    assert len(data["runs"]) == 3 and data["manifest"]["reps"] == 3


def test_empty_out_folder_is_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main([*RUN, "--out", str(out)]) == 0
    assert len(load(out)["runs"]) == 2


# --- 1. exactly the listed parts -----------------------------------------------------------

def test_manifest_lists_parts_with_rows_and_checksums(run_dir):
    m = manifest(run_dir)
    (e,) = m["parts"]["parts"]
    assert e["file"] == "part-000000000.parquet" and e["rows"] == 2 and len(e["sha256"]) == 64


def test_a_copied_part_is_named_as_foreign_and_not_counted(run_dir, tmp_path, capsys):
    """Before: ``load`` read by glob and returned each run twice."""
    d = fresh(run_dir, tmp_path)
    shutil.copy(d / "parts" / "part-000000000.parquet", d / "parts" / "part-000000000 (1).parquet")
    with pytest.warns(ResultsWarning, match=r"part-000000000 \(1\)\.parquet: foreign"):
        data = load(d)
    assert len(data["runs"]) == 2 and not data["runs"]["run_id"].duplicated().any()
    capsys.readouterr()
    assert main(["report", str(d), "-o", str(tmp_path / "r.html")]) == 0
    assert "part-000000000 (1).parquet: foreign" in capsys.readouterr().err


def test_a_changed_part_is_named_as_damaged(run_dir, tmp_path, capsys):
    d = fresh(run_dir, tmp_path)
    t = pq.read_table(d / "parts" / "part-000000000.parquet")
    pq.write_table(t.slice(0, 1), d / "parts" / "part-000000000.parquet")  # a valid file, other rows
    with pytest.raises(ResultsError, match="part-000000000.parquet: damaged"):
        load(d)
    capsys.readouterr()
    assert main(["report", str(d), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "damaged" in err[0]


def test_a_listed_part_that_is_missing_is_an_error(run_dir, tmp_path):
    d = fresh(run_dir, tmp_path)
    (d / "timeseries" / "part-000000000.parquet").unlink()
    with pytest.raises(ResultsError, match="missing"):
        load(d)


def test_a_folder_without_a_parts_list_still_reads_strict_names_only(run_dir, tmp_path):
    d = fresh(run_dir, tmp_path)
    m = manifest(d)
    del m["parts"]
    (d / "manifest.json").write_text(json.dumps(m))
    shutil.copy(d / "parts" / "part-000000000.parquet", d / "parts" / "part-000000000 (1).parquet")
    with pytest.warns(ResultsWarning) as w:
        data = load(d)
    assert len(data["runs"]) == 2
    text = " ".join(str(x.message) for x in w)
    assert "lists no parts" in text and "(1).parquet: foreign" in text


def test_resume_adopts_a_part_written_just_before_a_kill(tmp_path):
    spec = write_spec(tmp_path, "adopt", reps=2, years=0.25)
    full, cut = tmp_path / "full", tmp_path / "cut"
    run_study(plan_study(spec), full, workers=1, batch_size=1, notify=lambda m: None)
    run_study(plan_study(spec), cut, workers=1, batch_size=1, notify=lambda m: None)
    m = manifest(cut)  # the kill came after the last part's rename, before its manifest write
    m["parts"]["parts"] = m["parts"]["parts"][:-1]
    m["counts"]["runs"] -= 1
    m["status"] = "running"
    (cut / "manifest.json").write_text(json.dumps(m))
    notes = []
    res = run_study(plan_study(spec), cut, workers=1, resume=True, notify=notes.append)
    assert res.complete and res.new_runs == 0
    assert any("adopted" in n for n in notes)
    assert digest(cut) == digest(full)


def test_resume_refuses_a_strictly_named_part_of_repeated_runs(tmp_path):
    spec = write_spec(tmp_path, "dup", reps=2, years=0.25)
    cut = tmp_path / "cut"
    run_study(plan_study(spec), cut, workers=1, batch_size=1, notify=lambda m: None)
    shutil.copy(cut / "parts" / "part-000000000.parquet", cut / "parts" / "part-000000099.parquet")
    r = cli("sweep", spec, "--out", cut, "--resume", "--workers", "1")
    assert r.returncode == 2, r.stderr
    assert "part-000000099.parquet" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# --- 2. paths never leave the folder; 4. sizes checked before decoding ------------------------

def test_listed_paths_outside_the_folder_are_refused(run_dir, tmp_path):
    for bad in ("../../secret.parquet", "/etc/passwd", "..", "a/b.parquet"):
        d = fresh(run_dir, tmp_path / bad.replace("/", "_"))
        m = manifest(d)
        m["parts"]["parts"][0]["file"] = bad
        (d / "manifest.json").write_text(json.dumps(m))
        with pytest.raises(ResultsError, match="refused"):
            load(d)


def test_a_parts_symlink_out_of_the_folder_is_refused(run_dir, tmp_path):
    d = fresh(run_dir, tmp_path)
    outside = tmp_path / "outside"
    shutil.move(d / "parts", outside)
    (d / "parts").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ResultsError, match="symlink"):
        load(d)
    assert main(["report", str(d), "-o", str(tmp_path / "r.html")]) == 2


def test_a_part_promising_millions_of_rows_is_refused_before_decoding(run_dir, tmp_path):
    d = fresh(run_dir, tmp_path)
    path = d / "parts" / "part-000000000.parquet"
    pq.write_table(pa.table({"run_id": np.zeros(2_000_001, dtype=np.int8)}), path)
    assert path.stat().st_size < 100_000  # small on disk, huge in memory
    m = manifest(d)
    m["parts"]["parts"] = []
    del m["parts"]  # even the fallback for old folders checks the count
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.warns(ResultsWarning), pytest.raises(ResultsError, match="2,000,001 rows"):
        load(d)


def test_report_never_reads_a_scenario_path_from_the_manifest(run_dir, tmp_path):
    d = fresh(run_dir, tmp_path)
    secret = tmp_path / "secret.yaml"
    shutil.copy(Path(__file__).parents[1] / "scenarios" / "lithuania.yaml", secret)
    m = manifest(d)
    m["scenarios"] = {"lithuania": {"name": str(secret)}}
    (d / "manifest.json").write_text(json.dumps(m))
    from simpolicy.report.data import read

    assert read(d).specs == {}
