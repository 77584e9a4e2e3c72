"""The two questions a drill is run to answer: what would make it pass, and where it breaks."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from forecasting.capacity import Block, CandidateBlock, CapacityPlan
from forecasting.drills.inputs import DemandSide, played_plan
from forecasting.drills.kpis import (
    ALL_CLASSES,
    DrillResult,
    cut_by_horizon,
    group_verdicts,
    loss_judged_to,
    short_until_shock_end,
    unsettled_groups,
    unsettled_pass,
)
from forecasting.drills.scenarios import Scenario
from forecasting.drills.simulate import Engine, PreparedDrill, prepare_drill
from forecasting.schema import MAX_GPUS_PER_ROW, BlockStatus, WorkloadClass, frame_schema
from forecasting.text import listed, usd
from forecasting.triggers.common import TOL, TriggerSettings, months_before
from forecasting.triggers.power import Power

__all__ = [
    "ADDITIONS_SCHEMA",
    "NO_ORDER_IN_TIME",
    "BlocksToPass",
    "BreakingPoint",
    "blocks_to_pass",
    "breaking_multiplier",
]

ADDITIONS_SCHEMA = frame_schema("drill_additions")

NO_ORDER_IN_TIME = "no order placed today arrives in time"
# Beside a date the unlimited-blocks gate reached on more MW than its sites have together.
AT_THE_EARLIEST = (
    "at the earliest (each candidate type counted on its sites' whole free MW, more than they "
    "can run together: no set was measured to hold from then)"
)


@dataclass(frozen=True, slots=True)
class BlocksToPass:
    """The cheapest candidate blocks found to make a drill pass, and how that was established.

    ``passed`` is True only when the whole drill, re-run with ``additions``, passed (the
    verification run, ``result``): only then may anybody say "would pass with". Otherwise
    ``additions`` is the set the search ended on (empty when no set was sized) and ``notes`` say
    why it is not a recommendation. ``baseline_passed``: the plan passes without new blocks.
    ``arrives_in_time``: the gate run, every candidate type in unlimited amount in service at its
    earliest arrival, passed (None when the gate was not needed). When it failed,
    ``restores_slo_on`` is the date from which, in that run, every class's headroom held for good
    on 90 % of paths (None when it did not hold again within the horizon) and
    ``earliest_arrival`` the first day an order placed on the run date can be in service.
    ``runs`` counts the simulations the search made (whole drill and single-region ones).
    """

    passed: bool
    baseline_passed: bool
    additions: pl.DataFrame
    capex_usd: float
    result: DrillResult
    notes: tuple[str, ...]
    runs: int = 0
    arrives_in_time: bool | None = None
    earliest_arrival: date | None = None
    restores_slo_on: date | None = None
    # Hours from the shock's start to its end where, even with unlimited blocks, the SLO held
    # again only when the shock ended (a spike over before any block lands): restored then,
    # not "not restored within the horizon".
    restored_with_shock_hours: float | None = None
    # Only an order expedited by the response ladder (``[response.expedite]``) lands on
    # ``earliest_arrival``.
    earliest_expedited: bool = False
    # Failing classes (and where) no orderable candidate may run on in time for the horizon:
    # for them the earliest arrival of any type (a rack for a training shock) is no answer.
    unservable: tuple[str, ...] = ()
    # A region-loss drill no order passes: why blocks are not its cure (they go dark with the
    # region; failover and the response ladder are). It read "no order placed today arrives in
    # time (earliest in service ...)" on a one-region fleet, as if an earlier order passed.
    region_loss_cure: str = ""
    # Why the search sized no set, when it stopped short of a verification run.
    why: str = ""
    # Where site power, not blocks, binds the gate run: the clause naming the power
    # ("when us-east-a's energized MW step to 43 MW (2027-03-24)") and what unlimited blocks
    # with no power limit would do ("blocks alone would do it from 2027-01-15"); "" otherwise.
    # Counted as live on arrival, the blocks read "holds from 2027-01-15" where the triggers
    # keep the region's racks dark until 2029.
    power_binds: str = ""
    blocks_alone: str = ""
    # Whether ``restores_slo_on`` is a bound, not a measurement: the gate's stand-ins of
    # several candidate types each took their sites' whole free MW, more than the sites run
    # together (:meth:`_SitePower.overdrawn`). A drill read "the SLO holds from 2026-01-31" at
    # 0.2 MW of racks on 0.1 MW free, where no set of them is restored within the horizon.
    restores_at_earliest: bool = False
    # Where the set (or the plan without new blocks) reaches the target only within its paths'
    # sampling error: the borderline reason (:func:`~forecasting.drills.kpis.unsettled_pass`),
    # and ``passed`` is False. Read by the plain rule, "2 x rack-256 in r1" was printed as
    # passing at 91 % of 200 paths (95 % interval 86-94 %).
    borderline: str = ""

    @property
    def summary(self) -> str:
        """One line for a table cell: the verified set, or why there is none."""
        if self.passed or self.borderline:
            if self.additions.height == 0:
                head = f"passes without new blocks on the {self.result.paths} paths searched"
            else:
                counts = "; ".join(
                    f"{r['count']} x {r['candidate']} in {r['region']}"
                    for r in self.additions.iter_rows(named=True)
                )
                head = f"{counts} ({usd(self.capex_usd)})"
            if self.borderline:
                return f"would pass with {head}: {self.borderline}"
            return head
        if self.arrives_in_time is False and self.region_loss_cure:
            return self.region_loss_cure
        if self.arrives_in_time is False:
            late = (
                self.earliest_arrival is not None
                and self.earliest_arrival > self.result.shock_start
            )
            head = NO_ORDER_IN_TIME if late else "no set of orderable blocks passes"
            if self.unservable:
                # The earliest arrival of any type read as an answer where none may serve the
                # failing class ("earliest in service 2027-02-10": racks, for training).
                # Blocks alone (power not counted) restored it with no candidate it may run
                # on: other classes' blocks make room on the blocks it shares. Read plainly,
                # "no candidate ... in time" then "blocks alone would do it" contradicted.
                it, them = (
                    ("it shares", "it") if len(self.unservable) == 1 else ("they share", "them")
                )
                room = (
                    f", but blocks of the classes {it} blocks with make room for {them}, "
                    "power allowing"
                    if self.power_binds and self.blocks_alone
                    else ""
                )
                return (
                    f"{head}: no candidate that {'; '.join(self.unservable)} may run on can be "
                    f"ordered in time for the horizon{room}" + self._power_tail()
                )
            if self.earliest_arrival is not None:
                # An expedited order says so: the date is the [response.expedite] rung's.
                on = f"{self.earliest_arrival}" + (", expedited" if self.earliest_expedited else "")
                if self.earliest_arrival > self.result.horizon_end:
                    return (
                        f"{NO_ORDER_IN_TIME} (earliest in service {on}, after the drill window "
                        f"ends on {self.result.horizon_end})"
                    )
                head += f" (earliest in service {on})"
            ended = self.restored_with_shock_hours
            if self.restores_slo_on is None and ended is not None:
                end = self.result.shock_start + timedelta(hours=ended)
                landed = self.earliest_arrival is not None and self.earliest_arrival >= end
                return (
                    f"{head}; the SLO holds again only when the shock ends ({ended:,.0f} h "
                    "after it starts)"
                    + (
                        ", before any block lands"
                        if landed
                        else ": unlimited blocks do not bring it forward"
                    )
                )
            if self.restores_slo_on is None:
                return (
                    f"{head}; SLO not restored within the horizon even by unlimited blocks"
                    + self._power_tail(lead=": ")
                )
            # The unlimited-blocks run plays preemption and deferral only: beside a time to
            # absorb read with the response ladder (409 h) its date (885 h) read as a
            # contradiction.
            return (
                f"{head}; with unlimited blocks (preemption and deferral only, no response "
                f"ladder) the SLO holds from {self._restored_text}" + self._power_tail(lead=", ")
            )
        return "no set verified to pass" + (f": {self.why}" if self.why else "")

    def _power_tail(self, *, lead: str = "") -> str:
        """Where site power binds the unlimited blocks: what power allows and what blocks alone
        would do, after ``lead``; the SLO clause too when there is no ``lead`` (a class no
        candidate may serve in time read only that, its power note in the notes alone)."""
        if not self.power_binds:
            return ""
        if not lead:
            holds = (
                f"the SLO holds from {self._restored_text}, "
                if self.restores_slo_on is not None
                else "the SLO is not restored within the horizon: "
            )
            lead = f"; with unlimited blocks where their sites have power, {holds}"
        return f"{lead}{self.power_binds}; {self.blocks_alone}"

    @property
    def _restored_text(self) -> str:
        """``restores_slo_on``, said as the bound it is where the gate over-drew its sites."""
        if not self.restores_at_earliest:
            return str(self.restores_slo_on)
        return f"{self.restores_slo_on} {AT_THE_EARLIEST}"


@dataclass(frozen=True, slots=True)
class BreakingPoint:
    """The smallest shock multiplier found to fail, bracketed to ``tolerance``.

    ``multiplier`` is None when the search brackets nothing: the drill still passes at
    ``high``, or already fails at ``low`` (the breaking point lies below the range searched, so
    ``low`` would read as a measurement it is not); ``note`` says which. ``last_passing`` is
    the largest multiplier seen to pass.
    """

    multiplier: float | None
    last_passing: float | None
    low: float
    high: float
    tolerance: float
    evaluations: int
    note: str
    # The level the shock at ``multiplier`` reaches by the forecast horizon's end, where the
    # horizon cuts it short (a ramp): "breaks at 1.70x" of a 6-week ramp on a 14-day horizon
    # is a break at 1.23x of today's demand. None when it plays whole.
    reached: float | None = None
    # The supply events held at every multiplier ("with the loss"), None for a demand shock.
    held: str | None = None
    # The smallest multiplier found whose pass or fail is within its paths' sampling error
    # (the verdict's borderline rule), and the paths it was read on; None where the search met
    # none. ``multiplier`` is then the first that fails whatever the draw, ``last_passing``
    # the last that passes whatever the draw: read by the plain rule, "breaks at 1.70x" was a
    # point another draw of as many paths moved by the width of this band.
    borderline_from: float | None = None
    paths: int = 0
    # What the shock multiplies ("customer acme", "all demand"), the forecast's last day (the
    # day ``reached`` is reached by), and the level the shock at ``borderline_from`` reaches
    # by then where the horizon cuts it short. "breaks at 1.75x, reaching 1.25x by the
    # horizon's end, borderline from 1.26x" read three numbers on two scales unnamed.
    target: str = ""
    horizon_end: date | None = None
    border_reached: float | None = None
    # The last day judged where the horizon cuts the drill short in a way ``reached`` does
    # not say (a block lost past it, a spike, a dark region or a slip running past its end):
    # "1.05x demand with the loss" on a 7-day forecast read as the loss's whole answer.
    judged_to: date | None = None

    @property
    def text(self) -> str:
        """The "breaks at" cell: ``1.19x``; ``a 1.70x shock (customer acme at 1.23x its forecast
        by 2027-01-18)``; ``1.30x demand with the loss``; ``1.05x demand with the loss, judged
        to 2026-12-13``; ``1.82x, borderline from 1.68x at 200 paths``; else where the breaking
        point lies (the note). Where the horizon cut the shock short, each multiplier says it is
        the shock's and the level it took demand to: the two are on different scales."""
        judged = f", judged to {self.judged_to}" if self.judged_to is not None else ""
        if self.multiplier is None:
            return self.note + (judged if self.note.startswith("above") else "")
        held = f" {self.held}" if self.held else ""
        if self.reached is None:
            text = f"{self.multiplier:.2f}x" + (f" demand{held}" if held else "")
        else:
            text = f"a {self.multiplier:.2f}x shock{held} ({self._level(self.reached)})"
        text += judged
        if self.borderline_from is not None:
            text += f", {self._borderline_words}"
        return text

    def _level(self, reached: float, *, first: bool = True) -> str:
        """``customer acme at 1.23x its forecast by 2027-01-18`` (``1.09x its forecast by
        then`` after the first)."""
        if not first:
            return f"{reached:.2f}x its forecast by then"
        return f"{self.target or 'its target'} at {reached:.2f}x its forecast by {self.horizon_end}"

    @property
    def _borderline_words(self) -> str:
        """``borderline from 1.68x at 200 paths`` (``from 1x or below`` at the search's low);
        ``borderline from a 1.26x shock (1.09x its forecast by then) at 200 paths`` where the
        horizon cut the shock short."""
        border = self.borderline_from
        at = f"{border:g}x or below" if border is None or border <= self.low else f"{border:.2f}x"
        if self.reached is not None:
            level = (
                f" ({self._level(self.border_reached, first=False)})"
                if self.border_reached is not None and border is not None and border > self.low
                else ""
            )
            at = f"a {at} shock{level}"
        return f"borderline from {at} at {self.paths:,} paths"


