"""Backtests, model choice, calibration and the forecast_all contract of forecasting.forecast."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from forecasting import hierarchy, schema
from forecasting.forecast import (
    ForecastSettings,
    _choose,
    backtest_cutoffs,
    forecast_all,
    forecast_series,
    independent_windows,
    mase,
)
from forecasting.models import MODEL_REGISTRY, Prediction

START = date(2023, 1, 1)


def as_frame(y: np.ndarray, *, uid: str = "total", measure: str = "mean") -> pl.DataFrame:
    """A one-series demand frame starting on START."""
    ds = pl.date_range(START, START + timedelta(days=len(y) - 1), eager=True)
    return pl.DataFrame({"unique_id": uid, "ds": ds, "measure": measure, "y": y})


def trend_season_noise(seed: int, n: int) -> np.ndarray:
    """Random level, trend, weekday profile, slow random walk and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = rng.uniform(50, 500)
    weekday = rng.normal(0, 1, 7)
    weekday = (weekday - weekday.mean()) / np.abs(weekday - weekday.mean()).max()
    noise = rng.uniform(0.02, 0.1) * level
    y = (
        level
        + rng.uniform(-0.05, 0.3) * level / 100 * t
        + rng.uniform(0.05, 0.3) * level * weekday[t % 7]
        + np.cumsum(rng.normal(0, 0.2 * noise, n))
        + rng.normal(0, noise, n)
    )
    return np.maximum(y, 0)


def heavy_tailed(seed: int, n: int) -> np.ndarray:
    """Misspecified for every model: t(3) shocks, AR(1) noise, a growing weekly swing."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = rng.uniform(50, 500)
    noise = rng.uniform(0.02, 0.1) * level
    weekday = np.sin(2 * np.pi * np.arange(7) / 7 + rng.uniform(0, 6))
    ar = np.zeros(n)
    shocks = rng.standard_t(3, n) * noise
    for i in range(1, n):
        ar[i] = 0.6 * ar[i - 1] + shocks[i]
    y = (
        level
        + rng.uniform(-0.05, 0.3) * level / 100 * t
        + 0.2 * level * weekday[t % 7] * (1 + t / n)
        + np.cumsum(rng.standard_t(3, n) * 0.3 * noise)
        + ar
    )
    return np.maximum(y, 0)


def holdout(y: np.ndarray, h: int, settings: ForecastSettings) -> tuple[pl.DataFrame, np.ndarray]:
    """Forecast of all but the last h days, and those h actuals."""
    return forecast_series(as_frame(y[:-h]), settings=settings).forecast, y[-h:]


FAST = ForecastSettings(horizon_days=28)


def test_backtest_cannot_see_past_its_cutoff() -> None:
    """Two series equal up to a day and different after it get identical backtests before it;
    the one that tripled for its last four weeks is not scored on the step: its cutoffs move
    back before it."""
    a = trend_season_noise(1, 400)
    b = a.copy()
    change = 400 - FAST.backtest_horizon  # the last cutoff's training ends here
    b[change:] *= 3.0
    ra, rb = (forecast_series(as_frame(y), settings=FAST) for y in (a, b))
    last_cutoff = START + timedelta(days=change - 1)
    # The single models' rows; a combination's pair is chosen from every cutoff's scores.
    single = ~pl.col("model").str.contains("+", literal=True)
    early_a = ra.backtest.filter(pl.col("cutoff") < last_cutoff, single)
    early_b = rb.backtest.filter(pl.col("cutoff") < last_cutoff, single)
    assert early_a.height == 2 * len(FAST.models)
    early_b = early_b.filter(pl.col("cutoff").is_in(early_a["cutoff"].implode()))
    assert early_a.equals(early_b)
    # From the last cutoff the tripling is unforeseeable, and it stayed: a recent level shift
    # (forecasting.shifts). No backtest is judged on it (every model missed it by over 5
    # MASE): b's cutoffs move back before it, and the forecast holds it as a level.
    assert ra.backtest.filter(pl.col("cutoff") == last_cutoff).height
    assert rb.backtest["cutoff"].max() < last_cutoff
    assert rb.backtest["cutoff"].n_unique() == ra.backtest["cutoff"].n_unique()
    assert rb.level_shift is not None and "x3" in rb.level_shift


def test_cutoffs_are_spaced_by_the_backtest_horizon() -> None:
    """Cutoffs end one backtest horizon before the series and step back by it."""
    assert backtest_cutoffs(400, settings=FAST) == [316, 344, 372]
    assert backtest_cutoffs(100, settings=FAST) == []


def test_chosen_models_beat_seasonal_naive() -> None:
    """On trend + weekly season + noise, the chosen models cut held-out MASE by over 10 %."""
    chosen, naive = [], []
    for seed in range(24):
        y = trend_season_noise(seed, 758)
        forecast, actual = holdout(y, 28, FAST)
        scale = float(np.mean(np.abs(y[7:730] - y[:723])))
        chosen.append(mase(actual, forecast["mean"].to_numpy(), scale=scale))
        naive.append(mase(actual, np.resize(y[723:730], 28), scale=scale))
    ratio = np.mean(chosen) / np.mean(naive)
    assert ratio < 0.9, f"MASE ratio to seasonal naive {ratio:.3f}"


@pytest.mark.parametrize(("family", "h"), [(trend_season_noise, 28), (heavy_tailed, 91)])
def test_q10_q90_coverage_within_5_points(family: Callable[[int, int], np.ndarray], h: int) -> None:
    """Held-out coverage of q10-q90 lands within 5 points of 80 %, calibrated where needed."""
    settings = ForecastSettings(horizon_days=h)
    hits = []
    for seed in range(40):
        forecast, actual = holdout(family(seed, 730 + h), h, settings)
        inside = (actual >= forecast["q10"].to_numpy()) & (actual <= forecast["q90"].to_numpy())
        hits.append(inside.mean())
    assert abs(np.mean(hits) - 0.8) <= 0.05, f"coverage {np.mean(hits):.3f}"


def test_calibration_narrows_intervals_that_overcover() -> None:
    """Where the model's own interval is too wide in backtests, calibration is applied."""
    results = [
        forecast_series(as_frame(heavy_tailed(seed, 500)), settings=FAST) for seed in range(6)
    ]
    flagged = [r for r in results if r.calibrated]
    assert flagged
    for r in flagged:
        assert abs(r.coverage_raw - 0.8) > FAST.calibration_tolerance


def test_short_series_falls_back_and_says_why() -> None:
    """A series too short even for the short layout gets the seasonal naive and both counts."""
    short = FAST.for_history(20)
    assert short.min_backtest_days == 23
    result = forecast_series(as_frame(trend_season_noise(0, 20)), settings=FAST)
    assert result.model == "seasonal_naive"
    assert result.fallback is not None
    assert "20 days" in result.fallback
    assert "needs 23" in result.fallback
    assert result.forecast.height == FAST.horizon_days


