"""The deal and the demand it adds: the contract from the CLI's words, the forecast with it, and
what it adds over the customer's own forecast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import polars as pl

from forecasting import hierarchy
from forecasting.calendar import month_end
from forecasting.contracts import (
    Contract,
    ContractBook,
    ContractStatus,
    Step,
    floor_lift,
    ramp_steps,
)
from forecasting.schema import Measure, WorkloadClass
from forecasting.text import days_count
from forecasting.triggers.common import MonthsNotKnown, MonthsRefused, daily_only_words

__all__ = ["DEAL_ID", "DealError", "deal_contract", "with_deal", "with_region_levels"]

DEAL_ID = "what-if"


VALUE_COLUMNS = ("mean", "q10", "q50", "q90", "q99")


class DealError(ValueError):
    """The deal cannot be weighed against this plan and forecast; the message says why and
    what to change (a region the plan lacks, a term over before the forecast starts)."""


ASSUMED_TERM = "no end given: the term is taken to end five years after the last ramp step"


def deal_contract(
    *,
    customer: str,
    workload_class: str,
    region: str,
    ramp: str,
    until: date | None = None,
    price_per_gpu_hour: float | None = None,
) -> Contract:
    """The deal as a signed contract; ``ramp`` is ``2027-03-01:5000,2027-09-01:20000``.

    Without ``until`` the term runs to the last ramp day plus five years (a typical GPU
    reservation), which the answer states. Bad input raises ContractRuleError naming the field.
    """
    steps: tuple[Step, ...] = ramp_steps(ramp)
    end = until if until is not None else _years_after(steps[-1].day if steps else date.min, 5)
    return Contract(
        id=DEAL_ID,
        customer=customer,
        workload_class=WorkloadClass(workload_class),
        region=region,
        ramp=steps,
        term_end=end,
        status=ContractStatus.SIGNED,
        price_per_gpu_hour=price_per_gpu_hour,
        description=None if until is not None else ASSUMED_TERM,
    )


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def grain_column(forecast: pl.DataFrame) -> pl.Expr:
    return pl.col("grain") if "grain" in forecast.columns else pl.lit("day")


def _ramp_by_row(forecast: pl.DataFrame, contracts: Sequence[Contract]) -> pl.DataFrame:
    """(ds, grain, ramp, ramp_days): the contracts' GPUs together on each daily row, their
    largest in a monthly row's month (a peak-measure month is its peak day), and each day's
    (``ramp_days``: a mean-measure month is its average day)."""
    rows = forecast.select("ds", grain_column(forecast).alias("grain")).unique()

    def held(day: date) -> float:
        return float(sum(c.gpus_on(day) for c in contracts))

    by_day = []
    for ds, grain in rows.iter_rows():
        if grain == "month":
            last = month_end(ds)
            by_day.append([held(ds + timedelta(days=d)) for d in range((last - ds).days + 1)])
        else:
            by_day.append([held(ds)])
    days = pl.Series("ramp_days", by_day, dtype=pl.List(pl.Float64))
    return rows.with_columns(days, days.list.max().alias("ramp"))


def with_region_levels(forecast: pl.DataFrame, deal: Contract) -> pl.DataFrame:
    """``forecast`` with zero demand rows for the deal's region and region-class levels where
    it has none (a region the plan has but telemetry does not), at every (ds, measure, grain)
    of the forecast; unchanged where both exist.

    Without them the deal's demand reached no pool: 100,000 training GPUs in a region with one
    dark 64-GPU rack read "served from its first day ... needs no extra block". With them the
    region's pools carry nothing without the deal and the ramp alone with it, and the triggers
    weigh it against the region's blocks, sites and candidates like any other."""
    names = hierarchy.levels_of(deal.unique_id)
    missing = [
        uid
        for uid in (hierarchy.id_of(*names[:1]), hierarchy.id_of(*names[:2]))
        if forecast.filter(pl.col("unique_id") == uid).is_empty()
    ]
    if not missing:
        return forecast
    values = [c for c in VALUE_COLUMNS if c in forecast.columns]
    keys = [c for c in ("run_id", "ds", "measure", "grain") if c in forecast.columns]
    frame = forecast.select(keys).unique()
    zeros = pl.concat(
        [
            frame.with_columns(
                pl.lit(uid).alias("unique_id"),
                pl.lit("none: no telemetry in the region").alias("model"),
                *(pl.lit(0.0).alias(v) for v in values),
            )
            for uid in missing
        ]
    )
    return pl.concat([forecast, zeros.select(forecast.columns).cast(forecast.schema)])


