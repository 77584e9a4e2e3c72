"""A pool with neither demand nor capacity is not judged, as a region with neither is not."""

from __future__ import annotations

from test_triggers import MONDAY, _block, _plan, _r2_forecast, _row

from forecasting.report.inputs import unmeasured_class_rows
from forecasting.schema import VACANT
from forecasting.triggers import UNMEASURED_TRAINING, expansion_triggers


def test_an_inference_only_fleet_s_training_pool_is_not_judged() -> None:
    """An inference-only fleet (racks that host inference alone, no training row in the
    telemetry) read its training pool green, "no training demand in the forecast through
    DAY" and 0 GPUs short: zero demand against zero capacity, where a region with neither
    reads "no capacity planned, no demand measured". The row says so now, has no shortfall
    figure, and is one of the rows every reader counts as not verified; its "all" pool, with
    demand and capacity, is judged as before."""
    rack = _block("r2-rack", 1000, region="r2", site="r2-a", mw=0.5, classes=["inference"])
    result = expansion_triggers(_r2_forecast(), _plan([rack]), as_of=MONDAY)
    row = _row(result.triggers, "r2", "training")
    opens = f"{UNMEASURED_TRAINING}, and r2 plans no block that hosts training: "
    assert row["note"].startswith(opens)
    assert VACANT in row["note"] and row["note"].endswith("so this pool is not judged")
    assert row["max_shortfall_gpus"] is None and row["unmeasured_training"] is True
    flagged = result.triggers.filter(unmeasured_class_rows())
    assert flagged.select("region", "pool").rows() == [("r2", "training")]
    judged = _row(result.triggers, "r2", "all")
    assert judged["unmeasured_training"] is False and judged["max_shortfall_gpus"] is not None


def test_a_vacant_training_pool_reads_vacant_not_a_feed_gap_on_every_reader() -> None:
    """An inference-only fleet's training pool (no training demand, no block that hosts it)
    read "not verified (no training demand measured in any region)" on the finance orders, the
    headline, `report`'s triggers line and the Prefect summary: the words of a fleet whose
    training feed may be lost, where its note says "no capacity planned, no demand measured".
    A stored flag (``vacant_pool``, migration 44) tells them apart; a region with training
    blocks and no training row still reads the feed-gap words."""
    import re
    from dataclasses import replace
    from pathlib import Path

    import polars as pl
    from test_report import sample_inputs

    from flows.tables import triggers_line
    from forecasting.report.inputs import status_headline
    from forecasting.report.pages import finance_page
    from forecasting.runs import ReportOutcome, report_trigger_rows
    from forecasting.runs.reports import report_summary_markdown
    from forecasting.schema import NOT_VERIFIED

    rack = _block("r2-rack", 1000, region="r2", site="r2-a", mw=0.5, classes=["inference"])
    result = expansion_triggers(_r2_forecast(), _plan([rack]), as_of=MONDAY)
    assert _row(result.triggers, "r2", "training")["vacant_pool"] is True
    assert _row(result.triggers, "r2", "all")["vacant_pool"] is False

    inputs = sample_inputs()
    east, west = sorted(set(inputs.triggers["region"]))
    training = pl.col("pool") == "training"
    both = replace(
        inputs,
        triggers=inputs.triggers.with_columns(
            status=pl.lit("green"),
            unmeasured_training=training,
            vacant_pool=training & (pl.col("region") == west),
        ),
    )
    page = finance_page(both)
    cells = dict(
        re.findall(r"<td>([a-z-]+)</td><td>training</td><td>(<span class=\"badge.*?)</td>", page)
    )
    assert VACANT in cells[west] and UNMEASURED_TRAINING not in cells[west]
    assert UNMEASURED_TRAINING in cells[east]
    headline = status_headline(both)
    assert f"{west}/training {NOT_VERIFIED}: {VACANT}" in headline
    assert f"{east}/training {NOT_VERIFIED}: {UNMEASURED_TRAINING}" in headline
    rows = report_trigger_rows(both).to_dicts()
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"green": len(rows)},
        failing_drills=[], stale_days=None, triggers=rows, as_of=MONDAY,
    )  # fmt: skip
    line = triggers_line(report)
    assert (
        f"{VACANT}: {west}/training" in line and f"{UNMEASURED_TRAINING}: {east}/training" in line
    )
    summary = report_summary_markdown(both, Path("."))
    assert f"| {west} | training | {NOT_VERIFIED} ({VACANT}) |" in summary
    assert f"| {east} | training | {NOT_VERIFIED} ({UNMEASURED_TRAINING}) |" in summary
