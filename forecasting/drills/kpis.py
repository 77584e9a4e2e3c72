"""Per-path kernel outputs -> KPI distributions per class, verdicts and per-block figures.

Every KPI covers the drill window, from the shock start to the horizon end (a spike's window
ends earlier, see :func:`~forecasting.drills.simulate.window_end_hour`); the hours before
it only set the state (backlogs, running work) that the shock meets. What "unmet" means
depends on the class's demand kind (see :mod:`~forecasting.drills.kernel`), but it is one
unit, GPU-hours of demand not served within its tolerance: the interactive level lost in its
hour (``lost_gpu_hours``); for a deferrable class, the hours its level's own jobs waited past
``max_wait_hours``, plus the shock's new work that went late (counted once, as work), plus
the work still waiting within tolerance at the end (``waiting_at_end_gpu_hours``). Adding a
block does not raise it (a property test). Neither all late work (``late_work_gpu_hours``: a
starved class receives new work only as fast as its jobs end, so its late work shrinks with
its capacity) nor the whole waiting area (``overdue_queue_gpu_hour_area``: a shock's queue
can grow for months, and hours waited would outgrow the demand) is unmet; both are reported
beside it. Revenue at risk is price x unmet. Distributions over paths
are reported as mean, P50 and P90 using the empirical quantile (no interpolation, so a
path with an unbounded queue delay cannot turn a quantile into NaN).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from forecasting.capacity import CapacityPlan, not_judged_in
from forecasting.drills.curves import (
    BACKLOG_CURVE_SCHEMA,
    DAILY_SERVICE_SCHEMA,
    backlog_curve,
    daily_service,
)
from forecasting.drills.inputs import (
    CLASSES,
    DemandSide,
    ResolvedScenario,
    SupplySide,
    stream_groups,
    target_arrival,
)
from forecasting.drills.kernel import (
    ABSORB,
    CENSORED,
    CLASS_METRICS,
    CONFIRM_HOURS,
    DEFERRED_UNMET,
    FIRST_SATURATED,
    FIRST_USED,
    HOLD_HOURS,
    STRANDED,
    UNMET,
    USED,
    WAITING_END,
    KernelOutputs,
)
from forecasting.drills.scenarios import Scenario
from forecasting.schema import (
    BETTER_HIGHER,
    BORDERLINE,
    BORDERLINE_REACHES,
    FAILS_UNDER_SHOCK,
    FAILS_UNSHOCKED,
    HORIZON_CUT_NOTE,
    LATE_TARGET_NOTE,
    NOT_VERIFIED,
    PARTLY_JUDGED,
    PASS,
    SHOCK_CUT_NOTE,
    SUPPLY_FIRST_NOTE,
    UNJUDGED_ABSORB,
    UNSHOCKED_PATHS_NOTE,
    WorkloadClass,
    absorb_from_text,
    book_only_note,
    censored_absorb_text,
    frame_schema,
    group_name,
    lasting_loss_absorb_text,
    short_until_shock_end_text,
    supply_first_noted,
    unverified_absorb_text,
)

__all__ = [
    "ABSORB_SHARE",
    "ALL_CLASSES",
    "BORDERLINE",
    "CHANGES_SCHEMA",
    "FAILS_UNDER_SHOCK",
    "FAILS_UNSHOCKED",
    "KPI_SUMMARY_SCHEMA",
    "NOT_VERIFIED",
    "PASS",
    "RUNGS_SCHEMA",
    "DrillResult",
    "compare",
    "failing_at_end_text",
    "group_verdicts",
    "horizon_days_needed",
    "independent_paths",
    "loss_judged_to",
    "paths_to_settle",
    "share_interval",
    "short_until_shock_end",
    "summarise",
    "unsettled_groups",
    "unsettled_pass",
    "unverified_reason",
]

ALL_CLASSES = "all"

KPI_SUMMARY_SCHEMA = frame_schema("drill_kpis")
_VERDICTS_SCHEMA = frame_schema("drill_verdicts")
_BLOCKS_SCHEMA = frame_schema("drill_blocks")
CHANGES_SCHEMA = frame_schema("drill_kpi_changes")
RUNGS_SCHEMA = frame_schema("drill_rungs")

# Share of paths a drill-level time to absorb must cover (its P90 over paths).
ABSORB_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class DrillResult:
    """What one drill found, as frames ready to persist or render.

    ``per_path``: one row per (sample_id, workload_class incl. ``all``) with every KPI.
    ``kpis``: (workload_class, kpi, mean, p50, p90), the distribution of each KPI over paths;
    ``p90`` is the bad tenth's edge (for an attainment, the level 90 % of paths reach).
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
    # Set by :func:`compare` (a drill played next to its baseline, see PreparedDrill.play).
    verdict: str = ""
    unshocked_failures: tuple[str, ...] = ()
    baseline: DrillResult | None = None
    changes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CHANGES_SCHEMA))
    # Hours whole again had to hold before the window's end to count (kernel: confirm_hours).
    confirm_hours: int = CONFIRM_HOURS
    absorb_hours: float | None = None
    absorb_censored: bool = False
    # Hours from the shock start to the end of a shock that ends inside the window (a spike,
    # a dark region back, a slipped delivery landed; None: it acts to the window's end, or no
    # shock), and what ended ("us-east came back").
    shock_end_hours: int | None = None
    shock_end_event: str = ""
    # shock_end_hours when, on more than a tenth of the paths, some class was short until the
    # shock ended or later: the shortfall ended with the shock, not because failover or the
    # ladder restored the SLO, so no time to absorb was measured (absorb_hours is None).
    short_until_shock_end_hours: float | None = None
    absorb_cost_usd: float | None = None
    rungs: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RUNGS_SCHEMA))
    ladder_curve: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=BACKLOG_CURVE_SCHEMA)
    )
    failover_share: float | None = None
    # How far a ramp the horizon cut short got (None: it reached its height, or no ramp), and
    # the daily horizon in days from the forecast's first day that plays the whole shock (the
    # ramp's top, the spike's or the dark region's last hour, a slipped delivery's landing):
    # None when the horizon played all of it.
    shock_reached: float | None = None
    horizon_days_needed: int | None = None
    # Whether a block is lost for good: the loss still acts when the window ends, so a time
    # to absorb (0 h: no shortfall) holds within the window only.
    loss_lasts_past_window: bool = False
    # Where a lost block could not be replaced within the window (:func:`loss_judged_to`):
    # what part of the loss was judged ("judged to 2026-12-13: the loss runs to ..."); "".
    loss_judged_to: str = ""
    # Whether the shock's target had no demand on any path in the drill window (a trace of
    # zeros): the drill then doubled nothing, and a pass verifies nothing.
    idle_target: bool = False
    # Where the target has demand on some days of the shock only (a customer whose contract
    # ends, or starts, inside it): what was judged ("customer acme has no demand after
    # 2027-01-02 on any path: judged on 27 of the shock's 182 days"), and whether its demand
    # stops before the shock does (then a pass is not verified). A 2x of a customer gone after
    # 27 days read "pass" as if its 26 weeks had been doubled.
    target_days: str = ""
    target_gone: bool = False
    # Where a drill's only shock is supply events (a block lost or slipped, a region dark)
    # all in regions without telemetry: which, as its "not verified" reason says it ("" else).
    idle_events: str = ""
    # Where a spike's target has demand in the drill window but none in the spike's own hours
    # (it arrives in the days given to settle, or left before): the shock never met it, as
    # its "not verified" reason says (:func:`spike_missed_target`; "" else).
    spike_missed: str = ""
    # Set by :func:`compare`: why a drill that held its SLO is NOT_VERIFIED, or why its verdict
    # is BORDERLINE (:func:`unsettled_verdict`; "" otherwise). Stored as drill_runs.unverified.
    unverified: str = ""
    # Raw per-path arrays the comparison reads: hours each (region, class) group held, and
    # the pool outputs of a ladder run.
    group_held: np.ndarray | None = None
    pool_out: np.ndarray | None = None

    @property
    def absorb_text(self) -> str:
        """``36 h``, ``> 42 d, not absorbed within the drill window`` (censored), or ``not
        judged`` when the unshocked plan failed in every hour of the window; on a drill that
        is not verified, said to be of what was played."""
        # Counted from its target's first demand where the shock met none before.
        text = self._absorb_text() + absorb_from_text(
            self.notes, self.shock_start, self.absorb_hours
        )
        # A loss lasting past the window says what part was judged itself: "no shortfall
        # within the 14 d window; the loss lasts past it (...) on what was played (not
        # verified)" said it twice.
        lasting = self.loss_lasts_past_window and not self.absorb_censored
        return (
            unverified_absorb_text(text) if self.verdict == NOT_VERIFIED and not lasting else text
        )

    def _absorb_text(self) -> str:
        if self.absorb_censored:
            held = self.verdict in (PASS, NOT_VERIFIED)
            return censored_absorb_text(self.window_hours, passed=held)
        if self.short_until_shock_end_hours is not None:
            return short_until_shock_end_text(self.short_until_shock_end_hours)
        if self.absorb_hours is None:
            if self.verdict == FAILS_UNSHOCKED:
                return UNJUDGED_ABSORB
            return "not measured (no baseline to judge against)"
        text = (
            lasting_loss_absorb_text(self.absorb_hours, self.window_hours)
            if self.loss_lasts_past_window
            else f"{self.absorb_hours:,.0f} h"
        )
        return text + (PARTLY_JUDGED if self.verdict == FAILS_UNSHOCKED else "")

    def kpi(self, workload_class: str, kpi: str, stat: str = "mean") -> float:
        """One figure, e.g. ``result.kpi("inference", "slo_attainment", "p50")``; NaN for a
        time to absorb whose statistic reaches a censored path or was judged on none (not
        measured)."""
        row = self.kpis.filter(
            (pl.col("workload_class") == workload_class) & (pl.col("kpi") == kpi)
        )
        if row.height != 1:
            raise KeyError(f"no KPI {kpi!r} for {workload_class!r}")
        value = row[stat][0]
        return float("nan") if value is None else float(value)


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q, method="inverted_cdf"))


