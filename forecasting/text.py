"""Lists of names as one line of a message or a page, for every layer (the report package
re-exports it as ``fmt_listed``; the drills, the growth models and the CLI call it here)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["listed"]


def listed(names: Sequence[str], *, most: int = 6) -> str:
    """``a, b, c``, or the first ``most`` and how many more: ``a, b, c and 4 more``."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
