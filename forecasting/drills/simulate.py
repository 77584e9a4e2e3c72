"""Run a drill: prepare the demand once, then simulate against any variant of the supply."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    resolve_scenario,
    supply_side,
)
from forecasting.drills.kernel import (
    KernelInputs,
    KernelOutputs,
    simulate_kernel,
    simulate_reference,
    simulate_traced,
)
from forecasting.drills.kpis import DrillResult, summarise
from forecasting.drills.profile import PROFILE_SCHEMA
from forecasting.drills.scenarios import Scenario

__all__ = ["SIMULATORS", "Assembled", "Engine", "PreparedDrill", "prepare_drill", "run_drill"]

Engine = Literal["kernel", "reference"]
SIMULATORS: dict[str, Callable[[KernelInputs], tuple[np.ndarray, np.ndarray]]] = {
    "kernel": simulate_kernel,
    "reference": simulate_reference,
}


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

    @property
    def scenario(self) -> Scenario:
        """The scenario as declared (before symbolic references were resolved)."""
        return self.resolved.scenario

    def assemble(
        self, *, extra_blocks: Sequence[Block] = (), multiplier: float | None = None
    ) -> Assembled:
        """Supply side and kernel arrays for the plan plus ``extra_blocks``, at ``multiplier``."""
        resolved = self._resolved(multiplier)
        supply = supply_side((*self.plan.block, *extra_blocks), self.demand, resolved)
        return Assembled(resolved, supply, kernel_inputs(self.plan, self.demand, supply, resolved))

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
        KPIs, such as a search loop, can pass False.
        """
        assembled = self.assemble(extra_blocks=extra_blocks, multiplier=multiplier)
        if not curves:
            return self.summarise(assembled, *SIMULATORS[engine](assembled.inputs))
        traces = simulate_traced(assembled.inputs, compiled=engine == "kernel")
        return self.summarise(assembled, traces.per_class, traces.per_pool, traces=traces)

    def summarise(
        self,
        assembled: Assembled,
        out_cls: np.ndarray,
        out_pool: np.ndarray,
        *,
        traces: KernelOutputs | None = None,
    ) -> DrillResult:
        """KPIs, verdicts and block figures from the simulation's per-path outputs.

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
            traces=traces,
        )

    def _resolved(self, multiplier: float | None) -> ResolvedScenario:
        if multiplier is None:
            return self.resolved
        scenario = self.resolved.scenario.with_multiplier(multiplier)
        return resolve_scenario(self.plan, self.demand, scenario)


def prepare_drill(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    profile: pl.DataFrame | None,
    scenario: Scenario,
) -> PreparedDrill:
    """Fold ``paths`` (bottom level, daily mean GPUs) into streams and place the scenario.

    ``profile`` is the output of :func:`~forecasting.drills.profile.hourly_profile`; ``None``
    or a missing (region, class) means a flat day (every hour carries the daily mean).
    """
    shape = profile if profile is not None else pl.DataFrame(schema=PROFILE_SCHEMA)
    demand = demand_side(plan, paths, shape, scenario)
    return PreparedDrill(plan, demand, resolve_scenario(plan, demand, scenario))


def run_drill(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    profile: pl.DataFrame | None,
    scenario: Scenario,
    *,
    extra_blocks: Sequence[Block] = (),
    engine: Engine = "kernel",
) -> DrillResult:
    """Play ``scenario`` against ``plan`` (plus ``extra_blocks``) on every sample path."""
    drill = prepare_drill(plan, paths, profile, scenario)
    return drill.run(extra_blocks=extra_blocks, engine=engine)