def attained_by_share(values: np.ndarray, share: float) -> float:
    """The largest value that at least ``share`` of the paths reach or exceed."""
    ordered = np.sort(values)
    return float(ordered[int(np.floor((1.0 - share) * len(ordered) + 1e-9))])


# The verdict's rule: a class holds where its SLO attainment is reached on this share of the
# paths (attained_by_share(..., 0.9) in _verdicts and group_verdicts).
PATH_SHARE = 0.9
# The two-sided 95 % normal quantile: a verdict's share of paths is read with this interval.
_Z95 = 1.959963984540054


def independent_paths(demand: DemandSide) -> float:
    """How many independent paths the drill's paths weigh as: Kish's effective sample size
    (sum of copies)^2 / (sum of squared copies) over paths whose daily demand is identical.
    Each forecast path is its own draw; a ``--paths`` above what the forecast stored draws its
    paths again (:func:`~forecasting.runs.drills.resampled_paths`), and 500 drawn from 200
    weigh as about 143, not 500: an interval on 500 would settle what the 200 cannot."""
    copies = _copies(demand)
    return float(copies.sum() ** 2 / (copies**2).sum())


def _copies(demand: DemandSide) -> npt.NDArray[np.float64]:
    """How many of the drill's paths carry each distinct path's daily demand."""
    rows = np.ascontiguousarray(demand.base).reshape(len(demand.sample_ids), -1)
    return np.array(list(Counter(r.tobytes() for r in rows).values()), dtype=np.float64)


def share_interval(share: float, paths: float) -> tuple[float, float]:
    """The Wilson score 95 % interval of a share measured on ``paths`` independent paths (it
    stays inside [0, 1] and is not empty at a share of 0 or 1, where the normal one is)."""
    z2 = _Z95**2
    denom = 1.0 + z2 / paths
    centre = (share + z2 / (2.0 * paths)) / denom
    half = _Z95 * float(np.sqrt(share * (1.0 - share) / paths + z2 / (4.0 * paths**2))) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _settled(share: float, paths: float) -> bool:
    low, high = share_interval(share, paths)
    return high < PATH_SHARE or low > PATH_SHARE


def paths_to_settle(share: float, *, most: int) -> int | None:
    """The fewest independent paths on which a share of paths ``share`` would have a 95 %
    interval clear of the verdict's 90 %, the share staying as measured; None when ``most``
    paths would not (a share on the threshold itself never settles)."""
    if not _settled(share, most):
        return None
    low, high = 1, most
    while low < high:
        mid = (low + high) // 2
        if _settled(share, mid):
            high = mid
        else:
            low = mid + 1
    return low


def failing_at_end_text(failing: npt.NDArray[np.bool_]) -> str:
    """Where a censored shocked run was judged last on the paths whose unshocked plan still
    fails in its last hour (``failing``, one flag a path): counted in paths, as ", or, on 1 of
    the 200 paths where ...", or "as the plan fails unshocked at the end on all 200 paths". A
    share read "on the 0% of paths where the plan fails unshocked at the end" on an
    inference-only fleet where one path of 200 did (and "on the 100% of paths where" on a
    fleet short everywhere); "" where none does."""
    count = int(failing.sum())
    if not count:
        return ""
    if count == len(failing):
        every = "the one path" if count == 1 else f"all {count:,} paths"
        return (
            f" or, as the plan fails unshocked at the end on {every}, of the last hour the "
            "unshocked plan held"
        )
    return (
        f" or, on {count:,} of the {len(failing):,} paths where the plan fails unshocked at the "
        "end, of the last hour the unshocked plan held"
    )


