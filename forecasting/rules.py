"""Row validation shared by the file readers: the first rule a row breaks, as expressions."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["Check", "first_failure"]

# (column, rule, failing, value): ``failing`` is true on rows that break the rule, and
# ``value`` is what the refusal quotes back.
Check = tuple[str, str, pl.Expr, pl.Expr]


def first_failure(checks: Sequence[Check]) -> list[pl.Expr]:
    """(column, rule, value) of the first check a row fails, nulls when it passes all."""
    first = pl.coalesce(
        [pl.when(bad).then(pl.lit(i, pl.Int16)) for i, (_, _, bad, _) in enumerate(checks)]
    )
    value = pl.coalesce([pl.when(first == i).then(val) for i, (_, _, _, val) in enumerate(checks)])
    return [
        first.replace_strict(
            {i: c[0] for i, c in enumerate(checks)}, default=None, return_dtype=pl.String
        ).alias("column"),
        first.replace_strict(
            {i: c[1] for i, c in enumerate(checks)}, default=None, return_dtype=pl.String
        ).alias("rule"),
        pl.when(first.is_not_null()).then(value).alias("value"),
    ]
