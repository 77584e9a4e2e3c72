"""One isolated spike day is held at the usual level, not repeated weekly (forecasting.spikes)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from demand_levels import customers_daily, with_every_level

from forecasting import hierarchy
from forecasting.forecast import ForecastSettings, forecast_all, forecast_series
from forecasting.models import MODEL_REGISTRY
from forecasting.spikes import isolated_spikes

AS_OF = date(2020, 5, 31)
DAYS = 60
SPIKECO = "total/helios/experimentation/spikeco"
ACME = "total/helios/experimentation/acme"


def _fleet(ys: dict[str, dict[str, np.ndarray]]) -> pl.DataFrame:
    """Daily demand of the customers ``ys`` (measure -> days ending on AS_OF) and of their
    class, region and total, with the level columns."""
    bottom = customers_daily(
        ((uid, measure, y) for uid, measures in ys.items() for measure, y in measures.items()),
        as_of=AS_OF,
    )
    return with_every_level(bottom)


def _spikeco_fleet() -> pl.DataFrame:
    """acme (a weekly cycle about 600 GPUs) and spikeco: about 1 GPU every hour but one, which
    ran 5,000 GPUs on 2020-05-25 (its daily peak 5,000, its daily mean 209)."""
    rng = np.random.default_rng(3)
    t = np.arange(DAYS)
    acme = 600 * (1 + 0.08 * np.sin(2 * np.pi * t / 7)) * np.exp(rng.normal(0, 0.04, DAYS))
    peak = rng.choice([1.0, 2.0], size=DAYS)
    mean = np.full(DAYS, 1.0)
    spike = DAYS - 7  # 2020-05-25
    peak[spike], mean[spike] = 5000.0, (23 + 5000) / 24
    return _fleet({ACME: {"mean": acme, "peak": 1.3 * acme}, SPIKECO: {"mean": mean, "peak": peak}})


def _warnings_of_spikeco_held(history: pl.DataFrame) -> list[str]:
    """The run's warnings, forecasting ``history`` 28 days, once spikeco's peak q90 is seen to
    stay at its usual 1-2 GPUs and the total's within its usual range."""
    result = forecast_all(history, settings=ForecastSettings(horizon_days=28, n_paths=50))
    fc = result.forecast
    spikeco = fc.filter((pl.col("unique_id") == SPIKECO) & (pl.col("measure") == "peak"))
    assert float(spikeco["q90"].max()) < 10  # type: ignore[arg-type]
    total = fc.filter((pl.col("unique_id") == "total") & (pl.col("measure") == "peak"))
    usual = history.filter(
        (pl.col("unique_id") == "total") & (pl.col("measure") == "peak") & (pl.col("y") < 2000)
    )
    assert float(total["q90"].max()) < 1.2 * float(usual["y"].max())  # type: ignore[arg-type]
    return result.warnings()


def test_a_one_hour_spike_is_held_at_the_usual_level_and_said() -> None:
    """spikeco's one 5,000-GPU hour: its peak forecast's q90 stays at its usual 1-2 GPUs (not
    5,000 a week), the total's within its usual range, and the warnings say which day was
    held. Regression (trace40, odd_series.csv): the seasonal naive repeated the spike every
    week and the report ordered 1,483 racks ($221M) for helios."""
    warnings = _warnings_of_spikeco_held(_spikeco_fleet())
    line = (
        f"{hierarchy.label_of(SPIKECO)} (peak): one-day spike on 2020-05-25: 5,000 GPUs against "
        "a usual peak of 1-2; held at 2 for the forecast: if demand like it will return, it "
        "needs a contract or an event, not a trend"
    )
    assert line in warnings


def _weekly(rng: np.random.Generator, days: int = 120) -> np.ndarray:
    return 10 + rng.normal(0, 1, days)


def test_a_weekly_burst_is_not_a_spike() -> None:
    """A series at 10 GPUs that runs 5,000 one day every week: a pattern, not flagged."""
    y = _weekly(np.random.default_rng(1))
    y[3::7] = 5000.0
    assert isolated_spikes(y) == ()


def test_a_step_that_stayed_is_not_a_spike() -> None:
    """A series at 10 GPUs that steps to 5,000 two weeks before the end and stays: a level."""
    y = _weekly(np.random.default_rng(2))
    y[-14:] += 5000.0
    assert isolated_spikes(y) == ()


