"""The headline status against the horizon the backtests measured: a red, an amber or a green
that rests on days no backtest verified says so, keeping its colour first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import polars as pl
from test_report import _sited, sample_inputs

from forecasting.report.format import fmt_date, html_text
from forecasting.report.inputs import (
    FORECAST_MONTHS_SCHEMA,
    ReportInputs,
    daily_end,
    measured_reach,
    status_headline,
)
from forecasting.report.pages import finance_page, run_index_page


def _months(*days: date) -> pl.DataFrame:
    """Monthly rows on ``days`` (their figures null: the headline reads their dates only)."""
    return pl.DataFrame({"ds": list(days)}).with_columns(
        pl.lit(None).cast(dtype).alias(name)
        for name, dtype in FORECAST_MONTHS_SCHEMA.items()
        if name != "ds"
    )


def _calm(*cleared: str) -> ReportInputs:
    """The sited sample with every trigger green (none marked unverified), no power trigger,
    and the ``cleared`` frames emptied."""
    inputs = _sited(sample_inputs())
    green = inputs.triggers.with_columns(
        status=pl.lit("green"), unverified_green=pl.lit(value=False)
    )
    frames = {name: getattr(inputs, name).clear() for name in ("power_triggers", *cleared)}
    return replace(inputs, triggers=green, **frames)


def _verified_to(inputs: ReportInputs) -> str:
    return fmt_date(inputs.as_of + timedelta(days=measured_reach(inputs)))


def test_a_red_or_amber_past_what_the_backtests_measured_says_its_date_is_not_verified() -> None:
    """The headline read a plain "red" where the run's only red pool ran short on a day past
    the last one any backtest measured (the banner: "past 2026-12-18 no backtest measured its
    error, so ... the exhaustion dates and orders that rest on it, are extrapolated, not
    verified"), as if its shortfall date were measured. The colour stays first (a reader must
    still act) and the headline says the date is not verified; a red within the measured days
    reads a plain "red", whatever else is red past them."""
    from forecasting.runs.reports import report_outcome

    sample = _sited(sample_inputs())
    east = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    # On the daily rows, past the 27 days the sample's backtests measured.
    days = pl.when(east).then(60).otherwise(70)
    inputs = replace(
        sample,
        triggers=sample.triggers.with_columns(
            exhaustion_date=pl.when(pl.col("region") == "us-east")
            .then(pl.lit(sample.as_of) + pl.duration(days=days))
            .otherwise("exhaustion_date")
        ),
    )
    red = inputs.triggers.filter(east).row(0, named=True)
    reach = _verified_to(inputs)
    assert red["status"] == "red" and fmt_date(red["exhaustion_date"]) > reach
    said = (
        f"red: us-east/all runs short {fmt_date(red['exhaustion_date'])}, past the last day a "
        f"backtest measured ({reach}): not verified"
    )
    # Its greens, verified to the same day, say so after it (test below).
    # us-east/training is amber: the greens are named, not "every other pool" (test below).
    greens = f"; eu-west/all, eu-west/training green to {reach} only: not verified beyond"
    assert status_headline(inputs).startswith(said + greens)
    for page in (run_index_page, finance_page):
        assert html_text(said) in page(inputs), page.__name__
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert outcome.headline.startswith(said) and outcome.headline_qualified
    # A red on a measured day: the run's red is measured, the later one beside it notwithstanding.
    near = inputs.as_of + timedelta(days=measured_reach(inputs) - 3)
    measured = pl.concat(
        [
            inputs.triggers,
            inputs.triggers.filter(east).with_columns(pool=pl.lit("inference")),
        ]
    ).with_columns(
        exhaustion_date=pl.when(pl.col("pool") == "inference")
        .then(pl.lit(near))
        .otherwise("exhaustion_date")
    )
    assert status_headline(replace(inputs, triggers=measured)).startswith(
        f"red: us-east/inference runs short {fmt_date(near)}, us-east/all "
        f"{fmt_date(red['exhaustion_date'])} (not verified)" + greens
    )
    # An amber alone past the measured days says so alike.
    amber = inputs.triggers.with_columns(
        status=pl.when(east).then(pl.lit("green")).otherwise("status")
    )
    row = amber.filter(pl.col("status") == "amber").row(0, named=True)
    assert status_headline(replace(inputs, triggers=amber)).startswith(
        f"amber: {row['region']}/{row['pool']} runs short {fmt_date(row['exhaustion_date'])}, "
        f"past the last day a backtest measured ({reach}): not verified;"
    )


def test_a_red_on_the_monthly_rows_names_its_month_and_several_reds_name_each() -> None:
    """On the monthly rows a red reads its month, as the triggers table does ("Jan 2030"), and
    several reds past the measured days are each named, the first with its verb."""
    inputs = _sited(sample_inputs())
    end = daily_end(inputs)
    assert end is not None
    late = date(2030, 1, 1)
    triggers = inputs.triggers.with_columns(
        status=pl.when(pl.col("pool") == "training").then(pl.lit("red")).otherwise("status"),
        exhaustion_date=pl.when(pl.col("region") == "eu-west")
        .then(pl.lit(late))
        .otherwise("exhaustion_date"),
    )
    monthly = replace(inputs, triggers=triggers, forecast_months=_months(late))
    rows = {(r["region"], r["pool"]): r for r in triggers.iter_rows(named=True)}
    # The sample's us-east dates lie past its daily rows too: months, as the table shows them.
    assert all(rows["us-east", p]["exhaustion_date"] > end for p in ("all", "training"))
    assert status_headline(monthly) == (
        f"red: us-east/all runs short {rows['us-east', 'all']['exhaustion_date']:%b %Y}, "
        f"us-east/training {rows['us-east', 'training']['exhaustion_date']:%b %Y}, "
        f"eu-west/training Jan 2030, past the last day a backtest measured "
        f"({_verified_to(inputs)}): not verified; every other pool green to "
        f"{_verified_to(inputs)} only: not verified beyond (no backtest measured the forecast's "
        "error past it)"
    )  # its daily rows outrun the backtests: its greens say so too, calibrated plan or not


def test_a_red_site_short_of_power_keeps_the_headline_a_plain_red() -> None:
    """A 120-day fleet planned to 26 weeks read "red: us-east-a's power runs short 2027-05-22,
    past the last day a backtest measured (2027-01-02): not verified", where the site's need
    was its committed blocks' MW outgrowing its energized steps: a fact of the plan, no
    forecast's. A red or amber site on power leaves the worst status as it is."""
    from test_report import _power_sites

    inputs = _sited(sample_inputs())
    late = inputs.as_of + timedelta(days=150)
    power = _power_sites(("west-a", "eu-west", "red")).with_columns(exhaustion_date=pl.lit(late))
    assert status_headline(inputs).startswith("red: ")  # the block triggers' red alone
    # Named, with no "not verified" for the site's fact of the plan (and the pool's date
    # marked apart).
    assert status_headline(replace(inputs, power_triggers=power)).startswith(
        f"red: us-east/all runs short Mar 2027 (not verified), west-a's power {fmt_date(late)}; "
        "eu-west/all, eu-west/training green"
    )


