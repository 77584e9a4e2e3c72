"""The two measures of one series kept consistent: a day's peak hour is never below its mean.

The daily peak and the daily mean are forecast by separate models (:mod:`forecasting.forecast`,
and past the daily days :mod:`forecasting.horizon`'s growth models); the mean is reconciled over
the hierarchy and its sample paths are what the drills play, the peak is forecast per series
and is what the triggers read. Nothing tied them together, and they crossed wherever their
models disagreed: Helios (30 days of history, forecast 26 weeks) read a total peak q10/q50/q90
of 0/666/1,689 GPUs on 2020-11-29 against a mean-measure q50 of 1,316, and within the measured
days a peak q50 of 666 against the mean's 677 (2020-06-07). A path's peak is at least its mean,
so each quantile of the peak is at least the same quantile of the mean:
:func:`peaks_at_least_means` holds the peak's mean and quantiles there, on every day and level.
"""

from __future__ import annotations

import polars as pl

from forecasting.schema import QUANTILES, Measure, quantile_column

__all__ = [
    "PEAKS_AT_MEANS_SCHEMA",
    "bands_on_their_means",
    "peaks_at_least_means",
    "peaks_below_means",
]

# The days a peak row read below its mean's (unique_id, ds): where the two models disagree.
PEAKS_AT_MEANS_SCHEMA = pl.Schema({"unique_id": pl.String(), "ds": pl.Date()})
# A peak median this far below its mean's is a disagreement of the two models, not rounding.
_BELOW = 0.02
# A quantile this close to its row's mean, relative to the mean (at least 1 GPU), is the mean:
# the mean and the quantiles are computed apart (a contract floor's shift on the paths, a
# share of a class, sums in another order), and they differ in the last bits. The demo stored a
# customer held at its 2,048-GPU floor with a q90 of 2,047.9999999995 below its mean of 2,048
# (313 daily rows and 30 monthly ones of two customers): read as a skew that is not there.
_SAME = 1e-6


def _value_columns(frame: pl.DataFrame) -> list[str]:
    """The quantile columns of ``frame`` (q10, q50, ...), in QUANTILES order."""
    return [c for c in (quantile_column(q) for q in QUANTILES) if c in frame.columns]


def bands_on_their_means(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (rows with ``mean`` and quantile columns) with every quantile that lies within
    a millionth of its row's mean (at least 1e-6 GPUs) set to the mean.

    So a band with no spread whose mean is its value to the last bits collapses onto the mean,
    and no quantile crosses the mean by rounding alone; the order q10 <= q50 <= q90 <= q99
    holds still (the values moved are the ones next to the mean). A band with spread, or a
    mean apart from its band by more (a pipeline deal's odds-weighted GPUs, which past the
    daily days move the mean and not the quantiles; a distribution held at a floor with a tail
    above it, whose mean lies above its q90), is unchanged but for those bits."""
    columns = _value_columns(frame)
    if frame.is_empty() or "mean" not in frame.columns or not columns:
        return frame
    near = _SAME * pl.max_horizontal(pl.col("mean").abs(), pl.lit(1.0))
    return frame.with_columns(
        pl.when((pl.col(c) - pl.col("mean")).abs() <= near)
        .then(pl.col("mean"))
        .otherwise(pl.col(c))
        .alias(c)
        for c in columns
    )


def peaks_below_means(frame: pl.DataFrame) -> pl.DataFrame:
    """The (unique_id, ds) of ``frame``'s peak rows whose median lies more than 2 % below the
    mean measure's of the same series and day: where :func:`peaks_at_least_means` makes the
    peak its mean's, the two measures' models disagree and the peak read is the mean model's
    (Helios at 26 weeks: the total's peak was its mean's on 154 of 169 days, unsaid, while
    its history's peaks ran 1.07-1.14x its means)."""
    if frame.is_empty() or "q50" not in frame.columns:
        return pl.DataFrame(schema=PEAKS_AT_MEANS_SCHEMA)
    means = frame.filter(pl.col("measure") == Measure.MEAN.value).select(
        "unique_id", "ds", pl.col("q50").alias("q50_of_mean")
    )
    return (
        frame.filter(pl.col("measure") == Measure.PEAK.value)
        .join(means, on=["unique_id", "ds"])
        .filter(pl.col("q50") < (1 - _BELOW) * pl.col("q50_of_mean"))
        .select("unique_id", "ds")
        .cast(PEAKS_AT_MEANS_SCHEMA)
    )


def peaks_at_least_means(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (rows of both measures: ``unique_id``, ``ds``, ``measure`` and value columns)
    with each peak row's mean and quantiles at or above the mean measure's row of the same
    series and day. Rows of other series, and the mean measure, are unchanged."""
    values = [c for c in ["mean", *(quantile_column(q) for q in QUANTILES)] if c in frame.columns]
    if frame.is_empty() or not values:
        return frame
    means = frame.filter(pl.col("measure") == Measure.MEAN.value).select(
        "unique_id", "ds", *(pl.col(c).alias(f"{c}_of_mean") for c in values)
    )
    peak = pl.col("measure") == Measure.PEAK.value
    return (
        frame.join(means, on=["unique_id", "ds"], how="left")
        .with_columns(
            pl.when(peak & pl.col(f"{c}_of_mean").is_not_null())
            .then(pl.max_horizontal(c, f"{c}_of_mean"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in values
        )
        .select(frame.columns)
        .cast(frame.schema)
    )
