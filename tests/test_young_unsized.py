"""A stored run says whether its forecast refused monthly rows as too young, for the triggers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import polars as pl

from forecasting import hierarchy, ingest, runs, synth, warehouse
from forecasting.capacity import load_capacity
from forecasting.longrange import MONTHS_MIN_HISTORY_DAYS
from forecasting.options import ForecastOptions
from forecasting.runs.reports import months_refused, trigger_forecast, trigger_settings
from forecasting.triggers import MonthsRefused, expansion_triggers
from forecasting.triggers.rows import NOT_SIZED


def test_a_stored_young_run_says_its_monthly_rows_were_refused_and_a_daily_only_one_does_not(
    tmp_path: Path,
) -> None:
    """A 30-day fleet's forecast refused monthly rows as too young and printed why, but stored
    no word of it: the triggers asked its unsized order for `--horizon-months 92`, which the
    forecast refused again. The stored run now reads as refused, with the days its youngest
    region or class had; one made with `--horizon-months 0` (never asked) reads the same, its
    history being as short."""
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
            needed_days=MONTHS_MIN_HISTORY_DAYS, history_days=youngest, why=asked.plan_gap
        )
        # Never asked, it is as young: `--horizon-months` would be refused alike (below).
        assert months_refused(wh, daily_only.run_id) == months_refused(wh, asked.run_id)
    assert MONTHS_MIN_HISTORY_DAYS == 84
    assert isinstance(youngest, int) and 0 < youngest <= 30


# The plan `fleetcast` ships (its candidates' lead times land past a 14-day forecast).
_PACKAGED_PLAN = Path(__file__).parents[1] / "forecasting" / "resources" / "capacity.toml"


def _forecast_daily_only(tmp_path: Path, *, days: int) -> tuple[Path, str]:
    """A synthetic fleet of ``days`` days forecast 14 days ahead with `--horizon-months 0`."""
    written = synth.write_fleet(synth.synthetic_fleet(days=days, customers=12, seed=7), tmp_path)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in (f for f in written if f.parent.name == "telemetry"):
            ingest.ingest_file(wh, file)
    options = ForecastOptions(
        horizon_days=14, horizon_months=0, n_paths=20, models=("seasonal_naive", "drift")
    )
    return path, runs.forecast(path, options).run_id


def test_a_young_fleet_forecast_with_no_months_is_not_told_to_pass_horizon_months(
    tmp_path: Path,
) -> None:
    """A 30-day fleet forecast with `--horizon-months 0` stored nothing that said it was too
    young, and its unsized orders said 'forecast at least 92 months ahead to size it
    (`--horizon-months 92`)': a reader who passed it was refused, the fleet being too young for
    monthly rows. The run's own history says so (no region or class has 84 days), and the
    notes say what would give the months (400-week candidates: past what `--horizon` reaches)."""
    path, run_id = _forecast_daily_only(tmp_path, days=30)
    shipped = load_capacity(_PACKAGED_PLAN)
    # Candidates landing past the 730 days `--horizon` reaches: only monthly rows size them.
    slower = [c.model_copy(update={"lead_time_weeks": 400}) for c in shipped.candidate]
    plan = shipped.model_copy(update={"candidate": slower})
    with warehouse.connect(path, read_only=True) as wh:
        settings = trigger_settings(wh, run_id, quantile="q90", buffer_weeks=4)
        frame = trigger_forecast(wh, run_id)
        as_of = wh.forecast_runs().filter(pl.col("run_id") == run_id).item(0, "as_of")
    assert isinstance(settings.months_refused, MonthsRefused)
    assert settings.months_refused.needed_days == MONTHS_MIN_HISTORY_DAYS
    assert settings.months_refused.history_days <= 30
    # The forecast's own words, stored with the run (migration 42).
    assert settings.months_refused.why is not None and "too young" in settings.months_refused.why
    result = expansion_triggers(frame, plan, as_of=as_of, settings=settings)
    unsized = result.triggers.filter(pl.col("note").str.contains(NOT_SIZED, literal=True))
    assert unsized.height, result.triggers["note"].to_list()
    for note in unsized["note"]:
        assert re.search(r"`--horizon-months \d", note) is None, note
        assert f"the forecast refuses them: {settings.months_refused.why}" in note, note
        assert "until a series has 84 days of history after its onboarding ramp" in note, note


def test_a_fleet_old_enough_for_months_forecast_without_them_is_told_to_pass_horizon_months(
    tmp_path: Path,
) -> None:
    """The other side: a 120-day fleet forecast with `--horizon-months 0` has the history
    monthly rows need, so `--horizon-months` is what gives them, and nothing calls it young.
    Stored before runs recorded a refusal (migration 42), the same run's days do not say
    whether its ramps would leave too few blocks: its notes still name `--horizon-months`,
    and say that whether it gives the months is not known, rather than promise them."""
    from forecasting.triggers import MonthsNotKnown
    from forecasting.triggers.common import reach_to_size

    path, run_id = _forecast_daily_only(tmp_path, days=120)
    with warehouse.connect(path, read_only=True) as wh:
        assert months_refused(wh, run_id) is None
        as_of = wh.forecast_runs().filter(pl.col("run_id") == run_id).item(0, "as_of")
    with warehouse.connect(path) as wh:  # as a run stored before migration 42 reads
        wh._con.execute(
            "UPDATE forecast_runs SET months_refusal_recorded = NULL WHERE run_id = ?", [run_id]
        )
        unknown = months_refused(wh, run_id)
    assert unknown == MonthsNotKnown()
    arrives = as_of + timedelta(weeks=400)
    said = reach_to_size(arrives, as_of=as_of, months_refused=unknown)
    assert said.startswith("forecast at least 92 months ahead to size it (`--horizon-months 92`; ")
    assert "not known whether this fleet's history gives them" in said, said
    assert "`--horizon-months 92`)" in reach_to_size(arrives, as_of=as_of), "as before"


def _ramped_fleet(tmp_path: Path) -> Path:
    """A 90-day synthetic fleet whose every series ramps up in its first 30 days (a fifth of
    its level): 84+ days of history, but its onboarding ramps leave two 28-day blocks after
    them, and no series has the three a drift is read on; ingested into a warehouse."""
    from datetime import UTC, date, datetime

    fleet = synth.synthetic_fleet(days=90, customers=12, seed=7, end=date(2026, 12, 5))
    written = synth.write_fleet(fleet, tmp_path)
    ramp_ends = datetime(2026, 10, 7, tzinfo=UTC)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in (f for f in written if f.parent.name == "telemetry"):
            ramped = pl.col("ts") < ramp_ends
            pl.read_parquet(file).with_columns(
                pl.when(ramped).then(pl.col(c) * 0.2).otherwise(pl.col(c)).alias(c)
                for c in ("gpus_running", "gpus_queued")
            ).write_parquet(file)
            ingest.ingest_file(wh, file)
    return path


def _slow_plan() -> object:
    """The packaged plan with 400-week candidates: only monthly rows size their orders."""
    shipped = load_capacity(_PACKAGED_PLAN)
    slower = [c.model_copy(update={"lead_time_weeks": 400}) for c in shipped.candidate]
    return shipped.model_copy(update={"candidate": slower})


def test_a_fleet_with_the_days_whose_ramps_leave_too_few_blocks_is_told_why_not_horizon_months(
    tmp_path: Path,
) -> None:
    """A 90-day fleet whose series ramp up over their first 30 days, forecast daily-only
    (`--horizon-months 0`): its orders that only monthly rows size read "forecast at least 92
    months ahead to size it (`--horizon-months 92`)", and a forecast asked for 92 months
    refused them ("no series has 3 blocks of 28 days after its onboarding ramp"): its oldest
    region had the 84 days the stored check read, so the refusal was not known. The run now
    stores why its forecast would refuse them (asked, the refusal itself), and the notes say
    that instead of asking for `--horizon-months`."""
    path = _ramped_fleet(tmp_path)
    models = ("seasonal_naive", "drift")
    daily_only = runs.forecast(
        path, ForecastOptions(horizon_days=14, horizon_months=0, n_paths=20, models=models)
    )
    asked = runs.forecast(
        path, ForecastOptions(horizon_days=14, horizon_months=92, n_paths=20, models=models)
    )
    assert asked.horizon_months == 0 and asked.plan_gap is not None
    assert "after its onboarding ramp" in asked.plan_gap
    with warehouse.connect(path, read_only=True) as wh:
        oldest = (
            wh.run_frame("forecast_summary", daily_only.run_id)
            .filter(hierarchy.depth().is_between(1, 2))
            .get_column("n_days")
            .max()
        )
        assert isinstance(oldest, int) and oldest >= MONTHS_MIN_HISTORY_DAYS
        for run_id in (daily_only.run_id, asked.run_id):
            refused = months_refused(wh, run_id)
            assert isinstance(refused, MonthsRefused), run_id
            assert refused.why == asked.plan_gap, refused
        settings = trigger_settings(wh, daily_only.run_id, quantile="q90", buffer_weeks=4)
        frame = trigger_forecast(wh, daily_only.run_id)
        as_of = daily_only.as_of
    result = expansion_triggers(frame, _slow_plan(), as_of=as_of, settings=settings)  # type: ignore[arg-type]
    unsized = result.triggers.filter(pl.col("note").str.contains(NOT_SIZED, literal=True))
    assert unsized.height, result.triggers["note"].to_list()
    for note in unsized["note"]:
        assert re.search(r"`--horizon-months \d", note) is None, note
        assert f"the forecast refuses them: {asked.plan_gap}" in note, note