def test_a_new_customers_first_days_are_held_at_their_last_value_not_extended() -> None:
    """Six days of a ramp (12 to 1,429 GPUs): the fallback holds the last value with a band
    that widens both ways; a line through the ramp would forecast 10,000 GPUs in a month."""
    y = np.array([12.0, 157.0, 368.0, 517.0, 1002.0, 1429.0])
    result = forecast_series(as_frame(y), settings=FAST)
    assert result.model == "naive" and result.fallback is not None
    assert "6 days" in result.fallback
    q50 = result.forecast["q50"].to_numpy()
    assert np.allclose(q50, 1429.0)
    last = result.forecast.row(-1, named=True)
    assert last["q10"] < 1429.0 < last["q90"]
    assert result.paths is not None and np.median(result.paths[:, -1]) == pytest.approx(
        1429.0, rel=0.2
    )


def test_two_days_of_a_new_customer_widen_its_band_for_a_week_not_for_six_months() -> None:
    """A customer onboarded at 20:00 (its first day's mean 1.3 GPUs, its second 8): one daily
    change is all its history measures, so its band widens as a random walk of it for a week
    and is held there, paths too, and the reason says so. Before, the walk ran 182 days: q90
    124 GPUs six months out on a customer running 8, and its clipped paths' mean grew with it."""
    y = np.array([1.3, 8.0])
    settings = ForecastSettings(horizon_days=182, n_paths=400)
    result = forecast_series(as_frame(y), settings=settings)
    assert result.model == "naive" and result.fallback is not None
    q90 = result.forecast["q90"].to_numpy()
    assert q90[-1] == pytest.approx(q90[6]) and q90[6] > q90[0]
    assert q90[-1] < 8.0 + 1.2816 * 6.7 * np.sqrt(7) + 0.1
    assert result.paths is not None
    assert np.quantile(result.paths[:, -1], 0.9) < 1.2 * np.quantile(result.paths[:, 6], 0.9)
    assert "its band widens for a week and is held past it" in result.fallback


def test_a_few_steady_days_widen_their_band_as_a_random_walk_for_the_whole_horizon() -> None:
    """The Azure code trace's week cut to 4 observed days (its daily means 1.56-1.57 GPUs):
    the naive band read 1.56-1.58 GPUs, held flat for 182 days, and the drill's P50 and P90
    revenue at risk differed by 2 %: four days measured a level six months out to 1 %. Its
    changes are small beside its level, so its band widens as a random walk of them (and of
    no less than its days' own spread) for the whole horizon, its paths too, and the reason
    says so; a band whose walk would cross zero (a customer's partial first day) stays held."""
    y = np.array([1.5645, 1.5691, 1.5637, np.nan, np.nan, 1.5695])
    settings = ForecastSettings(horizon_days=182, n_paths=400)
    result = forecast_series(as_frame(y), settings=settings)
    assert result.model == "naive" and result.fallback is not None
    width = (result.forecast["q90"] - result.forecast["q10"]).to_numpy()
    assert width[-1] >= 0.95 * width[6] * np.sqrt(182 / 7)
    observed = y[np.isfinite(y)]
    assert width[-1] >= 2 * 1.2816 * np.std(observed, ddof=1) * np.sqrt(182) * 0.95
    assert result.paths is not None
    spread = np.quantile(result.paths, 0.9, axis=0) - np.quantile(result.paths, 0.1, axis=0)
    assert spread[-1] > 3 * spread[6]
    assert "widens as a random walk" in result.fallback
    assert "held past it" not in result.fallback


def test_a_short_historys_warning_counts_its_observed_days_apart_from_its_span() -> None:
    """The Azure code week cut to 4 observed days over 6 calendar days: the forecast warning
    read "6 days of history" where the report's banner read 4. The warning names both."""
    y = np.array([1.5645, 1.5691, 1.5637, np.nan, np.nan, 1.5695])
    result = forecast_series(as_frame(y), settings=ForecastSettings(horizon_days=28))
    assert result.fallback is not None
    assert result.fallback.startswith("4 observed days in 6 days of history; backtesting needs")
    assert ": 4 observed days in 6 days of history measure" in result.fallback
    whole = forecast_series(as_frame(y[:3]), settings=ForecastSettings(horizon_days=28))
    assert whole.fallback is not None and whole.fallback.startswith("3 days of history;")


def test_a_new_customers_paths_centre_on_its_held_day_not_its_first_one() -> None:
    """Two days (1.3 GPUs, a partial first day, then 8): the naive's paths, which set the mean
    measure's quantiles, centre on the 8 GPUs held and spread as its band does. Before, they
    drew its one change either way, two values a day: q50 read 1.3 GPUs on day 1 and day 7."""
    settings = ForecastSettings(horizon_days=28, n_paths=400)
    result = forecast_series(as_frame(np.array([1.3, 8.0])), settings=settings)
    assert result.paths is not None
    for day in (1, 7, 28):
        paths = result.paths[:, day - 1]
        own = result.forecast.row(day - 1, named=True)
        assert np.quantile(paths, 0.5) == pytest.approx(8.0, rel=0.15)
        assert np.quantile(paths, 0.9) == pytest.approx(own["q90"], rel=0.15)


def test_a_series_forecast_at_zero_after_demand_says_it_reads_as_stopped() -> None:
    """Helios' training vcJLV as of 2020-05-15 (customers_per_class 16, as the Helios demo):
    idle for a week, 5-8 GPUs for six days, zero on its last two; the naive holds zero, and the
    reason says when its demand ended. Before, its rows read 0 GPUs every day, and the reason
    gave only the naive's errors, as if nothing had run."""
    y = np.array([0, 0, 0, 0, 0, 0, 0, 7.11, 8.0, np.nan, 5.17, 7.9, 6.29, 0, 0])
    result = forecast_series(as_frame(y), settings=FAST)
    assert result.model == "naive" and result.fallback is not None
    assert result.forecast["mean"].max() == 0
    assert result.fallback.endswith(
        "forecast at zero: its last 2 days read zero, after demand up to 8.0 GPUs until "
        "2023-01-13; held at zero as if it stopped: a return needs new telemetry or a contract"
    )


def test_one_idle_last_day_of_a_young_customer_is_not_held_at_zero() -> None:
    """A young fleet's experimentation customer, 15 days old, with demand on 13 of its days
    and an idle last day: the naive (it erred less than the seasonal naive on the last week,
    the customer's level moving day to day) held that one zero for the whole horizon, and the
    reason read "held at zero as if it stopped". One idle day is no stop
    (forecasting.shifts.stopped_days wants two weeks of zeros after a busy block): the
    seasonal naive repeats its last week instead, and the reason says why not the naive. A
    class idle for its last 10 days on a 21-day history still reads zero (its last week is
    all zeros), and says so; two idle days, and a burst that ended (Helios' vcJLV, the test
    above), are the naive's still (measured: _holds_idle_zero)."""
    y = np.array([30, 44, 38, 0, 52, 41, 35, 47, 58, 40, 36, 55, 61, 49, 0], dtype=float)
    result = forecast_series(as_frame(y), settings=FAST)
    assert result.fallback is not None
    week = result.forecast["mean"].to_numpy()[:7]
    assert result.model == "seasonal_naive", result.fallback
    assert week.max() > 0 and week.mean() == pytest.approx(np.mean(y[-7:]))
    assert "as if it stopped" not in result.fallback
    assert (
        "; not the naive, though it erred less: it would hold its one idle last day's zero "
        "for the whole horizon, and one idle day of a series busy on most days is no stop"
    ) in result.fallback, result.fallback
    # Two idle days are the naive's still: held, they erred less on young synthetic fleets.
    two = forecast_series(as_frame(np.append(y[1:-1], [0.0, 0.0])), settings=FAST)
    assert two.model == "naive" and two.forecast["mean"].max() == 0, two.fallback

    ended = np.concatenate((np.full(11, 40.0), np.zeros(10)))
    gone = forecast_series(as_frame(ended), settings=FAST)
    assert gone.forecast["mean"].max() == 0 and gone.fallback is not None
    assert "forecast at zero: its last 10 days read zero" in gone.fallback, gone.fallback


