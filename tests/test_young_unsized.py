"""A stored run says whether its forecast refused monthly rows as too young, for the triggers."""

from __future__ import annotations

from pathlib import Path

from forecasting import hierarchy, ingest, runs, synth, warehouse
from forecasting.longrange import MONTHS_MIN_HISTORY_DAYS
from forecasting.options import ForecastOptions
from forecasting.runs.reports import months_refused
from forecasting.triggers import MonthsRefused


def test_a_stored_young_run_says_its_monthly_rows_were_refused_and_a_daily_only_one_does_not(
    tmp_path: Path,
) -> None:
    """A 30-day fleet's forecast refused monthly rows as too young and printed why, but stored
    no word of it: the triggers asked its unsized order for `--horizon-months 92`, which the
    forecast refused again. The stored run now reads as refused, with the days its youngest
    region or class had; one made with `--horizon-months 0` (never asked) does not."""
    written = synth.write_fleet(synth.synthetic_fleet(days=30, customers=12, seed=7), tmp_path)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in (f for f in written if f.parent.name == "telemetry"):
            ingest.ingest_file(wh, file)
    models = ("seasonal_naive", "drift")
    asked = runs.forecast(
        path, ForecastOptions(horizon_days=14, horizon_months=36, n_paths=20, models=models)
    )
    daily_only = runs.forecast(
        path, ForecastOptions(horizon_days=14, horizon_months=0, n_paths=20, models=models)
    )
    assert asked.plan_gap is not None and "too young" in asked.plan_gap
    with warehouse.connect(path, read_only=True) as wh:
        youngest = (
            wh.run_frame("forecast_summary", asked.run_id)
            .filter(hierarchy.depth().is_between(1, 2))
            .get_column("n_days")
            .min()
        )
        assert months_refused(wh, asked.run_id) == MonthsRefused(
            needed_days=MONTHS_MIN_HISTORY_DAYS, history_days=youngest
        )
        assert months_refused(wh, daily_only.run_id) is None
    assert MONTHS_MIN_HISTORY_DAYS == 84
    assert isinstance(youngest, int) and 0 < youngest <= 30