def _shock_end_margin(shock_hours: int) -> int:
    """Hours before a shock's end that a class must hold for the shock to count as absorbed:
    a day (the daily peak of the shock's last day), or half a shock shorter than two days.
    A class whole only in the shock's last night hours was not absorbed; the peak passed."""
    return min(24, shock_hours // 2)


def shock_end(
    plan: CapacityPlan, demand: DemandSide, resolved: ResolvedScenario
) -> tuple[int, str] | None:
    """Hours from the shock start to the end of a shock that ends inside the horizon, and what
    ended: a spike's last hour, a dark region's return, a slipped delivery's landing (the one
    that ends last). None when some part of the shock acts to the horizon's end (a step, a
    ramp, a block lost for good) or ends past it (the cut-short notes say so).

    A class short until then was made whole by the shock ending, not by failover or the
    ladder: a three-day region loss read "73 h to absorb", the dark hours plus one."""
    scenario = resolved.scenario
    if resolved.lost:
        return None
    ends: list[tuple[int, str]] = []
    shape = scenario.shape
    if scenario.multiplier != 1.0:
        # A target whose demand stops inside the window (a customer's contract ended) ends
        # the demand shock with it: a customer-2x read "505 h to absorb" the hour after the
        # customer left, as if the response had absorbed it.
        gone = _target_end_hour(demand, resolved.start_hour)
        spike = resolved.shock_hour + shape.hours if shape.kind == "spike" else None
        if gone is not None and (spike is None or gone < spike):
            who = demand.target_label.replace(":", " ", 1)
            last = demand.first_day + timedelta(hours=gone - 24)
            ends.append((gone, f"{who} has no demand after {last}"))
        elif spike is not None:
            ends.append((spike, f"the {shape.hours:,} h spike ended"))
        else:
            return None
    loss = scenario.region_loss
    if loss is not None:
        for region, (begin, _) in resolved.dark.items():
            ends.append((begin + loss.days * 24, f"{region} came back"))
    blocks = {b.id: b for b in plan.block}
    for block_id, weeks in resolved.slipped.items():
        block = blocks.get(block_id)
        if block is None or block.in_service is None:
            return None
        lands = block.in_service + timedelta(weeks=weeks)
        ends.append(((lands - demand.first_day).days * 24, f"{block_id}'s slipped delivery landed"))
    if not ends:
        return None
    hour, event = max(ends)
    if hour >= demand.hours or hour <= resolved.start_hour:
        return None
    return hour - resolved.start_hour, event


def _target_end_hour(demand: DemandSide, start_hour: int) -> int | None:
    """The first hour of the day after the last one on which the shock's target has demand on
    some path, from the shock's day on; None where it has demand to the window's end (or
    none at all: :func:`_idle_target`)."""
    start = min(start_hour // 24, demand.days)
    window = np.abs(demand.target[:, start:, :])
    if not window.size:
        return None
    days = np.flatnonzero(window.max(axis=(0, 2)) > 1e-9)
    if not days.size or start + int(days[-1]) >= demand.days - 1:
        return None
    return (start + int(days[-1]) + 1) * 24


def _ended_with_shock(per_path: pl.DataFrame, shock_hours: int | None) -> pl.Series:
    """Per path and class: whether its shortfall lasted into the shock's last day or beyond,
    so it ended because the shock did (failover and the ladder did not absorb it). False for
    a shock that does not end inside the window (``shock_hours`` None), for censored or
    unjudged paths (their own flags say so) and never-short ones."""
    hours = per_path["time_to_absorb_hours"]
    if shock_hours is None:
        return pl.Series("absorb_ended_with_shock", [False] * per_path.height)
    ended = (
        (hours > shock_hours - _shock_end_margin(shock_hours))
        & ~per_path["absorb_censored"]
        & hours.is_not_nan()
    )
    return ended.fill_null(False).alias("absorb_ended_with_shock")


def _with_total(per_class: np.ndarray) -> np.ndarray:
    """(paths, classes) -> (paths, classes + 1), the last column the sum over classes."""
    return np.concatenate([per_class, per_class.sum(axis=1, keepdims=True)], axis=1)


def _per_path(
    plan: CapacityPlan, demand: DemandSide, out_cls: np.ndarray, window: int
) -> pl.DataFrame:
    names = [*(c.value for c in CLASSES), ALL_CLASSES]
    prices = np.array([plan.policy[c].price_per_gpu_hour for c in CLASSES])
    # One unit for every class: GPU-hours of demand not served within its tolerance.
    # Interactive: the level lost in its hour. Deferrable (kernel.DEFERRED_UNMET): the hours
    # the level's own stock of jobs waited past max_wait (bounded by the level), plus the
    # shock's new work that went late, counted once, plus the work still waiting at the end.
    # Not all late work: with level-tracking arrivals a starved class receives new work only
    # as fast as its jobs end, so its late work shrinks with its capacity (a region dark read
    # as less unmet than the plan unshocked). Not the whole waiting area either: a shock's
    # queue can grow for months, and hours waited would outgrow the demand itself.
    interactive = np.array([plan.policy[c].interactive for c in CLASSES])
    kernel_unmet = out_cls[:, : len(CLASSES), UNMET]
    deferred = out_cls[:, : len(CLASSES), DEFERRED_UNMET] + out_cls[:, : len(CLASSES), WAITING_END]
    lost = np.where(interactive, kernel_unmet, 0.0)
    unmet = np.where(interactive, kernel_unmet, deferred)
    paths, classes = out_cls.shape[0], out_cls.shape[1]
    columns: dict[str, object] = {
        "sample_id": np.repeat(demand.sample_ids, classes),
        "workload_class": np.tile(np.array(names), paths),
    }
    for m, metric in enumerate(CLASS_METRICS):
        if m in (HOLD_HOURS, CENSORED, DEFERRED_UNMET):  # a part of unmet, or not per path
            continue
        columns[metric] = out_cls[:, :, m].ravel()
    columns["unmet_gpu_hours"] = _with_total(unmet).ravel()
    columns["lost_gpu_hours"] = _with_total(lost).ravel()
    columns["overdue_queue_gpu_hour_area"] = _with_total(
        np.where(interactive, 0.0, kernel_unmet)
    ).ravel()
    columns["slo_attainment"] = out_cls[:, :, HOLD_HOURS].ravel() / max(window, 1)
    columns["absorb_censored"] = out_cls[:, :, CENSORED].ravel() > 0.5
    # Judged on no hour: the unshocked plan failed the class in every hour of the window.
    columns["absorb_unjudged"] = np.isnan(out_cls[:, :, ABSORB]).ravel()
    columns["revenue_at_risk_usd"] = _with_total(unmet * prices).ravel()
    frame = pl.DataFrame(columns)
    return frame.with_columns(pl.col("sample_id").cast(pl.Int32))


def _summary(per_path: pl.DataFrame) -> pl.DataFrame:
    """Mean, P50 and P90 over paths of every KPI. Time to absorb on a censored path is only a
    lower bound (the horizon end), so a statistic that reaches a censored path is null, never
    the horizon length shown as a measurement; ``absorb_censored`` gives the censored share.
    A path short until its shock ended measured the shock's length, not an absorption: a
    statistic that reaches one is null too (``absorb_ended_with_shock`` gives their share).
    A path the unshocked plan failed in every hour judged nothing and is left out; where every
    path is such, each statistic is null (``absorb_unjudged`` gives their share), never NaN: a
    stored NaN read as a figure that is not a number (a drill file's ``multiplier = inf``)."""
    rows = []
    kpis = [c for c in per_path.columns if c not in ("sample_id", "workload_class")]
    for (name,), frame in per_path.group_by("workload_class", maintain_order=True):
        for kpi in kpis:
            values = frame[kpi].cast(pl.Float64).to_numpy()
            if kpi == "time_to_absorb_hours":
                unmeasured = frame["absorb_censored"].to_numpy()
                if "absorb_ended_with_shock" in frame.columns:
                    unmeasured = unmeasured | frame["absorb_ended_with_shock"].to_numpy()
                values = np.where(unmeasured, np.inf, values)
                # A path on which the unshocked plan failed in every hour judged nothing.
                values = values[~np.isnan(values)]
                if values.size == 0:
                    rows.append((name, kpi, None, None, None))
                    continue
            # P90 is the bad tenth of paths: for an attainment (higher is better) the level 90 %
            # of paths reach, as the verdicts judge it; its 90th percentile read 100 % beside a
            # class failing its verdict.
            bad = attained_by_share(values, 0.9) if kpi in BETTER_HIGHER else _quantile(values, 0.9)
            stats = (float(values.mean()), _quantile(values, 0.5), bad)
            rows.append((name, kpi, *(None if np.isinf(v) else v for v in stats)))
    return pl.DataFrame(rows, schema=KPI_SUMMARY_SCHEMA, orient="row")


def _demanded_classes(demand: DemandSide, start_hour: int) -> set[WorkloadClass]:
    """Classes with demand on some path from the drill window's first day on. Shocks only
    multiply demand, so a class without any has none shocked either."""
    first = min(start_hour // 24, demand.days)
    level = np.abs(demand.base[:, first:, :]).max(axis=(0, 1), initial=0.0)
    return {s.workload_class for s, peak in zip(demand.streams, level, strict=True) if peak > 1e-9}


def _verdicts(
    plan: CapacityPlan,
    per_path: pl.DataFrame,
    demanded: set[WorkloadClass],
    *,
    regional: Mapping[WorkloadClass, list[np.ndarray]],
) -> pl.DataFrame:
    """Each class's verdict: it passes when in every region its SLO attainment reached on 90 %
    of paths is at least its target; its attainment is its weakest region's (``regional``: each
    (region, class) group's share of hours held per path).

    A class's hourly attainment fleet-wide (``slo_attainment`` per path) holds only when it
    holds in every region at once, so each region's short hours count against all the others:
    on a 60-day fleet forecast 8 weeks, training held 95.9 % and 92.3 % of hours in eu-west and
    us-west on 90 % of paths (target 90 %, no region short), 86.8 % fleet-wide, and 5 of 8 drills
    read "plan fails unshocked (training (across regions))" beside green training triggers. A
    class's work runs in its region (training does not fail over), so a region short by itself
    is what fails it, as each region's trigger judges it; the fleet-wide figure stays a KPI.
    Without per-group hours (a class with no stream) the fleet-wide figure is the verdict's."""
    rows = []
    for c in CLASSES:
        attainment = per_path.filter(pl.col("workload_class") == c.value)["slo_attainment"]
        shares = regional.get(c) or [attainment.to_numpy()]
        mean = min(float(v.mean()) for v in shares)
        at_p90 = min(attained_by_share(v, 0.9) for v in shares)
        target = plan.policy[c].slo_target
        rows.append((c.value, target, mean, at_p90, at_p90 >= target - 1e-12, c in demanded))
    return pl.DataFrame(rows, schema=_VERDICTS_SCHEMA, orient="row")


def _regional_shares(
    demand: DemandSide, out_group: np.ndarray | None, window: int
) -> dict[WorkloadClass, list[np.ndarray]]:
    """Per class, each of its (region, class) groups' share of the window held, per path."""
    if out_group is None:
        return {}
    shares: dict[WorkloadClass, list[np.ndarray]] = {}
    for g, (_, k) in enumerate(stream_groups(demand.streams)):
        shares.setdefault(k, []).append(out_group[:, g] / max(window, 1))
    return shares


def _unmeasured_blocks(supply: SupplySide, demand: DemandSide) -> np.ndarray:
    """(blocks,) whether a block is dedicated to a customer with no demand stream: one with no
    telemetry (a Helios VC in the quota file but not the minute file). Its GPUs sit free for
    want of data on that customer, so what it strands is not measured."""
    measured = {(s.region, s.customer) for s in demand.streams if s.customer is not None}
    return np.array(
        [
            (pool := supply.pools[p]).customer is not None
            and (pool.region, pool.customer) not in measured
            for p in supply.block_pool
        ],
        dtype=bool,
    )


def _unmeasured_note(supply: SupplySide, unmeasured: np.ndarray) -> tuple[str, ...]:
    """The drill's note naming the blocks whose stranded GPU-hours are not measured."""
    if not unmeasured.any():
        return ()
    blocks = [b for b, u in zip(supply.blocks, unmeasured, strict=True) if u]
    customers = sorted({str(b.dedicated_customer) for b in blocks})
    return (
        f"stranded GPU-hours not measured on {len(blocks)} "
        f"block{'' if len(blocks) == 1 else 's'} dedicated to customers "
        f"with no telemetry ({', '.join(customers)}: {', '.join(b.id for b in blocks)}): "
        "nothing is known of what those customers would use, so their idle GPUs are in no "
        "stranded total",
    )


def _block_frame(
    supply: SupplySide,
    out_pool: np.ndarray,
    start: int,
    hours: int,
    *,
    unmeasured: np.ndarray,
) -> pl.DataFrame:
    on = np.maximum(supply.block_on, start)
    off = np.minimum(supply.block_off, hours)
    # Hours a block stands dark for want of power are no hours in service: the dark rack of a
    # site short of MW took a share of its pool's use and strandedness as if it ran.
    dark = np.array(
        [
            sum(max(min(until, off[i]) - max(begin, on[i]), 0) for begin, until in spans)
            for i, spans in enumerate(supply.block_dark)
        ]
        if supply.block_dark
        else np.zeros(len(supply.blocks), dtype=np.int64)
    )
    block_gpuh = np.array([b.gpus for b in supply.blocks]) * np.maximum(off - on - dark, 0)
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
            # None, not the free GPU-hours of a customer nobody measured (114,048 GPU-h of a
            # Helios VC with no telemetry read as the drill's largest stranded figure).
            "stranded_gpu_hours_mean": _none_where(stranded.mean(axis=0), unmeasured),
            "stranded_gpu_hours_p90": _none_where(
                np.quantile(stranded, 0.9, axis=0, method="inverted_cdf"), unmeasured
            ),
            "saturated_share": saturated.mean(axis=0),
            "saturation_hour_p50": [None if np.isinf(v) else float(v) for v in median_first],
        },
        schema=_BLOCKS_SCHEMA,
    )


def _none_where(values: np.ndarray, unmeasured: np.ndarray) -> list[float | None]:
    return [None if u else float(v) for v, u in zip(values, unmeasured, strict=True)]


def _first_to_saturate(supply: SupplySide, out_pool: np.ndarray, *, start: int) -> tuple[str, ...]:
    """Blocks of the pool that most often saturates first across paths (ties: lowest pool),
    those in service at the median hour it first ran full on the paths where it was first."""
    first = out_pool[:, :, FIRST_SATURATED]
    if first.size == 0 or not (first >= 0).any():
        return ()
    earliest = np.where(first >= 0, first, np.inf)
    hit = np.isfinite(earliest.min(axis=1))
    winners = earliest[hit].argmin(axis=1)
    pool = int(np.bincount(winners, minlength=first.shape[1]).argmax())
    hour = start + int(
        np.quantile(earliest[hit][winners == pool, pool], 0.5, method="inverted_cdf")
    )
    # A block of the pool that came later (a cell committed past the window) did not run full:
    # naming it read as if the newest capacity were already saturated.
    dark = supply.block_dark or ((),) * len(supply.blocks)
    return tuple(
        b.id
        for i, b in enumerate(supply.blocks)
        if supply.block_pool[i] == pool
        and supply.block_on[i] <= hour < supply.block_off[i]
        and not any(begin <= hour < until for begin, until in dark[i])
    )


def shock_reached(resolved: ResolvedScenario) -> float | None:
    """The multiplier a shock that ramps past the horizon's end reached; None when it got to
    its full size (or there is no shock)."""
    goal = resolved.scenario.multiplier
    if goal == 1.0 or not resolved.shock.size:
        return None
    extreme = resolved.shock.max() if goal > 1.0 else resolved.shock.min()
    reached = 1.0 + float(extreme)
    return None if abs(reached - goal) <= 1e-9 * max(abs(goal), 1.0) else reached


def cut_by_horizon(plan: CapacityPlan, demand: DemandSide, resolved: ResolvedScenario) -> list[str]:
    """A note per shock the horizon's end cuts short: a spike or a dark region with hours past
    it, a slipped delivery landing after it (a ramp has its own note). Their unmet GPU-hours
    and revenue read as the whole shock's, and only part of it was played."""
    end = demand.first_day + timedelta(days=demand.days - 1)
    notes = []
    shape = resolved.scenario.shape
    if shape.kind == "spike" and resolved.shock_hour + shape.hours > demand.hours:
        played = max(demand.hours - resolved.shock_hour, 0)
        notes.append(
            f"{HORIZON_CUT_NOTE}the spike's {shape.hours:,} h reach past the forecast "
            f"horizon's end on {end}: {played:,} h of it are played, and its figures are of "
            "those hours only"
        )
    loss = resolved.scenario.region_loss
    for region, (begin, until) in resolved.dark.items():
        if loss is not None and begin + loss.days * 24 > until:
            notes.append(
                f"{HORIZON_CUT_NOTE}{region} is dark past the forecast horizon's end on "
                f"{end}: {until - begin:,} of its {loss.days * 24:,} dark hours are played"
            )
    blocks = {b.id: b for b in plan.block}
    for block_id, weeks in resolved.slipped.items():
        block = blocks.get(block_id)
        if block is None or block.in_service is None:
            continue
        lands = block.in_service + timedelta(weeks=weeks)
        if lands > end:
            notes.append(
                f"{HORIZON_CUT_NOTE}{block_id}'s slipped delivery lands on {lands}, past the "
                f"forecast horizon's end on {end}: the drill never sees it delivered"
            )
    return notes


def _day_of(hour: int) -> int:
    """The days of forecast, from its first day, that hold hour ``hour``."""
    return hour // 24 + 1


def horizon_days_needed(
    plan: CapacityPlan, demand: DemandSide, resolved: ResolvedScenario
) -> int | None:
    """The daily horizon (days from the forecast's first day) that plays the whole shock: the
    hour a ramp reaches its height, a spike's or a dark region's last hour, the day a slipped
    delivery lands; None when this forecast already holds all of it.

    A spike's settling week after it is not counted: its hours only add hours the shock is
    over, and the work still waiting when a shorter window ends counts as unmet, so a window
    cut there judges the shock more harshly, never more kindly."""
    scenario = resolved.scenario
    shape = scenario.shape
    needed: list[int] = []
    if shape.kind in ("ramp", "spike") and scenario.multiplier != 1.0:
        needed.append(_day_of(resolved.shock_hour + shape.hours - 1))
    loss = scenario.region_loss
    if loss is not None:
        needed += [_day_of(begin + loss.days * 24 - 1) for begin, _ in resolved.dark.values()]
    blocks = {b.id: b for b in plan.block}
    for block_id, weeks in resolved.slipped.items():
        block = blocks.get(block_id)
        if block is not None and block.in_service is not None:
            lands = block.in_service + timedelta(weeks=weeks)
            needed.append((lands - demand.first_day).days + 1)
    # The drill window may end before the horizon (a spike's): the forecast's days, not the
    # window's, are what a longer --horizon adds.
    forecast_days = demand.days
    furthest = max(needed, default=0)
    return furthest if furthest > forecast_days else None


def loss_judged_to(plan: CapacityPlan, demand: DemandSide, resolved: ResolvedScenario) -> str:
    """What part of a block loss the window judged, where it ends before the loss can end: a
    lost block serves nothing for good, and the plan recovers when a block of its kind ordered
    on the loss day is in service (its candidate type's lead time; the first to land where
    several are orderable for its region). "" where every lost block's replacement lands
    within the window. On a 7-day forecast the demo's block-loss read a plain pass, 0 h: a
    week of a loss whose replacement lands 32 weeks later."""
    end = demand.first_day + timedelta(days=demand.days - 1)
    blocks = {b.id: b for b in plan.block}
    parts = []
    for block_id, hour in resolved.lost.items():
        block = blocks.get(block_id)
        if block is None:
            continue
        lost_on = demand.first_day + timedelta(days=hour // 24)
        kinds = [c for c in plan.candidate if c.kind == block.kind and c.available_in(block.region)]
        # Like for like first: the same GPU type, else any of the kind.
        alike = [c for c in kinds if c.gpu_type == block.gpu_type] or kinds
        if not alike:
            parts.append(
                f"judged to {end}: the loss of {block_id} ({block.region}, from {lost_on}) runs "
                f"past any horizon (no {block.kind} can be ordered for {block.region} to "
                "replace it), not within the horizon"
            )
            continue
        first = min(alike, key=lambda c: (c.lead_time_weeks, c.name))
        lands = lost_on + timedelta(weeks=first.lead_time_weeks)
        if lands <= end:
            continue
        days = (lands - demand.first_day).days + 1
        parts.append(
            f"judged to {end}: the loss runs to {lands} ({block_id} lost on {lost_on}; a "
            f"{first.name} ordered that day lands then), not within the horizon (`--horizon "
            f"{days}` plays it to then)"
        )
    return "; ".join(parts)


def _supply_event_notes(
    plan: CapacityPlan, demand: DemandSide, resolved: ResolvedScenario
) -> list[str]:
    """Which block a drill lost or slipped, with its GPUs, region and day: "the largest block
    in service fails" named no block anywhere, so no reader could tell which one the verdict
    was about."""
    # A region sized alone (drills.answers._region_drill) holds its own blocks only, while the
    # scenario stays resolved for the whole drill: another region's block is not its event.
    blocks = {b.id: b for b in plan.block}
    notes = []
    for block_id, hour in resolved.lost.items():
        block = blocks.get(block_id)
        if block is None:
            continue
        day = demand.first_day + timedelta(days=hour // 24)
        notes.append(f"lost: {block_id} ({block.gpus:,} GPUs, {block.region}) from {day}, for good")
    for block_id, weeks in resolved.slipped.items():
        block = blocks.get(block_id)
        if block is not None and block.in_service is not None:
            lands = block.in_service + timedelta(weeks=weeks)
            notes.append(
                f"slipped: {block_id} ({block.gpus:,} GPUs, {block.region}) {weeks} "
                f"week{'' if weeks == 1 else 's'}, in service {lands} instead of "
                f"{block.in_service}"
            )
    return notes


def _idle_target(demand: DemandSide, start_hour: int) -> bool:
    """Whether the shock's target has no demand on any path from the shock's day on."""
    window = demand.target[:, min(start_hour // 24, demand.days) :, :]
    return float(np.abs(window).max(initial=0.0)) <= 1e-9


def target_days_judged(demand: DemandSide, resolved: ResolvedScenario) -> tuple[str, bool]:
    """What a drill whose target has demand on some of the shock's days only was judged on,
    and whether that demand stops before the shock does: ("customer acme has no demand after
    2027-01-02 on any path: judged on 27 of the shock's 182 days", True). The shock's days
    run from its start to the window's end, a spike's to its last hour. ("", False) where the
    target has demand on some path every day of them, or on none (:func:`_idle_target`).

    The shock's days count from the shock's own start: a target that arrives inside it moved
    the drill's judged start to its first hour with demand, which :func:`late_target_note`
    says."""
    start = min(resolved.shock_hour // 24, demand.days)
    shape = resolved.scenario.shape
    end = demand.days
    if shape.kind == "spike":
        end = min(end, -(-(resolved.shock_hour + shape.hours) // 24))
    window = np.abs(demand.target[:, start:end, :])
    active = window.max(axis=(0, 2), initial=0.0) > 1e-9 if window.size else np.zeros(0, bool)
    if not active.any() or active.all():
        return "", False
    days = np.flatnonzero(active)
    first, last = int(days[0]), int(days[-1])

    def day(index: int) -> date:
        return demand.first_day + timedelta(days=start + index)

    gone = last < len(active) - 1
    parts = [f"before {day(first)}"] if first > 0 else []
    parts += [f"after {day(last)}"] if gone else []
    gaps = last - first + 1 - len(days)
    parts += [f"on {gaps} day{'' if gaps == 1 else 's'} between"] if gaps else []
    who = demand.target_label.replace(":", " ", 1)
    text = (
        f"{who} has no demand {' and '.join(parts)} on any path: judged on {len(days)} of the "
        f"shock's {len(active)} days"
    )
    return text, gone


def spike_missed_target(demand: DemandSide, resolved: ResolvedScenario) -> str:
    """Where a spike's target has demand on some path in the drill window but none in any of
    the spike's hours, why the shock never met it: "the spike never met its target's demand:
    customer acme has no demand on any path in the spike's 72 h (2026-01-05 to 2026-01-07),
    only in the days given to settle after it (from 2026-01-10)". A 3-day spike of a customer
    arriving on its fifth day read "pass": a spike of nothing, judged on the settling week.
    "" where the spike met demand in some hour, the target has none in the window at all
    (:func:`_idle_target` says that), or the shape is no spike."""
    shape = resolved.scenario.shape
    if shape.kind != "spike" or resolved.scenario.multiplier == 1.0:
        return ""
    begin = resolved.shock_hour
    if begin >= demand.hours or _idle_target(demand, 0):
        return ""
    if target_arrival(demand, resolved.shock, begin) is not None:
        return ""
    end = min(begin + shape.hours, demand.hours)
    first = demand.first_day + timedelta(hours=begin)
    last = demand.first_day + timedelta(hours=end - 1)
    who = demand.target_label.replace(":", " ", 1)
    active = np.abs(demand.target).max(axis=(0, 2), initial=0.0) > 1e-9
    after = np.flatnonzero(active[-(-end // 24) :])
    before = bool(active[: begin // 24].any()) if begin // 24 else False
    where = []
    if before:
        where.append("before it")
    if after.size:
        settle = demand.first_day + timedelta(days=-(-end // 24) + int(after[0]))
        where.append(f"in the days given to settle after it (from {settle})")
    if not where:
        # Its demand lies in the spike's first or last day, outside the spike's own hours.
        where.append("outside the spike's hours")
    return (
        f"the spike never met its target's demand: {who} has no demand on any path in the "
        f"spike's {end - begin:,} h ({first} to {last}), only {' and '.join(where)}"
    )


def late_target_note(demand: DemandSide, resolved: ResolvedScenario) -> str:
    """Where the drill is judged from its target's first hour with demand inside the shock
    (:func:`~forecasting.drills.inputs.target_arrival`), from when and on which hours; ""
    where it is judged from the shock's start. Opens with :data:`LATE_TARGET_NOTE`, which
    :func:`~forecasting.schema.absorb_from_text` reads back from the stored notes."""
    if resolved.target_from is not None and resolved.first_event is not None:
        return _parts_note(demand, resolved)
    if resolved.shock_from is None:
        return ""
    hour = resolved.start_hour
    day = demand.first_day + timedelta(days=hour // 24)
    when = f"{day}" if hour % 24 == 0 else f"{day} {hour % 24:02d}:00"
    began = demand.first_day + timedelta(days=resolved.shock_from // 24)
    who = demand.target_label.replace(":", " ", 1)
    return (
        f"{LATE_TARGET_NOTE}the shock began on {began}, and {who} has no demand in it on any "
        f"path before {when}: time to absorb counts from then, and SLO attainment is judged on "
        f"the {demand.hours - hour:,} h from then to the drill window's end, not on the "
        f"shock's first {hour - resolved.shock_from:,} h, which shocked no demand"
    )


def _hour_text(demand: DemandSide, hour: int) -> str:
    """``2026-02-04``, or ``2026-02-04 05:00`` for an hour inside the day."""
    day = demand.first_day + timedelta(days=hour // 24)
    return f"{day}" if hour % 24 == 0 else f"{day} {hour % 24:02d}:00"


def _parts_note(demand: DemandSide, resolved: ResolvedScenario) -> str:
    """A drill of supply events and a demand shock whose target arrives late in it: what was
    judged from when. Each part counts from when it acts, the supply event from its start and
    the demand shock from its target's first demand, and the drill from the first of them.
    Where the supply event acts first the note opens with :data:`SUPPLY_FIRST_NOTE` (the
    time-to-absorb cells read it back: :func:`~forecasting.schema.absorb_from_text`), else
    with :data:`LATE_TARGET_NOTE` as a late target alone does, naming the event's later
    start."""
    assert resolved.target_from is not None and resolved.first_event is not None
    arrives, (acts, event) = resolved.target_from, resolved.first_event
    start = resolved.start_hour
    who = demand.target_label.replace(":", " ", 1)
    began = ""
    if resolved.shock_from is not None:
        began = (
            f"; the scenario began on {_hour_text(demand, resolved.shock_from)}, before either "
            "acted, and its hours until then are not judged"
        )
    window = f"the {demand.hours - start:,} h from then to the drill window's end"
    if acts <= arrives:
        return (
            f"{SUPPLY_FIRST_NOTE}{event} acts from {_hour_text(demand, start)}, and {who} has "
            f"no demand in the shock on any path before {_hour_text(demand, arrives)}, "
            f"{arrives - start:,} h later: time to absorb counts from {event}'s start and SLO "
            f"attainment is judged on {window}; the shock on {who} acts from its first demand, "
            f"and the hours before it judge {event} alone{began}"
        )
    return (
        f"{LATE_TARGET_NOTE}{who} has no demand in the shock on any path before "
        f"{_hour_text(demand, start)}, and {event} acts only from {_hour_text(demand, acts)}: "
        f"time to absorb counts from {who}'s first demand and SLO attainment is judged on "
        f"{window}; the hours before {_hour_text(demand, acts)} judge the demand shock "
        f"alone{began}"
    )


def _idle_events(plan: CapacityPlan, demand: DemandSide, resolved: ResolvedScenario) -> str:
    """The supply events of a drill with no demand shock, where every one lies in a region
    with blocks but no demand stream (no telemetry): "us-west-pod-05 (slipped) in us-west".
    The ready-made delivery-slip slipped the fleet's next committed block, in a region the
    telemetry did not cover, and read "pass, 0 h": a slip that met no demand. "" where any
    event acts where demand is measured, or the drill shocks demand too."""
    if resolved.scenario.multiplier != 1.0:
        return ""
    region_of = {b.id: b.region for b in plan.block}
    events = [
        *((region_of.get(b), f"{b} (lost)") for b in resolved.lost),
        *((region_of.get(b), f"{b} (slipped)") for b in resolved.slipped),
        *((r, f"{r} (dark)") for r in resolved.dark),
    ]
    watched = {s.region for s in demand.streams}
    if not events or any(region is None or region in watched for region, _ in events):
        return ""
    return ", ".join(
        what if what.endswith("(dark)") else f"{what} in {region}" for region, what in events
    )


def summarise(
    *,
    plan: CapacityPlan,
    demand: DemandSide,
    supply: SupplySide,
    resolved: ResolvedScenario,
    out_cls: np.ndarray,
    out_pool: np.ndarray,
    out_group: np.ndarray | None = None,
    traces: KernelOutputs | None = None,
) -> DrillResult:
    """Turn the kernel's per-path arrays into a :class:`DrillResult`; ``traces`` add curves.

    ``out_group`` (the kernel's hours each (region, class) group held, per path) makes each
    class's verdict its regions' (see :func:`_verdicts`) and is kept as ``group_held``."""
    window = demand.hours - resolved.start_hour
    per_path = _per_path(plan, demand, out_cls, window)
    ended = shock_end(plan, demand, resolved)
    per_path = per_path.with_columns(_ended_with_shock(per_path, ended[0] if ended else None))
    verdicts = _verdicts(
        plan,
        per_path,
        _demanded_classes(demand, resolved.start_hour),
        regional=_regional_shares(demand, out_group, window),
    )
    censored = float(out_cls[:, -1, CENSORED].mean())
    notes = _supply_event_notes(plan, demand, resolved)
    confirm = resolved.confirm_hours(demand.hours)
    if censored > 0:
        notes.append(
            f"time to absorb is censored at the drill window's end on {censored:.0%} of paths: "
            f"some class was still short within {confirm} h of it, so those figures are lower "
            "bounds"
        )
    short = shock_reached(resolved)
    if short is not None:
        end = demand.first_day + timedelta(days=demand.days - 1)
        notes.append(
            f"{SHOCK_CUT_NOTE}{short:.2f}x of its {resolved.scenario.multiplier:g}x by the "
            f"forecast horizon's end on {end}: a longer forecast plays all of it"
        )
    notes += cut_by_horizon(plan, demand, resolved)
    unmeasured = _unmeasured_blocks(supply, demand)
    notes += _unmeasured_note(supply, unmeasured)
    first = _first_to_saturate(supply, out_pool, start=resolved.start_hour)
    if not first:
        notes.append("no pool ran full in the drill window")
    # A target present on some of the shock's days only: said, whatever the verdict.
    judged = target_days_judged(demand, resolved)
    notes += [judged[0]] if judged[0] else []
    late = late_target_note(demand, resolved)
    notes += [late] if late else []
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
        blocks=_block_frame(
            supply, out_pool, resolved.start_hour, demand.hours, unmeasured=unmeasured
        ),
        first_to_saturate=first,
        notes=tuple(notes),
        confirm_hours=confirm,
        shock_end_hours=ended[0] if ended else None,
        shock_end_event=ended[1] if ended else "",
        shock_reached=short,
        horizon_days_needed=horizon_days_needed(plan, demand, resolved),
        loss_lasts_past_window=bool(resolved.lost),
        loss_judged_to=loss_judged_to(plan, demand, resolved),
        idle_target=_idle_target(demand, resolved.start_hour),
        target_days=judged[0],
        target_gone=judged[1],
        idle_events=_idle_events(plan, demand, resolved),
        spike_missed=spike_missed_target(demand, resolved),
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
        group_held=out_group,
    )


def group_verdicts(
    plan: CapacityPlan, demand: DemandSide, result: DrillResult
) -> list[tuple[str, WorkloadClass, float]] | None:
    """Per (region, class) with demand: region, class and how far its SLO attainment (the
    share of the window its headroom policy held, reached on 90 % of paths) is below target,
    positive short, zero or below passing. It is that class's verdict in a drill of the region
    alone: there the class holds in an hour exactly when its group does. None when the result
    carries no per-group hours."""
    held = result.group_held
    if held is None:
        return None
    window = max(result.window_hours, 1)
    return [
        (region, k, plan.policy[k].slo_target - attained_by_share(held[:, g] / window, 0.9))
        for g, (region, k) in enumerate(stream_groups(demand.streams))
    ]


def _failing_groups(plan: CapacityPlan, demand: DemandSide, result: DrillResult) -> tuple[str, ...]:
    """``inference in us-east`` for every (region, class) whose headroom policy fails, and a
    class that fails only across regions (short in different regions at different hours),
    which a verdict read off the groups (:func:`_verdicts`) never is: only a result without
    per-group hours names one."""
    failing_classes = set(result.verdicts.filter(~pl.col("passed"))["workload_class"])
    short = [(r, k) for r, k, gap in group_verdicts(plan, demand, result) or () if gap > 1e-12]
    names = [group_name(region, k.value) for region, k in short]
    named = {k.value for _, k in short}
    names += [f"{c} (across regions)" for c in sorted(failing_classes - named)]
    return tuple(names)


def _unshocked_note(
    plan: CapacityPlan, demand: DemandSide, baseline: DrillResult, unshocked: Sequence[str]
) -> str:
    """Where the plan fails without the shock, with each short group's attainment, and why a
    region's triggers can be green beside it.

    Both read the same paths and the same headroom; they differ in what they count. A trigger
    judges each day at the q90 forecast; a drill fails a class in a region when 90 % of paths
    do not hold it in 90 % of the window's hours. On a 60-day fleet forecast 8 weeks, on the
    days of delivery-slip's window 5.3 % of paths on average (at most 9.5 %) had eu-west
    training above 90 % of its pods at some hour, while 22 of 200 paths were there in more
    than a tenth of the hours (eu-west 89.6 %, target 90 %); its 48-hour jobs held GPUs 3 %
    above its level on average (8 % at the day's peak hour). In 98.5 % of the hours it failed,
    training alone needed more than 90 % of the pods (inference never ran on them). A reader
    saw "fails unshocked" beside green triggers with nothing to say why."""
    figures = {
        group_name(region, k.value): (plan.policy[k].slo_target - gap, plan.policy[k].slo_target)
        for region, k, gap in group_verdicts(plan, demand, baseline) or ()
    }
    named = [
        f"{name} ({figures[name][0]:.1%} of hours on 90% of paths, target {figures[name][1]:.0%})"
        if name in figures
        else name
        for name in unshocked
    ]
    text = "the plan fails without the shock: " + ", ".join(named)
    if not any(name in figures for name in unshocked):
        return text
    return (
        f"{text}; its triggers judge each day at the q90 forecast and can be green beside "
        "this: 90% of paths can hold on every day while more than a tenth of them are short "
        "in more than a tenth of the hours, on different days, and deferrable work already "
        "running keeps its GPUs above a day's forecast level (README, Shock drills)"
    )


def _unshocked_paths(
    plan: CapacityPlan, demand: DemandSide, baseline: DrillResult, unshocked: Sequence[str]
) -> list[str]:
    """One note per group the plan fails in without the shock: how many of the paths were
    short of its headroom policy in more of the window's hours than its SLO target allows
    (:data:`~forecasting.schema.UNSHOCKED_PATHS_NOTE`). The verdict fails it when more than a
    tenth are; its trigger reads each day's q90 forecast and can be green beside it, and the
    verdict cells say both (:func:`~forecasting.schema.unshocked_cell`)."""
    held = baseline.group_held
    if held is None:
        return []
    window = max(baseline.window_hours, 1)
    paths = held.shape[0]
    notes = []
    for g, (region, k) in enumerate(stream_groups(demand.streams)):
        name = group_name(region, k.value)
        if name not in unshocked:
            continue
        target = plan.policy[k].slo_target
        short = int((held[:, g] / window < target - 1e-12).sum())
        notes.append(
            f"{UNSHOCKED_PATHS_NOTE}{name}: {short:,} of {paths:,} paths short in over "
            f"{1 - target:.0%} of its hours"
        )
    return notes


def _changes(baseline: DrillResult, shocked: DrillResult) -> pl.DataFrame:
    joined = baseline.kpis.join(
        shocked.kpis, on=("workload_class", "kpi"), how="full", coalesce=True, suffix="_shock"
    )
    return joined.select(
        "workload_class",
        "kpi",
        pl.col("mean").alias("baseline_mean"),
        pl.col("mean_shock").alias("shocked_mean"),
        (pl.col("mean_shock") - pl.col("mean")).alias("increment_mean"),
        pl.col("p90").alias("baseline_p90"),
        pl.col("p90_shock").alias("shocked_p90"),
    ).cast(dict(CHANGES_SCHEMA))  # type: ignore[arg-type]


def _class_sum(result: DrillResult, kpi: str, classes: set[str]) -> np.ndarray:
    """Per path, ``kpi`` summed over ``classes`` (paths in sample order)."""
    frame = result.per_path.filter(pl.col("workload_class").is_in(list(classes)))
    return frame.group_by("sample_id").agg(pl.col(kpi).sum()).sort("sample_id")[kpi].to_numpy()


def _rung_row(
    rung: str,
    region: str,
    after: float | None,
    cap: float | None,
    used: np.ndarray,
    unit: str,
    first: np.ndarray | None,
    cost: np.ndarray,
    standing: float = 0.0,
) -> tuple[object, ...]:
    hit = used > _USED_GPUS
    first_p50 = None
    if first is not None and hit.any():
        first_p50 = float(np.quantile(first[hit], 0.5, method="inverted_cdf"))
    return (
        rung, region, after, cap, float(used.mean()), unit, float(hit.mean()), first_p50,
        float(cost.mean()), standing,
    )  # fmt: skip


# GPU-hours below which a rung counts as unused on a path (float dust, not a decision).
_USED_GPUS = 1e-3


def _rungs(
    plan: CapacityPlan,
    baseline: DrillResult,
    shocked: DrillResult,
    final: DrillResult,
    supply: SupplySide,
    *,
    calm: np.ndarray | None = None,
) -> pl.DataFrame:
    """Which rungs the drill used, when and at what cost (means over paths).

    Preemption and deferral are measured on the shocked plan against the baseline. A ladder
    rung's use is the GPU-hours in use on its pool once it acted (for ``migrate``: on the
    moved GPUs, by any class they host) beyond its use by the ladder without the shock
    (``calm``, per-pool outputs), and the cost of that use: burst pays its price and migration
    its cost per GPU-hour used. A rung that answers a shortfall the plan has anyway is not part
    of the cost of absorbing the shock. Spares cost nothing more to use; their carrying cost
    for every spare GPU-hour of the window is paid shock or no shock, so it is a standing cost,
    not part of the cost of absorbing.
    """
    zero = np.zeros(shocked.paths)
    rows = []
    preemptible = {c.value for c in CLASSES if plan.policy[c].preemptible}
    preempted = (
        _class_sum(shocked, "preempted_gpu_hours", preemptible)
        - _class_sum(baseline, "preempted_gpu_hours", preemptible)
        if preemptible
        else zero
    )
    rows.append(
        _rung_row("preempt", ALL_CLASSES, 0.0, None, np.maximum(preempted, 0.0),
                  "GPU-hours preempted beyond the baseline", None, zero)
    )  # fmt: skip
    deferrable = {c.value for c in CLASSES if not plan.policy[c].interactive}
    deferred = (
        _class_sum(shocked, "peak_backlog_gpu_hours", deferrable)
        - _class_sum(baseline, "peak_backlog_gpu_hours", deferrable)
        if deferrable
        else zero
    )
    rows.append(
        _rung_row("defer", ALL_CLASSES, 0.0, None, np.maximum(deferred, 0.0),
                  "peak queued GPUs beyond the baseline", None, zero)
    )  # fmt: skip
    ladder = plan.ladder
    out_pool = final.pool_out
    window = final.window_hours
    for p in supply.rung_pools():
        pool = supply.pools[p]
        used = out_pool[:, p, USED] if out_pool is not None else zero
        if calm is not None and out_pool is not None:
            used = np.maximum(used - calm[:, p, USED], 0.0)
        first = out_pool[:, p, FIRST_USED] if out_pool is not None else None
        delay = float(supply.rung_delay[p]) if supply.rung_delay is not None else None
        cap = float(supply.cap[:, p].max(initial=0.0))
        cost, standing = zero, 0.0
        if pool.rung == "burst" and ladder.burst is not None:
            cost = used * ladder.burst.price_per_gpu_hour
        elif pool.rung == "migrate" and ladder.migrate is not None:
            cost = used * ladder.migrate.cost_per_gpu_hour
        elif pool.rung == "spares" and ladder.spares is not None:
            standing = ladder.spares.gpus * window * ladder.spares.carrying_cost_per_gpu_hour
        rows.append(
            _rung_row(str(pool.rung), pool.region, delay, cap, used,
                      "GPU-hours in use on the rung's GPUs", first, cost, standing)
        )  # fmt: skip
    return pl.DataFrame(rows, schema=RUNGS_SCHEMA, orient="row")


def _idle_migration(plan: CapacityPlan, supply: SupplySide, demand: DemandSide) -> list[str]:
    """A note naming the regions where the plan declares migration but it has nothing to move:
    every pool there that hosts training already hosts the classes it would move GPUs to.
    Only regions with demand of such a class are named: where there is none (no telemetry, or
    an inference-only fleet's training target) nothing was tried, and the tiny fleet read
    "migrate has nothing to move in eu-west, us-east, us-west" for one region of telemetry."""
    migrate = plan.ladder.migrate
    if migrate is None:
        return []
    wanted = {s.region for s in demand.streams if s.workload_class in migrate.to}
    regions = {
        p.region
        for p in supply.pools
        if p.rung is None
        and p.customer is None
        and WorkloadClass.TRAINING in p.classes
        and p.region in wanted
    }
    moved = {p.region for p in supply.pools if p.rung == "migrate"}
    covered = {r for r in regions if plan.ladder.covers(r)}
    idle = sorted(covered - moved)
    if not idle:
        return []
    to = ", ".join(str(c) for c in migrate.to)
    return [
        f"migrate has nothing to move in {', '.join(idle)}: every pool there that hosts "
        f"training already hosts {to}, which can take its free GPUs without migration"
    ]


def _unpriced_unmet(plan: CapacityPlan, shocked: DrillResult) -> list[str]:
    """A note naming the classes the shock left short whose policy has no price: their unmet
    GPU-hours count $0 in revenue at risk, which then reads as measured ("$0 -> $0" for a
    class short by thousands of GPU-hours)."""
    free = [str(c) for c in CLASSES if plan.policy[c].price_per_gpu_hour == 0]
    if not free:
        return []
    unmet = (
        shocked.per_path.filter(pl.col("workload_class").is_in(free))
        .group_by("workload_class")
        .agg(pl.col("unmet_gpu_hours").mean())
        .filter(pl.col("unmet_gpu_hours") > 0)
        .sort("workload_class")
    )
    if unmet.is_empty():
        return []
    parts = [
        f"{r['workload_class']}'s {r['unmet_gpu_hours']:,.0f}" for r in unmet.iter_rows(named=True)
    ]
    names = ", ".join(f"[policy.{c}]" for c in unmet["workload_class"])
    return [
        f"revenue at risk leaves out {' and '.join(parts)} unmet GPU-hours (mean over paths): "
        f"{names} give no price_per_gpu_hour, so they are not priced"
    ]


def _absorb(final: DrillResult) -> tuple[float | None, bool, float | None]:
    """The drill's time to absorb: the P90 over paths of every class being whole again;
    censored when more than a tenth of the paths never were within the horizon; None (not
    measured) when the unshocked plan failed in every hour of the window on every path.

    The third value is the shock's length (:func:`shock_end`) when the P90 reaches paths that
    were short until the shock ended (and no more than a tenth were censored): those show the
    shock's length, not an absorption, so no time is measured."""
    frame = final.per_path.filter(pl.col("workload_class") == ALL_CLASSES)
    censored = frame["absorb_censored"].to_numpy()
    ended = frame["absorb_ended_with_shock"].to_numpy()
    measured = frame["time_to_absorb_hours"].to_numpy()
    judged = ~np.isnan(measured)  # paths the unshocked plan failed throughout: not judged
    if not judged.any():
        return None, False, None
    # A path whole again within a day (a week while the shock acts) of the window's end is
    # censored by the kernel (confirm_hours), so a finite P90 is always a time the window saw
    # hold.
    value = _quantile(np.where(censored | ended, np.inf, measured)[judged], ABSORB_SHARE)
    if not np.isinf(value):
        return value, False, None
    if np.isinf(_quantile(np.where(censored, np.inf, measured)[judged], ABSORB_SHARE)):
        return None, True, None
    return None, False, float(final.shock_end_hours or 0)


def short_until_shock_end(result: DrillResult) -> float | None:
    """The shock's length in hours where ``result``'s time to absorb reaches paths short until
    the shock ended (:func:`_absorb`: no absorption to time), else None."""
    return _absorb(result)[2]


def _unwatched_failover_regions(plan: CapacityPlan, demand: DemandSide) -> list[str]:
    """The plan's regions with blocks but no demand stream (no telemetry), sorted: failover
    finds their blocks idle (a region-loss drill's "68% failed over" leaned on eu-west, whose
    own demand nobody measured)."""
    watched = {s.region for s in demand.streams}
    moving = [k for k, policy in plan.policy.items() if policy.failover]
    return sorted(
        {b.region for b in plan.block if b.region not in watched and any(map(b.allows, moving))}
    )


def _window(result: DrillResult) -> str:
    """The drill window as the censoring note says it: its hours from the shock's start, and
    whether it runs to the forecast horizon's end or stops before it (a spike's, a dark
    region's: as long again as the shock)."""
    to_end = ((result.horizon_end - result.shock_start).days + 1) * 24
    late = any(n.startswith(LATE_TARGET_NOTE) for n in result.notes)
    began = "its target's first demand in the shock" if late else "the shock's start"
    event = supply_first_noted(result.notes)
    if event is not None:
        began = f"{event[0]}'s start"
    said = f"{result.window_hours:,} h from {began} on {result.shock_start}"
    if result.window_hours >= to_end:
        return f"{said}, to the forecast horizon's end on {result.horizon_end}"
    return f"{said}, before the forecast horizon's end on {result.horizon_end}"


def _held_for(hours: int) -> str:
    """How long whole again had to hold, as the censoring note says it."""
    if hours <= CONFIRM_HOURS:
        return f"{hours} h"
    return f"{hours} h (a week: the shock still acts then, and a weekend's lull is not a recovery)"


def _partly_judged(baseline: DrillResult) -> str:
    """Which hours a time to absorb could see on a plan that fails unshocked: each class's
    (with demand) share of hours holding its policy without the shock; the others cannot show
    it whole again."""
    kpis = baseline.kpis.filter(pl.col("workload_class") != ALL_CLASSES)
    with_demand = kpis.filter((pl.col("kpi") == "demand_gpu_hours") & (pl.col("mean") > 0))
    held = (
        kpis.filter(pl.col("kpi") == "slo_attainment")
        .join(with_demand.select("workload_class"), on="workload_class")
        .sort("workload_class")
        .select("workload_class", "mean")
        .iter_rows()
    )
    shares = ", ".join(f"{cls} {share:.0%}" for cls, share in held)
    return (
        "time to absorb is judged only in the hours each class holds its policy without the "
        f"shock (share of hours, mean over paths: {shares}); the other hours cannot show the "
        "shock absorbed or not"
    )


def _most_forecast_paths() -> int:
    """The most sample paths a forecast stores (``forecast --paths``'s upper bound)."""
    from forecasting.options import ForecastOptions

    field = ForecastOptions.model_fields["n_paths"]
    return int(next(m.le for m in field.metadata if getattr(m, "le", None) is not None))


def _reach_shares(
    plan: CapacityPlan, demand: DemandSide, result: DrillResult
) -> list[tuple[str, float]]:
    """(group, share of paths on which it reaches its SLO target) for every (region, class) of
    a class with demand in the window, the shares the verdict reads (it holds where each is at
    least 90 %); per class fleet-wide where the result has no per-group hours. A class with
    no demand holds trivially and is no question of sampling."""
    demanded = set(result.verdicts.filter(pl.col("has_demand"))["workload_class"])
    window = max(result.window_hours, 1)
    if result.group_held is None:
        return [
            (
                c.value,
                float(
                    (
                        result.per_path.filter(pl.col("workload_class") == c.value)[
                            "slo_attainment"
                        ].to_numpy()
                        >= plan.policy[c].slo_target - 1e-12
                    ).mean()
                ),
            )
            for c in CLASSES
            if c.value in demanded
        ]
    return [
        (
            group_name(region, k.value),
            float((result.group_held[:, g] / window >= plan.policy[k].slo_target - 1e-12).mean()),
        )
        for g, (region, k) in enumerate(stream_groups(demand.streams))
        if k.value in demanded
    ]


def _unsettled(
    shares: Sequence[tuple[str, float]], paths: float
) -> tuple[set[bool], list[tuple[str, float]]]:
    """Whether a run's classes all hold (its ``passed``) as the paths' sampling error allows:
    {False} where a group's 95 % interval lies below 90 % (it fails whatever the draw), {True}
    where every group's lies above, both where some group's straddles 90 %; and those groups."""
    straddling = []
    for name, share in shares:
        low, high = share_interval(share, paths)
        if high < PATH_SHARE:
            return {False}, []
        if low <= PATH_SHARE:
            straddling.append((name, share))
    return ({True, False} if straddling else {True}), straddling


def unsettled_verdict(
    plan: CapacityPlan, demand: DemandSide, baseline: DrillResult, shocked: DrillResult
) -> tuple[str, bool]:
    """Why a drill's verdict is not settled by its paths ("" when it is), and whether a pass
    is among the verdicts their sampling error allows (then the verdict is "borderline"; else
    it fails either way and only which failure is open). The text names the verdicts allowed,
    each group whose share of paths holding its SLO target has a 95 % interval straddling the
    90 % the verdict asks, and how many paths would settle it. A verdict read off a share of
    paths moved with ``--paths``: the same drill read a plain pass or fail at each count."""
    weight = independent_paths(demand)
    if len(_copies(demand)) == 1:
        # One distinct path (a hand-built fleet, or `--paths 1`): its demand has no spread to
        # sample, so there is no sampling error to weigh; the verdict is that path's.
        return "", False
    calm, calm_groups = _unsettled(_reach_shares(plan, demand, baseline), weight)
    shock, shock_groups = _unsettled(_reach_shares(plan, demand, shocked), weight)
    possible = {
        FAILS_UNSHOCKED if not b else FAILS_UNDER_SHOCK if not s else PASS
        for b in calm
        for s in shock
    }
    if len(possible) < 2:
        return "", False
    said = [v for v in (PASS, FAILS_UNDER_SHOCK, FAILS_UNSHOCKED) if v in possible]
    groups = [(n, v, " without the shock") for n, v in calm_groups if len(calm) > 1]
    groups += [(n, v, " under the shock") for n, v in shock_groups if len(shock) > 1]
    return _borderline_text(plan, demand, weight, groups, " or ".join(said)), PASS in possible


def unsettled_pass(plan: CapacityPlan, demand: DemandSide, result: DrillResult) -> str:
    """Why one run's pass or fail (``result.passed``: every class holds its SLO target on 90 %
    of paths) is not settled by its paths, "" when it is: the verdict's borderline rule applied
    to a run the drill's answers read (a set of blocks verified, a multiplier searched). Their
    plain rule printed "would pass with 2 x pod" for a set whose pass sat within its sampling
    error, and "breaks at" a multiplier that another draw moves."""
    weight = independent_paths(demand)
    if len(_copies(demand)) == 1:
        return ""
    held, groups = _unsettled(_reach_shares(plan, demand, result), weight)
    if len(held) < 2:
        return ""
    return _borderline_text(plan, demand, weight, [(n, v, "") for n, v in groups], "pass or fail")


def unsettled_groups(
    plan: CapacityPlan, demand: DemandSide, result: DrillResult
) -> list[tuple[str, WorkloadClass, float, int | None]]:
    """(region, class, share, independent paths that would settle it) for each group whose share of
    paths reaching its SLO target straddles the verdict's 90 % within its sampling error, where
    ``result`` holds or fails only within that error (:func:`unsettled_pass`); [] where it is
    settled or carries no per-group hours. The paths are None where the share sits on its
    threshold. Blocks-to-pass adds blocks where these groups are, and draws these paths."""
    if result.group_held is None or len(_copies(demand)) == 1:
        return []
    weight = independent_paths(demand)
    shares = _reach_shares(plan, demand, result)
    held, straddling = _unsettled(shares, weight)
    if len(held) < 2:
        return []
    named = {
        group_name(region, k.value): (region, k) for region, k in stream_groups(demand.streams)
    }
    most = _most_forecast_paths()
    return [(*named[name], share, paths_to_settle(share, most=most)) for name, share in straddling]


def _borderline_text(
    plan: CapacityPlan,
    demand: DemandSide,
    weight: float,
    groups: Sequence[tuple[str, float, str]],
    said: str,
) -> str:
    """ "borderline at 200 paths: {said}; {group} reaches its SLO target{when} on 94.0% of paths,
    12 of 200 short in over 5% of its hours (95% interval ...); about N independent paths would
    settle it (...)". The paths short are counted, so the cells say how many paths the verdict
    turns on (:func:`~forecasting.schema.borderline_short`): "94.0% of 200 paths" left the
    reader to work out that 12 paths were short, against the 20 the verdict allows."""
    paths = len(demand.sample_ids)
    parts = []
    for name, share, when in groups:
        low, high = share_interval(share, weight)
        short = round((1.0 - share) * paths)
        target = plan.policy[WorkloadClass(name.partition(" in ")[0])].slo_target
        parts.append(
            f"{name}{BORDERLINE_REACHES.rstrip()}{when} on {share:.1%} of paths, {short:,} of "
            f"{paths:,} short in over {round((1 - target) * 100, 3):g}% of its hours (95% interval "
            f"{low:.1%}-{high:.1%}; the verdict asks {PATH_SHARE:.0%})"
        )
    most = _most_forecast_paths()
    needed = [paths_to_settle(share, most=most) for _, share, _ in groups]
    drawn = (
        ""
        if weight > paths - 0.5
        else f" (they weigh as {weight:,.0f} independent ones: more paths than the forecast "
        "stored draw its paths again)"
    )
    if any(n is None for n in needed):
        settle = (
            f"no forecast of up to {most:,} paths would settle it: it sits on its threshold, "
            "so read it as neither pass nor fail"
        )
    else:
        count = max(n for n in needed if n is not None)
        settle = (
            f"about {count:,} independent paths would settle it (`fleetcast forecast --paths "
            f"{count}`, then the drill: a drill's --paths above the paths its forecast stored "
            "draws the same paths again)"
        )
    return f"borderline at {paths:,} paths{drawn}: {said}; {'; '.join(parts)}; {settle}"


def unverified_reason(shocked: DrillResult) -> str:
    """Why a drill that held its SLO did not verify the question it is named for, "" when it
    did: the horizon cut its shock short (a 2x six-week ramp played to 1.17x on a 7-day
    forecast read "pass, 0 h"), or its target had no demand on any path to shock (a trace
    forecast as zero read "pass, 0 h, 100 % SLO" on doubling a zero)."""
    reasons = []
    if shocked.idle_target:
        reasons.append(
            f"no demand measured: {shocked.target} is zero on every path in the drill window, "
            "so the shock met nothing"
        )
    if shocked.target_gone:
        # A pass over the days the target still had demand says nothing of the shock's rest.
        reasons.append(shocked.target_days)
    if shocked.spike_missed and not shocked.idle_target:
        # A pass of a spike that doubled nothing, read off the settling week's hours.
        reasons.append(shocked.spike_missed)
    if shocked.idle_events:
        reasons.append(
            f"no demand measured where it acts: {shocked.idle_events}, without telemetry "
            "(demand there taken as zero), so the event met nothing"
        )
    if shocked.loss_judged_to:
        reasons.append(shocked.loss_judged_to)
    days = shocked.horizon_days_needed
    if days is not None:
        level = (
            f" at {shocked.shock_reached:.2f}x of {shocked.scenario.multiplier:g}x"
            if shocked.shock_reached is not None
            else ""
        )
        reasons.append(
            f"cut short{level} by the horizon (forecast at least {days} days ahead, "
            f"`--horizon {days}`, to play it whole)"
        )
    return "; ".join(reasons)


def compare(
    *,
    plan: CapacityPlan,
    demand: DemandSide,
    baseline: DrillResult,
    shocked: DrillResult,
    ladder: DrillResult | None,
    ladder_baseline: DrillResult | None = None,
    ladder_supply: SupplySide,
) -> DrillResult:
    """``shocked`` with its baseline, verdict, KPI increments, time to absorb and rungs.

    The verdict is ``plan fails unshocked`` when the baseline already fails (naming where),
    ``fails under the shock`` when only the shocked plan does, else ``pass``. Time to absorb
    and its cost come from the ladder run when the plan has rungs beyond preemption and
    deferral, judged against ``ladder_baseline`` (the ladder without the shock), else from the
    shocked run judged against ``baseline``.
    """
    unshocked = _failing_groups(plan, demand, baseline)
    if not baseline.passed:
        verdict = FAILS_UNSHOCKED
    elif not shocked.passed:
        verdict = FAILS_UNDER_SHOCK
    else:
        verdict = PASS
    total = shocked.per_path.filter(pl.col("workload_class") == ALL_CLASSES)
    dark = float(total["dark_demand_gpu_hours"].to_numpy().mean())
    moved = float(total["failed_over_gpu_hours"].to_numpy().mean())
    unwatched = _unwatched_failover_regions(plan, demand) if moved > 0 else []
    unverified = unverified_reason(shocked) if verdict == PASS else ""
    if verdict == PASS and unwatched:
        # Its failed-over demand found those blocks idle because nobody measured their own:
        # a pass there rests on GPUs not known to be free.
        where = ", ".join(unwatched)
        unverified = "; ".join(
            filter(
                None,
                (
                    unverified,
                    f"it passes with failover that may land on blocks in {where}, whose own "
                    f"demand is not measured (no telemetry in {where}: taken as zero)",
                ),
            )
        )
    # Within the paths' sampling error of its threshold, a verdict is no pass or fail: another
    # draw of as many paths reads another one. A drill not verified stays so, with this too.
    # Where it fails whatever the draw and only which failure is open (the plan unshocked or
    # the shock), the failure stands and a note says which is not settled.
    borderline, passes = unsettled_verdict(plan, demand, baseline, shocked)
    if unverified:
        verdict = NOT_VERIFIED
        unverified = "; ".join(filter(None, (unverified, borderline)))
    elif borderline and passes:
        verdict = BORDERLINE
        # The pass it offers is held to the rule a plain pass is: a loss judged only to the
        # horizon's end read "borderline: pass or fails" on a 7-day forecast, where a few
        # paths more holding read "not verified".
        unplayed = unverified_reason(shocked)
        unverified = borderline + (
            f"; a pass would not be verified: {unplayed}" if unplayed else ""
        )
    unsettled_failure = (
        [f"which failure it is, is not settled: {borderline}"]
        if borderline and verdict in (FAILS_UNDER_SHOCK, FAILS_UNSHOCKED)
        else []
    )
    final = ladder if ladder is not None else shocked
    # The run time to absorb was judged against: the ladder's own twin where one was played
    # (a plan that holds unshocked throughout has none: its ladder never acts without a shock).
    twin = ladder_baseline if ladder is not None else None
    calm = twin if twin is not None else baseline
    hours, censored, shock_end = _absorb(final)
    rungs = _rungs(
        plan, baseline, shocked, final, ladder_supply,
        calm=twin.pool_out if twin is not None else None,
    )  # fmt: skip
    notes = [n for n in shocked.notes if not n.startswith("time to absorb")]
    if censored:
        # The drill window, not the horizon: a 7-day run read "within 168 h ... of the horizon
        # end (168 h)", and a step from +2w on 28 days "(336 h)", the window's own length.
        where = (
            f"within {_held_for(final.confirm_hours)} of the drill window's end ({_window(final)})"
        )
        # The baseline's own censoring flags the paths where the unshocked plan still fails in
        # the last hour: there the shocked run is judged only up to the plan's last good hour.
        base_total = calm.per_path.filter(pl.col("workload_class") == ALL_CLASSES)
        where += failing_at_end_text(base_total["absorb_censored"].to_numpy())
        notes.append(
            f"time to absorb is censored: on more than {1 - ABSORB_SHARE:.0%} of paths some "
            f"class was still short of its baseline {where}, so no "
            f"{'day' if final.confirm_hours <= CONFIRM_HOURS else 'week'} showed it whole "
            "again for good"
        )
    elif shock_end is not None:
        margin = _shock_end_margin(int(shock_end))
        notes.append(
            f"time to absorb is not measured: on more than {1 - ABSORB_SHARE:.0%} of paths some "
            f"class was still short in the shock's last {margin} h or later, so the shortfall "
            f"ended when (or after) {final.shock_end_event} ({shock_end:,.0f} h after the shock "
            "started), not because the response ladder restored the SLO or failover carried "
            "the demand (not absorbed by the response)"
        )
    elif hours is None:
        notes.append(
            "time to absorb is not measured: the plan fails unshocked in every hour of the "
            "drill window, so no hour can show the shock absorbed"
        )
    if verdict == FAILS_UNSHOCKED:
        notes.append(_unshocked_note(plan, demand, baseline, unshocked))
        notes += _unshocked_paths(plan, demand, baseline, unshocked)
        if hours is not None or censored:
            notes.append(_partly_judged(calm))
    notes += unsettled_failure
    notes += _idle_migration(plan, ladder_supply, demand)
    notes += _unpriced_unmet(plan, shocked)
    notes += [book_only_note(r) for r in sorted(set(demand.book_only) & set(demand.regions))]
    if unwatched:
        notes.append(
            f"{moved / dark:.0%} of the dark demand failed over, and it may land on blocks in "
            f"{', '.join(unwatched)} ({not_judged_in(unwatched)}; their own demand is taken as "
            "zero), so how much of it failover really carries is not verified"
        )
    return replace(
        shocked,
        verdict=verdict,
        unshocked_failures=unshocked if verdict == FAILS_UNSHOCKED else (),
        baseline=replace(baseline, group_held=None),
        changes=_changes(baseline, shocked),
        absorb_hours=hours,
        absorb_censored=censored,
        short_until_shock_end_hours=shock_end,
        absorb_cost_usd=float(rungs["cost_usd_mean"].sum()),
        rungs=rungs,
        ladder_curve=(
            ladder.backlog_curve
            if ladder is not None
            else pl.DataFrame(schema=BACKLOG_CURVE_SCHEMA)
        ),
        failover_share=moved / dark if dark > 0 else None,
        unverified=unverified,
        notes=tuple(notes),
        group_held=None,
        pool_out=None,
    )
