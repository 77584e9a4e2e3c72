"""Per-path kernel outputs -> KPI distributions per class, verdicts and per-block figures.

Every KPI covers the drill window, from the shock start to the horizon end; the hours before
it only set the state (backlogs, running work) that the shock meets. What "unmet" means
depends on the class's demand kind (see :mod:`~forecasting.drills.kernel`): the interactive
level lost in its hour, or deferrable GPUs queued past their ``max_wait_hours``, hour by hour.
Revenue at risk prices the interactive level lost and, for deferrable classes, the work that
went overdue (counted once) and the work still queued at the horizon end. Distributions over paths
are reported as mean, P50 and P90 using the empirical quantile (no interpolation, so a
path with an unbounded queue delay cannot turn a quantile into NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.drills.curves import (
    BACKLOG_CURVE_SCHEMA,
    DAILY_SERVICE_SCHEMA,
    backlog_curve,
    daily_service,
)
from forecasting.drills.inputs import CLASSES, DemandSide, ResolvedScenario, SupplySide
from forecasting.drills.kernel import (
    CENSORED,
    CLASS_METRICS,
    FIRST_SATURATED,
    HOLD_HOURS,
    LATE_WORK,
    STRANDED,
    UNMET,
    USED,
    WAITING_END,
    KernelOutputs,
)
from forecasting.drills.scenarios import Scenario
from forecasting.schema import frame_schema

__all__ = ["ALL_CLASSES", "KPI_SUMMARY_SCHEMA", "DrillResult", "summarise"]

ALL_CLASSES = "all"

KPI_SUMMARY_SCHEMA = frame_schema("drill_kpis")
_VERDICTS_SCHEMA = frame_schema("drill_verdicts")
_BLOCKS_SCHEMA = frame_schema("drill_blocks")


@dataclass(frozen=True, slots=True)
class DrillResult:
    """What one drill found, as frames ready to persist or render.

    ``per_path``: one row per (sample_id, workload_class incl. ``all``) with every KPI.
    ``kpis``: (workload_class, kpi, mean, p50, p90), the distribution of each KPI over paths.
    ``verdicts``: (workload_class, slo_target, attainment_mean, attainment_p90_paths, passed):
    a class passes when the attainment that 90 % of paths reach or exceed is at least its target.
    ``blocks``: (block_id, region, kind, gpus, pool, in_service_gpu_hours, utilisation_mean,
    utilisation_p90, stranded_gpu_hours_mean, stranded_gpu_hours_p90, saturated_share,
    saturation_hour_p50), pool figures pro-rated to blocks by their in-service GPU-hours.
    ``backlog_curve``: (ts, workload_class, backlog_p50, backlog_p90, unmet_p50, unmet_p90),
    each class's hourly backlog and unmet GPU-hours over the horizon, quantiles over paths.
    ``daily_service``: (ds, workload_class, demand_gpu_hours_mean, served_gpu_hours_mean).
    Both are empty when the drill ran without curves (see :mod:`~forecasting.drills.curves`).
    """

    scenario: Scenario
    target: str
    shock_start: date
    horizon_end: date
    window_hours: int
    paths: int
    passed: bool
    verdicts: pl.DataFrame
    kpis: pl.DataFrame
    per_path: pl.DataFrame
    blocks: pl.DataFrame
    first_to_saturate: tuple[str, ...]
    notes: tuple[str, ...]
    backlog_curve: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=BACKLOG_CURVE_SCHEMA)
    )
    daily_service: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=DAILY_SERVICE_SCHEMA)
    )

    def kpi(self, workload_class: str, kpi: str, stat: str = "mean") -> float:
        """One figure, e.g. ``result.kpi("inference", "slo_attainment", "p50")``."""
        row = self.kpis.filter(
            (pl.col("workload_class") == workload_class) & (pl.col("kpi") == kpi)
        )
        if row.height != 1:
            raise KeyError(f"no KPI {kpi!r} for {workload_class!r}")
        return float(row[stat][0])


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q, method="inverted_cdf"))


def attained_by_share(values: np.ndarray, share: float) -> float:
    """The largest value that at least ``share`` of the paths reach or exceed."""
    ordered = np.sort(values)
    return float(ordered[int(np.floor((1.0 - share) * len(ordered) + 1e-9))])


def _per_path(
    plan: CapacityPlan, demand: DemandSide, out_cls: np.ndarray, window: int
) -> pl.DataFrame:
    names = [*(c.value for c in CLASSES), ALL_CLASSES]
    prices = np.array([plan.policy[c].price_per_gpu_hour for c in CLASSES])
    # Revenue at risk: the interactive level lost; for deferrable classes, the work (GPU-hours
    # of the jobs) that went overdue and the work still queued at the horizon end. Deferrable
    # work served within its max wait is not at risk.
    interactive = np.array([plan.policy[c].interactive for c in CLASSES])
    deferred = out_cls[:, : len(CLASSES), LATE_WORK] + out_cls[:, : len(CLASSES), WAITING_END]
    revenue = np.where(interactive, out_cls[:, : len(CLASSES), UNMET], deferred) * prices
    revenue = np.concatenate([revenue, revenue.sum(axis=1, keepdims=True)], axis=1)
    paths, classes = out_cls.shape[0], out_cls.shape[1]
    columns: dict[str, object] = {
        "sample_id": np.repeat(demand.sample_ids, classes),
        "workload_class": np.tile(np.array(names), paths),
    }
    for m, metric in enumerate(CLASS_METRICS):
        if m in (HOLD_HOURS, CENSORED):
            continue
        columns[metric] = out_cls[:, :, m].ravel()
    columns["slo_attainment"] = out_cls[:, :, HOLD_HOURS].ravel() / max(window, 1)
    columns["absorb_censored"] = out_cls[:, :, CENSORED].ravel() > 0.5
    columns["revenue_at_risk_usd"] = revenue.ravel()
    frame = pl.DataFrame(columns)
    return frame.with_columns(pl.col("sample_id").cast(pl.Int32))


def _summary(per_path: pl.DataFrame) -> pl.DataFrame:
    rows = []
    kpis = [c for c in per_path.columns if c not in ("sample_id", "workload_class")]
    for (name,), frame in per_path.group_by("workload_class", maintain_order=True):
        for kpi in kpis:
            values = frame[kpi].cast(pl.Float64).to_numpy()
            rows.append(
                (name, kpi, float(values.mean()), _quantile(values, 0.5), _quantile(values, 0.9))
            )
    return pl.DataFrame(rows, schema=KPI_SUMMARY_SCHEMA, orient="row")


def _verdicts(plan: CapacityPlan, per_path: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for c in CLASSES:
        attainment = per_path.filter(pl.col("workload_class") == c.value)["slo_attainment"]
        values = attainment.to_numpy()
        at_p90 = attained_by_share(values, 0.9)
        target = plan.policy[c].slo_target
        rows.append((c.value, target, float(values.mean()), at_p90, at_p90 >= target - 1e-12))
    return pl.DataFrame(rows, schema=_VERDICTS_SCHEMA, orient="row")


def _block_frame(supply: SupplySide, out_pool: np.ndarray, start: int, hours: int) -> pl.DataFrame:
    on = np.maximum(supply.block_on, start)
    off = np.minimum(supply.block_off, hours)
    block_gpuh = np.array([b.gpus for b in supply.blocks]) * np.maximum(off - on, 0)
    pool_gpuh = np.bincount(supply.block_pool, weights=block_gpuh, minlength=len(supply.pools))
    share = np.divide(
        block_gpuh,
        pool_gpuh[supply.block_pool],
        out=np.zeros_like(block_gpuh, dtype=float),
        where=pool_gpuh[supply.block_pool] > 0,
    )
    used = out_pool[:, supply.block_pool, USED] * share  # (paths, blocks)
    stranded = out_pool[:, supply.block_pool, STRANDED] * share
    utilisation = np.divide(used, block_gpuh, out=np.zeros_like(used), where=block_gpuh > 0)
    first = out_pool[:, supply.block_pool, FIRST_SATURATED]
    saturated = first >= 0
    median_first = np.quantile(
        np.where(saturated, first, np.inf), 0.5, axis=0, method="inverted_cdf"
    )
    return pl.DataFrame(
        {
            "block_id": [b.id for b in supply.blocks],
            "region": [b.region for b in supply.blocks],
            "kind": [b.kind.value for b in supply.blocks],
            "gpus": [b.gpus for b in supply.blocks],
            "pool": [supply.pools[p].label for p in supply.block_pool],
            "in_service_gpu_hours": block_gpuh.astype(float),
            "utilisation_mean": utilisation.mean(axis=0),
            "utilisation_p90": np.quantile(utilisation, 0.9, axis=0, method="inverted_cdf"),
            "stranded_gpu_hours_mean": stranded.mean(axis=0),
            "stranded_gpu_hours_p90": np.quantile(stranded, 0.9, axis=0, method="inverted_cdf"),
            "saturated_share": saturated.mean(axis=0),
            "saturation_hour_p50": [None if np.isinf(v) else float(v) for v in median_first],
        },
        schema=_BLOCKS_SCHEMA,
    )


def _first_to_saturate(supply: SupplySide, out_pool: np.ndarray) -> tuple[str, ...]:
    """Blocks of the pool that most often saturates first across paths (ties: lowest pool)."""
    first = out_pool[:, :, FIRST_SATURATED]
    if first.size == 0 or not (first >= 0).any():
        return ()
    earliest = np.where(first >= 0, first, np.inf)
    hit = np.isfinite(earliest.min(axis=1))
    winners = earliest[hit].argmin(axis=1)
    pool = int(np.bincount(winners, minlength=first.shape[1]).argmax())
    return tuple(b.id for i, b in enumerate(supply.blocks) if supply.block_pool[i] == pool)


def summarise(
    *,
    plan: CapacityPlan,
    demand: DemandSide,
    supply: SupplySide,
    resolved: ResolvedScenario,
    out_cls: np.ndarray,
    out_pool: np.ndarray,
    traces: KernelOutputs | None = None,
) -> DrillResult:
    """Turn the kernel's per-path arrays into a :class:`DrillResult`; ``traces`` add curves."""
    window = demand.hours - resolved.start_hour
    per_path = _per_path(plan, demand, out_cls, window)
    verdicts = _verdicts(plan, per_path)
    censored = float(out_cls[:, -1, CENSORED].mean())
    notes = []
    if censored > 0:
        notes.append(
            f"time to absorb is censored at the horizon end on {censored:.0%} of paths: "
            "some class was still short in the last hour, so those figures are lower bounds"
        )
    first = _first_to_saturate(supply, out_pool)
    if not first:
        notes.append("no pool ran full in the drill window")
    return DrillResult(
        scenario=resolved.scenario,
        target=demand.target_label,
        shock_start=demand.first_day + timedelta(hours=resolved.start_hour),
        horizon_end=demand.first_day + timedelta(days=demand.days - 1),
        window_hours=window,
        paths=len(demand.sample_ids),
        passed=bool(verdicts["passed"].all()),
        verdicts=verdicts,
        kpis=_summary(per_path),
        per_path=per_path,
        blocks=_block_frame(supply, out_pool, resolved.start_hour, demand.hours),
        first_to_saturate=first,
        notes=tuple(notes),
        backlog_curve=(
            pl.DataFrame(schema=BACKLOG_CURVE_SCHEMA)
            if traces is None
            else backlog_curve(traces, first_day=demand.first_day)
        ),
        daily_service=(
            pl.DataFrame(schema=DAILY_SERVICE_SCHEMA)
            if traces is None
            else daily_service(traces, first_day=demand.first_day)
        ),
    )
