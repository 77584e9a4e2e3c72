"""Long-horizon forecasts (forecasting.longrange) judged at the decision horizon of 26 weeks.

Three fleets built here, each of eight series of daily peaks (weekly cycle, 4 % daily noise,
a level that wanders as an AR(1) with 1 % innovations, 800 days to the cut-off 2026-05-31 and
182 days after it): steady growth of 55 %/yr in logs, growth that halves (70 -> 35 %/yr) 120
days before the cut-off, and flat. Targets at 26 weeks, pooled over each fleet's series: q90
exceeded on 10 +- 5 % of days, |q50 bias| <= 5 %, MAE <= 0.9x the better of the seasonal naive
and a log-linear trend through the last 180 days.

Measured, MAE ratio / q90 exceedance / bias for seeds 0, 1 and 2: steady 0.73 / 8.8 % / +0.4 %,
0.51 / 12.2 % / +0.0 %, and for seed 2 0.47 / 3.7 % / -0.0 %: its band too wide for this draw
(an expected failure below); flat 0.74 / 8.4 % / +1.1 %, 0.76 / 10.3 % / +1.1 %, 0.74 / 5.6 % /
+0.4 %; halving 0.75 / 8.9 % / +1.7 %, 0.66 / 7.6 % / +2.6 %, and for seed 2 0.76 / 0.6 % /
+7.4 %: its q90 reached too rarely and its q50 high (an expected failure). Rerun:
``PYTHONPATH=. python benchmarks/bench_longrange.py --test-fleets``. The slowdown starts after
the last backtest origin, so the backtests that choose and calibrate cannot see it, and four
blocks of slower growth are within one series' wander; across the fleet's eight series they
are not, and the shared change the method follows (``forecasting.slope_change``) moved the
halving fleet from 0.96 / 3.5 % / +4.7 %, 0.74 / 2.4 % / +3.9 % and 1.14 / 0.3 % / +12.6 %. On
seed 2 the change is weaker against its wander (z -3.8 against a threshold of 3.1) and the
garrote follows a third of it.

Each figure is one draw of an all-or-nothing measure, so a seed passes or fails by luck as
well as by method: on seeds 3-9, never tuned on, the method as it stands meets all three
targets on 5 of 7 steady, 3 of 7 halving and 4 of 7 flat fleets (mean share above q90 8.5 %,
4.5 % and 8.6 %); with Theta's classic theta = 2 instead of a fitted one (``Theta``) steady
seed 2 passed (5.8 %) and the counts on seeds 3-9 were 5, 2 and 4 of 7. What else was tried:
benchmarks/longrange_findings.md.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from forecasting import growth
from forecasting import longrange as lr
from forecasting.horizon import band_calibrated

CUTOFF = date(2026, 5, 31)
HISTORY_DAYS = 800
FUTURE_DAYS = 182
GROWTH = {"steady": (0.55, 0.55), "halving": (0.7, 0.35), "flat": (0.0, 0.0)}
WEEKDAY = np.array([1.0, 1.02, 1.03, 1.02, 1.0, 0.9, 0.88])


def built_fleet(
    kind: str, *, seed: int = 0, n_series: int = 8, slowdown_days: int = 120
) -> pl.DataFrame:
    """Daily peaks of ``n_series`` series of one growth regime through cut-off + 182 days; a
    halving fleet's growth halves ``slowdown_days`` before the cut-off."""
    rng = np.random.default_rng(seed)
    n = HISTORY_DAYS + FUTURE_DAYS
    t = np.arange(n) - (HISTORY_DAYS - 1)  # 0 on the cut-off
    before, after = GROWTH[kind]
    log_growth = np.cumsum(np.where(t < -slowdown_days, before, after) / 365)
    dates = [CUTOFF + timedelta(days=int(x)) for x in t]
    weekday = WEEKDAY[[d.weekday() for d in dates]]
    frames = []
    for i in range(n_series):
        wander = np.zeros(n)
        shocks = rng.normal(0, 0.01, n)
        for j in range(1, n):
            wander[j] = 0.97 * wander[j - 1] + shocks[j]
        noise = rng.normal(0, 0.04, n)
        y = 1000 * (i + 1) * np.exp(log_growth + wander + noise) * weekday
        frames.append(pl.DataFrame({"unique_id": f"total/r{i}", "ds": dates, "y": y}))
    return pl.concat(frames)


def pooled_26_weeks(scores: pl.DataFrame) -> dict[str, float]:
    """Fleet-level metrics at 182 days: MAE ratio to the better baseline, exceedance, bias."""
    s = scores.filter(pl.col("horizon_days") == 182)
    mae, snaive, loglin = (
        float(s[c].sum()) for c in ("mae", "mae_seasonal_naive", "mae_log_linear")
    )
    return {
        "mae_ratio": mae / min(snaive, loglin),
        "exceed_q90": float(s["exceed_q90"].mean()),  # type: ignore[arg-type]
        "bias": float(s["bias"].mean()),  # type: ignore[arg-type]
    }


def assert_targets(kind: str, seed: int) -> None:
    """The three 26-week targets on fleet ``kind``, scored after the cut-off it never saw."""
    fleet = built_fleet(kind, seed=seed)
    scores = lr.decision_backtest(
        fleet, cutoffs_months_back=(6,), as_of=CUTOFF + timedelta(days=FUTURE_DAYS)
    )
    m = pooled_26_weeks(scores)
    assert 0.05 <= m["exceed_q90"] <= 0.15, f"{kind}: q90 exceeded on {m['exceed_q90']:.1%}"
    assert abs(m["bias"]) <= 0.05, f"{kind}: q50 bias {m['bias']:+.1%}"
    assert m["mae_ratio"] <= 0.9, f"{kind}: MAE {m['mae_ratio']:.2f}x the better baseline"


def seeds_with_the_third_failing(reason: str) -> list[object]:
    """Seeds 0-2 with seed 2 an expected (strict) failure for ``reason``."""
    return [0, 1, pytest.param(2, marks=pytest.mark.xfail(strict=True, reason=reason))]