def test_an_intermittent_series_is_not_a_spike() -> None:
    """A series idle most days with a 500-GPU burst now and then: TSB's, not flagged."""
    rng = np.random.default_rng(4)
    y = np.where(rng.random(120) < 0.1, 500.0, 0.0)
    y[-10] = 800.0  # its biggest burst, alone in its weeks
    assert isolated_spikes(y) == ()


def test_the_spike_the_rule_is_about_is_found() -> None:
    """The same series at 10 GPUs with one 5,000-GPU day: flagged, held at its usual top."""
    y = _weekly(np.random.default_rng(2))
    y[-20] = 5000.0
    (spike,) = isolated_spikes(y)
    assert spike.age_days == 20 and spike.usual_high < 20


def test_the_growth_models_read_the_spike_held_too() -> None:
    """The plan past the daily days fits the same held history as the short model: the one
    5,000-GPU day reads its usual top there too."""
    from forecasting.longrange import _level_held

    y = _weekly(np.random.default_rng(2))
    y[-20] = 5000.0
    assert float(_level_held(y).max()) < 20


@pytest.mark.parametrize("days", [20, 10])
def test_a_spike_in_a_history_too_short_to_backtest_is_held_too(days: int) -> None:
    """spikeco on 20 or 10 days of history (too few to backtest: the seasonal naive stands
    in): its peak q90 stays at its usual 1-2 GPUs, not 5,000 a week, and the warning says so."""
    history = _spikeco_fleet().filter(pl.col("ds") > AS_OF - timedelta(days=days))
    result = forecast_all(history, settings=ForecastSettings(horizon_days=28, n_paths=50))
    spikeco = result.forecast.filter(
        (pl.col("unique_id") == SPIKECO) & (pl.col("measure") == "peak")
    )
    assert result.flagged.filter(pl.col("unique_id") == SPIKECO).height == 2
    assert float(spikeco["q90"].max()) < 10  # type: ignore[arg-type]
    assert any("spikeco (peak): one-day spike on 2020-05-25" in w for w in result.warnings())


def _steady_with_spike(*, days: int, age_days: int) -> pl.DataFrame:
    """One peak series at about 10 GPUs for ``days`` days with one 5,000-GPU day ``age_days``
    before the end (1 = the last day)."""
    y = _weekly(np.random.default_rng(5), days)
    y[-age_days] = 5000.0
    return pl.DataFrame(
        {
            "unique_id": "total",
            "ds": [AS_OF - timedelta(days=days - 1 - d) for d in range(days)],
            "measure": "peak",
            "y": y,
        }
    )


def test_a_spike_older_than_eight_weeks_is_held_too() -> None:
    """A 5,000-GPU day 70 days back of a 10-GPU series is held and said: its band stays near
    its usual level 26 weeks out. Before, only the last 56 days were searched, and the old
    spike's week-on-week differences made the spread: q90 2,248 GPUs at day 182."""
    series = _steady_with_spike(days=160, age_days=70)
    result = forecast_series(series, settings=ForecastSettings(horizon_days=182, n_paths=50))
    assert float(result.forecast["q90"].max()) < 30  # type: ignore[arg-type]
    assert result.spike is not None and result.spike.startswith("one-day spike on 2020-03-23")


def test_the_growth_models_read_an_old_spike_held_too() -> None:
    """The monthly plan fits the same held history: a spike 100 days back reads its usual top."""
    from forecasting.longrange import _level_held

    y = _weekly(np.random.default_rng(2), 200)
    y[-100] = 5000.0
    assert float(_level_held(y).max()) < 20


class _Raises:
    """A candidate that raises on every fit, so that no candidate backtests."""

    name = "raises"

    def fit(self, y: np.ndarray, **_: object) -> _Raises:
        """Fail, as a broken model would."""
        raise RuntimeError("raises")