def _supply_held(scenario: Scenario) -> str | None:
    """``with the loss``, ``with the region loss and the slip``: the scenario's supply events,
    which the breaking search holds at every multiplier; None when it has none."""
    events = [
        name
        for name, present in (
            ("the loss", bool(scenario.lose)),
            ("the region loss", scenario.region_loss is not None),
            ("the slip", bool(scenario.slip)),
        )
        if present
    ]
    return "with " + " and ".join(events) if events else None


@dataclass(frozen=True, slots=True)
class _Option:
    """A candidate type that may be ordered for ``region`` on the run date, and when it lands."""

    region: str
    candidate: CandidateBlock
    arrival: date
    # The plain type's name when this is an order expedited by the response ladder's
    # ``expedite`` rung (``candidate`` is then the expedited type: shorter lead, premium capex).
    expedited_from: str | None = None

    @property
    def plain_name(self) -> str:
        """The candidate type's name in the plan, expedited or not."""
        return self.expedited_from or self.candidate.name

    @property
    def usd_per_gpu(self) -> float:
        """Capital cost per GPU: the order in which options are tried."""
        return self.candidate.capex_usd / self.candidate.gpus

    def blocks(self, count: int) -> list[Block]:
        """``count`` blocks of this type ordered on the run date."""
        return [self.block(self.candidate.gpus, serial) for serial in range(1, count + 1)]

    def block(self, gpus: int, serial: int | str) -> Block:
        """One block of this type's shape and arrival, with ``gpus`` GPUs."""
        c = self.candidate
        # The "unlimited" stand-in (``_ample_gpus``) is no plan entry: twice a 10x shock's
        # busiest hour passes the ceiling a plan's block is held to, and validating it as
        # one stopped the drill with a traceback. Every field but its GPUs is the candidate's,
        # which the plan validated.
        make = Block.model_construct if gpus > MAX_GPUS_PER_ROW else Block
        return make(
            id=f"new-{self.region}-{c.name}-{serial}",
            kind=c.kind,
            region=self.region,
            site=_unplaced(self.region),
            gpu_type=c.gpu_type,
            gpus=gpus,
            mw=c.mw,
            status=BlockStatus.COMMITTED,
            in_service=self.arrival,
            fabric=c.fabric,
            classes=c.classes,
        )


def _unplaced(region: str) -> str:
    """The site of a block the search adds before :class:`_SitePower` places it."""
    return f"{region}-new"


@dataclass(frozen=True, slots=True)
class _PowerStep:
    """A day from which a region's sites power more of a candidate type: ``what`` the site
    gains that day (its energized step, its contract, MW a block leaves behind)."""

    site: str
    day: date
    what: str


