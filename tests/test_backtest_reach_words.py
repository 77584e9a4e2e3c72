"""The forecast command and the report name one count of how far the backtests reached."""

from __future__ import annotations

from datetime import timedelta
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
    written = synth.write_fleet(synth.synthetic_fleet(days=30, customers=12, seed=7), tmp_path)
    telemetry = [f for f in written if f.parent.name == "telemetry"]
    last = max(pl.read_parquet(f)["ts"].max() for f in telemetry)  # type: ignore[type-var]
    for file in telemetry:
        # The newest day keeps its first 10 hours only: too few, so it reads as missing.
        frame = pl.read_parquet(file)
        keep = frame["ts"] < last.replace(hour=10)  # type: ignore[union-attr]
        frame.filter(keep).write_parquet(file)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in telemetry:
            ingest.ingest_file(wh, file)
    options = ForecastOptions(
        horizon_days=14, horizon_months=0, n_paths=20, models=("seasonal_naive", "drift")
    )
    run = runs.forecast(path, options)
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
