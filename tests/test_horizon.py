"""The plan past the lead times: a daily forecast extended by the growth models to months ahead.

The fleet: one region r1 with inference (two customers) and training (one), two years of daily
demand growing 40 % a year. The short-horizon forecast handed in is flat at the last day's value
(a stand-in for a model that misses the growth), so every effect of the extension is visible.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from forecasting import hierarchy, horizon, longrange, warehouse
from forecasting.forecast import ForecastResult, _day_spans, _peaks_at_means_lines
from forecasting.horizon import ACCURACY_SCHEMA, MONTHS_SCHEMA, extend_horizon, plan_months
from forecasting.options import ForecastOptions
from forecasting.runs import plan_horizon_months
from forecasting.runs.reports import scored_days
from forecasting.schema import FORECAST_SCHEMA, PATHS_SCHEMA, REGISTRY, frame_schema
from forecasting.warehouse import RUN_TABLES

AS_OF = date(2026, 6, 30)
HISTORY = 730
DAYS = 182
SHARES = {
    "total/r1/inference/acme": 0.5,
    "total/r1/inference/other": 0.2,
    "total/r1/training/other": 0.3,
}


def _history() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    t = np.arange(HISTORY)
    level = 1000.0 * 1.4 ** (t / 365) * (1 + 0.05 * np.sin(2 * np.pi * t / 7))
    return _with_parents(
        {uid: share * level * np.exp(rng.normal(0, 0.03, HISTORY)) for uid, share in SHARES.items()}
    )


def _with_parents(bottoms: dict[str, np.ndarray]) -> pl.DataFrame:
    """Daily mean and peak (1.3x) of ``bottoms`` (each ending on AS_OF) and of every level above
    them."""
    frames = [
        pl.DataFrame(
            {
                "unique_id": uid,
                "ds": [AS_OF - timedelta(days=y.size - 1 - d) for d in range(y.size)],
                "measure": measure,
                "y": factor * y,
            }
        )
        for uid, y in bottoms.items()
        for measure, factor in (("mean", 1.0), ("peak", 1.3))
    ]
    bottom = pl.concat(frames)
    # A class-level leaf (a region without customer series) is its own class.
    parents = bottom.filter(pl.col("unique_id").str.count_matches("/") == 3).with_columns(
        pl.col("unique_id").str.replace(r"/[^/]+$", "")
    )
    region = bottom.with_columns(pl.col("unique_id").str.extract(r"^(total/[^/]+)"))
    total = bottom.with_columns(pl.lit("total").alias("unique_id"))
    return (
        pl.concat([bottom, parents, region, total])
        .group_by("unique_id", "ds", "measure")
        .agg(pl.col("y").sum())
        .sort("unique_id", "measure", "ds")
    )


def _growing(rng: np.random.Generator, shares: dict[str, float]) -> dict[str, np.ndarray]:
    """Each series of ``shares`` at its share of a level growing 40 % a year, with 3 % noise."""
    level = 1000.0 * 1.4 ** (np.arange(HISTORY) / 365)
    return {
        uid: share * level * np.exp(rng.normal(0, 0.03, HISTORY)) for uid, share in shares.items()
    }


def _flat_result(history: pl.DataFrame, bottoms: tuple[str, ...] = tuple(SHARES)) -> ForecastResult:
    last = history.filter(pl.col("ds") == AS_OF)
    days = pl.DataFrame({"ds": [AS_OF + timedelta(days=d + 1) for d in range(DAYS)]})
    forecast = (
        last.join(days, how="cross")
        .select(
            "unique_id",
            pl.col("ds_right").alias("ds"),
            "measure",
            pl.lit("flat").alias("model"),
            pl.col("y").alias("mean"),
            (pl.col("y") * 0.9).alias("q10"),
            pl.col("y").alias("q50"),
            (pl.col("y") * 1.1).alias("q90"),
            (pl.col("y") * 1.2).alias("q99"),
        )
        .with_columns(pl.lit("run").alias("run_id"))
        .select(FORECAST_SCHEMA.names())
        .cast(FORECAST_SCHEMA)
        .drop("run_id")
    )
    bottom = forecast.filter(
        pl.col("unique_id").is_in(list(bottoms)) & (pl.col("measure") == "mean")
    )
    paths = (
        bottom.join(
            pl.DataFrame({"sample_id": [0, 1]}, schema={"sample_id": pl.Int32}), how="cross"
        )
        .select("unique_id", "ds", "sample_id", pl.col("mean").alias("y"))
        .cast(PATHS_SCHEMA)
    )
    return ForecastResult(
        forecast=forecast,
        paths=paths,
        backtest=pl.DataFrame(),
        summary=pl.DataFrame(),
        reconciliation="none",
    )


@pytest.fixture(scope="module")
def extended() -> tuple[ForecastResult, object]:
    history = _history()
    short = _flat_result(history)
    return short, extend_horizon(history, short, as_of=AS_OF, months=36)


def _value(frame: pl.DataFrame, uid: str, day: int, column: str = "mean") -> float:
    row = frame.filter(
        (pl.col("unique_id") == uid)
        & (pl.col("measure") == "mean")
        & (pl.col("ds") == AS_OF + timedelta(days=day))
    )
    return float(row[column][0])


def test_the_horizon_reaches_the_longest_lead_time_plus_the_buffer(tmp_path: Path) -> None:
    """36 months by default; a 40-month power lead time (plus the 4-week buffer) wins over it,
    and a plan file's own lead times raise the option."""
    assert plan_months(minimum=36, lead_weeks=90) == 36
    assert plan_months(minimum=36, power_lead_months=40) == 41
    assert plan_months(minimum=12, lead_weeks=90) == 22
    sample = Path(__file__).parents[1] / "forecasting" / "resources" / "capacity.toml"
    text = sample.read_text().replace("power_lead_months = 36", "power_lead_months = 48")
    plan = tmp_path / "capacity.toml"
    plan.write_text(text)
    assert plan_horizon_months(ForecastOptions(capacity=plan)) == 49
    assert plan_horizon_months(ForecastOptions(capacity=plan, horizon_months=0)) == 0
    assert plan_horizon_months(ForecastOptions()) == 36


def test_growth_fitted_beside_the_daily_models_extends_the_run_as_if_fitted_after_them(
    extended: tuple[ForecastResult, object],
) -> None:
    """A run fits the growth models while its daily models fit (``horizon.grow``, from the
    demand alone): handed in, they give the extension made without them, row for row."""
    short, inline = extended
    assert isinstance(inline, horizon.Extended)
    grown = horizon.grow(_history(), as_of=AS_OF, months=36, daily_days=DAYS)
    beside = extend_horizon(_history(), short, as_of=AS_OF, months=36, grown=grown)
    keys = ["unique_id", "ds", "measure"]
    # Two runs of the same extension differ by 1e-7 GPUs (polars' threads sum in any order).
    same = partial(assert_frame_equal, rtol=1e-9, atol=1e-6)
    same(beside.result.forecast.sort(keys), inline.result.forecast.sort(keys))
    same(beside.months.sort(keys), inline.months.sort(keys))
    order = ["unique_id", "cutoff", "horizon_days"]
    same(beside.accuracy.sort(order), inline.accuracy.sort(order))


def test_growth_fitted_for_another_horizon_is_refitted_not_blended_in() -> None:
    """Growth models fitted past 7 daily days (or 12 months, or for other series) are not the
    ones a 182-day run blends from day 183: the extension fits its own."""
    history = _history()
    short = _flat_result(history)
    own = extend_horizon(history, short, as_of=AS_OF, months=36)
    for wrong in (
        horizon.grow(history, as_of=AS_OF, months=36, daily_days=7),
        horizon.grow(history, as_of=AS_OF, months=12, daily_days=DAYS),
        horizon.grow(history, as_of=AS_OF, months=36, daily_days=DAYS, classes=["total/r1"]),
    ):
        out = extend_horizon(history, short, as_of=AS_OF, months=36, grown=wrong)
        keys = ["unique_id", "ds", "measure"]
        assert_frame_equal(out.months.sort(keys), own.months.sort(keys), rtol=1e-9, atol=1e-6)


def test_monthly_rows_reach_the_plan_horizon_for_every_level_the_triggers_read(
    extended: tuple[ForecastResult, object],
) -> None:
    """Regions, classes and customers get a row per month to 36 months; quantiles are ordered,
    non-negative, and the growth shows in the median."""
    _, ext = extended
    months = ext.months  # type: ignore[attr-defined]
    assert months.schema == MONTHS_SCHEMA
    assert months["ds"].max() == date(2029, 6, 1)
    ids = set(months["unique_id"])
    assert {"total/r1", "total/r1/inference", "total/r1/training", *SHARES} <= ids
    ordered = months.filter(
        (pl.col("q10") <= pl.col("q50")) & (pl.col("q50") <= pl.col("q90")) & (pl.col("q10") >= 0)
    )
    assert ordered.height == months.height
    region = months.filter((pl.col("unique_id") == "total/r1") & (pl.col("measure") == "peak"))
    assert region.sort("ds")["q50"][-1] > 2.0 * region.sort("ds")["q50"][0]


def test_daily_rows_move_from_the_short_model_to_the_growth_model_with_the_lead(
    extended: tuple[ForecastResult, object],
) -> None:
    """The first 28 days are the short model's; from day 91 the growth model lifts the flat
    forecast; a customer moves with its class, and its sample paths read its share of it as
    its history split it (its days' noise, 3 %, moves it by a few tenths of a per cent)."""
    short, ext = extended
    result = ext.result  # type: ignore[attr-defined]
    for uid in ("total/r1", "total/r1/inference", "total/r1/inference/acme"):
        assert _value(result.forecast, uid, 10) == pytest.approx(_value(short.forecast, uid, 10))
        assert _value(result.forecast, uid, 150) > 1.05 * _value(short.forecast, uid, 150)
    ratio = _value(result.forecast, "total/r1/inference", 150) / _value(
        short.forecast, "total/r1/inference", 150
    )
    acme = _value(result.forecast, "total/r1/inference/acme", 150) / _value(
        short.forecast, "total/r1/inference/acme", 150
    )
    assert acme == pytest.approx(ratio, rel=0.01)
    day = AS_OF + timedelta(days=150)
    paths = result.paths.filter(
        pl.col("unique_id").str.starts_with("total/r1/inference/") & (pl.col("ds") == day)
    )
    before = short.paths.filter(
        pl.col("unique_id").str.starts_with("total/r1/inference/") & (pl.col("ds") == day)
    )

    def acme_share(frame: pl.DataFrame) -> list[float]:
        mine = pl.col("y").filter(pl.col("unique_id").str.ends_with("/acme")).sum()
        shares = frame.group_by("sample_id").agg(mine / pl.col("y").sum()).sort("sample_id")
        return shares["y"].to_list()

    assert acme_share(paths) == pytest.approx(acme_share(before), rel=0.05)
    assert paths["y"].sum() > 1.05 * 2 * _value(short.forecast, "total/r1/inference", 150)


def test_the_classes_means_add_up_to_their_region_s_on_every_day(
    extended: tuple[ForecastResult, object],
) -> None:
    """Means add up, but each growth model fits its series alone: the classes' blended means
    are scaled alike to their region's (its model is the one judged at the decision horizon),
    and each class's customers add up to the class, on every daily day; the classes keep
    their own growth as the mix."""
    _, ext = extended
    result = ext.result  # type: ignore[attr-defined]
    mean = result.forecast.filter(pl.col("measure") == "mean")
    depth = pl.col("unique_id").str.count_matches("/")
    for level, parent in ((2, "total/r1"), (3, "total/r1/inference")):
        parts = (
            mean.filter((depth == level) & pl.col("unique_id").str.starts_with(parent + "/"))
            .group_by("ds")
            .agg(pl.col("mean").sum().alias("parts"))
        )
        whole = mean.filter(pl.col("unique_id") == parent).join(parts, on="ds")
        assert whole.height == DAYS
        assert (whole["parts"] - whole["mean"]).abs().max() <= 1e-6 * whole["mean"].max()
    # The mix is the classes' own: training's share moves with its model, not frozen.
    share = (
        mean.filter(depth == 2)
        .with_columns(pl.col("mean") / pl.col("mean").sum().over("ds"))
        .filter(pl.col("unique_id") == "total/r1/training")
        .sort("ds")["mean"]
    )
    assert share.max() - share.min() > 1e-4


def test_a_mean_s_month_is_its_average_day_and_the_classes_add_up_to_their_region() -> None:
    """A bursty training class (every tenth day three times its level) beside steady inference:
    for the mean measure, a month's row is its average day, so it reads what the daily rows of
    the same month read (within 3 %, from the fourth month, where both are the growth model's)
    and the classes' months add up to the region's; the peak measure keeps the month's peak
    day. Regression: the mean measure's month was its peak day, which took the bursty class's
    spikes for level (its months read 2.6x its daily means) and, read against a daily mean by
    the drivers, for growth."""
    rng = np.random.default_rng(4)
    t = np.arange(HISTORY)
    level = 1000.0 * 1.4 ** (t / 365)
    spikes = np.where(t % 10 == 0, 3.0, 1.0)
    bottoms = {
        "total/r1/inference/a": level * np.exp(rng.normal(0, 0.03, HISTORY)),
        "total/r1/training/b": 0.3 * level * spikes * np.exp(rng.normal(0, 0.03, HISTORY)),
    }
    history = _with_parents(bottoms)
    ext = extend_horizon(history, _flat_result(history, tuple(bottoms)), as_of=AS_OF, months=12)
    months = ext.months.filter(pl.col("measure") == "mean")
    daily = (
        ext.result.forecast.filter(pl.col("measure") == "mean")
        .group_by("unique_id", pl.col("ds").dt.month_start())
        .agg(pl.col("mean").mean().alias("days"), pl.len().alias("n"))
    )
    both = months.join(daily, on=["unique_id", "ds"]).filter(
        (pl.col("n") >= 28) & (pl.col("ds") >= date(2026, 10, 1))
    )
    assert set(both["unique_id"]) >= {"total/r1", "total/r1/training", "total/r1/inference"}
    assert (both["mean"] / both["days"] - 1).abs().max() < 0.03
    depth = pl.col("unique_id").str.count_matches("/")
    parts = months.filter(depth == 2).group_by("ds").agg(pl.col("mean").sum().alias("parts"))
    whole = months.filter(pl.col("unique_id") == "total/r1").join(parts, on="ds")
    assert whole.height == 12
    assert (whole["parts"] / whole["mean"] - 1).abs().max() < 1e-9
    peaks = ext.months.filter(
        (pl.col("measure") == "peak") & (pl.col("unique_id") == "total/r1/training")
    )
    means = months.filter(pl.col("unique_id") == "total/r1/training")
    assert (peaks.sort("ds")["q50"] > 2.0 * means.sort("ds")["q50"]).all()


