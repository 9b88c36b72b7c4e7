"""Fixtures for driving the dashboard in headless Chromium.

One dashboard server (a real ``simpolicy dashboard`` subprocess) and one browser serve the
whole session: starting them takes seconds, the tests take less. Runs are kept tiny with
the dashboard's test settings (2 replications, 1-year horizon). Each test gets a ``page``
that starts from a clean session, fails on any SEVERE browser console entry, and leaves a
screenshot in tests/screenshots/ when the test fails.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard import testing

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
TEST_ENV = {"SIMPOLICY_DASH_REPS": "2", "SIMPOLICY_DASH_YEARS": "1", "SIMPOLICY_DASH_POLL_MS": "200"}
SWEEP = """name: tiny_study
scenarios: [estonia]
design: morris
samples: 2
replications: 1
base_seed: 1
parameters:
  horizon_years: {levels: [1]}
  scheme.instruments.innovation_procurement_grant.rate: {low: 0.3, high: 0.9}
  behaviour.risk_aversion: {low: 0.5, high: 3}
"""

GRID = """name: tiny_grid
scenarios: [denmark_copi_proposal]
design: grid
replications: 2
base_seed: 1
fixed:
  horizon_years: 2
parameters:
  scheme.instruments.value_chain.rate: {levels: [0.3, 0.7]}
  scheme.instruments.value_chain.annual_budget_eur: {levels: [600000, 2400000]}
"""


def _browser_available() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if testing.find_browser() is None:
        return "chromium and chromedriver are not installed (make system-deps)"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures know whether it failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(scope="session")
def browser_ok() -> None:
    """Skips the browser tests, with the reason, on a machine without Chromium or selenium."""
    reason = _browser_available()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def results_dir(browser_ok, tmp_path_factory) -> Path:
    """A results folder with a tiny sweep (with sensitivity indices), a tiny comparison and,
    one folder down as the demo writes them, a 2 x 2 grid study."""
    root = tmp_path_factory.mktemp("results")
    exe = Path(sys.executable).with_name("simpolicy")
    for name, text, out in (("tiny_study", SWEEP, root / "tiny_study"),
                            ("tiny_grid", GRID, root / "nested" / "tiny_grid")):
        spec = root.parent / f"{name}.yaml"
        spec.write_text(text)
        r = subprocess.run([str(exe), "sweep", str(spec), "--workers", "1", "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"the sweep {name} failed: {r.stderr[-1500:]}")
    from simpolicy import load_scenario
    from simpolicy.experiments.compare import compare_scenarios

    scenarios = {n: load_scenario(n, {"horizon_years": 1}) for n in ("estonia", "lithuania")}
    compare_scenarios(scenarios, reps=2, seed=0).save(root / "tiny_compare")
    return root


@pytest.fixture(scope="session")
def server(results_dir):
    srv = testing.start_server(results_dir, TEST_ENV, workers=2)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def driver(server, downloads):
    d = testing.chrome(downloads)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


class Page:
    """The browser on the dashboard, with the waits the tests need."""

    def __init__(self, driver, url: str):
        self.driver, self.url = driver, url

    def open(self, path: str) -> Page:
        self.driver.get(self.url + path)
        testing.wait_for(lambda: self.driver.find_elements("css selector", "#page .page"), 30,
                         message=f"page {path} to render")
        self.settle()
        return self

    def settle(self, timeout: float = 30) -> None:
        """Waits until the Dash renderer has no callback in flight, twice in a row."""
        def idle():
            return testing.pending_callbacks(self.driver) == 0
        for _ in range(2):
            testing.wait_for(idle, timeout, message="callbacks to finish")
            time.sleep(0.15)

    def text(self, element_id: str) -> str:
        found = self.driver.find_elements("id", element_id)
        return found[0].text if found else ""

    def wait_text(self, element_id: str, needle: str, timeout: float = 60) -> str:
        return testing.wait_for(lambda: needle in self.text(element_id) and self.text(element_id), timeout,
                                message=f"'{needle}' in #{element_id} (now: {self.text(element_id)[:200]!r})")

    def click(self, element_id: str) -> None:
        self.driver.find_element("id", element_id).click()

    def traces(self, graph_id: str) -> list[str]:
        return testing.trace_names(self.driver, graph_id)

    def wait_traces(self, graph_id: str, names: list[str], timeout: float = 60) -> list[str]:
        """Waits until a figure has traces with all these names; returns every trace name."""
        def drawn():
            now = self.traces(graph_id)
            return all(n in now for n in names) and now
        return testing.wait_for(drawn, timeout, message=f"traces {names} in #{graph_id}")

    def trace_types(self, graph_id: str) -> list[str]:
        return self.driver.execute_script(
            "var p = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');"
            "return p && p.data ? p.data.map(function (t) { return t.type || 'scatter'; }) : [];",
            graph_id) or []


@pytest.fixture
def page(request, driver, server):
    """A clean session in the shared browser; fails the test on a SEVERE console entry."""
    driver.get(server.url + "/no-such-page")
    driver.execute_script("window.sessionStorage.clear(); window.localStorage.clear();")
    testing.severe_logs(driver)  # drain what came before this test
    p = Page(driver, server.url)
    yield p
    severe = testing.severe_logs(driver)
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed or severe:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"{request.node.name}.png"))
    assert not severe, f"browser console errors: {[e['message'][:300] for e in severe]}"
