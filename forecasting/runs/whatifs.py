"""A contract what-if: a deal weighed against the plan of a forecast run."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel

from forecasting import warehouse
from forecasting.errors import PublishError
from forecasting.options import WhatIfOptions
from forecasting.runs.ids import forecast_run, new_run_id
from forecasting.runs.loading import contract_book
from forecasting.runs.reports import trigger_forecast, trigger_settings
from forecasting.text import CapexBound

__all__ = [
    "WhatIfOutcome",
    "weigh_deal",
]


class WhatIfOutcome(BaseModel):
    """A weighed deal for the CLI and the flow: the answer's headline and where its page is."""

    forecast_run_id: str
    as_of: date
    horizon_end: date
    serve_from: date | None
    can_serve: bool
    serve_note: str
    extra_capex_usd: float
    extra_mw: float
    revenue_usd: float | None
    orders: list[dict[str, Any]]
    notes: list[str]
    page: Path
    # The term's revenue past the plan's end: not verified, never in revenue_usd (which stops
    # at the plan's end); WhatIf.revenue_past_plan_usd.
    revenue_past_plan_usd: float | None = None
    # The part of revenue_usd earned after verified_to, the last day the run's statuses are
    # verified: not verified (WhatIf.revenue_unverified_usd).
    revenue_unverified_usd: float | None = None
    verified_to: date | None = None
    # Served from its first day until it goes short then (a day, or a month on monthly rows),
    # and in full again from serve_from (None: served throughout, or short at once).
    short_from: str | None = None
    short_at_times: bool = False  # served in full between spans short before serve_from
    # Short on more than half its days within the plan (WhatIf.short_most): the verdict leads
    # with when it is served in full; first_day is the ramp's first day it is weighed from.
    short_most: bool = False
    first_day: date | None = None
    daily_end: date | None = None  # the forecast's last daily row: past it a date is a month
    # The day of the next scheduled report (settings.next_report_for; None: not known): an
    # order-by with the deal before it says so, as the report's tables do.
    next_report: date | None = None
    # The plan's own shortfalls where the deal would hold GPUs, which its verdict does not
    # count ('' when none): WhatIf.baseline_note.
    baseline_note: str = ""
    # Where an order of the deal's pools is not sized: what the extra capex is then, and
    # those pools ("region/pool") with the deal and without it: WhatIf.capex_not_sized.
    capex_not_sized: str = ""
    capex_bound: CapexBound | None = None  # WhatIf.capex_bound: the bound the pages read
    not_sized_with: list[str] = []
    not_sized_without: list[str] = []
    # Concentration with and without the deal in one line, and how far it is measured
    # (WhatIf.concentration_line; '' without sample paths).
    concentration_line: str = ""
    # "not judged: no telemetry in eu-west" where the deal's region has no telemetry and the
    # deal alone would be served: WhatIf.not_judged, which the headline then leads with.
    not_judged: str = ""
    # What extra_capex_usd is ("the blocks its own GPUs need: 1 x pod-h100-1024 for us-west
    # training") and how far the plan's re-chosen orders move apart from it ('' where they
    # move by those blocks alone): WhatIf.capex_basis, replan_note.
    capex_basis: str = ""
    replan_note: str = ""
    # The capital of the plan's orders the deal places sooner, beside the extra capex on the
    # headline, and a ramp dated before the forecast: WhatIf.sooner_note, ramp_warning.
    sooner_note: str = ""
    ramp_warning: str = ""
    revenue_basis: str = ""  # WhatIf.revenue_basis
    # The run's "extrapolated: ..." line where the forecast reaches past what its backtests
    # measured ('' otherwise): a 120-day fleet's $76.0M, 3.5 MW read as a sized answer.
    extrapolated: str = ""
    # Where the daily rows are measured and the plan past them runs further than the day its
    # statuses are verified to: "not verified: the plan's statuses are verified to ... only
    # (...), so the deal's verdict ... past it are not verified" ('' otherwise).
    unverified: str = ""


def _spelling_notes(customer: str, customers: list[str]) -> list[str]:
    """A note where the deal's customer is a near miss of one in telemetry: "Northwind-AI"
    was weighed as a new customer, its GPUs on top of what "northwind-ai" runs, unsaid."""
    from forecasting.contracts import near_customer

    near = near_customer(customer, customers)
    if near is None:
        return []
    return [
        f"customer {customer!r} matches no telemetry series (did you mean {near!r}?): weighed "
        f"as a new customer, its GPUs on top of what {near!r} runs; pass --customer {near} "
        "to weigh a deal with the customer you have"
    ]


