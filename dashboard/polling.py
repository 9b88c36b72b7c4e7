"""Polling a background job without starving the drawing: a cheap poll, then a separate draw.

Why two callbacks: the Dash renderer drops a callback's answer when the same callback was
triggered again before it returned. If one callback both polled (every few hundred ms) and
drew figures (slower on a busy machine), every drawing would be overtaken by the next tick
and never shown. Here the timer only triggers ``status`` (milliseconds) and a "news" stamp
is emitted only when the previous drawing has arrived, or when the job ends; the page's
draw callback listens to that stamp, so drawings are never overtaken by the timer.
"""

from __future__ import annotations

from dash import Input, Output, State, no_update

from .components import progress
from .jobs import RUNNING


def next_news(job: str | None, status, news: str | None, drawn: str | None) -> tuple[bool, str | None]:
    """(finished, stamp to announce or None) for one poll: the back-pressure rule, pure."""
    if status is None:
        return True, None
    state, _done, _total, version, _elapsed = status
    finished = state != RUNNING
    stamp = f"{job}:{version}"
    if stamp == news:
        return finished, None
    other_job = news is None or not news.startswith(f"{job}:")
    if finished or other_job or drawn == news:
        return finished, stamp
    return finished, None  # the last drawing is still on its way: let it arrive first


def register_poll(app, ctx, poll_id: str, job_id: str, news_id: str, drawn_id: str, progress_id: str) -> None:
    """The page's poll: progress line, timer on/off, and news for the draw callback."""

    @app.callback(Output(progress_id, "children"), Output(poll_id, "disabled"), Output(news_id, "data"),
                  Input(poll_id, "n_intervals"), State(job_id, "data"), State(news_id, "data"),
                  State(drawn_id, "data"))
    def _poll(_n, job, news, drawn):
        status = ctx.jobs.status(job) if job else None
        finished, stamp = next_news(job, status, news, drawn)
        if status is None:
            return None, True, no_update
        state, done, total, _version, elapsed = status
        return progress(done, total, state, elapsed), finished, stamp if stamp else no_update
