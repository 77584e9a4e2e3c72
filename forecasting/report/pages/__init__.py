"""HTML pages for finance, facilities and the platform team, and the two index pages.

One module per page; each turns :class:`~forecasting.report.inputs.ReportInputs` into the
values its jinja2 template (``forecasting/report/templates``) lays out. ``base.html`` holds
the head, the Content-Security-Policy with its per-page nonce, the header and the figures
script; ``report.css`` is the one stylesheet. See :mod:`.common` for escaping and figures.

Every page's ``<body>`` carries ``data-figures``, the number of figures it draws, and every
figure a ``data-figure`` key, so a test can check that each one rendered.
"""

from forecasting.report.pages.common import PAGES, PLOTLY_JS
from forecasting.report.pages.facilities import facilities_page
from forecasting.report.pages.finance import finance_page
from forecasting.report.pages.index import RunEntry, run_index_page, runs_index_page
from forecasting.report.pages.platform import (
    busiest_blocks_text,
    drill_absorb_cost_text,
    drill_absorb_text,
    fmt_kpi,
    platform_page,
)

__all__ = [
    "PAGES",
    "PLOTLY_JS",
    "RunEntry",
    "busiest_blocks_text",
    "drill_absorb_cost_text",
    "drill_absorb_text",
    "facilities_page",
    "finance_page",
    "fmt_kpi",
    "platform_page",
    "run_index_page",
    "runs_index_page",
]
