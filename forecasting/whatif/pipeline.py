"""The pipeline's deals, each weighed as if it signed, on the forecast without it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date

import polars as pl

from forecasting import hierarchy
from forecasting.capacity import CapacityPlan
from forecasting.contracts import Contract, ContractBook, ContractStatus
from forecasting.schema import Measure
from forecasting.text import CapexBound, usd
from forecasting.triggers import TriggerSettings, expansion_triggers
from forecasting.whatif.answer import WhatIf, what_if
from forecasting.whatif.capital import deal_blocks_text
from forecasting.whatif.concentration import days_of
from forecasting.whatif.deal import VALUE_COLUMNS, DealError, grain_column
from forecasting.whatif.orders import USD_TOL

__all__ = ["PIPELINE_SCHEMA", "pipeline_if_signed", "without_pipeline_deal"]


def _pipeline_basis(answer: WhatIf) -> str:
    """The extra capex's basis for a pipeline row's note where the figure alone misleads (''
    otherwise, or where the re-plan note already names the deal's blocks): $0 served by the
    plan's orders landing sooner is no free deal, and "at least $X (... an assumption)" needs
    whose cost per MW the new site took. The finance page read both bare."""
    # A declared [[new_site]] prices its MW with no bound: the figure still holds a new site.
    new_site = answer.capex_bound is CapexBound.NEW_SITE or bool(
        answer.deal_blocks["new_site_from"].is_not_null().any()
    )
    # The power its blocks need beyond the plan's is in the figure: said with it, dated.
    powered = answer.deal_power.height > 0
    if not (answer.pulled_orders.height or new_site or powered):
        return ""
    if (
        not answer.pulled_orders.height
        and not powered
        and deal_blocks_text(answer.deal_blocks) in answer.replan_note
    ):
        return ""
    return f"extra capex: {answer.capex_basis}"


PIPELINE_SCHEMA = pl.Schema(
    {
        "contract_id": pl.String(),
        "customer": pl.String(),
        "workload_class": pl.String(),
        "region": pl.String(),
        "probability": pl.Float64(),
        "first_day": pl.Date(),
        "peak_gpus": pl.Int64(),
        "extra_capex_usd": pl.Float64(),
        "expected_capex_usd": pl.Float64(),
        "order_by": pl.Date(),
        "serve_from": pl.Date(),
        "note": pl.String(),
        # What the capex figures are where an order is not sized (a text.CapexBound value; null:
        # measured in full). The note says it in words; the pages read this.
        "capex_bound": pl.String(),
    }
)


def _lowered_orders_note(orders: pl.DataFrame) -> str:
    """Why signing a deal can lower a pool's capital, naming what it lowers and raises ('' if
    it lowers nothing).

    A block ordered for the training pool also serves the ``all`` pool: a deal that makes the
    training pool order a large block (a GB200 cell) leaves the ``all`` pool less to order
    for the same years, and the extra capex is then the net of a different mix of orders,
    which can be negative (the demo's training deal read "-$155.1M if it signs": one cell,
    $368.6M, for 62 fewer racks, $523.7M). That is no saving from signing: the plan's own
    mix of orders may not be the cheapest.
    """

    def listed(frame: pl.DataFrame) -> str:
        return "; ".join(
            f"{r['region']} {r['pool']}: {usd(r['capex_without_usd'])} -> "
            f"{usd(r['capex_with_usd'])}"
            for r in frame.iter_rows(named=True)
        )

    lowered = orders.filter(pl.col("extra_capex_usd") < -USD_TOL)
    if lowered.is_empty():
        return ""
    raised = orders.filter(pl.col("extra_capex_usd") > USD_TOL)
    why = (
        f" while it raises {listed(raised)}: a block ordered for one pool serves the other too, "
        "so the extra capex is the net of a different mix of orders"
        if raised.height
        else ": its shortfalls move, and each order is chosen for its own window, so another "
        "block type or date can cost less"
    )
    return (
        f"signing lowers the capital in every order to the plan's end for {listed(lowered)}"
        f"{why}; not a saving from signing (the plan's own mix of orders may not be the "
        "cheapest)"
    )


def without_pipeline_deal(
    forecast: pl.DataFrame, deal: Contract, *, paths: pl.DataFrame, seed: int
) -> pl.DataFrame:
    """``forecast`` (a run's, the book applied: daily rows, monthly rows with ``grain``)
    without the pipeline ``deal``, on its series and every level above it.

    The run added the deal's ramp on the sample paths where its draw signed
    (:func:`~forecasting.contracts.pipeline_draws`, seeded by the run's ``seed``) and shifted
    each level by the book's effect on its paths' sums. Here the ramp is taken back off those
    paths (``paths``: the run's bottom-level paths as stored, the book in them), and each
    level's mean and quantiles move by the change in its paths' sums, both measures alike
    (the peak of a flat count moves as the mean; on the deal's own series the peak's shift
    is read as the mean's, which the run maps to its peak band). Days the paths do not cover
    (the monthly rows) held the deal in their mean only, ``p x GPUs`` (their peak day or
    average day, as :func:`~forecasting.contracts.apply_to_months`), which is taken off."""
    from forecasting.contracts import pipeline_draws, quantile_of

    names = hierarchy.levels_of(deal.unique_id)
    ids = [*(hierarchy.id_of(*names[:depth]) for depth in (0, 1, 2)), deal.unique_id]
    quantiles = sorted(
        (c for c in VALUE_COLUMNS if c != "mean" and c in forecast.columns), key=quantile_of
    )
    stats = ["mean", *quantiles]
    grain = grain_column(forecast)
    days = paths.select(pl.col("ds").unique()).filter(pl.col("ds") <= deal.term_end)
    samples = sorted(paths["sample_id"].unique().to_list())
    one = ContractBook(contracts=(deal,), source="pipeline deal")
    signs = pipeline_draws(one, sample_ids=samples, seed=seed).select(
        pl.col("sample_id").cast(paths.schema["sample_id"]), "signs"
    )
    ramp = days.with_columns(
        ramp=pl.col("ds").map_elements(lambda d: float(deal.gpus_on(d)), return_dtype=pl.Float64)
    )
    bottoms = pl.col("unique_id")
    parts = []
    for uid in ids:
        under = bottoms.str.starts_with(uid + "/") | (bottoms == uid)
        sums = (
            paths.filter(under)
            .group_by("ds", "sample_id")
            .agg(pl.col("y").cast(pl.Float64).sum())
            .join(ramp, on="ds")
            .join(signs, on="sample_id")
            .with_columns(less=pl.col("y") - pl.when("signs").then(pl.col("ramp")).otherwise(0.0))
        )

        def stat(column: str, name: str) -> pl.Expr:
            if name == "mean":
                return pl.col(column).mean()
            return pl.col(column).quantile(quantile_of(name), interpolation="linear")

        parts.append(
            sums.group_by("ds").agg(
                pl.lit(uid).alias("unique_id"),
                *((stat("less", v) - stat("y", v)).alias(f"shift_{v}") for v in stats),
            )
        )
    shift = pl.concat(parts).with_columns(pl.lit("day").alias("grain"))
    # The monthly rows: p x the month's peak day (peak) or average day (mean), mean only.
    months = forecast.filter(grain == "month").select("ds").unique()
    taken = []
    for (month,) in months.iter_rows():
        month_days = days_of(month)
        held = [float(deal.gpus_on(d)) for d in month_days if d <= deal.term_end] or [0.0]
        taken += [
            (month, Measure.PEAK.value, deal.p * max(held)),
            (month, Measure.MEAN.value, deal.p * sum(held) / len(month_days)),
        ]
    monthly = pl.DataFrame(
        taken,
        schema={"ds": pl.Date(), "measure": pl.String(), "taken": pl.Float64()},
        orient="row",
    ).with_columns(pl.lit("month").alias("grain"))
    framed = forecast.with_columns(grain.alias("grain"))
    touched = pl.col("unique_id").is_in(ids)
    out = (
        framed.join(shift, on=["unique_id", "ds", "grain"], how="left")
        .join(monthly, on=["ds", "measure", "grain"], how="left")
        .with_columns(
            pl.when(touched & pl.col(f"shift_{v}").is_not_null())
            .then(pl.col(v) + pl.col(f"shift_{v}"))
            .when(touched & (pl.col("grain") == "month") & pl.lit(v == "mean"))
            .then(pl.col(v) - pl.col("taken").fill_null(0.0))
            .otherwise(pl.col(v))
            .clip(lower_bound=0.0)
            for v in stats
        )
        # Put the quantiles back in order where the shifts crossed them.
        .with_columns(
            pl.max_horizontal(quantiles[: i + 1]).alias(c) for i, c in enumerate(quantiles)
        )
    )
    return out.select(forecast.columns).cast(forecast.schema)


def pipeline_if_signed(
    forecast: pl.DataFrame,
    plan: CapacityPlan,
    book: ContractBook,
    *,
    as_of: date,
    settings: TriggerSettings | None = None,
    paths: pl.DataFrame | None = None,
    seed: int = 0,
    held: Collection[str] | None = None,
) -> pl.DataFrame:
    """What each pipeline deal would need if it signed (PIPELINE_SCHEMA), one row per deal.

    Each deal is weighed as signing on every path (:func:`what_if` with ``pipeline``): its
    ramp on top of the forecast without it (:func:`without_pipeline_deal`, from the run's
    ``paths`` and ``seed``, where the book put it at its odds; ``paths`` None: ``forecast``
    does not hold the deal; ``held``: the ids of the deals the run applied, None: every deal
    of ``book``; a deal loaded after the run is not in its paths, and is weighed on
    ``forecast`` as it is). It was weighed as a signed floor on the forecast that held it:
    a p=1 deal always read "it needs no extra block, $0", and a deal of a customer already
    running GPUs lost them from its lift. ``extra_capex_usd`` is what signing adds beyond the
    plan's own orders without it.
    ``expected_capex_usd`` weights it by the deal's probability; ``order_by`` is the earliest
    order-by date of an order the deal adds or changes (null when none). Deals in a region the
    plan lacks, or whose term ended before the forecast's first day, are left out; a deal the
    plan cannot weigh (its first GPUs after the plan's end) has null figures and says why in
    ``note``; a deal whose signing lowers a pool's orders says so there
    (:func:`_lowered_orders_note`). ``capex_bound`` is what the capex figures are where an
    order is not sized (``WhatIf.capex_bound``).
    """
    settings = settings or TriggerSettings()
    # A deal outside the plan's regions, or whose term ended before the forecast starts, has
    # nothing to weigh here (what_if refuses both).
    first: date = forecast["ds"].min()  # type: ignore[assignment]
    deals = [c for c in book.pipeline if c.region in plan.regions and c.term_end >= first]
    if not deals:
        return pl.DataFrame(schema=PIPELINE_SCHEMA)
    # One plan without any deal where the forecast holds none of them; else each deal's own.
    shared = (
        expansion_triggers(forecast, plan, as_of=as_of, settings=settings)
        if paths is None
        else None
    )
    rows: list[tuple[object, ...]] = []
    for deal in deals:
        signed = replace(deal, status=ContractStatus.SIGNED, probability=None)
        deal_fields = (
            deal.id,
            deal.customer,
            deal.workload_class.value,
            deal.region,
            deal.p,
            deal.ramp[0].day,
            max(s.gpus for s in deal.ramp),
        )
        try:
            base = (
                forecast
                if paths is None or (held is not None and deal.id not in held)
                else without_pipeline_deal(forecast, deal, paths=paths, seed=seed)
            )
            answer = what_if(
                base, plan, signed, as_of=as_of, settings=settings, without=shared, book=book,
                pipeline=True,
            )  # fmt: skip
        except DealError as err:
            # One deal the plan cannot weigh (its ramp starts past a young fleet's short plan)
            # stopped the whole run's reports; it is listed, unweighed, with the reason.
            rows.append((*deal_fields, None, None, None, None, f"not weighed: {err}", None))
            continue
        order_by = answer.new_orders["order_by"].min() if answer.new_orders.height else None
        if answer.not_judged:
            # Its capex, order-by and serve dates hold on the deal's GPUs alone: not figures
            # to budget.
            note = f"{answer.serve_note}; {answer.capital_note}"
            rows.append((*deal_fields, None, None, None, None, note, None))
            continue
        rows.append(
            (
                *deal_fields,
                answer.extra_capex_usd,
                deal.p * answer.extra_capex_usd,
                order_by,
                answer.serve_from,
                "; ".join(
                    n
                    for n in (
                        answer.serve_note,
                        _pipeline_basis(answer),
                        answer.replan_note,
                        answer.capex_not_sized,
                        answer.baseline_note,
                        _lowered_orders_note(answer.orders),
                        answer.capital_note,
                    )
                    if n
                ),
                answer.capex_bound,
            )
        )
    return pl.DataFrame(rows, schema=PIPELINE_SCHEMA, orient="row")
