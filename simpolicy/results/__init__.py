"""The results store: manifest.json plus append-only Parquet parts (see store.py)."""

from simpolicy.results.store import load

__all__ = ["load"]