def test_a_daily_only_green_past_what_the_backtests_measured_says_how_far_it_is_verified() -> None:
    """A 120-day fleet forecast 26 weeks ahead, daily only, read a plain "green" on the front
    page and no headline on the CLI while its backtests scored 28 days ahead (the banner:
    "past 2027-01-02 no backtest measured its error"): the early return for a plan with no
    monthly rows skipped the rule a 37-month plan keeps. It now reads green to the last day a
    backtest measured only; a daily plan the backtests measure to its end reads "green"."""
    from forecasting.runs.reports import report_outcome

    inputs = _sited(sample_inputs())
    green = inputs.triggers.with_columns(status=pl.lit("green"), note=pl.lit("stays within"))
    calm = replace(inputs, triggers=green, power_triggers=inputs.power_triggers.clear())
    assert calm.forecast_months.is_empty()
    end = daily_end(calm)
    assert end is not None
    measured = _verified_to(calm)
    assert measured < fmt_date(end)
    said = (
        f"green to {measured} only: not verified beyond (no backtest measured the forecast's "
        "error past it)"
    )
    assert status_headline(calm) == said
    for page in (run_index_page, finance_page):
        assert html_text(said) in page(calm), page.__name__
    outcome = report_outcome(calm, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert outcome.headline == said and outcome.headline_qualified
    # Measured to its last daily day: a plain green.
    short = calm.forecast.filter(pl.col("ds") <= calm.as_of + timedelta(days=20))
    assert status_headline(replace(calm, forecast=short)) == "green"


def test_each_green_pool_says_how_far_its_green_is_verified_as_the_headline_does() -> None:
    """The 120-day fleet at 26 weeks headlined "green to 2027-01-02 only: not verified beyond",
    while the finance page's orders table read each pool a plain "green" ("q90 requirement
    stays within capacity through 2027-06-05"), its takeaway "Nothing to order: every pool's
    q90 requirement stays within the capacity already planned to 2027-06-05, the plan's end"
    and the CLI's table "green" in every row. Each now says the day its green is verified to,
    as the headline does; a green measured to the plan's end reads as before."""
    from test_cli import _report_table_text
    from test_report import _measured, _visible

    from forecasting.report.pages.finance import nothing_to_order
    from forecasting.runs.reports import report_outcome

    calm = _calm("placements")
    measured = _verified_to(calm)
    only = f"to {measured} only: not verified beyond"
    assert status_headline(calm).startswith(f"green {only}")
    said = str(nothing_to_order(calm))
    assert f"(not verified past {measured}: no backtest measured the forecast's error" in said
    # Each pool's row, and the headline's card.
    assert _visible(finance_page(calm)).count(f"green {only}") == calm.triggers.height + 1
    outcome = report_outcome(calm, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    shown = _report_table_text(triggers=outcome.triggers)
    assert shown.count(f"green {only}") == calm.triggers.height, shown
    # Measured to the plan's end: plain greens.
    plain = _measured(calm)
    assert "not verified" not in str(nothing_to_order(plain))
    assert only.split(":")[0] not in _visible(finance_page(plain))
    outcome = report_outcome(plain, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert "not verified beyond" not in _report_table_text(triggers=outcome.triggers)


def test_the_prefect_summary_says_each_green_pool_s_verified_day_as_the_cli_does() -> None:
    """The Prefect artifact's triggers table read "| us-east | all | green |" for the 120-day
    fleet at 26 weeks, where the CLI's row now reads "green to 2027-01-02 only: not verified
    beyond": it says the same."""
    from test_report import _measured

    from forecasting.runs.reports import report_summary_markdown

    calm = _calm()
    only = f"green to {_verified_to(calm)} only: not verified beyond"
    assert report_summary_markdown(calm, Path(".")).count(f"| {only} |") == calm.triggers.height
    assert "not verified beyond" not in report_summary_markdown(_measured(calm), Path("."))


def _red_past_measured() -> ReportInputs:
    """The sample with us-east's red (us-east/all) short 60 days out, past the 27 days its
    backtests measured, and its amber (eu-west/all) 10 days out, within them."""
    sample = _sited(sample_inputs())
    east = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    days = pl.when(east).then(60).otherwise(10)
    return replace(
        sample,
        triggers=sample.triggers.with_columns(
            exhaustion_date=pl.when(east | (pl.col("status") == "amber"))
            .then(pl.lit(sample.as_of) + pl.duration(days=days))
            .otherwise("exhaustion_date")
        ),
        power_triggers=sample.power_triggers.clear(),
    )


def test_a_red_row_short_past_the_measured_days_says_so_in_its_status_cell() -> None:
    """The headline read "red: us-east/all runs short ..., past the last day a backtest
    measured (...): not verified" while the finance page's orders table, the CLI's triggers
    table and the Prefect artifact read that pool's row a plain "red", its date beside it as
    if measured. Its status cell now keeps the colour first and says its shortfall rests on
    days no backtest measured; an amber short on a measured day reads plain, as before."""
    from test_cli import _report_table_text
    from test_report import _visible

    from forecasting.runs.reports import report_outcome, report_summary_markdown

    inputs = _red_past_measured()
    reach = _verified_to(inputs)
    said = f"red (runs short past {reach}: not verified†)"
    why = f"† Not verified past the last day a backtest measured ({reach})."
    amber = inputs.triggers.filter(pl.col("status") == "amber")
    assert amber.height and all(d <= date.fromisoformat(reach) for d in amber["exhaustion_date"])
    assert status_headline(inputs).startswith("red: us-east/all runs short")
    assert _visible(finance_page(inputs)).count(said) == 1
    assert _visible(finance_page(inputs)).count(why) == 1
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    shown = _report_table_text(triggers=outcome.triggers, unverified_note=outcome.unverified_note)
    assert shown.count(said) == 1, shown
    assert shown.count(why) == 1, shown
    summary = report_summary_markdown(inputs, Path("."))
    assert summary.count(f"| {said} |") == 1, summary
    assert summary.count(why) == 1, summary
    # The amber within the measured days: plain, everywhere.
    for text in (_visible(finance_page(inputs)), shown, summary):
        assert "amber (runs short" not in text
    # Measured to the plan's end: the red reads plain too.
    plain = _measured_all(inputs)
    outcome = report_outcome(plain, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert "(runs short past" not in _report_table_text(triggers=outcome.triggers)
    assert "(runs short past" not in _visible(finance_page(plain))


def _measured_all(inputs: ReportInputs) -> ReportInputs:
    """``inputs`` whose decision backtest measured the forecast's error 200 days ahead, past
    its daily rows' end (no monthly rows), demand above its q90 on 10 % of days: every day of
    the plan measured, and its q90 held. The regions' own series too: each region's statuses
    read its own backtests' day where they reach less (``region_verified_to``)."""
    from forecasting.report.inputs import HORIZON_ACCURACY_SCHEMA

    scored = pl.DataFrame(
        [{"unique_id": uid, "measure": "gpus", "horizon_days": 200, "mae": 1.0,
          "days": 200, "exceed_q90": 0.1}
         for uid in ("total", "total/us-east", "total/eu-west")]
    )  # fmt: skip
    accuracy = pl.concat([HORIZON_ACCURACY_SCHEMA.to_frame(), scored], how="diagonal_relaxed")
    return replace(inputs, horizon_accuracy=accuracy)


def _decision_rows(inputs: ReportInputs, **above_q90: float) -> ReportInputs:
    """``inputs`` with decision-backtest rows for its two regions at each horizon named
    ``d182``/``d364``: demand above q90 on that share of each region's days."""
    return _tail_rows(inputs, **{name: (share, None) for name, share in above_q90.items()})


def test_on_a_calibrated_plan_a_status_is_verified_as_far_as_its_backtests_held_the_q90() -> None:
    """On a plan whose band past the daily rows a decision backtest calibrated, every status
    read plain to the plan's end (Jan 2030 on the demo), while nothing scored a forecast past
    52 weeks and, 52 weeks out, the demo's regions' demand passed q90 on 20 % of days (us-east
    37 %): its eu-west greens, exhaustion Oct 2027, rested on a q90 its own backtest saw fail.
    A calibrated band is now verified as far as its backtests held the q90 (days above it
    within the target's 15 %, pooled over the regions), a red and a green alike: no decision
    row, the daily backtests' reach; held at 26 and 52 weeks, 52 weeks; held at 26 and missed
    at 52, 26 weeks, and the rows say what the 52-week backtest saw."""
    from test_report import _measured

    from forecasting.report.inputs import green_only, green_verified_to, shortfall_only

    inputs = _measured(_sited(sample_inputs()))
    late = date(2030, 1, 1)
    triggers = inputs.triggers.with_columns(
        status=pl.when(pl.col("region") == "eu-west")
        .then(pl.lit("red"))
        .otherwise(pl.lit("green")),
        exhaustion_date=pl.when(pl.col("region") == "eu-west").then(pl.lit(late)).otherwise(None),
        unverified_green=pl.lit(value=False),
    )
    calibrated = replace(
        inputs,
        triggers=triggers,
        power_triggers=inputs.power_triggers.clear(),
        forecast_months=_months(late),
    )
    assert calibrated.plan_calibrated
    daily = calibrated.as_of + timedelta(days=measured_reach(calibrated))
    cases = (
        (calibrated, daily, "the last day a backtest measured"),
        (_decision_rows(calibrated, d182=0.1, d364=0.12), None, "the last day a backtest measured"),
        (_decision_rows(calibrated, d182=0.1, d364=0.2), None, "the backtests held the q90"),
    )
    for case, expected, said in cases:
        verified = green_verified_to(case)
        held = case.horizon_accuracy["horizon_days"].filter(
            case.horizon_accuracy["exceed_q90"] <= 0.15
        )
        day = expected or case.as_of + timedelta(days=int(held.max()))  # type: ignore[arg-type]  # an int: rows above
        assert verified == day, (verified, day)
        headline = status_headline(case)
        assert headline.startswith("red: eu-west/all runs short Jan 2030"), headline
        assert said in headline and fmt_date(day) in headline, headline
        assert f"every other pool green to {fmt_date(day)} only: not verified beyond" in headline
        reds = case.triggers.select(shortfall_only(case)).to_series().drop_nulls()
        assert reds.len() == 2 and all(f"past {fmt_date(day)}" in r for r in reds), reds
        greens = case.triggers.select(green_only(case)).to_series().drop_nulls()
        assert greens.len() == 2 and all(fmt_date(day) in g for g in greens), greens
    missed = status_headline(cases[2][0])
    assert "52 weeks out the regions' demand passed q90 on 20% of days, against at most 15%" in (
        missed
    ), missed
    # Held past the plan's end: every status plain, as before.
    short = replace(cases[1][0], forecast_months=_months(date(2027, 1, 1)))
    short = replace(
        short,
        triggers=short.triggers.with_columns(
            exhaustion_date=pl.when(pl.col("region") == "eu-west")
            .then(pl.lit(date(2027, 1, 1)))
            .otherwise(None)
        ),
    )
    assert green_verified_to(short) is None
    assert status_headline(short) == (
        "red: eu-west/all runs short Jan 2027, eu-west/training Jan 2027"
    )
    assert "(runs short past" not in finance_page(short)


def _site_short_on(inputs: ReportInputs, *, in_service: float) -> ReportInputs:
    """``inputs`` with west-a red on power 150 days out, 10 MW energized then, its blocks in
    service that month ``in_service`` MW (the rest of its need: orders sized by the forecast)."""
    from test_report import _power_sites

    late = inputs.as_of + timedelta(days=150)
    power = _power_sites(("west-a", "eu-west", "red")).with_columns(
        exhaustion_date=pl.lit(late),
        contract_by=pl.lit(inputs.as_of - timedelta(days=30)),
        energized_mw_at_exhaustion=pl.lit(10.0),
        mw_needed_at_exhaustion=pl.lit(12.0),
        monthly_only=pl.lit(value=False),
    )
    month = pl.DataFrame(
        {"region": ["eu-west"], "site": ["west-a"], "month": [late.replace(day=1)]}
    ).with_columns(
        mw_in_service=pl.lit(in_service),
        mw_new_blocks=pl.lit(12.0 - in_service),
        mw_needed=pl.lit(12.0),
    )
    return replace(inputs, power_triggers=power, mw_by_site_month=month)


def test_a_red_site_short_of_power_only_for_orders_past_the_measured_days_says_not_verified() -> (
    None
):
    """A red site whose MW shortfall rested only on orders the forecast sized past the last day
    a backtest measured (its blocks in service within its energized MW that month) read a
    plain "red" on the facilities page and the CLI's power line, and kept the headline a plain
    "red": its date is a forecast's, not a plan fact. It now says "runs short past DAY, the
    last day a backtest measured: not verified" as a block trigger's row does; a site whose
    committed blocks alone outgrow its energized MW stays plain (dae19b9)."""
    from flows.tables import power_lines
    from forecasting.report.pages import facilities_page
    from forecasting.runs.reports import report_outcome

    sample = _sited(sample_inputs())
    reach = _verified_to(sample)
    said = f"(runs short past {reach}: not verified†)"
    why = f"† Not verified past the last day a backtest measured ({reach})."
    # Every block trigger within the measured days: the site's red alone is past them.
    calm = sample.triggers.with_columns(status=pl.lit("green"))
    orders = _site_short_on(replace(sample, triggers=calm), in_service=8.0)
    plan_fact = _site_short_on(replace(sample, triggers=calm), in_service=11.0)
    # The greens' clause follows, as beside a block trigger's red.
    assert status_headline(orders).startswith(
        f"red: west-a's power runs short {fmt_date(orders.power_triggers['exhaustion_date'][0])}"
        f", past the last day a backtest measured ({reach}): not verified; "
    )
    fact = fmt_date(plan_fact.power_triggers["exhaustion_date"][0])
    assert status_headline(plan_fact).startswith(f"red: west-a's power runs short {fact}; ")
    assert html_text(said) in facilities_page(orders)
    assert html_text(why) in facilities_page(orders)
    assert html_text(said) not in facilities_page(plan_fact)
    for inputs, shown in ((orders, True), (plan_fact, False)):
        outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
        assert (said in power_lines(outcome)[0]) is shown, power_lines(outcome)
        assert (why in power_lines(outcome)) is shown, power_lines(outcome)


def _calibrated_greens() -> ReportInputs:
    """The sample run measured to its daily rows' end, every pool green, no power trigger, and
    monthly rows to January 2030 on a calibrated band."""
    from test_report import _measured

    inputs = _measured(_sited(sample_inputs()))
    return replace(
        inputs,
        triggers=inputs.triggers.with_columns(
            status=pl.lit("green"), exhaustion_date=None, unverified_green=pl.lit(value=False)
        ),
        power_triggers=inputs.power_triggers.clear(),
        forecast_months=_months(date(2030, 1, 1)),
    )


def test_on_a_calibrated_plan_the_idle_card_and_the_statuses_end_on_one_day() -> None:
    """On a plan whose band a decision backtest calibrated, the statuses read plain to the
    plan's end while the idle card beside them read "not verified past 2026-12-18", and the
    card then had to explain why the same days were verified for P90 and not for P10. The
    statuses are now verified only as far as a backtest measured (and held the q90): the
    greens and the idle card end on that one day, and the card reads as any other."""

    from forecasting.report.inputs import green_verified_to, low_verified_to
    from forecasting.report.pages.finance import idle_risk_card, idle_risk_line

    calibrated = _calibrated_greens()
    day = low_verified_to(calibrated)
    assert calibrated.plan_calibrated and day is not None
    assert green_verified_to(calibrated) == day
    assert status_headline(calibrated).startswith(f"green to {fmt_date(day)} only")
    said = f"not verified past {fmt_date(day)}: no backtest measured the forecast's error there"
    assert idle_risk_card(calibrated)[0].endswith(f"; {said}")
    assert html_text(said) in finance_page(calibrated)
    assert (
        f"1 of the 2 blocks judged on days past {fmt_date(day)}, where no backtest measured "
        "the forecast's error: not verified there"
    ) in idle_risk_line(calibrated)
    assert "P10 not verified" not in finance_page(calibrated)


def test_a_new_site_s_run_out_day_past_the_verified_days_says_it_is_not_verified() -> None:
    """On a run verified to 2026-12-18 only, a pool's red short in Jan 2027 read "(runs short
    past 2026-12-18, the last day a backtest measured: not verified)" while the construction
    trigger on the same forecast read a plain "start a new site by ... (red ...)" for ceilings
    running out weeks later, on the facilities page, the finance page and the terminal: the
    same days verified on one line and not on the next. A run-out day past the verified days
    says so, and a region whose ceilings hold to the plan's end says how far that is verified."""
    from test_construction import _rows

    from forecasting.report.inputs import green_verified_to
    from forecasting.report.pages import facilities_page
    from forecasting.runs.reports import report_outcome

    sample = _sited(sample_inputs())
    verified = green_verified_to(sample)
    assert verified is not None
    late = verified + timedelta(days=40)
    dated = _rows({"build_months": 12, "cost_per_mw_usd": 10e6}).with_columns(
        as_of=pl.lit(sample.as_of),
        exhaustion_date=pl.lit(late),
        exhaustion_monthly=pl.lit(value=False),
        start_by=pl.lit(sample.as_of - timedelta(days=30)),
        status=pl.lit("red"),
    )
    inputs = replace(sample, construction=dated)
    said = f"(ceilings run out past {fmt_date(verified)}: not verified†)"
    why = f"† Not verified past the last day a backtest measured ({fmt_date(verified)})."
    for page in (facilities_page, finance_page):
        assert html_text(said) in page(inputs), page.__name__
        assert html_text(why) in page(inputs), page.__name__
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert said in outcome.construction[0], outcome.construction
    # Within the verified days: plain, as before.
    near = replace(inputs, construction=dated.with_columns(exhaustion_date=pl.lit(verified)))
    assert "ceilings run out past" not in facilities_page(near)
    # Ceilings that hold to the plan's end: verified to the run's day only.
    held = dated.with_columns(
        exhaustion_date=pl.lit(None, pl.Date),
        start_by=pl.lit(None, pl.Date),
        status=pl.lit("green"),
    )
    outcome = report_outcome(
        replace(sample, construction=held),
        SimpleNamespace(run_id="t"),
        Path("."),  # type: ignore[arg-type]
    )
    assert f"(to {fmt_date(verified)} only: not verified beyond)" in outcome.construction[0]


def test_the_n_plus_one_dates_past_the_verified_days_say_they_are_not_verified() -> None:
    """On a run verified to 2027-01-02 only (a 150-day synth fleet) the headline read "us-east/all
    (runs short) 2027-02-05, past the last day a backtest measured (2027-01-02): not verified"
    while the terminal's next lines read "n+1: us-east is short from 2027-02-01 if it loses
    us-east-pod-02 (1,024 GPUs); without the loss its first shortfall is 2027-02-05", the same
    date plain, and the platform page's N+1 table the same. Dates past the verified day say so,
    with the day and the marker (the reason is said once, in the note after the lines)."""
    import html

    from forecasting.report.inputs import N_PLUS_ONE_SCHEMA, green_verified_to, n_plus_one_lines
    from forecasting.report.pages import platform_page

    sample = _sited(sample_inputs())
    verified = green_verified_to(sample)
    assert verified is not None
    region = sample.triggers["region"][0]

    def checked(short: date, anyway: date) -> ReportInputs:
        triggers = sample.triggers.with_columns(
            exhaustion_date=pl.when(pl.col("region") == region).then(pl.lit(anyway)).otherwise(None)
        )
        rows = [(region, f"{region}-pod-01", 1024, False, short, 5000.0)]
        n_plus_one = pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row")
        return replace(sample, triggers=triggers, n_plus_one=n_plus_one)

    why = f"past {fmt_date(verified)}: not verified†"
    late = checked(verified + timedelta(days=20), verified + timedelta(days=40))
    (line,) = n_plus_one_lines(late)
    assert line.endswith(f"; both dates {why}"), line
    (line,) = n_plus_one_lines(checked(verified - timedelta(days=5), verified + timedelta(days=40)))
    assert line.endswith(f"; the date without the loss {why}"), line
    (line,) = n_plus_one_lines(checked(verified - timedelta(days=9), verified - timedelta(days=5)))
    assert "not verified" not in line
    page = html.unescape(platform_page(late))
    assert f"{fmt_date(verified + timedelta(days=20))} (not verified)" in page
    assert f"{fmt_date(verified + timedelta(days=40))} (not verified)" in page


def test_the_triggers_download_shows_each_status_as_the_pages_do(tmp_path: Path) -> None:
    """triggers.csv's ``status_shown`` ("the status the pages show") read a plain "green" and
    "red" for a run verified to 2026-12-18 only, while the finance page and the CLI read the
    same rows "green to 2026-12-18 only: not verified beyond" and "red (runs short past
    2026-12-18, ...: not verified)". It now says what the pages say after the colour; the
    stored ``status`` stays as it was."""
    from forecasting.report.inputs import status_only
    from forecasting.report.publish import publish_report

    inputs = _sited(sample_inputs())
    folder = publish_report(inputs, root=tmp_path)
    shown = pl.read_csv(folder / "triggers.csv").select("region", "pool", "status", "status_shown")
    said = inputs.triggers.select("region", "pool", only=status_only(inputs))
    rows = shown.join(said, on=["region", "pool"]).iter_rows(named=True)
    checked = 0
    for r in rows:
        if r["only"] is None:
            assert r["status_shown"] == r["status"]
            continue
        assert r["status_shown"] == f"{r['status']} {r['only']}"
        checked += 1
    assert checked
    # The sample's backtests scored 27 days ahead (test_report's sample).
    assert "green to 2026-12-19 only: not verified beyond" in set(shown["status_shown"])


def test_the_orders_download_shows_each_status_as_its_pool_s_row_does(tmp_path: Path) -> None:
    """orders.csv's ``status_shown`` read a plain "green" on every order of a pool that
    triggers.csv, the finance page and the CLI read "green to 2026-12-18 only: not verified
    beyond", and a plain "red" on a new site whose ceilings run out past that day, which the
    facilities page says is not verified. An order now shows its pool's status as
    triggers.csv does, and a new site's row what its construction line says."""
    from test_report import _planned

    from forecasting.report.inputs import construction_only
    from forecasting.report.publish import publish_report

    sample = _sited(sample_inputs())
    inputs = replace(sample, placements=_planned(sample, later_capex=1e8))
    folder = publish_report(inputs, root=tmp_path)
    pools = pl.read_csv(folder / "triggers.csv").select("region", "pool", "status_shown")
    orders = pl.read_csv(folder / "orders.csv")
    # A trigger's own order shows its pool's words; a later one its own shortfall's (below).
    placed = orders.filter(pl.col("tranche") == 1).select("region", "pool", "status_shown")
    assert placed.height
    joined = placed.join(pools, on=["region", "pool"], suffix="_pool")
    assert joined.height == placed.height
    assert (joined["status_shown"] == joined["status_shown_pool"]).all(), joined
    assert any("not verified" in s for s in joined["status_shown"])
    later = orders.filter(pl.col("tranche") > 1)
    assert later.height and all("not verified" in s for s in later["status_shown"]), later
    # A new site whose ceilings run out past the verified day.
    late = inputs.as_of + timedelta(days=400)
    site = pl.DataFrame(
        {"region": ["eu-west"], "status": ["red"], "start_by": [inputs.as_of],
         "exhaustion_date": [late], "exhaustion_monthly": [True], "mw_past_ceilings": [20.0],
         "cost_usd": [2.5e8], "ceilings_mw": [40.0], "build_months": [30], "buffer_weeks": [4],
         "ready_if_started_today": [inputs.as_of + timedelta(days=913)]}
    )  # fmt: skip
    construction = pl.concat([inputs.construction.clear(), site], how="diagonal_relaxed")
    built = replace(inputs, construction=construction)
    folder = publish_report(built, root=tmp_path / "built")
    row = pl.read_csv(folder / "orders.csv").filter(pl.col("pool").is_null()).row(0, named=True)
    (only,) = construction.select(construction_only(built)).to_series().to_list()
    assert only is not None and row["status_shown"] == f"red {only}", row


def test_an_order_whose_status_is_not_its_pool_s_shows_its_own_in_the_download(
    tmp_path: Path,
) -> None:
    """A fleet 3x over its plan read, in one orders.csv row, ``status`` "green" beside
    ``status_shown`` "red" for a later pod order due 2026-12-23 (and "red" beside "amber" on a
    2-week run): every order took its pool's shown status, while the facilities page showed
    the order's own ("later order green"). An order whose status is its pool's still shows
    the pool's words; one whose status differs shows its own."""
    from test_report import _planned

    from forecasting.report.publish import publish_report

    sample = _sited(sample_inputs())
    planned = _planned(sample, later_capex=1e8)
    pool_status = planned.row(0, named=True)["status"]
    other = "green" if pool_status != "green" else "red"
    planned = planned.with_columns(
        status=pl.when(pl.col("tranche") == 2).then(pl.lit(other)).otherwise(pl.col("status"))
    )
    folder = publish_report(replace(sample, placements=planned), root=tmp_path)
    pools = pl.read_csv(folder / "triggers.csv").select("region", "pool", "status_shown")
    orders = pl.read_csv(folder / "orders.csv").filter(pl.col("pool").is_not_null())
    joined = orders.join(pools, on=["region", "pool"], suffix="_pool")
    later = joined.filter(pl.col("tranche") == 2).row(0, named=True)
    # Its own colour, and how far its own shortfall is verified, as the pages say it.
    assert later["status"] == other and later["status_shown"].startswith(other), later
    assert later["status_shown"] != later["status_shown_pool"], later
    first = joined.filter(pl.col("tranche") == 1)
    assert (first["status_shown"] == first["status_shown_pool"]).all(), first


def test_the_fan_chart_s_calibrated_band_says_its_calibration_scores_q90_only() -> None:
    """The platform page's monthly band read "monthly peak q10–q90 (calibrated at 26 weeks
    only)", as if both ends were calibrated, while the decision backtests choose its scale on
    how often demand passes q90 alone (the idle card: "P10 not verified past ...: the
    calibration ... scores the band's upper tail only"). The legend says which end."""
    from test_report import _fan_frames

    from forecasting.report.figures import fan_chart

    chart = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, **_fan_frames([95.0, 105.0, 99.0])
    )
    assert chart is not None
    names = [trace.name for trace in chart.figure.data]
    assert "monthly peak q10–q90 (q90 calibrated at 26 weeks only)" in names


def test_a_green_no_backtest_measured_says_so_rather_than_green_to_the_as_of_day() -> None:
    """A 21-day fleet (no backtest: too little history) read "green to 2026-12-05 only: not
    verified beyond" on the CLI, the front page and every green row of the finance page, where
    2026-12-05 was the last history day: a date that looks measured where nothing was. Its
    red already read "runs short where no backtest measured the forecast's error: not
    verified"; its greens now say the same, and the nothing-to-order line too."""
    from forecasting.report.inputs import status_only
    from forecasting.report.pages.finance import nothing_to_order

    calm = _calm("placements", "backtest", "horizon_accuracy")
    assert measured_reach(calm) == 0
    as_of = fmt_date(calm.as_of)
    said = "green (no backtest measured the forecast's error: not verified)"
    assert status_headline(calm) == said
    cells = calm.triggers.select(status_only(calm)).to_series().to_list()
    assert (
        cells
        == ["(no backtest measured the forecast's error: not verified)"] * calm.triggers.height
    )
    for text in (str(nothing_to_order(calm)), finance_page(calm), run_index_page(calm)):
        assert f"to {as_of} only" not in text and f"past {as_of}" not in text
    assert "(not verified: no backtest measured the forecast's error)" in str(
        nothing_to_order(calm)
    )


def test_ceilings_that_hold_where_no_backtest_measured_say_so_rather_than_to_the_as_of_day() -> (
    None
):
    """A 15-day fleet (no backtest: too little history) read "construction: eu-west, us-east,
    us-west stay within their sites' ceilings through 2027-06-06, the plan's end (to
    2026-12-06 only: not verified beyond)" on the terminal, the facilities and the finance
    page, where 2026-12-06 was the last history day: a day that looks verified where nothing
    was, beside greens reading "no backtest measured the forecast's error: not verified". The
    construction line now says the same as the greens."""
    from test_construction import _rows

    from forecasting.report.inputs import construction_only
    from forecasting.report.pages import facilities_page
    from forecasting.runs.reports import report_outcome

    calm = _calm("placements", "backtest", "horizon_accuracy")
    assert measured_reach(calm) == 0
    held = _rows({"build_months": 12, "cost_per_mw_usd": 10e6}).with_columns(
        as_of=pl.lit(calm.as_of),
        exhaustion_date=pl.lit(None, pl.Date),
        exhaustion_monthly=pl.lit(value=False),
        start_by=pl.lit(None, pl.Date),
        status=pl.lit("green"),
    )
    inputs = replace(calm, construction=held)
    said = "(no backtest measured the forecast's error: not verified)"
    cells = held.select(construction_only(inputs)).to_series().to_list()
    assert cells == [said] * held.height, cells
    as_of = fmt_date(calm.as_of)
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert said in outcome.construction[0], outcome.construction
    for text in (facilities_page(inputs), finance_page(inputs), *outcome.construction):
        assert f"to {as_of} only" not in text, text


def test_a_red_headline_names_what_is_red_where_its_dates_are_measured_or_mixed() -> None:
    """The demo's report (`fleetcast demo`, and at `--horizon 1w`) printed "worst trigger
    status, blocks and power: red; every other pool green to 2027-06-06 only: ..." on the CLI
    and the front page: "every other" than no pool named, for a red whose shortfall was
    measured (us-east/all short 2027-04-08), or whose sites were short of power by a fact of
    the plan beside pools short past the verified days. The headline names the pools and
    sites of its worst status, as it already did where every date was past the verified days,
    each date past them marked "(not verified)"."""
    from test_report import _power_sites

    sample = _sited(sample_inputs())
    measured = replace(
        sample,
        triggers=sample.triggers.with_columns(
            exhaustion_date=pl.when(pl.col("status") == "red")
            .then(pl.lit(date(2026, 12, 10)))
            .otherwise(pl.col("exhaustion_date"))
        ),
    )
    assert status_headline(measured).startswith("red: us-east/all runs short 2026-12-10; "), (
        status_headline(measured)
    )
    late = sample.as_of + timedelta(days=150)
    power = _power_sites(("west-a", "eu-west", "red")).with_columns(exhaustion_date=pl.lit(late))
    mixed = status_headline(replace(sample, power_triggers=power))
    assert mixed.startswith(
        f"red: us-east/all runs short Mar 2027 (not verified), west-a's power {fmt_date(late)}; "
    ), mixed
    # The pools before the sites: the demo at --horizon 1w read "red: us-east-a's power runs
    # short 2026-12-06, us-west-a's power ..., us-west-b's power 2028-03-04 and 4 more", its
    # two red pools among the "4 more".
    early = sample.as_of + timedelta(days=10)
    sites = _power_sites(*((f"s{i}", "eu-west", "red") for i in range(4))).with_columns(
        exhaustion_date=pl.lit(early)
    )
    many = status_headline(replace(sample, power_triggers=sites))
    assert many.startswith(
        f"red: us-east/all runs short Mar 2027 (not verified), s0's power {fmt_date(early)}, "
        f"s1's power {fmt_date(early)}, s2's power {fmt_date(early)} and 1 more; "
    ), many


def test_every_other_pool_is_said_green_only_where_every_other_pool_is_green() -> None:
    """A red headline read "red: us-east/all runs short Mar 2027, ...: not verified; every
    other pool green to 2026-12-18 only: not verified beyond", while us-east/training was
    amber (its order-by inside the buffer): "every other pool green" was not so. Beside a
    pool of another colour the greens are named; where every other pool is green it reads
    as before."""
    sample = _sited(sample_inputs())
    assert set(sample.triggers["status"]) == {"red", "amber", "green"}
    said = status_headline(sample)
    assert "every other pool green" not in said, said
    assert "; eu-west/all, eu-west/training green to " in said, said
    calm = replace(
        sample,
        triggers=sample.triggers.with_columns(
            status=pl.when(pl.col("status") == "amber").then(pl.lit("green")).otherwise("status")
        ),
    )
    assert "; every other pool green to " in status_headline(calm), status_headline(calm)


def _tail_rows(inputs: ReportInputs, **tails: tuple[float, float | None]) -> ReportInputs:
    """``inputs`` with decision-backtest rows for its two regions at each horizon named
    ``d182``/``d364``: demand above q90 and below q10 on those shares of each region's days
    (below None: no coverage measured)."""
    from forecasting.report.inputs import HORIZON_ACCURACY_SCHEMA

    rows = [
        {"unique_id": f"total/{region}", "measure": "peak", "horizon_days": int(name[1:]),
         "cutoff": inputs.as_of - timedelta(days=int(name[1:])), "model": "combination",
         "days": int(name[1:]), "mae": 1.0, "exceed_q90": above,
         "coverage_80": None if below is None else 1.0 - above - below}
        for name, (above, below) in tails.items()
        for region in ("us-east", "eu-west")
    ]  # fmt: skip
    schema = HORIZON_ACCURACY_SCHEMA
    scored = pl.DataFrame(rows, schema_overrides={"coverage_80": pl.Float64})
    scored = scored.cast({k: v for k, v in schema.items() if k in rows[0]})
    scored = pl.concat([schema.to_frame(), scored], how="diagonal")
    return replace(inputs, horizon_accuracy=scored)


def test_the_idle_card_is_verified_as_far_as_the_p10_held_and_says_the_statuses_day_apart() -> None:
    """The idle card counted its P10 verified wherever a backtest measured the error, however
    often demand fell below it there: a P10 demand fell below on 30 % of days 52 weeks out read
    "not verified past" the 52nd week, understating the capital at idle risk. And on the demo
    the card read "not verified past 2027-12-05" beside greens "to 2027-06-06 only", the two
    days unexplained. The P10 is now verified as far as the regions' q10 held (days below it
    within the target's 15 %), and the card names the statuses' day where it differs."""

    from forecasting.report.inputs import green_verified_to, low_verified_to
    from forecasting.report.pages.finance import idle_risk_card, idle_risk_line

    calibrated = _calibrated_greens()
    late = calibrated.as_of + timedelta(days=300)
    calibrated = replace(
        calibrated, idle_risk=calibrated.idle_risk.with_columns(in_service=pl.lit(late))
    )
    half, year = (fmt_date(calibrated.as_of + timedelta(days=d)) for d in (182, 364))
    low_missed = _tail_rows(calibrated, d182=(0.1, 0.1), d364=(0.1, 0.3))
    assert fmt_date(low_verified_to(low_missed)) == half  # type: ignore[arg-type]  # a day here
    assert fmt_date(green_verified_to(low_missed)) == year  # type: ignore[arg-type]  # a day here
    said = (
        f"not verified past {half}: 52 weeks out the regions' demand fell below q10 on 30% of "
        f"days, against at most 15% (the q90 the statuses read held to {year})"
    )
    assert idle_risk_card(low_missed)[0].endswith(f"; {said}"), idle_risk_card(low_missed)[0]
    assert html_text(said) in finance_page(low_missed)
    assert (
        f"days past {half}, past the last day the backtests held the q10 (52 weeks out"
    ) in idle_risk_line(low_missed)
    high_missed = _tail_rows(calibrated, d182=(0.1, 0.1), d364=(0.2, 0.05))
    assert fmt_date(low_verified_to(high_missed)) == year  # type: ignore[arg-type]  # a day here
    said = (
        f"not verified past {year}: no backtest measured the forecast's error there (the q90 "
        f"the statuses read held to {half} only)"
    )
    assert idle_risk_card(high_missed)[0].endswith(f"; {said}"), idle_risk_card(high_missed)[0]
    both = _tail_rows(calibrated, d182=(0.1, 0.1), d364=(0.1, 0.1))
    assert idle_risk_card(both)[0].endswith(
        f"; not verified past {year}: no backtest measured the forecast's error there"
    ), idle_risk_card(both)[0]


def test_the_n_plus_one_lines_say_their_reason_once_after_them() -> None:
    """The demo's terminal read "n+1: eu-west is short from Sep 2027 ...; both dates past the
    last day the backtests held the q90 (2027-06-06), which 52 weeks out the regions' demand
    passed on 20% of days, against at most 15%: not verified", the ~35-word reason in every
    n+1 line (and once more in the note above them). Each line now says the day and the
    marker, and the note follows the last of them, once."""
    from flows.tables import power_lines
    from forecasting.report.inputs import N_PLUS_ONE_SCHEMA, green_verified_to, unverified_note
    from forecasting.runs.reports import report_outcome

    sample = _sited(sample_inputs())
    verified = green_verified_to(sample)
    assert verified is not None
    rows = [
        (region, f"{region}-pod-01", 1024, False, verified + timedelta(days=20), 5000.0)
        for region in ("us-east", "eu-west")
    ]
    late = replace(
        sample,
        triggers=sample.triggers.with_columns(
            exhaustion_date=pl.lit(verified + timedelta(days=40))
        ),
        n_plus_one=pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row"),
    )
    outcome = report_outcome(late, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    lines = power_lines(outcome)
    shown = [line for line in lines if line.startswith("n+1:")]
    assert len(shown) == 2, lines
    assert all(line.endswith(f"past {fmt_date(verified)}: not verified†") for line in shown)
    note = unverified_note(late)
    assert note.startswith("† Not verified past the last day a backtest measured")
    assert lines[-1] == note and lines.count(note) == 1, lines
    assert not any("the last day a backtest measured" in line for line in shown), shown
