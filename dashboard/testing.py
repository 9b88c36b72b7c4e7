"""Driving the dashboard in a real browser: start a server, open headless Chromium, read its console.

Shared by the browser tests (tests/browser/) and the benchmark (benchmarks/bench_dashboard.py)
so both measure the same thing the same way. Selenium is imported only here, lazily; it uses
Debian's chromium and chromedriver (no driver download).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", "--disable-extensions",
                 "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader")


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@dataclass
class Server:
    """A ``simpolicy dashboard`` subprocess on a free port of 127.0.0.1."""

    process: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def start_server(results: Path, env: dict[str, str] | None = None, workers: int = 1,
                 timeout: float = 60) -> Server:
    """Starts the dashboard as the CLI would and waits until its index answers."""
    port = free_port()
    exe = Path(sys.executable).with_name("simpolicy")
    start = [str(exe)] if exe.exists() else [sys.executable, "-m", "simpolicy.cli.main"]
    cmd = [*start, "dashboard", "--port", str(port), "--results", str(results), "--workers", str(workers)]
    log = Path(tempfile.mkstemp(prefix="dashboard-", suffix=".log")[1])
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=full_env,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                return Server(proc, url, log)
        except OSError:
            time.sleep(0.2)
    Server(proc, url, log).stop()
    raise RuntimeError(f"dashboard did not answer within {timeout} s: {log.read_text()[-2000:]}")


def chrome(download_dir: Path | None = None):
    """A headless Chromium driven by the system chromedriver, logging the browser console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    if found is None:
        raise RuntimeError("chromium and chromedriver are needed (Debian: chromium chromium-driver)")
    chromium, driver = found
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in CHROMIUM_ARGS:
        opts.add_argument(a)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-profile-')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if download_dir is not None:
        opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                               "download.prompt_for_download": False})
    os.environ.setdefault("SE_AVOID_STATS", "true")
    return webdriver.Chrome(service=Service(executable_path=driver), options=opts)


def severe_logs(driver) -> list[dict]:
    """Console entries at SEVERE level since the last call (reading drains the log)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


PENDING_JS = """
if (!window.store) { return -1; }
var state = window.store.getState();
if (state.pendingCallbacks) { return state.pendingCallbacks.length; }
var cbs = Object.assign({}, state.callbacks);
delete cbs.stored; delete cbs.completed;
return [].concat.apply([], Object.values(cbs)).length;
"""


def pending_callbacks(driver) -> int:
    """Callbacks the Dash renderer has requested or is applying (-1 before Dash has started)."""
    return driver.execute_script(PENDING_JS)


def trace_names(driver, graph_id: str) -> list[str]:
    """Names of the traces drawn in a ``dcc.Graph`` (empty until plotly has drawn it)."""
    return driver.execute_script(
        "var g = document.getElementById(arguments[0]);"
        "var p = g && g.querySelector('.js-plotly-plot');"
        "return p && p.data ? p.data.map(function (t) { return t.name || ''; }) : [];", graph_id) or []


def wait_for(predicate, timeout: float = 30, interval: float = 0.05, message: str = "condition"):
    """Polls until predicate() is truthy; returns its value or raises TimeoutError."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)
