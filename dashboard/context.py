"""What every page gets: settings, scenarios, studies and the background job registry.

Built once by ``create_app`` and passed to each page's ``layout`` and ``register``; there is
no module-level singleton, so tests can build several apps in one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import DashboardConfig
from .data import Catalogue, StudyStore
from .jobs import JobRegistry
from .schemes_store import SCHEMES_DIR, SchemeStore


@dataclass
class AppContext:
    """The dashboard's shared services (one per app)."""

    config: DashboardConfig
    catalogue: Catalogue
    studies: StudyStore
    jobs: JobRegistry

    @classmethod
    def build(cls, config: DashboardConfig) -> AppContext:
        saved = SchemeStore(Path(config.results_dir) / SCHEMES_DIR)  # the builder's saved schemes
        return cls(config, Catalogue(saved), StudyStore(config.results_dir), JobRegistry(config.workers))
