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
    values = frame[value].cast(pl.Float64).to_numpy()
    # The keys coded as one integer in their sort order: a sort by it and the value is the sort
    # by the keys and the value, without comparing strings (a polars sort of the 36-month
    # plan's 2.7 million customer path rows took 1.4 s on the demo fleet; this takes 0.4 s).
    code = np.zeros(frame.height, dtype=np.int64)
    for key in keys:
        levels = frame[key].unique().sort()
        if code.size and int(code.max()) >= (1 << 62) // max(levels.len(), 1):
            code = np.unique(code, return_inverse=True)[1].astype(np.int64)
        at = frame[key].replace_strict(levels, pl.int_range(levels.len(), eager=True))
        code = code * levels.len() + at.cast(pl.Int64).to_numpy()
    # ``np.lexsort((values, code))`` in two stable passes: the same order, in half the time
    # (0.3 s against 0.6 s on the 2.7 million rows above; an integer stable sort is a radix sort).
    by_value = np.argsort(values, kind="stable")
    order = by_value[np.argsort(code[by_value], kind="stable")]
    code, values = code[order], values[order]
    starts = np.flatnonzero(np.diff(code, prepend=-1)) if code.size else np.zeros(0, np.int64)
    totals = np.add.reduceat(values, starts) if starts.size else np.zeros(0)
    return (
        frame[order[starts]]
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