def with_deal(
    forecast: pl.DataFrame,
    deal: Contract,
    *,
    book: ContractBook | None = None,
    incremental: bool = False,
) -> pl.DataFrame:
    """``forecast`` (FORECAST_SCHEMA rows, optional ``grain``) with the deal as signed demand.

    See the module docstring: the floor on the deal's own series, the same lift on every
    level above it, quantile by quantile, and a new series when the customer is unknown.
    ``book``'s signed contracts on the same series (already floors in ``forecast``) add up
    with the deal into one floor, so an expansion lifts demand above what is signed.
    ``incremental``: the deal is a pipeline deal signing on every path, its ramp added on
    top of the series' demand (floors included) at every quantile, as the book adds a
    pipeline deal where it signs (:mod:`forecasting.contracts`), not a floor under it.
    """
    own_id = deal.unique_id
    names = hierarchy.levels_of(own_id)
    ancestors = [hierarchy.id_of(*names[:depth]) for depth in (0, 1, 2)]
    values = [c for c in VALUE_COLUMNS if c in forecast.columns]
    signed = [
        c
        for c in (book.signed if book is not None and not incremental else ())
        if c.unique_id == own_id and c.id != deal.id
    ]
    ramp = _ramp_by_row(forecast, [*signed, deal])
    grain = grain_column(forecast)
    keys = ["ds", "measure", "grain"]
    framed = forecast.with_columns(grain.alias("grain"))
    own_daily = framed.filter((pl.col("unique_id") == own_id) & (pl.col("grain") == "day"))
    own_monthly = framed.filter((pl.col("unique_id") == own_id) & (pl.col("grain") == "month"))
    # Past the daily rows a customer without monthly rows is held at its last daily forecast.
    held = (
        own_daily.sort("ds")
        .group_by("measure")
        .agg(pl.col(v).last() for v in values)
        .join(
            framed.filter(pl.col("grain") == "month").select("ds", "measure").unique(), on="measure"
        )
        .with_columns(pl.lit("month").alias("grain"))
        .join(own_monthly.select("ds", "measure"), on=["ds", "measure"], how="anti")
    )
    own = pl.concat(
        [
            own_daily.select(*keys, *values),
            own_monthly.select(*keys, *values),
            held.select(*keys, *values),
        ]
    )
    rows = framed.select(*keys).unique().join(ramp, on=["ds", "grain"])
    rows = rows.join(own, on=keys, how="left")
    average_day = (pl.col("measure") == Measure.MEAN.value) & (pl.col("grain") == "month")
    # A month's average day is lifted day by day, then averaged: a ramp from mid-month lifts
    # half of it (its largest count would lift the whole month).
    lifts = pl.concat(
        [
            rows.filter(~average_day).select(
                *keys,
                *(
                    (pl.col("ramp") if incremental else floor_lift(v, "ramp")).alias(f"lift_{v}")
                    for v in values
                ),
            ),
            rows.filter(average_day)
            .explode("ramp_days")
            .group_by(keys)
            .agg(
                (pl.col("ramp_days") if incremental else floor_lift(v, "ramp_days"))
                .mean()
                .alias(f"lift_{v}")
                for v in values
            ),
        ]
    )
    touched = pl.col("unique_id").is_in([*ancestors, own_id])
    lifted = (
        framed.join(lifts, on=keys, how="left")
        .with_columns(
            pl.when(touched)
            .then(pl.col(v) + pl.col(f"lift_{v}").fill_null(0.0))
            .otherwise(pl.col(v))
            for v in values
        )
        .drop([f"lift_{v}" for v in values])
    )
    if own_daily.height == 0:
        # Monthly rows too: in a region with a dedicated block the shared pool's peak is
        # bounded by its customers' own peaks, monthly rows included, and a new customer with
        # daily rows only fell out of that bound past them (100,000 training GPUs in us-east
        # from January read "needs no extra block" at $0).
        new_rows = lifts.select(
            pl.lit(own_id).alias("unique_id"),
            *keys,
            pl.lit("contract").alias("model"),
            *(pl.col(f"lift_{v}").alias(v) for v in values),
        ).filter(pl.col("mean") > 0)
        lifted = pl.concat([lifted, new_rows], how="diagonal_relaxed")
    out = lifted.select(forecast.columns)
    return out.cast(forecast.schema)


