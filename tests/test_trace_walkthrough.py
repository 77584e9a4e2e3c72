"""What a new user read running the public traces end to end (session 58's walk-through):
words lost to the terminal's markup, and warnings that said one thing once per series."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from forecasting.runs import WhatIfOutcome


def _terminal(renderable: object) -> str:
    """``renderable`` as a wide terminal prints it, whitespace folded."""
    console = Console(width=1000, record=True)
    console.print(renderable)
    return " ".join(console.export_text().split())


def test_the_what_if_headline_keeps_the_site_table_it_names() -> None:
    """A deal in the Helios plan (no [[site]]) read "the power they need is not priced: no []
    of helios in the plan" on the terminal: the headline was rich markup, which took
    "[site]" for a style tag and dropped it. The page had the words; the terminal did not."""
    from flows.cli import whatif_answer_table
    from flows.tables import whatif_table

    basis = (
        "the blocks its own GPUs need: 17 x rack-v100-8 for helios training; the power they "
        "need is not priced: no [[site]] of helios in the plan, so no power is checked there"
    )
    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=date(2020, 5, 31), horizon_end=date(2020, 11, 29),
        serve_from=date(2020, 7, 26), can_serve=False, serve_note="", extra_capex_usd=2.5e6,
        extra_mw=0.1, revenue_usd=1.2e6, orders=[], notes=[], page=Path("p.html"),
        capex_basis=basis,
    )  # fmt: skip
    assert "no [[site]] of helios in the plan" in _terminal(whatif_table(outcome))
    # The headline the CLI rewrites where the deal's region is not judged, data in it too.
    unjudged = outcome.model_copy(update={"not_judged": "not judged: no telemetry in [eu]"})
    assert "no telemetry in [eu]" in _terminal(whatif_answer_table(unjudged))


def _ramp_reason(slope: float) -> tuple[str, str]:
    """The baseline and reason ``_fallback`` gives a 14-day ramp (the naive beats the
    seasonal naive on its last days, each ramp by its own error)."""
    import numpy as np

    from forecasting.forecast import ForecastSettings, _fallback

    return _fallback(100.0 + slope * np.arange(14.0), ForecastSettings(horizon_days=7))


def test_series_too_short_to_backtest_read_as_one_warning_whatever_the_naive_erred() -> None:
    """The ServeGen trace forecast a week ahead printed 16 warning lines of the same "forecast
    by naive: 14 days of history; backtesting needs 23 (...)", one per series, each ending
    with that series' own "on its last 6 days the naive erred by 141.9 GPUs a day on average
    against the seasonal naive's 168.9": the figures made every reason unique, so the rule
    that folds a reason shared by more than four series never folded them. The figures are the
    series' own (the platform page lists them); the reason is one: now one line."""
    import polars as pl

    from forecasting.forecast import _fallback_lines

    rows = []
    for i, slope in enumerate((1.0, 2.0, 3.0, 5.0, 8.0, 13.0)):
        model, reason = _ramp_reason(slope)
        assert model == "naive" and "the naive erred by" in reason
        rows.append((f"total/sg/inference/c{i}", "mean", model, reason))
    flagged = pl.DataFrame(rows, schema=["unique_id", "measure", "model", "reason"], orient="row")
    assert flagged["reason"].n_unique() == 6  # each its own error
    lines = _fallback_lines(flagged)
    assert len(lines) == 1, lines
    assert lines[0].startswith("sg · inference · c0 (mean), sg · inference · c1 (mean), ")
    folded = "and 2 more series (the platform page lists them): forecast by naive: 14 days"
    assert folded in lines[0]
    assert "erred by" not in lines[0]  # no one series' figure read as all six's


def test_a_folded_warning_names_a_fifth_series_rather_than_one_more() -> None:
    """Five series sharing a fallback's reason printed four names "and 1 more series (the
    platform page lists them)": a pointer as long as the name it hid. A fifth is named; six
    still fold past four."""
    import polars as pl

    from forecasting.forecast import _fallback_lines

    rows = []
    for i, slope in enumerate((1.0, 2.0, 3.0, 5.0, 8.0)):
        model, reason = _ramp_reason(slope)
        rows.append((f"total/sg/inference/c{i}", "mean", model, reason))
    flagged = pl.DataFrame(rows, schema=["unique_id", "measure", "model", "reason"], orient="row")
    lines = _fallback_lines(flagged)
    assert len(lines) == 1, lines
    assert "sg · inference · c4 (mean): forecast by naive" in lines[0], lines[0]
    assert "more series" not in lines[0]


