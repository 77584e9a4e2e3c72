"""Numbers and names as people read them, and names made safe for HTML and for plotly.

Two escapes, because there are two renderers:

- :func:`html_text` for page HTML (text and attribute values);
- :func:`plot_text` for anything that reaches a plotly figure (titles, trace names, tick
  labels, hover text). plotly.js renders a subset of HTML in those strings and typesets
  ``$...$`` with MathJax when a page has it, so ``<``, ``>``, ``&`` become entities and ``$``
  becomes ``&#36;``; plotly decodes numeric entities when it draws, so the reader sees the
  name exactly as it is in the data.

Every formatter takes ``None`` and NaN and returns :data:`MISSING`, so a table cell never says
"None" or "nan".
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime, timedelta

from markupsafe import escape as escape_html

from forecasting.schema import SHORT_ALREADY
from forecasting.text import days_count, megawatts, usd
from forecasting.text import listed as fmt_listed

__all__ = [
    "MISSING",
    "NOT_MEASURED",
    "UNVERIFIED_MARK",
    "fmt_count",
    "fmt_date",
    "fmt_datetime",
    "fmt_day_or_month",
    "fmt_days",
    "fmt_exhaustion",
    "fmt_gpu_hours",
    "fmt_gpus",
    "fmt_hhi",
    "fmt_hours",
    "fmt_lateness",
    "fmt_listed",
    "fmt_multiplier",
    "fmt_mw",
    "fmt_pct",
    "fmt_usd",
    "html_text",
    "plot_text",
]

MISSING = "–"
# The marker a status cell carries where its date lies past the verified days; the table says
# why once, under it (report.inputs.unverified_note). The ~35-word reason ("the last day the
# backtests held the q90, which 52 weeks out ...") repeated in every red and amber cell.
UNVERIFIED_MARK = "†"
# A stored figure that is not a finite number: no measurement, never "$infM".
NOT_MEASURED = "not measured"


def _number(value: float | int | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    # An infinite figure printed "$infM"; neither it nor NaN is a measurement.
    return number if math.isfinite(number) else None


def _shown(number: float, digits: int) -> float:
    """``number`` as shown to ``digits`` decimals, without a sign where that shows zero: a
    drill increment of -0.4 GPU-h printed "-0 GPU-h", a loss the same cell calls nothing."""
    return 0.0 if round(number, digits) == 0 else number


def fmt_gpus(value: float | int | None) -> str:
    """GPUs as a whole number with thousands separators: ``12,345``."""
    number = _number(value)
    return MISSING if number is None else f"{_shown(number, 0):,.0f}"


def fmt_count(value: float | int | None) -> str:
    """A count of things (blocks, runs) with thousands separators."""
    return fmt_gpus(value)


def fmt_mw(value: float | int | None) -> str:
    """Facility power to a tenth of a megawatt: ``12.3 MW`` (``under 0.1 MW`` for a figure
    above zero that rounds to nothing, :func:`forecasting.text.megawatts`)."""
    number = _number(value)
    return MISSING if number is None else megawatts(number)


def fmt_usd(value: float | int | None) -> str:
    """Money in millions from $1M up (``$42.0M``), in thousands below (``$850k``)."""
    number = _number(value)
    return MISSING if number is None else usd(number)


def fmt_pct(share: float | int | None, *, digits: int = 1) -> str:
    """A share of one (0..1) as a percentage: ``0.947`` -> ``94.7%``."""
    number = _number(share)
    return MISSING if number is None else f"{_shown(number * 100, digits):,.{digits}f}%"


def fmt_hhi(value: float | int | None) -> str:
    """The Herfindahl-Hirschman index on its 0..10,000 scale."""
    return fmt_gpus(value)


def fmt_hours(value: float | int | None) -> str:
    """A duration in hours: ``36.5 h``."""
    number = _number(value)
    return MISSING if number is None else f"{_shown(number, 1):,.1f} h"


def fmt_gpu_hours(value: float | int | None) -> str:
    """An amount of GPU time: ``12,345 GPU-h``."""
    number = _number(value)
    return MISSING if number is None else f"{_shown(number, 0):,.0f} GPU-h"


def fmt_days(value: int | None) -> str:
    """A signed shift in days: ``+14 d``, ``-3 d``, ``0 d``."""
    return MISSING if value is None else f"{value:+d} d" if value else "0 d"


def fmt_multiplier(value: float | int | None) -> str:
    """A shock multiplier: ``2.40×`` (two decimals: breaking points sit near 1.0×)."""
    number = _number(value)
    return MISSING if number is None else f"{number:,.2f}×"


def fmt_date(value: date | None) -> str:
    """A calendar date, ISO order so it sorts and reads the same everywhere."""
    if value is None:
        return MISSING
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def fmt_day_or_month(value: date | None, *, daily_end: date | None) -> str:
    """A date, or its month ("Oct 2029") past ``daily_end``: a plan's monthly rows stand on
    their month's first day, which would read as a measured date."""
    if value is not None and daily_end is not None and value > daily_end:
        return f"{value:%b %Y}"
    return fmt_date(value)


def fmt_exhaustion(value: date | None, *, daily_end: date | None, as_of: date | None) -> str:
    """A pool's exhaustion as :func:`fmt_day_or_month` says it, and on the first day forecast
    (the day after ``as_of``, or before) "(the first forecast day: short already)": a pool
    short from the start read a date like any other beside an order-by months late."""
    text = fmt_day_or_month(value, daily_end=daily_end)
    if value is not None and as_of is not None and value <= as_of + timedelta(days=1):
        return f"{text} ({SHORT_ALREADY})"
    return text


def fmt_lateness(day: date, as_of: date, *, today: date | None = None) -> str | None:
    """How late a "by" date is when it came before ``as_of`` (None when it did not): "65 days
    ago: late", counted from the as-of date, the day the plan stands on. A report of a past
    as-of date (``today``, the day it was generated, more than a day later) says so: "110 days
    ago" on a run as of 2026-11-15 read as if counted from the day it was read."""
    late = (as_of - day).days
    if late <= 0:
        return None
    if today is not None and (today - as_of).days > 1:
        return f"{days_count(late)} before the as-of date {fmt_date(as_of)}: late"
    return f"{days_count(late)} ago: late"


def fmt_datetime(value: datetime | None) -> str:
    """A timestamp to the minute, with its zone when it has one."""
    if value is None:
        return MISSING
    zone = value.strftime(" %Z") if value.tzinfo is not None else ""
    return value.strftime("%Y-%m-%d %H:%M") + zone


def html_text(value: object) -> str:
    """Any value as text that HTML shows literally, in element content or a quoted attribute.

    The same escape the page templates apply (markupsafe's), so a test can look for it.
    """
    return str(escape_html("" if value is None else str(value)))


def plot_text(value: object) -> str:
    """Any value as text that plotly.js draws literally: no markup, no MathJax."""
    return html.escape("" if value is None else str(value), quote=False).replace("$", "&#36;")
