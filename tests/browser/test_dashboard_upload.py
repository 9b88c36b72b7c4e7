"""Uploads on the scenario page: bad files get the CLI's located lines, good ones are described."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.pages import scenario as ids
from simpolicy.scenario.loader import scenario_dir


def _upload(page, path: Path) -> None:
    page.driver.find_element("css selector", f"#{ids.UPLOAD} input[type='file']").send_keys(str(path))


@pytest.mark.browser
def test_a_bad_upload_shows_the_same_lines_as_the_cli(page, tmp_path):
    bad = tmp_path / "bad.yaml"
    source = (scenario_dir() / "estonia.yaml").read_text()
    bad.write_text(source.replace("horizon_years", "horizon_yeers", 1))
    page.open("/scenario")
    _upload(page, bad)
    shown = page.wait_text(ids.RESULT, "bad.yaml:", timeout=30)
    exe = Path(sys.executable).with_name("simpolicy")
    cli = subprocess.run([str(exe), "validate", str(bad)], capture_output=True, text=True)
    assert cli.returncode == 2
    for line in cli.stderr.strip().splitlines():
        assert line.replace(str(bad), "bad.yaml") in shown, (line, shown)
    assert re.search(r"bad\.yaml:\d+: horizon_yeers: unknown field", shown)


@pytest.mark.browser
def test_a_yaml_tag_is_refused_and_executes_nothing(page, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text((scenario_dir() / "estonia.yaml").read_text()
                    + f"\nexploit: !!python/object/apply:os.system ['touch {marker}']\n")
    page.open("/scenario")
    _upload(page, evil)
    page.wait_text(ids.RESULT, "evil.yaml:", timeout=30)
    assert "not allowed" in page.text(ids.RESULT)
    assert not marker.exists()


@pytest.mark.browser
def test_a_too_large_upload_is_refused_in_the_browser(page, tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 120_000)
    page.open("/scenario")
    _upload(page, big)
    page.wait_text(ids.RESULT, "big.yaml:0: (top): file larger than 1000 kB", timeout=30)


@pytest.mark.browser
def test_a_good_upload_is_described_and_offered(page, tmp_path):
    good = tmp_path / "mine.yaml"
    good.write_text((scenario_dir() / "lithuania.yaml").read_text().replace(
        "name: lithuania", "name: my_lithuania", 1))
    page.open("/scenario")
    _upload(page, good)
    page.wait_text(ids.RESULT, "is valid", timeout=30)
    page.wait_text(ids.TEXT, "my_lithuania", timeout=30)
    assert "upload:my_lithuania" in page.text(ids.RESULT)