def test_a_series_whose_every_model_failed_reads_its_spike_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every candidate failed, the seasonal naive stands in: it reads the spike held at the
    usual top, and the warning says so beside the fallback's. Before, the fallback read the raw
    history: q90 3,700 GPUs for a 10-GPU series, and no word of the spike."""
    monkeypatch.setitem(MODEL_REGISTRY, "raises", _Raises)
    series = _steady_with_spike(days=160, age_days=20)
    settings = ForecastSettings(horizon_days=182, n_paths=50, models=("raises",))
    result = forecast_series(series, settings=settings)
    assert result.model == "seasonal_naive" and result.fallback is not None
    assert float(result.forecast["q90"].max()) < 30  # type: ignore[arg-type]
    assert result.spike is not None and result.spike.startswith("one-day spike on 2020-05-12")


def test_a_young_series_spike_that_fell_back_is_held() -> None:
    """A customer of 10 days at about 10 GPUs with one 5,000-GPU day in its middle: fewer days
    than the two weeks a usual level needs, but a week of it and days after the spike that fell
    back. The seasonal naive repeated it every week for 26 weeks; it is held."""
    y = _weekly(np.random.default_rng(6), 10)
    y[-4] = 5000.0
    (spike,) = isolated_spikes(y)
    assert spike.age_days == 4 and spike.usual_high < 20


def test_a_young_series_last_day_jump_is_not_held() -> None:
    """The same young customer whose last day jumped to 5,000 GPUs: nothing after it says it
    fell back (an onboarding's big workload looks the same), so it is not held; nor is a day
    of a series with under a week of other days to say what its usual level is."""
    y = _weekly(np.random.default_rng(6), 10)
    y[-1] = 5000.0
    assert isolated_spikes(y) == ()
    short = _weekly(np.random.default_rng(6), 7)
    short[3] = 5000.0  # six other days: no week of a usual level
    assert isolated_spikes(short) == ()


NEWCO = "total/helios/experimentation/newco"


def test_a_new_customer_whose_only_day_is_its_region_s_spike_is_held_with_it() -> None:
    """A customer whose first and only row was 500,000 GPUs (a typo, in a region of about 800):
    the region, class and total held the day as a one-day spike, but the customer had no usual
    level to be held at and was forecast at its one day, 20,833 GPUs a day on the mean, which
    the region's mean (its customers' sum) and peak (held at least at the mean) took up: an
    $878.6M order under a note that said "held at 13,227" (sweep48 F5). The customer's day is
    held with its parents', at zero, and the warnings say so."""
    rng = np.random.default_rng(3)
    t = np.arange(DAYS)
    acme = 600 * (1 + 0.08 * np.sin(2 * np.pi * t / 7)) * np.exp(rng.normal(0, 0.04, DAYS))
    typo = np.array([500_000.0])
    history = _fleet(
        {ACME: {"mean": acme, "peak": 1.3 * acme}, NEWCO: {"mean": typo / 24, "peak": typo}}
    )
    result = forecast_all(history, settings=ForecastSettings(horizon_days=28, n_paths=50))
    fc = result.forecast
    for measure, usual in (("mean", acme.max()), ("peak", 1.3 * acme.max())):
        for uid in ("total", "total/helios", "total/helios/experimentation"):
            rows = fc.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure))
            assert float(rows["q90"].max()) < 1.2 * usual, (uid, measure)  # type: ignore[arg-type]
        newco = fc.filter((pl.col("unique_id") == NEWCO) & (pl.col("measure") == measure))
        assert float(newco["q90"].max()) < 1.0, measure  # type: ignore[arg-type]
    line = (
        f"{hierarchy.label_of(NEWCO)} (peak): its 2020-05-31 (500,000 GPUs) held at 0 with "
        "helios · experimentation's one-day spike: if demand like it will return, it needs a "
        "contract or an event, not a trend"
    )
    assert line in result.warnings()


def _burst_fleet(days: int) -> pl.DataFrame:
    """acme (a weekly cycle about 600 GPUs) and spikeco: about 1 GPU a day, but ``days`` days
    running 5,000 GPUs from 2020-05-20 (a training job over a long weekend), then 1 again."""
    rng = np.random.default_rng(3)
    t = np.arange(DAYS)
    acme = 600 * (1 + 0.08 * np.sin(2 * np.pi * t / 7)) * np.exp(rng.normal(0, 0.04, DAYS))
    peak = rng.choice([1.0, 2.0], size=DAYS)
    mean = np.full(DAYS, 1.0)
    start = DAYS - 12  # 2020-05-20
    peak[start : start + days] = 5000.0 - 100 * np.arange(days)
    mean[start : start + days] = 4000.0
    return _fleet({ACME: {"mean": acme, "peak": 1.3 * acme}, SPIKECO: {"mean": mean, "peak": peak}})