def test_the_drills_paths_read_every_class_s_and_region_s_band_past_the_short_model() -> None:
    """The drills play the bottom-level paths; the triggers and pages read the class and region
    rows. Past the short model's days each region's sum over its paths has the quantiles of its
    row (q10, q50, q90 within 1 %, 200 paths) and each class's within 3 %, customers keep their
    share on every path, and the first 28 days are left alone; also for a region without
    customer series. Regression: the short model's mean column sat below its own paths' centre
    (as it does for a bursty class, whose paths are clipped at zero), and scaling the paths by
    the growth models' mean over it put the drills' median 30 % above the class's q50."""
    rng = np.random.default_rng(11)
    bottoms = _growing(
        rng,
        {
            "total/r1/inference/a": 0.6,
            "total/r1/inference/b": 0.4,
            "total/r1/training/c": 0.5,
            "total/r2/batch": 0.5,
        },
    )
    history = _with_parents(bottoms)
    short = _flat_result(history, tuple(bottoms))
    n = 200
    draws = pl.DataFrame(
        {
            "class": np.repeat(["inference", "training", "batch"], n),
            "sample_id": np.tile(np.arange(n, dtype=np.int32), 3),
            "noise": rng.lognormal(0.0, 0.1, 3 * n),
        }
    )
    # Paths centred 30 % above the mean column, every day alike; the classes drawn apart (a
    # class's customers together); every level has its paths.
    leaves = (
        short.paths.filter(pl.col("sample_id") == 0)
        .drop("sample_id")
        .with_columns(pl.col("unique_id").str.split("/").list.get(2).alias("class"))
        .join(draws, on="class")
        .select("unique_id", "ds", "sample_id", pl.col("y") * 1.3 * pl.col("noise"))
    )
    paths = pl.concat(
        [
            leaves,
            *(
                leaves.with_columns(pl.col("unique_id").str.extract(pattern))
                .group_by("unique_id", "ds", "sample_id")
                .agg(pl.col("y").sum())
                .filter(pl.col("unique_id").is_in(list(bottoms)).not_())
                .select(leaves.columns)
                for pattern in (r"^(total/[^/]+/[^/]+)", r"^(total/[^/]+)", r"^(total)")
            ),
        ]
    ).cast(PATHS_SCHEMA)
    ext = extend_horizon(history, replace(short, paths=paths), as_of=AS_OF, months=12)
    result = ext.result
    groups = {
        "total/r1": 0.01,
        "total/r2": 0.01,
        "total/r1/inference": 0.03,
        "total/r1/training": 0.03,
        "total/r2/batch": 0.03,
    }
    for group, tolerance in groups.items():
        mine = [uid for uid in bottoms if uid.startswith(group)]
        for day, moved in ((10, False), (60, True), (150, True)):
            on = AS_OF + timedelta(days=day)
            sums = (
                result.paths.filter(pl.col("unique_id").is_in(mine) & (pl.col("ds") == on))
                .group_by("sample_id")
                .agg(pl.col("y").sum())["y"]
            )
            assert sums.len() == n
            if not moved:
                before = paths.filter(pl.col("unique_id").is_in(mine) & (pl.col("ds") == on))
                assert sums.sum() == pytest.approx(before["y"].sum(), rel=1e-6)
                continue
            for q in (0.1, 0.5, 0.9):
                band = _value(result.forecast, group, day, f"q{round(q * 100)}")
                assert float(sums.quantile(q, "linear")) == pytest.approx(band, rel=tolerance), (
                    group,
                    day,
                    q,
                )
    share = (
        result.paths.filter(pl.col("unique_id").str.starts_with("total/r1/inference/"))
        .group_by("ds", "sample_id")
        .agg(pl.col("y").filter(pl.col("unique_id").str.ends_with("/a")).sum() / pl.col("y").sum())
    )
    assert share["y"].min() == pytest.approx(0.6, abs=0.03)
    assert share["y"].max() == pytest.approx(0.6, abs=0.03)


def test_a_region_s_paths_read_its_band_where_its_classes_move_together_more_than_drawn() -> None:
    """Four classes drawn independently, each mapped onto its band alone, sum to a region q90
    4 % below the region's own band (420 against 436): the region's growth model says their
    surprises are shared. Mapped onto both by turns, the region's paths read its band within
    0.5 % and each class's within 3 %; a day without band rows and a region without a band
    are left alone, and each path keeps its customers' mix."""
    rng = np.random.default_rng(7)
    n, days = 400, [AS_OF + timedelta(days=d) for d in (1, 40, 41)]
    leaves = {
        "total/r1/inference/a": ("total/r1/inference", 0.6),
        "total/r1/inference/b": ("total/r1/inference", 0.4),
        "total/r1/training/c": ("total/r1/training", 1.0),
        "total/r1/batch/d": ("total/r1/batch", 1.0),
        "total/r1/evaluation/e": ("total/r1/evaluation", 1.0),
        "total/r2/batch": ("total/r2/batch", 1.0),
    }
    classes = sorted({group for group, _ in leaves.values()})
    draws = {(c, d): 100 * np.exp(rng.normal(0, 0.08, n)) for c in classes for d in days}
    paths = pl.DataFrame(
        [
            {"unique_id": uid, "ds": d, "sample_id": s, "y": share * draws[group, d][s]}
            for uid, (group, share) in leaves.items()
            for d in days
            for s in range(n)
        ],
        schema=PATHS_SCHEMA,
    )

    def band(uid: str, q10: float, q50: float, q90: float, q99: float) -> pl.DataFrame:
        return pl.DataFrame(
            {"unique_id": uid, "ds": days[1:], "q10": q10, "q50": q50, "q90": q90, "q99": q99}
        )

    class_bands = pl.concat([band(c, 90.0, 100.0, 110.0, 120.0) for c in classes])
    region_bands = band("total/r1", 364.0, 400.0, 436.0, 470.0)
    moved = horizon._paths_in_bands(paths, class_bands, region_bands)

    def quantiles(frame: pl.DataFrame, prefix: str, day: date) -> list[float]:
        sums = (
            frame.filter(pl.col("unique_id").str.starts_with(prefix) & (pl.col("ds") == day))
            .group_by("sample_id")
            .agg(pl.col("y").sum())["y"]
        )
        return [float(sums.quantile(q, "linear")) for q in (0.1, 0.5, 0.9)]

    for day in days[1:]:
        assert quantiles(moved, "total/r1/", day) == pytest.approx([364, 400, 436], rel=0.005)
        for c in classes:
            assert quantiles(moved, c, day) == pytest.approx([90, 100, 110], rel=0.03), c
    # Each class alone on its band: the region's q90 falls short of its own.
    alone = horizon._paths_in_bands(paths, class_bands, region_bands.clear())
    assert quantiles(alone, "total/r1/", days[1])[2] < 0.97 * 436
    untouched = moved.filter(pl.col("ds") == days[0]).sort("unique_id", "sample_id")
    assert untouched["y"].to_list() == pytest.approx(
        paths.filter(pl.col("ds") == days[0]).sort("unique_id", "sample_id")["y"].to_list()
    )
    shares = (
        moved.filter(pl.col("unique_id").str.starts_with("total/r1/inference/"))
        .group_by("ds", "sample_id")
        .agg(pl.col("y").filter(pl.col("unique_id").str.ends_with("/a")).sum() / pl.col("y").sum())
    )
    assert shares["y"].to_numpy() == pytest.approx(0.6)


def _thirty_customers_per_class(
    rng: np.random.Generator, days: list[date], n: int
) -> tuple[list[str], pl.DataFrame]:
    """Thirty customers in each of two classes of r1, on ``n`` lognormal paths: enough rows
    for a group-by to split its work over threads."""
    leaves = [f"total/r1/{c}/cust-{i:02d}" for c in ("batch", "inference") for i in range(30)]
    paths = pl.DataFrame(
        {
            "unique_id": [u for u in leaves for _ in days for _ in range(n)],
            "ds": [d for _ in leaves for d in days for _ in range(n)],
            "sample_id": [s for _ in leaves for _ in days for s in range(n)],
            "y": rng.lognormal(3, 1, len(leaves) * len(days) * n),
        },
        schema=PATHS_SCHEMA,
    )
    return leaves, paths


def test_the_drills_paths_are_the_same_on_every_run_of_the_same_forecast() -> None:
    """A rerun on the same telemetry plays the same paths. The class sums that rank the paths
    were a streaming group-by whose float sums change in the last bit from run to run; a
    path's rank among near-equal sums then flipped, the drills played other paths, and a
    rerun moved a region-loss drill's queue-delay P90 from 42.8 to 41.0 hours."""
    rng = np.random.default_rng(11)
    n, days = 1000, [AS_OF + timedelta(days=d) for d in range(1, 6)]
    _, paths = _thirty_customers_per_class(rng, days, n)

    def band(uid: str, scale: float) -> pl.DataFrame:
        return pl.DataFrame(
            {"unique_id": uid, "ds": days, "q10": scale * 0.9, "q50": scale, "q90": scale * 1.1}
        )

    class_bands = pl.concat([band(f"total/r1/{c}", 1200.0) for c in ("batch", "inference")])
    region_bands = band("total/r1", 2500.0)
    runs = [
        horizon._paths_in_bands(paths, class_bands, region_bands).sort(
            "unique_id", "ds", "sample_id"
        )
        for _ in range(6)
    ]
    assert all(run["y"].equals(runs[0]["y"]) for run in runs[1:])


def test_customer_means_are_the_same_bits_whatever_order_their_paths_come_in() -> None:
    """A rerun stores the same customer means. Their paths' means and each class's sum of them
    were a group-by's float sums, which moved the stored means by an ulp from run to run; the
    same paths in four orders now give one forecast, bit for bit."""
    rng = np.random.default_rng(3)
    n, days = 500, [AS_OF + timedelta(days=d) for d in (40, 120)]
    leaves, paths = _thirty_customers_per_class(rng, days, n)
    ids = [*leaves, "total/r1/batch", "total/r1/inference"]
    forecast = pl.DataFrame(
        {
            "unique_id": [u for u in ids for _ in days],
            "ds": [d for _ in ids for d in days],
            "measure": "mean",
            "model": "flat",
            "mean": rng.lognormal(3, 1, len(ids) * len(days)),
        }
    ).with_columns(*(pl.col("mean").alias(q) for q in ("q10", "q50", "q90", "q99")))
    forecast = forecast.select(FORECAST_SCHEMA.names()[1:]).cast(
        {k: v for k, v in FORECAST_SCHEMA.items() if k != "run_id"}
    )
    bands = pl.DataFrame({"unique_id": ["total/r1/batch", "total/r1/inference"]}).join(
        pl.DataFrame({"ds": days}), how="cross"
    )
    runs = [
        horizon._customers_on_their_paths(
            forecast, paths.sample(fraction=1.0, shuffle=True, seed=s), bands, as_of=AS_OF
        ).sort("unique_id", "ds")
        for s in range(4)
    ]
    given = forecast.sort("unique_id", "ds")["mean"].to_numpy().tobytes()
    assert runs[0]["mean"].to_numpy().tobytes() != given  # read from their paths, not kept
    for run in runs[1:]:
        for column in ("mean", "q10", "q50", "q90"):
            assert run[column].to_numpy().tobytes() == runs[0][column].to_numpy().tobytes()


def test_a_customer_past_the_short_model_reads_its_paths_and_its_share_of_the_class() -> None:
    """A bursty customer's reconciled mean sits far below its own paths (clipped at zero): its
    mean column is 5 % of its level while its paths centre on it. Past the short model its
    quantiles are its paths' (never above its class's), its mean is its class's split by the
    paths' means (its share of them from day 91, the short model's through day 28), and the
    customers still add up to their class. Regression: scaled by its class's mean ratio, its
    q50 read 1.5x its paths' on day 150."""
    rng = np.random.default_rng(5)
    bottoms = _growing(rng, {"total/r1/inference/a": 0.6, "total/r1/inference/b": 0.4})
    history = _with_parents(bottoms)
    short = _flat_result(history, tuple(bottoms))
    last_b = float(bottoms["total/r1/inference/b"][-1])
    # b's mean column lost 95 % of it, and so did every level above it (reconciled sums).
    lowered = (
        pl.when(
            (pl.col("measure") == "mean")
            & pl.col("unique_id").is_in(["total/r1/inference/a"]).not_()
        )
        .then(pl.col("mean") - 0.95 * last_b)
        .otherwise(pl.col("mean"))
    )
    n = 200
    paths = (
        short.paths.filter(pl.col("sample_id") == 0)
        .drop("sample_id")
        .join(pl.DataFrame({"sample_id": np.arange(n, dtype=np.int32)}), how="cross")
        .with_columns(pl.col("y") * np.exp(rng.normal(0, 0.2, 2 * DAYS * n)))
        .select(PATHS_SCHEMA.names())
        .cast(PATHS_SCHEMA)
    )
    short = replace(short, forecast=short.forecast.with_columns(lowered.alias("mean")), paths=paths)
    result = extend_horizon(history, short, as_of=AS_OF, months=12).result
    b, cls = "total/r1/inference/b", "total/r1/inference"
    assert _value(result.forecast, b, 10) == pytest.approx(0.05 * last_b, rel=1e-4)
    for day in (60, 150):
        on = AS_OF + timedelta(days=day)
        own = result.paths.filter((pl.col("unique_id") == b) & (pl.col("ds") == on))["y"]
        for q in (0.1, 0.5, 0.9):
            column = f"q{round(q * 100)}"
            mine = _value(result.forecast, b, day, column)
            assert mine == pytest.approx(float(own.quantile(q, "linear")), rel=1e-5)
            assert mine <= _value(result.forecast, cls, day, column)
        parts = _value(result.forecast, b, day) + _value(
            result.forecast, "total/r1/inference/a", day
        )
        assert parts == pytest.approx(_value(result.forecast, cls, day), rel=1e-6)
    on = AS_OF + timedelta(days=150)
    leaves = result.paths.filter(
        pl.col("unique_id").str.starts_with(cls + "/") & (pl.col("ds") == on)
    )
    share = float(leaves.filter(pl.col("unique_id") == b)["y"].sum() / leaves["y"].sum())
    assert _value(result.forecast, b, 150) == pytest.approx(
        share * _value(result.forecast, cls, 150), rel=1e-4
    )


def test_decision_horizon_accuracy_is_measured_out_of_sample(
    extended: tuple[ForecastResult, object],
) -> None:
    """The series the plan forecasts past the daily days (the region and its classes; the total
    moves with its region) are scored 182 days after cut-offs 6 and 12 months back."""
    _, ext = extended
    accuracy = ext.accuracy  # type: ignore[attr-defined]
    assert accuracy.schema == ACCURACY_SCHEMA
    scored = accuracy.filter(pl.col("horizon_days") == 182)
    assert set(scored["unique_id"]) == {"total/r1", "total/r1/inference", "total/r1/training"}
    assert set(scored["cutoff"]) == {date(2025, 12, 30), date(2025, 6, 30)}
    assert scored.filter(pl.col("mae").is_null()).is_empty()
    # Steady 40 % growth: the growth models beat repeating the last week by far.
    assert (scored["mae"] / scored["mae_seasonal_naive"]).max() < 0.9