@pytest.mark.parametrize("days", [40, 100])
def test_an_idle_series_with_one_burst_in_its_last_week_goes_to_tsb_not_a_walk(days: int) -> None:
    """Idle every day but one, 500 GPUs five days before the end: every candidate, fitted on
    zeros, scores the same in the backtests, which tell them nothing, so the intermittent
    series' own model (TSB) forecasts it and no quantile passes the one burst. Before, the
    tie went to a pair with drift: q90 1,074 GPUs six months out on 100 days, 2,614 on 40."""
    y = np.zeros(days)
    y[-5] = 500.0
    settings = ForecastSettings(horizon_days=182, n_paths=100)
    result = forecast_series(as_frame(y, measure="peak"), settings=settings)
    assert result.model == "tsb"
    assert float(result.forecast["q99"].max()) <= 500.0  # type: ignore[arg-type]


def test_eight_days_of_history_give_the_seasonal_naives_paths_its_band_not_none() -> None:
    """Helios' experimentation vcJLV as of 2020-05-08 (8 days, the seasonal naive): its paths,
    which the mean measure's band and the drills read, spread as its own band does. Before,
    its one week-on-week change, centred, was zero: every path read last week, and its rows
    q10 = q50 = q90 for 26 weeks (10.45 GPUs on 2020-05-09)."""
    y = np.array([14.0, 10.45, 4.0, 4.0, 4.17, 9.71, 9.12, 8.01])
    settings = ForecastSettings(horizon_days=182, n_paths=400)
    result = forecast_series(as_frame(y), settings=settings)
    assert result.model == "seasonal_naive" and result.paths is not None
    for day in (7, 28, 182):
        paths = result.paths[:, day - 1]
        own = result.forecast.row(day - 1, named=True)
        width = np.quantile(paths, 0.9) - np.quantile(paths, 0.1)
        assert width >= 0.5 * (own["q90"] - own["q10"]) > 0


def test_a_short_history_that_never_changed_says_its_band_is_not_measured() -> None:
    """A new customer at 64 GPUs on both of its two days: the naive's band has no width, which
    its history cannot measure, and the reason says so instead of leaving q10 = q90 = 64 for
    26 weeks to read as a certain level."""
    result = forecast_series(as_frame(np.array([64.0, 64.0])), settings=FAST)
    assert result.model == "naive" and result.fallback is not None
    assert (result.forecast["q90"] == result.forecast["q10"]).all()
    assert result.fallback.endswith(
        "its own band has no width: its 2 days never changed, which measures no spread: not a "
        "certain level"
    )


def test_a_one_day_series_is_held_at_its_day_and_says_its_band_is_not_measured() -> None:
    """A customer whose first day is the as-of day (7.1 GPUs): the naive holds its day, paths
    too, with a band of no width that the reason says measures nothing, in words the run
    summary prints (no exception name). Before, it was forecast zero on every day ('1 day(s)
    of history; at least 2 are needed to forecast at all'), the demand it had read as none."""
    result = forecast_series(as_frame(np.array([7.1])), settings=FAST)
    assert result.model == "naive" and result.fallback is not None
    assert np.allclose(result.forecast["mean"].to_numpy(), 7.1)
    assert np.allclose(result.forecast["q90"].to_numpy(), 7.1)
    assert result.paths is not None and np.allclose(result.paths, 7.1)
    assert result.fallback.startswith("1 day of history; backtesting needs 23")
    assert result.fallback.endswith(
        "its own band has no width: its one day measures no spread: not a certain level"
    )


def test_a_short_series_still_ramping_is_held_not_given_its_ramp_as_a_weekday_pattern() -> None:
    """16 days of a new customer's ramp: its last week, held out, is missed less by the naive
    than by the seasonal naive, so the naive forecasts it and the reason gives both errors; 16
    days of a steady weekly cycle keep the seasonal naive."""
    ramp = np.array(
        [6, 21, 34, 53, 65, 72, 96, 150, 169, 140, 179, 163, 207, 188, 280, 273], dtype=float
    )
    held = forecast_series(as_frame(ramp), settings=FAST)
    assert held.model == "naive" and held.fallback is not None
    assert "on its last 7 days the naive erred" in held.fallback
    assert np.allclose(held.forecast["q50"].to_numpy(), 273.0)
    weekly = np.tile([100.0, 120.0, 125.0, 120.0, 110.0, 60.0, 50.0], 3)[:16]
    cycle = forecast_series(as_frame(weekly), settings=FAST)
    assert cycle.model == "seasonal_naive" and cycle.fallback is not None


def test_a_few_weeks_of_history_are_backtested_on_the_short_layout() -> None:
    """50 days cannot hold three 28-day backtests: 7-day windows one day apart are scored."""
    assert FAST.min_backtest_days > 50
    result = forecast_series(as_frame(trend_season_noise(0, 50)), settings=FAST)
    assert result.fallback is None
    cutoffs = result.backtest["cutoff"].unique().sort()
    assert cutoffs.len() == FAST.n_cutoffs
    assert (cutoffs.diff().drop_nulls() == timedelta(days=1)).all()
    assert FAST.for_history(200) is FAST


def test_series_without_observations_is_forecast_as_zero_and_flagged() -> None:
    """An all-null series gets the zero fallback and a reason naming the series and the fix."""
    result = forecast_series(as_frame(np.full(100, np.nan)), settings=FAST)
    assert result.model == "zero"
    assert result.fallback is not None
    assert result.fallback.startswith("no observed day in its 100 day(s)")
    assert "missing, not zero" in result.fallback and "backfill" in result.fallback
    assert result.forecast["mean"].max() == 0 and result.forecast["q99"].max() == 0
    assert result.paths is not None and result.paths.shape == (FAST.n_paths, FAST.horizon_days)


class Boom:
    """A model that raises on every fit, as a buggy or misconfigured model would."""

    name = "boom"

    def fit(self, y: np.ndarray, **_: object) -> Boom:
        """Fail."""
        raise ZeroDivisionError("boom")


class NotFinite(Boom):
    """A model whose forecasts are NaN: it must never be chosen nor published."""

    name = "nan"

    def fit(self, y: np.ndarray, **_: object) -> NotFinite:
        """Accept anything."""
        return self

    def predict(self, h: int, *, quantiles: tuple[float, ...]) -> Prediction:
        """NaN everywhere."""
        return Prediction(np.full(h, np.nan), {q: np.full(h, np.nan) for q in quantiles})


