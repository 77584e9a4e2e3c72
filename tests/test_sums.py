"""Float sums per group are the same bits whatever order the rows come in (forecasting.sums)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from forecasting.sums import group_sums


def _frame(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """Rows of three keys (a string with nulls, a date, an int) and float values."""
    return pl.DataFrame(
        {
            "uid": pl.Series(
                list(rng.choice(np.array(["a", "bb", "c/d", None], dtype=object), n)),
                dtype=pl.String,
            ),
            "ds": [date(2026, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 40, n)],
            "k": rng.integers(-3, 3, n),
            "y": rng.lognormal(0.0, 3.0, n),
        }
    )


def test_group_sums_are_the_same_bits_in_any_row_order() -> None:
    """Shuffled rows give the same groups, sums and counts, bit for bit, sorted by the keys."""
    rng = np.random.default_rng(11)
    frame = _frame(rng, 20_000)
    keys = ["uid", "ds", "k"]
    first = group_sums(frame, keys, "y")
    for seed in range(3):
        again = group_sums(frame.sample(fraction=1.0, shuffle=True, seed=seed), keys, "y")
        assert again.equals(first)
    assert first.select(keys).equals(first.select(keys).sort(keys, nulls_last=False))
    expected = frame.group_by(keys).agg(pl.col("y").sum(), pl.len().alias("rows")).sort(keys)
    assert first["rows"].to_list() == expected["rows"].cast(pl.Int64).to_list()
    assert np.allclose(first["y"].to_numpy(), expected["y"].to_numpy(), rtol=1e-12)


def test_group_sums_of_no_rows_is_an_empty_frame() -> None:
    """No rows give no groups, with the key, value and count columns."""
    empty = _frame(np.random.default_rng(0), 0)
    out = group_sums(empty, ["uid", "ds"], "y")
    assert out.is_empty()
    assert out.columns == ["uid", "ds", "y", "rows"]
