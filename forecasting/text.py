"""Lists of names and sums of money as text, for every layer: the pages and the CLI say them
alike (the report package re-exports them as ``fmt_listed`` and ``fmt_usd``; the drills, the
growth models and the CLI call them here)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["listed", "usd"]


def listed(names: Sequence[str], *, most: int = 6) -> str:
    """``a, b, c``, or the first ``most`` and how many more: ``a, b, c and 4 more``."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def usd(value: float) -> str:
    """Money in millions from $1M up (``$42.0M``), in thousands below (``$850k``), else whole
    dollars: the CLI printed ``$0.0M`` for a $40k order and ``$110.45M`` beside the page's
    ``$110.4M``."""
    sign, size = ("-" if value < 0 else ""), abs(value)
    if size >= 1e6:
        return f"{sign}${size / 1e6:,.1f}M"
    if size >= 1e3:
        return f"{sign}${size / 1e3:,.0f}k"
    return f"{sign}${size:,.0f}"