@pytest.mark.parametrize("days", [2, 3, 6])
def test_a_burst_of_a_few_days_is_held_at_the_usual_level_and_said(days: int) -> None:
    """spikeco ran 5,000 GPUs for 2, 3 or 6 days in a row and fell back to its usual 1-2: only
    a single day was held, so the burst stayed in the history, the seasonal naive repeated it
    (q90 in the thousands 26 weeks out for a 2-GPU customer) and the total's band carried it
    to the triggers. A burst of up to SPIKE_MAX_DAYS days, each day 3 times every other day
    of the history, that fell back, is held like a one-day spike, and the warning says its
    days; the total stays in its usual range."""
    warnings = _warnings_of_spikeco_held(_burst_fleet(days))
    last = date(2020, 5, 20) + timedelta(days=days - 1)
    line = (
        f"{hierarchy.label_of(SPIKECO)} (peak): {days}-day spike from 2020-05-20 to "
        f"{last:%Y-%m-%d}: up to 5,000 GPUs against a usual peak of 1-2; held at 2 for the "
        "forecast: if demand like it will return, it needs a contract or an event, not a trend"
    )
    assert line in warnings


def test_a_burst_too_long_or_repeated_or_not_over_is_not_a_spike() -> None:
    """What a burst of a few days is not: one of SPIKE_MAX_DAYS + 1 days (a job that long is
    a level the series may hold again), a two-day burst every week (a pattern), and a run
    of high days that reaches the last day (nothing says it fell back: a new workload
    starts so)."""
    from forecasting.spikes import SPIKE_MAX_DAYS

    rng = np.random.default_rng(7)
    long = _weekly(rng)
    long[-30 : -30 + SPIKE_MAX_DAYS + 1] = 5000.0
    assert isolated_spikes(long) == ()
    weekly = _weekly(rng)
    weekly[3::7] = weekly[4::7] = 5000.0
    assert isolated_spikes(weekly) == ()
    ending = _weekly(rng)
    ending[-3:] = 5000.0
    assert isolated_spikes(ending) == ()


def test_a_burst_holds_every_day_of_it() -> None:
    """A 10-GPU series with 300 GPUs one day and 5,000 the next: the one-day rule held the
    5,000 at the 300 beside it, a usual top its series never had; the two days are one burst
    now, both held at the usual top, and the burst says where it began."""
    from forecasting.spikes import held

    y = _weekly(np.random.default_rng(2))
    y[-21], y[-20] = 300.0, 5000.0
    (spike,) = isolated_spikes(y)
    assert spike.age_days == 21 and spike.days == 2
    assert float(held(y, (spike,)).max()) < 20


def test_a_new_customer_whose_first_days_are_its_region_s_burst_is_held_with_it() -> None:
    """A new customer whose first three rows were 500,000 GPUs (a typo) and then zero, in a
    region of about 800: its region held the three days as a burst, but the customer has no
    usual level of its own, and only a one-day parent spike was held in the series under it,
    so its mean (which the region's mean sums) kept them. Its days are held with its
    parents' burst, at zero, and the warnings say the days."""
    rng = np.random.default_rng(3)
    t = np.arange(DAYS)
    acme = 600 * (1 + 0.08 * np.sin(2 * np.pi * t / 7)) * np.exp(rng.normal(0, 0.04, DAYS))
    newco = np.array([500_000.0] * 3 + [0.0] * 9)
    history = _fleet(
        {ACME: {"mean": acme, "peak": 1.3 * acme}, NEWCO: {"mean": newco / 24, "peak": newco}}
    )
    result = forecast_all(history, settings=ForecastSettings(horizon_days=28, n_paths=50))
    fc = result.forecast
    for measure, usual in (("mean", acme.max()), ("peak", 1.3 * acme.max())):
        for uid in ("total", "total/helios", "total/helios/experimentation", NEWCO):
            rows = fc.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure))
            assert float(rows["q90"].max()) < 1.2 * usual, (uid, measure)  # type: ignore[arg-type]
    line = (
        f"{hierarchy.label_of(NEWCO)} (peak): its 2020-05-20 to 2020-05-22 (up to 500,000 GPUs) "
        "held at 0 with helios · experimentation's 3-day spike: if demand like it will return, "
        "it needs a contract or an event, not a trend"
    )
    assert line in result.warnings()
