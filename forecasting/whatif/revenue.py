"""The deal's revenue: from the hours served in full, within the horizon and past it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.contracts import Contract
from forecasting.whatif.serving import day_or_month, merged_spans

__all__ = ["REVENUE_ANYWAY"]

# Beside a deal's revenue where its ramp is at or below the customer's own forecast.
REVENUE_ANYWAY = "for GPUs the customer is forecast to run anyway: the ramp adds none"


def deal_revenue(
    deal: Contract,
    plan: CapacityPlan,
    *,
    horizon_end: date,
    serve_from: date | None,
    short: Sequence[tuple[date, date | None]] = (),
    only: Sequence[tuple[date, date | None]] | None = None,
) -> tuple[float, float | None, float | None]:
    """GPU-hours over the term; revenue from the hours served in full within the horizon
    (from ``serve_from`` on, and before it outside the spans its pools are ``short``:
    :func:`short_windows`; none when ``serve_from`` is None) and revenue of the term's hours
    past the horizon, which nothing verifies (None where ``serve_from`` is None); both None
    without a price. With ``only``, only the hours inside those spans (the plan's own
    shortfalls) are summed.

    A deal the plan cannot serve until a later day earns nothing for the hours before it: a
    deal served only from 2028-12 counted $80M of revenue for the 21 months before. The
    hours it is served in full before its shortfall count: they are served."""
    price = deal.price_per_gpu_hour or plan.policy[deal.workload_class].price_per_gpu_hour or None
    start = deal.ramp[0].day
    total = within = past = 0.0
    for offset in range((deal.term_end - start).days + 1):
        day = start + timedelta(days=offset)
        if only is not None and not any(
            begin <= day and (end is None or day < end) for begin, end in only
        ):
            continue
        hours = deal.gpus_on(day) * 24.0
        total += hours
        if day > horizon_end:
            past += hours
            continue
        in_full = bool(short) and not any(
            begin <= day and (end is None or day < end) for begin, end in short
        )
        if serve_from is not None and (day >= serve_from or in_full):
            within += hours
    if price is None:
        return total, None, None
    return total, within * price, None if serve_from is None else past * price


def short_most_days(
    deal: Contract,
    *,
    horizon_end: date,
    serve_from: date | None,
    short: Sequence[tuple[date, date | None]],
) -> bool:
    """Whether the deal is short on more than half its days within the plan: the days
    :func:`deal_revenue` does not count as served in full (before ``serve_from``, inside a span
    ``short``, or every day where no span is dated)."""
    first, last = deal.ramp[0].day, min(deal.term_end, horizon_end)
    days = (last - first).days + 1
    if serve_from is None or days <= 0:
        return serve_from is None
    unserved = sum(
        1
        for offset in range(days)
        if (day := first + timedelta(days=offset)) < serve_from
        and (not short or any(begin <= day and (end is None or day < end) for begin, end in short))
    )
    return unserved * 2 > days


def revenue_note(
    deal: Contract,
    serve_from: date | None,
    short: Sequence[tuple[date, date | None]],
    forecast: pl.DataFrame,
) -> str:
    """Which hours the revenue counts, for a deal not served in full from its first day: all
    but the spans short before ``serve_from`` (:func:`short_windows`), as :func:`deal_revenue`."""
    said = "revenue counts only the hours served in full: "
    first = deal.ramp[0].day
    if serve_from is None:
        return said + "none, as the plan cannot serve the deal in full within its horizon"
    spans = sorted(
        (max(begin, first), min(end or serve_from, serve_from))
        for begin, end in merged_spans(short)
        if begin < serve_from and (end is None or end > first)
    )
    covered = {begin + timedelta(days=d) for begin, end in spans for d in range((end - begin).days)}
    if all(first + timedelta(days=d) in covered for d in range((serve_from - first).days)):
        return said + (
            f"from {serve_from}, when the plan serves the deal in full; the hours from "
            f"{first} before it are at risk and not counted"
        )
    listed = ", ".join(
        f"{day_or_month(begin, forecast)} to {end - timedelta(days=1)}" for begin, end in spans
    )
    return said + (
        f"every hour from {first} but those its pools are short ({listed}), which are at risk "
        f"and not counted; in full from {serve_from}"
    )