def test_a_run_with_no_observed_day_warns_once_not_once_per_series() -> None:
    """The Helios fixture slice (one day, 4 hours of telemetry) printed 20 warning lines of
    "forecast by zero: no observed day in its 1 day(s) of rows (...)", one per series and
    measure, beside the as-of day's warning that no series has an observed day: one fact, 20
    lines. Series sharing that reason now read as one line, as short histories do."""
    import polars as pl

    from forecasting.forecast import ForecastSettings, forecast_all
    from tests.test_forecast import small_hierarchy

    demand = small_hierarchy(3).with_columns(y=pl.lit(None, pl.Float64))
    result = forecast_all(demand, settings=ForecastSettings(horizon_days=7, n_paths=20))
    assert result.flagged.height == 18 and set(result.flagged["model"]) == {"zero"}
    lines = [line for line in result.warnings() if "no observed day" in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith("total (mean, peak), eu (mean, peak), ")
    assert (
        "and 5 more series (the platform page lists them): forecast by zero: no observed"
        in (lines[0])
    )


def test_blocks_dedicated_to_customers_without_telemetry_read_as_one_warning() -> None:
    """The Helios plan against the fixture slice (3 of its VCs) printed 21 lines, one per
    block, of "[[block]] 'earth-vccaA-02' field dedicated_customer: 'vccaA' has no telemetry
    in helios: its 24 GPUs serve nobody in the forecast, the triggers and the drills" beside
    the forecast's own warnings, none of them saying what to do. More than four such blocks in
    a region now read as one line with their GPUs in all and the fix; a name a typo away from
    a telemetry customer keeps a line of its own, with its hint."""
    from datetime import date, timedelta

    from forecasting.capacity import parse_capacity, stray_dedicated_warnings
    from forecasting.traces.helios import helios_capacity_toml

    fixture = Path(__file__).parent / "fixtures" / "traces"
    plan = parse_capacity(
        helios_capacity_toml(
            fixture / "helios_earth_vc_gpu_capacity_daily.csv", as_of=date(2020, 5, 12)
        )
    )
    as_of = date(2020, 5, 12)
    # The slice's VCs, one spelt as a typo would be.
    lines = stray_dedicated_warnings(
        plan, {"helios": ["vc6YE", "vcpDC", "vcJkD"]}, plan_path="plan.toml", as_of=as_of
    )
    typo = [line for line in lines if "did you mean 'vcJkD'?" in line]
    assert len(typo) == 1 and "'earth-vcJkd-01'" in typo[0]
    (folded,) = [line for line in lines if line not in typo]
    assert folded.startswith("warning: plan.toml: ")
    in_service = [
        b
        for b in plan.block
        if b.dedicated_customer not in ("vc6YE", "vcpDC", "vcJkd")
        and (b.retire is None or b.retire > as_of)
    ]
    customers = {b.dedicated_customer for b in in_service}
    assert f"{len(in_service)} [[block]]s (field dedicated_customer) of {len(customers)} " in (
        folded
    )
    # The most in service on one day, day by day over the plan: summed over blocks, a quota
    # cut and raised again counted twice (vc3sl's 64 GPUs retiring as 48 arrive read 128).
    days = [as_of + timedelta(days=i) for i in range(200)]
    most = max(
        sum(
            b.gpus
            for b in in_service
            if (b.in_service is None or b.in_service <= day)
            and (b.retire is None or b.retire > day)
        )
        for day in days
    )
    total = sum(b.gpus for b in in_service)
    assert most < total
    said = f"{total:,} GPUs, up to {most:,} in service at once"
    assert f"their {said} serve nobody" in folded
    # The platform and facilities pages say the same blocks' GPUs the same way ("21 blocks
    # (808 GPUs)" beside the terminal's figure read as two counts of one thing).
    from forecasting.capacity import stray_dedicated_blocks
    from forecasting.report.pages.common import unserved_text

    blocks = stray_dedicated_blocks(plan, {"helios": ["vc6YE", "vcpDC", "vcJkd"]}, as_of=as_of)
    assert f"{len(blocks)} blocks ({said}) are dedicated" in unserved_text(blocks, as_of=as_of)
    assert "ingest those customers' telemetry, or fix dedicated_customer in the plan" in folded


def test_the_capacity_timeline_of_a_trace_starts_at_its_telemetry(tmp_path: Path) -> None:
    """`fleetcast capacity` on the Helios plan (status as of 2020-05-31) printed "GPUs in
    service by month" from Dec 26 to Nov 27, the wall clock's months: 792 GPUs flat, where
    the report reads the plan as of the telemetry's day and its quotas change in 2020. With
    telemetry older than today in the warehouse, the timeline starts at its newest day and
    says so."""
    from tests.test_cli import fleetcast

    fixture = Path(__file__).parent / "fixtures" / "traces"
    plan = tmp_path / "capacity.toml"
    from forecasting.traces.helios import helios_capacity_toml

    plan.write_text(
        helios_capacity_toml(fixture / "helios_earth_vc_gpu_capacity_daily.csv"), encoding="utf-8"
    )
    warehouse = tmp_path / "w.duckdb"
    common = ("--warehouse", str(warehouse), "--capacity", str(plan))
    slice_ = fixture / "helios_earth_vc_minute_2020-05-12_slice.csv.gz"
    loaded = fleetcast("ingest", "--format", "helios", str(slice_), *common)
    assert loaded.returncode == 0, loaded.stderr
    shown = fleetcast("capacity", *common, env={"COLUMNS": "400"})
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "from 2020-05-12, the newest telemetry's day" in text
    months = text.split("GPUs in service by month")[1]
    assert "May 20" in months and "Apr 21" in months and "Dec 26" not in months


def test_a_class_whose_demand_stopped_warns_once_not_once_per_series() -> None:
    """A 21-day fleet whose us-west inference demand stopped for its last 10 days (customer
    churn) printed 38 warnings under `forecast`, one per series and measure, each "forecast
    by naive: 21 days of history; ...; forecast at zero: its last 10 days read zero, after
    demand up to 4,570.3 GPUs until 2026-11-26; held at zero as if it stopped", its own peak
    making each reason unique: one event, a screen of lines. Series that stopped on the same
    day fold into one line as short histories do, their own figures on the platform page; a
    series that stopped on another day keeps its line."""
    import polars as pl

    from forecasting.forecast import _fallback_lines

    def reason(peak: float, erred: float, *, days: int = 10, until: str = "2026-11-26") -> str:
        return (
            "21 days of history; backtesting needs 23 (14 training + 2 steps of 1 between "
            f"cutoffs + 7 scored); on its last 7 days the naive erred by 0.0 GPUs a day on "
            f"average against the seasonal naive's {erred:,.1f}; forecast at zero: its last "
            f"{days} days read zero, after demand up to {peak:,.1f} GPUs until {until}; held at "
            "zero as if it stopped: a return needs new telemetry or a contract"
        )

    rows = [
        (f"total/us-west/inference/c{i}", measure, "naive", reason(100.0 * i + k, 50.0 * i + k))
        for i in range(6)
        for k, measure in enumerate(("mean", "peak"))
    ]
    rows.append(
        ("total/eu-west/batch/c9", "mean", "naive", reason(7.0, 3.0, days=2, until="2026-12-04"))
    )
    flagged = pl.DataFrame(rows, schema=["unique_id", "measure", "model", "reason"], orient="row")
    lines = _fallback_lines(flagged)
    assert len(lines) == 2, lines
    folded, alone = lines
    assert folded.startswith("us-west · inference · c0 (mean, peak), "), folded
    assert "and 2 more series (the platform page lists them): forecast by naive: " in folded
    assert "its last 10 days read zero, after demand until 2026-11-26; held at zero" in folded
    assert "GPUs until" not in folded and "erred by" not in folded, folded  # no one series' figure
    assert "demand up to 7.0 GPUs until 2026-12-04" in alone, alone
