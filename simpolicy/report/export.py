"""Static figures for papers: every report figure as PNG and SVG via kaleido.

Kaleido 1.x drives a Chrome it finds on the machine; it must use the Chromium the project
installs (``make setup`` installs Debian's ``chromium``) and never download one, and its page
must not fetch MathJax from a CDN (the figures use no LaTeX), so both are set explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import plotly.graph_objects as go

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
WIDTH = 1000
SCALE = 2


class NoBrowser(RuntimeError):
    """No Chromium to render static figures with."""


def find_chromium() -> str:
    """``BROWSER_PATH`` if set (kaleido's own override), else the first Chromium on PATH."""
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).is_file():
        return env
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise NoBrowser("no Chromium found for static figures: install it with `make setup` "
                    "(Debian package chromium) or set BROWSER_PATH to a Chrome or Chromium binary")


def write_figures(figures: dict[str, go.Figure], folder: Path,
                  formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Writes each figure as ``<folder>/<id>.<format>`` in one browser session; returns the paths."""
    import kaleido

    folder.mkdir(parents=True, exist_ok=True)
    jobs, paths = [], []
    for fig_id, fig in figures.items():
        height = int(fig.layout.height or 500)
        for fmt in formats:
            path = folder / f"{fig_id}.{fmt}"
            jobs.append({"fig": fig, "path": str(path),
                         "opts": {"format": fmt, "width": WIDTH, "height": height,
                                  "scale": SCALE if fmt == "png" else 1}})
            paths.append(path)
    if not jobs:
        return []
    kaleido.write_fig_from_object_sync(jobs, kopts={"path": find_chromium(), "mathjax": False},
                                       cancel_on_error=True)
    missing = [p for p in paths if not p.is_file() or p.stat().st_size == 0]
    if missing:
        raise RuntimeError(f"kaleido wrote no image for {missing[0].name} ({len(missing)} missing)")
    return paths
