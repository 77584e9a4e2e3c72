"""A region whose own demand no backtest measured (too short a history: a region that started
reporting late) does not borrow the other regions' verified day for its statuses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
from test_report import _sited, sample_inputs

from forecasting import hierarchy
from forecasting.report.inputs import (
    UNMEASURED_GREEN,
    ReportInputs,
    green_verified_to,
    status_only,
)
from forecasting.schema import NOT_VERIFIED

LATE = "eu-west"


def _late_region() -> ReportInputs:
    """The sited sample, every pool green, with eu-west's series forecast as a 20-day region's
    are: by the seasonal naive, no backtest (its rows gone from ``backtest``)."""
    sample = _sited(sample_inputs())
    late = (hierarchy.level(1) == LATE).fill_null(value=False)
    chosen = sample.chosen.with_columns(
        model=pl.when(late).then(pl.lit("seasonal_naive")).otherwise("model"),
        fallback=pl.when(late)
        .then(pl.lit("20 days of history; backtesting needs 23"))
        .otherwise("fallback"),
    )
    return replace(
        sample,
        chosen=chosen,
        backtest=sample.backtest.filter(~late),
        triggers=sample.triggers.with_columns(
            status=pl.lit("green"), unverified_green=pl.lit(value=False)
        ),
    )


def test_a_region_no_backtest_measured_reads_its_green_not_verified(tmp_path: Path) -> None:
    """A fleet whose eu-west started reporting 20 days before the as-of day (its series too
    short to backtest: the seasonal naive, no error measured) read "eu-west/all green to
    2027-01-03 only: not verified beyond" on the CLI, the finance page and triggers.csv: the
    day the other regions' backtests reached, as if eu-west's green were verified to it, while
    the report's own caption said "not backtested: eu-west ... no measured error". Its rows now
    read that no backtest measured the forecast's error; the regions backtested keep their
    day."""
    from forecasting.report.publish import publish_report

    inputs = _late_region()
    verified = green_verified_to(inputs)
    assert verified is not None and verified > inputs.as_of  # the total's backtests reach it
    said = dict(
        inputs.triggers.select(
            pl.concat_str("region", "pool", separator="/"), status_only(inputs)
        ).iter_rows()
    )
    assert said[f"{LATE}/all"] == f"({UNMEASURED_GREEN})", said
    assert said[f"{LATE}/training"] == f"({UNMEASURED_GREEN})", said
    assert said["us-east/all"] is not None and "only: not verified beyond" in said["us-east/all"]
    shown = pl.read_csv(publish_report(inputs, root=tmp_path) / "triggers.csv")
    west = shown.filter(pl.col("region") == LATE)["status_shown"].to_list()
    assert west and all(s == f"green ({UNMEASURED_GREEN})" for s in west), west


def test_the_headline_does_not_count_a_region_no_backtest_measured_among_verified_greens() -> None:
    """The same fleet's headline read "red: us-east/all runs short 2026-12-18 ...; every other
    pool green to 2027-01-03 only: not verified beyond", eu-west among them, on the terminal and
    the front page. eu-west's greens are now said apart, as not verified at all; with every
    pool green the backtested ones keep their day."""
    from forecasting.report.inputs import status_headline

    inputs = _late_region()
    verified = green_verified_to(inputs)
    assert verified is not None
    said = f"{LATE}/all, {LATE}/training green ({UNMEASURED_GREEN})"
    red = replace(
        inputs,
        triggers=inputs.triggers.with_columns(
            status=pl.when((pl.col("region") == "us-east") & (pl.col("pool") == "all"))
            .then(pl.lit("red"))
            .otherwise("status")
        ),
    )
    headline = status_headline(red)
    assert said in headline, headline
    assert "every other pool" not in headline, headline
    headline = status_headline(inputs)
    assert said in headline, headline
    assert "us-east/all, us-east/training green to" in headline, headline


def test_the_front_page_count_says_a_region_no_backtest_measured_apart() -> None:
    """The same fleet's front page counted "0 red, 0 amber, 6 green (green to 2027-01-03 only:
    not verified beyond)", eu-west's two greens among them, while their rows said no backtest
    measured them. They are counted apart as not verified, with why and where."""
    from forecasting.report.format import html_text
    from forecasting.report.pages import run_index_page

    inputs = _late_region()
    front = run_index_page(inputs)
    greens = inputs.triggers.height - 2
    assert html_text(f"{greens} green (green to") in front, front
    assert html_text(f"2 {NOT_VERIFIED} (green ({UNMEASURED_GREEN}): {LATE})") in front
