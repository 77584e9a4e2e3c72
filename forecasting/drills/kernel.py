"""The hourly capacity-sharing simulation: one per-path step function, run two ways.

:func:`simulate_path` is written once, in plain Python over numpy arrays. The numba kernel
compiles it and runs paths in parallel (``prange``); :func:`simulate_reference` runs the very
same function uncompiled, path after path, hour after hour. Tests cross-check the two and the
benchmark times them against each other, so the kernel's speed never comes from a different
algorithm. Hours cannot be vectorised (each hour's backlog and running allocation feed the
next), so the parallelism is over sample paths.

Rules of one hour (streams are processed in priority order, ties by class, customer-level
streams before the rest of their class):

1. Arrivals. A stream's demand this hour is ``profile[hour_of_week] * (base[day] +
   shock[t] * target[day])``; its need is its backlog plus that arrival.
2. Incumbents. Streams of non-preemptible classes first keep what they ran in the previous
   hour, up to their need (a job in flight is not evicted, whatever its tier).
3. Fill. In priority order each stream takes free capacity from its pools in preference order
   (dedicated pools first, then pools open to the fewest classes, so flexible capacity is
   left for demand that has nowhere else to go). Preemptible streams come last in priority
   in practice and take whatever is left; anything they held last hour and no longer get
   was taken by a higher tier and counts as preempted.
4. Headroom. When every stream of one priority level is placed, ``served * h / (1 - h)``
   GPUs on each pool it uses are reserved as that class's headroom: later non-preemptible
   streams cannot take them, preemptible ones can (they would be evicted on a burst).
5. Backlog. What a stream was not given stays in its backlog; next hour the backlog is served
   before new arrivals (FIFO per stream), so by Little's law the queue delay is
   ``backlog / throughput``.

Headroom policy of class k in a region holds in an hour when its backlog is zero and
``served <= (1 - headroom) * (served + spare)``, where ``spare`` is capacity on the class's
eligible pools that it could take at once: idle GPUs plus GPUs held by preemptible classes of
lower priority. A class holds when it holds in every region; "overall" holds when every
class does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, cast

import numpy as np
from numba import njit, prange

__all__ = [
    "CLASS_METRICS",
    "DAY_DEMAND",
    "DAY_SERVED",
    "POOL_METRICS",
    "KernelInputs",
    "KernelOutputs",
    "simulate_kernel",
    "simulate_path",
    "simulate_reference",
    "simulate_traced",
]

# Per-class outputs of one path (index C is "overall"); sums run over the drill window only.
UNMET = 0  # GPU-hours of arrivals beyond what the stream was served in the hour
UNSERVED_END = 1  # backlog left at the horizon end, GPU-hours
PEAK_BACKLOG = 2  # highest end-of-hour backlog, GPU-hours of queued work
QUEUE_DELAY = 3  # backlog / throughput in the peak-backlog hour (Little's law), hours
HOLD_HOURS = 4  # hours in which the headroom policy held
ABSORB = 5  # hours from shock start until the policy holds for good (censored: window length)
CENSORED = 6  # 1.0 when the policy still failed in the last hour of the horizon
PREEMPTED = 7  # GPU-hours evicted from preemptible streams by higher tiers
DEMAND = 8  # GPU-hours arriving
SERVED = 9  # GPU-hours served
CLASS_METRICS = (
    "unmet_gpu_hours",
    "unserved_at_end_gpu_hours",
    "peak_backlog_gpu_hours",
    "queue_delay_hours",
    "hold_hours",
    "time_to_absorb_hours",
    "absorb_censored",
    "preempted_gpu_hours",
    "demand_gpu_hours",
    "served_gpu_hours",
)

USED = 0  # GPU-hours in use on the pool
STRANDED = 1  # idle GPU-hours while demand in the same region waited in a backlog
FIRST_SATURATED = 2  # hours from shock start to the first full hour; -1 if never full
POOL_METRICS = ("used_gpu_hours", "stranded_gpu_hours", "first_saturated_hour")

# Daily traces per class: GPU-hours arriving and GPU-hours served (backlog included).
DAY_DEMAND = 0
DAY_SERVED = 1

# GPUs; far below any real allocation, far above float rounding at fleet scale.
_TOL = 1e-6
_HOURS_PER_WEEK = 168


class KernelOutputs(NamedTuple):
    """What the kernel writes; the trace arrays are empty unless tracing was asked for.

    The hourly traces keep paths on the last axis, so quantiles over paths read contiguous
    memory (the largest arrays: 1,000 paths x 4,368 hours x 6 classes is 105 MB each).
    """

    per_class: np.ndarray  # (paths, classes + 1, CLASS_METRICS); index ``classes`` is overall
    per_pool: np.ndarray  # (paths, pools, POOL_METRICS)
    backlog: np.ndarray  # (hours, classes + 1, paths) float32 end-of-hour backlog, GPU-hours
    unmet: np.ndarray  # (hours, classes + 1, paths) float32 arrivals not served in the hour
    daily: np.ndarray  # (paths, days, classes + 1, 2) GPU-hours: DAY_DEMAND, DAY_SERVED


@dataclass(frozen=True, slots=True)
class KernelInputs:
    """Dense arrays for the kernel; streams are sorted in processing (priority) order.

    Ragged lists are CSR-style: the pools of stream ``s`` are
    ``s_pools[s_ptr[s]:s_ptr[s + 1]]`` in preference order, and each position ``j`` in
    ``s_pools`` is an *edge* (stream, pool) whose allocation the kernel keeps in slot ``j``.
    ``pe_edges[pe_ptr[p]:pe_ptr[p + 1]]`` are the edges of preemptible streams on pool ``p``
    (what a higher tier could evict there); ``gs_*``/``gp_*`` are the streams and pools of
    each (region, class) group.
    """

    base: np.ndarray  # (paths, days, streams) daily mean GPUs
    target: np.ndarray  # (paths, days, streams) the part of base the shock multiplies
    shock: np.ndarray  # (hours,) multiplier - 1
    profile: np.ndarray  # (streams, 168) hourly factor
    how0: int  # hour of week of hour 0
    cap: np.ndarray  # (hours, pools) GPUs in service
    start: int  # first hour of the drill window (the shock start)
    prio: np.ndarray  # (streams,) int64 class priority, non-decreasing
    preemptible: np.ndarray  # (streams,) bool
    reserve: np.ndarray  # (streams,) headroom / (1 - headroom)
    stream_class: np.ndarray  # (streams,) int64 class index
    stream_region: np.ndarray  # (streams,) int64 region index
    s_ptr: np.ndarray
    s_pools: np.ndarray
    edge_stream: np.ndarray  # (edges,) stream of each edge
    pe_ptr: np.ndarray
    pe_edges: np.ndarray
    p_region: np.ndarray  # (pools,) int64
    g_class: np.ndarray  # (groups,) int64
    g_headroom: np.ndarray  # (groups,) float64
    g_prio: np.ndarray  # (groups,) int64
    gs_ptr: np.ndarray
    gs_streams: np.ndarray
    gp_ptr: np.ndarray
    gp_pools: np.ndarray
    n_classes: int
    n_regions: int

    def arguments(self) -> tuple[object, ...]:
        """Everything but the per-path arrays, in :func:`simulate_path`'s order."""
        return (
            self.shock, self.profile, self.how0, self.cap, self.start, self.prio,
            self.preemptible, self.reserve, self.stream_class, self.stream_region,
            self.s_ptr, self.s_pools, self.edge_stream, self.pe_ptr, self.pe_edges, self.p_region,
            self.g_class, self.g_headroom, self.g_prio, self.gs_ptr, self.gs_streams,
            self.gp_ptr, self.gp_pools, self.n_regions,
        )  # fmt: skip

    def allocate(self, *, traced: bool) -> KernelOutputs:
        """Zeroed outputs; without ``traced`` the trace arrays have no hours or days."""
        out_cls, out_pool = self.outputs()
        paths, days = self.base.shape[0], self.base.shape[1]
        hours = self.cap.shape[0] if traced else 0
        classes = self.n_classes + 1
        return KernelOutputs(
            per_class=out_cls,
            per_pool=out_pool,
            backlog=np.zeros((hours, classes, paths), dtype=np.float32),
            unmet=np.zeros((hours, classes, paths), dtype=np.float32),
            daily=np.zeros((paths, days if traced else 0, classes, 2)),
        )

    def outputs(self) -> tuple[np.ndarray, np.ndarray]:
        """Zeroed per-path output arrays: (paths, classes + 1, metrics), (paths, pools, 3)."""
        paths = self.base.shape[0]
        return (
            np.zeros((paths, self.n_classes + 1, len(CLASS_METRICS))),
            np.zeros((paths, self.cap.shape[1], len(POOL_METRICS))),
        )


