"""Analysis: pure functions from results (tidy DataFrames, summary dicts) to tables and figures.

Nothing here runs the model or reads files: the report and the dashboard both call these
builders on what ``simpolicy.results.store.load`` returns, so the two never drift apart.
"""

from simpolicy.analysis.figures import (
    difference_chart,
    outcome_intervals,
    scheme_colours,
    timeseries_bands,
)
from simpolicy.analysis.tables import band_frame, summary_frame

__all__ = ["band_frame", "difference_chart", "outcome_intervals", "scheme_colours",
           "summary_frame", "timeseries_bands"]