def test_decision_accuracy_scores_the_plans_own_call_at_each_cut_off() -> None:
    """The plan fits each region with its classes, one growth model and a scale per level
    chosen over them all; the published 26-week accuracy was a sibling call on the total and
    regions alone (the demo cut 6 months back: a log-linear trend where the plan's call took
    the combination; eu-west above its q90 on 2 % of days against 30 %). Each row is now the
    plan's call rerun at the cut-off: its model and its level's scale."""
    rng = np.random.default_rng(11)
    t = np.arange(HISTORY)
    steady = 3000.0 * 1.3 ** (t / 365) * np.exp(rng.normal(0, 0.04, HISTORY))
    blocks = np.exp(np.cumsum(rng.normal(0.03, 0.3, HISTORY // 28 + 1)))
    lumpy = 800.0 * np.repeat(blocks, 28)[:HISTORY] * np.exp(rng.normal(0, 0.05, HISTORY))
    bottoms = {
        "total/r1/inference/a": steady,
        "total/r1/training/b": lumpy,
        "total/r2/inference/c": 0.5 * steady[::-1] ** 0.9,
    }
    history = _with_parents(bottoms)
    short = _flat_result(history, tuple(bottoms))
    ext = extend_horizon(history, short, as_of=AS_OF, months=36)
    rows = ext.accuracy.filter(pl.col("horizon_days") == 182)
    plan_series = [
        "total/r1",
        "total/r1/inference",
        "total/r1/training",
        "total/r2",
        "total/r2/inference",
    ]
    daily = history.filter(
        (pl.col("measure") == "peak") & pl.col("unique_id").is_in(plan_series)
    ).select("unique_id", "ds", "y")
    for cutoff in rows["cutoff"].unique():
        rerun = longrange.long_horizon_forecast(
            daily.filter(pl.col("ds") <= cutoff), as_of=cutoff, months=0
        )
        at = rows.filter(pl.col("cutoff") == cutoff)
        assert set(at["unique_id"]) == set(plan_series)
        assert set(at["model"]) == {rerun.model}
        for row in at.iter_rows(named=True):
            level = hierarchy.depth_of(row["unique_id"])
            assert row["scale"] == pytest.approx(rerun.level_scales[level], rel=1e-9)


def test_a_class_is_never_forecast_above_its_region_and_says_when_it_was_held() -> None:
    """A lumpy training class (its level jumps block to block) compounds its growth rate's
    uncertainty to a 36-month q90 45 times its region's, with a mean 440 times (the triggers
    ordered 579 pods for a class of 5,120 GPUs on such a band). A class is part of its region on
    every path, so every value is held at or below the region's, daily and monthly, and the
    series' plan reason says from when."""
    rng = np.random.default_rng(5)
    t = np.arange(HISTORY)
    steady = 3000.0 * 1.2 ** (t / 365) * np.exp(rng.normal(0, 0.03, HISTORY))
    blocks = np.exp(np.cumsum(rng.normal(0.05, 0.45, HISTORY // 28 + 1)))
    lumpy = 500.0 * np.repeat(blocks, 28)[:HISTORY] * np.exp(rng.normal(0, 0.05, HISTORY))
    bottoms = {"total/r1/inference/a": steady, "total/r1/training/b": lumpy}
    history = _with_parents(bottoms)
    short = _flat_result(history, tuple(bottoms))
    ids = history.select("unique_id", "measure").unique()
    summary = ids.with_columns(
        pl.lit(None, pl.String).alias("plan_model"), pl.lit(None, pl.String).alias("plan_reason")
    )
    ext = extend_horizon(history, replace(short, summary=summary), as_of=AS_OF, months=36)
    values = ["mean", "q10", "q50", "q90", "q99"]
    for frame in (ext.months, ext.result.forecast):
        region = frame.filter(pl.col("unique_id") == "total/r1").select(
            "ds", "measure", *(pl.col(c).alias(f"{c}_region") for c in values)
        )
        training = frame.filter(pl.col("unique_id") == "total/r1/training").join(
            region, on=["ds", "measure"]
        )
        assert training.height > 0
        for c in values:
            assert (training[c] <= training[f"{c}_region"] * (1 + 1e-9)).all(), c
    reason = ext.result.summary.filter(
        (pl.col("unique_id") == "total/r1/training") & (pl.col("measure") == "peak")
    )["plan_reason"][0]
    assert "held within its region's from" in reason
    inference = ext.result.summary.filter(pl.col("unique_id") == "total/r1/inference")
    assert inference["plan_reason"].is_null().all()


def _regions_growing(rates: dict[str, tuple[float, float]], *, seed: int) -> pl.DataFrame:
    """Eight regions of one inference customer each, every measure growing at its own pace
    (per year in logs, the second pace over the last 120 days), levels wandering as an AR(1)."""
    rng = np.random.default_rng(seed)
    t = np.arange(HISTORY) - (HISTORY - 1)
    days = [AS_OF - timedelta(days=HISTORY - 1 - d) for d in range(HISTORY)]
    frames = []
    for r in range(8):
        wander = np.zeros(HISTORY)
        shocks = rng.normal(0, 0.01, HISTORY)
        for j in range(1, HISTORY):
            wander[j] = 0.97 * wander[j - 1] + shocks[j]
        noise = rng.normal(0, 0.03, HISTORY)
        for measure, (before, after) in rates.items():
            growth = np.cumsum(np.where(t < -120, before, after) / 365)
            y = 1000.0 * (r + 1) * np.exp(growth + wander + noise)
            for uid in (f"total/r{r}", f"total/r{r}/inference", f"total/r{r}/inference/a"):
                frames.append(
                    pl.DataFrame({"unique_id": uid, "ds": days, "measure": measure, "y": y})
                )
    return pl.concat(frames)


def _followed(rates: dict[str, tuple[float, float]]) -> dict[str, bool]:
    """Per measure: whether the plan's series say they follow a shared change."""
    history = _regions_growing(rates, seed=0)
    bottoms = tuple(f"total/r{r}/inference/a" for r in range(8))
    short = _flat_result(history, bottoms)
    summary = (
        history.select("unique_id", "measure")
        .unique()
        .with_columns(
            pl.lit(None, pl.String).alias("plan_model"),
            pl.lit(None, pl.String).alias("plan_reason"),
        )
    )
    ext = extend_horizon(
        history, replace(short, summary=summary), as_of=AS_OF, months=12, measure_accuracy=False
    )
    reasons = ext.result.summary.with_columns(pl.col("plan_reason").fill_null(""))
    return {
        m: bool(
            reasons.filter(pl.col("measure") == m)["plan_reason"].str.contains("together").any()
        )
        for m in ("peak", "mean")
    }


def test_the_means_follow_a_shared_slowdown_only_where_the_peaks_do() -> None:
    """Growth halving over the last 120 days in both measures: both follow it. In the means
    only, with the peaks growing steadily: neither does, so the paths, drills and customers'
    shares (which the means scale) do not drift from the peaks the triggers read."""
    assert _followed({"peak": (0.7, 0.35), "mean": (0.7, 0.35)}) == {"peak": True, "mean": True}
    assert _followed({"peak": (0.5, 0.5), "mean": (0.7, 0.35)}) == {"peak": False, "mean": False}


def test_a_run_with_no_observed_day_stops_at_the_daily_days_and_says_so() -> None:
    """A run whose regions and classes hold no observed day (an hour of Azure LLM traces: no
    complete day, every daily value null) has nothing to carry past the daily days: the plan
    horizon reads 0 months with the reason, not 36 months of no monthly row (before, the CLI
    printed "plan horizon 36 months (daily, then monthly)" and stored no monthly row)."""
    history = _history()
    short = _flat_result(history)
    unobserved = history.filter(pl.col("ds") == AS_OF).with_columns(
        pl.lit(None, dtype=pl.Float64).alias("y")
    )
    out = extend_horizon(unobserved, short, as_of=AS_OF, months=36)
    assert out.horizon_months == 0
    assert out.months.is_empty()
    assert out.gap is not None and "no region or class has an observed day" in out.gap
    assert out.result.forecast.equals(short.forecast)
    # A daily-only run (no months asked for) has no gap to explain.
    assert extend_horizon(unobserved, short, as_of=AS_OF, months=0).gap is None


STEADY = {
    "total/r1/inference/acme": 300.0,
    "total/r1/inference/borealis": 200.0,
    "total/r1/inference/cygnus": 120.0,
    "total/r1/training/acme": 250.0,
    "total/r1/training/borealis": 150.0,
    "total/r2/inference/delta": 400.0,
}


def _steady_fleet(days: int, *, stop_days: int = 0) -> pl.DataFrame:
    """A flat fleet of ``days`` days (STEADY: GPUs per customer, 3 % noise) in two regions.
    borealis reads zero on its last ``stop_days`` days (it left)."""
    rng = np.random.default_rng(37)
    bottoms = {uid: level * np.exp(rng.normal(0, 0.03, days)) for uid, level in STEADY.items()}
    for uid, y in bottoms.items():
        if "/borealis" in uid and stop_days:
            y[-stop_days:] = 0.0
    return _with_parents(bottoms)


@pytest.mark.parametrize("days", [100, 400])
def test_a_customer_leaving_is_a_step_down_not_a_trend_for_the_others(days: int) -> None:
    """borealis (a third of r1) leaves: zero for its last 30 days. The customers still there
    are flat, and six months out each reads its own level (q50 within 5 %); r1 reads the
    level of the customers still active, down by borealis's share once, not compounding it;
    its plan reason names who was left out. Regression: the region's one-off step was its
    trend and every remaining customer followed its class; on 100 days (random walks) acme's
    inference peak q50 read 0.62x its level six months out, on 400 days (a growth model
    chosen by decision backtest) 1.05x."""
    history = _steady_fleet(days, stop_days=30)
    short = _flat_result(history, tuple(STEADY))
    summary = (
        history.select("unique_id", "measure")
        .unique()
        .with_columns(
            pl.lit(None, pl.String).alias("plan_model"),
            pl.lit(None, pl.String).alias("plan_reason"),
        )
    )
    ext = extend_horizon(history, replace(short, summary=summary), as_of=AS_OF, months=12)
    six_months = ext.result.forecast.filter(
        (pl.col("measure") == "peak") & (pl.col("ds") == AS_OF + timedelta(days=DAYS))
    )

    def q50(uid: str) -> float:
        return float(six_months.filter(pl.col("unique_id") == uid)["q50"][0])

    # The stand-in short model holds each series at its last day's value: its level here.
    today = history.filter((pl.col("measure") == "peak") & (pl.col("ds") == AS_OF))
    for uid in ("total/r1/inference/acme", "total/r1/training/acme", "total/r1/inference/cygnus"):
        level = today.filter(pl.col("unique_id") == uid)["y"][0]
        assert q50(uid) == pytest.approx(level, rel=0.05), uid
    before = history.filter(
        (pl.col("measure") == "peak")
        & (pl.col("unique_id") == "total/r1")
        & (pl.col("ds") <= AS_OF - timedelta(days=30))
    )["y"].mean()
    share = 350.0 / 1020.0  # borealis's GPUs over r1's
    assert q50("total/r1") == pytest.approx(before * (1 - share), rel=0.05)
    reasons = ext.result.summary.filter(pl.col("measure") == "peak")
    for uid in ("total/r1", "total/r1/inference", "total/r1/training"):
        reason = reasons.filter(pl.col("unique_id") == uid)["plan_reason"][0]
        assert "borealis (no demand after" in reason, uid
    assert "borealis" not in (
        reasons.filter(pl.col("unique_id") == "total/r2")["plan_reason"][0] or ""
    )


def test_a_customer_s_peak_band_is_at_most_its_class_s_and_a_lone_customer_reads_its_class_s() -> (
    None
):
    """A short model whose band widens with the lead (q90 2.8x its q50 six months out, as a
    seasonal naive with drift does) hands over to a growth model whose band is narrower.
    Regression: a customer's peak quantiles were its short model's times its class's growth in
    mean, so the only customer of r1 training, the same series as its class, read a q90 twice
    its class's past day 30. Now every customer's peak mean and quantiles are at most its
    class's on every day, and the lone customer reads its class's band."""
    rng = np.random.default_rng(6)
    bottoms = _growing(
        rng,
        {"total/r1/inference/a": 0.5, "total/r1/inference/b": 0.2, "total/r1/training/solo": 0.3},
    )
    history = _with_parents(bottoms)
    short = _flat_result(history, tuple(bottoms))
    lead = (pl.col("ds") - pl.lit(AS_OF)).dt.total_days()
    widening = short.forecast.with_columns(
        (pl.col("q10") * (1 - 0.004 * lead)).alias("q10"),
        (pl.col("q90") * (1 + 0.01 * lead)).alias("q90"),
        (pl.col("q99") * (1 + 0.015 * lead)).alias("q99"),
    )
    ext = extend_horizon(history, replace(short, forecast=widening), as_of=AS_OF, months=12)
    values = ["mean", "q10", "q50", "q90", "q99"]
    peak = ext.result.forecast.filter(pl.col("measure") == "peak")
    classes = peak.select(
        pl.col("unique_id").alias("parent"), "ds", *(pl.col(c).alias(f"{c}_class") for c in values)
    )
    customers = (
        peak.filter(pl.col("unique_id").str.count_matches("/") == 3)
        .with_columns(pl.col("unique_id").str.replace(r"/[^/]+$", "").alias("parent"))
        .join(classes, on=["parent", "ds"])
    )
    assert customers.height == 3 * DAYS
    for c in values:
        assert (customers[c] <= customers[f"{c}_class"] * (1 + 1e-9)).all(), c
    solo = customers.filter(pl.col("unique_id") == "total/r1/training/solo")
    for c in values:
        assert (solo[c] - solo[f"{c}_class"]).abs().max() <= 1e-6 * solo[f"{c}_class"].max(), c
    assert (solo["q90"] > solo["q50"]).all()


def test_the_scored_reach_counts_the_days_measured_past_the_as_of_day() -> None:
    """A Helios run's last day held 16 UTC hours (missing): its backtests' 7-day window ended
    on the last observed day. The banner counted 7 days from that day and dated it from the
    as-of day, the order notes counted 8 from the as-of day, on one page. The forecast is made
    from the last observed day, so the window measured it to 6 days past the as-of day: both
    read 6 now (and a series observed to the as-of day reads its whole window)."""
    as_of = date(2020, 5, 31)
    backtest = pl.DataFrame(
        {"unique_id": ["total", "total/helios"], "cutoff": [date(2020, 5, 23)] * 2}
    )
    accuracy = pl.DataFrame(
        {"unique_id": [], "horizon_days": [], "mae": []},
        schema={"unique_id": pl.String, "horizon_days": pl.Int64, "mae": pl.Float64},
    )

    def reach(last: date) -> int:
        seen = pl.DataFrame({"unique_id": ["total", "total/helios"], "last": [last] * 2})
        return horizon.scored_reach(backtest, accuracy, last_observed=seen, as_of=as_of)

    assert reach(date(2020, 5, 30)) == 6
    assert reach(as_of) == 8
    # Silent since before the last cut-off: nothing past the as-of day was measured.
    assert reach(date(2020, 5, 20)) == 0


def test_the_scored_reach_counts_the_steps_the_earliest_window_scored() -> None:
    """Helios' windows (7 days, cut off 2020-05-22 to 2020-05-24) end on the run's last day,
    2020-05-31, read as missing: the earliest scored all 7 steps, so the forecast from
    2020-05-30 was measured to 2020-06-06, 6 days past the as-of day. The banner read "scored
    5 days ahead": the silent day taken off the last window's observed days and then again.
    A silence as long as the last window's observed days may have ended the windows on the
    last observed day (a silence at least a window long): no day past it is credited."""
    as_of = date(2020, 5, 31)
    cutoffs = [date(2020, 5, 22), date(2020, 5, 23), date(2020, 5, 24)]
    backtest = pl.DataFrame({"unique_id": ["total"] * 3, "cutoff": cutoffs})
    accuracy = pl.DataFrame(
        {"unique_id": [], "horizon_days": [], "mae": []},
        schema={"unique_id": pl.String, "horizon_days": pl.Int64, "mae": pl.Float64},
    )

    def reach(last: date) -> int:
        seen = pl.DataFrame({"unique_id": ["total"], "last": [last]})
        return horizon.scored_reach(backtest, accuracy, last_observed=seen, as_of=as_of)

    assert reach(date(2020, 5, 30)) == 6
    assert reach(date(2020, 5, 29)) == 5
    assert reach(as_of) == 7
    assert reach(date(2020, 5, 27)) == 0


def test_a_stored_runs_scored_days_count_from_each_series_last_observed_day(
    wh: warehouse.Warehouse,
) -> None:
    """The triggers' "past the N days ahead this run's backtests scored" read every series as
    observed to the as-of day: on a Helios run whose last day was missing it said 8 where the
    banner said 7, on one page. It reads each series' last observed day off its days without
    telemetry at the end now, and says 6, the banner's figure."""
    as_of = date(2020, 5, 31)
    table = REGISTRY["forecast_runs"]
    run = {
        "run_id": "f1", "as_of": as_of, "created_at": datetime(2020, 6, 1, tzinfo=UTC),
        "horizon_days": 56, "series": 2, "reconciliation": "mint", "seconds": 1.0,
        "settings": "{}", "versions": "{}", "horizon_months": None, "seen_before": None,
        "seen_rows": None, "seen_checksum": None, "seen_last_ts": None,
        "outages_recorded": None, "months_refused": None, "months_refusal_recorded": None,
        "adapter_outages_unknown": None,
    }  # fmt: skip
    assert set(run) == set(table.schema.names())
    ids = ["total", "total/helios"]
    summary = pl.DataFrame(
        {"unique_id": ids, "measure": ["peak"] * 2, "model": ["ets"] * 2, "n_days": [28] * 2,
         "stale_days": [1, 1]},
    )  # fmt: skip
    backtest = pl.DataFrame(
        {"unique_id": ids, "measure": ["peak"] * 2, "model": ["ets"] * 2,
         "cutoff": [date(2020, 5, 23)] * 2},
    )  # fmt: skip
    frames = {name: pl.DataFrame(schema=frame_schema(name)) for name in RUN_TABLES["forecast_runs"]}
    frames["forecast_summary"] = pl.concat(
        [frames["forecast_summary"], summary], how="diagonal_relaxed"
    )
    frames["backtests"] = pl.concat([frames["backtests"], backtest], how="diagonal_relaxed")
    wh.save_run("forecast_runs", run, frames)
    assert scored_days(wh, "f1") == 6


def _sparse_bursty_beside_steady(seed: int = 7) -> pl.DataFrame:
    """One region: steady inference growing 60 % a year (7,800 GPUs today), and a sparse,
    bursty evaluation class (zero on most days, spikes of ~600 GPUs on a few, its block means
    jumping between 7 and 277: about 0.7 % of the region)."""
    rng = np.random.default_rng(seed)
    t = np.arange(HISTORY)
    steady = 3000.0 * 1.6 ** (t / 365) * np.exp(rng.normal(0, 0.03, HISTORY))
    jumps = np.repeat(np.exp(rng.normal(0, 0.7, HISTORY // 28 + 1)), 28)[:HISTORY]
    rate = 0.05 * 1.6 ** (t / 365) * jumps
    spikes = rng.lognormal(np.log(600), 0.5, HISTORY)
    bursty = np.where(rng.random(HISTORY) < rate, spikes, 0.0)
    return _with_parents({"total/r1/inference/a": steady, "total/r1/evaluation/b": bursty})


def test_a_sparse_bursty_class_does_not_take_its_region_s_growth_at_36_months() -> None:
    """A bursty class's growth model compounds its block-to-block jumps into a log spread of 4-5
    by the 36th month, so its mean, exp(mu + s^2/2), read thousands of times its median (held
    at its own q90). Split by those means, it took its region: on this fleet evaluation (57
    GPUs today) read a January 2029 mean of 25,523 on a q50 of 1, and steady inference (7,780
    GPUs, +60 % a year) fell to 482 (the synthetic fleet's eu-west inference, 3,717 -> 317).
    Now the region's mean is split by its classes' central paths: the growing class keeps
    growing, the bursty class's mean stays in its band and a small part of the region, the
    classes' means add up to the region's, and the region's median stays within 2x the
    extrapolation of its last year's growth."""
    history = _sparse_bursty_beside_steady()
    bottoms = ("total/r1/inference/a", "total/r1/evaluation/b")
    ext = extend_horizon(history, _flat_result(history, bottoms), as_of=AS_OF, months=36)
    months = ext.months.filter(pl.col("measure") == "mean").sort("ds")

    def rows(uid: str) -> pl.DataFrame:
        return months.filter(pl.col("unique_id") == uid)

    region, inference, evaluation = (
        rows("total/r1"),
        rows("total/r1/inference"),
        rows("total/r1/evaluation"),
    )
    assert region.height == inference.height == evaluation.height == 36
    recent = history.filter(
        (pl.col("measure") == "mean") & (pl.col("ds") > AS_OF - timedelta(days=28))
    )
    today = dict(recent.group_by("unique_id").agg(pl.col("y").mean()).iter_rows())
    means = inference["mean"].to_numpy()
    assert means[0] >= 0.95 * today["total/r1/inference"]
    assert (np.diff(means) >= -1e-6 * means[1:]).all()
    assert means[-1] > 2 * today["total/r1/inference"]
    for row in evaluation.iter_rows(named=True):
        assert row["q10"] - 1e-6 <= row["mean"] <= row["q90"] + 1e-6, row
    share = evaluation["mean"] / region["mean"]
    assert share.max() < 0.05
    parts = inference["mean"] + evaluation["mean"]
    assert ((parts - region["mean"]).abs() <= 1e-6 * region["mean"]).all()
    # The region's median against its last year's log-linear growth carried 36 months on.
    level = (
        history.filter((pl.col("unique_id") == "total/r1") & (pl.col("measure") == "mean"))
        .sort("ds")["y"]
        .to_numpy()
    )
    slope = np.polyfit(np.arange(364), np.log(level[-364:]), 1)[0]
    days = (region["ds"][-1] - AS_OF).days
    extrapolated = today["total/r1"] * math.exp(slope * days)
    assert 0.5 * extrapolated <= region["q50"][-1] <= 2.0 * extrapolated


def test_a_customer_s_monthly_share_does_not_depend_on_the_daily_horizon() -> None:
    """A customer's monthly rows are its class's times its share of the class; the share was
    read on the last daily day, so the same month's class demand went to other customers as
    the daily horizon changed (the synthetic fleet's eu-west evaluation customer drove 95.5 %
    of its class's growth in a 7-day run and 73.3 % in a 26-week one). Here acme's share of
    inference climbs from 71 % to 86 % over the short model's 182 days; the share is now read
    on the short model's first week, which every run has, so a 7-day and a 182-day run give
    acme the same months past both runs' daily rows (a month with daily rows reads at least
    them)."""
    history = _history()
    short = _flat_result(history)
    acme, other = "total/r1/inference/acme", "total/r1/inference/other"
    day = (pl.col("ds") - pl.lit(AS_OF)).dt.total_days().cast(pl.Float64)
    moved = pl.col("mean") * 0.2 * day / DAYS
    values = ["mean", "q10", "q50", "q90", "q99"]
    acme_mean = short.forecast.filter(pl.col("unique_id") == acme).select(
        "ds", "measure", (pl.col("mean") * 0.2 * day / DAYS).alias("gain")
    )
    forecast = (
        short.forecast.join(acme_mean, on=["ds", "measure"])
        .with_columns(
            pl.when(pl.col("unique_id") == acme)
            .then(pl.col(c) + moved * pl.col(c) / pl.col("mean"))
            .when(pl.col("unique_id") == other)
            .then(pl.col(c) - pl.col("gain") * pl.col(c) / pl.col("mean"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in values
        )
        .drop("gain")
    )
    leaf = forecast.filter(pl.col("measure") == "mean").select(
        "unique_id", "ds", pl.col("mean").alias("y")
    )
    paths = (
        short.paths.drop("y")
        .join(leaf, on=["unique_id", "ds"])
        .select(PATHS_SCHEMA.names())
        .cast(PATHS_SCHEMA)
    )
    long_run = replace(short, forecast=forecast, paths=paths)
    week = AS_OF + timedelta(days=7)
    short_run = replace(
        short,
        forecast=forecast.filter(pl.col("ds") <= week),
        paths=paths.filter(pl.col("ds") <= week),
    )
    runs = [
        extend_horizon(history, run, as_of=AS_OF, months=12).months for run in (short_run, long_run)
    ]
    past = (pl.col("unique_id") == acme) & (pl.col("ds") > forecast["ds"].max())
    both = runs[0].filter(past).join(runs[1].filter(past), on=["ds", "measure"])
    assert both.height >= 2 * 5
    for column in values:
        assert (
            (both[column] - both[f"{column}_right"]).abs() <= 1e-6 * both[f"{column}_right"]
        ).all(), column


def _bursty_beside_steady(*, onboarded_days: int = 0) -> pl.DataFrame:
    """400 days of one class: steady at 500 GPUs, bursty at 100 with a day of 400 every ten
    days (never on the last day), and, with ``onboarded_days``, a newcomer at 300 over its
    last ``onboarded_days`` days (zero before)."""
    rng = np.random.default_rng(11)
    days = 400
    bursty = np.where(np.arange(days) % 10 == 3, 400.0, 100.0)
    bottoms = {
        "total/r1/inference/steady": 500.0 * np.exp(rng.normal(0, 0.01, days)),
        "total/r1/inference/bursty": bursty * np.exp(rng.normal(0, 0.01, days)),
    }
    if onboarded_days:
        bottoms["total/r1/inference/newcomer"] = np.where(
            np.arange(days) >= days - onboarded_days, 300.0, 0.0
        )
    return _with_parents(bottoms)


def _months_past_the_days(ext: object, uid: str) -> pl.DataFrame:
    months = ext.months  # type: ignore[attr-defined]
    last_day = ext.result.forecast["ds"].max()  # type: ignore[attr-defined]
    return months.filter(
        (pl.col("unique_id") == uid) & (pl.col("measure") == "peak") & (pl.col("ds") > last_day)
    )


def test_a_bursty_customer_s_peak_months_read_its_busiest_days_not_its_share_of_the_mean() -> None:
    """A customer at 100 GPUs with a day of 400 every ten days, beside a steady one at 500:
    each month it peaks at 400 of its class's 900. Its monthly peak rows were its class's
    times its part of the class's mean over the first forecast week (100 of 600), so its months
    read 1/6 of its class's peak, about 195 GPUs (x 1.3, the peak measure here) against the
    520 it reaches every month: on the demo fleet customers' months ran 11-21 % low and above
    their q90 in a third of months. Now a customer's peak months are its share of its class's
    monthly peak over the last three complete months (4/9), so they read its busiest days."""
    history = _bursty_beside_steady()
    short = _flat_result(history, ("total/r1/inference/steady", "total/r1/inference/bursty"))
    ext = extend_horizon(history, short, as_of=AS_OF, months=12)
    bursty = _months_past_the_days(ext, "total/r1/inference/bursty")
    klass = _months_past_the_days(ext, "total/r1/inference")
    assert bursty.height >= 5
    busiest = 400.0 * 1.3
    assert bursty["q50"].min() >= 0.9 * busiest
    assert bursty["q50"].max() <= 1.15 * busiest
    ratio = bursty.join(klass, on="ds").select(pl.col("q50") / pl.col("q50_right"))
    assert ratio.to_series().to_list() == pytest.approx([4 / 9] * bursty.height, rel=0.02)
    assert (bursty["q90"] >= bursty["q50"]).all()


def test_a_customer_onboarded_within_the_share_months_keeps_its_share_of_today() -> None:
    """A newcomer at 300 GPUs for its last 40 days had no demand in most of the months a
    peak share is read on; read over them its share would be a third of where it has
    arrived. It keeps its share of today: its share of its class's daily peak in its own
    history since it arrived (300 of 900 GPUs, its class's peak days a little higher with the
    bursty neighbour's bursts: 0.32), about a third of its class's months, not the 13 % its
    three months' peaks would give."""
    history = _bursty_beside_steady(onboarded_days=40)
    bottoms = ("total/r1/inference/steady", "total/r1/inference/bursty")
    short = _flat_result(history, (*bottoms, "total/r1/inference/newcomer"))
    ext = extend_horizon(history, short, as_of=AS_OF, months=12)
    newcomer = _months_past_the_days(ext, "total/r1/inference/newcomer")
    klass = _months_past_the_days(ext, "total/r1/inference")
    assert newcomer.height >= 5
    ratio = newcomer.join(klass, on="ds").select(pl.col("q50") / pl.col("q50_right"))
    assert ratio.to_series().to_list() == pytest.approx([0.32] * newcomer.height, rel=0.02)


def test_the_total_moves_with_its_regions_past_the_short_model(
    extended: tuple[ForecastResult, object],
) -> None:
    """The total was left to its short model while its regions moved to their growth models:
    on the demo its mean six months out read 32,186 GPUs beside regions adding up to 42,317,
    and its peak sat below their means. Its mean is now its regions' sum on every day, and
    its peak moves as theirs do."""
    short, ext = extended
    result = ext.result  # type: ignore[attr-defined]
    for measure in ("mean", "peak"):
        frame = result.forecast.filter(pl.col("measure") == measure)
        total = frame.filter(pl.col("unique_id") == "total").sort("ds")
        region = frame.filter(pl.col("unique_id") == "total/r1").sort("ds")
        before = short.forecast.filter(
            (pl.col("measure") == measure) & (pl.col("unique_id") == "total")
        ).sort("ds")
        assert (total["mean"] - region["mean"]).abs().max() <= 1e-6 * region["mean"].max()
        assert total["mean"][-1] > 1.05 * before["mean"][-1]
        assert (total["q90"] >= total["q50"]).all()


def _with_a_clipped_total_band(short: ForecastResult, *, n_paths: int = 60) -> ForecastResult:
    """``short`` with spread bottom-level paths (each leaf's mean times 10 % lognormal noise) and
    the total's mean-measure band where reconciliation put it on a declining fleet: above its
    mean, the leaves' paths clipped at zero (q10/q50/q90/q99 at 1.3/1.5/1.8/2.0x the mean)."""
    rng = np.random.default_rng(11)
    leaves = short.paths.select("unique_id", "ds").unique().sort("unique_id", "ds")
    means = short.forecast.filter(pl.col("measure") == "mean").select("unique_id", "ds", "mean")
    paths = (
        leaves.join(means, on=["unique_id", "ds"])
        .join(pl.DataFrame({"sample_id": np.arange(n_paths, dtype=np.int32)}), how="cross")
        .sort("unique_id", "ds", "sample_id")
    )
    paths = paths.select(
        "unique_id",
        "ds",
        "sample_id",
        (pl.col("mean") * np.exp(rng.normal(0, 0.1, paths.height))).alias("y"),
    ).cast(PATHS_SCHEMA)
    total = (pl.col("unique_id") == "total") & (pl.col("measure") == "mean")
    factors = {"q10": 1.3, "q50": 1.5, "q90": 1.8, "q99": 2.0}
    forecast = short.forecast.with_columns(
        pl.when(total).then(pl.col("mean") * f).otherwise(pl.col(c)).alias(c)
        for c, f in factors.items()
    )
    return replace(short, forecast=forecast, paths=paths)


def test_the_total_band_is_its_summed_paths_around_its_mean() -> None:
    """The total's band was the short model's times its regions' mean move: where the short
    model's band sat above its mean (reconciliation clips leaves' paths at zero, their mean is
    not clipped alike), the total's mean read below its own q10 (44 of 182 days on a fleet
    declining 40 %, mean 17,358 beside q10 16,865 and q50 23,178, while its summed paths read
    14,881/17,439). Its quantiles are now those of the summed bottom-level paths the drills
    play, on every day, and its mean (its regions' sum) lies inside them."""
    history = _history()
    short = _with_a_clipped_total_band(_flat_result(history))
    ext = extend_horizon(history, short, as_of=AS_OF, months=36, measure_accuracy=False)
    result = ext.result
    leaves = result.paths.filter(pl.col("unique_id").is_in(list(SHARES)))
    summed = leaves.group_by("ds", "sample_id").agg(pl.col("y").cast(pl.Float64).sum())
    total = (
        result.forecast.filter((pl.col("unique_id") == "total") & (pl.col("measure") == "mean"))
        .join(summed.group_by("ds").agg(pl.col("y")), on="ds")
        .sort("ds")
    )
    assert total.height == DAYS
    for column, q in (("q10", 0.1), ("q50", 0.5), ("q90", 0.9), ("q99", 0.99)):
        expected = np.array([np.quantile(np.asarray(ys), q) for ys in total["y"]])
        assert np.allclose(total[column].to_numpy(), expected, rtol=1e-9), column
    assert (total["q10"] <= total["mean"]).all()
    assert (total["mean"] <= total["q90"]).all()
    region = result.forecast.filter(
        (pl.col("unique_id") == "total/r1") & (pl.col("measure") == "mean")
    ).sort("ds")
    assert np.allclose(total["mean"].to_numpy(), region["mean"].to_numpy(), rtol=1e-9)


def test_a_month_s_peak_reads_at_least_its_days_and_continues_from_where_they_end() -> None:
    """A monthly peak row is its month's peak day, yet the growth models' months read below the
    short model's days at the seam (synthetic fleet: us-west training January 2027 q90 2,555
    beside days up to 3,053; a 7-day run read the class green where a 26-week run read it
    short). Here the short model's peaks read 1.6x the history's level: every month with daily
    rows reads at least its days, and a 7-day run's first month at least its last week."""
    history = _history()
    short = _flat_result(history)
    lifted = short.forecast.with_columns(
        pl.when(pl.col("measure") == "peak").then(pl.col(c) * 1.6).otherwise(pl.col(c)).alias(c)
        for c in ("mean", "q10", "q50", "q90", "q99")
    )
    values = ["mean", "q10", "q50", "q90", "q99"]
    long_run = replace(short, forecast=lifted)
    week = AS_OF + timedelta(days=7)
    short_run = replace(short, forecast=lifted.filter(pl.col("ds") <= week))
    for run in (long_run, short_run):
        extended = extend_horizon(history, run, as_of=AS_OF, months=12)
        days = (
            extended.result.forecast.filter(pl.col("measure") == "peak")
            .group_by("unique_id", pl.col("ds").dt.month_start())
            .agg(pl.col(c).max().alias(f"{c}_days") for c in values)
        )
        months = extended.months.filter(pl.col("measure") == "peak").join(
            days, on=["unique_id", "ds"]
        )
        assert months.height >= 5, months.height
        for column in values:
            below = months.filter(pl.col(column) < pl.col(f"{column}_days") * (1 - 1e-9))
            assert below.is_empty(), (column, below.select("unique_id", "ds", column).head())
    last_week = (
        short_run.forecast.filter(pl.col("measure") == "peak")
        .group_by("unique_id")
        .agg(pl.col("q90").max().alias("end"))
    )
    first_month = AS_OF.replace(day=1) + timedelta(days=31)
    extended = extend_horizon(history, short_run, as_of=AS_OF, months=12)
    july = extended.months.filter(
        (pl.col("measure") == "peak") & (pl.col("ds") == first_month.replace(day=1))
    ).join(last_week, on="unique_id")
    # Every region, class and customer (the total has no monthly rows: no trigger reads it).
    assert july.height == last_week.height - 1
    assert (july["q90"] >= july["end"] * (1 - 1e-9)).all(), july.select("unique_id", "q90", "end")


def test_a_short_run_s_months_carry_what_its_days_read_above_the_growth_model() -> None:
    """A 7-day run took the growth model's months from its second week, though its daily rows
    read above that model: the synthetic fleet's us-west training read January 2027 at a q90
    of 2,555, its 26-week run's days 3,053, and the 7-day run read the class green where the
    26-week one dated it short. The months now carry the last week's excess over the growth
    model as the daily rows would (in full through day 28, none from day 91), a customer its
    class's; a short model reading below the growth model leaves the months as they are."""
    as_of = date(2026, 12, 4)
    week = [as_of + timedelta(days=d) for d in range(1, 8)]
    ids = ["total/r1", "total/r1/training", "total/r1/training/acme"]

    def rows(values: dict[str, float], days: list[date]) -> pl.DataFrame:
        return pl.DataFrame(
            [
                {"unique_id": uid, "ds": day, "measure": "peak", "mean": v, "q50": v, "q90": v}
                for uid, v in values.items()
                for day in days
            ]
        )

    daily = rows({ids[0]: 100.0, ids[1]: 60.0, ids[2]: 30.0}, week)
    # The growth model reads the region as its days do and the class a fifth below them.
    growth = rows({ids[0]: 100.0, ids[1]: 50.0}, week).drop("measure")
    months = [date(2027, 1, 1), date(2027, 2, 1), date(2027, 4, 1)]
    monthly = pl.concat(
        [
            rows({ids[0]: 300.0, ids[1]: 100.0, ids[2]: 40.0}, months),
            rows({ids[0]: 300.0, ids[1]: 100.0, ids[2]: 40.0}, months).with_columns(
                measure=pl.lit("mean")
            ),
        ]
    )
    lifted = horizon._months_lifted_as_their_days(monthly, daily, growth, as_of=as_of)

    def q90(uid: str, month: date, measure: str = "peak") -> float:
        row = lifted.filter(
            (pl.col("unique_id") == uid) & (pl.col("ds") == month) & (pl.col("measure") == measure)
        )
        return float(row["q90"][0])

    # January is served from day 28 (carried in full): the class 20 % up, its customer alike.
    assert q90(ids[1], months[0]) == pytest.approx(120.0)
    assert q90(ids[2], months[0]) == pytest.approx(48.0)
    # February part-way (day 59: the smoothstep halfway), April not at all (day 118).
    assert 100.0 < q90(ids[1], months[1]) < 120.0
    assert q90(ids[1], months[2]) == pytest.approx(100.0)
    # The region reads as its growth model did, and the mean measure's months are its own.
    assert q90(ids[0], months[0]) == pytest.approx(300.0)
    assert q90(ids[1], months[0], "mean") == pytest.approx(100.0)
    # A short model reading below the growth model: no lift, and no cut.
    below = horizon._months_lifted_as_their_days(
        monthly, daily.with_columns(pl.col("q90") * 0.5), growth, as_of=as_of
    )
    assert below.sort("unique_id", "ds", "measure")["q90"].to_list() == (
        monthly.sort("unique_id", "ds", "measure")["q90"].to_list()
    )


def test_a_short_run_s_lifted_months_keep_their_quantiles_in_order() -> None:
    """A 7-day run of a 90-day synthetic fleet (`fleetcast synth --days 90 --customers 12
    --seed 3`, `forecast --horizon 1w`) stored eu-west evaluation's December 2026 peak as q10
    4,291 GPUs, q50 422, q90 633: a bursty class's growth model read its days' q10 near 1 GPU,
    its short model 20, and the months took the ratio, 28-fold, on q10 alone; 79 monthly rows
    of its evaluation and experimentation classes and their customers read q10 above q90 for
    three months. A lower quantile now rises by no larger share than the ones above it, so a
    month's quantiles stay in order, while a wider daily band still lifts its upper tail."""
    as_of = date(2026, 12, 6)
    week = [as_of + timedelta(days=d) for d in range(1, 8)]
    ids = ["total/r1", "total/r1/evaluation", "total/r1/evaluation/acme"]

    def rows(values: dict[str, dict[str, float]], days: list[date]) -> pl.DataFrame:
        return pl.DataFrame(
            [
                {"unique_id": uid, "ds": day, "measure": "peak", **v}
                for uid, v in values.items()
                for day in days
            ]
        )

    short = {"mean": 75.0, "q10": 20.0, "q50": 65.0, "q90": 150.0, "q99": 320.0}
    grown = {"mean": 60.0, "q10": 0.7, "q50": 52.0, "q90": 100.0, "q99": 200.0}
    region = {"mean": 900.0, "q10": 500.0, "q50": 900.0, "q90": 1500.0, "q99": 3000.0}
    daily = rows({ids[0]: region, ids[1]: short}, week)
    growth = rows({ids[0]: region, ids[1]: grown}, week).drop("measure")
    month = {"mean": 313.0, "q10": 150.0, "q50": 333.0, "q90": 500.0, "q99": 1100.0}
    share = {k: v / 4 for k, v in month.items()}
    monthly = rows(
        {ids[0]: {k: 10 * v for k, v in month.items()}, ids[1]: month, ids[2]: share},
        [date(2026, 12, 1), date(2027, 1, 1)],
    )
    lifted = horizon._months_lifted_as_their_days(monthly, daily, growth, as_of=as_of)
    order = ["q10", "q50", "q90", "q99"]
    for row in lifted.iter_rows(named=True):
        assert [row[c] for c in order] == sorted(row[c] for c in order), row
    december = lifted.filter((pl.col("unique_id") == ids[1]) & (pl.col("ds") == date(2026, 12, 1)))
    # q90 read 1.5x its growth model's over the last week (q99 1.6x): the month's q90 still
    # rises by its own share.
    assert float(december["q90"][0]) == pytest.approx(750.0)
    # q50 by its own 25 %, and q10 by no more than q50's share.
    assert float(december["q50"][0]) == pytest.approx(333.0 * 1.25)
    assert float(december["q10"][0]) <= 150.0 * 1.25 + 1e-9


def test_a_daily_only_run_holds_each_customer_s_peak_within_its_class() -> None:
    """`forecast --horizon 26w --horizon-months 0` on a 200-day shaped synthetic fleet stored
    a customer's daily peak q90 up to 4.3 times its whole class's (517 of 9,646 customer rows,
    8 customers; a 45-day fleet 406 rows, 1.98x), where the same fleet's plan runs, asked for
    months (made or refused), held every customer within its class: a customer's peak hour is
    part of its class's, so none of its quantiles can exceed the class's. A daily-only run now
    holds the peak rows so too, and leaves the mean measure, reconciled, as it is."""
    from forecasting.runs.forecasts import plan_past_lead_times

    history = _history()
    short = _flat_result(history)
    acme = (pl.col("unique_id") == "total/r1/inference/acme") & (pl.col("measure") == "peak")
    wide = short.forecast.with_columns(
        pl.when(acme).then(pl.col(c) * 3).otherwise(pl.col(c)).alias(c) for c in ("q90", "q99")
    )
    result, extended, _ = plan_past_lead_times(
        history, replace(short, forecast=wide), as_of=AS_OF, months=0, book=None, seed=0
    )
    assert extended is None
    rows = result.forecast.filter(pl.col("measure") == "peak")
    theirs = rows.filter(pl.col("unique_id") == "total/r1/inference").select(
        "ds", *(pl.col(c).alias(f"{c}_class") for c in ("q10", "q50", "q90", "q99"))
    )
    held = rows.filter(acme).join(theirs, on="ds")
    assert held.height == DAYS
    for c in ("q10", "q50", "q90", "q99"):
        assert (held[c] <= held[f"{c}_class"] + 1e-9).all(), c
    # Its band stays a band: q90 at the class's, its q10 and q50 its own.
    assert held["q90"].to_list() == held["q90_class"].to_list()
    own = short.forecast.filter(acme)
    assert held["q50"].to_list() == own["q50"].to_list()
    # The mean measure is the reconciled one: as it was.
    assert_frame_equal(
        result.forecast.filter(pl.col("measure") == "mean"),
        wide.filter(pl.col("measure") == "mean"),
    )


def test_a_month_s_peak_reads_at_least_its_days_with_the_contract_book_applied() -> None:
    """The book lifts the daily rows' quantiles by a pipeline deal's draws on the paths and
    the monthly rows' means only, so a month's peak row read below its own days again after
    it (the demo: 18 of 529 months, a pipeline customer's q90 among them). A month with daily
    rows reads at least them after the book too."""
    from forecasting.contracts import Contract, ContractBook, ContractStatus, Step
    from forecasting.runs.forecasts import plan_past_lead_times
    from forecasting.schema import WorkloadClass

    history = _history()
    summary = pl.DataFrame(
        schema={"unique_id": pl.String, "measure": pl.String, "model": pl.String}
    )
    short = replace(_flat_result(history), summary=summary)
    deal = Contract(
        id="deal-1",
        customer="acme",
        workload_class=WorkloadClass.INFERENCE,
        region="r1",
        ramp=(Step(AS_OF + timedelta(days=20), 2000),),
        term_end=AS_OF + timedelta(days=900),
        status=ContractStatus.PIPELINE,
        probability=0.5,
    )
    result, extended, applied = plan_past_lead_times(
        history, short, as_of=AS_OF, months=12, book=ContractBook(contracts=(deal,)), seed=0
    )
    assert extended is not None and applied is not None
    values = ["mean", "q10", "q50", "q90", "q99"]
    days = (
        result.forecast.filter(pl.col("measure") == "peak")
        .group_by("unique_id", pl.col("ds").dt.month_start())
        .agg(pl.col(c).max().alias(f"{c}_days") for c in values)
    )
    months = extended.months.filter(pl.col("measure") == "peak").join(days, on=["unique_id", "ds"])
    assert months.height >= 6 * 5
    for column in values:
        below = months.filter(pl.col(column) < pl.col(f"{column}_days") * (1 - 1e-9))
        assert below.is_empty(), (column, below.select("unique_id", "ds", column).head())


def test_a_plan_with_the_book_stores_no_total_months_and_every_month_s_band_in_order() -> None:
    """The plan's monthly rows hold regions, classes and customers, not the total. With a
    signed floor and a pipeline deal applied, the total gained monthly rows of the book's
    own: where the run had daily rows they read like the fleet (raised to its days), and past
    them the book's lifts alone, a floor lifting q10 more than q90 (on the demo July 2027 read
    q10 1,487 > q50 902 > q90 87 > q99 0 where the regions summed to 52,558 at q50). No
    monthly row is the total's now, and every row's quantiles are in order: the floor also
    lifted acme's class's peak q10 about a GPU above its q50 in 3 months (the class's band
    narrower there than acme's), and acme's own rows read their floor a billionth apart."""
    from forecasting.contracts import Contract, ContractBook, ContractStatus, Step
    from forecasting.runs.forecasts import plan_past_lead_times
    from forecasting.schema import WorkloadClass

    history = _history()
    summary = pl.DataFrame(
        schema={"unique_id": pl.String, "measure": pl.String, "model": pl.String}
    )
    short = replace(_flat_result(history), summary=summary)
    floor = Contract(
        id="acme-floor",
        customer="acme",
        workload_class=WorkloadClass.INFERENCE,
        region="r1",
        # Above acme's band (about 1,000-1,400 GPUs at its peak): it lifts q10 the most.
        ramp=(Step(AS_OF + timedelta(days=30), 3000),),
        term_end=AS_OF + timedelta(days=900),
        status=ContractStatus.SIGNED,
    )
    deal = Contract(
        id="newco-deal",
        customer="newco",
        workload_class=WorkloadClass.TRAINING,
        region="r1",
        ramp=(Step(AS_OF + timedelta(days=60), 800),),
        term_end=AS_OF + timedelta(days=900),
        status=ContractStatus.PIPELINE,
        probability=0.5,
    )
    _, extended, applied = plan_past_lead_times(
        history,
        short,
        as_of=AS_OF,
        months=12,
        book=ContractBook(contracts=(floor, deal)),
        seed=0,
    )
    assert extended is not None and applied is not None
    months = extended.months
    assert months.filter(pl.col("unique_id") == hierarchy.TOTAL).is_empty()
    # The book reached the rows: acme is floored past the daily days, newco has rows.
    acme = months.filter(
        (pl.col("unique_id") == "total/r1/inference/acme")
        & (pl.col("ds") > AS_OF + timedelta(DAYS))
    )
    assert acme.height and acme["q10"].min() >= 3000 - 1e-6
    assert months.filter(pl.col("unique_id") == "total/r1/training/newco").height
    inverted = months.filter(
        (pl.col("q10") > pl.col("q50"))
        | (pl.col("q50") > pl.col("q90"))
        | (pl.col("q90") > pl.col("q99"))
    )
    assert inverted.is_empty(), inverted.select("unique_id", "ds", "measure", "q10", "q50", "q90")


def test_a_short_run_s_peak_months_read_at_least_the_days_means_of_their_month() -> None:
    """A day's peak is at least its mean, so a month's peak row is at least every day's mean
    measure in it. A class whose peak is steady and whose mean moves read its 26-week run's
    peak days past day 91 at its mean measure's band (held above the means), while a 7-day
    run's peak months, the peak growth model's alone, read below them (the synthetic fleet's
    eu-west May 2027: a monthly peak q90 of 8,632 beside days of 9,533; here up to 3 %
    below). No month of the 7-day run reads below the mean measure's days of the 26-week run."""
    rng = np.random.default_rng(11)
    level = 1000.0 * 1.4 ** (np.arange(HISTORY) / 365)
    frames = []
    for uid, share in SHARES.items():
        base = share * level
        # The mean wanders (its steps add up), always below the steady peak.
        wander = np.cumsum(rng.normal(0, 0.04, HISTORY))
        peak = 1.3 * base * np.exp(rng.normal(0, 0.01, HISTORY))
        for measure, y in (
            ("mean", np.minimum(1.2 * base * np.exp(wander - wander[-1]), peak)),
            ("peak", peak),
        ):
            frames.append(
                pl.DataFrame(
                    {
                        "unique_id": uid,
                        "ds": [AS_OF - timedelta(days=HISTORY - 1 - d) for d in range(HISTORY)],
                        "measure": measure,
                        "y": y,
                    }
                )
            )
    bottom = pl.concat(frames)
    history = (
        pl.concat(
            [
                bottom,
                bottom.with_columns(pl.col("unique_id").str.replace(r"/[^/]+$", "")),
                bottom.with_columns(pl.col("unique_id").str.extract(r"^(total/[^/]+)")),
                bottom.with_columns(pl.lit("total").alias("unique_id")),
            ]
        )
        .group_by("unique_id", "ds", "measure")
        .agg(pl.col("y").sum())
        .sort("unique_id", "measure", "ds")
    )
    short = _flat_result(history)
    week = replace(short, forecast=short.forecast.filter(pl.col("ds") <= AS_OF + timedelta(7)))
    long_run = extend_horizon(history, short, as_of=AS_OF, months=7).result.forecast
    short_run = extend_horizon(history, week, as_of=AS_OF, months=7).months
    far = pl.col("ds") > AS_OF + timedelta(days=91)
    means = (
        long_run.filter((pl.col("measure") == "mean") & far)
        .group_by("unique_id", pl.col("ds").dt.month_start())
        .agg(pl.col("q90").max().alias("days"))
    )
    months = short_run.filter(pl.col("measure") == "peak").join(means, on=["unique_id", "ds"])
    regions_and_classes = months.filter(pl.col("unique_id").str.count_matches("/").is_between(1, 2))
    assert regions_and_classes.height >= 3 * 3, regions_and_classes.height
    below = regions_and_classes.filter(pl.col("q90") < pl.col("days") * (1 - 1e-9))
    assert below.is_empty(), below.select("unique_id", "ds", "q90", "days").rows()


def _short_at_recent_means(history: pl.DataFrame, bottoms: tuple[str, ...]) -> ForecastResult:
    """A short-model result reading each series of ``history`` at its mean day of its last
    four weeks, flat (its paths left for the test to set)."""
    recent_means = history.group_by("unique_id", "measure").agg(
        pl.col("y").filter(pl.col("ds") > AS_OF - timedelta(days=28)).mean().alias("recent")
    )
    return _flat_result(
        history.join(recent_means, on=["unique_id", "measure"]).with_columns(
            pl.when(pl.col("ds") == AS_OF).then(pl.col("recent")).otherwise(pl.col("y")).alias("y")
        ),
        bottoms,
    )


def test_a_lumpy_customer_s_daily_band_past_the_short_model_covers_its_quiet_and_busy_days() -> (
    None
):
    """A customer at 100 GPUs with a day of 400 every fourth day, beside a steady one at 500.
    Its daily peak rows past the short model were its share of its class's band, about a
    fifth of it on every day: its busy days (a quarter of them) sat above its q90 and its
    quiet days near its q10 (on the demo fleet customers' days 91-182 out sat below their q10
    on a fifth to two fifths of days). Its band now spreads as its days spread around its
    share of the class's level (its mean-measure rows read its sample paths, which draw its
    days): a quarter of its days above its q90 no longer, its quiet days not below its q10,
    and the steady customer's band no wider than its days."""
    rng = np.random.default_rng(12)
    days = 400
    lumpy = np.where(np.arange(days) % 4 == 1, 400.0, 100.0)
    bottoms = {
        "total/r1/inference/steady": 500.0 * np.exp(rng.normal(0, 0.03, days)),
        "total/r1/inference/lumpy": lumpy * np.exp(rng.normal(0, 0.01, days)),
    }
    history = _with_parents(bottoms)
    short = _short_at_recent_means(history, tuple(bottoms))
    # Its sample paths draw its last quarter's days, as a bootstrap of its residuals would.
    n = 100
    paths = pl.concat(
        pl.DataFrame(
            {
                "unique_id": uid,
                "ds": [AS_OF + timedelta(days=d + 1) for d in range(DAYS) for _ in range(n)],
                "sample_id": np.tile(np.arange(n), DAYS),
                "y": rng.choice(y[-91:], size=DAYS * n),
            }
        )
        for uid, y in bottoms.items()
    ).cast(PATHS_SCHEMA)
    short = replace(short, paths=paths)
    ext = extend_horizon(history, short, as_of=AS_OF, months=6)
    lead = (pl.col("ds") - pl.lit(AS_OF)).dt.total_days()
    rows = ext.result.forecast.filter(lead.is_between(91, 182))
    band = rows.filter(
        (pl.col("unique_id") == "total/r1/inference/lumpy") & (pl.col("measure") == "peak")
    )
    assert band.height == 92
    recent = 1.3 * lumpy[-91:, None]  # the fixture's peak measure
    q10, q90, q99 = (band[c].to_numpy()[None, :] for c in ("q10", "q90", "q99"))
    # Its q90 falls among its busy days (a quarter of them): about half of those above.
    assert np.mean(recent > q90) <= 0.2
    assert np.mean(recent > q99) <= 0.05
    assert np.mean(recent < q10) <= 0.12
    steady = rows.filter(
        (pl.col("unique_id") == "total/r1/inference/steady") & (pl.col("measure") == "peak")
    )
    typical = float(np.median(1.3 * bottoms["total/r1/inference/steady"][-91:]))
    assert (steady["q10"] <= typical).all() and (steady["q90"] >= typical).all()
    assert (steady["q90"] <= 1.2 * steady["q10"]).all()


def test_an_intermittent_customer_s_daily_band_past_the_short_model_reads_its_idle_days() -> None:
    """A customer idle (zero GPUs) one day in seven and near 300 on the others, in a class
    growing with its steady neighbour, and a customer idle on every day of the last quarter
    (never busy yet). The first's idle days were spread in log1p like its busy ones around its
    share of its class's level, so they read a fraction of a GPU (its q10 up to a third of
    one), above its every idle day; the second read its short model's ten-thousandths of a GPU
    on every quantile (on the demo fleet 273 days back, such idle days were about half the
    customer-days below their q10). The quantiles its idle share covers now read zero, and all
    of them for the customer idle all quarter; the first's q50 and q90 still read its busy
    days."""
    rng = np.random.default_rng(5)
    days = 400
    growth = np.linspace(1.0, 1.6, days)
    intermittent = np.where(np.arange(days) % 7 == 0, 0.0, 300.0 * growth)
    bottoms = {
        "total/r1/experimentation/steady": 800.0 * growth * np.exp(rng.normal(0, 0.03, days)),
        "total/r1/experimentation/intermittent": intermittent * np.exp(rng.normal(0, 0.05, days)),
        "total/r1/experimentation/unseen": np.zeros(days),
    }
    history = _with_parents(bottoms)
    short = _short_at_recent_means(history, tuple(bottoms))
    # Its sample paths are its last quarter's days, idle ones among them, on every day.
    n = 91
    paths = pl.concat(
        pl.DataFrame(
            {
                "unique_id": uid,
                "ds": [AS_OF + timedelta(days=d + 1) for d in range(DAYS) for _ in range(n)],
                "sample_id": np.tile(np.arange(n), DAYS),
                "y": np.concatenate([np.roll(y[-n:], d) for d in range(DAYS)]),
            }
        )
        for uid, y in bottoms.items()
    ).cast(PATHS_SCHEMA)
    # The short model reads a ten-thousandth of a GPU for the customer never busy yet.
    unseen = pl.col("unique_id") == "total/r1/experimentation/unseen"
    forecast = short.forecast.with_columns(
        pl.when(unseen).then(pl.lit(1e-4)).otherwise(pl.col(c)).alias(c)
        for c in ("mean", "q10", "q50", "q90", "q99")
    )
    ext = extend_horizon(
        history, replace(short, forecast=forecast, paths=paths), as_of=AS_OF, months=6
    )
    lead = (pl.col("ds") - pl.lit(AS_OF)).dt.total_days()
    peaks = ext.result.forecast.filter(lead.is_between(91, 182) & (pl.col("measure") == "peak"))
    band = peaks.filter(pl.col("unique_id") == "total/r1/experimentation/intermittent")
    assert band.height == 92
    assert (band["q10"] == 0).all(), band["q10"].max()
    busy = 1.3 * intermittent[-91:][intermittent[-91:] > 0]
    assert (band["q50"] >= 0.8 * np.median(busy)).all(), band["q50"].min()
    assert (band["q90"] >= 0.9 * np.median(busy)).all(), band["q90"].min()
    never = peaks.filter(unseen)
    assert never.height == 92
    assert (never.select("q10", "q50", "q90", "q99").to_numpy() == 0).all(), never.row(0)


# A strict expected failure (session 54): no term for a share's drift was found that helps
# the demo fleet without raising the seeds' q10 pinball loss (benchmarks/longrange_findings.md).
@pytest.mark.xfail(
    strict=True,
    reason="a customer's band holds its share of its class flat, with no spread for the share "
    "moving; the fleet's measured share drift, added, raised seeds 4 and 7's q10 pinball",
)
def test_a_customer_whose_share_of_its_class_trends_keeps_its_days_within_its_band() -> None:
    """Two customers of a class growing 30 % a year, one's share rising from 30 % to 52 % over
    the history and on after it (the other's falling as much), as an inference customer that
    grows faster than its class does. Past the short model each reads its share of its class's
    band held flat at its recent share, with only its days' own spread around it: 91-182 days
    out the rising one sits above its q90 on every day and the falling one below its q10 on
    every day (on the demo fleet a busy customer whose share moved sat below its q10 on up to
    97 % of its days). Wanted: both keep most of their days within their bands, and the
    class's own band is the same whatever its customers' shares do."""
    rng = np.random.default_rng(8)
    days, ahead = 400, DAYS
    t = np.arange(days + ahead)
    level = 2000.0 * 1.3 ** (t / 365)
    rising = 0.3 * np.exp(0.5 * t / 365)
    shares = {"total/r1/inference/rising": rising, "total/r1/inference/falling": 1 - rising}
    full = {uid: s * level * np.exp(rng.normal(0, 0.03, t.size)) for uid, s in shares.items()}
    history = _with_parents({uid: y[:days] for uid, y in full.items()})
    short = _short_at_recent_means(history, tuple(full))
    ext = extend_horizon(history, short, as_of=AS_OF, months=6)
    lead = (pl.col("ds") - pl.lit(AS_OF)).dt.total_days()
    far = ext.result.forecast.filter(lead.is_between(91, 182) & (pl.col("measure") == "peak"))

    def band(uid: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = far.filter(pl.col("unique_id") == uid).sort("ds")
        assert rows.height == 92
        actual = 1.3 * full[uid][days + 90 : days + 182]
        return actual, rows["q10"].to_numpy(), rows["q90"].to_numpy()

    up, _, up_q90 = band("total/r1/inference/rising")
    assert np.mean(up > up_q90) <= 0.5, np.mean(up > up_q90)
    down, down_q10, _ = band("total/r1/inference/falling")
    assert np.mean(down < down_q10) <= 0.5, np.mean(down < down_q10)
    # The class's rows are its own: the same with the same class demand split at flat shares.
    whole = sum(y[:days] for y in full.values())
    flat = {"total/r1/inference/rising": 0.4 * whole, "total/r1/inference/falling": 0.6 * whole}
    held = extend_horizon(
        _with_parents(flat),
        _short_at_recent_means(_with_parents(flat), tuple(flat)),
        as_of=AS_OF,
        months=6,
    )
    of_class = pl.col("unique_id").is_in(["total/r1/inference", "total/r1"])
    assert_frame_equal(
        held.result.forecast.filter(of_class).sort("unique_id", "measure", "ds"),
        ext.result.forecast.filter(of_class).sort("unique_id", "measure", "ds"),
        rtol=1e-9,
        atol=1e-6,
    )


def test_a_peak_held_at_its_mean_forecast_is_said_in_the_warnings() -> None:
    """Helios at 26 weeks: the mean measure's model doubled demand by October and the peak's
    did not, so the total's peak was its mean's on 154 of 169 days (a day's peak is never
    below its mean), and the triggers read the mean model's extrapolation as the peak with no
    word. Here r1's short peak model reads half its level (below its mean's): the run holds
    it at the mean and its warnings name the series and the days."""
    history = _history()
    short = _flat_result(history)
    low = (pl.col("unique_id") == "total/r1") & (pl.col("measure") == "peak")
    halved = short.forecast.with_columns(
        pl.when(low).then(pl.col(c) * 0.5).otherwise(pl.col(c)).alias(c)
        for c in ("mean", "q10", "q50", "q90", "q99")
    )
    result = extend_horizon(history, replace(short, forecast=halved), as_of=AS_OF, months=6).result
    held = result.peaks_at_means.filter(pl.col("unique_id") == "total/r1")
    assert held.height >= 28
    assert held["ds"].min() == AS_OF + timedelta(days=1)
    lines = _peaks_at_means_lines(_day_spans(result.peaks_at_means))
    assert len(lines) == 1 and lines[0].startswith("peak measure:")
    first, last = held["ds"].min(), held["ds"].max()
    assert f"r1 ({held.height} days, {first} to {last})" in lines[0]
    untouched = extend_horizon(history, short, as_of=AS_OF, months=6).result
    assert untouched.peaks_at_means.filter(pl.col("unique_id") == "total/r1").is_empty()


# Two regions of steady customers; r1's mean (~11,900 GPUs) is large enough that a 500,000-GPU
# hour (20,833 GPUs on its day's mean) is under three times its usual level: not its own spike.
SPIKED_FLEET = {
    "total/r1/inference/acme": 4000.0,
    "total/r1/inference/borealis": 2500.0,
    "total/r1/training/acme": 3500.0,
    "total/r1/training/borealis": 1900.0,
    "total/r2/inference/delta": 3000.0,
    "total/r2/training/delta": 2000.0,
}


def _spiked_fleet_months(*, spike: bool) -> pl.DataFrame:
    """The monthly rows of a 120-day fleet growing 40 % a year, with one 500,000-GPU hour of
    borealis's r1 inference on its last day when ``spike`` (the daily forecast holds the spike,
    so the short model is the fleet's without it either way)."""
    rng = np.random.default_rng(11)
    days = 120
    level = 1.4 ** (np.arange(days) / 365)
    bottoms = {
        uid: gpus * level * np.exp(rng.normal(0, 0.03, days)) for uid, gpus in SPIKED_FLEET.items()
    }
    clean = _with_parents(bottoms)
    history = clean
    if spike:
        hit = (pl.col("ds") == AS_OF) & pl.col("unique_id").is_in(
            ["total", "total/r1", "total/r1/inference", "total/r1/inference/borealis"]
        )
        extra = pl.when(pl.col("measure") == "mean").then(500_000.0 / 24).otherwise(500_000.0)
        history = clean.with_columns(
            pl.when(hit).then(pl.col("y") + extra).otherwise(pl.col("y")).alias("y")
        )
    short = _flat_result(clean, tuple(SPIKED_FLEET))
    return extend_horizon(history, short, as_of=AS_OF, months=12).months


def test_a_one_hour_500000_gpu_row_leaves_the_monthly_rows_as_they_are_without_it() -> None:
    """One 500,000-GPU hour of an existing customer on the fleet's last day (held in the daily
    forecast) leaves every region's and class's monthly q50 and q90 within 1 % of the fleet's
    without it: held, its day reads the customer's usual top, a few percent of one customer on
    one of 120 days. Regression (F5 addendum): the region's mean (2.8x its usual level, not its
    own spike) kept the spike day, the growth models read it, and us-east/training went green
    1 pod -> red 4 pods, us-east/all 21 -> 30 racks (a 120-day synthetic fleet)."""
    keys = ["unique_id", "measure", "ds"]
    levels = pl.col("unique_id").str.count_matches("/") <= 2
    clean = _spiked_fleet_months(spike=False).filter(levels)
    spiked = _spiked_fleet_months(spike=True).filter(levels)
    both = clean.join(spiked, on=keys, suffix="_spiked")
    assert both.height == clean.height == spiked.height
    for column in ("q50", "q90"):
        ratio = both.select(
            "unique_id",
            "measure",
            "ds",
            (pl.col(f"{column}_spiked") / pl.col(column)).alias("ratio"),
        )
        off = ratio.filter((pl.col("ratio") - 1).abs() > 0.01)
        assert off.is_empty(), (column, off.sort("ratio", descending=True).head(5))


def test_a_customer_constant_in_its_history_keeps_its_level_past_the_short_model() -> None:
    """A customer at 200 GPUs every hour of two years, beside a class growing 40 % a year, read
    its class's share past the short model: on the demo its daily means fell to 99 GPUs by June
    and its monthly means rose to 274 (peaks 565, q90 1,468). Nothing in its history is its
    class's growth, so its daily rows, monthly rows and paths stay at its own model's 200 in
    both measures; the other customer of its class takes the class's growth (the customers
    still add up to the class, in the daily means and in every monthly value; on the demo its
    class's sums on the paths were unchanged), and the short model's flat 200 has no band: the
    run's warnings say it is not a certain level."""
    steady, busy = "total/r1/inference/steady", "total/r1/inference/busy"
    rng = np.random.default_rng(8)
    bottoms = _growing(rng, {busy: 0.6, "total/r1/training/other": 0.4})
    bottoms[steady] = np.full(HISTORY, 200.0)
    history = _with_parents(bottoms)
    short = _flat_result(history, (steady, busy, "total/r1/training/other"))
    held = short.forecast.filter(pl.col("unique_id") == steady).with_columns(
        *(pl.lit(200.0).alias(c) for c in ("mean", "q10", "q50", "q90", "q99"))
    )
    short = replace(
        short,
        forecast=pl.concat([short.forecast.filter(pl.col("unique_id") != steady), held]),
    )
    ext = extend_horizon(history, short, as_of=AS_OF, months=24)
    values = ["mean", "q10", "q50", "q90", "q99"]
    for frame in (ext.result.forecast, ext.months):
        rows = frame.filter(pl.col("unique_id") == steady)
        assert rows.height > 0
        for c in values:
            assert (rows[c] == 200.0).all(), (c, rows.filter(pl.col(c) != 200.0).head(3))
    assert (ext.result.paths.filter(pl.col("unique_id") == steady)["y"] == 200.0).all()
    cls = "total/r1/inference"
    for frame, columns in ((ext.result.forecast, ["mean"]), (ext.months, values)):
        means = frame.filter(pl.col("measure") == "mean")
        parts = (
            means.filter(pl.col("unique_id").is_in([steady, busy]))
            .group_by("ds")
            .agg(pl.col(c).sum() for c in columns)
        )
        whole = means.filter(pl.col("unique_id") == cls).join(parts, on="ds", suffix="_parts")
        assert whole.height > 0
        for c in columns:
            assert ((whole[c] - whole[f"{c}_parts"]).abs() <= 1e-9 * whole[c]).all(), c
    # The class grows, and its growth is the busy customer's alone.
    months = ext.months.filter(pl.col("measure") == "mean").sort("ds")
    first, last = (months.filter(pl.col("unique_id") == u)["mean"] for u in (cls, busy))
    assert last[-1] - last[0] == pytest.approx(first[-1] - first[0], rel=1e-9)
    assert first[-1] > 1.2 * first[0]


def _held_short(history: pl.DataFrame, bottoms: tuple[str, ...], flat: list[str]) -> ForecastResult:
    """The flat short result of ``history``, with the series ``flat`` (constant in their
    history: their customers and the levels that hold only them) at their level at every
    quantile, as the reconciled daily forecast reads a level whose leaves never changed."""
    short = _flat_result(history, bottoms)
    values = ["q10", "q50", "q90", "q99"]
    held = short.forecast.filter(pl.col("unique_id").is_in(flat)).with_columns(
        pl.col("mean").alias(c) for c in values
    )
    return replace(
        short,
        forecast=pl.concat([short.forecast.filter(~pl.col("unique_id").is_in(flat)), held]),
    )


def _sums_of_leaves(frame: pl.DataFrame, node: str, leaves: list[str], columns: list[str]) -> None:
    """Assert ``node``'s mean-measure rows of ``frame`` are ``leaves``' summed, at ``columns``."""
    means = frame.filter(pl.col("measure") == "mean")
    parts = (
        means.filter(pl.col("unique_id").is_in(leaves))
        .group_by("ds")
        .agg(pl.col(c).sum() for c in columns)
    )
    whole = means.filter(pl.col("unique_id") == node).join(parts, on="ds", suffix="_parts")
    assert whole.height > 0 and whole.height == parts.height, node
    for c in columns:
        off = whole.filter((pl.col(c) - pl.col(f"{c}_parts")).abs() > 1e-9 * pl.col(c).abs())
        assert off.is_empty(), (node, c, off.select("ds", c, f"{c}_parts").head(3))


def test_a_level_whose_every_customer_is_constant_is_their_sum_past_the_short_model() -> None:
    """A class whose only customer sat at 200 GPUs every hour of two years, in a region that
    grows: the customer kept its 200 past the short model, but its class took the region's
    growth and band (daily means 198-200 beside the customer's 200, monthly means down to
    192 and a q90 of 220 while the customer read 200), so the class and its only customer no
    longer added up; a region all of whose customers are constant read its growth model's
    band (q10 315 beside 350 at every quantile of its parts). A level whose every customer is
    constant is constant too: its rows, daily and monthly, in both measures, are its own
    short model's, which the reconciliation made the sum of its customers at every quantile;
    its region's other classes take what its region's growth gave it, so the classes still
    add up to their region."""
    steady = "total/r1/evaluation/steady"
    solo, b1, b2 = "total/r2/training/solo", "total/r2/batch/b1", "total/r2/batch/b2"
    busy, mate = "total/r1/inference/busy", "total/r1/inference/mate"
    rng = np.random.default_rng(8)
    bottoms = _growing(rng, {busy: 0.6, mate: 0.3})
    for uid, gpus in ((steady, 200.0), (solo, 300.0), (b1, 50.0), (b2, 25.0)):
        bottoms[uid] = np.full(HISTORY, gpus)
    history = _with_parents(bottoms)
    flat = [steady, solo, b1, b2, "total/r1/evaluation", "total/r2/training", "total/r2/batch"]
    flat.append("total/r2")
    short = _held_short(history, tuple(bottoms), flat)
    ext = extend_horizon(history, short, as_of=AS_OF, months=24)
    values = ["mean", "q10", "q50", "q90", "q99"]
    for frame in (ext.result.forecast, ext.months):
        for node, leaves in (
            ("total/r1/evaluation", [steady]),
            ("total/r2/training", [solo]),
            ("total/r2/batch", [b1, b2]),
            ("total/r2", [solo, b1, b2]),
        ):
            _sums_of_leaves(frame, node, leaves, values)
            # Its own level in the peak measure too: nothing under it changes.
            own = short.forecast.filter(
                (pl.col("unique_id") == node) & (pl.col("measure") == "peak")
            )["mean"][0]
            peaks = frame.filter((pl.col("unique_id") == node) & (pl.col("measure") == "peak"))
            assert peaks.height > 0
            for c in values:
                assert (peaks[c] == own).all(), (node, c, peaks[c].min(), peaks[c].max())
    # r1 grows, and its classes still add up to it: inference took what evaluation gave up.
    r1 = ["total/r1/inference", "total/r1/evaluation"]
    for frame in (ext.result.forecast, ext.months):
        _sums_of_leaves(frame, "total/r1", r1, ["mean"])
    months = ext.months.filter(pl.col("measure") == "mean").sort("ds")
    region = months.filter(pl.col("unique_id") == "total/r1")["mean"]
    assert region[-1] > 1.2 * region[0]
    # The paths under r2 are its customers' own, and r1's sum is what its band was mapped to.
    paths = ext.result.paths
    for uid, gpus in ((steady, 200.0), (solo, 300.0), (b1, 50.0), (b2, 25.0)):
        assert (paths.filter(pl.col("unique_id") == uid)["y"] == gpus).all(), uid


def test_a_fleet_whose_every_customer_is_constant_is_their_sum_at_every_level() -> None:
    """Every customer of the fleet constant: every class, region and the total read their
    customers' sum at every quantile, daily and monthly (the total daily: it has no monthly
    rows), not a growth model's band around it."""
    ids = {
        "total/r1/inference/a": 400.0,
        "total/r1/training/b": 1024.0,
        "total/r2/inference/c": 64.0,
        "total/r2/inference/d": 8.0,
    }
    history = _with_parents({uid: np.full(HISTORY, gpus) for uid, gpus in ids.items()})
    every = history["unique_id"].unique().to_list()
    short = _held_short(history, tuple(ids), every)
    ext = extend_horizon(history, short, as_of=AS_OF, months=24)
    values = ["mean", "q10", "q50", "q90", "q99"]
    nodes = {
        "total": list(ids),
        "total/r1": ["total/r1/inference/a", "total/r1/training/b"],
        "total/r2": ["total/r2/inference/c", "total/r2/inference/d"],
        "total/r2/inference": ["total/r2/inference/c", "total/r2/inference/d"],
        "total/r1/training": ["total/r1/training/b"],
    }
    for node, leaves in nodes.items():
        _sums_of_leaves(ext.result.forecast, node, leaves, values)
        if node != "total":
            _sums_of_leaves(ext.months, node, leaves, values)


def test_a_flat_class_whose_customers_trade_keeps_its_level_in_a_growing_region() -> None:
    """A reserved block of 1,000 GPUs every hour of two years, shared by two customers trading
    share, in a region whose other classes grow at different rates: its own growth model reads
    it flat at every quantile, but the split that makes a region's classes add up scaled every
    class alike, and the classes' separately compounded growth summed above the region's, so
    the block was read down inside a growing region (the demo with eu-west evaluation made such
    a block: 961 GPUs by June 2027, a monthly mean of 646 by January 2030). A class moves by
    its own uncertainty: one with no spread keeps its level, daily past the short model and
    monthly, and the others, whose growth is uncertain, take the region's correction."""
    block = "total/r1/evaluation"
    rng = np.random.default_rng(5)
    t = np.arange(HISTORY)
    a = 500.0 + 300.0 * np.sin(2 * np.pi * t / 60)
    bottoms = {
        f"{block}/share-a": a,
        f"{block}/share-b": 1000.0 - a,
        "total/r1/inference/fast": 800.0 * 1.9 ** (t / 365) * np.exp(rng.normal(0, 0.04, t.size)),
        "total/r1/training/slow": 2000.0 * 0.8 ** (t / 365) * np.exp(rng.normal(0, 0.06, t.size)),
    }
    history = _with_parents(bottoms)
    short = _flat_result(history, tuple(bottoms))
    ext = extend_horizon(history, short, as_of=AS_OF, months=36)
    daily = ext.result.forecast.filter(
        (pl.col("measure") == "mean") & (pl.col("ds") > AS_OF + timedelta(days=90))
    )
    months = ext.months.filter(pl.col("measure") == "mean")
    for frame in (daily, months):
        rows = frame.filter(pl.col("unique_id") == block)
        assert rows.height > 0
        for c in ("mean", "q50"):
            off = rows.filter((pl.col(c) - 1000.0).abs() > 5.0)
            assert off.is_empty(), (c, off.select("ds", c).head(3), rows[c].min())
    # The region grows, and its classes still add up to it.
    region = months.filter(pl.col("unique_id") == "total/r1").sort("ds")["mean"]
    assert region[-1] > 1.5 * region[0]
    classes = ["total/r1/inference", "total/r1/training", block]
    _sums_of_leaves(ext.months, "total/r1", classes, ["mean", "q50"])
    _sums_of_leaves(ext.result.forecast, "total/r1", classes, ["mean"])


def test_a_region_falling_below_its_reserved_class_still_adds_up_to_its_classes() -> None:
    """A region whose only varying class fades (3,000 GPUs falling to a tenth a year) beside a
    reserved class of 1,000 GPUs every hour: the region's growth model, fitted on the sum,
    carried the fade on past the 1,000 that never moved (monthly means of 976 from February 2027),
    the reserved class kept its 1,000 and the fading class read nothing, or less (monthly means
    down to -5.4 GPUs), so the class rows summed above their region's on the same page, and the
    reserved class's peak months (1,300) read above the region's (1,285). The reservation
    holds: the region reads at least its held classes, at every quantile and in both measures,
    daily and monthly, its classes add up to it, and no class reads below zero."""
    reserved, fading = "total/r1/evaluation/reserved", "total/r1/inference/fading"
    block = "total/r1/evaluation"
    rng = np.random.default_rng(4)
    t = np.arange(HISTORY)
    bottoms = {
        fading: 3000.0 * 0.1 ** (t / 365) * np.exp(rng.normal(0, 0.03, t.size)),
        reserved: np.full(HISTORY, 1000.0),
    }
    history = _with_parents(bottoms)
    short = _held_short(history, tuple(bottoms), [reserved, block])
    ext = extend_horizon(history, short, as_of=AS_OF, months=36)
    values = ["mean", "q10", "q50", "q90", "q99"]
    classes = [block, "total/r1/inference"]
    for frame in (ext.result.forecast, ext.months):
        _sums_of_leaves(frame, block, [reserved], values)
        _sums_of_leaves(frame, "total/r1", classes, ["mean"])
        assert frame.filter(pl.any_horizontal(pl.col(c) < 0 for c in values)).is_empty()
        for measure, level in (("mean", 1000.0), ("peak", 1300.0)):
            region = frame.filter(
                (pl.col("unique_id") == "total/r1") & (pl.col("measure") == measure)
            )
            assert region.height > 0
            for c in values:
                low = region.filter(pl.col(c) < level - 1e-6)
                assert low.is_empty(), (measure, c, low.select("ds", c).head(3))
    # The fade itself is kept where the region's model has room for it: early months still fall.
    months = ext.months.filter(
        (pl.col("measure") == "mean") & (pl.col("unique_id") == "total/r1/inference")
    ).sort("ds")["mean"]
    assert months[0] > months[3] > 0


def test_a_region_split_over_a_flat_class_and_a_fading_one_reads_no_class_below_zero() -> None:
    """A region's day whose model reads below its flat class (1,000 GPUs, its growth zero) beside
    a fading one (20 GPUs today, 5 on the day): scaling the fading class's log1p growth to reach
    the region took it past -1 in log1p, and it read a negative mean (a synthetic fleet's eu-west
    experimentation class, -0.22 GPUs on 2027-01-24, q90 -2.4). A class's demand is never below
    zero: the fading class reads zero at the least, and the classes still add up to the
    region."""
    base = np.array([1000.0, 5.0])
    level = np.array([1000.0, 20.0])
    whole = np.array([990.0, 990.0])
    factor = horizon._factors_by_growth(base, level, whole, np.array([0, 0]))
    moved = base * factor
    assert (moved >= 0).all(), moved
    assert moved.sum() == pytest.approx(990.0, rel=1e-9)


def _paused_beside_steady() -> tuple[pl.DataFrame, ForecastResult]:
    """730 days of one class: ``paused`` at 256 GPUs every day but six idle days a week before
    the end, ``steady`` at 2,000 with 3 % noise; and a short result whose paths give ``paused``
    the wide paths its own model drew (as ETS read the pause: a random walk, 0 to 12x its
    level by day 182) and ``steady`` narrow ones."""
    rng = np.random.default_rng(5)
    paused = np.full(HISTORY, 256.0)
    paused[HISTORY - 11 : HISTORY - 5] = 0.0
    history = _with_parents(
        {
            "total/r1/training/paused": paused,
            "total/r1/training/steady": 2000.0 * np.exp(rng.normal(0, 0.03, HISTORY)),
        }
    )
    bottoms = ("total/r1/training/paused", "total/r1/training/steady")
    short = _flat_result(history, bottoms)
    n_paths = 60
    lead = np.arange(1, DAYS + 1)
    walk = np.cumsum(rng.normal(0, 90.0, (n_paths, DAYS)), axis=1)
    own = {
        "total/r1/training/paused": np.maximum(256.0 + walk, 0.0),
        "total/r1/training/steady": 2000.0
        * np.exp(rng.normal(0, 0.03 * np.sqrt(lead / 28))[None, :] + np.zeros((n_paths, 1))),
    }
    paths = pl.concat(
        pl.DataFrame(
            {
                "unique_id": uid,
                "ds": [AS_OF + timedelta(days=int(d)) for d in lead] * n_paths,
                "sample_id": np.repeat(np.arange(n_paths), DAYS),
                "y": values.ravel(),
            }
        )
        for uid, values in own.items()
    ).cast(PATHS_SCHEMA)
    return history, replace(short, paths=paths)


def test_a_flat_customer_s_paths_do_not_take_its_class_s_spread() -> None:
    """`synth --customers 12 --seed 3 --days 90`, then `forecast`: us-west training customer
    cobalt-bio runs 256 GPUs every day but a 6-day pause, and its daily peak 26 weeks out read
    a mean of 991 GPUs and a q90 of 2,693 (its class's 6,127), 3.9x and 10.5x its level: its
    own model read the pause as a random walk, and the class's paths, mapped onto the class's
    band with every customer scaled by one factor, kept that customer carrying most of the
    class's spread. As the growth model takes over, a class's sum on each path is now split
    as its customers split it on a day of their history: the flat customer reads its share of
    the class, its band the class's, and the class's sum on every path is unchanged."""
    history, short = _paused_beside_steady()
    ext = extend_horizon(history, short, as_of=AS_OF, months=12)
    rows = ext.result.forecast.filter(
        (pl.col("measure") == "mean") & (pl.col("ds") == AS_OF + timedelta(days=182))
    )

    def at(uid: str, column: str) -> float:
        return float(rows.filter(pl.col("unique_id") == uid)[column][0])

    cls, paused = "total/r1/training", "total/r1/training/paused"
    share = 256.0 / (256.0 + 2000.0)
    # Its mean and median its share of its class's (not the random walk's), within 15 %.
    assert at(paused, "mean") == pytest.approx(share * at(cls, "mean"), rel=0.15)
    assert at(paused, "q50") == pytest.approx(share * at(cls, "q50"), rel=0.15)
    # Its q90 at most its share of the class's q90 (its history never sat above its level).
    assert at(paused, "q90") <= 1.15 * share * at(cls, "q90")
    # The split keeps the class's sum on every path and day, and moves no path within the
    # days the short model holds alone.
    stopped = pl.DataFrame(schema={"unique_id": pl.String})
    split = horizon._paths_split_as_their_history(
        short.paths, horizon._class_mixes(history, stopped, as_of=AS_OF), as_of=AS_OF
    )

    def class_sums(frame: pl.DataFrame) -> pl.DataFrame:
        return (
            frame.group_by("ds", "sample_id")
            .agg(pl.col("y").cast(pl.Float64).sum())
            .sort("ds", "sample_id")
        )

    assert_frame_equal(class_sums(split), class_sums(short.paths), check_exact=False, rtol=1e-5)
    near = pl.col("ds") <= AS_OF + timedelta(days=28)
    assert_frame_equal(split.filter(near), short.paths.filter(near))
    far = split.filter(
        (pl.col("unique_id") == paused) & (pl.col("ds") == AS_OF + timedelta(days=182))
    )
    assert far["y"].max() < 2 * share * class_sums(short.paths)["y"].max()


def test_a_refused_plan_s_daily_rows_are_a_daily_only_run_s() -> None:
    """A plan refused its monthly rows (too little history) and the same fleet forecast with
    `--horizon-months 0` stored different customer daily rows (`synth --customers 12 --seed 5
    --days 40`: 3,531 of 8,736 customer peak rows, a q90 up to 75 % apart): refused, the plan
    still spread each customer's quantiles from day 29 as if a growth model were taking over.
    The daily rows are now one rule whether the monthly plan was asked for and refused or not
    asked for."""
    from forecasting.runs.forecasts import plan_past_lead_times

    rng = np.random.default_rng(2)
    days = 30
    bursty = np.where(np.arange(days) % 6 == 2, 400.0, 40.0)
    history = _with_parents(
        {
            "total/r1/evaluation/bursty": bursty * np.exp(rng.normal(0, 0.05, days)),
            "total/r1/evaluation/steady": 300.0 * np.exp(rng.normal(0, 0.02, days)),
            "total/r1/training/one": 900.0 * np.exp(rng.normal(0, 0.02, days)),
        }
    )
    bottoms = (
        "total/r1/evaluation/bursty",
        "total/r1/evaluation/steady",
        "total/r1/training/one",
    )
    short = _flat_result(history, bottoms)
    wide = short.forecast.with_columns(
        pl.when(pl.col("unique_id") == "total/r1/evaluation/bursty")
        .then(pl.col(c) * 4)
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("q90", "q99")
    )
    short = replace(short, forecast=wide)
    asked, refused, _ = plan_past_lead_times(
        history, short, as_of=AS_OF, months=36, book=None, seed=0
    )
    assert refused is not None and refused.gap and refused.horizon_months == 0
    daily_only, none, _ = plan_past_lead_times(
        history, short, as_of=AS_OF, months=0, book=None, seed=0
    )
    assert none is None
    order = ["unique_id", "measure", "ds"]
    assert_frame_equal(asked.forecast.sort(order), daily_only.forecast.sort(order))
    assert_frame_equal(
        asked.paths.sort(*order[::2], "sample_id"), daily_only.paths.sort(*order[::2], "sample_id")
    )


def test_a_customer_s_upper_band_does_not_narrow_with_the_horizon() -> None:
    """On synth seed 3 (90 days) us-west evaluation customer helios-labs, busy at 56-208 GPUs
    on each of its 9 days, read a daily peak q90 of 526 GPUs on day 28 and 22 on day 91, and
    eu-west evaluation cobalt-bio a monthly q90 of 967 in January and 211 in March: past the
    short model a customer with too few days to read a spread took its share of its class's
    band, narrower than its own days. A customer whose history does not say it ended keeps,
    past day 28, an upper band at least the lower of its day-28 rows and its own last four
    weeks' days at that quantile."""
    rng = np.random.default_rng(4)
    days = 400
    newcomer = np.zeros(days)
    newcomer[-20:] = np.where(np.arange(20) % 2 == 0, 300.0, 30.0)
    bottoms = {
        "total/r1/evaluation/steady": 2000.0 * np.exp(rng.normal(0, 0.01, days)),
        "total/r1/evaluation/newcomer": newcomer,
    }
    history = _with_parents(bottoms)
    short = _short_at_recent_means(history, tuple(bottoms))
    uid = pl.col("unique_id") == "total/r1/evaluation/newcomer"
    # Its short model reads its alternating days: a q90 at its busy days' peak.
    wide = short.forecast.with_columns(
        pl.when(uid).then(pl.lit(1.3 * 300.0)).otherwise(pl.col("q90")).alias("q90"),
        pl.when(uid).then(pl.lit(1.3 * 320.0)).otherwise(pl.col("q99")).alias("q99"),
    )
    ext = extend_horizon(history, replace(short, forecast=wide), as_of=AS_OF, months=6)
    lead = (pl.col("ds") - pl.lit(AS_OF)).dt.total_days()
    band = ext.result.forecast.filter(uid & (pl.col("measure") == "peak")).sort("ds")
    at28 = float(band.filter(lead == 28)["q90"][0])
    busy = float(np.quantile(1.3 * newcomer[-28:], 0.9))
    later = band.filter(lead > 28)
    assert later.height == DAYS - 28
    assert (later["q90"] >= min(at28, busy) - 1e-6).all(), later["q90"].min()
    assert (later["q99"] >= later["q90"]).all()
    # Still within its class, whose band holds it.
    cls = ext.result.forecast.filter(
        (pl.col("unique_id") == "total/r1/evaluation") & (pl.col("measure") == "peak")
    )
    held = later.join(cls.select("ds", pl.col("q90").alias("c")), on="ds")
    assert (held["q90"] <= held["c"] + 1e-9).all()
