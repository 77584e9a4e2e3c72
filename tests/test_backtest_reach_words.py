"""The forecast command and the report name one count of how far the backtests reached."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from forecasting import ingest, runs, synth, warehouse
from forecasting.options import ForecastOptions
from forecasting.runs.reports import scored_days


def test_the_forecast_names_its_backtest_window_and_the_reach_the_report_reads(
    tmp_path: Path,
) -> None:
    """On the Helios trace (its as-of day held 16 hours, so it reads as missing) `fleetcast
    forecast` printed "72 series backtested 7 days ahead" while `fleetcast report` said "its
    backtests scored 5 days ahead": two counts for one thing. The 7 is each window's length
    from its own cut-off; the report counts the days past the as-of day the windows measured.
    The forecast now calls the 7 a window and gives the report's count, from the as-of day."""
    path, run = _forecast_of_a_fleet_silent_at_its_end(tmp_path, silent_days_before=0)
    assert run.history_end is not None and run.history_end < run.as_of
    with warehouse.connect(path, read_only=True) as wh:
        reach = scored_days(wh, run.run_id)
    from flows.tables import forecast_tables

    title = " ".join(str(forecast_tables(run)[0].title).split())
    assert "backtested 7 days ahead" not in title
    assert "series backtested on 7-day windows from cut-offs 1 day(s) apart" in title, title
    upto = run.as_of + timedelta(days=reach)
    assert (
        f"counted from the as-of day {run.as_of}, as the report counts them, they scored "
        f"{reach} days ahead (to {upto})"
    ) in title, title


def test_young_series_on_short_windows_are_not_credited_with_the_totals_reach() -> None:
    """The demo's forecast read "14 series backtested on 7-day windows ...; counted from the
    as-of day 2026-12-06, as the report counts them, they scored 364 days ahead": fourteen
    young customers credited with the total's decision backtest. The report's count is the
    total's and the regions'; it is given only where they ran the short windows."""
    from forecasting.forecast import ForecastSettings
    from forecasting.runs.forecasts import _short_backtests, _top_ran_short

    settings = ForecastSettings()
    young = settings.for_history(20)
    assert young.backtest_horizon < settings.backtest_horizon
    summary = pl.DataFrame(
        {
            "unique_id": ["total", "total/r1", "total/r1/inference/new"],
            "fallback": [None, None, None],
            "n_days": [700, 700, 20],
        },
        schema={"unique_id": pl.String, "fallback": pl.String, "n_days": pl.Int64},
    )
    assert not _top_ran_short(summary, settings)
    assert _top_ran_short(summary.with_columns(n_days=pl.lit(20, pl.Int64)), settings)
    layouts = [
        {
            "backtest_horizon": young.backtest_horizon,
            "backtest_step": young.backtest_step,
            "min_train_days": young.min_train_days,
            "series": 1,
        }
    ]
    as_of = date(2026, 12, 6)
    theirs = _short_backtests(layouts, settings, reach=364, as_of=as_of, top_short=True)
    assert "they scored 364 days ahead" in theirs
    not_theirs = _short_backtests(layouts, settings, reach=364, as_of=as_of, top_short=False)
    assert "364" not in not_theirs and "scored" not in not_theirs, not_theirs
    assert not_theirs.startswith(f"1 series backtested on {young.backtest_horizon}-day windows"), (
        not_theirs
    )
    assert not_theirs.endswith("which the total and the regions ran)"), not_theirs


def test_a_fleet_silent_its_last_two_days_is_credited_with_the_steps_its_windows_scored(
    tmp_path: Path,
) -> None:
    """A fleet whose last two days are missing (the as-of day's 10 hours read as missing, the
    day before has no telemetry): its 7-day backtest windows, a day apart, end on the run's
    last day, so the earliest one held 7 observed days and scored the forecast 7 steps ahead.
    Made from the last observed day, the run's forecast was measured to 5 days past the as-of
    day. The report and the triggers read 3: the silent days came off the last window's
    observed days and then again off the count."""
    path, run = _forecast_of_a_fleet_silent_at_its_end(tmp_path, silent_days_before=1)
    with warehouse.connect(path, read_only=True) as wh:
        summary = wh.run_frame("forecast_summary", run.run_id).filter(
            pl.col("unique_id") == "total"
        )
        cutoffs = wh.run_frame("backtests", run.run_id).filter(pl.col("unique_id") == "total")
        reach = scored_days(wh, run.run_id)
    assert summary["stale_days"].to_list() == [2, 2]
    observed_to = run.as_of - timedelta(days=2)
    # Three cut-offs a day apart, the last 7 days before the as-of day (the run's last day).
    assert sorted(set(cutoffs["cutoff"])) == [run.as_of - timedelta(days=d) for d in (9, 8, 7)]
    # The first window (its cut-off 9 days before the as-of day) scored all 7 of its days.
    assert observed_to - min(cutoffs["cutoff"]) == timedelta(days=7)
    assert reach == 5


def _forecast_of_a_fleet_silent_at_its_end(
    tmp_path: Path, *, silent_days_before: int
) -> tuple[Path, runs.ForecastRun]:
    """A 30-day synthetic fleet ingested and forecast 14 days ahead, its newest day cut to its
    first 10 hours (too few: it reads as missing) and the ``silent_days_before`` days before
    it left without telemetry."""
    written = synth.write_fleet(synth.synthetic_fleet(days=30, customers=12, seed=7), tmp_path)
    telemetry = [f for f in written if f.parent.name == "telemetry"]
    last = max(pl.read_parquet(f)["ts"].max() for f in telemetry)  # type: ignore[type-var]
    newest = last.replace(hour=0)  # type: ignore[union-attr]
    for file in telemetry:
        frame = pl.read_parquet(file)
        silent = frame["ts"].is_between(
            newest - timedelta(days=silent_days_before), newest, closed="left"
        )
        keep = (frame["ts"] < last.replace(hour=10)) & ~silent  # type: ignore[union-attr]
        frame.filter(keep).write_parquet(file)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in telemetry:
            ingest.ingest_file(wh, file)
    options = ForecastOptions(
        horizon_days=14, horizon_months=0, n_paths=20, models=("seasonal_naive", "drift")
    )
    return path, runs.forecast(path, options)