def forecast_end(forecast: pl.DataFrame) -> date:
    """The last day the forecast covers: its last daily day, or its last month's end."""
    end: date = forecast["ds"].max()  # type: ignore[assignment]
    if "grain" in forecast.columns:
        months = forecast.filter(pl.col("grain") == "month")
        if months.height:
            last: date = months["ds"].max()  # type: ignore[assignment]
            end = month_end(last)
    return end


def from_forecast_start(
    deal: Contract, forecast: pl.DataFrame, *, as_of: date
) -> tuple[Contract, list[str], str]:
    """The deal weighed from the forecast's first day, and a note when that moved its ramp.

    A deal weighed today serves and earns nothing before the forecast starts: ramp steps
    dated earlier become one step on the first day, at the count in force then. A term that
    ends before that day leaves nothing to weigh, which is an error naming the fix.

    A ramp that starts before the as-of date reads as a deal already running, which telemetry
    would show: that is a warning (the third value, '' otherwise), not a refusal, as a
    pipeline deal dated before its run is weighed the same way. It says what was weighed
    instead: a customer the forecast knows is floored, so only GPUs beyond what it runs are
    added; a customer it does not know adds the ramp in full (S18: a ramp from a year before
    the as-of date was weighed without a word on the headline).
    """
    # The daily rows' first day: a monthly row is dated by its month's first day, which reads
    # days before the forecast starts ("the forecast's first day (2026-12-01)" of a run whose
    # first day is 2026-12-04).
    daily = forecast.filter(grain_column(forecast) == "day")
    first: date = (daily if daily.height else forecast)["ds"].min()  # type: ignore[assignment]
    if deal.term_end < first:
        assumed = " (no end was given: five years after the last ramp step)"
        raise DealError(
            f"the deal's term ends on {deal.term_end}, before the forecast's first day "
            f"({first}): nothing to weigh; give a later end with --until"
            + (assumed if deal.description == ASSUMED_TERM else "")
        )
    if deal.ramp[0].day >= first:
        return deal, [], ""
    now = deal.gpus_on(first)
    later = tuple(step for step in deal.ramp if step.day > first)
    steps = (Step(first, now), *later)
    if deal.ramp[0].day >= as_of:
        note = (
            f"the ramp starts on {deal.ramp[0].day}, before the forecast's first day "
            f"({first}): it is weighed from {first}, at the {now:,} GPUs in force then; "
            "nothing before is served or counted as revenue"
        )
        return replace(deal, ramp=steps), [note], ""
    known = forecast.filter(pl.col("unique_id") == deal.unique_id).height > 0
    weighed = (
        f"the ramp is a floor under {deal.customer}'s own forecast there (what telemetry shows "
        "it runs), so only GPUs beyond it are added"
        if known
        else f"telemetry shows no {deal.workload_class} GPUs of {deal.customer} in "
        f"{deal.region}, so they are weighed as new demand on top of what the fleet runs (if "
        "they already run under another customer's name, they are counted twice)"
    )
    note = (
        f"warning: the ramp starts on {deal.ramp[0].day}, "
        f"{days_count((as_of - deal.ramp[0].day).days)} before the as-of date ({as_of}), "
        f"as if the deal were already running; {weighed}; it is weighed from the forecast's "
        f"first day ({first}), at the {now:,} GPUs in force then; nothing before is served or "
        "counted as revenue"
    )
    return replace(deal, ramp=steps), [note], note


