"""The deal's customer's share of expected demand with it: the concentration line."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from forecasting import hierarchy
from forecasting.contracts import Contract, Step
from forecasting.schema import Measure
from forecasting.triggers.common import months_before
from forecasting.whatif.deal import grain_column


def days_of(month: date) -> list[date]:
    return [month + timedelta(days=d) for d in range((months_before(month, -1) - month).days)]


def _customer_shares(paths: pl.DataFrame, deal: Contract, month: date) -> tuple[float, float]:
    """The deal's customer's share of expected demand in ``month`` over ``paths`` (every
    region and class it runs in is one customer), without and with the deal, as
    :func:`~forecasting.contracts.concentration_with_book` reads it: the mean over paths per
    series and day, the deal a floor on its own series, a month its mean day."""
    days = [d for d in days_of(month)]
    ramp = pl.DataFrame(
        {"ds": days, "ramp": [float(deal.gpus_on(d)) for d in days]},
        schema={"ds": pl.Date(), "ramp": pl.Float64()},
    )
    rows = paths.filter(pl.col("ds").is_between(days[0], days[-1])).join(ramp, on="ds")
    own = pl.col("unique_id") == deal.unique_id
    floored = pl.when(own).then(pl.max_horizontal("y", "ramp")).otherwise(pl.col("y"))
    means = rows.group_by("unique_id", "ds").agg(
        pl.col("y").mean().alias("without"), floored.mean().alias("with")
    )
    if rows.filter(own).is_empty():  # a new customer: its demand is the ramp
        means = pl.concat(
            [
                means,
                ramp.filter(pl.col("ds").is_in(rows["ds"].unique().implode())).select(
                    pl.lit(deal.unique_id).alias("unique_id"),
                    "ds",
                    pl.lit(0.0).alias("without"),
                    pl.col("ramp").alias("with"),
                ),
            ]
        )
    mine = hierarchy.level(hierarchy.LEVEL_NAMES.index("customer")) == deal.customer
    sums = means.select(
        pl.col("without").filter(mine).sum().alias("mine_without"),
        pl.col("with").filter(mine).sum().alias("mine_with"),
        pl.col("without").sum().alias("all_without"),
        pl.col("with").sum().alias("all_with"),
    ).row(0, named=True)

    def share(side: str) -> float:
        total = sums[f"all_{side}"] or 0.0
        return (sums[f"mine_{side}"] or 0.0) / total if total > 0 else 0.0

    return share("without"), share("with")


def _share_bound(forecast: pl.DataFrame, step: Step) -> str:
    """The deal's least share of expected demand in the month of ``step`` (its GPUs against
    the plan's mean demand then, its regions' rows summed, plus its GPUs: the lift is at most
    the ramp), as text ('' where the forecast has no region's mean row in that month). The
    month's daily rows where it has them, else its monthly row."""
    month = step.day.replace(day=1)
    rows = forecast.with_columns(grain_column(forecast).alias("grain")).filter(
        (hierarchy.depth() == 1)
        & (pl.col("measure") == Measure.MEAN.value)
        & pl.col("ds").is_between(month, months_before(month, -1) - timedelta(days=1))
    )
    daily = rows.filter(pl.col("grain") == "day")
    rows = daily if daily.height else rows
    if rows.is_empty():
        return ""
    demand = float(rows.group_by("unique_id").agg(pl.col("mean").mean())["mean"].sum())
    least = step.gpus / (demand + step.gpus)
    return (
        f"; at that step the deal alone is at least {least:.1%} of expected demand "
        f"({month:%b %Y}: its {step.gpus:,} GPUs against the plan's {demand:,.0f} without it)"
    )


def deal_concentration_line(
    concentration: pl.DataFrame, deal: Contract, *, paths: pl.DataFrame, forecast: pl.DataFrame
) -> str:
    """Concentration with and without the deal as one line ('' where nothing was measured).

    It is measured on the daily paths only: a month past them has no customer demand to take
    shares of. So the line names the month it stands on (the measured month the deal holds
    the most GPUs in) and how far the measure goes; where the deal steps up past it, no
    direction is given (a 20,000-GPU deal whose 5,000-GPU month was the last measured read as
    lowering the top-1 share and HHI, the opposite of its full ramp), only the least share
    the deal alone holds at its largest step, from the plan's total demand."""
    scope = concentration.filter(
        (pl.col("region") == hierarchy.TOTAL) & (pl.col("workload_class") == "all")
    )
    if scope.is_empty():
        return ""
    months: list[date] = sorted(scope["month"].unique().to_list())
    # The days the paths hold, not every day of their months: a deal from 2026-12-20 read
    # "where the deal holds up to 2,000 GPUs" on paths that end on 2026-12-17.
    ends = (paths["ds"].min(), paths["ds"].max()) if paths.height else (None, None)
    measured = [
        d
        for m in months
        for d in days_of(m)
        if ends[0] is None or ends[0] <= d <= ends[1]  # type: ignore[operator]
    ] or [d for m in months for d in days_of(m)]
    peak_in = max(deal.gpus_on(d) for d in measured)
    # The paths' last day is how far the shares are forecast, not measured: no backtest
    # scored them (S18: "measured through 2025-01-31" on a 14-day forecast).
    through = f"forecast through {measured[-1]}"
    if peak_in == 0:
        return (
            f"concentration: not measured, {through} only (the daily rows), before the deal "
            f"holds GPUs (from {deal.ramp[0].day})"
        )
    later = [
        s for s in deal.ramp if s.day > measured[-1] and s.day <= deal.term_end and s.gpus > peak_in
    ]
    if later:
        top = max(s.gpus for s in later)
        step = next(s for s in later if s.gpus == top)
        return (
            f"concentration: {through} only (the daily rows), where the deal holds up to "
            f"{peak_in:,} GPUs; not measured from its {step.gpus:,} GPUs from {step.day}, so "
            "no direction is given for its full ramp (see the page's table for the months "
            f"measured){_share_bound(forecast, step)}"
        )

    def on(month: date) -> list[date]:
        return [d for d in days_of(month) if d in days_measured]

    def held(month: date) -> float:
        days = on(month)
        return sum(deal.gpus_on(d) for d in days) / len(days) if days else -1.0

    days_measured = set(measured)
    # Held alike, a month the paths cover whole goes first: the demo's flat deal stood on
    # June 2027, measured on its first 5 days, and read as the month's.
    month = max(months, key=lambda m: (held(m), len(on(m)) == len(days_of(m)), m))
    part = on(month)
    days = "" if len(part) == len(days_of(month)) else f"{part[0]} to {part[-1]} only, "
    row = {
        book: scope.filter((pl.col("book") == book) & (pl.col("month") == month)).row(0, named=True)
        for book in ("without", "with")
    }
    top_without, top_with = row["without"]["top1_share"], row["with"]["top1_share"]
    mine_without, mine_with = _customer_shares(paths, deal, month)
    largest = (
        ""
        if top_with is None or mine_with < top_with - 1e-9
        else f" ({deal.customer} stays the largest customer)"
        if top_without is not None and mine_without >= top_without - 1e-9
        else f" ({deal.customer} becomes the largest customer)"
    )

    def pct(share: float | None) -> str:
        return "-" if share is None else f"{share:.1%}"

    def hhi(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    return (
        f"concentration in {month:%b %Y} ({days}{through}): top-1 {pct(top_without)} -> "
        f"{pct(top_with)}{largest}, HHI {hhi(row['without']['hhi'])} -> "
        f"{hhi(row['with']['hhi'])}"
    )