@pytest.fixture
def broken_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the raising and the NaN model for one test."""
    monkeypatch.setitem(MODEL_REGISTRY, "boom", Boom)
    monkeypatch.setitem(MODEL_REGISTRY, "nan", NotFinite)


@pytest.mark.usefixtures("broken_models")
def test_models_that_raise_or_give_nan_fall_back_to_the_seasonal_naive() -> None:
    """When no candidate backtests, the series gets the seasonal naive and says why."""
    settings = ForecastSettings(horizon_days=14, models=("boom", "nan"))
    result = forecast_series(as_frame(trend_season_noise(0, 200)), settings=settings)
    assert result.model == "seasonal_naive"
    assert (
        result.fallback is not None and "no candidate model could be backtested" in result.fallback
    )
    assert result.forecast["mean"].is_finite().all()


@pytest.mark.usefixtures("broken_models")
def test_a_raising_candidate_does_not_compete_and_flags_nothing() -> None:
    """Beside working models, a raising or NaN model is skipped in backtests, not fatal."""
    settings = ForecastSettings(horizon_days=14, models=("seasonal_naive", "ets", "boom", "nan"))
    result = forecast_series(as_frame(trend_season_noise(1, 200)), settings=settings)
    assert result.fallback is None
    assert set(result.backtest["model"].to_list()) >= {"seasonal_naive", "ets"}
    assert not {"boom", "nan"} & set(result.backtest["model"].to_list())


def test_one_empty_series_never_stops_a_run() -> None:
    """forecast_all completes with an all-null customer; it is flagged with one warning line."""
    demand = small_hierarchy().with_columns(
        y=pl.when(pl.col("unique_id") == "total/eu/inference/acme")
        .then(None)
        .otherwise(pl.col("y"))
    )
    result = forecast_all(demand, settings=ForecastSettings(horizon_days=7, n_paths=20))
    assert result.forecast["unique_id"].n_unique() == 9
    flagged = result.flagged
    assert flagged.height == 2  # the mean and the peak measure
    assert set(flagged["model"]) == {"zero"}
    assert flagged["reason"].str.starts_with("no observed day").all()
    lines = result.warnings()
    assert len(lines) == 2 and lines[0].startswith("eu · inference · acme (")
    assert result.forecast["mean"].is_finite().all() and result.paths["y"].min() >= 0


def test_warnings_name_a_series_as_the_pages_do() -> None:
    """A ServeGen customer is ``m-large/61``; the forecast's warning lines printed its escaped
    id, ``total/eu/inference/m-large%2F61 (mean): forecast by ...``, where every page names it
    ``eu · inference · m-large/61``: now the terminal names it as the pages do."""
    escaped = "total/eu/inference/m-large%2F61"
    demand = small_hierarchy().with_columns(
        unique_id=pl.col("unique_id").replace("total/eu/inference/acme", escaped)
    )
    demand = demand.with_columns(
        y=pl.when(pl.col("unique_id") == escaped).then(None).otherwise(pl.col("y"))
    )
    result = forecast_all(demand, settings=ForecastSettings(horizon_days=7, n_paths=20))
    lines = result.warnings()
    assert [line.split(": ")[0] for line in lines] == [
        "eu · inference · m-large/61 (mean)",
        "eu · inference · m-large/61 (peak)",
    ]
    assert not any("%2F" in line or "total/" in line for line in lines)


def test_series_forecast_by_one_fallback_for_one_reason_read_as_one_warning() -> None:
    """`fleetcast run --horizon 1w` on 14 days of telemetry printed 208 warning lines, one per
    series and measure, all but a few the same "forecast by seasonal_naive: 14 days of
    history; backtesting needs 23 ...": the feed-stopped warning among them was lost. Series
    sharing a model and reason now read as one line naming the first few and counting the
    rest; a reason of its own (the naive's measured error) keeps its line, and a reason few
    series share keeps one line per series (the tests above)."""
    settings = ForecastSettings(horizon_days=7, n_paths=20)
    result = forecast_all(small_hierarchy(14), settings=settings)
    flagged = result.flagged
    shared = flagged.filter(pl.col("model") == "seasonal_naive")
    assert shared["reason"].n_unique() == 1 and shared["unique_id"].n_unique() == 8
    lines = result.warnings()
    folded = [line for line in lines if "forecast by seasonal_naive" in line]
    reason = shared["reason"][0]
    assert folded == [
        "total (mean, peak), eu (mean, peak), eu · inference (mean, peak), eu · inference · other "
        "(mean, peak) and 4 more series (the platform page lists them): forecast by "
        f"seasonal_naive: {reason}"
    ]
    own = [line for line in lines if "forecast by naive" in line]
    assert len(own) == flagged.filter(pl.col("model") == "naive").height == 2
    assert all(line.startswith("eu · inference · acme (") for line in own)


def test_series_that_could_not_be_fit_keep_a_warning_line_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Folding shared reasons into one line (above) also folded series whose fit failed: a model
    that raised on every series read "total (mean, peak), ... and 4 more series", so the CLI no
    longer named each series that could not be fit, one line each, as the run's contract says.
    Only the documented short-history baseline folds; a failure keeps its line per series."""

    def raises(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model diverged")

    monkeypatch.setattr("forecasting.forecast._backtested_forecast", raises)
    result = forecast_all(small_hierarchy(60), settings=FAST)
    flagged = result.flagged
    assert flagged["unique_id"].n_unique() == 9
    failed = [line for line in result.warnings() if "RuntimeError: the model diverged" in line]
    assert len(failed) == flagged.height == 18
    assert {line.split(": ")[0] for line in failed} == {
        f"{label} ({measure})"
        for label in {hierarchy.label_of(uid) for uid in flagged["unique_id"]}
        for measure in ("mean", "peak")
    }


def test_an_onboarding_customer_is_forecast_from_its_first_day_of_demand() -> None:
    """Sixty idle days before a customer's first demand change nothing: the series starts there."""
    active = trend_season_noise(3, 50)
    onboarded = forecast_series(as_frame(np.concatenate([np.zeros(60), active])), settings=FAST)
    shifted = as_frame(active).with_columns(pl.col("ds") + timedelta(days=60))
    alone = forecast_series(shifted, settings=FAST)
    assert onboarded.n_days == alone.n_days == 50
    assert onboarded.model == alone.model
    assert onboarded.forecast.equals(alone.forecast)


def test_idle_days_that_are_a_pattern_are_kept() -> None:
    """A few idle days at the start, or leading zeros of an intermittent series, stay history."""
    few_idle = np.concatenate([np.zeros(3), trend_season_noise(3, 60)])
    assert forecast_series(as_frame(few_idle), settings=FAST).n_days == 63
    rng = np.random.default_rng(5)
    sparse = np.where(rng.uniform(size=80) < 0.3, rng.uniform(0.1, 2.0, 80), 0.0)
    intermittent = np.concatenate([np.zeros(20), [1.0], sparse])
    assert forecast_series(as_frame(intermittent), settings=FAST).n_days == 101


def test_intermittent_sub_gpu_series_get_tsb_and_non_negative_covering_quantiles() -> None:
    """A 0.01-3 GPU customer idle on most days: TSB competes, quantiles >= 0, intervals cover."""
    settings = ForecastSettings(horizon_days=28, n_paths=50)
    hits, chosen = [], []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        busy = rng.uniform(size=400) < 0.3
        y = np.where(busy, np.clip(rng.lognormal(-1.0, 1.0, 400), 0.01, 3.0), 0.0)
        result = forecast_series(as_frame(y[:-28]), settings=settings)
        assert "tsb" in set(result.backtest["model"].to_list())
        quantiles = result.forecast.select(schema.quantile_column(q) for q in settings.quantiles)
        assert quantiles.min_horizontal().min() >= 0  # type: ignore[operator]
        actual = y[-28:]
        fc = result.forecast
        hits.append(np.mean((actual >= fc["q10"].to_numpy()) & (actual <= fc["q90"].to_numpy())))
        chosen.append(result.model)
    assert np.mean(hits) >= 0.75, f"coverage {np.mean(hits):.3f} with {chosen}"
    assert any("tsb" in m for m in chosen), chosen


def test_fixed_model_is_used_and_scored_against_seasonal_naive() -> None:
    """fixed_model skips selection but still backtests the seasonal naive for comparison."""
    settings = ForecastSettings(horizon_days=14, fixed_model="drift")
    result = forecast_series(as_frame(trend_season_noise(3, 300)), settings=settings)
    assert result.model == "drift"
    assert set(result.backtest["model"]) == {"seasonal_naive", "drift"}


def small_hierarchy(n: int = 200) -> pl.DataFrame:
    """total / 2 regions / inference / 2 customers, mean and peak measures."""
    frames = []
    leaves = {}
    for i, (region, customer) in enumerate(
        [("us", "acme"), ("us", "other"), ("eu", "acme"), ("eu", "other")]
    ):
        leaves[(region, customer)] = trend_season_noise(10 + i, n)

    def add(uid: str, y: np.ndarray, region: str | None, customer: str | None) -> None:
        frame = as_frame(y, uid=uid).with_columns(
            region=pl.lit(region, pl.String),
            workload_class=pl.lit("inference" if uid.count("/") >= 2 else None, pl.String),
            customer=pl.lit(customer, pl.String),
        )
        frames.extend([frame, frame.with_columns(measure=pl.lit("peak"), y=pl.col("y") * 1.4)])

    add("total", np.sum(list(leaves.values()), axis=0), None, None)
    for region in ("us", "eu"):
        part = np.sum([v for (r, _), v in leaves.items() if r == region], axis=0)
        add(f"total/{region}", part, region, None)
        add(f"total/{region}/inference", part, region, None)
        for customer in ("acme", "other"):
            add(
                f"total/{region}/inference/{customer}", leaves[(region, customer)], region, customer
            )
    return pl.concat(frames).select(list(schema.DEMAND_SCHEMA))


def test_forecast_all_follows_the_schemas() -> None:
    """forecast_all returns FORECAST/PATHS/BACKTEST schemas (minus run_id) and a summary."""
    settings = ForecastSettings(horizon_days=14, n_paths=50)
    result = forecast_all(small_hierarchy(), settings=settings)
    no_run = {k: v for k, v in schema.FORECAST_SCHEMA.items() if k != "run_id"}
    assert dict(result.forecast.schema) == no_run
    assert result.paths.schema == schema.PATHS_SCHEMA
    assert dict(result.backtest.schema) == {
        k: v for k, v in schema.BACKTEST_SCHEMA.items() if k != "run_id"
    }
    assert result.forecast.height == 9 * 2 * 14  # 9 series, 2 measures, 14 days
    assert result.paths.height == 9 * 50 * 14
    assert {"model", "mase_ratio", "calibrated", "fallback"} <= set(result.summary.columns)
    assert result.reconciliation in ("bottom_up", "mint_shrink")


def test_fan_out_is_picklable_and_order_free() -> None:
    """A thread-pool map gives the same forecasts as map, and every result pickles."""
    settings = ForecastSettings(horizon_days=7, n_paths=20)
    demand = small_hierarchy()
    serial = forecast_all(demand, settings=settings)
    with ThreadPoolExecutor(2) as pool:
        fanned = forecast_all(demand, settings=settings, map_fn=pool.map)
    assert serial.forecast.equals(fanned.forecast)
    assert serial.paths.equals(fanned.paths)
    one = forecast_series(
        demand.filter((pl.col("unique_id") == "total") & (pl.col("measure") == "mean")),
        settings=settings,
    )
    assert pickle.loads(pickle.dumps(one)).forecast.equals(one.forecast)


def test_series_ending_early_are_padded_not_truncated() -> None:
    """A series whose telemetry stops early is forecast from the run's last day."""
    demand = small_hierarchy().filter(
        ~((pl.col("unique_id") == "total/eu/inference/other") & (pl.col("ds") > date(2023, 6, 1)))
    )
    result = forecast_all(demand, settings=ForecastSettings(horizon_days=7, n_paths=20))
    first_days = result.forecast.group_by("unique_id").agg(pl.col("ds").min())["ds"].unique()
    assert first_days.to_list() == [START + timedelta(days=200)]


def test_days_after_the_last_observation_are_forecast_not_fitted() -> None:
    """A feed silent for its last 10 days is fitted up to its last observed day and forecast
    10 days further ahead: the same forecast, days shifted, as the series without the silence
    forecast 10 days longer; the held-flat silence is never fitted as if measured. Its
    backtests end on the run's last day, as a reporting series' do (their last window scores
    its 18 observed days), so its band is calibrated on the run's cutoffs, not the cut one's."""
    y = trend_season_noise(4, 120)
    silent = forecast_series(as_frame(np.concatenate([y, np.full(10, np.nan)])), settings=FAST)
    longer = forecast_series(as_frame(y), settings=ForecastSettings(horizon_days=28 + 10))
    assert silent.stale_days == 10 and longer.stale_days == 0
    assert silent.model == longer.model and silent.n_days == longer.n_days == 120
    assert silent.forecast["ds"].to_list() == longer.forecast["ds"].to_list()[10:]
    fitted = ["mean", "q50"]
    assert silent.forecast.select(fitted).equals(longer.forecast.select(fitted).slice(10))
    reporting = forecast_series(as_frame(trend_season_noise(4, 130)), settings=FAST)
    assert (
        silent.backtest["cutoff"]
        .unique()
        .sort()
        .equals(reporting.backtest["cutoff"].unique().sort())
    )


def test_a_region_silent_at_the_end_is_warned_about() -> None:
    """A region whose telemetry stopped 5 days before the run's last day flags all of its
    series in one warning line naming its last day, and the total's peak it leaves incomplete
    in another (the total's mean is completed from its parts: test_silent_region); a one-day
    gap (a partial export) flags nothing."""
    demand = small_hierarchy()
    last = demand["ds"].max()
    eu = pl.col("unique_id").str.starts_with("total/eu")
    recent = pl.col("ds") > last - timedelta(days=5)
    # As demand_series builds it: a total's day is whole only when every part reported.
    quiet = demand.filter(~(eu & recent)).with_columns(
        y=pl.when((pl.col("unique_id") == "total") & recent).then(None).otherwise(pl.col("y"))
    )
    result = forecast_all(quiet, settings=ForecastSettings(horizon_days=7, n_paths=20))
    stale = result.stale
    assert sorted(set(stale["unique_id"])) == [
        "total", "total/eu", "total/eu/inference", "total/eu/inference/acme",
        "total/eu/inference/other",
    ]  # fmt: skip
    assert set(stale["stale_days"]) == {5}
    # 5 series x 2 measures but the total's mean, completed as us's telemetry plus eu's own
    # forecast: a total's day is whole when every part is.
    assert stale.height == 9
    since = last - timedelta(days=5)
    lines = [w for w in result.warnings() if str(since) in w]
    assert lines == [
        f"eu (mean, peak) and the 3 series under it: no telemetry since {since}, 5 days "
        "before the run's last day: fitted up to its last observed day and forecast across "
        "the silence; check the feed",
        f"total (peak): incomplete since {since}, as a part of it is silent (above): "
        "fitted up to its last observed day and forecast across the silence",
    ]
    partial = demand.filter(~(eu & (pl.col("ds") == last)))
    assert forecast_all(
        partial, settings=ForecastSettings(horizon_days=7, n_paths=20)
    ).stale.is_empty()


def test_a_combination_alternates_its_members_paths() -> None:
    """The first n of a combination's paths (what a drill on fewer paths takes) hold both
    members alike: path 0, 2, 4, ... from the first, 1, 3, 5, ... from the second."""
    from forecasting.forecast import _prediction
    from forecasting.models import make_model

    y = trend_season_noise(6, 120)
    ds = as_frame(y)["ds"].to_numpy()
    settings = ForecastSettings(horizon_days=14, n_paths=40)
    _, _, paths = _prediction(
        "seasonal_naive+drift", y, ds, None, settings=settings,
        rng=np.random.default_rng(3), with_paths=True,
    )  # fmt: skip
    rng = np.random.default_rng(3)
    naive = make_model("seasonal_naive").fit(y).sample(14, n_paths=20, rng=rng)
    drift = make_model("drift").fit(y).sample(14, n_paths=20, rng=rng)
    assert paths is not None
    assert np.array_equal(paths[0::2], naive) and np.array_equal(paths[1::2], drift)


def test_burst_after_quiet_spell_keeps_paths_bounded() -> None:
    """A customer idle for months then bursting in the backtests gets bounded, sane paths."""
    y = np.zeros(400)
    y[-40::9] = 800.0  # short bursts only in the last backtest windows
    result = forecast_series(as_frame(y), settings=ForecastSettings(horizon_days=91))
    assert result.paths is not None
    assert result.paths.max() < 10 * y.max()
    assert result.forecast["q99"].max() < 10 * y.max()


def backtest_frame(scores: dict[str, list[float | None]]) -> pl.DataFrame:
    """A backtest frame with one MASE per model and cutoff (None: not scored there)."""
    rows = [
        {"model": model, "cutoff": START + timedelta(days=i), "mase": value}
        for model, values in scores.items()
        for i, value in enumerate(values)
        if value is not None
    ]
    return pl.DataFrame(rows, schema={"model": pl.String, "cutoff": pl.Date, "mase": pl.Float64})


def choose(scores: dict[str, list[float | None]], settings: ForecastSettings) -> str:
    """What _choose makes of these per-cutoff scores (means over the scored cutoffs)."""
    means = {m: float(np.mean([v for v in s if v is not None])) for m, s in scores.items()}
    return _choose(means, settings, backtest=backtest_frame(scores))


def test_noisy_lead_within_a_standard_error_goes_to_the_stable_candidate() -> None:
    """A lower mean that is noise across cutoffs does not beat a steady candidate."""
    scores: dict[str, list[float | None]] = {
        "drift": [0.2, 1.1, 0.3],  # mean 0.53, all over the place
        "ets": [0.58, 0.6, 0.57],  # mean 0.58, steady
    }
    assert choose(scores, ForecastSettings()) == "ets"
    assert choose(scores, ForecastSettings(tie_standard_errors=0)) == "drift"
    clear: dict[str, list[float | None]] = {"drift": [0.2, 0.25, 0.3], "ets": [0.58, 0.6, 0.57]}
    assert choose(clear, ForecastSettings()) == "drift"


OVERLAPPING = ForecastSettings(horizon_days=7, backtest_horizon=7, backtest_step=1)


def test_overlapping_windows_count_as_the_days_they_cover() -> None:
    """Three 7-day windows one day apart cover 9 days: worth 9/7 windows, not 3."""
    assert independent_windows(3, step=1, horizon=7) == pytest.approx(9 / 7)
    assert independent_windows(3, step=28, horizon=28) == pytest.approx(3.0)
    assert independent_windows(3, step=56, horizon=28) == pytest.approx(3.0)  # gaps add nothing
    assert independent_windows(0, step=1, horizon=7) == 0.0


def test_a_lead_on_overlapping_windows_needs_a_wider_margin() -> None:
    """A lead of 1.2 naive standard errors is a clear win on separate windows, a tie on overlapping.

    The paired differences (ets - drift) are 0.24, -0.04 and 0.10: mean 0.10, standard deviation
    0.14. Over three separate windows the standard error is 0.14 / sqrt(3) = 0.081 and drift's
    lead counts; over three 7-day windows one day apart (9 days, 9/7 windows' worth) it is
    0.14 / sqrt(9/7) = 0.123, the lead is noise and the steadier ets is chosen.
    """
    scores: dict[str, list[float | None]] = {
        "drift": [0.30, 0.56, 0.44],  # mean 0.43, swings with the window
        "ets": [0.54, 0.52, 0.54],  # mean 0.53, steady
    }
    assert choose(scores, ForecastSettings()) == "drift"
    assert choose(scores, OVERLAPPING) == "ets"


def test_a_clear_winner_on_overlapping_windows_is_still_chosen() -> None:
    """The overlap widens the standard error but does not erase a consistent, large lead."""
    scores: dict[str, list[float | None]] = {
        "drift": [0.20, 0.25, 0.30],
        "ets": [0.58, 0.60, 0.57],
    }
    assert choose(scores, OVERLAPPING) == "drift"


def test_tied_combination_wins_over_a_single_model() -> None:
    """A combination tied with the best single (within a standard error) is chosen."""
    scores: dict[str, list[float | None]] = {
        "drift": [0.2, 0.9, 0.3],
        "ets": [0.7, 0.7, 0.7],
        "drift+ets": [0.45, 0.6, 0.5],  # 11 % above drift's mean, well within its noise
    }
    assert choose(scores, ForecastSettings()) == "drift+ets"


def test_candidates_compare_over_the_same_cutoffs() -> None:
    """A model scored only on the last, easy window does not beat those scored on all."""
    scores: dict[str, list[float | None]] = {
        "seasonal_naive": [0.9, 0.8, 0.5],
        "theta": [None, None, 0.2],
    }
    assert choose(scores, ForecastSettings()) == "seasonal_naive"


def test_short_history_pairs_the_winner_with_the_seasonal_naive() -> None:
    """Under short_history_days, the chosen forecast is a combination with the seasonal naive."""
    settings = ForecastSettings(
        horizon_days=7, backtest_horizon=7, backtest_step=1, min_train_days=14, n_cutoffs=3
    )
    result = forecast_series(as_frame(trend_season_noise(4, 40)), settings=settings)
    assert result.model.startswith("seasonal_naive+"), result.model
    # Scored against the other candidates like any combination.
    assert result.model in set(result.backtest["model"].to_list())


def _young_hierarchy(days: int = 30, customers: int = 10, seed: int = 5) -> pl.DataFrame:
    """A region's class of ``customers`` customers and its parents, ``days`` of daily mean and
    peak: each customer rises by half over the first two weeks, then holds, with 25 % noise
    (some near zero); its peak is its mean times 1.1-1.5. No aggregate has a zero day."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    ramp = np.minimum(1.0 + 0.5 * t / 14, 1.5)
    rows = []
    for i in range(customers):
        level = rng.uniform(5, 120)
        mean = np.maximum(level * ramp * (1 + rng.normal(0, 0.25, days)), 0.0)
        peak = mean * rng.uniform(1.1, 1.5, days)
        uid = f"total/r1/training/c{i}"
        rows += [as_frame(mean, uid=uid, measure="mean"), as_frame(peak, uid=uid, measure="peak")]
    bottom = pl.concat(rows)
    parents = [
        bottom.with_columns(pl.col("unique_id").str.replace(r"/[^/]+$", "")),
        bottom.with_columns(pl.lit("total/r1").alias("unique_id")),
        bottom.with_columns(pl.lit("total").alias("unique_id")),
    ]
    # An aggregate's peak is below the sum of its parts' peaks: the parts peak at other hours.
    aggregates = (
        pl.concat(parents)
        .group_by("unique_id", "ds", "measure")
        .agg(pl.col("y").sum())
        .with_columns(
            pl.when(pl.col("measure") == "peak").then(pl.col("y") * 0.8).otherwise(pl.col("y"))
        )
    )
    return pl.concat([bottom, aggregates.select(bottom.columns)]).sort("unique_id", "measure", "ds")


def test_a_day_s_peak_is_never_forecast_below_its_mean() -> None:
    """Peak and mean are forecast by separate models; 26 weeks on 30 days of history they
    crossed (Helios: the total's peak q50 666 GPUs against a mean q50 of 1,316 on 2020-11-29)
    and within the measured days too (666 against 677 on 2020-06-07). On every level, day and
    quantile the peak is now at least the mean (a path's peak is at least its mean)."""
    demand = _young_hierarchy()
    result = forecast_all(demand, settings=ForecastSettings(horizon_days=182, n_paths=100))
    f = result.forecast
    both = f.filter(pl.col("measure") == "peak").join(
        f.filter(pl.col("measure") == "mean"), on=["unique_id", "ds"], suffix="_m"
    )
    assert both.height == f.height // 2
    for c in ("mean", "q10", "q50", "q90", "q99"):
        below = both.filter(pl.col(c) < pl.col(f"{c}_m") - 1e-9)
        assert below.is_empty(), f"peak {c} below the mean's on {below.height} series-days"


def test_the_run_names_the_series_whose_mean_is_their_paths_mean() -> None:
    """A run whose reconciliation published a series' paths' mean says which series and days
    (the mean of the paths, not the point forecast, said where it is so)."""
    from forecasting.forecast import _day_spans, _mean_of_paths_lines

    days = pl.concat(
        pl.DataFrame({"unique_id": uid, "ds": pl.date_range(first, last, eager=True)})
        for uid, first, last in (
            ("total/helios/training", date(2020, 7, 18), date(2020, 8, 26)),
            ("total", date(2020, 7, 17), date(2020, 8, 26)),
            ("total/helios/training/vcTJs", date(2020, 8, 1), date(2020, 8, 3)),
        )
    )
    (line,) = _mean_of_paths_lines(_day_spans(days))
    assert line.startswith(
        "mean measure: the daily model's mean is the mean of its sample paths, not its point "
        "forecast, for total (41 days, 2020-07-17 to 2020-08-26), helios · training (40 days, "
        "2020-07-18 to 2020-08-26), helios · training · vcTJs (3 days, 2020-08-01 to "
        "2020-08-03): there the point forecast lay outside the q10-q90 band"
    )
    assert _mean_of_paths_lines(pl.DataFrame()) == []


def test_stored_rows_say_whether_their_mean_is_the_models_or_its_paths() -> None:
    """Migration 38: only the run's warnings said which series' means were their paths' mean
    (us-west evaluation at 115 GPUs beside a band centred on 284); each stored row now says
    it in ``mean_source`` ('paths' on those mean-measure days, 'model' elsewhere), and the
    series, day counts and spans read back from the rows as the warnings name them."""
    from forecasting.forecast import mean_of_paths_spans, with_mean_source

    days = [date(2026, 12, 17) + timedelta(days=i) for i in range(4)]
    forecast = pl.DataFrame(
        {
            "unique_id": ["total/us-west/evaluation"] * 8 + ["total"] * 8,
            "ds": days * 4,
            "measure": (["mean"] * 4 + ["peak"] * 4) * 2,
            "mean": [115.0] * 16,
        }
    )
    flagged = pl.DataFrame({"unique_id": ["total/us-west/evaluation"] * 2, "ds": days[1:3]})
    marked = with_mean_source(forecast, flagged)
    assert marked.height == forecast.height
    paths = marked.filter(pl.col("mean_source") == schema.MEAN_FROM_PATHS)
    assert paths.select("unique_id", "measure").unique().rows() == [
        ("total/us-west/evaluation", "mean")
    ]
    assert paths["ds"].to_list() == days[1:3]
    assert set(marked["mean_source"]) == {schema.MEAN_FROM_PATHS, schema.MEAN_FROM_MODEL}
    assert mean_of_paths_spans(marked).rows() == [("total/us-west/evaluation", 2, days[1], days[2])]
    # A frame stored before the column (or none flagged) has no span.
    assert mean_of_paths_spans(forecast).is_empty()
    assert mean_of_paths_spans(with_mean_source(forecast, flagged.clear())).is_empty()


def test_a_customer_at_zero_for_weeks_after_steady_demand_is_forecast_at_zero() -> None:
    """A customer steady at ~1,000 GPUs whose rows read zero for its last 60 days (it left:
    rows present, zeros in them) was forecast by drift with q90 from 350 to 970 GPUs within a
    week, and MinT then moved its region's error onto it (its backtests held the big drop):
    q50 110-230 GPUs and a mean up to 650 for a customer at zero for two months, growing to
    a monthly peak q90 of 2,333 GPUs, numbers that look forecast but rest on nothing it ran.
    Its rows, both measures, are now held at zero with a note saying why, its class is the
    sum of the others, and a customer zero for a few days only is forecast as before. A class
    whose only customer left is held at zero too: its peak, which the triggers read and no
    reconciliation touches, read a q90 of 151 GPUs after 60 days of zeros."""
    n, gone = 200, 60
    steady = trend_season_noise(3, n) * 0 + 1000.0 + 50 * np.sin(np.arange(n) * 2 * np.pi / 7)
    left = np.where(np.arange(n) < n - gone, steady, 0.0)
    other = trend_season_noise(7, n)
    frames = []

    def add(uid: str, y: np.ndarray, customer: str | None) -> None:
        frame = as_frame(y, uid=uid).with_columns(
            region=pl.lit("us" if uid != "total" else None, pl.String),
            workload_class=pl.lit("inference" if uid.count("/") >= 2 else None, pl.String),
            customer=pl.lit(customer, pl.String),
        )
        frames.extend([frame, frame.with_columns(measure=pl.lit("peak"), y=pl.col("y") * 1.3)])

    for uid in ("total", "total/us", "total/us/inference"):
        add(uid, left + other, None)
    add("total/us/inference/gone", left, "gone")
    add("total/us/inference/other", other, "other")
    demand = pl.concat(frames).select(list(schema.DEMAND_SCHEMA))
    result = forecast_all(demand, settings=ForecastSettings(horizon_days=28, n_paths=50))
    rows = result.forecast.filter(pl.col("unique_id") == "total/us/inference/gone")
    assert rows.height == 2 * 28
    for column in ("mean", "q10", "q50", "q90", "q99"):
        assert rows[column].max() == 0.0, (column, rows[column].max())
    gone_paths = result.paths.filter(pl.col("unique_id") == "total/us/inference/gone")
    assert gone_paths.height and gone_paths.get_column("y").max() == 0.0
    notes = result.summary.filter(pl.col("unique_id") == "total/us/inference/gone")
    assert all("held at zero" in str(note) for note in notes["level_shift"]), notes
    # The class is its customers' sum: the one still active.
    means = result.forecast.filter(pl.col("measure") == "mean")
    cls = means.filter(pl.col("unique_id") == "total/us/inference").sort("ds")["mean"]
    active = means.filter(pl.col("unique_id") == "total/us/inference/other").sort("ds")["mean"]
    assert np.allclose(cls.to_numpy(), active.to_numpy())
    # A class whose only customer left: its peak too.
    frames.clear()
    for uid in ("total", "total/us"):
        add(uid, left + other, None)
    add("total/us/inference", left, None)
    add("total/us/inference/gone", left, "gone")
    frames.extend(
        f.with_columns(workload_class=pl.lit("batch"))
        for f in (
            as_frame(other, uid=uid).with_columns(
                region=pl.lit("us"), customer=pl.lit(customer, pl.String)
            )
            for uid, customer in (("total/us/batch", None), ("total/us/batch/other", "other"))
        )
    )
    alone = pl.concat(frames, how="diagonal_relaxed").select(list(schema.DEMAND_SCHEMA))
    by_class = forecast_all(alone, settings=ForecastSettings(horizon_days=28, n_paths=50))
    gone_class = by_class.forecast.filter(pl.col("unique_id") == "total/us/inference")
    assert gone_class.height == 2 * 28 and gone_class["q90"].max() == 0.0
    # Zero for a few days only: not a customer that left.
    brief = np.where(np.arange(n) < n - 5, steady, 0.0)
    short = forecast_series(as_frame(brief, uid="total/us/inference/gone"), settings=FAST)
    assert short.level_shift is None or "held at zero" not in short.level_shift


def test_a_quantile_a_few_bits_from_its_mean_is_the_mean_and_a_real_skew_stays() -> None:
    """The demo stored a customer held at its 2,048-GPU contract floor with a q90 of
    2,047.9999999995 below its mean of 2,048 (a floor's shift computed apart from the mean's):
    a band with no spread, read as a mean above q90. Quantiles within a millionth of the
    mean are the mean; a distribution held at its floor with a tail above (mean 2,049.69
    over a q90 of 2,048) and a pipeline deal's expectation beside a band of 0 are kept."""
    from forecasting.measures import bands_on_their_means

    rows = pl.DataFrame(
        {
            "unique_id": ["floored", "tail", "pipeline", "small"],
            "mean": [2048.0, 2049.687922703623, 1433.6, 0.5],
            "q10": [2047.9999999995518, 2048.0, 0.0, 0.4999999999],
            "q50": [2047.9999999995518, 2048.0, 0.0, 0.5000000004],
            "q90": [2047.9999999995175, 2048.0, 0.0, 0.5000000004],
            "q99": [2048.0000000001514, 3548.958946738456, 0.0, 0.61],
        }
    )
    out = bands_on_their_means(rows)
    assert out.row(0) == ("floored", 2048.0, 2048.0, 2048.0, 2048.0, 2048.0)
    assert out.row(1) == rows.row(1)
    assert out.row(2) == rows.row(2)
    assert out.row(3) == ("small", 0.5, 0.5, 0.5, 0.5, 0.61)
    ordered = out.select(
        (pl.col("q10") <= pl.col("q50"))
        & (pl.col("q50") <= pl.col("q90"))
        & (pl.col("q90") <= pl.col("q99"))
    ).to_series()
    assert ordered.all()


def test_a_customer_constant_in_its_history_is_held_at_its_level_and_its_band_said_uncertain() -> (
    None
):
    """A customer at 0.5 GPUs on every day of its history, beside customers that vary, is no
    part of what MinT moves (its mean is 0.5 on every day, its class still the sum of its
    parts), and its band, which its model gives no width, is said to be no certain level: a
    band of q10 = q90 = 0.5 for 26 weeks, unsaid, read as a level known for certain."""
    from demand_levels import customers_daily, with_every_level

    as_of = date(2026, 12, 6)
    n = 90
    bottom = customers_daily(
        [
            ("total/r1/evaluation/steady", "mean", np.full(n, 0.5)),
            ("total/r1/evaluation/busy", "mean", trend_season_noise(21, n)),
            ("total/r2/training/big", "mean", trend_season_noise(22, n)),
        ],
        as_of=as_of,
    )
    settings = ForecastSettings(
        horizon_days=14, n_paths=20, models=("seasonal_naive", "drift"),
        reconciliation="mint_shrink",
    )  # fmt: skip
    result = forecast_all(with_every_level(bottom), settings=settings)
    means = result.forecast.filter(pl.col("measure") == "mean")
    steady = means.filter(pl.col("unique_id") == "total/r1/evaluation/steady")
    assert steady.height == 14 and (steady["mean"] == 0.5).all()
    wide = means.pivot(on="unique_id", index="ds", values="mean")
    gap = wide["total/r1/evaluation"] - wide["total/r1/evaluation/steady"]
    np.testing.assert_allclose(gap, wide["total/r1/evaluation/busy"], rtol=1e-12)
    lines = [w for w in result.warnings() if "r1 · evaluation · steady" in w]
    assert len(lines) == 1
    assert "at 0.5 GPUs on each of its 90 days" in lines[0]
    assert "not a certain level" in lines[0]
    # Only the constant leaf: the others vary.
    assert set(result.constant["unique_id"]) == {"total/r1/evaluation/steady"}
