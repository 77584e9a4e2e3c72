"""Reports for the three readers of DOMAIN.md: finance, facilities and the platform team.

``publish_report(inputs, root=...)`` writes one run's HTML pages, CSV/JSON downloads and
plotly.js into ``root/<run slug>/`` atomically, points ``root/latest`` at it and rebuilds
``root/index.html``. The pieces:

- :mod:`~forecasting.report.inputs`: :class:`ReportInputs` and the frame contracts;
- :mod:`~forecasting.report.format`: numbers for people, escaping for HTML and plotly;
- :mod:`~forecasting.report.figures`: plotly figures with their takeaway sentences;
- :mod:`~forecasting.report.changes`: what changed in the triggers since the last run;
- :mod:`~forecasting.report.pages`: the HTML pages, one module per page, each filling a
  jinja2 template of ``templates/`` (autoescaped; one ``base.html``, ``report.css``);
- :mod:`~forecasting.report.publish`: folders, slugs, ``latest`` and the runs index.
"""

from forecasting.report.changes import CHANGES_SCHEMA, trigger_changes
from forecasting.report.inputs import (
    CONCENTRATION_SCHEMA,
    DRILL_ANSWERS_SCHEMA,
    DRILL_CURVES_SCHEMA,
    DRILL_KPI_CHANGES_SCHEMA,
    DRILL_KPIS_SCHEMA,
    DRILL_RUNGS_SCHEMA,
    DRILL_VARIANT_CURVES_SCHEMA,
    DRILL_VERDICTS_SCHEMA,
    DRIVERS_SCHEMA,
    IDLE_RISK_SCHEMA,
    MW_BY_SITE_SCHEMA,
    TRIGGERS_SCHEMA,
    ReportInputs,
)
from forecasting.report.publish import LATEST, PublishError, list_runs, publish_report, run_slug

__all__ = [
    "CHANGES_SCHEMA",
    "CONCENTRATION_SCHEMA",
    "DRILL_ANSWERS_SCHEMA",
    "DRILL_CURVES_SCHEMA",
    "DRILL_KPIS_SCHEMA",
    "DRILL_KPI_CHANGES_SCHEMA",
    "DRILL_RUNGS_SCHEMA",
    "DRILL_VARIANT_CURVES_SCHEMA",
    "DRILL_VERDICTS_SCHEMA",
    "DRIVERS_SCHEMA",
    "IDLE_RISK_SCHEMA",
    "LATEST",
    "MW_BY_SITE_SCHEMA",
    "TRIGGERS_SCHEMA",
    "PublishError",
    "ReportInputs",
    "list_runs",
    "publish_report",
    "run_slug",
    "trigger_changes",
]
