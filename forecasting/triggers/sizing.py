"""When a pool first runs short, the blocks that serve it, and the window and number of blocks an
order is sized for."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import polars as pl

from forecasting.capacity import Block, CandidateBlock, CapacityPlan
from forecasting.schema import WorkloadClass
from forecasting.text import usd
from forecasting.triggers.common import TOL, Pool, as_date, weeks_delta
from forecasting.triggers.orders import Order, net_of, relieved_shortfall

__all__ = ["DECISION_HORIZON_DAYS"]

# Days ahead the decision backtest scores a band (forecasting.longrange.DECISION_HORIZON_DAYS,
# not imported: it loads scipy), said where the run's own reach is not given.
DECISION_HORIZON_DAYS = 182


@dataclass(frozen=True, slots=True)
class Exhaustion:
    """Where a pool first runs short, and its shortfall by day (for sizing the order)."""

    day: date
    requirement: float
    capacity: float
    shortfall: pl.DataFrame  # (ds, shortfall_gpus), every day of the horizon


def _shortfall() -> pl.Expr:
    return (pl.col("requirement_gpus") - pl.col("capacity_gpus")).alias("shortfall_gpus")


def first_exhaustion(daily: pl.DataFrame) -> Exhaustion | None:
    """The first day a pool's requirement beats its capacity, or None within the horizon."""
    short = daily.filter(_shortfall() > TOL)
    if short.is_empty():
        return None
    first = short.row(0, named=True)
    return Exhaustion(
        day=first["ds"],
        requirement=float(first["requirement_gpus"]),
        capacity=float(first["capacity_gpus"]),
        shortfall=daily.select("ds", _shortfall()),
    )


def pool_blocks(plan: CapacityPlan, pool: Pool) -> list[Block]:
    """The plan's blocks that serve ``pool`` (every block serves ``all``)."""
    return [b for b in plan.block if pool is Pool.ALL or b.allows(WorkloadClass.TRAINING)]


def _serves(candidate: CandidateBlock, pool: Pool) -> bool:
    """Whether blocks of this type add capacity to ``pool`` (every block is in ``all``)."""
    return pool is Pool.ALL or candidate.allows(WorkloadClass.TRAINING)


def candidate_blocks(plan: CapacityPlan, *, region: str, pool: Pool) -> list[CandidateBlock]:
    """Block types that can be ordered for ``region`` and serve ``pool``'s demand."""
    return [c for c in plan.candidate if c.available_in(region) and _serves(c, pool)]


def blocks_needed(shortfall: float, units: float) -> int:
    return max(math.ceil(shortfall / units - TOL), 0)


class _PlannedCover(NamedTuple):
    """Blocks already in the plan (committed, or live with a later in-service date) whose
    landing ends a sizing window's shortfall: from ``lands`` on, nothing is short to the
    window's end."""

    lands: date
    blocks: list[Block]

    def named(self) -> str:
        """The blocks, by id and status, with their GPUs ('4 committed blocks (r-east-pod-1,
        ...; 4,096 GPUs)')."""
        gpus = sum(b.gpus for b in self.blocks)
        statuses = sorted({b.status.value for b in self.blocks})
        kind = f"{' / '.join(statuses)} block{'s' if len(self.blocks) > 1 else ''}"
        ids = ", ".join(b.id for b in self.blocks)
        return f"{len(self.blocks)} {kind} ({ids}; {gpus:,} GPUs)"


def planned_cover(
    sized: pl.DataFrame,
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    serves_from: date,
    relief: Order | None,
) -> _PlannedCover | None:
    """The planned blocks whose landing ends the shortfall an order serving from
    ``serves_from`` is sized on (``sized``, to the window's end), or None when the window is
    still short on its last day, or the shortfall ends with no planned block landing (demand
    falling is not capacity planned)."""
    short = relieved_shortfall(sized, relief).filter(
        (pl.col("ds") >= serves_from) & (pl.col("shortfall_gpus") > TOL)
    )
    if short.is_empty():
        return None
    lands = as_date(short["ds"].max()) + timedelta(days=1)
    if lands > as_date(sized["ds"].max()):
        return None
    blocks = [
        b
        for b in pool_blocks(plan, pool)
        if b.region == region and b.in_service is not None and serves_from < b.in_service <= lands
    ]
    # The shortfall must end the day planned capacity lands, not after it as demand falls.
    if not any(b.in_service == lands for b in blocks):
        return None
    return _PlannedCover(lands, blocks)


def sizing_window_end(start: date, *, sizing_weeks: int, size_until: date | None) -> date:
    """The last day an order serving from ``start`` is sized for: ``sizing_weeks`` on, and no
    later than ``size_until`` where set, though four weeks at least (a month's row)."""
    end = start + weeks_delta(sizing_weeks)
    return end if size_until is None else min(end, max(size_until, start + weeks_delta(4)))


def median_size(
    daily: pl.DataFrame,
    order: Order,
    *,
    sized: pl.DataFrame,
    relief: Order | None,
    as_of: date,
    scored_days: int | None,
) -> str | None:
    """What the same window would order at the median, where the order is sized past the
    ``scored_days`` the run's backtests scored and the median asks for fewer blocks (None
    otherwise, or when the forecast has no median: ``requirement_q50`` absent).

    Sized at q90 far out, an order reads the band's tail where nothing measured it: a lumpy
    class's q90 16 times its q50 at 19 months ordered 174 pods ($7.1B) for a class of 3,584
    GPUs, and nothing beside the figure said what it rested on.
    """
    if "requirement_q50" not in daily.columns or sized.is_empty():
        return None
    last = as_date(sized["ds"].max())
    scored = DECISION_HORIZON_DAYS if scored_days is None else scored_days
    if last <= as_of + timedelta(days=scored):
        return None
    median = daily.filter(pl.col("ds").is_between(sized["ds"].min(), last)).select(
        "ds", shortfall_gpus=pl.col("requirement_q50") - pl.col("capacity_gpus")
    )
    blocks = blocks_needed(net_of(median, relief), order.units)
    if blocks >= order.blocks:
        return None
    capex = blocks * order.candidate.capex_usd
    # "needs 0 x cell-gb200-8192 ($0.0M)" read as a figure to price; it is none.
    needs = (
        f"{blocks} x {order.candidate.name} ({usd(capex)})"
        if blocks
        else "no block (the median is not short there)"
    )
    return (
        f"at q50 the same window needs {needs}: sized to {last}, {_past_scored(scored_days)}: "
        "the order reads the band's upper tail where no backtest measured it"
    )


def _past_scored(scored_days: int | None) -> str:
    """Where an order's window lies against what the backtests scored: the run's own reach
    where given (a run whose backtests scored 28 days read "past the 182 days ahead the
    backtests score", a figure of the decision backtest it never had)."""
    if scored_days is None:
        return f"past the {DECISION_HORIZON_DAYS} days ahead a decision backtest scores"
    if scored_days == 0:
        return "and no backtest of this run scored its band"
    return f"past the {scored_days} days ahead this run's backtests scored"
