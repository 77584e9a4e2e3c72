"""The what-if page: can we serve a deal, from when, with which orders, at what concentration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from forecasting.capacity import NOT_JUDGED
from forecasting.report.format import (
    MISSING,
    fmt_date,
    fmt_datetime,
    fmt_day_or_month,
    fmt_gpus,
    fmt_hhi,
    fmt_mw,
    fmt_pct,
    fmt_usd,
)
from forecasting.report.pages.common import Badge, Page, Table, next_report_words, render
from forecasting.text import CapexBound, extra_capex
from forecasting.whatif import PLAN_SHORT_TOO, WhatIf, no_block_type

__all__ = ["whatif_page"]


def _serve_card(answer: WhatIf) -> str:
    verdict = _verdict(answer)
    return f"{verdict} ({PLAN_SHORT_TOO}, see below)" if answer.baseline_note else verdict


def _verdict(answer: WhatIf) -> str:
    if answer.not_judged:
        return answer.not_judged
    if answer.serve_from is None:
        return "not within the horizon"
    if answer.deal.ramp[-1].day > answer.horizon_end:
        return f"to {fmt_date(answer.horizon_end)} only: not verified beyond"
    if answer.can_serve:
        return "yes, from its first day"
    at_times = "at times " if answer.short_at_times else ""
    if answer.short_from is not None and answer.short_most:
        return (
            f"in full only from {fmt_date(answer.serve_from)}: short {at_times}from "
            f"{answer.short_from} until then, served only from its first day "
            f"({fmt_date(answer.deal.ramp[0].day)}) to the shortfall"
        )
    if answer.short_from is not None:
        return (
            f"from its first day but short {at_times}from "
            f"{answer.short_from} until {fmt_date(answer.serve_from)}"
        )
    if answer.short_at_times:
        return f"in full from {fmt_date(answer.serve_from)}, at times before"
    return f"from {fmt_date(answer.serve_from)}"


def _cards(answer: WhatIf, *, next_report: date | None = None) -> list[tuple[str, str]]:
    # Revenue counts only the hours served in full: a deal never served so has none counted,
    # which read "$0" and a ratio of 0.00 to its capital, as if measured.
    uncounted = answer.serve_from is None and not answer.revenue_usd
    warning = (
        [("warning", answer.ramp_warning.removeprefix("warning: ").split(";", 1)[0])]
        if answer.ramp_warning
        else []
    )
    if answer.not_judged:
        # Weighed on the deal's GPUs alone: its capital and service are not measured.
        return [
            *warning,
            ("can we serve it at the SLO", _serve_card(answer)),
            ("extra capital within the horizon", answer.not_judged),
            ("extra power", answer.not_judged),
            (
                f"revenue to {fmt_date(_revenue_end(answer))}",
                MISSING
                if answer.revenue_usd is None
                else f"{fmt_usd(answer.revenue_usd)} if served in full ({answer.not_judged})",
            ),
        ]
    ratio = (
        f"{answer.revenue_usd / answer.extra_capex_usd:.2f}"
        if answer.revenue_usd is not None
        and not uncounted
        and answer.extra_capex_usd > 0
        and not answer.capex_bound  # revenue per $ of capital not measured is no ratio
        else MISSING
    )
    if ratio != MISSING and answer.revenue_unverified_usd and answer.verified_to:
        # The ratio divides the revenue the card beside it calls not verified: it read "1.22"
        # bare beside "$99.7M ($99.7M of it after 2027-01-03 ...: not verified)".
        unverified = answer.revenue_unverified_usd
        share = (
            "all of the revenue"
            if unverified >= (answer.revenue_usd or 0.0) - 0.005
            else f"{fmt_usd(unverified)} of the revenue"
        )
        ratio += (
            f" (not verified: {share} falls after {fmt_date(answer.verified_to)}, the last day "
            "the plan's statuses are verified)"
        )
    revenue = (
        "not counted: never served in full within the horizon"
        if uncounted
        else fmt_usd(answer.revenue_usd)
        + (
            f" ({fmt_usd(answer.revenue_unverified_usd)} of it after "
            f"{fmt_date(answer.verified_to)}, the last day the plan's statuses are verified: "
            "not verified)"
            if answer.revenue_unverified_usd and answer.verified_to
            else ""
        )
        + (f" ({answer.revenue_basis})" if answer.revenue_basis else "")
    )
    return [
        *warning,
        ("can we serve it at the SLO", _serve_card(answer)),
        (
            "extra capital within the horizon",
            extra_capex(answer.extra_capex_usd, bound=answer.capex_bound)
            + (f" ({answer.capex_basis})" if answer.capex_basis else ""),
        ),
        (
            "extra power",
            fmt_mw(answer.extra_mw) + _power_to_contract(answer, next_report=next_report)
            # Blocks past the ceilings are measured, MW too: only their new site is not.
            if answer.capex_bound in (None, CapexBound.NEW_SITE)
            else f"not measured ({answer.capex_bound}: see the notes)"
            if answer.capex_bound is CapexBound.UNSERVABLE
            else "not measured (an order is not sized: see the notes)",
        ),
        # Beside the extra capital: the plan's orders the deal places sooner ("$84.5M" read
        # alone while $2,918.4M of orders moved up to 426 days sooner), and its blocks in
        # service long before it holds a GPU.
        # The re-run's, labelled apart from the capital rule's orders the deal needs sooner
        # (the card above): two bare "sooner" figures read as one thing's.
        *(
            [("the triggers' re-plan with the deal: not its capital", answer.sooner_note)]
            if answer.sooner_note
            else []
        ),
        *(
            [("blocks in service before the deal", answer.early_note.split(". ", 1)[0])]
            if answer.early_note
            else []
        ),
        (f"revenue to {fmt_date(_revenue_end(answer))}", revenue),
        (f"revenue to {fmt_date(_revenue_end(answer))} per $ of capital", ratio),
        *(
            [
                (
                    f"revenue {fmt_date(answer.horizon_end + timedelta(days=1))} to "
                    f"{fmt_date(answer.deal.term_end)}",
                    f"{fmt_usd(answer.revenue_past_plan_usd)} not verified (past the plan's end)",
                )
            ]
            if answer.revenue_past_plan_usd
            else []
        ),
    ]


def _power_to_contract(answer: WhatIf, *, next_report: date | None = None) -> str:
    """Of the extra MW, those its sites must contract beyond the plan's, priced, and the first
    contract-by date ('' where none): the card read the MW alone, priced nowhere. A date
    before the next scheduled report (``next_report``) says so, as every contract-by does."""
    power = answer.deal_power
    if power.is_empty():
        return ""
    first = power.sort("contract_by").row(0, named=True)
    passed = " (passed)" if first["energized_from"] is not None else ""
    return (
        f" ({fmt_mw(float(power['mw'].sum()))} of it to contract beyond the plan's, "
        f"{fmt_usd(float(power['usd'].fill_null(0.0).sum()))} in the extra capital, the first "
        f"by {fmt_date(first['contract_by'])}{passed}"
        f"{next_report_words(first['contract_by'], as_of=answer.as_of, next_report=next_report)})"
    )


def _deal_column(answer: WhatIf, region: str, pool: str) -> str:
    """A pool's blocks for the deal's own GPUs, priced ('–' for a pool the deal has none in)."""
    rows = answer.deal_blocks.filter((pl.col("region") == region) & (pl.col("pool") == pool))
    if rows.is_empty():
        return MISSING
    r = rows.row(0, named=True)
    text = f"{r['blocks']} × {r['candidate']}, {fmt_usd(r['capex_usd'])}"
    if r["new_site_usd"]:
        # The column summed to less than the extra capex, which holds the new site's MW too.
        # Priced by the region's [[new_site]] where declared, else at an existing site's price.
        how = "assumed" if r["new_site_from"] is None else "declared"
        text += (
            f" + {fmt_usd(r['new_site_usd'])} for a new site's {fmt_mw(r['new_site_mw'])} ({how})"
        )
    if r["power_usd"]:
        # The power its blocks need beyond the plan's is in the extra capex: the column read
        # the blocks alone.
        text += (
            f" + {fmt_usd(r['power_usd'])} for {fmt_mw(r['power_mw'])} of power beyond the plan's"
        )
    return text
    return text


def _revenue_end(answer: WhatIf) -> date:
    """The last day the revenue counts: the term's end, or the plan's where the term runs past
    it (the hours after the plan's end are not verified, and shown apart)."""
    return min(answer.deal.term_end, answer.horizon_end)


def _ramp(answer: WhatIf) -> Table:
    rows = [[fmt_date(s.day), fmt_gpus(s.gpus)] for s in answer.deal.ramp]
    return Table.of(["from", "GPUs"], rows, numeric=(1,), empty="no ramp steps")


def _count(row: dict[str, object], unsized: tuple[str, ...], column: str) -> str:
    """A pool's trigger blocks on one side, or "not sized" for an order the forecast ends
    before (its 0 read as nothing to order)."""
    return "not sized" if f"{row['region']}/{row['pool']}" in unsized else str(row[column])


def _orders(answer: WhatIf, *, next_report: date | None = None) -> Table:
    """The deal's pools without and with it; an order-by with the deal that falls before the
    next scheduled report (``next_report``) says so, as the report's orders tables do."""
    rows = [
        [
            r["region"],
            r["pool"],
            Badge(r["status_without"]),
            Badge(r["status_with"]),
            fmt_day_or_month(r["exhaustion_without"], daily_end=answer.daily_end),
            fmt_day_or_month(r["exhaustion_with"], daily_end=answer.daily_end),
            f"{_count(r, answer.not_sized_without, 'blocks_without')} → "
            f"{_count(r, answer.not_sized_with, 'blocks_with')} × {r['candidate']}"
            if r["candidate"]
            else "none",
            (
                fmt_date(r["order_by"])
                if r["order_by_without"] == r["order_by"]
                else f"{fmt_date(r['order_by_without'])} → {fmt_date(r['order_by'])}"
            )
            + next_report_words(
                r["order_by"], as_of=answer.as_of, next_report=next_report, lead=", "
            ),
            fmt_date(r["arrives"]),
            NOT_JUDGED
            if r["status_without"] == NOT_JUDGED
            else _deal_column(answer, r["region"], r["pool"]),
            # Weighed on zero demand without the deal (no telemetry): no difference measured.
            NOT_JUDGED
            if r["status_without"] == NOT_JUDGED
            else "not sized (see the notes)"
            if f"{r['region']}/{r['pool']}" in answer.not_sized_pools
            else "not measured: no block type can serve the pool"
            if no_block_type(r)
            else fmt_usd(r["extra_capex_usd"]),
            NOT_JUDGED
            if r["status_without"] == NOT_JUDGED
            else "not measured"
            if no_block_type(r)
            else fmt_mw(r["extra_mw"]),
            r["note"] or "",
        ]
        for r in answer.orders.sort("region", "pool").iter_rows(named=True)
        if r["region"] == answer.deal.region or r["extra_capex_usd"]
    ]
    headers = [
        "region",
        "pool",
        "status without",
        "status with",
        "short from, without",
        "short from, with",
        "trigger blocks (without → with)",
        "order by (without → with, where it moves)",
        "arrives",
        "the deal's own blocks",
        "every order re-planned: capex",
        "every order re-planned: MW",
        "note",
    ]
    return Table.of(headers, rows, numeric=(10, 11), detail=(12,), empty="no pools in the region")


def _concentration_intro(answer: WhatIf) -> str:
    """What the concentration table covers, and where the deal starts after it: a deal from
    month 10 read "no change" in every month shown, with nothing saying why."""
    intro = (
        "Top-1 share and HHI (0-10,000) of expected demand per month over the daily forecast "
        "horizon, all classes: past it no customer's demand is forecast, so nothing past the "
        "last month shown is measured."
    )
    if answer.concentration_line:
        intro += f" {answer.concentration_line[0].upper()}{answer.concentration_line[1:]}."
    months = answer.concentration.get_column("month") if answer.concentration.height else None
    first = answer.deal.ramp[0].day if answer.deal.ramp else None
    if months is None or first is None:
        return intro
    last = months.max()
    assert isinstance(last, date)
    after = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    if first >= after:
        intro += (
            f" The deal starts {fmt_date(first)}, after the last month shown ({last:%b %Y}): "
            "its effect on concentration is not measured here, so equal figures mean not "
            "measured, not no change."
        )
    return intro


def _concentration(answer: WhatIf) -> Table:
    frame = answer.concentration
    if frame.is_empty():
        return Table.of([], [], empty="no sample paths to measure concentration on")
    scope = frame.filter((pl.col("region") == "total") & (pl.col("workload_class") == "all"))
    wide = (
        scope.select("book", "month", "top1_share", "hhi")
        .pivot(on="book", index="month", values=["top1_share", "hhi"])
        .sort("month")
    )
    rows = [
        [
            r["month"].strftime("%b %Y"),
            fmt_pct(r.get("top1_share_without")),
            fmt_pct(r.get("top1_share_with")),
            fmt_hhi(r.get("hhi_without")),
            fmt_hhi(r.get("hhi_with")),
        ]
        for r in wide.iter_rows(named=True)
    ]
    headers = ["month", "top-1 share without", "with", "HHI without", "with"]
    return Table.of(headers, rows, numeric=(1, 2, 3, 4), empty="no months")


def whatif_page(
    answer: WhatIf,
    *,
    forecast_run_id: str,
    quantile: str,
    extrapolated: str = "",
    not_verified: str = "",
    next_report: date | None = None,
) -> str:
    """The page finance reads before a deal is signed; ``extrapolated``, the run's banner where
    its forecast reaches past what its backtests measured (as the report's pages show it),
    ``not_verified`` where its plan runs past the day its statuses are verified to, and
    ``next_report`` the day of the next scheduled report, before which an order-by or
    contract-by says to act (text.before_next_report; None: not known)."""
    deal = answer.deal
    price = (
        f"${deal.price_per_gpu_hour:,.2f} per GPU-hour"
        if deal.price_per_gpu_hour
        else "the class policy's price"
    )
    title = f"What if: {deal.customer} · {deal.workload_class.value} · {deal.region}"
    return render(
        "whatif.html",
        page=Page(),
        policy_scripts=False,
        title=title,
        run_id=forecast_run_id,
        meta=f"forecast run {forecast_run_id} · as of {fmt_date(answer.as_of)} · plan horizon "
        f"to {fmt_date(answer.horizon_end)} · triggers at {quantile} · generated "
        f"{fmt_datetime(datetime.now(UTC))}",
        nav=[],
        extrapolated=extrapolated,
        not_verified=not_verified,
        cards=_cards(answer, next_report=next_report),
        serve_note=answer.serve_note,
        baseline_note=answer.baseline_note,
        ramp=_ramp(answer),
        terms=f"Term to {fmt_date(deal.term_end)}; priced at {price}; "
        f"{answer.gpu_hours:,.0f} GPU-hours over the term.",
        orders=_orders(answer, next_report=next_report),
        orders_intro="The expansion triggers run twice on the same forecast and plan, without "
        "and with the deal. Blocks are each pool's trigger order (due now, as on the finance "
        "page). The deal's extra capital is the blocks its own GPUs need: on the plan without "
        "it, the most GPUs it leaves lacking on a day the pool lacks nothing without it, in "
        "blocks of the pool's candidate. The re-planned capex and MW count every order of "
        f"the plan to its end, {fmt_date(answer.horizon_end)} (the triggers' and the later "
        "ones the same rule places after them), with the deal minus without it: the re-run "
        "re-chooses, re-dates and re-sites orders that serve the plan's own growth too, so "
        "that difference is not the deal's capital. Dates are order-by dates for an order "
        "placed on the as-of day.",
        replan_note=answer.replan_note,
        concentration=_concentration(answer),
        concentration_intro=_concentration_intro(answer),
        notes=list(answer.notes)
        or ["none beyond the floor rule above and the triggers' own (see the finance page)"],
    )
