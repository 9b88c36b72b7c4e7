"""The simpolicy dashboard: a Dash app to compare schemes, explore what-ifs and open studies.

Nothing is imported or loaded here, so worker processes that unpickle a job function and
``simpolicy`` itself never pay for Dash; ``create_app`` imports the app lazily.
"""

from __future__ import annotations


def create_app(*args, **kwargs):
    """Builds the Dash app (see ``dashboard.app.create_app``)."""
    from dashboard.app import create_app as _create

    return _create(*args, **kwargs)


__all__ = ["create_app"]