@njit(cache=True)
def simulate_path(
    base, target, shock, profile, how0, cap, start, prio, preemptible, reserve,
    stream_class, stream_region, s_ptr, s_pools, edge_stream, pe_ptr, pe_edges, p_region,
    g_class, g_headroom, g_prio, gs_ptr, gs_streams, gp_ptr, gp_pools, n_regions,
    out_cls, out_pool, out_backlog, out_unmet, out_daily,
):  # fmt: skip
    """Simulate one sample path hour by hour; write its KPIs into ``out_cls``/``out_pool``.

    When ``out_backlog`` has rows, the path's hourly class backlog and unmet GPU-hours and its
    daily demand and served GPU-hours are traced into ``out_backlog``/``out_unmet`` (hours,
    classes + 1) and ``out_daily`` (days, classes + 1, 2), over the whole horizon.
    """
    hours, n_pools = cap.shape
    n_streams = base.shape[1]
    overall = out_cls.shape[0] - 1
    n_edges = s_pools.shape[0]
    prev = np.zeros(n_edges)  # allocation of each (stream, pool) edge in the previous hour
    alloc = np.zeros(n_edges)
    backlog = np.zeros(n_streams)
    arrival = np.zeros(n_streams)
    need = np.zeros(n_streams)
    got = np.zeros(n_streams)
    free = np.zeros(n_pools)
    reserved = np.zeros(n_pools)
    pending = np.zeros(n_pools)
    cls_backlog = np.zeros(overall + 1)
    cls_served = np.zeros(overall + 1)
    cls_holds = np.ones(overall + 1, dtype=np.bool_)
    region_backlog = np.zeros(n_regions)
    last_violation = np.full(overall + 1, -1, dtype=np.int64)
    trace = out_backlog.shape[0] > 0
    out_cls[:, :] = 0.0
    out_pool[:, :] = 0.0
    out_pool[:, FIRST_SATURATED] = -1.0

    for t in range(hours):
        day = t // 24
        how = (how0 + t) % _HOURS_PER_WEEK
        for s in range(n_streams):
            arrival[s] = profile[s, how] * (base[day, s] + shock[t] * target[day, s])
            need[s] = backlog[s] + arrival[s]
            got[s] = 0.0
        for p in range(n_pools):
            free[p] = cap[t, p]
            reserved[p] = 0.0
            pending[p] = 0.0
        alloc[:] = 0.0

        # Incumbents: work in flight of a non-preemptible class is never evicted.
        for s in range(n_streams):
            if preemptible[s]:
                continue
            rem = need[s]
            for j in range(s_ptr[s], s_ptr[s + 1]):
                p = s_pools[j]
                keep = min(prev[j], rem, free[p])
                if keep > 0.0:
                    alloc[j] = keep
                    free[p] -= keep
                    rem -= keep
            got[s] = need[s] - rem

        # Fill by priority; a priority level's headroom is reserved once the level is placed,
        # so streams of one class never lock each other out of their own headroom.
        for s in range(n_streams):
            if s > 0 and prio[s] != prio[s - 1]:
                for p in range(n_pools):
                    reserved[p] = min(reserved[p] + pending[p], free[p])
                    pending[p] = 0.0
            rem = need[s] - got[s]
            for j in range(s_ptr[s], s_ptr[s + 1]):
                if rem <= 0.0:
                    break
                p = s_pools[j]
                room = free[p] if preemptible[s] else free[p] - reserved[p]
                if room <= 0.0:
                    continue
                take = min(rem, room)
                alloc[j] += take
                free[p] -= take
                rem -= take
                if reserved[p] > free[p]:
                    reserved[p] = free[p]
            got[s] = need[s] - rem
            if reserve[s] > 0.0:
                for j in range(s_ptr[s], s_ptr[s + 1]):
                    pending[s_pools[j]] += alloc[j] * reserve[s]

        in_window = t >= start
        cls_backlog[:] = 0.0
        cls_served[:] = 0.0
        region_backlog[:] = 0.0
        for s in range(n_streams):
            k = stream_class[s]
            served = got[s]
            if in_window:
                short = arrival[s] - served
                if short > 0.0:
                    out_cls[k, UNMET] += short
                    out_cls[overall, UNMET] += short
                if preemptible[s]:
                    held = 0.0
                    for j in range(s_ptr[s], s_ptr[s + 1]):
                        held += prev[j]
                    evicted = min(held, need[s]) - served
                    if evicted > 0.0:
                        out_cls[k, PREEMPTED] += evicted
                        out_cls[overall, PREEMPTED] += evicted
                out_cls[k, DEMAND] += arrival[s]
                out_cls[overall, DEMAND] += arrival[s]
                out_cls[k, SERVED] += served
                out_cls[overall, SERVED] += served
            if trace:
                short = arrival[s] - served
                if short > 0.0:
                    out_unmet[t, k] += short
                    out_unmet[t, overall] += short
                out_daily[day, k, DAY_DEMAND] += arrival[s]
                out_daily[day, overall, DAY_DEMAND] += arrival[s]
                out_daily[day, k, DAY_SERVED] += served
                out_daily[day, overall, DAY_SERVED] += served
            backlog[s] = max(need[s] - served, 0.0)
            cls_backlog[k] += backlog[s]
            cls_backlog[overall] += backlog[s]
            cls_served[k] += served
            cls_served[overall] += served
            region_backlog[stream_region[s]] += backlog[s]
        if trace:
            for k in range(overall + 1):
                out_backlog[t, k] = cls_backlog[k]

        if in_window:
            cls_holds[:] = True
            for g in range(g_class.shape[0]):
                served_g = 0.0
                backlog_g = 0.0
                for j in range(gs_ptr[g], gs_ptr[g + 1]):
                    served_g += got[gs_streams[j]]
                    backlog_g += backlog[gs_streams[j]]
                spare = 0.0
                for j in range(gp_ptr[g], gp_ptr[g + 1]):
                    p = gp_pools[j]
                    spare += free[p]
                    for i in range(pe_ptr[p], pe_ptr[p + 1]):
                        edge = pe_edges[i]
                        if prio[edge_stream[edge]] > g_prio[g]:
                            spare += alloc[edge]
                limit = (1.0 - g_headroom[g]) * (served_g + spare)
                if backlog_g > _TOL or served_g > limit + _TOL:
                    cls_holds[g_class[g]] = False
            cls_holds[overall] = True
            for k in range(overall):
                if not cls_holds[k]:
                    cls_holds[overall] = False
            for k in range(overall + 1):
                if cls_holds[k]:
                    out_cls[k, HOLD_HOURS] += 1.0
                else:
                    last_violation[k] = t
                if cls_backlog[k] > out_cls[k, PEAK_BACKLOG]:
                    out_cls[k, PEAK_BACKLOG] = cls_backlog[k]
                    out_cls[k, QUEUE_DELAY] = (
                        cls_backlog[k] / cls_served[k] if cls_served[k] > 0.0 else np.inf
                    )
            for p in range(n_pools):
                out_pool[p, USED] += cap[t, p] - free[p]
                if region_backlog[p_region[p]] > _TOL:
                    out_pool[p, STRANDED] += free[p]
                if out_pool[p, FIRST_SATURATED] < 0.0 and cap[t, p] > 0.0 and free[p] <= _TOL:
                    out_pool[p, FIRST_SATURATED] = t - start

        prev, alloc = alloc, prev

    window = hours - start
    for k in range(overall + 1):
        out_cls[k, UNSERVED_END] = cls_backlog[k]
        # The state at the end of hour t is the state at time t + 1: a last violation in hour
        # t means the class is whole again at the end of hour t + 1, i.e. t + 2 - start
        # hours after the shock started.
        if last_violation[k] < 0:
            out_cls[k, ABSORB] = 0.0
        elif last_violation[k] >= hours - 1:
            out_cls[k, ABSORB] = window
            out_cls[k, CENSORED] = 1.0
        else:
            out_cls[k, ABSORB] = min(last_violation[k] + 2 - start, window)