@pytest.mark.parametrize(
    "seed",
    seeds_with_the_third_failing("its band too wide for this draw: q90 reached on 3.7 % of days"),
)
def test_steady_growth_meets_the_26_week_targets(seed: int) -> None:
    """Steady compounding growth: calibrated, unbiased and better than both baselines."""
    assert_targets("steady", seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flat_fleet_meets_the_26_week_targets(seed: int) -> None:
    """A flat fleet: no invented growth, calibrated, better than both baselines."""
    assert_targets("flat", seed)


@pytest.mark.parametrize(
    "seed",
    seeds_with_the_third_failing(
        "a slowdown weak against its wander: q90 reached on 0.6 % of days, +7.4 %"
    ),
)
def test_halving_growth_meets_the_26_week_targets(seed: int) -> None:
    """Growth halving 120 days before the cut-off: the shared slowdown is followed, so the
    forecast neither runs high nor reaches its q90 too rarely (module docstring)."""
    assert_targets("halving", seed)


def young_fleet_26_weeks(kind: str, seed: int, *, days: int = 120) -> dict[str, float]:
    """The 26-week metrics of fleet ``kind`` with only ``days`` of history before the cut-off
    (120: four blocks; the random walk fallback, no backtest to choose or calibrate on)."""
    fleet = built_fleet(kind, seed=seed).filter(pl.col("ds") > CUTOFF - timedelta(days=days))
    scores = lr.decision_backtest(
        fleet, cutoffs_months_back=(6,), as_of=CUTOFF + timedelta(days=FUTURE_DAYS)
    )
    assert set(scores["model"]) == {"level_random_walk"}
    return pooled_26_weeks(scores)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_young_growing_fleet_is_not_forecast_flat(seed: int) -> None:
    """Four months of a fleet growing 55 %/yr: its walk drifts at the fleet's pooled pace, so
    26 weeks on the q50 is within 5 % and beats both baselines. Held flat it was 14-15 % low,
    above its q90 on 70-73 % of days; its band reads its few steps' spread median-unbiased
    (3-16 % of days above q90; a short series has no backtest to calibrate it on)."""
    m = young_fleet_26_weeks("steady", seed)
    assert abs(m["bias"]) <= 0.05, f"q50 bias {m['bias']:+.1%}"
    assert m["mae_ratio"] <= 0.9, f"MAE {m['mae_ratio']:.2f}x the better baseline"
    assert m["exceed_q90"] <= 0.3, f"q90 exceeded on {m['exceed_q90']:.1%}"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_young_flat_fleet_is_not_given_growth_from_its_noise(seed: int) -> None:
    """Four months of a flat fleet: the pooled drift is near zero, so no series compounds its
    few blocks' noise (each series' own drift alone left MAE at 1.07-1.26x the baseline)."""
    m = young_fleet_26_weeks("flat", seed)
    assert abs(m["bias"]) <= 0.05, f"q50 bias {m['bias']:+.1%}"
    assert m["mae_ratio"] <= 1.0, f"MAE {m['mae_ratio']:.2f}x the better baseline"


def young_reasons(kind: str, seed: int, *, days: int = 120) -> list[str]:
    """The reasons of every series of fleet ``kind`` forecast on its last ``days`` of history."""
    fleet = built_fleet(kind, seed=seed).filter(
        (pl.col("ds") <= CUTOFF) & (pl.col("ds") > CUTOFF - timedelta(days=days))
    )
    return lr.long_horizon_forecast(fleet, as_of=CUTOFF).series["reason"].to_list()


def test_a_young_flat_fleets_drift_says_it_is_not_verified() -> None:
    """Four months of a flat fleet walk at the run's pooled drift, -0.9 % a block on seed 0
    (within one standard error of none), compounded over the damped reach to -13 % at 36
    months. The reason read "drifting -0.9% a block ... shrunk toward the run's" as if growth
    had been measured; it now says the drift is not verified. A growing fleet's drift (z
    about 4) is not flagged."""
    flat = young_reasons("flat", 0)
    assert all("drift is not verified" in r for r in flat), flat
    steady = young_reasons("steady", 0)
    assert not any("not verified" in r for r in steady), steady


def flat_plan_over_peaks(seed: int, *, days: int = HISTORY_DAYS) -> pl.DataFrame:
    """A flat fleet's monthly plan on its last ``days`` of history over each series' mean
    monthly peak (its last 12 complete months): ``month_ahead`` (0 for the first monthly row),
    ``q50_ratio`` and ``q90_ratio`` per series."""
    history = built_fleet("flat", seed=seed).filter(
        (pl.col("ds") <= CUTOFF) & (pl.col("ds") > CUTOFF - timedelta(days=days))
    )
    monthly = lr.long_horizon_forecast(history, as_of=CUTOFF).monthly.sort("unique_id", "ds")
    peaks = (
        history.with_columns(pl.col("ds").dt.truncate("1mo").alias("month"))
        .group_by("unique_id", "month")
        .agg(pl.col("y").max().alias("peak"), pl.len().alias("days"))
        .filter(pl.col("days") >= 28)
        .sort("month")
        .group_by("unique_id")
        .agg(pl.col("peak").tail(12).mean())
    )
    return monthly.join(peaks, on="unique_id").select(
        "unique_id",
        pl.int_range(pl.len()).over("unique_id").alias("month_ahead"),
        (pl.col("q50") / pl.col("peak")).alias("q50_ratio"),
        (pl.col("q90") / pl.col("peak")).alias("q90_ratio"),
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_an_established_flat_fleets_monthly_plan_stays_near_its_monthly_peaks(seed: int) -> None:
    """800 days of a flat fleet (a wandering level, monthly peaks about 4 % apart): the median
    series' monthly q50 is within 5 % of its history's mean monthly peak (last 12 complete
    months) at 12 and 36 months, and no series' q90 is above 1.5x it. Measured: median q50
    0.997-0.999 at 12 months and 0.989-0.995 at 36, the highest q90 1.23 and 1.41 at 36 months
    (seeds 0 and 1); a growth rate read off 800 days of this wander has a standard error of
    about 7.5 % over 36 months, so 5 % on the median of eight series is about two of its
    standard errors. Guards the plan a constant fleet was suspected of growing (it passed
    before this test was written)."""
    ratios = flat_plan_over_peaks(seed)
    for month in (11, 35):  # the 12th and the 36th monthly row
        at = ratios.filter(pl.col("month_ahead") == month)
        median = float(at["q50_ratio"].median())  # type: ignore[arg-type]
        assert abs(median - 1) <= 0.05, f"month {month + 1}: median q50 {median:.3f}x the peak"
        widest = float(at["q90_ratio"].max())  # type: ignore[arg-type]
        assert widest <= 1.5, f"month {month + 1}: a q90 {widest:.2f}x its monthly peak"


@pytest.mark.xfail(
    strict=True,
    reason="scale 1.82 read on a 6-block backtest history: q90 1.96x the monthly peak",
)
def test_a_one_year_flat_fleets_36_month_q90_is_bounded_as_an_established_ones() -> None:
    """365 days of the same flat fleet (seed 0): its only cut-off (6 months back) leaves the
    backtests six blocks of history, on which the band read too narrow; the interval scale
    came out 1.82 (seed 2: 1.27, seed 1: 1.0) and was applied to the forecast fitted on
    thirteen blocks, whose 26-week q90 was then reached on 1.7 % of days (seed 2: 2.6 %,
    target 5-15 %). Widened from there to 36 months, a series' q90 reads 1.96x its mean
    monthly peak (seeds 1 and 2: 1.63x, 2.01x), the median q50 0.97x. The 800-day fleet's
    bound (1.5x) is not met: an expected failure until a year's backtests read a band on a
    history like the forecast's."""
    at = flat_plan_over_peaks(0, days=365).filter(pl.col("month_ahead") == 35)
    widest = float(at["q90_ratio"].max())  # type: ignore[arg-type]
    assert widest <= 1.5, f"a q90 {widest:.2f}x its monthly peak"


@pytest.mark.parametrize("days", [90, 120])
def test_a_young_fleets_band_is_as_wide_as_its_few_steps_leave_the_spread_unknown(
    days: int,
) -> None:
    """Three or four blocks: each series' step spread rests on one or two degrees of freedom
    (median 0.67x, 0.83x the true one). Read as it was, the 26-week q90 of the steady, halving
    and flat fleets (seeds 0-3) was reached on 22.5 % of days at 90 days of history and 14.2 %
    at 120; divided by its median bias, 10.8 % and 8.9 % (10 +- 5 % is the target)."""
    shares = [
        young_fleet_26_weeks(kind, seed, days=days)["exceed_q90"]
        for kind in ("steady", "halving", "flat")
        for seed in range(4)
    ]
    mean = float(np.mean(shares))
    assert 0.05 <= mean <= 0.15, f"q90 reached on {mean:.1%} of days on average: {shares}"


def test_a_spread_read_off_few_steps_is_as_often_above_the_truth_as_below() -> None:
    """``median_unbiased_sd`` of two or three N(0, 1) steps is above 1 half the time (the plain
    ddof-0 spread of two steps only 16 % of the time), and one step is refused."""
    rng = np.random.default_rng(7)
    for n in (2, 3):
        draws = rng.normal(size=(20_000, n))
        above = np.mean([growth.median_unbiased_sd(d) > 1.0 for d in draws])
        assert above == pytest.approx(0.5, abs=0.02), f"{n} steps: above 1 on {above:.1%}"
    plain = np.mean(np.std(rng.normal(size=(20_000, 2)), axis=1) > 1.0)
    assert plain < 0.2
    with pytest.raises(ValueError, match="two steps or more"):
        growth.median_unbiased_sd(np.array([0.1]))


def test_a_young_series_leans_on_the_runs_drift_as_far_as_its_own_blocks_are_unsure() -> None:
    """Shrinkage of the random walk's drift: toward the run's drift when the series' drifts
    agree (no spread), its own mean step when they differ widely, the run's alone with too
    few blocks of its own; damped, so three years of a steep young series stay bounded."""
    blocks = np.array([1000.0, 1100.0, 1210.0, 1331.0])  # +10 % a block
    agree = growth.RunWalk(step_sd=0.02, drift=0.01, drift_var=1e-6, spread=0.0)
    differ = growth.RunWalk(step_sd=0.02, drift=0.01, drift_var=1e-6, spread=1.0)
    own = math.log1p(1331.0) - math.log1p(1000.0)
    assert growth.LevelRandomWalk(run=agree).fit(blocks).drift == pytest.approx(0.01)
    assert growth.LevelRandomWalk(run=differ).fit(blocks).drift == pytest.approx(own / 3, rel=1e-3)
    young = growth.LevelRandomWalk(run=agree).fit(blocks[-2:])
    assert young.drift == pytest.approx(0.01)
    assert "pooled drift" in young.describe()
    alone = growth.LevelRandomWalk().fit(blocks)
    mu, _ = alone.log_forecast(40)  # three years of blocks
    grown = math.expm1(mu[-1] - math.log1p(1331.0))
    assert 1.0 < grown < math.expm1(own / 3 / (1 - growth.WALK_DAMPING))


@pytest.fixture(scope="module")
def steady_forecast() -> lr.LongHorizon:
    """The steady fleet's forecast as of the cut-off, 36 months and 182 days ahead."""
    history = built_fleet("steady", n_series=3).filter(pl.col("ds") <= CUTOFF)
    return lr.long_horizon_forecast(history, as_of=CUTOFF)


def test_intervals_widen_with_the_horizon(steady_forecast: lr.LongHorizon) -> None:
    """The relative q10-q90 width grows: monthly peaks every month (1.5x over 36 months),
    daily days week on week (1.2x from the first week to the 26th; the day-to-day noise,
    which does not grow, is most of a day's width)."""
    for frame, ratio in ((steady_forecast.monthly, 1.5), (steady_forecast.daily, 1.2)):
        width = (
            frame.sort("ds")
            .group_by("unique_id")
            .agg(((pl.col("q90") - pl.col("q10")) / pl.col("q50")).alias("w"))
        )
        for w in width["w"].to_list():
            w = np.asarray(w)
            if frame is steady_forecast.monthly:
                assert np.all(np.diff(w) > 0)
                assert w[-1] > ratio * w[0]
            else:
                weekly = w[: w.size // 7 * 7].reshape(-1, 7).mean(axis=1)
                assert np.all(np.diff(weekly) > 0)
                assert weekly[-1] > ratio * weekly[0]


def test_quantiles_are_monotone_and_non_negative(steady_forecast: lr.LongHorizon) -> None:
    """q10 <= q50 <= q90 <= q99, all >= 0, on both grains; months start after as_of."""
    for frame in (steady_forecast.monthly, steady_forecast.daily):
        q = frame.select("q10", "q50", "q90", "q99").to_numpy()
        assert np.all(q >= 0)
        assert np.all(np.diff(q, axis=1) >= 0)
    months = steady_forecast.monthly
    assert months["ds"].min() == date(2026, 6, 1)
    assert months.group_by("unique_id").len()["len"].to_list() == [36] * 3
    assert set(months["grain"]) == {"month"}
    daily = steady_forecast.daily
    assert daily["ds"].min() == CUTOFF + timedelta(days=1)
    assert daily.group_by("unique_id").len()["len"].to_list() == [182] * 3


def test_monthly_peak_sits_above_the_days_of_its_month(steady_forecast: lr.LongHorizon) -> None:
    """A month's q50 peak is at least the q50 of its busiest day and near its top day-in-30."""
    daily = steady_forecast.daily.with_columns(pl.col("ds").dt.month_start().alias("month"))
    top_day = daily.group_by("unique_id", "month").agg(pl.col("q50").max().alias("top"))
    joined = steady_forecast.monthly.join(
        top_day, left_on=["unique_id", "ds"], right_on=["unique_id", "month"]
    )
    ratio = (joined["q50"] / joined["top"]).to_numpy()
    assert np.all(ratio >= 1.0)
    assert np.all(ratio <= 1.2)


def test_a_daily_horizon_ending_inside_the_as_of_month_leaves_no_day_unforecast() -> None:
    """As of 2026-05-02 with 7 daily days (to 05-09) the monthly rows start with May, whose
    days after the daily ones had no row at all (June was the first month: a 7-day run read
    green through a block retired on the 15th). May's row peaks at or above its daily days and
    the plan ends where it did; daily days that reach the month's end add no May row."""
    as_of = date(2026, 5, 2)
    frame = built_fleet("steady", seed=0, n_series=2).filter(pl.col("ds") <= as_of)
    week = lr.long_horizon_forecast(frame, as_of=as_of, months=3, daily_horizon_days=7)
    firsts = sorted(set(week.monthly["ds"].to_list()))
    assert firsts == [date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1)]
    may = week.monthly.filter(pl.col("ds") == date(2026, 5, 1)).sort("unique_id")
    top = week.daily.group_by("unique_id").agg(pl.col("q50").max()).sort("unique_id")
    assert (may["q50"] >= top["q50"]).all()
    to_month_end = lr.long_horizon_forecast(frame, as_of=as_of, months=3, daily_horizon_days=29)
    assert to_month_end.daily["ds"].max() == date(2026, 5, 31)
    assert to_month_end.monthly["ds"].min() == date(2026, 6, 1)
    assert to_month_end.monthly["ds"].max() == week.monthly["ds"].max()
    # A daily-only view (no months asked) gets no as-of month either.
    daily_only = lr.long_horizon_forecast(frame, as_of=as_of, months=0, daily_horizon_days=7)
    assert daily_only.monthly.is_empty()


def test_a_lumpy_series_mean_never_reads_above_its_own_q90() -> None:
    """A class of 200 days whose 28-day blocks jump between 5, 60 and 300 GPUs compounds its
    growth rate's uncertainty: its 37-month mean read 10^45 GPUs on a q50 of 1,341. Classes
    add up to their region by their means, so one such mean took the region's growth from
    every other class (a 200-day synthetic fleet's us-east inference halved by 2030). A mean
    is held at its own q90; where the band is still narrow (the steady region's next month) the
    mean is not touched."""
    as_of = date(2026, 12, 2)
    rng = np.random.default_rng(3)
    n = 200
    levels = np.repeat(rng.choice([5.0, 60.0, 300.0], size=n // 28 + 1), 28)[:n]
    days = [as_of - timedelta(days=n - 1 - i) for i in range(n)]
    lumpy = pl.DataFrame(
        {
            "unique_id": "total/r1/evaluation",
            "ds": days,
            "y": levels * np.exp(rng.normal(0, 0.3, n)),
        }
    )
    steady = pl.DataFrame(
        {
            "unique_id": "total/r1",
            "ds": days,
            "y": 5000 * np.exp(np.linspace(0, 0.4, n) + rng.normal(0, 0.05, n)),
        }
    )
    fc = lr.long_horizon_forecast(pl.concat([lumpy, steady]), as_of=as_of, months=37)
    for frame in (fc.monthly, fc.average_months, fc.daily):
        assert (frame["mean"] <= frame["q90"]).all()
    first = fc.monthly.filter(
        (pl.col("ds") == pl.col("ds").min()) & (pl.col("unique_id") == "total/r1")
    )
    assert (first["mean"] < first["q90"]).all()  # a band still narrow: the mean untouched


def test_short_series_fall_back_with_a_reason() -> None:
    """Series of 10 and 100 days and one with no observed day never raise; reasons say why."""
    days = [CUTOFF - timedelta(days=k) for k in range(100)]
    frame = pl.concat(
        [
            pl.DataFrame({"unique_id": "a", "ds": days[:10], "y": [50.0] * 10}),
            pl.DataFrame({"unique_id": "b", "ds": days, "y": np.linspace(100, 120, 100)}),
            pl.DataFrame(
                {"unique_id": "c", "ds": days[:5], "y": [None] * 5},
                schema={"unique_id": pl.String, "ds": pl.Date, "y": pl.Float64},
            ),
        ]
    )
    fc = lr.long_horizon_forecast(frame, as_of=CUTOFF, months=12)
    series = {r["unique_id"]: r for r in fc.series.iter_rows(named=True)}
    assert series["a"]["model"] == "flat_level"
    assert "10 observed days" in series["a"]["reason"]
    assert series["b"]["model"] == "level_random_walk"
    assert "3 blocks" in series["b"]["reason"]
    assert set(fc.daily["unique_id"]) == {"a", "b"}
    assert fc.scores.is_empty()


def test_every_series_of_a_run_without_a_decision_backtest_says_it_is_uncalibrated() -> None:
    """Four months of history: every series walks, and its reason says the walk's band is not
    calibrated, besides how it walks. The pages read that phrase: a 120-day fleet whose
    reasons named only the walk read "calibrated at 26 weeks ahead" on the finance page. A
    run with a decision backtest does not say it."""
    young = built_fleet("steady", seed=0).filter(pl.col("ds") > CUTOFF - timedelta(days=120))
    fc = lr.long_horizon_forecast(young.filter(pl.col("ds") <= CUTOFF), as_of=CUTOFF, months=12)
    reasons = fc.series["reason"]
    assert set(fc.series["model"]) == {"level_random_walk"}
    assert reasons.str.contains("random walk on the level").all()
    assert reasons.str.ends_with(
        "history too short for a decision backtest: scale 1, uncalibrated"
    ).all()
    old = lr.long_horizon_forecast(
        built_fleet("steady", seed=0).filter(pl.col("ds") <= CUTOFF), as_of=CUTOFF, months=12
    )
    assert not old.series["reason"].drop_nulls().str.contains("decision backtest").any()
    # What the triggers and pages read off the stored summary (plan_model, plan_calibrated).
    as_summary = {"model": "plan_model", "reason": "plan_reason", "calibrated": "plan_calibrated"}
    assert not band_calibrated(fc.series.rename(as_summary))
    assert band_calibrated(old.series.rename(as_summary))
    assert not band_calibrated(old.series.rename(as_summary).with_columns(plan_model=None))


def test_whether_the_band_is_calibrated_is_carried_not_read_from_the_reasons_words() -> None:
    """The triggers sized the orders due now on the daily rows (and the pages said "on a band
    no backtest calibrated") where some series' plan_reason held the words "decision
    backtest": reworded, a young fleet's orders would have bought on a band nothing
    calibrated. Now the growth model says so in a field (plan_calibrated, migration 27), the
    reasons' words change nothing, and only a run stored before it is read from them."""
    summary = pl.DataFrame(
        {
            "plan_model": ["level_random_walk", "level_random_walk"],
            "plan_reason": ["too little history to calibrate: scale 1", None],
            "plan_calibrated": [False, False],
        }
    )
    assert not band_calibrated(summary)
    worded = summary.with_columns(
        plan_reason=pl.lit("a reason that names a decision backtest"), plan_calibrated=True
    )
    assert band_calibrated(worded)
    # Stored before migration 27: the reasons are all the run says.
    legacy = worded.with_columns(plan_calibrated=pl.lit(None, pl.Boolean))
    assert not band_calibrated(legacy)
    young = built_fleet("steady", seed=0).filter(pl.col("ds") > CUTOFF - timedelta(days=120))
    fc = lr.long_horizon_forecast(young.filter(pl.col("ds") <= CUTOFF), as_of=CUTOFF, months=12)
    assert not fc.series["calibrated"].any()


def test_a_new_customers_ramp_does_not_set_its_monthly_spread() -> None:
    """A series 133 days old that ramped from 50 to 1,500 GPUs over its first seven weeks,
    then held with 5 % noise: next month's peak band sits around its level, not 2x above.
    (105 days old, as this read before, it has two blocks after its ramp: no drift to read,
    so it is not planned past the daily days at all.)"""
    rng = np.random.default_rng(3)
    n = 133
    level = np.minimum(50 * 1.07 ** np.arange(n), 1500.0)
    days = [CUTOFF - timedelta(days=n - 1 - k) for k in range(n)]
    frame = pl.DataFrame({"unique_id": "c", "ds": days, "y": level * rng.lognormal(0, 0.05, n)})
    fc = lr.long_horizon_forecast(frame, as_of=CUTOFF, months=3)
    (row,) = fc.series.iter_rows(named=True)
    assert row["model"] == "level_random_walk"
    first = fc.monthly.row(0, named=True)
    peak = float(frame["y"].max())  # type: ignore[arg-type]
    assert first["q10"] >= 0.8 * 1500 and first["q90"] <= 1.5 * peak
    # Its three steady blocks since are no evidence of steadiness: beside an established
    # series its walk spreads at least as that series' level steps do.
    neighbour = built_fleet("flat", n_series=1).filter(pl.col("ds") <= CUTOFF)
    pooled = lr.long_horizon_forecast(pl.concat([frame, neighbour]), as_of=CUTOFF, months=3)
    alone, beside = (
        f.monthly.filter(pl.col("unique_id") == "c").row(2, named=True) for f in (fc, pooled)
    )
    assert beside["q90"] / beside["q10"] > 1.05 * alone["q90"] / alone["q10"]


def test_a_dip_after_a_first_block_above_it_is_not_an_onboarding_ramp() -> None:
    """A bursty class at 161, 118, 194, 238 GPUs a block (a 120-day synthetic fleet, seed 7):
    118 is below half of 238, but its first block was not, so nothing ramped; read as a ramp
    its first two blocks were dropped, and the day before (118 above half of 232) kept, so its
    6-month q90 moved 32 % in a day (now the fleet's worst monthly row moves 8 %). A ramp at
    the start (50, 900, 1,400, 1,500) is still left out."""
    dip = np.array([161.0, 118.0, 194.0, 238.0])
    np.testing.assert_array_equal(lr._after_ramp(dip), dip)
    ramp = np.array([50.0, 900.0, 1400.0, 1500.0])
    np.testing.assert_array_equal(lr._after_ramp(ramp), ramp[1:])
    climb = np.array([50.0, 300.0, 900.0, 1400.0, 1500.0])  # two ramp blocks: the most left out
    np.testing.assert_array_equal(lr._after_ramp(climb), climb[2:])


def test_a_customer_a_week_old_stays_within_a_few_times_its_level_for_three_years() -> None:
    """Six days of a ramp (12 to 1,429 GPUs) and nothing else in the run: nothing measures how
    its level moves, so nothing is forecast past the daily days and the reason says so (its
    days' spread held for three years read a band of +-1 %, and its spread compounded a mean
    of millions of GPUs); beside an established series the band widens with the horizon."""
    ramp = [12.0, 157.0, 368.0, 517.0, 1002.0, 1429.0]
    frame = pl.DataFrame(
        {"unique_id": "c", "ds": [CUTOFF - timedelta(days=5 - k) for k in range(6)], "y": ramp}
    )
    alone = lr.long_horizon_forecast(frame, as_of=CUTOFF, months=36)
    assert alone.daily.is_empty() and alone.monthly.is_empty()
    assert alone.series["model"][0] is None
    assert "not forecast past the daily days" in (alone.series["reason"][0] or "")
    assert alone.gap is not None and "no series has 3 blocks" in alone.gap
    neighbour = built_fleet("flat", n_series=1).filter(pl.col("ds") <= CUTOFF)
    beside = lr.long_horizon_forecast(pl.concat([frame, neighbour]), as_of=CUTOFF, months=36)
    months = beside.monthly.filter(pl.col("unique_id") == "c")
    width = (months["q90"] / months["q10"]).to_numpy()
    assert width[-1] > width[0] and float(months["mean"].max()) < 5 * 1429  # type: ignore[arg-type]


def test_a_bursty_class_without_three_complete_months_has_a_monthly_peak_band_near_its_peaks() -> (
    None
):
    """Daily peaks that burst from ~60 to ~300 GPUs for 101 days: a month's peak is the largest
    of its days, so next month's q10-q90 lies within the bursts' range, not 6x above it."""
    rng = np.random.default_rng(4)
    n, as_of = 101, date(2026, 5, 20)  # two complete months: February and May are partial
    y = 60 * rng.lognormal(0, 0.5, n) * np.where(rng.uniform(size=n) < 0.08, 4.0, 1.0)
    days = [as_of - timedelta(days=n - 1 - k) for k in range(n)]
    fc = lr.long_horizon_forecast(
        pl.DataFrame({"unique_id": "e", "ds": days, "y": y}), as_of=as_of, months=2
    )
    first = fc.monthly.row(0, named=True)
    assert float(np.median(y)) < first["q10"] and first["q90"] <= 2 * float(np.max(y))


def test_gaps_and_a_young_series_forecast_without_holes() -> None:
    """Missing rows, null days, a 20-day outage and a series 200 days old: finite forecasts."""
    history = built_fleet("steady", n_series=2).filter(pl.col("ds") <= CUTOFF)
    rng = np.random.default_rng(1)
    outage = (pl.col("ds") > CUTOFF - timedelta(days=60)) & (
        pl.col("ds") <= CUTOFF - timedelta(days=40)
    )
    gappy = (
        history.filter(pl.lit(rng.uniform(size=history.height) > 0.1))
        .with_columns(pl.when(outage).then(None).otherwise(pl.col("y")).alias("y"))
        .with_columns(
            pl.when(
                (pl.col("unique_id") == "total/r1") & (pl.col("ds") < CUTOFF - timedelta(days=200))
            )
            .then(None)
            .otherwise(pl.col("y"))
            .alias("y")
        )
    )
    fc = lr.long_horizon_forecast(gappy, as_of=CUTOFF, months=12)
    for frame in (fc.daily, fc.monthly):
        values = frame.select("mean", "q10", "q50", "q90", "q99").to_numpy()
        assert np.all(np.isfinite(values))
    assert fc.daily.height == 2 * 182
    assert fc.series["reason"].null_count() == 2


def test_flat_series_stays_flat() -> None:
    """A constant series with noise: every monthly q50 within 3 % of the first for 36 months."""
    history = built_fleet("flat", n_series=1).filter(pl.col("ds") <= CUTOFF)
    fc = lr.long_horizon_forecast(history, as_of=CUTOFF)
    q50 = fc.monthly["q50"].to_numpy()
    assert np.max(np.abs(q50 / q50[0] - 1)) <= 0.03


@pytest.mark.parametrize("seed", [2, 3])
def test_a_band_widens_past_the_decision_horizon_no_faster_than_its_damped_growth(
    seed: int,
) -> None:
    """Past 26 weeks nothing scores a band: it widens at most as the damped reach does.

    A series that sped up from 10 to 100 %/yr (in logs) 176 days before ``as_of``, forecast by
    the local linear trend: fitted on 17 blocks its trend smoothing came out near 0.5, and its
    class-1 variance grows cubically. Before, the 36-month q90 was 215 and 534 times the q50
    (seeds 2 and 3), against 1.5-1.6 at six months; the damped reach widens the log spread
    about threefold from 26 weeks to 36 months.
    """
    rng = np.random.default_rng(seed)
    n = 476
    t = np.arange(n)
    y = 2000 * np.exp(np.cumsum(np.where(t < 300, 0.1, 1.0) / 365) + rng.normal(0, 0.03, n))
    days = [CUTOFF - timedelta(days=n - 1 - k) for k in range(n)]
    fc = lr.long_horizon_forecast(
        pl.DataFrame({"unique_id": "total/us-west", "ds": days, "y": y}),
        as_of=CUTOFF,
        candidates=("local_linear_trend",),
    )
    ratio = (fc.monthly.sort("ds")["q90"] / fc.monthly.sort("ds")["q50"]).to_numpy()
    reach = growth.damped_reach(39)
    # Month 6 ends near the decision horizon (block step 7); its middle is a little before.
    assert math.log(ratio[-1]) <= 1.25 * reach[-1] / reach[6] * math.log(ratio[5])
    assert ratio[-1] < 6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_total_is_never_surer_than_the_regions_it_sums(seed: int) -> None:
    """Three growing regions and their total: the total's band (log q90/q50) is at least
    nearly its regions' level-weighted band, at 26 weeks and at 36 months.

    Forecast on its own smoother series, the total's band was 57-70 % of its regions' (as if
    their growth surprises cancelled out), and on 40 synthetic fleets its daily peak was above
    its q90 on 19 % of days at 26 weeks (regions 13 %); held to its regions', 15 % (7 %).
    """
    regions = built_fleet("steady", seed=seed, n_series=3).filter(pl.col("ds") <= CUTOFF)
    total = regions.group_by("ds").agg(pl.col("y").sum()).with_columns(unique_id=pl.lit("total"))
    fc = lr.long_horizon_forecast(pl.concat([regions, total.select(regions.columns)]), as_of=CUTOFF)

    def spreads(frame: pl.DataFrame) -> tuple[float, float]:
        last = frame.filter(pl.col("ds") == pl.col("ds").max()).with_columns(
            spread=(pl.col("q90") / pl.col("q50")).log()
        )
        own = float(last.filter(pl.col("unique_id") == "total")["spread"][0])
        parts = last.filter(pl.col("unique_id") != "total")
        share = parts["q50"] / parts["q50"].sum()
        return own, float((share * parts["spread"]).sum())

    own, regions_band = spreads(fc.daily)
    assert own >= 0.85 * regions_band
    own, regions_band = spreads(fc.monthly)
    assert own >= 0.9 * regions_band


def test_growth_models_extrapolate_compounding_growth() -> None:
    """On an exact 50 %/yr log-linear level, the undamped models continue it within 2 %.

    Not the combination: its damped member lags compounding growth by design.
    """
    level = 1000 * np.exp(0.5 / 13 * np.arange(26))
    truth = 1000 * np.exp(0.5 / 13 * np.arange(26, 39))
    for name in ("local_linear_trend", "log_linear_trend"):
        pred = growth.make_growth_model(name).fit(level).predict(13, quantiles=(0.1, 0.5, 0.9))
        assert np.allclose(pred.quantiles[0.5], truth, rtol=0.02), name


def test_theta_fits_its_theta_to_the_slope_the_history_keeps() -> None:
    """Noisy compounding growth (50 %/yr in logs over two years of 28-day levels): Theta
    continues the whole slope 13 blocks out within 5 %, where the classic theta = 2 halved it
    (22 % low at the 13th block); on a flat noisy level it invents no growth (within 5 %)."""
    rng = np.random.default_rng(0)
    slope = 0.5 / 13
    growing = 1000 * np.exp(slope * np.arange(26) + rng.normal(0, 0.02, 26))
    truth = 1000 * np.exp(slope * np.arange(26, 39))
    theta = growth.make_growth_model("theta").fit(growing)
    assert np.allclose(theta.predict(13).quantiles[0.5], truth, rtol=0.05)
    flat = 1000 * np.exp(rng.normal(0, 0.02, 26))
    q50 = growth.make_growth_model("theta").fit(flat).predict(13).quantiles[0.5]
    assert np.allclose(q50, 1000, rtol=0.05), q50


def test_log_linear_trend_finds_a_changepoint() -> None:
    """A slope that halves 8 steps before the end: the fit extrapolates the new slope."""
    t = np.arange(30)
    x = np.where(t < 22, 0.06 * t, 0.06 * 22 + 0.03 * (t - 22))
    model = growth.LogLinearTrend().fit(np.expm1(x + 5))
    assert model.changepoint is not None
    mu, _ = model.log_forecast(4)
    assert np.allclose(np.diff(np.concatenate(([x[-1] + 5], mu))), 0.03, atol=0.003)


def test_monthly_peaks_mark_partial_months() -> None:
    """The month's max; the month the data end in is not complete."""
    ds = [date(2026, 4, 1) + timedelta(days=k) for k in range(45)]  # to 15 May
    frame = pl.DataFrame({"unique_id": "x", "ds": ds, "y": np.arange(45, dtype=float)})
    peaks = lr.monthly_peaks(frame)
    assert peaks["y"].to_list() == [29.0, 44.0]
    assert peaks["complete"].to_list() == [True, False]
    assert peaks["days"].to_list() == [30, 15]


def test_blend_moves_from_short_to_long_with_lead() -> None:
    """Weight 0 through 28 days, 1 from 91, smooth between; quantiles stay ordered."""
    days = [CUTOFF + timedelta(days=k) for k in range(1, 121)]
    short = pl.DataFrame(
        {
            "unique_id": "t",
            "ds": days,
            "model": "ets",
            "mean": 100.0,
            "q10": 90.0,
            "q50": 100.0,
            "q90": 110.0,
        }
    )
    long = short.with_columns(
        pl.lit("combination").alias("model"), pl.col("mean", "q10", "q50", "q90") * 2
    )
    out = lr.blend_daily(short, long, as_of=CUTOFF)
    mean = out["mean"].to_numpy()
    assert np.all(mean[:28] == 100) and np.all(mean[90:] == 200)
    assert np.all(np.diff(mean) >= 0)
    assert out["model"][50] == "ets+combination"
    q = out.select("q10", "q50", "q90").to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0)


@pytest.mark.slow
def test_synthetic_fleet_total_at_26_weeks() -> None:
    """The demo fleet to 2026-11-22, cut-off six months back: the total peak meets the targets.

    Measured when written, out of sample (the method chose and calibrated on its own earlier
    cut-offs): cut-off 2026-05-22, total MAE 0.59x the better baseline, q90 exceeded on 14.8 %
    (inside the band by a hair: a small change can tip it), bias -1.3 %. At the cut-off 12
    months back (2025-11-22, one year of history) the targets are not met: MAE 1.19x the
    log-linear baseline, q90 exceeded on 22.5 % (report; benchmarks/bench_longrange.py).
    """

    peaks = synthetic_peaks(730, 200, 0, end=date(2026, 11, 22))
    scores = lr.decision_backtest(
        peaks.filter(pl.col("unique_id") == "total"), cutoffs_months_back=(6,)
    )
    row = scores.filter(pl.col("horizon_days") == 182).row(0, named=True)
    assert 0.05 <= row["exceed_q90"] <= 0.15
    assert abs(row["bias"]) <= 0.05
    assert row["mae_ratio"] <= 0.9


def synthetic_peaks(
    days: int, customers: int, seed: int, *, end: date | None = None
) -> pl.DataFrame:
    """Daily peaks (unique_id, ds, y) of a synthetic fleet's every series."""
    from forecasting import demand, synth

    fleet = synth.synthetic_fleet(days=days, customers=customers, seed=seed, end=end)
    hourly = fleet.telemetry.select(
        "ts",
        "region",
        "workload_class",
        "customer",
        (pl.col("gpus_running") + pl.col("gpus_queued")).alias("y"),
    )
    series = demand.demand_series(hourly, customers_per_class=3)
    return series.filter(pl.col("measure") == "peak").select("unique_id", "ds", "y")


def _spread_at_36_months(frame: pl.DataFrame) -> tuple[float, bool]:
    """The widest q90 / q50 among the series' last months, and whether every mean is finite."""
    fc = lr.long_horizon_forecast(frame, as_of=frame["ds"].max(), months=36)  # type: ignore[arg-type]
    last = fc.monthly.filter(pl.col("ds") == fc.monthly["ds"].max())
    ratio = float((last["q90"] / last["q50"]).max())  # type: ignore[arg-type]
    return ratio, bool(fc.monthly["mean"].is_finite().all())


@pytest.mark.parametrize(
    ("days", "customers", "seed", "bound"), [(200, 12, 3, 200), (500, 40, 4, 2000)]
)
def test_noisy_classes_stay_within_bounds_at_36_months(
    days: int, customers: int, seed: int, bound: float
) -> None:
    """Small noisy classes of synthetic fleets, 36 months ahead. At 200 days (no decision
    backtest: every series on the random walk, onboarding blocks left out) the widest q90 was
    2.2e37 times its q50 and means overflowed to infinity; at 500 days (theta, calibrated) the
    growth rate's uncertainty, compounded undamped for 39 blocks, made it 38,669x. Now 95x and
    969x: the honest spread of classes of 35-95 GPUs whose blocks move +-50 %, not a number
    the triggers order 360 pods for."""
    peaks = synthetic_peaks(days, customers, seed)
    regions_and_classes = pl.col("unique_id").str.count_matches("/").is_between(1, 2)
    ratio, finite = _spread_at_36_months(peaks.filter(regions_and_classes))
    assert finite
    assert ratio < bound, f"q90 / q50 = {ratio:.3g}"


def test_a_class_that_starts_after_months_of_zeros_or_doubles_into_its_level_is_not_growth() -> (
    None
):
    """Six blocks of zeros then a class of ~20 GPUs, and a series that went 90, 1,050, 1,520 and
    held: the zeros and the doubling blocks are its onboarding, left out of the fit (the reason
    says so), so neither reads its start as growth to compound for three years."""
    rng = np.random.default_rng(4)
    n = 8 * lr.BLOCK_DAYS
    days = [CUTOFF - timedelta(days=n - 1 - k) for k in range(n)]
    late = np.concatenate([np.zeros(6 * lr.BLOCK_DAYS), rng.uniform(10, 30, 2 * lr.BLOCK_DAYS)])
    levels = np.repeat(
        [90.0, 1050.0, 1520.0, 1560.0, 1600.0, 1610.0, 1650.0, 1660.0], lr.BLOCK_DAYS
    )
    onboarded = levels * rng.lognormal(0, 0.05, n)
    frame = pl.concat(
        [
            pl.DataFrame({"unique_id": "late", "ds": days, "y": late}),
            pl.DataFrame({"unique_id": "onboarded", "ds": days, "y": onboarded}),
        ]
    )
    fc = lr.long_horizon_forecast(frame, as_of=CUTOFF, months=36)
    reasons = dict(fc.series.select("unique_id", "reason").iter_rows())
    assert "2 blocks of 28 days" in reasons["late"]
    assert "after 1 onboarding block (each more than doubled into the next)" in reasons["onboarded"]
    last = fc.monthly.filter(pl.col("ds") == fc.monthly["ds"].max())
    q50 = dict(last.select("unique_id", "q50").iter_rows())
    assert q50["late"] < 10 * 30 and q50["onboarded"] < 5 * 1660


def test_the_days_before_a_class_started_are_not_spread_around_its_level() -> None:
    """A class at zero for 100 days, then steady near 4,500 GPUs for 100: its daily and monthly
    bands sit around 4,500 (the zeros before it started once read a daily q50 of 3 GPUs and a
    monthly peak q50 of 142)."""
    rng = np.random.default_rng(7)
    n = 200
    days = [CUTOFF - timedelta(days=n - 1 - k) for k in range(n)]
    y = np.concatenate([np.zeros(100), 4500 * rng.lognormal(0, 0.1, 100)])
    neighbour = built_fleet("flat", n_series=1).filter(pl.col("ds") <= CUTOFF)
    frame = pl.concat([pl.DataFrame({"unique_id": "batch", "ds": days, "y": y}), neighbour])
    fc = lr.long_horizon_forecast(frame, as_of=CUTOFF, months=3)
    daily = fc.daily.filter(pl.col("unique_id") == "batch").head(28)
    assert float(daily["q10"].min()) > 2500  # type: ignore[arg-type]
    assert float(daily["q50"].median()) > 3500  # type: ignore[arg-type]
    month = fc.monthly.filter(pl.col("unique_id") == "batch").row(0, named=True)
    assert month["q10"] > 4000 and month["mean"] < month["q90"]


def test_a_run_too_young_to_measure_a_level_move_is_not_planned_past_the_daily_days() -> None:
    """Two blocks of one series and one block of another, nothing older: neither's level moves
    can be measured (the older one's single step reads no drift), so no series of the run is
    planned past the daily days; each one's reason says its history and why, and ``gap`` names
    both. (The older one was planned flat for 36 months before, its reason blaming only the
    younger.) Both planned once a 3-block series joins."""
    rng = np.random.default_rng(2)

    def series(uid: str, days: int) -> pl.DataFrame:
        ds = [CUTOFF - timedelta(days=days - 1 - k) for k in range(days)]
        return pl.DataFrame({"unique_id": uid, "ds": ds, "y": 1000 * rng.lognormal(0, 0.05, days)})

    young = pl.concat([series("total/r1/inference", 56), series("total/r1/training", 28)])
    fc = lr.long_horizon_forecast(young, as_of=CUTOFF, months=36)
    assert fc.daily.is_empty() and fc.monthly.is_empty()
    reasons = dict(fc.series.select("unique_id", "reason").iter_rows())
    assert reasons["total/r1/inference"].startswith(
        "not forecast past the daily days: 2 blocks of 28 days, and nothing in the run measures"
    )
    assert reasons["total/r1/training"].startswith(
        "not forecast past the daily days: 1 block of 28 days, and nothing in the run measures"
    )
    assert fc.gap is not None and "r1 · training" in fc.gap and "r1 · inference" in fc.gap
    older = lr.long_horizon_forecast(
        pl.concat([young, series("total/r1/batch", 84)]), as_of=CUTOFF, months=36
    )
    assert older.gap is None
    assert set(older.monthly["unique_id"]) == {
        "total/r1/inference",
        "total/r1/training",
        "total/r1/batch",
    }


def test_a_run_where_no_series_can_read_a_drift_is_not_planned_flat_for_three_years() -> None:
    """Two series of 83 days growing 20 % a block, two blocks each: one step each, no series
    with the three blocks a drift is read from, so nothing measures how far a level moves in
    months. They were planned anyway, held flat for 36 months (a 90-day synthetic fleet as of
    day 83, seed 7: the next day's third block switched the run's drift on and its median
    monthly q50 moved 6.2x), while a run whose one series had lost a block to its ramp was not
    planned at all. Now neither is, and the gap and each series say why; a day older, the run
    reads its drift and plans the growth."""
    rng = np.random.default_rng(5)

    def growing(uid: str, days: int, level: float) -> pl.DataFrame:
        ds = [CUTOFF - timedelta(days=days - 1 - k) for k in range(days)]
        t = np.arange(days) - (days - 1)  # 0 on the as-of day
        y = level * np.exp(math.log(1.2) / lr.BLOCK_DAYS * t + rng.normal(0, 0.03, days))
        return pl.DataFrame({"unique_id": uid, "ds": ds, "y": y})

    def run(days: int) -> lr.LongHorizon:
        frame = pl.concat(
            [growing("total/r1/inference", days, 1000.0), growing("total/r1/batch", days, 400.0)]
        )
        return lr.long_horizon_forecast(frame, as_of=CUTOFF, months=36)

    young = run(83)
    assert young.monthly.is_empty() and young.daily.is_empty(), "held flat for 36 months"
    assert young.gap is not None
    assert "r1 · inference" in young.gap and "r1 · batch" in young.gap
    assert "no series has 3 blocks" in young.gap
    for reason in young.series["reason"]:
        assert reason.startswith("not forecast past the daily days: 2 blocks of 28 days, and ")
    older = run(84)
    assert older.gap is None and older.run.drift is not None
    last = older.monthly.filter(
        pl.col("unique_id") == "total/r1/inference", pl.col("ds") == older.monthly["ds"].max()
    )
    assert float(last["q50"][0]) > 2 * 1000.0, "a day older, the growth is planned"


def test_a_cut_off_with_too_little_history_is_not_scored() -> None:
    """200 days of data leave 17 days before the cut-off 6 months back: the method would plan
    nothing past the daily days there, so nothing is scored (a flat level fitted on 15 days
    read "-30 % bias at 26 weeks", and a log-linear baseline through them 100x the error)."""
    fleet = built_fleet("steady", n_series=2).filter(
        pl.col("ds") > CUTOFF + timedelta(days=FUTURE_DAYS - 200)
    )
    scores = lr.decision_backtest(
        fleet, cutoffs_months_back=(6,), as_of=CUTOFF + timedelta(days=FUTURE_DAYS)
    )
    assert scores.is_empty()


def test_a_followed_slowdown_is_named_on_every_series_it_moves() -> None:
    """The halving fleet's forecast at its cut-off follows the shared slowdown and each series'
    reason says so; the steady fleet's follows nothing and says nothing."""
    for kind, followed in (("halving", True), ("steady", False)):
        history = built_fleet(kind).filter(pl.col("ds") <= CUTOFF)
        fc = lr.long_horizon_forecast(history, as_of=CUTOFF, months=6)
        reasons = fc.series["reason"].fill_null("")
        if followed:
            assert fc.change.per_block < 0
            assert reasons.str.contains("series slowed together").all()
        else:
            assert fc.change.per_block == 0.0
            assert not reasons.str.contains("together").any()


def _window_at(cutoff: date, point: float) -> lr._Window:
    """A backtest window of one series: 10 days of actual 100, seasonal naive 110, and a
    flat point forecast ``point``."""
    view = lr._View("m", None, np.full(10, math.log1p(point)), np.zeros(10), np.zeros(1))
    return lr._Window(
        "total/r0", cutoff, view, np.full(10, 100.0), np.full(10, 110.0), np.full(10, 100.0)
    )


def test_a_model_replaces_the_combination_only_when_it_beats_it_at_every_cut_off() -> None:
    """A model far better at one cut-off and worse at the other is one lucky stretch: the
    combination stays (the mean over both, 0.3 against 0.5, chose the lucky model before).
    Better by the margin at both, it is chosen."""
    early, late = CUTOFF - timedelta(days=365), CUTOFF - timedelta(days=182)
    combination = [_window_at(early, 105.0), _window_at(late, 105.0)]
    lucky = [_window_at(early, 100.0), _window_at(late, 106.0)]
    steady = [_window_at(early, 103.0), _window_at(late, 104.0)]
    assert lr._pooled_choice({"combination": combination, "theta": lucky}) == "combination"
    assert (
        lr._pooled_choice({"combination": combination, "theta": lucky, "damped_trend": steady})
        == "damped_trend"
    )


def test_one_backtest_cut_off_never_replaces_the_combination() -> None:
    """With a year of history there is one backtest cut-off: a model better there by any
    margin is one stretch, not a pattern. On 40 synthetic fleets cut 12 months before their
    end the single cut-off chose a damped trend on 24 of 160 series, and the regions' q50 read
    0.859x the log-linear baseline's MAE, above q90 on 23.2 % of days; keeping the combination,
    0.797x and 20.6 %. Here a model 20 % better at the one cut-off still leaves the
    combination."""
    late = CUTOFF - timedelta(days=182)
    combination = [_window_at(late, 110.0)]
    better = [_window_at(late, 102.0)]
    assert lr._pooled_choice({"combination": combination, "damped_trend": better}) == (
        "combination"
    )


def _spread_window(uid: str, errors: np.ndarray, *, sd: float = 0.1) -> lr._Window:
    """A backtest window whose forecast is a flat log level 7 with log sd ``sd``, and whose
    actuals sit ``errors`` (in logs) from it."""
    n = errors.size
    view = lr._View("m", None, np.full(n, 7.0), np.full(n, sd), np.zeros(1))
    actual = np.expm1(7.0 + errors)
    return lr._Window(uid, CUTOFF, view, actual, actual, actual)


def test_a_window_that_stepped_past_every_band_does_not_set_every_series_scale() -> None:
    """Twelve windows whose actuals spread as their bands say, and two whose demand stepped
    to 4x after the cut-off (a customer onboarding into a class): counted whole, the two held
    the pooled exceedance above 10 % at any scale, the one scale every series shares ran to
    its bound (8, then 6.2 shrunk), and a 400-day fleet's regions read a 36-month q90 1,655
    times their q50. Each window now counts at most at most STEP_SHARE of its days above q90: the
    scale stays near what the twelve ask for, and still widens for the two."""
    rng = np.random.default_rng(0)
    spread = [_spread_window(f"total/r{i}", rng.normal(0, 0.1, 182)) for i in range(12)]
    stepped = [_spread_window(f"total/c{i}", np.full(182, math.log(4.0))) for i in range(2)]
    alone = lr._calibrated_scale(spread, 182)
    scale = lr._calibrated_scale(spread + stepped, 182)
    assert 0.8 < alone < 1.25
    assert alone < scale < 2.0, f"scale {scale:.2f} (the twelve alone: {alone:.2f})"


def test_one_backtest_cut_off_widens_a_band_but_never_narrows_it() -> None:
    """With a year to 18 months of history every window is from one cut-off: the series
    share one stretch of growth, and one that went as the models expected narrowed every
    band (scales 0.29-0.75 on the demo and two synthetic fleets 273 and 364 days before their
    end, whose regions then read above their daily q90 on 30-40 % of days 91-182 days out).
    Over 40 synthetic fleets cut 12 months back: regions above q90 20.6 % -> 16.2 % of days.
    So one cut-off may widen a band, not narrow it; two cut-offs still narrow it."""
    rng = np.random.default_rng(1)
    tight = [_spread_window(f"total/r{i}", rng.normal(0, 0.03, 182)) for i in range(12)]
    wide = [_spread_window(f"total/r{i}", rng.normal(0, 0.3, 182)) for i in range(12)]
    assert lr._calibrated_scale(tight, 182) == 1.0
    assert lr._calibrated_scale(wide, 182) > 1.5
    earlier = [replace(w, cutoff=CUTOFF - timedelta(days=182)) for w in tight[:6]]
    assert lr._calibrated_scale(earlier + tight[6:], 182) < 0.6


def test_regions_are_calibrated_apart_from_their_classes_and_never_surer() -> None:
    """A class's growth surprises partly cancel in its region's sum, a region's in nothing:
    one scale pooled over three regions and eighteen classes fitted the classes and left the
    regions narrow (the demo cut 273 days back: regions above their daily q90 on 33.7 % of
    days at the pooled 1.3, 5.4 % at the 2.04 they asked alone). Each level now has its own
    scale, shrunk towards the pool; a total above regions that ask for more is scaled at
    least as far as they are."""
    rng = np.random.default_rng(2)
    earlier = CUTOFF - timedelta(days=182)
    regions = [
        replace(_spread_window(f"total/r{i}", rng.normal(0, 0.25, 182)), cutoff=when)
        for i in range(3)
        for when in (earlier, CUTOFF)
    ]
    classes = [
        replace(_spread_window(f"total/r{i}/c{j}", rng.normal(0, 0.08, 182)), cutoff=when)
        for i in range(3)
        for j in range(6)
        for when in (earlier, CUTOFF)
    ]
    pooled, scales = lr._scales_by_level(regions + classes, 182)
    assert scales[2] < pooled < scales[1], (pooled, scales)
    assert scales[1] > 1.5 * scales[2]
    total = [
        replace(_spread_window("total", rng.normal(0, 0.05, 182)), cutoff=when)
        for when in (earlier, CUTOFF)
    ]
    _pooled, with_total = lr._scales_by_level(total + regions + classes, 182)
    assert with_total[0] >= with_total[1] > with_total[2]


def test_a_year_old_fleet_whose_classes_stepped_keeps_a_36_month_band_it_can_plan_on() -> None:
    """A 400-day synthetic fleet (20 customers, seed 0): its batch classes quadrupled after
    the 6-month cut-off (264 -> 1,536 GPUs in eu-west), which ran the calibration's scale to
    its bound; the regions' 36-month q90 read 663 times their q50 (us-east's q10 0.1 % of it)
    and `fleetcast whatif` ordered 3,205 racks for a region of 14,000 GPUs. Now 9.9 times
    (scale 1.93)."""
    peaks = synthetic_peaks(400, 20, 0, end=date(2026, 11, 22))
    regions = pl.col("unique_id").str.count_matches("/") == 1
    classes = pl.col("unique_id").str.count_matches("/").is_between(1, 2)
    fc = lr.long_horizon_forecast(peaks.filter(classes), as_of=date(2026, 11, 22), months=36)
    last = fc.monthly.filter(regions, pl.col("ds") == fc.monthly["ds"].max())
    ratio = float((last["q90"] / last["q50"]).max())  # type: ignore[arg-type]
    assert fc.scale < 3.0
    assert ratio < 20, f"q90 / q50 = {ratio:.3g}"


def test_a_scale_fitted_at_26_weeks_is_not_compounded_with_the_bands_widening_past_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 400-day synthetic fleet (40 customers, seed 5) whose growth turned up after its only
    cut-off: the calibration's scale came out near 3.1, and multiplied into the band's own
    widening past 26 weeks it put eu-west's 36-month q90 at 17 times its q50 (1.3 million
    GPUs against 7,400 at its last peaks; the triggers ordered 527 racks). Past the decision
    horizon the band carries the variance the scale added there: 3.7 times. (One cut-off now
    keeps the combination, whose scale here is 2.2; the model that cut-off chose is put back
    so the case keeps the wide calibration it tests.)"""
    monkeypatch.setattr(lr, "_CHOICE_CUTOFFS", 1)
    as_of = date(2026, 12, 4)
    peaks = synthetic_peaks(400, 40, 5, end=as_of)
    classes = pl.col("unique_id").str.count_matches("/").is_between(1, 2)
    fc = lr.long_horizon_forecast(peaks.filter(classes), as_of=as_of, months=36)
    last = fc.monthly.filter(
        pl.col("unique_id") == "total/eu-west", pl.col("ds") == fc.monthly["ds"].max()
    )
    assert fc.scale > 2.5, "the case needs a calibration that widened the band"
    assert float(last["q90"][0] / last["q50"][0]) < 6


def test_a_class_with_no_demand_in_its_history_does_not_cut_the_plan_to_the_daily_days() -> None:
    """A class that ran nothing (every day zero: eu-west training of the sweep's 75-day fleet)
    has no level move to measure, yet it was taken for a young series whose moves nothing
    measures, and it cut every series of the run to the daily days ("plan horizon: the daily
    days only ... eu-west · training too young"; the same fleet with that class's demand kept
    planned 37 months). Beside series that ran, its level is measured: zero, on every day of
    its history. The run is planned past the daily days, the idle class at zero; a run with no
    demand anywhere is still not planned past them. (Three blocks: on two, as this read before,
    no series reads a drift and nothing is planned past the daily days, idle class or not.)"""
    rng = np.random.default_rng(3)
    days = 84
    ds = [CUTOFF - timedelta(days=days - 1 - k) for k in range(days)]
    busy = pl.DataFrame(
        {"unique_id": "total/r1/inference", "ds": ds, "y": 1000 * rng.lognormal(0, 0.05, days)}
    )
    idle = pl.DataFrame({"unique_id": "total/r1/training", "ds": ds, "y": [0.0] * days})
    fc = lr.long_horizon_forecast(pl.concat([busy, idle]), as_of=CUTOFF, months=12)
    assert fc.gap is None
    assert set(fc.monthly["unique_id"]) == {"total/r1/inference", "total/r1/training"}
    training = fc.monthly.filter(pl.col("unique_id") == "total/r1/training")
    assert training.height == 12
    assert training["q90"].to_list() == pytest.approx([0.0] * 12, abs=1e-6)
    # A run with no demand anywhere has nothing to plan on: zeros everywhere are no plan.
    nothing = lr.long_horizon_forecast(
        pl.concat([idle, idle.with_columns(unique_id=pl.lit("total/r1/inference"))]),
        as_of=CUTOFF,
        months=12,
    )
    assert nothing.gap is not None and nothing.monthly.is_empty()


def test_a_decision_row_names_the_targets_it_misses() -> None:
    """The demo's us-west at the 6-month cut-off (1.22x the seasonal naive, 1.61x the
    log-linear trend, 2 % above q90, +10.2 % bias) read like any other row: it misses all
    three targets and says so; a row within them reads "met"; a missing figure, not measured."""
    from flows.tables import _decision_table
    from forecasting.longrange import missed_targets, targets_verdict
    from forecasting.report.pages.platform import _decision_table as page_table

    us_west = {"unique_id": "total/us-west", "cutoff": date(2026, 6, 3), "model": "combo",
               "horizon_days": 182, "mae": 1.22, "mae_seasonal_naive": 1.0,
               "mae_log_linear": 0.758, "coverage_80": 0.64, "exceed_q90": 0.02,
               "bias": 0.102}  # fmt: skip
    total = us_west | {"unique_id": "total", "mae": 0.31, "mae_log_linear": 0.43,
                       "exceed_q90": 0.09, "bias": 0.032}  # fmt: skip
    assert missed_targets(us_west) == ["MAE", "above q90", "bias"]
    assert targets_verdict(total) == "met"
    assert targets_verdict(us_west | {"bias": None}) is None
    assert targets_verdict(total | {"exceed_q90": 0.16}) == "missed: above q90"
    run = SimpleNamespace(plan_gap=None, horizon_months=37, horizon_months_asked=36,
                          plan_change=None,
                          decision_accuracy=[us_west, total | {"bias": float("nan")}])  # fmt: skip
    cells = [str(c) for c in _decision_table(run)[0].columns[-1]._cells]  # type: ignore[arg-type]
    assert cells == ["missed: MAE, above q90, bias", "not measured"]
    page = page_table(pl.DataFrame([us_west, total]))
    assert [row[-1] for row in page.rows] == ["met", "missed: MAE, above q90, bias"]


def test_the_summary_folds_each_cut_off_s_classes_into_one_line() -> None:
    """The backtest scores every class beside its region (the plan's call): the summary lists
    the regions and one line per cut-off for the classes, how many meet the targets and their
    medians; the page keeps every row, regions before their classes."""
    from flows.tables import _decision_table
    from forecasting.report.pages.platform import _decision_table as page_table

    cutoff = date(2026, 6, 3)
    region = {"unique_id": "total/us-west", "cutoff": cutoff, "model": "combination",
              "horizon_days": 182, "mae": 0.8, "mae_seasonal_naive": 1.0,
              "mae_log_linear": 1.0, "coverage_80": 0.8, "exceed_q90": 0.1,
              "bias": 0.01}  # fmt: skip
    classes = [
        region | {"unique_id": f"total/us-west/{name}", "mae": mae, "exceed_q90": above}
        for name, mae, above in (
            ("batch", 0.5, 0.1),
            ("inference", 0.7, 0.3),
            ("training", 1.2, 0.0),
        )
    ]
    # A year out, where the history reached: orders are sized for the 52 weeks after their
    # shortfall, and a failed 52-week row was stored and counted as measured, never shown.
    year = region | {"horizon_days": 364, "exceed_q90": 0.38, "bias": -0.149}
    run = SimpleNamespace(plan_gap=None, horizon_months=36, horizon_months_asked=36,
                          plan_change=None,
                          decision_accuracy=[region, *classes, year])  # fmt: skip
    table = _decision_table(run)[0]
    cells = [[str(c) for c in column._cells] for column in table.columns]  # type: ignore[attr-defined]
    rows = list(zip(*cells, strict=True))
    assert [(r[0], r[2]) for r in rows] == [
        ("total/us-west", "26 wk"),
        ("total/us-west", "52 wk"),
        ("3 classes (median)", "26 wk"),
    ]
    assert rows[1][-1] == "missed: above q90, bias"
    assert rows[2][3] == "0.70x" and rows[2][6] == "10%"
    assert rows[2][-1] == "1 of 3 meet all three"
    page = page_table(pl.DataFrame([year, *reversed(classes), region]))
    assert [(row[0], row[2]) for row in page.rows] == [
        ("total/us-west", "26 weeks"),
        ("total/us-west/batch", "26 weeks"),
        ("total/us-west/inference", "26 weeks"),
        ("total/us-west/training", "26 weeks"),
        ("total/us-west", "52 weeks"),
    ]


@pytest.mark.parametrize("spread", [0.0, 1e-4, 0.05, 0.8])
def test_mixture_quantiles_invert_the_mixture_cdf(spread: float) -> None:
    """Each quantile of a residual-grid mixture is where its CDF reaches the level: exactly
    for a smooth mixture, at the grid point whose step crosses it for one without spread."""
    rng = np.random.default_rng(7)
    mu = rng.normal(4.0, 2.0, 300)
    s = np.full(300, spread)
    grid = np.sort(rng.normal(0.0, 0.3, 61))
    qs = (0.1, 0.5, 0.9, 0.99)
    x = lr.mixture_quantiles(mu, s, grid, 0.0, qs)
    assert x.shape == (300, 4)
    assert np.all(np.diff(x, axis=1) >= 0)
    for j, q in enumerate(qs):
        if spread > 0:
            assert np.allclose(lr._mixture_cdf(x[:, j], mu, s, grid, 0.0), q, atol=1e-7)
        else:  # a stepped CDF: the grid point whose step crosses the level
            step = grid[int(np.ceil(q * grid.size)) - 1]
            assert np.allclose(x[:, j], mu + step, atol=1e-8)


def _weekday_bursts(days: int, *, seed: int = 5) -> pl.DataFrame:
    """One series busy on weekdays (about 100 GPUs) and idle at weekends but for bursts of
    about 100 on half of them: its weekend residuals are weekday-sized jumps."""
    rng = np.random.default_rng(seed)
    ds = [CUTOFF - timedelta(days=days - 1 - d) for d in range(days)]
    weekend = np.array([d.weekday() >= 5 for d in ds])
    busy = 100.0 * np.exp(rng.normal(0, 0.1, days))
    burst = rng.random(days) < 0.5
    y = np.where(weekend & ~burst, 0.0, busy)
    return pl.DataFrame({"unique_id": "total/r1/batch", "ds": ds, "y": y})


@pytest.mark.parametrize("days", [90, 400])
def test_a_month_s_peak_reads_at_least_each_of_its_days_the_same_model_gives(days: int) -> None:
    """A month's peak is the largest of its days: the growth model's days read at most its
    month's peak row, which stays near the history's largest day (weekend bursts pooled into
    the busy weekdays' residuals read daily q90s of 470-630 beside monthly ones of 130-142)."""
    frame = _weekday_bursts(days)
    fc = lr.long_horizon_forecast(frame, as_of=CUTOFF, months=12, daily_horizon_days=365)
    values = ["mean", "q10", "q50", "q90", "q99"]
    top = fc.daily.group_by("unique_id", pl.col("ds").dt.month_start()).agg(
        pl.col(c).max().alias(f"{c}_days") for c in values
    )
    months = fc.monthly.join(top, on=["unique_id", "ds"])
    assert months.height == 12
    for column in values:
        below = months.filter(pl.col(column) < pl.col(f"{column}_days") * (1 - 1e-9))
        assert below.is_empty(), (column, below.select("ds", column, f"{column}_days").rows())
    # Held to the month, not the month lifted to the days: a first month near the largest day.
    first = fc.monthly.sort("ds").row(0, named=True)
    assert first["q90"] < 1.25 * float(frame["y"].max())  # type: ignore[arg-type]


def _regions_and_classes_months(days: int, seed: int, back: int) -> pl.DataFrame:
    """The regions' and classes' monthly rows (both measures) of a synthetic fleet of ``days``
    days planned as of ``back`` days before its last day, its telemetry cut there."""
    from forecasting import demand, synth

    fleet = synth.synthetic_fleet(days=days, seed=seed)
    hourly = fleet.telemetry.group_by(
        pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
    ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y"))
    series = demand.demand_series(hourly, customers_per_class=10)
    as_of = series["ds"].max() - timedelta(days=back)  # type: ignore[operator]
    frames = []
    for measure in ("mean", "peak"):
        daily = series.filter(
            pl.col("measure") == measure,
            pl.col("ds") <= as_of,
            pl.col("unique_id").str.count_matches("/").is_between(1, 2),
        ).select("unique_id", "ds", "y")
        fc = lr.long_horizon_forecast(daily, as_of=as_of, months=36)
        frames.append(fc.monthly.with_columns(pl.lit(measure).alias("measure")))
    return pl.concat(frames)


@pytest.mark.parametrize(("days", "seed"), [(90, 2), (120, 7)])
def test_a_young_fleets_monthly_rows_move_by_what_one_more_day_says(days: int, seed: int) -> None:
    """A young synthetic fleet planned as of its last day and the day before: no region's or
    class's monthly mean, q10, q50 or q90 at 6-36 months moves more than 2x. A bursty class's
    own step spread, read off two or three steps, compounded for 39 blocks; one day moved a
    dip across the onboarding-ramp threshold, its step into or out of that spread, and the
    class's 36-month mean moved 22x (90 days, seed 2) and its q10 5.5x (120 days, seed 7).
    Only the run's typical step compounds now (its own excess added once): 0.49x and 0.32x
    (bench_silent_plan.py --as-of-moves: 1 day earlier, worst over 9 fleets of 90-180 days,
    0.79x, was 21.6x)."""
    later, earlier = (_regions_and_classes_months(days, seed, back) for back in (0, 1))
    months = later["ds"].unique().sort()
    at = months.gather([5, 11, 23, 35])  # 6, 12, 24, 36 months on
    keys = ["unique_id", "measure", "ds"]
    values = ["mean", "q10", "q50", "q90"]
    pairs = earlier.filter(pl.col("ds").is_in(at.to_list())).join(
        later.filter(pl.col("ds").is_in(at.to_list())), on=keys, suffix="_later"
    )
    assert pairs.height > 0
    moves = pairs.select(
        *keys, *((pl.col(f"{c}_later") / pl.col(c) - 1).abs().alias(c) for c in values)
    )
    worst = moves.select(pl.max_horizontal(values).max()).item()
    assert worst < 1.0, f"a monthly row moved {worst:.2f}x in a day:\n{moves.sort(values[0])}"
