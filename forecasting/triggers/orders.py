"""An order: the blocks of one candidate, its dates and site, which of its blocks run from when, and
its TRIGGERS columns."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from forecasting.capacity import CandidateBlock
from forecasting.triggers.common import TRIGGERS_SCHEMA, Pool, Status, trigger_status, weeks_delta


@dataclass(frozen=True, slots=True)
class Order:
    candidate: CandidateBlock
    blocks: int
    order_by: date
    arrives: date
    in_time: bool
    units: float  # capacity of one block: H100-equivalents with a [gpu_type] table, else GPUs
    site: str | None = None  # where its MW is drawn; None for a plan without [[site]]
    powered: bool = True  # whether the site has the MW energized by its arrival
    # The first day from its arrival on that its site has the MW for good: the arrival when
    # powered, later when power comes after it, None when no site has it within the plan.
    usable: date | None = None
    # Of its blocks, how many its site can never power, past the site's ceiling (None where
    # the site declares none); and the first day the rest can serve: ``usable``, else power
    # contracted today (set once placed by arrival, see placed_by_arrival).
    beyond_ceiling: int | None = None
    runs_from: date | None = None
    # Chosen as usable first (no candidate in time and powered): the candidate that lands
    # sooner but waits longer for power, and why, as a clause ('' when none lands sooner).
    passed_over: str = ""
    # Where the order is dated to land with its site's power (with_its_power): the order-by
    # date and arrival it had before, from which its blocks would have stood dark.
    dark_order_by: date | None = None
    dark_arrives: date | None = None
    # Its blocks placed at other sites of its region, where its own site's ceiling cannot
    # hold them all (split_order): each with its own site, power and days; ``blocks`` and ``mw``
    # are then this site's share only (``total_blocks`` the whole order's).
    parts: tuple[Order, ...] = ()
    # Dated to land with its site's power on this day, where the orders landing by then took
    # what the site's ceiling leaves: back on its shortfall's dates (_undated).
    undated_from: date | None = None
    # Split by the power its region has energized by its arrival (split_by_power): its
    # shares powered on arrival first (this one leading), then those that wait on power.
    by_power: bool = False
    # A trigger's order (due now) claims room under its site's ceiling from the day it would
    # have landed on its shortfall's dates, however late its power dates it to land
    # (_placed_in_arrival_order); None: from its arrival.
    claims: date | None = None

    @property
    def total_blocks(self) -> int:
        """Blocks of the whole order, at every site it is split across."""
        return self.blocks + sum(p.blocks for p in self.parts)

    def whole(self) -> Order:
        """The order unsplit, at its own site, to be placed again."""
        if not self.parts:
            return self
        return replace(
            self, blocks=self.total_blocks, parts=(), beyond_ceiling=None, by_power=False
        )

    @property
    def claims_from(self) -> date:
        """The day it claims room under its site's ceiling from (:meth:`Power.take`)."""
        return min(self.claims or self.arrives, self.arrives)

    @property
    def shares(self) -> tuple[Order, ...]:
        """The order's shares: itself alone, or its own site's share and then each part."""
        return (self, *self.parts)

    def first_share(self) -> Order:
        """The share ordered first (then landing first): the order's headline dates."""
        return min(self.shares, key=lambda s: (s.order_by, s.arrives))

    @property
    def mw(self) -> float:
        """MW the whole order draws."""
        return self.blocks * self.candidate.mw

    @property
    def mw_held(self) -> float:
        """MW it holds at its site: its blocks' less those past the site's ceiling, which are
        a new site's. Held whole, the synthetic fleet's 2 GB200 cells wholly past us-east-b's
        ceiling (29.5 MW) took its 13.7 MW of room, and 200 racks landing after them found
        none: "200 of 200 past us-east-b's ceiling"."""
        return (self.blocks - min(self.beyond_ceiling or 0, self.blocks)) * self.candidate.mw


def arrival_and_capex(order: Order) -> tuple[date, float]:
    return (order.arrives, order.blocks * order.candidate.capex_usd)


def unit_capex(order: Order) -> float:
    """Capex of one H100-equivalent (one GPU without a [gpu_type] table) of ``order``'s type."""
    return order.candidate.capex_usd / order.units


def empty_row(region: str, pool: Pool, *, quantile: str, as_of: date) -> dict[str, object]:
    return dict.fromkeys(TRIGGERS_SCHEMA.names()) | {
        "region": region,
        "pool": pool.value,
        "quantile": quantile,
        "as_of": as_of,
        "monthly_only": False,
        "unverified_green": False,
    }


