"""Float sums per group that come out bit for bit the same whatever order the rows arrive in.

Floating-point addition is not associative, and a multi-threaded group-by adds each group's
rows in the order its threads meet them, which changes from run to run: a drill's day shapes
moved in the last bits between reruns (its float32 curves by a step), and customers' mean
forecasts by an ulp. Where a sum feeds something stored or compared, it goes through here.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["exact_sum", "group_sums"]


def group_sums(frame: pl.DataFrame, keys: list[str], value: str) -> pl.DataFrame:
    """``keys``, the sum of ``value`` over each group's rows, and the group's row count
    (``rows``), one row per group sorted by the keys.

    The rows are sorted by the keys and the value, so one order remains whatever the input's
    (rows that tie on every sort column add the same number), and numpy adds each group's
    slice in it.
    """
    ordered = frame.select(*keys, value).sort([*keys, value])
    starts = np.flatnonzero(ordered.select(pl.struct(keys).is_first_distinct()).to_series())
    values = ordered[value].cast(pl.Float64).to_numpy()
    totals = np.add.reduceat(values, starts) if starts.size else np.zeros(0)
    return (
        ordered[starts]
        .select(keys)
        .with_columns(
            pl.Series(value, totals, dtype=pl.Float64),
            pl.Series("rows", np.diff(np.append(starts, values.size)), dtype=pl.Int64),
        )
    )


def exact_sum(values: pl.Expr, *, scale: float = 1_000_000) -> pl.Expr:
    """The sum of ``values`` to a ``1 / scale`` (a millionth of a GPU by default), the same
    whatever order a parallel group-by meets them in: integer addition is associative. (A sort
    before a float sum does not do it: the optimiser drops the sort.) NaN reads as nothing."""
    return (values * scale).round().cast(pl.Int64, strict=False).sum() / scale
