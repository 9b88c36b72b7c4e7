"""Polling a background job without starving the drawing: a cheap poll, then a separate draw.

Why two callbacks: the Dash renderer drops a callback's answer when the same callback was
triggered again before it returned. If one callback both polled (every few hundred ms) and
drew figures (slower on a busy machine), every drawing would be overtaken by the next tick
and never shown. Here the timer only triggers ``status`` (milliseconds) and a "news" stamp
is emitted only when the previous drawing has arrived, or when the job ends; the page's
draw callback listens to that stamp, so drawings are never overtaken by the timer.
"""

from __future__ import annotations

import time

from dash import Input, Output, State, no_update

from .components import progress
from .jobs import RUNNING

MIN_REDRAW_S = 2.0  # while a job runs, redraw at most this often (the final drawing is at once)


def next_news(job: str | None, status, news: str | None, drawn: str | None,
              now: float | None = None, min_gap: float = MIN_REDRAW_S) -> tuple[bool, str | None]:
    """(finished, stamp to announce or None) for one poll: the back-pressure rule, pure.

    A stamp is ``job:version@time``. A new one is announced when the job is new or has
    finished, or when the last drawing has arrived and ``min_gap`` seconds have passed since
    it was announced: drawing every finished run would keep a core busy with figures that
    the simulations need (on two cores, drawing after every run delayed a national what-if's
    final chart by about half). Nor is a drawing announced when the job should end within
    half the gap (``JobStatus.eta``): the final drawing would replace it at once, and
    drawing it took the CPU the last runs and the final drawing needed.
    """
    if status is None:
        return True, None
    state, version, eta = status.state, status.version, status.eta
    finished = state != RUNNING
    stamp = f"{job}:{version}"
    last, _, at = (news or "").partition("@")
    if stamp == last:
        return finished, None
    now = time.monotonic() if now is None else now
    other_job = news is None or not last.startswith(f"{job}:")
    ends_soon = eta is not None and eta < min_gap / 2
    settled = drawn == news and now - float(at or 0.0) >= min_gap and not ends_soon
    if finished or other_job or settled:
        return finished, f"{stamp}@{now:.3f}"
    return finished, None  # the last drawing is on its way, or was announced a moment ago


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
        line = progress(status.done, status.total, status.state, status.elapsed)
        return line, finished, stamp if stamp else no_update


def register_cancel(app, ctx, cancel_id: str, job_id: str) -> None:
    """The page's Cancel button: stops the page's job (queued runs and the running one)."""

    @app.callback(Input(cancel_id, "n_clicks"), State(job_id, "data"), prevent_initial_call=True)
    def _cancel(_n, job):
        if job:
            ctx.jobs.cancel(job)