def order_fields(order: Order, *, as_of: date, exhaustion: date, blocks: int) -> dict[str, object]:
    """The TRIGGERS columns that describe an order of ``blocks`` of ``order``'s candidate."""
    c = order.candidate
    status = trigger_status(
        as_of=as_of,
        exhaustion=exhaustion,
        order_by=order.order_by,
        lead_time=weeks_delta(c.lead_time_weeks),
    )
    # The first day they can serve: the plan's power, else power contracted today (runs_from,
    # set once placed by arrival); neither, or blocks past their site's ceiling, and some
    # never serve.
    serves = order.usable if order.usable is not None else order.runs_from
    if order.beyond_ceiling:
        serves = None
    # Dated to land with its power (with_its_power), it waited for it, even where, placed
    # again on its new day, its site has the MW then: a 90-day fleet's training pods, dated
    # to 2028-04-29 for a shortfall from 2027-09-01, read green on that order-by date.
    waited = not order.powered or order.dark_arrives is not None
    # Blocks past their site's ceiling never run there, however much MW is energized free on
    # their arrival (orders waiting on power claimed the ceiling's room): a rack wholly past
    # its ceiling read green, "powered", in service on arrival, beside "a new site is needed".
    waited = waited or bool(order.beyond_ceiling)
    if blocks and waited and (serves is None or serves > exhaustion):
        # Blocks that wait for their site's power past exhaustion serve nothing in time,
        # whenever they are ordered: the shortfall is coming (amber read as "still time").
        # Blocks that power contracted today runs by then are not: the demo's us-west
        # training cell read red beside its site's green power trigger.
        status = Status.RED
    elif blocks and waited and status is Status.GREEN and serves and serves > order.arrives:
        # In time on its dates, its blocks run from its site's power, not from their arrival:
        # inside the buffer before exhaustion, amber (the demo's us-west/all read green while
        # 41 of its 65 racks waited for power until 2027-06-02, 3 days before its shortfall).
        status = Status.AMBER
    return {
        "candidate": c.name,
        "kind": c.kind.value,
        "gpu_type": c.gpu_type,
        "lead_time_weeks": c.lead_time_weeks,
        "order_by": order.order_by,
        "arrives": order.arrives,
        "status": status.value,
        "blocks_to_order": blocks,
        "capex_usd": blocks * c.capex_usd,
        "mw": blocks * c.mw,
        # An order waiting for its site's power serves from then, not from its arrival.
        "powered_from": order.usable if not order.powered and blocks else None,
    }


def running_shares(order: Order) -> list[tuple[date, int]]:
    """(first day, blocks) of each share of ``order`` whose blocks run: those under its site's
    ceiling (the rest are a new site's, and never run there), from ``runs_from`` where power
    comes after their arrival, else from their arrival.

    The all pool read "covered by the training-pool order: 2 x pod-h100" (0 racks, red) for 2
    pods wholly past their site's ceiling, which no power within the plan runs."""
    running = []
    for share in order.shares:
        blocks = share.blocks - min(share.beyond_ceiling or 0, share.blocks)
        if blocks > 0:
            runs = share.runs_from if share.runs_from is not None else share.arrives
            running.append((max(runs, share.arrives), blocks))
    return running


def running_blocks(order: Order) -> int:
    """Blocks of ``order`` that run (:func:`running_shares`)."""
    return sum(blocks for _, blocks in running_shares(order))


def running_from(order: Order) -> date | None:
    """The day every block of ``order`` that runs is running (:func:`running_shares`); None when
    none runs."""
    return max((day for day, _ in running_shares(order)), default=None)


def relieved_shortfall(shortfall: pl.DataFrame, relief: Order | None) -> pl.DataFrame:
    """``shortfall`` once ``relief`` (an order for another pool) is in service: its blocks that
    run, from when they run (:func:`running_shares`)."""
    if relief is None:
        return shortfall
    relieved = pl.lit(0.0)
    for day, blocks in running_shares(relief):
        relieved = relieved + pl.when(pl.col("ds") >= day).then(blocks * relief.units).otherwise(
            0.0
        )
    return shortfall.with_columns(pl.col("shortfall_gpus") - relieved)


def net_of(shortfall: pl.DataFrame, relief: Order | None) -> float:
    """Largest shortfall left once ``relief`` (an order for another pool) is in service."""
    return max(float(relieved_shortfall(shortfall, relief)["shortfall_gpus"].max()), 0.0)  # type: ignore[arg-type]


def past_every_ceiling(share: Order) -> bool:
    """Whether every block of ``share`` lies past its site's ceiling, which no site of its
    region can hold (:func:`split_order`): a new site is needed before it has an order-by date."""
    return share.blocks > 0 and (share.beyond_ceiling or 0) >= share.blocks
