"""Run a drill: prepare the demand once, then simulate against any variant of the supply."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal, NamedTuple

import numpy as np
import polars as pl

from forecasting.capacity import Block, CapacityPlan
from forecasting.drills.inputs import (
    DemandSide,
    ResolvedScenario,
    SupplySide,
    demand_side,
    kernel_inputs,
    played_plan,
    resolve_scenario,
    supply_side,
)
from forecasting.drills.kernel import (
    HOLD_HOURS,
    KernelInputs,
    KernelOutputs,
    simulate_outputs,
)
from forecasting.drills.kpis import DrillResult, compare, shock_reached, summarise
from forecasting.drills.profile import SHAPES_SCHEMA
from forecasting.drills.scenarios import Scenario, scenario_from_args
from forecasting.schema import WorkloadClass
from forecasting.triggers.power import Power

__all__ = [
    "Assembled",
    "Engine",
    "PreparedDrill",
    "Variant",
    "compile_kernel",
    "prepare_drill",
    "run_drill",
    "window_end_hour",
]

Engine = Literal["kernel", "reference"]
# The least time a spike's window keeps after the spike ends, for queues to drain.
SPIKE_SETTLE_HOURS = 7 * 24
Variant = Literal["baseline", "shocked", "ladder", "ladder_baseline"]


class Assembled(NamedTuple):
    """One variant of a drill, ready to simulate."""

    resolved: ResolvedScenario
    supply: SupplySide
    inputs: KernelInputs


@dataclass(frozen=True, slots=True)
class PreparedDrill:
    """A drill whose demand side is built; :meth:`run` varies supply and multiplier cheaply."""

    plan: CapacityPlan
    demand: DemandSide
    resolved: ResolvedScenario
    # The shocked runs :meth:`play` simulated without extra blocks, by (multiplier, engine):
    # the searches that follow a drill (breaking multiplier, blocks to pass) start from that
    # very run instead of simulating it again. Not an init field, so ``replace`` (a region's
    # drill, another plan) starts with none.
    played: dict[tuple[float, Engine], DrillResult] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )

    @property
    def scenario(self) -> Scenario:
        """The scenario as declared (before symbolic references were resolved)."""
        return self.resolved.scenario

    def assemble(
        self,
        *,
        extra_blocks: Sequence[Block] = (),
        multiplier: float | None = None,
        variant: Variant = "shocked",
    ) -> Assembled:
        """Supply side and kernel arrays for the plan plus ``extra_blocks``, at ``multiplier``.

        ``variant`` ``baseline`` is the same drill without the shock (multiplier 1, no supply
        events); ``ladder`` is the shocked drill with the response ladder's rungs in play, and
        ``ladder_baseline`` the ladder without the shock.
        """
        unshocked = variant in ("baseline", "ladder_baseline")
        resolved = self._baseline() if unshocked else self._resolved(multiplier)
        ladder = self.plan.ladder if variant in ("ladder", "ladder_baseline") else None
        supply = supply_side(
            (*self.plan.block, *extra_blocks), self.demand, resolved, ladder=ladder
        )
        return Assembled(resolved, supply, kernel_inputs(self.plan, self.demand, supply, resolved))

    def play(
        self,
        *,
        extra_blocks: Sequence[Block] = (),
        engine: Engine = "kernel",
        curves: bool = True,
    ) -> DrillResult:
        """The drill next to its baseline, and the response ladder played on the shock.

        Runs on the same paths: the baseline (no shock), the shocked plan (its KPIs and
        verdict; preemption and deferral are in play, as the policies say) and, when the plan
        has a ``[response]`` with rungs, the ladder with and without the shock (without it, the
        ladder is simulated only where some class fails unshocked). Time to absorb
        is measured on the last shocked run against the hourly backlog and headroom of its own
        unshocked twin: the ladder also answers shortfalls the plan has without the shock
        (bursting for a class short every evening), and judged against a baseline without the
        ladder, the classes that answer took from were "short of their baseline" months after
        the shock was gone (a three-day region loss read 3,725 h to absorb on a 60-day fleet
        whose classes were whole again after 73 h).
        """
        compiled = engine == "kernel"
        base_variant = self.assemble(extra_blocks=extra_blocks, variant="baseline")
        base_out = simulate_outputs(
            base_variant.inputs, compiled=compiled, traced=curves, record=True
        )
        baseline = self.summarise(
            base_variant,
            base_out.per_class,
            base_out.per_pool,
            base_out.per_group,
            traces=base_out if curves else None,
        )
        ref = base_out.ref
        # A ladder acts only once some class fails; where none ever does without the shock,
        # the ladder without the shock is the baseline, and need not be simulated again.
        held_throughout = bool(
            (base_out.per_class[:, -1, HOLD_HOURS] >= baseline.window_hours).all()
        )
        del base_out
        shocked = self.assemble(extra_blocks=extra_blocks)
        out = simulate_outputs(shocked.inputs, compiled=compiled, traced=curves, ref=ref)
        result = self.summarise(
            shocked, out.per_class, out.per_pool, out.per_group, traces=out if curves else None
        )
        if not extra_blocks:
            self.played[(self.scenario.multiplier, engine)] = result
        ladder_result = ladder_baseline = None
        if _has_rungs(self.plan):
            if not held_throughout:
                calm = self.assemble(extra_blocks=extra_blocks, variant="ladder_baseline")
                calm_out = simulate_outputs(calm.inputs, compiled=compiled, record=True)
                ladder_baseline = replace(
                    self.summarise(calm, calm_out.per_class, calm_out.per_pool, calm_out.per_group),
                    pool_out=calm_out.per_pool,
                )
                ref = calm_out.ref
                del calm_out
            variant = self.assemble(extra_blocks=extra_blocks, variant="ladder")
            out = simulate_outputs(variant.inputs, compiled=compiled, traced=curves, ref=ref)
            ladder_result = self.summarise(
                variant, out.per_class, out.per_pool, out.per_group, traces=out if curves else None
            )
            ladder_result = replace(ladder_result, pool_out=out.per_pool)
            rung_supply = variant.supply
        else:
            rung_supply = shocked.supply
        compared = compare(
            plan=self.plan,
            demand=self.demand,
            baseline=baseline,
            shocked=result,
            ladder=ladder_result,
            ladder_baseline=ladder_baseline,
            ladder_supply=rung_supply,
        )
        dark = _dark_block_notes(self.plan, self.demand, self.resolved)
        return replace(compared, notes=(*compared.notes, *dark)) if dark else compared

    def run(
        self,
        *,
        extra_blocks: Sequence[Block] = (),
        multiplier: float | None = None,
        engine: Engine = "kernel",
        curves: bool = True,
    ) -> DrillResult:
        """Simulate every path and summarise; ``engine="reference"`` runs uncompiled.

        ``curves`` traces every hour so the result carries its backlog curve and daily
        service. Tracing costs two float32 arrays of hours x classes x paths (about 210 MB at
        1,000 paths over 26 weeks) and a few percent of kernel time; a caller that reads only
        KPIs, such as a search loop, can pass False, and then gets the shocked run :meth:`play`
        already simulated at that multiplier, if any, without simulating it again.
        """
        known = None if curves else self.known(extra_blocks, multiplier=multiplier, engine=engine)
        if known is not None:
            return known
        assembled = self.assemble(extra_blocks=extra_blocks, multiplier=multiplier)
        out = simulate_outputs(assembled.inputs, compiled=engine == "kernel", traced=curves)
        return self.summarise(
            assembled, out.per_class, out.per_pool, out.per_group, traces=out if curves else None
        )

    def known(
        self,
        extra_blocks: Sequence[Block] = (),
        *,
        multiplier: float | None = None,
        engine: Engine = "kernel",
    ) -> DrillResult | None:
        """The shocked run :meth:`play` simulated with these arguments, or None."""
        if extra_blocks:
            return None
        at = self.scenario.multiplier if multiplier is None else multiplier
        return self.played.get((at, engine))

    def summarise(
        self,
        assembled: Assembled,
        out_cls: np.ndarray,
        out_pool: np.ndarray,
        out_group: np.ndarray,
        *,
        traces: KernelOutputs | None = None,
    ) -> DrillResult:
        """KPIs, verdicts and block figures from the simulation's per-path outputs
        (``out_group``: hours each (region, class) group held, which the verdicts read).

        ``traces`` (from :func:`~forecasting.drills.kernel.simulate_traced`) add the hourly
        backlog curve and daily service to the result.
        """
        return summarise(
            plan=self.plan,
            demand=self.demand,
            supply=assembled.supply,
            resolved=assembled.resolved,
            out_cls=out_cls,
            out_pool=out_pool,
            out_group=out_group,
            traces=traces,
        )

    def _baseline(self) -> ResolvedScenario:
        """The baseline placed on the shocked run's window: a delivery slip's window starts
        when the slipped block was due, and a baseline without the slip would otherwise start
        at the first forecast day, so its KPIs would cover more hours than the shocked run's
        and every increment would compare windows of different lengths."""
        unshocked = resolve_scenario(self.plan, self.demand, self.scenario.baseline())
        return replace(unshocked, start_hour=self.resolved.start_hour)

    def shock_reached(self, multiplier: float) -> float | None:
        """The multiplier the shock at ``multiplier`` reaches by the horizon's end when the
        horizon cuts it short (a ramp), None when it plays whole."""
        return shock_reached(self._resolved(multiplier))

    def _resolved(self, multiplier: float | None) -> ResolvedScenario:
        if multiplier is None:
            return self.resolved
        scenario = self.resolved.scenario.with_multiplier(multiplier)
        return resolve_scenario(self.plan, self.demand, scenario)


def _has_rungs(plan: CapacityPlan) -> bool:
    ladder = plan.ladder
    return any(r is not None for r in (ladder.migrate, ladder.spares, ladder.burst))


def prepare_drill(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    shapes: pl.DataFrame | None,
    scenario: Scenario,
    *,
    book_only: Collection[str] = (),
) -> PreparedDrill:
    """Fold ``paths`` (bottom level, daily mean GPUs) into streams and place the scenario.

    ``shapes`` is the output of :func:`~forecasting.drills.profile.day_shapes`; ``None`` or
    a (region, class) without history means flat days (every hour carries the daily mean).
    ``book_only``: regions whose paths are the contract book's alone (no telemetry); the
    result's notes say so of each the drill plays.
    """
    drawn = shapes if shapes is not None else pl.DataFrame(schema=SHAPES_SCHEMA)
    demand = demand_side(plan, paths, drawn, scenario)
    demand = replace(demand, book_only=tuple(sorted(set(book_only) & set(demand.regions))))
    resolved = resolve_scenario(plan, demand, scenario)
    # From the shock's own start: a spike that met its target late still ends when it ends.
    stop = window_end_hour(scenario, resolved.shock_hour)
    if stop is not None and stop < demand.hours:
        demand = demand.until(days=-(-stop // 24))
        resolved = resolve_scenario(plan, demand, scenario)
    return PreparedDrill(plan, demand, resolved)


def _dark_block_notes(
    plan: CapacityPlan, demand: DemandSide, resolved: ResolvedScenario
) -> list[str]:
    """One note per plan block standing dark for want of its site's MW in the drill window,
    with the first other site of its region that has the block's MW free while it stands dark.

    The drill counts such a block out and moves it nowhere: a block committed to a site short
    of MW was counted out with nothing said, beside a site of its region with the MW for it,
    where an operator would have it installed (or a replacement placed). Whether it would serve
    there is not simulated, so the note says so rather than leave the shortfall read as the
    region's."""
    if not resolved.unpowered:
        return []
    last_day = demand.first_day + timedelta(days=max(demand.days - 1, 0))
    # As the drill plays the plan: a lost block's MW is free from its loss, a slip moved.
    played = played_plan(plan, demand.first_day, lost=resolved.lost, slipped=resolved.slipped)
    power = Power.of(played, start=demand.first_day, end=last_day)
    if power is None:
        return []
    unclaimed = power.copy()
    named: dict[str, list[str]] = {}
    blocks = {b.id: b for b in plan.block}
    start, end = resolved.start_hour, demand.hours
    notes = []
    for block_id, spans in resolved.unpowered.items():
        block = blocks.get(block_id)
        inside = [(begin, until) for begin, until in spans if begin < end and until > start]
        if block is None or not inside:
            continue
        first = demand.first_day + timedelta(days=inside[0][0] // 24)
        last = demand.first_day + timedelta(days=inside[-1][1] // 24 - 1)
        to = "the drill window's end" if inside[-1][1] >= end else f"{last}"
        others = _sites_with_its_mw(power, block, first=first, last=last)
        head = (
            f"{block_id} ({block.gpus:,} GPUs, {block.region}) stands dark at {block.site} for "
            f"want of its MW from {first} to {to}, and the drill counts it out: "
        )
        if others:
            day, site = others[0]
            # Named for this block, the MW is not free for the next: two dark racks were each
            # told one site's 0.5 MW was theirs.
            power.take(site, block.mw, day)
            named[site] = [*named.get(site, []), block_id]
            notes.append(
                f"{head}{site} in {block.region} has its {block.mw:g} MW free from "
                f"{'then' if day == first else day}, but the drill neither moves it there nor "
                "places a replacement, so what it would serve there is not measured"
            )
        elif taken := sorted(
            site
            for _, site in _sites_with_its_mw(unclaimed, block, first=first, last=last)
            if site in named
        ):
            notes.append(
                f"{head}no other site in {block.region} has its {block.mw:g} MW free while it "
                f"stands dark once the blocks named above have theirs ("
                + "; ".join(f"{site}: {', '.join(named[site])}" for site in taken)
                + ")"
            )
        else:
            notes.append(
                f"{head}no other site in {block.region} has its {block.mw:g} MW free while it "
                "stands dark"
            )
    return notes


def _sites_with_its_mw(
    power: Power, block: Block, *, first: date, last: date
) -> list[tuple[date, str]]:
    """(day, site): the other sites of ``block``'s region with its MW free on a day within
    [first, last], by that day."""
    return sorted(
        (day, site)
        for site in power.sites_in(block.region)
        if site != block.site
        and (day := power.powered_from(site, block.mw, first)) is not None
        and day <= last
    )


def window_end_hour(scenario: Scenario, start_hour: int) -> int | None:
    """First hour after the drill window: a spike's window ends once it has had as long again
    as the spike (at least a week) to clear; other shapes run to the horizon end (None).

    A surge that is over is not the shock's any more: judging two weeks of surge over the 26
    weeks after it would dilute its SLO misses into a pass, and blocks that arrive after the
    surge would be proposed as the cure.
    """
    if scenario.shape.kind == "spike":
        return start_hour + scenario.shape.hours + max(scenario.shape.hours, SPIKE_SETTLE_HOURS)
    loss = scenario.region_loss
    if loss is not None and scenario.multiplier == 1.0 and not (scenario.lose or scenario.slip):
        # A region dark for days alone is a spike of supply: judged over 26 weeks, a 3-day
        # outage passed with eight times the unmet GPU-hours of the plan without it.
        dark = loss.days * 24
        return start_hour + dark + max(dark, SPIKE_SETTLE_HOURS)
    return None


def run_drill(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    shapes: pl.DataFrame | None,
    scenario: Scenario,
    *,
    extra_blocks: Sequence[Block] = (),
    engine: Engine = "kernel",
) -> DrillResult:
    """Play ``scenario`` against ``plan`` (plus ``extra_blocks``) on every sample path, next
    to its baseline and with the response ladder (see :meth:`PreparedDrill.play`)."""
    drill = prepare_drill(plan, paths, shapes, scenario)
    return drill.play(extra_blocks=extra_blocks, engine=engine)


def compile_kernel() -> None:
    """Compile the drill kernel into numba's on-disk cache by playing a one-block, one-week
    drill: the first real drill then loads it instead of compiling (about 11 s on 2 cores).

    The drill goes through the same preparation as any other, so the kernel is compiled for
    the argument types every drill passes. ``make install`` calls it.
    """
    monday = date(2026, 1, 5)
    plan = CapacityPlan.model_validate(
        {
            "policy": {
                k.value: {"tier": "standard", "priority": i + 1}
                for i, k in enumerate(WorkloadClass)
            },
            "block": [
                {"id": "warm-up", "kind": "pod", "region": "r1", "site": "r1-a",
                 "gpu_type": "H100", "gpus": 8, "mw": 0.1, "status": "live", "fabric": True}
            ],
        }
    )  # fmt: skip
    paths = pl.DataFrame(
        {
            "unique_id": "total/r1/training/other",
            "ds": [monday + timedelta(days=d) for d in range(7)],
            "sample_id": 0,
            "y": 4.0,
        }
    ).with_columns(pl.col("sample_id").cast(pl.Int32))
    run_drill(
        plan, paths, None, scenario_from_args(multiplier=2.0, start=monday + timedelta(days=1))
    )
