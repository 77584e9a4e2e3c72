"""One count of a run's series on every surface: a series is a unique_id, forecast for both
measures (mean and peak)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from forecasting import ingest, runs, synth, warehouse
from forecasting.options import ForecastOptions


def test_a_run_counts_its_series_as_the_platform_page_does(tmp_path: Path) -> None:
    """A 14-day ServeGen export: `fleetcast forecast` read "34 series ... 34 on a fallback"
    while the platform page said "all 17 series forecast by a fallback": the terminal counted
    each series once per measure. The run, the terminal and the stored run count series (a
    series on a fallback for either measure counted once), and the backtest layouts too."""
    written = synth.write_fleet(synth.synthetic_fleet(days=30, customers=12, seed=3), tmp_path)
    telemetry = [f for f in written if f.parent.name == "telemetry"]
    # One customer onboarded 8 days before the end: too young to backtest, on a fallback.
    frames = [pl.read_parquet(f) for f in telemetry]
    young = sorted(pl.concat(frames)["customer"].unique().to_list())[0]
    last = max(f["ts"].max() for f in frames)  # type: ignore[type-var]
    for file, frame in zip(telemetry, frames, strict=True):
        late = (frame["customer"] != young) | (frame["ts"] > last - timedelta(days=8))  # type: ignore[operator]
        frame.filter(late).write_parquet(file)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in telemetry:
            ingest.ingest_file(wh, file)
    options = ForecastOptions(
        horizon_days=7, horizon_months=0, n_paths=10, models=("seasonal_naive", "drift")
    )
    run = runs.forecast(path, options)
    with warehouse.connect(path, read_only=True) as wh:
        stored = wh.query("SELECT unique_id, measure FROM forecasts WHERE run_id = ?", [run.run_id])
        series_column = wh.query(
            "SELECT series FROM forecast_runs WHERE run_id = ?", [run.run_id]
        ).item()
    ids = stored["unique_id"].n_unique()
    assert stored["measure"].n_unique() == 2
    assert run.series == ids, (run.series, ids)
    assert series_column == ids
    assert 0 < run.fallbacks <= ids
    from flows.tables import forecast_tables

    title = " ".join(str(forecast_tables(run)[0].title).split())
    assert f": {ids:,} series, " in title, title
    backtested = sum(
        int(part.split(" series backtested")[0].rsplit(" ", 1)[-1].replace(",", ""))
        for part in title.split(";")
        if " series backtested" in part
    )
    assert backtested <= ids, title
