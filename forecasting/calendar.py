"""Calendar arithmetic of the plan's monthly grain: one rule for a month's last day, which
the headline, the N+1 lines, the plan's end, the contract book and the what-if each wrote
out on their own."""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["month_end"]


def month_end(day: date) -> date:
    """The last day of ``day``'s month: a monthly row stands for any day of it."""
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