def check_weighable(
    deal: Contract,
    *,
    horizon_end: date,
    monthly: bool,
    months_refused: MonthsRefused | MonthsNotKnown | None = None,
) -> None:
    """Refuse a deal with nothing to weigh in the plan: no GPUs, or none before its end.
    ``monthly``: whether the forecast has monthly rows; without them --horizon-months alone
    may not lengthen the plan (a 45-day fleet is too young for monthly rows).
    ``months_refused``: why the run has none, as it stored it (TriggerSettings'); the
    refusal read "history too short, or made with --horizon-months 0" where the run knew
    which."""
    held = [s for s in deal.ramp if s.gpus > 0]
    if not held:
        raise DealError("the ramp holds 0 GPUs at every step: there is no demand to weigh")
    if held[0].day > horizon_end:
        longer = (
            "(`fleetcast forecast --horizon-months`)"
            if monthly
            else f"(this forecast has {daily_only_words(months_refused)}; `fleetcast forecast "
            "--horizon`, up to 730 days, lengthens its daily rows)"
        )
        raise DealError(
            f"the ramp's first GPUs ({held[0].day}) come after the plan's end ({horizon_end}): "
            f"nothing in the plan reaches them; weigh it on a forecast with a longer plan "
            f"{longer} or with a ramp that starts by then"
        )


def floor_note(
    forecast: pl.DataFrame,
    lifted: pl.DataFrame,
    deal: Contract,
    *,
    book: ContractBook | None = None,
) -> tuple[str, bool]:
    """What a deal for a customer the forecast knows adds over its own daily mean ('' for a
    new customer), and whether it adds nothing: a signed contract is a floor under the
    customer's own demand, so a ramp at or below it adds nothing. The Helios what-if on a
    customer running more than its ramp read "$0, needs no extra block" beside a revenue, and
    said nothing of why."""
    keys = ["ds", *(["grain"] if "grain" in forecast.columns else [])]
    mine = (pl.col("unique_id") == deal.unique_id) & (pl.col("measure") == Measure.MEAN.value)
    on_ramp = pl.col("ds") >= deal.ramp[0].day
    own = forecast.filter(mine & on_ramp).select(*keys, "mean")
    if own.is_empty():
        return "", False
    gained = own.join(
        lifted.filter(mine).select(*keys, pl.col("mean").alias("with")), on=keys
    ).select(
        (pl.col("with") - pl.col("mean")).max().alias("added"),
        pl.col("mean").min().alias("low"),
        pl.col("mean").max().alias("high"),
    )
    added, low, high = gained.row(0)
    if added is None:
        return "", False
    own_mean = f"{low:,.0f}" if round(low) == round(high) else f"{low:,.0f}-{high:,.0f}"
    floor = "a signed contract is a floor under the customer's own demand"
    # The book adds a pipeline deal on top of the customer's series at its odds: "its own
    # forecast" held its own unsigned deals (arcadia-ml's 1,838 GPUs were ~650 run and a
    # 1,000-GPU pipeline deal at 100 %).
    pending = [c for c in (book.pipeline if book else ()) if c.unique_id == deal.unique_id]
    if pending:
        listed = ", ".join(
            f"{c.id} ({max(s.gpus for s in c.ramp):,} GPUs from {c.ramp[0].day}, at {c.p:.0%}, "
            "not signed)"
            for c in pending
        )
        deals, odds = ("deal", "its") if len(pending) == 1 else ("deals", "their")
        floor += (
            f"; {deal.customer}'s own forecast holds its pipeline {deals} {listed} at {odds} "
            "odds, which this floor does not add to (the finance page weighs each pipeline "
            "deal on the forecast without it)"
        )
    if added < 0.5:
        counts = sorted({s.gpus for s in deal.ramp if s.gpus})
        ramp = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,}-{counts[-1]:,}"
        return (
            f"the ramp ({ramp} GPUs) is at or below {deal.customer}'s own forecast "
            f"({deal.workload_class}, {deal.region}: mean {own_mean} GPUs on the ramp's days in "
            f"the plan): {floor}, so it adds no GPUs here, and its revenue is for GPUs the "
            "customer is forecast to run anyway"
        ), True
    return (
        f"it adds at most {added:,.0f} GPUs a day to {deal.customer}'s own forecast (mean "
        f"{own_mean} GPUs): {floor}, not added to it"
    ), False