def weigh_deal(
    warehouse_path: Path, capacity_path: Path, reports_path: Path, options: WhatIfOptions
) -> WhatIfOutcome:
    """Weigh a deal against the plan on a stored forecast run and publish its what-if page."""
    from forecasting.capacity import load_capacity
    from forecasting.report.inputs import WHATIF_REST
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.runs.drills import extrapolated_warning, statuses_verified, unverified_statuses
    from forecasting.settings import next_report_for
    from forecasting.whatif import deal_contract, what_if

    plan = load_capacity(capacity_path)
    deal = deal_contract(
        customer=options.customer,
        workload_class=options.workload_class,
        region=options.region,
        ramp=options.ramp,
        until=options.until,
        price_per_gpu_hour=options.price_per_gpu_hour,
    )
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, options.forecast_run_id)
        frame = trigger_forecast(wh, ref.run_id)
        paths = wh.run_frame("forecast_paths", ref.run_id).with_columns(
            pl.col("y").cast(pl.Float64)
        )
        settings = trigger_settings(
            wh, ref.run_id, quantile=options.quantile, buffer_weeks=options.buffer_weeks
        )
        customers = wh.query("SELECT DISTINCT customer FROM telemetry_series")["customer"]
        verified = statuses_verified(wh, ref.run_id)
    book = contract_book(warehouse_path, capacity_path=capacity_path).known_by(ref.as_of)
    answer = what_if(
        frame,
        plan,
        deal,
        as_of=ref.as_of,
        paths=paths,
        settings=settings,
        book=book,
        verified_to=None if verified is None else verified.day,
    )
    spelling = _spelling_notes(deal.customer, customers.to_list())
    answer = replace(answer, notes=(*spelling, *answer.notes))
    extrapolated = extrapolated_warning(warehouse_path, ref.run_id, rests=WHATIF_REST) or ""
    # The extrapolated line says it first where the daily rows outrun the backtests.
    unverified = "" if extrapolated else unverified_statuses(verified, rests=WHATIF_REST)
    slug = re.sub(
        r"[^a-z0-9]+", "-", f"{deal.customer}-{deal.workload_class}-{deal.region}".lower()
    )
    page = reports_path / "whatif" / f"{slug.strip('-') or 'deal'}-{new_run_id('whatif')[7:]}.html"
    next_report = next_report_for(ref.as_of, now=datetime.now(UTC))
    try:
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            whatif_page(
                answer,
                forecast_run_id=ref.run_id,
                quantile=options.quantile,
                extrapolated=extrapolated.removeprefix("extrapolated: "),
                not_verified=unverified.removeprefix("not verified: "),
                next_report=next_report,
            ),
            encoding="utf-8",
        )
    except OSError as exc:  # a /sys folder, a full disk: the OS error's trace said it before
        raise PublishError(
            f"cannot write the what-if page to {page.parent} ({exc.strerror or exc}); a what-if "
            "stores nothing else: pass --reports a folder you can write in"
        ) from exc
    return WhatIfOutcome(
        forecast_run_id=ref.run_id,
        as_of=ref.as_of,
        horizon_end=answer.horizon_end,
        serve_from=answer.serve_from,
        can_serve=answer.can_serve,
        serve_note=answer.serve_note,
        short_from=answer.short_from,
        short_at_times=answer.short_at_times,
        short_most=answer.short_most,
        first_day=answer.deal.ramp[0].day,
        daily_end=answer.daily_end,
        next_report=next_report,
        baseline_note=answer.baseline_note,
        extra_capex_usd=answer.extra_capex_usd,
        capex_not_sized=answer.capex_not_sized,
        capex_bound=answer.capex_bound,
        not_sized_with=list(answer.not_sized_with),
        not_sized_without=list(answer.not_sized_without),
        extra_mw=answer.extra_mw,
        revenue_usd=answer.revenue_usd,
        revenue_past_plan_usd=answer.revenue_past_plan_usd,
        revenue_unverified_usd=answer.revenue_unverified_usd,
        verified_to=answer.verified_to,
        orders=answer.orders.to_dicts(),
        notes=list(answer.notes),
        concentration_line=answer.concentration_line,
        not_judged=answer.not_judged,
        capex_basis=answer.capex_basis,
        replan_note=answer.replan_note,
        sooner_note=answer.sooner_note,
        ramp_warning=answer.ramp_warning,
        revenue_basis=answer.revenue_basis,
        extrapolated=extrapolated,
        unverified=unverified,
        page=page,
    )
