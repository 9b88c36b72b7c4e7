"""``simpolicy report``: an offline HTML report of a run, a comparison or a study.

The public entry point is `build_report`; the sections live in one module each (front,
results, study, back), the page shell in ``html`` and the static figure export in ``export``.
"""

from simpolicy.report.build import Report, build_report
from simpolicy.report.data import NotResults

__all__ = ["NotResults", "Report", "build_report"]