@dataclass(frozen=True, slots=True)
class _SitePower:
    """Where and from when the blocks a search adds can run: the MW the plan's [[site]]s have
    free (energized steps and contracts by their dates, less the plan's blocks in service), as
    the triggers count it (:class:`~forecasting.triggers.power.Power`). A block ordered into
    a region runs at the roomiest of its sites with its MW free from its arrival on, else from
    the first day a site has it (standing dark until then), as the triggers place an order
    (:func:`~forecasting.triggers.orders._placed`); one no site powers within the plan serves
    nothing. Counted as live on arrival, the "unlimited blocks" of a drill restored the SLO
    from their first arrival (2025-03-30) at a site with 0.16 MW free until 2026-08-16.
    """

    plan: CapacityPlan
    power: Power
    run_date: date

    @classmethod
    def of(cls, plan: CapacityPlan, *, run_date: date, horizon_end: date) -> _SitePower | None:
        """The plan's free MW from ``run_date`` to past its last power or block date (power
        that comes after the drill window is named, not used); None without [[site]]."""
        days = [horizon_end]
        for site in plan.site:
            days += [step.on for step in site.energized]
            days += [site.contracted_energized] if site.contracted_energized else []
        days += [d for b in plan.block for d in (b.in_service, b.retire) if d is not None]
        end = max(max(days), run_date) + timedelta(days=1)
        power = Power.of(plan, start=run_date, end=end)
        return None if power is None else cls(plan, power, run_date)

    def placed(self, blocks: Sequence[Block]) -> list[Block]:
        """``blocks``, those the search added placed at a site of their region and in service
        from the day it powers them; a block no site powers within the plan is left out (it
        would serve nothing). Blocks take MW in the order they arrive, as orders do."""
        power = self.power.copy()
        out = []
        for block in sorted(blocks, key=lambda b: (b.in_service or date.min, b.id)):
            sites = power.sites_in(block.region)
            if block.site != _unplaced(block.region) or block.in_service is None or not sites:
                out.append(block)
                continue
            arrives = block.in_service
            fits = [s for s in sites if power.room(s, arrives) >= block.mw - TOL]
            if fits:
                site, runs = max(fits, key=lambda s: (power.room(s, arrives), s)), arrives
            else:
                later = [
                    (day, s) for s in sites if (day := power.powered_from(s, block.mw, arrives))
                ]
                if not later:
                    continue
                runs, site = min(later)
            power.take(site, block.mw, runs)
            out.append(block.model_copy(update={"site": site, "in_service": runs}))
        return out

    def unlimited(self, option: _Option, gpus: int, serial: str) -> list[Block]:
        """Blocks of ``option`` standing for "unlimited" (``gpus`` in all), as far as its
        region's sites power them: at each site, from each day it has the MW for more of them,
        as many more as it has MW for, the earliest days first across the region's sites (filled
        site by site, the first by id took them all from its power 100 days out, and a site
        with MW free today got none). Each type reads every site's whole free MW: with several
        types in a region together they may draw more than is free, so this bounds what any set
        of them can do (a drill that fails with it fails with every set)."""
        c = option.candidate
        sites = self.power.sites_in(option.region)
        if c.mw <= 0 or not sites:
            return [option.block(gpus, serial)]
        steps: list[tuple[date, str, int]] = []  # (day, site, blocks more it powers from then)
        for site in sites:
            count = 0
            while count * c.gpus < gpus:
                day = self.power.powered_from(site, (count + 1) * c.mw, option.arrival)
                if day is None:
                    break
                more = max(int((self.power.room(site, day) + TOL) // c.mw), count + 1) - count
                steps.append((day, site, more))
                count += more
        out: list[Block] = []
        left = gpus
        for day, site, more in sorted(steps):
            if left <= 0:
                break
            taken = min(more * c.gpus, left)
            block = option.block(taken, f"{serial}-{site}-{day}")
            update = {"site": site, "in_service": day, "mw": c.mw * -(-taken // c.gpus)}
            out.append(block.model_copy(update=update))
            left -= taken
        return out

    def overdrawn(self, blocks: Sequence[Block]) -> bool:
        """Whether ``blocks`` (:meth:`unlimited` stand-ins of several types) draw more MW at
        some site, on some day, than it has free: each type read every site's whole MW, so
        together they bound what any set can do but are no set that can run."""
        power = self.power.copy()
        for block in sorted(blocks, key=lambda b: (b.in_service or date.min, b.id)):
            if block.site not in power.free or block.in_service is None:
                continue
            if power.room(block.site, block.in_service) < block.mw - TOL:
                return True
            power.take(block.site, block.mw, block.in_service)
        return False

    def steps(self, stand_ins: Sequence[tuple[_Option, Block]]) -> list[_PowerStep]:
        """The days power let stand-ins (:meth:`unlimited`, each with its option) run after
        they arrived, by day: where blocks alone would have run on arrival."""
        late = {
            _PowerStep(b.site, b.in_service, self._gain(b.site, b.in_service))
            for o, b in stand_ins
            if b.in_service is not None and b.in_service > o.arrival
        }
        return sorted(late, key=lambda p: (p.day, p.site))

    def _gain(self, site_id: str, day: date) -> str:
        """What ``site_id`` gains on ``day``: ``us-east-b's contracted 5 MW are energized``."""
        site = self.plan.sites[site_id]
        if site.contracted_energized == day:
            return f"{site_id}'s contracted {site.contracted_mw:g} MW are energized"
        if any(step.on == day for step in site.energized):
            return f"{site_id}'s energized MW step to {site.energized_mw_on(day):g} MW"
        return f"MW at {site_id} are freed (a block there retires)"

    def contracted_today(self, regions: Collection[str]) -> tuple[str, date] | None:
        """The site of ``regions`` where power contracted today is energized first, and that
        day (its power lead time and the triggers' buffer from ``run_date``)."""
        buffer = timedelta(weeks=TriggerSettings().buffer_weeks)
        days = [
            (months_before(self.run_date + buffer, -s.power_lead_months), s.id)
            for s in self.plan.site
            if s.region in regions
        ]
        if not days:
            return None
        day, site = min(days)
        return site, day


class _RunBudgetSpentError(Exception):
    """The search made as many simulation runs as it was allowed."""


@dataclass
class _Runs:
    """Counts the simulations of one search and stops it at ``limit``."""

    engine: Engine
    limit: int
    count: int = 0
    # Where the blocks a run adds have power, and from when (None: no [[site]], no check).
    power: _SitePower | None = None

    def __call__(
        self, drill: PreparedDrill, blocks: Sequence[Block] = (), *, powered: bool = True
    ) -> DrillResult:
        """``drill`` with ``blocks``, placed where and when they have power unless
        ``powered`` is False (blocks alone, to say what power costs)."""
        if self.power is not None and blocks and powered:
            blocks = self.power.placed(blocks)
        known = drill.known(blocks, engine=self.engine)
        if known is not None:  # the drill's own shocked run: already simulated, not counted
            return known
        if self.count >= self.limit:
            raise _RunBudgetSpentError
        self.count += 1
        return drill.run(extra_blocks=blocks, engine=self.engine, curves=False)


def _region_drill(
    drill: PreparedDrill, region: str, targets: Mapping[WorkloadClass, float] | None = None
) -> PreparedDrill:
    """``drill`` restricted to one region: its demand streams and its blocks only.

    Regions share no capacity (every pool and every stream belongs to one region), so a region
    simulated on its own sees exactly what it sees inside the whole drill, at a fraction of the
    cost; the exception is a region-loss drill whose dark region's work fails over to the
    others, where the whole drill's verification run is what counts. The scenario stays as
    resolved for the whole drill (target, start, lost and slipped blocks by id, dark regions),
    so nothing is re-resolved against the smaller plan. A class's verdict there
    is its verdict in this region alone; in the whole drill a class holds in an hour only when
    it holds in every region, which is why the chosen set is verified on the whole drill.
    ``targets`` replace classes' SLO targets for this region (a share of the allowed miss).
    """
    demand = drill.demand
    keep = np.array([i for i, s in enumerate(demand.streams) if s.region == region], dtype=np.int64)
    alone = replace(
        demand,
        streams=tuple(demand.streams[i] for i in keep),
        regions=(region,),
        base=demand.base[:, :, keep],
        target=demand.target[:, :, keep],
        shape_group=demand.shape_group[keep],
    )
    policy = {
        k: p.model_copy(update={"slo_target": targets[k]}) if targets and k in targets else p
        for k, p in drill.plan.policy.items()
    }
    plan = drill.plan.model_copy(
        update={"block": tuple(b for b in drill.plan.block if b.region == region), "policy": policy}
    )
    return replace(drill, plan=plan, demand=alone)


def _ample_gpus(plan: CapacityPlan, demand: DemandSide, scenario: Scenario) -> int:
    """GPUs that stand for "unlimited" in one block: twice the whole fleet's busiest shocked
    hour (every region together, each stream at the busiest hour of the day it drew) grossed
    up for the largest headroom."""
    busiest = demand.shapes.max(axis=1)  # (library days, shape groups)
    group = demand.shape_group
    peaks = busiest[demand.day_shape[:, :, group], group]  # (paths, days, streams)
    hour = float((demand.base * peaks).sum(axis=2).max(initial=0.0))
    headroom = max(p.headroom for p in plan.policy.values())
    peak = max(hour, 1.0) * max(1.0, scenario.multiplier)
    return int(np.ceil(2.0 * peak / (1.0 - headroom)))


@dataclass(frozen=True, slots=True)
class _Orderable:
    """What may be ordered on the run date: the plain orders landing within the drill window,
    the expedited ones (``[response.expedite]``) per region and type where the rung saves time
    and lands within the window, notes on types that land too late, and the earliest arrival of
    any order, expedited or not (None: nothing orderable)."""

    plain: list[_Option]
    expedited: list[_Option]
    notes: list[str]
    earliest: date | None
    earliest_expedited: bool = False  # only an expedited order lands on ``earliest``

    def for_regions(self, expedite: Collection[str]) -> list[_Option]:
        """The options to size with: plain orders, except in the ``expedite`` regions, where
        each type is ordered expedited when the rung makes it land sooner (a type the rung does
        not speed up, or that lands in time only expedited, stays as it is)."""
        faster = {(o.region, o.plain_name) for o in self.expedited if o.region in expedite}
        kept = [o for o in self.plain if (o.region, o.plain_name) not in faster]
        return kept + [o for o in self.expedited if o.region in expedite]


def _options(
    plan: CapacityPlan, regions: Sequence[str], run_date: date, horizon_end: date
) -> _Orderable:
    """Candidate types orderable per region that land within the drill window, plain and
    expedited (see :class:`_Orderable`)."""
    rung = plan.ladder.expedite
    plain: list[_Option] = []
    expedited: list[_Option] = []
    late: dict[tuple[str, date], list[str]] = {}
    sooner: dict[tuple[str, date, date], list[str]] = {}
    arrivals: list[date] = []
    plain_arrivals: list[date] = []
    for region in regions:
        for c in plan.candidate:
            if not c.available_in(region):
                continue
            arrival = run_date + timedelta(weeks=c.lead_time_weeks)
            arrivals.append(arrival)
            plain_arrivals.append(arrival)
            if arrival <= horizon_end:
                plain.append(_Option(region, c, arrival))
            if rung is None or not plan.ladder.covers(region) or c.lead_time_weeks == 0:
                if arrival > horizon_end:
                    late.setdefault((c.name, arrival), []).append(region)
                continue
            fast = rung.candidate(c)
            landed = run_date + timedelta(weeks=fast.lead_time_weeks)
            arrivals.append(landed)
            if landed <= horizon_end:
                expedited.append(_Option(region, fast, landed, expedited_from=c.name))
            if arrival > horizon_end:
                sooner.setdefault((c.name, arrival, landed), []).append(region)
    notes = [
        f"{name} ordered on {run_date} is in service on {arrival}, after the drill window ends "
        f"on {horizon_end}: not considered for {', '.join(where)}"
        for (name, arrival), where in late.items()
    ]
    if rung is not None:
        expedite = f"expedited ({rung.weeks_saved} weeks sooner, +{rung.premium:.0%} capex)"
        for (name, arrival, landed), where in sooner.items():
            head = (
                f"{name} ordered on {run_date} is in service on {arrival}, after the drill window "
                f"ends on {horizon_end}; {expedite} on {landed}"
            )
            tail = (
                f": considered expedited only for {', '.join(where)}"
                if landed <= horizon_end
                else f", after it too: not considered for {', '.join(where)}"
            )
            notes.append(head + tail)
    earliest = min(arrivals, default=None)
    plain_earliest = min(plain_arrivals, default=None)
    return _Orderable(
        plain, expedited, notes, earliest, earliest is not None and plain_earliest != earliest
    )


def _failing(result: DrillResult) -> list[WorkloadClass]:
    verdicts = result.verdicts.filter(~pl.col("passed"))
    return [WorkloadClass(k) for k in verdicts["workload_class"]]


def _failing_text(result: DrillResult) -> str:
    """``inference, training short``: the classes a run leaves short."""
    return ", ".join(k.value for k in _failing(result)) + " short"


def _unservable(
    drill: PreparedDrill, gate: DrillResult, options: Sequence[_Option]
) -> list[tuple[str, list[str]]]:
    """Each failing class and the regions it is short in that no option may serve it in.

    Where the class is short (its (region, class) groups in ``gate``), not every region it has
    demand in: training short in eu-west alone read "training (in eu-west, us-east, us-west)",
    pointing procurement at regions that need nothing. A class that fails only across regions
    (no region short on its own) names every region it has demand in."""
    served = {(o.region, k) for o in options for k in WorkloadClass if o.candidate.allows(k)}
    short = [
        (r, k) for r, k, gap in group_verdicts(drill.plan, drill.demand, gate) or () if gap > 1e-12
    ]
    out = []
    for k in _failing(gate):
        where = {r for r, c in short if c is k} or {
            s.region for s in drill.demand.streams if s.workload_class is k
        }
        stranded = sorted(where - {r for r, c in served if c is k})
        if stranded:
            out.append((k.value, stranded))
    return out


def _gate_notes(
    drill: PreparedDrill,
    gate: DrillResult,
    options: Sequence[_Option],
    run_date: date,
) -> tuple[list[str], date | None]:
    """Why even unlimited blocks fail, and the date from which they restore every SLO."""
    first = min(options, key=lambda o: (o.arrival, o.usd_per_gpu, o.region))
    notes = []
    if first.arrival > gate.shock_start:
        notes.append(
            f"{NO_ORDER_IN_TIME}: the shock starts on {gate.shock_start}, and the earliest "
            f"candidate ordered on {run_date} ({first.candidate.name}, "
            f"{first.candidate.lead_time_weeks} weeks) is in service on {first.arrival}"
        )
    failing = _failing(gate)
    notes.append(
        "even unlimited candidate blocks, each in service from its earliest arrival, leave "
        + ", ".join(k.value for k in failing)
        + " below target"
    )
    for cls, stranded in _unservable(drill, gate, options):
        notes.append(
            f"no candidate that {cls} may run on can be ordered for {', '.join(stranded)} in "
            "time for the horizon"
        )
    # Time to absorb: from the shock start until every class's headroom holds for good.
    hours = gate.kpi(ALL_CLASSES, "time_to_absorb_hours", "p90")  # NaN: reaches a censored path
    ended = short_until_shock_end(gate)
    if ended is not None:
        notes.append(
            "with unlimited candidate blocks from their earliest arrival, some class is short "
            f"until the shock ends ({ended:,.0f} h after it starts) on more than 10 % of paths: "
            "the SLO holds again with the shock's end, not with blocks"
        )
        return notes, None
    if gate.kpi(ALL_CLASSES, "absorb_censored", "p90") > 0.5 or not np.isfinite(hours):
        notes.append(
            "with unlimited candidate blocks from their earliest arrival, the headroom of every "
            f"class does not hold for good before the horizon ends on {gate.horizon_end} "
            "(on more than 10 % of paths)"
        )
        return notes, None
    restored = gate.shock_start + timedelta(hours=hours)
    notes.append(
        f"an order placed on {run_date} restores the SLO from {restored} on 90 % of paths: "
        "with unlimited candidate blocks from their earliest arrival (preemption and deferral "
        f"only, no response ladder), every class's headroom holds for good {hours:,.0f} h after "
        "the shock starts"
    )
    return notes, restored


def _holds_from(gate: DrillResult) -> date | None:
    """The day from which ``gate``'s headroom holds for good for every class on 90 % of
    paths, as :func:`_gate_notes` reads it; None when it does not within the horizon or
    holds again only with the shock's end."""
    hours = gate.kpi(ALL_CLASSES, "time_to_absorb_hours", "p90")
    if short_until_shock_end(gate) is not None or not np.isfinite(hours):
        return None
    if gate.kpi(ALL_CLASSES, "absorb_censored", "p90") > 0.5:
        return None
    return gate.shock_start + timedelta(hours=hours)


def _power_binding(
    runs: _Runs,
    drill: PreparedDrill,
    options: Sequence[_Option],
    *,
    ample: int,
    restored: date | None,
) -> tuple[str, str, str]:
    """Whether site power, not blocks, binds a failed gate: (the clause naming the power,
    what blocks alone would do, a note for the run's notes); empty strings when unlimited
    blocks without any power limit do no better (or the plan declares no [[site]])."""
    power = runs.power
    if power is None:
        return "", "", ""
    made = [power.unlimited(o, ample, f"{i}-unlimited") for i, o in enumerate(options)]
    stand_ins = [(o, b) for o, blocks in zip(options, made, strict=True) for b in blocks]
    # Types power holds back: late on their sites' MW, or fewer GPUs than "unlimited".
    bound = [
        o
        for o, blocks in zip(options, made, strict=True)
        if sum(b.gpus for b in blocks) < ample
        or any(b.in_service is not None and b.in_service > o.arrival for b in blocks)
    ]
    if not bound:
        return "", "", ""
    try:
        free = runs(
            drill, [o.block(ample, f"{i}-unlimited") for i, o in enumerate(options)], powered=False
        )
    except _RunBudgetSpentError:
        return (
            "",
            "",
            (
                "site power limits the unlimited candidate blocks; whether it, not blocks, binds "
                "was not measured: the search stopped at its simulation runs (max_runs)"
            ),
        )
    alone = _holds_from(free)
    if not free.passed and (alone is None or (restored is not None and alone >= restored)):
        return "", "", ""  # power changes nothing the gate can see
    alone_text = (
        "blocks alone (their sites' power not counted) would pass"
        if free.passed
        else f"blocks alone would do it from {alone}"
    )
    steps = power.steps(stand_ins)
    regions = sorted({o.region for o in bound})
    if restored is not None:
        before = [p for p in steps if p.day <= restored]
        clause = (
            f"when {before[-1].what} ({before[-1].day})"
            if before
            else f"once {listed(regions)} has MW for the blocks"
        )
    else:
        after = [p for p in steps if p.day > free.horizon_end]
        if after:
            clause = (
                f"their sites have MW for more of them only when {after[0].what} "
                f"({after[0].day}), after the drill window ends on {free.horizon_end}"
            )
        else:
            # As many as the sites ever power (racks on 0.93 MW free: 2), by type and region;
            # types of one region are counted on the same MW, so it is one or the other.
            per_region: dict[str, list[str]] = {}
            for o, blocks in zip(options, made, strict=True):
                if blocks and sum(b.gpus for b in blocks) < ample:
                    per_region.setdefault(o.region, []).append(
                        f"{round(sum(b.mw for b in blocks) / o.candidate.mw):,} x "
                        f"{o.candidate.name}"
                    )
            counts = [f"{' or '.join(c)} in {r}" for r, c in per_region.items()]
            powered = {o.region for o, blocks in zip(options, made, strict=True) if blocks}
            unpowered = [r for r in regions if r not in powered]
            clause = (
                f"their sites have MW for only {listed(counts)} within the plan"
                + (f" and none in {listed(unpowered)}" if unpowered else "")
                if counts
                else f"no site in {listed(regions)} has MW for them within the plan"
            )
            # Each region's own site: one date for several regions named another region's
            # site beside this one's blocks (ServeGen's racks beside ap-a's power date).
            today = [t for t in (power.contracted_today([r]) for r in regions) if t is not None]
            if today:
                clause += (
                    " (power contracted today is energized at "
                    + listed([f"{site} on {day}" for site, day in today])
                    + ")"
                )
    note = (
        f"site power binds: with unlimited candidate blocks run only where and when their "
        f"site has energized MW free, {clause}; {alone_text}"
    )
    return clause, alone_text, note


def _region_loss_cure(
    plan: CapacityPlan, drill: PreparedDrill, earliest: date | None, *, gate_failed: bool
) -> str:
    """Why no block order is the cure of a region-loss drill no order passes, and what is:
    a block in the dark region goes dark with it, so the cure is failover (a region to fail
    over to, and which classes may) and the response ladder. "" for any other drill."""
    dark = sorted(drill.resolved.dark)
    if not dark:
        return ""
    where = ", ".join(dark)
    regions = {s.region for s in drill.demand.streams} | {b.region for b in plan.block}
    if not regions - set(dark):
        return (
            f"no block order can pass it: {where} is the whole fleet, so its work has nowhere to "
            "fail over and a block ordered there goes dark with it; the cure is a region to "
            "fail over to and the response ladder"
        )
    # Which of the dark region's classes may not move: more blocks there go dark with it.
    here = {s.workload_class for s in drill.demand.streams if s.region in drill.resolved.dark}
    stuck = sorted(k.value for k in here if not plan.policy[k].failover)
    moved = (
        f"{listed(stuck)} may not fail over ([policy.<class>] failover)"
        if stuck
        else f"its work fails over to {', '.join(sorted(regions - set(dark)))}"
    )
    begin = min(b for b, _ in drill.resolved.dark.values())
    dark_on = drill.demand.first_day + timedelta(days=begin // 24)
    if earliest is not None and earliest > dark_on:
        # An order landing sooner elsewhere could hold failed-over work: not "no lead time".
        return (
            f"no order placed today is in service before {where} goes dark (earliest "
            f"{earliest}), and blocks in {where} would go dark with it; {moved}: within the "
            "window the cure is failover and the response ladder"
        )
    lands = (
        "unlimited blocks in every region, in service before it goes dark, still fail"
        if gate_failed
        else "no order placed today passes it"
    )
    return (
        f"{lands}; blocks in {where} go dark with it, and {moved}: the cure is failover and the "
        "response ladder, not a lead time"
    )


def _gap(result: DrillResult) -> float:
    """How far the tightest class is from its target: positive short, zero or below passing."""
    v = result.verdicts
    return float((v["slo_target"] - v["attainment_p90_paths"]).max())  # type: ignore[arg-type]


def _least_count(
    trial: Callable[[int], tuple[bool, float]],
    *,
    known_failing: int,
    limit: int,
    guess: int = 1,
    known_gap: float | None = None,
) -> int | None:
    """The smallest count in (known_failing, limit] that passes, assuming more never hurts.

    ``trial(n)`` simulates ``n`` blocks and returns (passed, gap), the gap being how far the
    tightest class is from its target (:func:`_gap`). Counts are searched by interpolating the
    gap to zero between the two nearest counts tried (``known_gap`` is the gap at
    ``known_failing``, when measured), with a bisection step whenever interpolation fails to
    halve the bracket; the first count tried is ``guess``. None when no count up to ``limit``
    passes.
    """
    if limit <= known_failing:
        return None
    low, high = known_failing, limit + 1  # high: least count known to pass (limit + 1: none)
    gaps: dict[int, float] = {} if known_gap is None else {known_failing: known_gap}
    n, halve = min(max(guess, low + 1), limit), False
    while True:
        passed, gaps[n] = trial(n)
        width = high - low
        if passed:
            high = n
        else:
            low = n
        if high - low <= 1 or low >= limit:
            break
        if halve:
            n, halve = (low + high) // 2, False
            continue
        n = _interpolated(gaps, low, high, limit)
        halve = high <= limit and 2 * (high - low) > width  # the step did not halve it
    return high if high <= limit else None


def _interpolated(gaps: Mapping[int, float], low: int, high: int, limit: int) -> int:
    """The next count to try inside the bracket (low, high): where the gap, extended straight
    through the two largest failing counts tried, reaches zero. Passing counts only bound the
    bracket (attainment saturates once a class passes, so their gaps carry no slope). Without
    a slope: bisects when a count is known to pass, else gallops upwards.
    """
    failing = sorted(n for n, gap in gaps.items() if n <= low and gap > 0)
    if len(failing) >= 2 and gaps[failing[-2]] > gaps[failing[-1]]:
        a, b = failing[-2:]
        ga, gb = gaps[a], gaps[b]
        # Rounded to the nearest count: attainment is concave in the count, so a line through
        # two failing counts overshoots the root.
        target = round(b + gb * (b - a) / (ga - gb))
    elif high <= limit:
        target = (low + high) // 2
    else:  # gallop: one more, then double the stride
        target = low + (2 * (low - failing[-2]) if len(failing) >= 2 else 1)
    return int(min(max(target, low + 1), high - 1, limit))


@dataclass(frozen=True, slots=True)
class _Mix:
    """Counts per option for one region and their capital cost."""

    counts: tuple[tuple[_Option, int], ...]
    capex_usd: float

    def blocks(self) -> list[Block]:
        return [b for option, count in self.counts for b in option.blocks(count)]


def _cheapest_mix(
    runs: _Runs,
    alone: PreparedDrill,
    options: Sequence[_Option],
    failing: Sequence[WorkloadClass],
    *,
    ample: int,
    hints: Mapping[str, int],
    max_blocks: int,
    gap: float | None = None,
    failing_counts: Mapping[str, int] | None = None,
    stand_in: Callable[[_Option, str], list[Block]] | None = None,
) -> _Mix | None:
    """The lowest-capex mix of ``options`` that makes the region pass on its own.

    Mixes by kind: each type that may host every failing class, alone; and each type that
    hosts only some of them (racks: no training) on top of the fewest blocks of a complete type
    that pass when the partial type is unlimited (a partial type alone is not tried: some
    failing class cannot run on it). Counts are found by :func:`_least_count`, cheapest type
    per GPU first; a count whose capex cannot beat the best mix so far is never simulated, and
    no set of blocks is simulated twice. ``gap`` is the region's gap (:func:`_gap`) without new
    blocks, when measured: with it the first two counts tried already give a slope to follow.
    ``failing_counts``: per type, a count of it alone known to fail (a first round's least
    count less one, at a looser target). ``stand_in`` makes a partial type's "unlimited"
    blocks (as far as its sites power them, :meth:`_SitePower.unlimited`); one ``ample``
    block on arrival without it.
    """
    useful = [o for o in options if any(o.candidate.allows(k) for k in failing)]
    complete = sorted(
        (o for o in useful if all(o.candidate.allows(k) for k in failing)),
        key=lambda o: o.usd_per_gpu,
    )
    partial = [o for o in useful if o not in complete]
    best: _Mix | None = None
    seen: dict[
        tuple[tuple[str, int], ...], tuple[bool, float]
    ] = {}  # a set of blocks is simulated once

    def passes_with(
        option: _Option, fixed: Sequence[Block] = (), extra: Sequence[Block] = ()
    ) -> Callable[[int], tuple[bool, float]]:
        """Whether the region passes with ``count`` blocks of ``option`` on top of the others,
        and its gap (:func:`_gap`)."""

        def trial(count: int) -> tuple[bool, float]:
            blocks = [*fixed, *option.blocks(count), *extra]
            key = tuple(sorted((b.id, b.gpus) for b in blocks))
            if key not in seen:
                result = runs(alone, blocks)
                seen[key] = (result.passed, _gap(result))
            return seen[key]

        return trial

    def limit(option: _Option, spent: float) -> int:
        """Most blocks of ``option`` worth trying: unlimited in GPUs, cheaper than the best."""
        most = min(max_blocks, int(np.ceil(ample / option.candidate.gpus)))
        if best is not None and option.candidate.capex_usd > 0:
            room = best.capex_usd - spent
            most = min(most, int(np.ceil(room / option.candidate.capex_usd)) - 1)
        return most

    def guess(option: _Option) -> int:
        return hints.get(option.candidate.name, 1)

    def consider(counts: tuple[tuple[_Option, int], ...]) -> None:
        nonlocal best
        capex = sum(o.candidate.capex_usd * n for o, n in counts)
        if best is None or capex < best.capex_usd:
            best = _Mix(tuple((o, n) for o, n in counts if n), capex)

    for option in complete:
        found = _least_count(
            passes_with(option),
            known_failing=(failing_counts or {}).get(option.candidate.name, 0),
            guess=guess(option),
            limit=limit(option, 0.0),
            known_gap=gap,
        )
        if found is not None:
            consider(((option, found),))
    for cheap in partial:
        for whole in complete:
            if cheap.usd_per_gpu >= whole.usd_per_gpu:
                continue  # the complete type is no dearer per GPU: it alone was tried above
            base = _least_count(
                passes_with(
                    whole,
                    extra=(
                        stand_in(cheap, "unlimited")
                        if stand_in
                        else [cheap.block(ample, "unlimited")]
                    ),
                ),
                known_failing=0,
                limit=limit(whole, 0.0),
            )
            if base is None:
                continue
            spent = whole.candidate.capex_usd * base
            top = _least_count(
                passes_with(cheap, fixed=whole.blocks(base)),
                known_failing=-1,
                guess=guess(cheap),
                limit=limit(cheap, spent),
            )
            if top is not None:
                consider(((whole, base), (cheap, top)))
    return best


def _set_text(mixes: Mapping[str, _Mix]) -> str:
    """``2 x rack-256 in r1 and 1 x pod-1024 in r2 ($25.3M)``: a set of blocks as read."""
    counts = [
        f"{count} x {option.candidate.name} in {option.region}"
        for region in sorted(mixes)
        for option, count in mixes[region].counts
    ]
    capex = sum(mix.capex_usd for mix in mixes.values())
    return f"{' and '.join(counts) or 'no new blocks'} ({usd(capex)})"


def _one_more(
    mixes: Mapping[str, _Mix],
    options: Sequence[_Option],
    groups: Sequence[tuple[str, WorkloadClass]],
    *,
    max_blocks: int,
) -> dict[str, _Mix] | None:
    """``mixes`` with one more block in each region of ``groups`` (the (region, class) groups
    whose pass is within its sampling error): of the type the region's mix already holds that
    may host the class, cheapest per GPU, else the cheapest type there that may. None where a
    group has no such type within ``max_blocks``: no larger set of these types exists."""
    grown = dict(mixes)
    for region in sorted({r for r, _ in groups}):
        classes = [k for r, k in groups if r == region]
        mix = grown.get(region, _Mix((), 0.0))
        held = dict(mix.counts)
        fits = [
            o
            for o in options
            if o.region == region
            and all(o.candidate.allows(k) for k in classes)
            and held.get(o, 0) < max_blocks
        ]
        if not fits:
            return None
        option = min(fits, key=lambda o: (o not in held, o.usd_per_gpu))
        held[option] = held.get(option, 0) + 1
        counts = tuple((o, n) for o, n in held.items())
        grown[region] = _Mix(counts, sum(o.candidate.capex_usd * n for o, n in counts))
    return grown


def _additions(mixes: Sequence[_Mix], run_date: date, shock_start: date) -> pl.DataFrame:
    rows = [
        (
            option.region,
            option.candidate.name,
            option.candidate.kind.value,
            option.candidate.gpu_type,
            count,
            option.candidate.gpus * count,
            option.candidate.mw * count,
            option.candidate.capex_usd * count,
            run_date,
            option.arrival,
            option.arrival <= shock_start,
        )
        for mix in mixes
        for option, count in mix.counts
    ]
    return pl.DataFrame(rows, schema=ADDITIONS_SCHEMA, orient="row").sort("region", "candidate")


def _late_notes(additions: pl.DataFrame, shock_start: date) -> list[str]:
    late = additions.filter(~pl.col("arrives_before_shock"))
    return [
        f"{row['count']} x {row['candidate']} in {row['region']} ordered on {row['order_by']} "
        f"is in service on {row['in_service']}, after the shock starts on {shock_start}: "
        "the hours before it arrive are not covered"
        for row in late.iter_rows(named=True)
    ]


def _power_waits(power: _SitePower | None, mixes: Sequence[_Mix], run_date: date) -> list[str]:
    """One note per type and site where the chosen blocks land before their site has the MW
    for them (they stand dark until then) or never have it within the plan: the set was
    verified so, and "in service on" its arrival read as if they ran from then."""
    if power is None:
        return []
    chosen = [(o, b) for mix in mixes for o, n in mix.counts for b in o.blocks(n)]
    placed = {b.id: b for b in power.placed([b for _, b in chosen])}
    waits: dict[tuple[str, str, date, str, date | None], int] = {}
    for option, block in chosen:
        where = placed.get(block.id)
        runs = None if where is None else where.in_service
        if runs is not None and runs <= option.arrival:
            continue
        site = "" if where is None else where.site
        key = (option.region, option.candidate.name, option.arrival, site, runs)
        waits[key] = waits.get(key, 0) + 1
    return [
        f"{n} x {name} in {region} ordered on {run_date} lands on {arrival} but "
        + (
            f"stands dark until {runs}, when {site} has its MW free"
            if runs is not None
            else "no site there has its MW within the plan: it serves nothing"
        )
        for (region, name, arrival, site, runs), n in waits.items()
    ]


def blocks_to_pass(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    shapes: pl.DataFrame | None,
    scenario: Scenario,
    *,
    run_date: date,
    max_blocks: int = 64,
    max_runs: int = 24,
    engine: Engine = "kernel",
    verify_on: pl.DataFrame | None = None,
    prepared: PreparedDrill | None = None,
    stored: pl.DataFrame | None = None,
    larger_sets: int = 3,
) -> BlocksToPass:
    """The lowest-capex candidate blocks, ordered on ``run_date``, that make ``scenario`` pass.

    ``verify_on``: the drill's whole set of paths when ``paths`` is a subset of them. A set
    (or "nothing needed") found on the subset is then re-run on every path, and ``passed``
    only when that passes too: a verdict on 50 paths is not one on 200.

    ``prepared``: the drill already prepared from these arguments (and played, see
    :meth:`~forecasting.drills.simulate.PreparedDrill.play`): it is not prepared again, and its
    shocked run stands in for step 1's.

    Every block is ordered on ``run_date`` and enters service after its lead time; a type is
    ordered only where it is available, only if it lands within the horizon, and only for the
    classes it may host (training only on fabric pods). The steps, each a simulation run:

    1. The plan as it is (whole drill): when it passes, nothing is needed.
    2. The gate (whole drill): every orderable type in unlimited amount, each in service from
       its earliest arrival. If even that fails, no set of blocks ordered today passes: the
       result says so ("no order placed today arrives in time" when the shock starts before the
       earliest arrival) and gives the date from which that run's headroom held for good.
    3. Each region on its own (see :func:`_region_drill`): regions share no capacity, so one is
       sized without simulating the others. A region that passes alone needs nothing; whether
       it does is read off step 1's run (its (region, class) groups, which hold exactly when
       the region alone would), not simulated again, except in a region-loss drill whose work
       fails over, where each region is run alone once to find out.
    4. Per failing region, the cheapest mix (:func:`_cheapest_mix`): counts are bisected
       (or bracketed from the previous region's count, then bisected), assuming more blocks
       never hurt; mixes that cannot beat the cheapest found are not simulated.
    5. One verification run of the whole drill with every chosen block. Only when it passes is
       ``passed`` True.
    6. Regions share no capacity, but a class holds in an hour only when it holds in every
       region, so regions that each pass alone can miss in different hours and fail together.
       Then every region is sized again (from the first round's mixes) against a stricter
       target that shares each failing class's allowed miss equally over the regions it has
       demand in, and the whole drill is verified once more. That round is safe rather than
       least: the note says it was needed.
    7. Where the set passes only within its paths' sampling error (borderline), the search
       goes on rather than answer "borderline" beside a clear answer: the same set on more of
       the paths the forecast stored (``stored``, of which the drill's are the first; the
       paths its reason says would settle it and a quarter more, in hundreds, one run), then
       up to ``larger_sets`` larger sets, one block more at a time where the unsettled groups
       are, each verified on the drill's paths; the first that passes plainly is the answer,
       and a note says what was tried. The demo-like 1,000-GPU fleet read "would pass with 1
       x rack-256: borderline" where 2 racks pass on every path.

    At most ``max_blocks`` blocks of one type are proposed for one region. The search stops
    after ``max_runs`` simulations and then makes no claim: it answers with the last run it
    made and says what was not measured (``max_runs`` must leave the plan's own run, else
    ValueError; a ``prepared`` drill's is free). ``runs`` on the result counts them
    (single-region runs cost about 1/regions of a whole one): 2 when the gate fails; with
    three regions all short, about 13 without a second round and 19 with one (the benchmark,
    ``benchmarks/bench_blocks_to_pass.py``, against 49 for the greedy search it replaced).
    """
    drill = prepared or prepare_drill(plan, paths, shapes, scenario)
    runs = _Runs(engine, max_runs)
    notes: list[str] = []
    empty = pl.DataFrame(schema=ADDITIONS_SCHEMA)

    def answer(result: DrillResult, *, passed: bool = False, **fields: Any) -> BlocksToPass:
        additions = fields.pop("additions", empty)
        return BlocksToPass(
            passed=passed,
            baseline_passed=fields.pop("baseline_passed", False),
            additions=additions,
            capex_usd=float(additions["capex_usd"].sum()),
            result=result,
            notes=tuple(notes),
            runs=runs.count,
            **fields,
        )

    wholes: list[PreparedDrill] = []

    def whole_drill() -> PreparedDrill:
        """The drill on every path (``verify_on``; ``drill`` itself without it), prepared once."""
        if verify_on is None:
            return drill
        if not wholes:
            wholes.append(prepare_drill(plan, verify_on, shapes, scenario))
        return wholes[0]

    def unsettled(result: DrillResult) -> str:
        """Why ``result``'s pass on every path is within its sampling error ("" if not)."""
        return unsettled_pass(plan, whole_drill().demand, result) if result.passed else ""

    def holds_on_every_path(blocks: Sequence[Block], result: DrillResult) -> DrillResult:
        """``result`` (on the searched paths), or the whole drill's run with ``blocks`` when
        the search ran on a subset; a note says when the subset's verdict does not hold."""
        if verify_on is None:
            return result
        whole = runs(whole_drill(), blocks)
        if not whole.passed:
            searched = paths.get_column("sample_id").n_unique()
            every = verify_on.get_column("sample_id").n_unique()
            notes.append(
                f"what passes on the {searched} paths searched fails on all {every} paths of "
                "the drill (" + ", ".join(k.value for k in _failing(whole)) + " short): not "
                "verified; search on more paths (--answer-paths)"
            )
        return whole

    def stopped(what: str) -> str:
        """The note of a search out of runs: what it measured, and what it did not."""
        spent = f"{max_runs} simulation run" + ("" if max_runs == 1 else "s")
        return f"the search stopped after {spent} (max_runs): {what}"

    def search_on(
        mixes: dict[str, _Mix], first: DrillResult
    ) -> tuple[dict[str, _Mix], DrillResult, str]:
        """Step 7: a borderline set settled on more stored paths, or the first larger set that
        passes plainly; else the first set as it was. Its note (the last) says what was
        tried, within the budget: one run on more paths, ``larger_sets`` larger sets."""
        whole = whole_drill()
        groups = unsettled_groups(plan, whole.demand, first)
        start = _set_text(mixes)
        tried: list[str] = []

        def said(settled: str) -> str:
            notes.append(
                f"{start} passes only within its sampling error, so the search went on: "
                + "; ".join(tried)
                + f"; {settled}"
            )
            return notes[-1]

        try:
            have = len(whole.demand.sample_ids)
            total = 0 if stored is None else stored.get_column("sample_id").n_unique()
            needed = [n for *_, n in groups]
            if total > have and needed and None not in needed:
                most = max(n for n in needed if n is not None)
                count = min(total, max(-(-most * 5 // 4 // 100) * 100, have + 100))
                assert stored is not None  # total > 0
                more = prepare_drill(
                    plan, stored.filter(pl.col("sample_id") < count), shapes, scenario,
                    book_only=drill.demand.book_only,
                )  # fmt: skip
                run = runs(more, [b for mix in mixes.values() for b in mix.blocks()])
                open_ = unsettled_pass(plan, more.demand, run) if run.passed else ""
                if run.passed and not open_:
                    tried.append(f"on {count:,} of the {total:,} paths the forecast stored")
                    said(f"it passes there, settled (the drill's other figures read {have:,})")
                    return mixes, run, ""
                tried.append(
                    f"on {count:,} of the {total:,} paths the forecast stored it is "
                    + ("still borderline" if open_ else "fails (" + _failing_text(run) + ")")
                )
            elif None in needed:
                tried.append("more paths would not settle it (it sits on its threshold)")
            else:
                tried.append(
                    "the forecast stored no more paths to draw (`fleetcast forecast --paths N` "
                    "stores more)"
                )
            grown = mixes
            for _ in range(larger_sets):
                bigger = _one_more(
                    grown, options, [(r, k) for r, k, *_ in groups], max_blocks=max_blocks
                )
                if bigger is None:
                    tried.append(
                        "no larger set: no orderable type may host "
                        + ", ".join(f"{k.value} in {r}" for r, k, *_ in groups)
                        + f" within {max_blocks} blocks (max_blocks)"
                    )
                    break
                run = runs(whole, [b for mix in bigger.values() for b in mix.blocks()])
                open_ = unsettled_pass(plan, whole.demand, run) if run.passed else ""
                if run.passed and not open_:
                    tried.append(f"{_set_text(bigger)} passes plainly on {have:,} paths")
                    said("that set is the answer")
                    return bigger, run, ""
                tried.append(
                    f"{_set_text(bigger)} "
                    + ("is borderline too" if open_ else "fails (" + _failing_text(run) + ")")
                )
                if not open_:
                    break  # more blocks of these types fail: a larger set is no answer
                grown, before = bigger, {(r, k): share for r, k, share, _ in groups}
                groups = unsettled_groups(plan, whole.demand, run)
                if all(share <= before.get((r, k), 0.0) for r, k, share, _ in groups):
                    # One more block moved no unsettled group's share (their misses fall
                    # before these blocks land, or where they cannot serve): more will not.
                    tried.append(
                        "it moves no unsettled group's share of paths ("
                        + ", ".join(f"{k.value} in {r} {share:.1%}" for r, k, share, _ in groups)
                        + "), so no larger set of these types was tried"
                    )
                    break
            else:
                tried.append(f"stopped after {larger_sets} larger sets (the search's budget)")
        except _RunBudgetSpentError:
            tried.append(f"stopped after {max_runs} simulation runs (max_runs)")
        said(f"no set passes plainly; the answer stays {start}, borderline")
        return mixes, first, unsettled(first)

    try:
        current = runs(drill)
    except _RunBudgetSpentError:
        raise ValueError(
            f"max_runs={max_runs} leaves no simulation run for the plan itself"
        ) from None
    if current.passed:
        try:
            current = holds_on_every_path((), current)
        except _RunBudgetSpentError:
            # A pass on the paths searched is no pass on the drill's: say what was not run.
            searched = paths.get_column("sample_id").n_unique()
            every = verify_on.get_column("sample_id").n_unique() if verify_on is not None else 0
            notes.append(
                stopped(
                    "the plan passes without new blocks on the "
                    f"{searched} path{'' if searched == 1 else 's'} searched; on all {every} "
                    "paths of the drill it was not measured"
                )
            )
            return answer(current, why=notes[-1])
        if not current.passed:
            return answer(current)
        if borderline := unsettled(current):
            notes.append(
                f"the plan passes without new blocks only within its sampling error: {borderline}"
            )
            return answer(current, borderline=borderline, why=notes[-1])
        notes.append("the plan passes without new blocks")
        return answer(current, passed=True, baseline_passed=True)
    orderable = _options(plan, drill.demand.regions, run_date, current.horizon_end)
    notes += orderable.notes
    earliest = orderable.earliest
    landed: dict[str, Any] = {
        "earliest_arrival": earliest,
        "earliest_expedited": orderable.earliest_expedited,
    }
    if not orderable.plain and not orderable.expedited:
        if earliest is None:
            notes.append("no candidate block can be ordered for these regions")
            return answer(current)
        cure = _region_loss_cure(plan, drill, earliest, gate_failed=False)
        return answer(current, arrives_in_time=False, region_loss_cure=cure, **landed)
    ample = _ample_gpus(plan, drill.demand, scenario)
    # The blocks added run only where and when their site has the MW (see _SitePower), as
    # the drill plays the plan: a lost block's MW is free from its loss for its replacement
    # (counted as drawn, a one-site region read "no site in r1 has MW for them").
    played = played_plan(
        plan, drill.demand.first_day, lost=drill.resolved.lost, slipped=drill.resolved.slipped
    )
    runs.power = _SitePower.of(played, run_date=run_date, horizon_end=current.horizon_end)

    def stand_in(option: _Option, serial: str) -> list[Block]:
        """``ample`` GPUs of ``option``, as far as its region's sites power them."""
        if runs.power is None:
            return [option.block(ample, serial)]
        return runs.power.unlimited(option, ample, serial)

    def unlimited(options: Sequence[_Option]) -> list[Block]:
        return [b for i, o in enumerate(options) for b in stand_in(o, f"{i}-unlimited")]

    # Plain orders first; the expedite rung (weeks saved for a premium) only where even
    # unlimited plain orders leave a region short (every region it speeds up when no plain
    # order lands within the window, or when the shortfall is only across regions).
    options = orderable.plain
    failing_now = ", ".join(k.value for k in _failing(current))
    try:
        gate = runs(drill, unlimited(options)) if options else None
    except _RunBudgetSpentError:
        notes.append(
            stopped(
                f"the plan fails as it is ({failing_now} short); whether any set of orderable "
                "blocks passes was not measured"
            )
        )
        return answer(current, why=notes[-1], **landed)
    if (gate is None or not gate.passed) and orderable.expedited:
        anywhere = {o.region for o in orderable.expedited}
        gaps = () if gate is None else group_verdicts(plan, drill.demand, gate) or ()
        behind = {r for r, _, gap in gaps if gap > 1e-12} & anywhere or anywhere
        options = orderable.for_regions(behind)
        try:
            gate = runs(drill, unlimited(options))
        except _RunBudgetSpentError:
            plain = (
                "even unlimited plain orders landing within the drill window fail"
                if gate is not None
                else f"the plan fails as it is ({failing_now} short) and no plain order lands "
                "within the drill window"
            )
            notes.append(stopped(f"{plain}; whether expedited orders pass was not measured"))
            return answer(gate or current, why=notes[-1], **landed)
        rung = plan.ladder.expedite
        assert rung is not None  # there are expedited options
        notes.append(
            (
                "unlimited plain orders landing within the drill window fail; "
                if orderable.plain
                else ""
            )
            + f"orders for {', '.join(sorted(behind))} are expedited ({rung.weeks_saved} weeks "
            f"sooner, +{rung.premium:.0%} capex, [response.expedite])"
        )
    assert gate is not None  # some option exists
    if not gate.passed:
        gate_notes, restored = _gate_notes(drill, gate, options, run_date)
        notes += gate_notes
        bound = (
            restored is not None
            and runs.power is not None
            and runs.power.overdrawn(unlimited(options))
        )
        if bound:
            notes.append(f"the SLO's return on {restored} is {AT_THE_EARLIEST}")
        binds, without, note = _power_binding(runs, drill, options, ample=ample, restored=restored)
        notes += [note] if note else []
        unservable = tuple(
            f"{cls} (in {', '.join(regions)})" for cls, regions in _unservable(drill, gate, options)
        )
        return answer(
            gate,
            arrives_in_time=False,
            restores_slo_on=restored,
            restored_with_shock_hours=None if restored else short_until_shock_end(gate),
            unservable=unservable,
            region_loss_cure=_region_loss_cure(plan, drill, earliest, gate_failed=True),
            power_binds=binds,
            blocks_alone=without,
            restores_at_earliest=bound,
            **landed,
        )
    regions = sorted({s.region for s in drill.demand.streams})
    fails_over = bool(drill.resolved.dark) and any(p.failover for p in plan.policy.values())
    if fails_over:
        notes.append(
            "a dark region's work fails over to the others in this drill, so regions are not "
            "independent: each is sized on its own as if they were, and only the verification "
            "run of the whole drill decides"
        )
    # Each region's verdict on its own without new blocks, read off the whole drill's run
    # (a class holds in a region alone exactly when its group does there), except where a dark
    # region's work fails over: alone, a region has no failover edges.
    alone = None if fails_over else group_verdicts(plan, drill.demand, current)
    try:
        first = _size_regions(
            runs, drill, options, ample=ample, max_blocks=max_blocks, known_alone=alone,
            stand_in=stand_in,
        )  # fmt: skip
        if isinstance(first, str):
            notes.append(first)
            return answer(gate, arrives_in_time=True, why=first, **landed)
        mixes, failing_alone = first
        if not mixes:
            notes.append(
                "every region passes on its own but the drill fails: a class misses its target "
                "in different hours in different regions; no set was sized"
            )
            return answer(current, arrives_in_time=True, why=notes[-1], **landed)
        verified = runs(drill, [b for mix in mixes.values() for b in mix.blocks()])
        if not verified.passed:
            # A class holds in an hour only when it holds in every region, so regions that
            # each pass alone can miss in different hours. Size again with each failing class's
            # allowed miss shared out over the regions it has demand in.
            short = _failing(verified)
            notes.append(
                "each region passed on its own, but the whole drill with those blocks left "
                + ", ".join(k.value for k in short)
                + " short; sized again with each class's allowed miss shared over its regions"
            )
            shared = {
                k: 1.0
                - (1.0 - plan.policy[k].slo_target)
                / len({s.region for s in drill.demand.streams if s.workload_class is k})
                for k in short
            }
            second = _size_regions(
                runs, drill, options, ample=ample, max_blocks=max_blocks,
                targets=shared, floors=mixes, failing_alone=failing_alone, stand_in=stand_in,
            )  # fmt: skip
            if isinstance(second, str):
                notes.append(second)
            else:
                mixes = second[0]
                verified = runs(drill, [b for mix in mixes.values() for b in mix.blocks()])
    except _RunBudgetSpentError:
        notes.append(f"the search stopped after {max_runs} simulation runs (max_runs) unverified")
        return answer(gate, arrives_in_time=True, why=notes[-1], **landed)
    # The set's notes (late, waiting for power) go here, once the set is final.
    set_notes_at = len(notes)
    if not verified.passed:
        notes.append(
            "the whole drill re-run with these blocks fails ("
            + ", ".join(k.value for k in _failing(verified))
            + " short): not a set that would pass"
        )
    else:
        chosen = [b for mix in mixes.values() for b in mix.blocks()]
        try:
            verified = holds_on_every_path(chosen, verified)
        except _RunBudgetSpentError:
            notes.append(
                f"the search stopped after {max_runs} simulation runs (max_runs) unverified"
            )
            return answer(gate, arrives_in_time=True, why=notes[-1], **landed)
    # A set whose pass is within its sampling error is not one that passes: another draw of
    # as many paths fails it. Said as the drill's verdict says it, with what would settle it.
    borderline = unsettled(verified)
    if borderline:
        notes.append(
            "the whole drill re-run with these blocks passes only within its sampling error: "
            + borderline
        )
        mixes, verified, borderline = search_on(mixes, verified)
    additions = _additions([mixes[r] for r in regions if r in mixes], run_date, current.shock_start)
    notes[set_notes_at:set_notes_at] = [
        *_late_notes(additions, current.shock_start),
        *_power_waits(runs.power, [mixes[r] for r in regions if r in mixes], run_date),
    ]
    passed = verified.passed and not borderline
    # Why no set is claimed, on the terminal too: it read "no set verified to pass" alone,
    # the reason only in the run's notes and on the page.
    return answer(
        verified,
        passed=passed,
        additions=additions,
        arrives_in_time=True,
        why="" if passed else notes[-1],
        borderline=borderline,
        **landed,
    )


def _size_regions(
    runs: _Runs,
    drill: PreparedDrill,
    options: Sequence[_Option],
    *,
    ample: int,
    max_blocks: int,
    targets: Mapping[WorkloadClass, float] | None = None,
    floors: Mapping[str, _Mix] | None = None,
    failing_alone: Mapping[str, Sequence[WorkloadClass]] | None = None,
    known_alone: Sequence[tuple[str, WorkloadClass, float]] | None = None,
    stand_in: Callable[[_Option, str], list[Block]] | None = None,
) -> tuple[dict[str, _Mix], dict[str, list[WorkloadClass]]] | str:
    """The cheapest mix per region that passes alone (at ``targets``, when given), and the
    classes each region failed with; or why some region cannot pass.

    Count searches start from the count the previous region needed of the same type (regions
    of one fleet tend to be alike), else from one block. ``floors`` are a first round's mixes
    at looser targets: such a region is sized again for its classes from one block more.
    ``known_alone`` gives each (region, class) group's gap (:func:`~forecasting.drills.kpis.
    group_verdicts`) without new blocks at the policies' own targets, so no region is simulated
    just to learn whether it passes; without it, or with ``targets``, each region is run once
    to find out.
    """
    floors = floors or {}
    hints: dict[str, int] = {}
    mixes: dict[str, _Mix] = {}
    failed: dict[str, list[WorkloadClass]] = {}
    for region in sorted({s.region for s in drill.demand.streams}):
        region_alone = _region_drill(drill, region, targets)
        floor = floors.get(region)
        failing: list[WorkloadClass] = []
        gap, known = None, {}
        if floor is None:
            if known_alone is not None and targets is None:  # gaps at the policies' targets
                gaps = [(k, short) for r, k, short in known_alone if r == region]
                failing = [k for k in WorkloadClass if any(c is k and g > 1e-12 for c, g in gaps)]
                gap = max((g for _, g in gaps), default=0.0)
            else:
                check = runs(region_alone)
                failing, gap = _failing(check), _gap(check)
            if not failing:
                continue
        else:
            hints.update({o.candidate.name: n + 1 for o, n in floor.counts})
            if len(floor.counts) == 1:  # one less than the looser target's least count fails
                known = {o.candidate.name: n - 1 for o, n in floor.counts}
        before = (failing_alone or {}).get(region, ())
        failed[region] = sorted({*failing, *before}, key=list(WorkloadClass).index)
        mine = [o for o in options if o.region == region]
        mix = _cheapest_mix(
            runs, region_alone, mine, failed[region], ample=ample, hints=hints,
            max_blocks=max_blocks, gap=gap, failing_counts=known, stand_in=stand_in,
        )  # fmt: skip
        if mix is None:
            return _no_mix(region, mine, failed[region], max_blocks)
        mixes[region] = mix
        hints.update({o.candidate.name: n for o, n in mix.counts})
    return mixes, failed


def _no_mix(
    region: str, options: Sequence[_Option], failing: Sequence[WorkloadClass], max_blocks: int
) -> str:
    """Why :func:`_cheapest_mix` found no mix for ``region``: the block cap, or (simulating
    nothing) no type landing in time there that may host every failing class. The second
    read "no mix of at most 32 blocks ... makes us-east pass" for a search never run."""
    short = ", ".join(k.value for k in failing)
    if any(all(o.candidate.allows(k) for k in failing) for o in options):
        return (
            f"no mix of at most {max_blocks} blocks per candidate type (max_blocks) makes "
            f"{region} pass on its own ({short} short)"
        )
    types = sorted({o.candidate.name for o in options})
    missing = [k.value for k in failing if not any(o.candidate.allows(k) for o in options)]
    landing = (
        f"of the types landing there within the drill window ({', '.join(types)})"
        if types
        else "(no type lands there within the drill window)"
    )
    hosts = f"none may host {', '.join(missing)}" if missing else "none hosts all of them"
    return (
        f"{region} is short of {short} on its own, and {landing} {hosts}: no mix was "
        "simulated (a type is sized alone only where it may host every failing class, so "
        "blocks that would only free other blocks for it are not tried)"
    )


def breaking_multiplier(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    shapes: pl.DataFrame | None,
    scenario: Scenario,
    *,
    low: float = 1.0,
    high: float = 4.0,
    tolerance: float = 0.05,
    engine: Engine = "kernel",
    prepared: PreparedDrill | None = None,
) -> BreakingPoint:
    """The smallest multiplier of ``scenario``'s shock at which today's plan fails.

    Bisection on [low, high], assuming failure is monotone in the multiplier (more demand never
    helps); stops when the bracket is narrower than ``tolerance`` and returns its upper end.
    ``prepared``: the drill already prepared from these arguments and played; by the same
    assumption its shocked run answers every multiplier it bounds (a drill failing at 2x fails
    at 4x and 2.5x) without a simulation, so the bisection's steps, and the answer, are the
    same with fewer runs. A shock the horizon cuts short (a ramp) is bisected on its nominal
    multiplier; ``reached`` is the level it gets to by the horizon's end at the multiplier
    found, the demand the plan actually broke at.
    """
    if not 0 < low < high or tolerance <= 0:
        raise ValueError(f"need 0 < low < high and tolerance > 0; got {low}, {high}, {tolerance}")
    drill = prepared or prepare_drill(plan, paths, shapes, scenario)
    evaluations = 0

    # Each multiplier is read by the verdict's rule: a pass or fail within the paths' sampling
    # error of 90 % is neither. Shares of paths holding fall as the multiplier rises, so a
    # multiplier known to pass whatever the draw bounds those below it, and one known to fail
    # those above; a borderline one bounds nothing.
    verdicts: dict[float, str] = {}

    def read(result: DrillResult) -> str:
        if unsettled_pass(plan, drill.demand, result):
            return "borderline"
        return "pass" if result.passed else "fail"

    def verdict(multiplier: float) -> str:
        nonlocal evaluations
        if multiplier in verdicts:
            return verdicts[multiplier]
        for (at, ran_on), known in drill.played.items():
            said = read(known)
            bounds = multiplier <= at if said == "pass" else multiplier >= at
            if ran_on == engine and said != "borderline" and bounds:
                return said
        evaluations += 1
        verdicts[multiplier] = read(drill.run(multiplier=multiplier, engine=engine, curves=False))
        return verdicts[multiplier]

    # A supply event (a block lost, a region dark, a delivery slipped) is held at every
    # multiplier: the multiplier scales demand with it, and where the event alone fails at
    # today's demand the drill read "below 1x", as if the plan failed unshocked.
    held = _supply_held(scenario)
    paths_read = len(drill.demand.sample_ids)

    demand = drill.demand
    horizon_end = demand.first_day + timedelta(days=demand.days - 1)
    # Judged only to the horizon's end where a loss, a spike, a dark region or a slip runs
    # past it (the verdict says "judged to DAY" or "cut short" of the same drill).
    cut = bool(loss_judged_to(plan, demand, drill.resolved)) or bool(
        cut_by_horizon(plan, demand, drill.resolved)
    )
    label = demand.target_label
    target = "all demand" if label == "all" else label.replace(":", " ", 1)

    def point(
        found: float | None, passing: float | None, note: str, border: float | None = None
    ) -> BreakingPoint:
        reached = None if found is None else drill.shock_reached(found)
        if reached is not None:
            note += f"; the shock reaches {reached:.4g}x of it by the horizon's end"
        border_reached = None if border is None else drill.shock_reached(border)
        return BreakingPoint(
            found, passing, low, high, tolerance, evaluations, note, reached, held,
            borderline_from=border, paths=paths_read, target=target, horizon_end=horizon_end,
            border_reached=border_reached,
            judged_to=horizon_end if cut and reached is None else None,
        )  # fmt: skip

    with_held = f" demand {held}" if held else ""
    at_low, at_high = verdict(low), verdict(high)
    # Read under "breaks at": the breaking point lies outside the range searched.
    if at_low == "fail":
        if held and low == 1.0:
            return point(None, None, f"fails at today's demand {held} (1x)")
        return point(None, None, f"below {low:g}x{with_held}")
    if at_high == "pass":
        return point(None, high, f"above {high:g}x{with_held}")
    if at_high == "borderline":
        return point(
            None, None,
            f"above {high:g}x{with_held}: borderline at {high:g}x on {paths_read:,} paths, not "
            "settled within the range searched",
        )  # fmt: skip
    # The first multiplier that fails whatever the draw.
    passing, failing = low, high
    while failing - passing > tolerance:
        middle = (passing + failing) / 2
        if verdict(middle) == "fail":
            failing = middle
        else:
            passing = middle
    # The shock's own multiplier inside the last bracket narrows it: a 1.5x ramp that failed
    # read "breaks at 1.52x", the bracket's upper end, above the multiplier it failed at.
    # Played already where the drill was (``prepared``), so alone or not the answer is one.
    at = scenario.multiplier
    if passing < at < failing:
        passing, failing = (passing, at) if verdict(at) == "fail" else (at, failing)
    if verdict(passing) == "pass":
        return point(failing, passing, f"fails from {failing:.4g}x (passes at {passing:.4g}x)")
    # Below ``failing`` lies a band the paths do not settle: its lower edge, the first
    # multiplier that does not pass whatever the draw, bisected from the highest known to.
    settled = max(
        (m for m, v in verdicts.items() if v == "pass" and m < passing),
        default=low if at_low == "pass" else None,
    )
    border = passing
    while settled is not None and border - settled > tolerance:
        middle = (settled + border) / 2
        if verdict(middle) == "pass":
            settled = middle
        else:
            border = middle
    where = (
        f"from {border:.4g}x" if settled is not None else f"from {low:g}x or below (at {low:g}x)"
    )
    return point(
        failing,
        settled,
        f"fails from {failing:.4g}x whatever the draw; borderline {where} at {paths_read:,} "
        "paths (a 95% interval of the share of paths holding their SLO target straddles 90%)"
        + (f"; passes at {settled:.4g}x" if settled is not None else ""),
        border if settled is not None else low,
    )