@njit(parallel=True, cache=True)
def _simulate_paths(
    base, target, shock, profile, how0, cap, start, prio, preemptible, reserve,
    stream_class, stream_region, s_ptr, s_pools, edge_stream, pe_ptr, pe_edges, p_region,
    g_class, g_headroom, g_prio, gs_ptr, gs_streams, gp_ptr, gp_pools, n_regions,
    out_cls, out_pool, out_backlog, out_unmet, out_daily,
):  # fmt: skip
    for n in prange(base.shape[0]):
        simulate_path(
            base[n], target[n], shock, profile, how0, cap, start, prio, preemptible, reserve,
            stream_class, stream_region, s_ptr, s_pools, edge_stream, pe_ptr, pe_edges, p_region,
            g_class, g_headroom, g_prio, gs_ptr, gs_streams, gp_ptr, gp_pools, n_regions,
            out_cls[n], out_pool[n], out_backlog[:, :, n], out_unmet[:, :, n], out_daily[n],
        )  # fmt: skip


def _run(inputs: KernelInputs, out: KernelOutputs, *, compiled: bool) -> KernelOutputs:
    """Fill ``out`` with the compiled kernel (paths in parallel) or the uncompiled step."""
    if compiled:
        kernel = cast(Callable[..., None], _simulate_paths)
        kernel(inputs.base, inputs.target, *inputs.arguments(), *out)
        return out
    step = cast(Callable[..., None], simulate_path.py_func)
    for n in range(inputs.base.shape[0]):
        step(
            inputs.base[n], inputs.target[n], *inputs.arguments(), out.per_class[n],
            out.per_pool[n], out.backlog[:, :, n], out.unmet[:, :, n], out.daily[n],
        )  # fmt: skip
    return out


def simulate_kernel(inputs: KernelInputs) -> tuple[np.ndarray, np.ndarray]:
    """Per-path class and pool outputs from the compiled kernel, paths in parallel."""
    out = _run(inputs, inputs.allocate(traced=False), compiled=True)
    return out.per_class, out.per_pool


def simulate_reference(inputs: KernelInputs) -> tuple[np.ndarray, np.ndarray]:
    """The same outputs from the uncompiled step function, one path after another."""
    out = _run(inputs, inputs.allocate(traced=False), compiled=False)
    return out.per_class, out.per_pool


def simulate_traced(inputs: KernelInputs, *, compiled: bool = True) -> KernelOutputs:
    """The per-path outputs plus hourly backlog and unmet, daily demand and served, per class.

    ``compiled=False`` runs the uncompiled step function (as :func:`simulate_reference`).
    """
    return _run(inputs, inputs.allocate(traced=True), compiled=compiled)
