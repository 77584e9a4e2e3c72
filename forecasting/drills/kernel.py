"""The hourly capacity-sharing simulation: one per-path step function, run two ways.

:func:`simulate_path` is written once, in plain Python over numpy arrays. The numba kernel
compiles it and runs paths in parallel (``prange``); :func:`simulate_reference` runs the very
same function uncompiled, path after path, hour after hour. Tests cross-check the two and the
benchmark times them against each other, so the kernel's speed never comes from a different
algorithm. Hours cannot be vectorised (each hour's backlog and running allocation feed the
next), so the parallelism is over sample paths. Within an hour the step does only work that
can change a figure: it walks the pools with GPUs in service and the edges inside their
window (lists rebuilt in the few hours that set changes, e.g. a rung switching on), stops a
stream's loops at the last edge it holds GPUs on, and closes a priority level's headroom
only on the pools it reserved on.

Demand is a *level*: GPUs running plus GPUs queued in each hour (DOMAIN.md, "Demand as a
level, demand as work"). A stream's level this hour is ``factor * base[day]`` plus the shock's
extra ``factor * shock[t] * target[day]`` (a negative shock lowers the base), ``factor`` being
the hour's in the day shape the path drew for that day in the stream's (region, class)
(``shapes[day_shape[day, sg], hour, sg]``, ``sg = shape_group[s]``, one of history's own days;
profile.py).
What a shortfall means depends on the class's ``demand`` kind:

- *interactive* (inference): the need is the level itself, re-placed every hour. The part not
  served is lost that hour: it is unmet (an SLO miss, revenue at risk) and is never served
  later, so an interactive stream has no backlog.
- *deferrable* (the others): the level is a stock of jobs, running or queued, and running jobs
  end at ``turnover = 1 / mean_job_hours`` of their GPUs per hour. The stock has two FIFO parts.
  The *base* part tracks the forecast level: each hour new work arrives to top the stock
  (running jobs that go on + queued) up to the level, ``arrivals = max(level - stock, 0)``.
  With enough capacity this is ``level(t) - level(t-1) + completions(t)``, completions being
  ``running(t-1) * turnover``; when the fleet is short the queued GPUs already inside the
  level are not new work, so a history with a steady queue Q at capacity equal to its served
  level replays with the backlog held at Q (the queue is counted once). A level that falls
  below the stock is work still to finish, not work withdrawn. The *shock* part is new work:
  ``arrivals = max(extra(t) - (1 - turnover) * extra(t-1), 0)``, what would arrive if the extra
  level ran unhindered, and it queues until it runs, so a shock above capacity builds a
  backlog that drains at the spare rate (with one-hour jobs, demand d on capacity c for T
  hours queues exactly (d - c) T and drains in (d - c) T / (c - b) hours at base load b).
  Work costs only when it waits too long. Each hour, the queued GPUs that entered their
  queue more than ``max_wait`` hours ago (FIFO: the oldest part of the queue) are *overdue*;
  their sum over the window is the waiting area (``UNMET`` for a deferrable class, reported
  as ``overdue_queue_gpu_hour_area``). Unmet GPU-hours, which revenue at risk prices, count
  the two parts differently (``DEFERRED_UNMET``, plus the work still queued within tolerance
  at the end, kpis.py): the base part's overdue GPUs hour by hour, like the interactive level
  lost hour by hour (its stock is the level, so this is at most the level's GPU-hours); the
  shock part's work once, when it goes late (each queued GPU a job of ``mean_job_hours``
  GPU-hours), because a shock's queue can grow for months and the hours it waits would
  outgrow the demand. All late work, counted once, is ``LATE_WORK``, but that is not unmet:
  with level-tracking arrivals a class starved of GPUs receives new work only as fast as its
  jobs end, so its late work shrinks as its capacity does.

Rules of one hour (streams are processed in priority order, ties by class, customer-level
streams before the rest of their class):

1. Need. Interactive: the level. Deferrable: the stock, i.e. running jobs that go on, the
   queue, and this hour's arrivals of both parts.
2. Incumbents. Streams of non-preemptible classes first keep what they ran in the previous
   hour, less the jobs that ended (``turnover``), up to their need: a job in flight is not
   evicted, whatever its tier, but ended jobs free their GPUs, which is how a higher tier
   gets GPUs without preempting anybody.
3. Fill. In priority order each stream takes free capacity from its pools in preference order
   (dedicated pools first, then pools open to the fewest classes, so flexible capacity is
   left for demand that has nowhere else to go). Preemptible streams come last in priority
   in practice and take whatever is left; anything they held last hour and no longer get
   was taken by a higher tier and counts as preempted.
4. Headroom. When every stream of one priority level is placed, ``served * h / (1 - h)``
   GPUs on each pool it uses are reserved as that class's headroom: later non-preemptible
   streams cannot take them, preemptible ones can (they would be evicted on a burst).
5. Queues. A deferrable stream's GPUs go to its running jobs first, then to the base part's
   waiting work, then to the shock's; what is not placed stays queued. Queue delay is
   ``backlog / starts per hour`` (Little's law).

Headroom policy of class k in a region holds in an hour when nothing is overdue (no unmet
interactive level, no deferrable work queued longer than ``max_wait``) and
``served <= (1 - headroom) * (served + spare)``, where ``spare`` is capacity on the class's
eligible pools that it could take at once: idle GPUs plus GPUs held by preemptible classes of
lower priority. A class holds when it holds in every region; "overall" holds when every
class does.

Time to absorb. A shocked run may read the *reference* its baseline (the same paths without
the shock) recorded: each hour's class backlog where the class held, -1 where it failed. A
class is behind in an hour of the window when the baseline held then and the shocked run
does not hold or queues more than the baseline's backlog (by over 1 % plus one GPU); hours in
which the baseline fails too are the plan's failures, not the shock's. Time to absorb is
from the shock start to the end of the hour after the last hour behind; censored (flagged,
not a measurement) when the class is still behind in the last hour it can be judged: the
horizon's last hour, or the last hour before the baseline fails for good (after that no hour
can show it whole again). Without a reference it falls back to the headroom policy alone.

The response ladder. The ladder is *called* on a path in the first hour of the window some
class fails its policy or is behind its reference (the same hour in a ladder run and its
unshocked twin when the shock changes nothing). A rung's GPUs are a pool last in
every stream's preference that serves nothing until ``p_rung_delay`` hours after that (at the
earliest the next hour); migration's GPUs serve their source pools (``restore``) until it
acts (see :func:`~forecasting.drills.inputs.supply_side`). ``FIRST_USED`` of a rung's pool
says when it was first used; a drill the plan absorbs alone never switches a rung on.
Failover gives a stream of a dark region edges to other regions' pools, open only between
``e_from`` (the loss plus the class's failover delay) and ``e_until`` (the region back);
``DARK_DEMAND`` and ``FAILED_OVER`` sum what such streams wanted and got there.
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
    "simulate_outputs",
    "simulate_path",
    "simulate_reference",
    "simulate_traced",
]

# Per-class outputs of one path (index C is "overall"); sums run over the drill window only.
# UNMET is GPU-hours lost (interactive) or, deferrable, the hourly sum of GPUs queued past
# max_wait (a waiting area); kpis.py reports the two under their own names and prices work.
UNMET = 0
UNSERVED_END = 1  # queued at the horizon end, GPUs (one hour of queued work each)
PEAK_BACKLOG = 2  # highest end-of-hour backlog, queued GPUs (GPU-hours per hour queued)
QUEUE_DELAY = 3  # backlog / starts per hour in the peak-backlog hour (Little's law), hours;
# inf (censored) when that is longer than the hours left in the window
HOLD_HOURS = 4  # hours in which the headroom policy held
ABSORB = 5  # hours from shock start until the policy holds for good (censored: window length;
# NaN: never judged, the reference failed in every hour)
CENSORED = 6  # 1.0 when behind within confirm_hours of the last hour it could be judged
PREEMPTED = 7  # GPU-hours evicted from preemptible streams by higher tiers
# GPU-hours of demand level (running + queued wanted, shock included); for a deferrable stream
# its base part is the stock of work (the level, or more while work from a higher level is
# still running), so served never exceeds it.
DEMAND = 8
SERVED = 9  # GPU-hours served
LATE_WORK = 10  # GPU-hours of deferrable work that went overdue, counted once (GPUs x job)
WAITING_END = 11  # GPU-hours of deferrable work queued at the end and not yet overdue
DARK_DEMAND = 12  # GPU-hours of demand level of streams whose region was dark (region loss)
FAILED_OVER = 13  # of it, GPU-hours served on failover edges in another region
# Deferrable unmet, GPU-hours: the base part's overdue GPUs, hour by hour (its stock is the
# level, so at most the level's GPU-hours), plus the shock's work that went late, once (it is
# new work, and its queue can grow without bound, so hours waited would outgrow the demand).
DEFERRED_UNMET = 14
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
    "late_work_gpu_hours",
    "waiting_at_end_gpu_hours",
    "dark_demand_gpu_hours",
    "failed_over_gpu_hours",
    "deferred_unmet_gpu_hours",
)

USED = 0  # GPU-hours in use on the pool
STRANDED = 1  # idle GPU-hours while demand in the same region waited in a backlog
FIRST_SATURATED = 2  # hours from shock start to the first full hour; -1 if never full
FIRST_USED = 3  # hours from shock start to the first hour with a GPU in use; -1 if never
POOL_METRICS = ("used_gpu_hours", "stranded_gpu_hours", "first_saturated_hour", "first_used_hour")

# Daily traces per class: GPU-hours of demand level and GPU-hours served.
DAY_DEMAND = 0
DAY_SERVED = 1

# GPUs; far below any real allocation, far above float rounding at fleet scale.
_TOL = 1e-6
# Whole again counts only when it held this long before the last hour that could judge it (a
# day: the next daily peak passed too): a block lost for good read "absorbed in 4,365 h" in a
# 4,368 h window, whole in its last three hours only, a number that looked measured.
CONFIRM_HOURS = 24
# While the shock still acts in the window's last week (a step, a ramp, a lost block), a day is
# not enough: a permanent loss read "absorbed" two days before the horizon's end, its last
# violation on a Friday and the weekend's lull taken for recovery. A week holds a weekly peak.
CONFIRM_WEEK_HOURS = 7 * 24
# A backlog is a new peak only when it rises by more than float rounding: on a plateau the
# peak hour (whose starts divide the queue delay) was whichever hour the last bit of the
# telemetry's sums favoured, and a rerun on the same inputs moved a P90 delay by 2 %.
_PEAK_RISE = 1.0 + 1e-9
# Backlog "back to the unshocked one": within 1 % of it plus one GPU (level-tracking arrivals
# leave a shocked queue a hair above the unshocked one for as long as its jobs run).
_REF_SHARE = 1.01
_REF_GPUS = 1.0
# Hot loops index with unsigned integers where they can: numba wraps a negative signed index
# around (Python semantics) at every access, and an unsigned one cannot be negative.
_ONE = np.uint64(1)
# The step keeps each stream's and each pool's figures as a row of one table (a stream's
# figures side by side) rather than one array per figure: the compiled loops then hold one
# base address where they held twenty, worth a tenth of the kernel's time. Stream columns:
# the demand level this hour, what the stream needs and got; deferrable work's two FIFO parts
# (_B base, _X shock): GPUs running, queued, the stock (running on + queued + arrived), GPUs
# arrived this hour, cumulative GPUs entered the queue; the shock's extra level last hour;
# and the stream's fixed turnover, the share of running GPUs kept an hour (1 - turnover),
# and headroom reserve; the GPUs the shock's work would hold had it run unhindered (its
# demand: the extra level, or more while its jobs outlast a falling level).
_LEVEL, _NEED, _GOT = 0, 1, 2
_RUN_B, _RUN_X, _QUEUE_B, _QUEUE_X, _STOCK_B, _STOCK_X = 3, 4, 5, 6, 7, 8
_ARRIVED_B, _ARRIVED_X, _ENTERED_B, _ENTERED_X, _SHOCK_LEVEL = 9, 10, 11, 12, 13
_TURNOVER, _KEEP, _RESERVE = 14, 15, 16
_SHOCK_WORK = 17
_STREAM_COLUMNS = 18
# Pool columns: GPUs free, reserved as headroom, held by preemptible streams, pending headroom
# of the priority level being placed, and GPUs in service this hour.
_FREE, _RESERVED, _PE_HELD, _PENDING, _AVAIL = 0, 1, 2, 3, 4
_POOL_COLUMNS = 5
# An open edge's row: the edge, its pool. A ring slot's pair: the base part, the shock part.
_EDGE, _POOL = 0, 1
_BASE, _SHOCK = 0, 1


class KernelOutputs(NamedTuple):
    """What the kernel writes; the trace arrays are empty unless tracing was asked for.

    The hourly traces keep paths on the last axis, so quantiles over paths read contiguous
    memory (the largest arrays: 1,000 paths x 4,368 hours x 6 classes is 105 MB each).
    """

    per_class: np.ndarray  # (paths, classes + 1, CLASS_METRICS); index ``classes`` is overall
    per_pool: np.ndarray  # (paths, pools, POOL_METRICS)
    per_group: np.ndarray  # (paths, groups) hours the (region, class) group's policy held
    backlog: np.ndarray  # (hours, classes + 1, paths) float32 end-of-hour backlog, GPU-hours
    unmet: np.ndarray  # (hours, classes + 1, paths) float32 GPU-hours lost or overdue
    daily: np.ndarray  # (paths, days, classes + 1, 2) GPU-hours: DAY_DEMAND, DAY_SERVED
    # (paths, hours, classes + 1) float32 backlog in hours the class held, -1 where it failed:
    # the unshocked reference for a shocked run's time to absorb (no hours unless recorded)
    ref: np.ndarray


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
    day_shape: np.ndarray  # (paths, days, shape groups) int64 entry of ``shapes`` drawn
    shock: np.ndarray  # (hours,) multiplier - 1
    shapes: np.ndarray  # (library days, 24, shape groups) hourly factor, mean 1 each day
    shape_group: np.ndarray  # (streams,) int64 column of ``day_shape``: the (region, class)
    cap: np.ndarray  # (hours, pools) GPUs in service
    start: int  # first hour of the drill window (the shock start)
    prio: np.ndarray  # (streams,) int64 class priority, non-decreasing
    preemptible: np.ndarray  # (streams,) bool
    reserve: np.ndarray  # (streams,) headroom / (1 - headroom)
    interactive: np.ndarray  # (streams,) bool: unserved level is lost, not queued
    turnover: np.ndarray  # (streams,) share of running GPUs whose jobs end each hour
    max_wait: np.ndarray  # (streams,) int64 hours deferrable work may queue, not overdue
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
    gp_from: np.ndarray  # (group pools,) int64 first hour the pool counts for its headroom
    gp_until: np.ndarray  # (group pools,) int64 first hour it no longer does (failover)
    e_from: np.ndarray  # (edges,) int64 first hour the edge may carry GPUs (0: always)
    e_until: np.ndarray  # (edges,) int64 first hour it may not (hours: never closes)
    e_failover: np.ndarray  # (edges,) bool: an edge to another region's pool (failover)
    s_dark_from: np.ndarray  # (streams,) int64 first hour the stream's region is dark
    s_dark_until: np.ndarray  # (streams,) int64 first hour it is lit again (both 0: never)
    p_rung_delay: np.ndarray  # (pools,) int64 hours after the shock is seen; -1: a plan pool
    restore: np.ndarray  # (hours, pools) GPUs migration takes out of a pool once it acts
    restore_delay: int  # migration's delay after the shock is seen; -1: no migration
    confirm_hours: int  # hours whole again must hold before the last judged hour (see above)
    n_classes: int
    n_regions: int

    def arguments(self) -> tuple[object, ...]:
        """Everything but the per-path arrays, in :func:`simulate_path`'s order."""
        return (
            self.shock, self.shapes, self.shape_group, self.cap, self.start, self.prio,
            self.preemptible, self.reserve, self.interactive, self.turnover, self.max_wait,
            self.stream_class, self.stream_region,
            self.s_ptr, self.s_pools, self.edge_stream, self.pe_ptr, self.pe_edges, self.p_region,
            self.g_class, self.g_headroom, self.g_prio, self.gs_ptr, self.gs_streams,
            self.gp_ptr, self.gp_pools, self.gp_from, self.gp_until,
            self.e_from, self.e_until, self.e_failover,
            self.s_dark_from, self.s_dark_until, self.p_rung_delay, self.restore,
            self.restore_delay, self.confirm_hours,
        )  # fmt: skip

    def allocate(self, *, traced: bool, record: bool = False) -> KernelOutputs:
        """Zeroed outputs; without ``traced`` the trace arrays have no hours or days, without
        ``record`` the reference array has no hours."""
        out_cls, out_pool = self.outputs()
        paths, days = self.base.shape[0], self.base.shape[1]
        hours = self.cap.shape[0] if traced else 0
        classes = self.n_classes + 1
        return KernelOutputs(
            per_class=out_cls,
            per_pool=out_pool,
            per_group=np.zeros((paths, self.g_class.shape[0])),
            backlog=np.zeros((hours, classes, paths), dtype=np.float32),
            unmet=np.zeros((hours, classes, paths), dtype=np.float32),
            daily=np.zeros((paths, days if traced else 0, classes, 2)),
            ref=np.zeros((paths, self.cap.shape[0] if record else 0, classes), dtype=np.float32),
        )

    def no_reference(self) -> np.ndarray:
        """A ``ref`` with no hours: time to absorb compares with nothing."""
        return np.zeros((self.base.shape[0], 0, self.n_classes + 1), dtype=np.float32)

    def outputs(self) -> tuple[np.ndarray, np.ndarray]:
        """Zeroed per-path output arrays: (paths, classes + 1, metrics), (paths, pools, 3)."""
        paths = self.base.shape[0]
        return (
            np.zeros((paths, self.n_classes + 1, len(CLASS_METRICS))),
            np.zeros((paths, self.cap.shape[1], len(POOL_METRICS))),
        )


# error_model="numpy": no zero-division check on each division (every divisor here is guarded
# or a validated positive rate), worth 2 % of the kernel.
@njit(cache=True, error_model="numpy")
def simulate_path(
    base, target, day_shape, shock, shapes, shape_group, cap, start, prio, preemptible, reserve,
    interactive, turnover, max_wait, stream_class, stream_region, s_ptr, s_pools, edge_stream,
    pe_ptr,
    pe_edges, p_region, g_class, g_headroom, g_prio, gs_ptr, gs_streams, gp_ptr, gp_pools,
    gp_from, gp_until, e_from, e_until, e_failover, s_dark_from, s_dark_until, p_rung_delay,
    restore,
    restore_delay, confirm_hours, ref, n_regions, out_cls, out_pool, out_group, out_backlog,
    out_unmet, out_daily, out_ref,
):  # fmt: skip
    """Simulate one sample path hour by hour; write its KPIs into ``out_cls``/``out_pool``.

    When ``out_backlog`` has rows, the path's hourly class backlog and unmet GPU-hours and its
    daily demand and served GPU-hours are traced into ``out_backlog``/``out_unmet`` (hours,
    classes + 1) and ``out_daily`` (days, classes + 1, 2), over the whole horizon. When
    ``out_ref`` has rows, each hour's class backlog is written there if the class's headroom
    held that hour and -1 if it did not: the reference a shocked run of the same path reads as
    ``ref`` (see "Time to absorb" in the module docstring); ``ref`` without rows compares with
    nothing.
    """
    hours, n_pools = cap.shape
    n_streams = base.shape[1]
    overall = out_cls.shape[0] - 1
    n_edges = s_pools.shape[0]
    prev = np.zeros(n_edges)  # allocation of each (stream, pool) edge in the previous hour
    alloc = np.zeros(n_edges)
    # What each preemptible stream held, this hour and last: the sum of its takes in edge
    # order, i.e. the sum of its allocations, kept so an eviction needs no pass over its edges.
    held_now = np.zeros(n_streams)
    held_last = np.zeros(n_streams)
    # Streams the shock never reaches keep their shock part empty; skip its bookkeeping.
    shocked = np.zeros(n_streams, dtype=np.bool_)
    if np.any(shock != 0.0):
        for day in range(target.shape[0]):
            for s in range(n_streams):
                if target[day, s] != 0.0:
                    shocked[s] = True
    # Each stream's figures, one row a stream (columns _LEVEL.._RESERVE above); deferrable
    # work is in two FIFO parts, base (older, placed first) and shock.
    stream = np.zeros((n_streams, _STREAM_COLUMNS))
    for s in range(n_streams):
        stream[s, _TURNOVER] = turnover[s]
        stream[s, _KEEP] = 1.0 - turnover[s]
        stream[s, _RESERVE] = reserve[s]
    wait = np.zeros(n_streams, dtype=np.int64)
    ring = 2
    for s in range(n_streams):
        wait[s] = min(max_wait[s], hours)
        ring = max(ring, wait[s] + 2)
    # Slot t % ring: the cumulative GPUs that entered each part's queue up to hour t.
    rings = np.zeros((ring, n_streams, 2))
    pool = np.zeros((n_pools, _POOL_COLUMNS))  # each pool's figures (columns _FREE.._AVAIL)
    seen = -1  # hour the shock was first seen on this path
    # Preemptible GPUs on each pool, and the best (lowest) priority among their streams: a
    # class ranked above all of them can count every one as spare without a per-edge loop.
    pe_low = np.full(n_pools, np.iinfo(np.int64).max, dtype=np.int64)
    for p in range(n_pools):
        for i in range(pe_ptr[p], pe_ptr[p + 1]):
            pe_low[p] = min(pe_low[p], prio[edge_stream[pe_edges[i]]])
    # What a group's pool adds to its spare besides idle GPUs, fixed for the run: every
    # preemptible GPU on it (1), those of lower-priority streams only (2), or none (0).
    gp_mode = np.zeros(gp_pools.shape[0], dtype=np.int64)
    for g in range(g_class.shape[0]):
        for j in range(gp_ptr[g], gp_ptr[g + 1]):
            p = gp_pools[j]
            if pe_low[p] > g_prio[g]:
                gp_mode[j] = 1
                continue
            for i in range(pe_ptr[p], pe_ptr[p + 1]):
                if prio[edge_stream[pe_edges[i]]] > g_prio[g]:
                    gp_mode[j] = 2
    # Pools given pending headroom by the priority level being placed: only they change
    # when the level closes (reserved never exceeds free, so the others keep theirs).
    pend_pools = np.zeros(n_pools, dtype=np.uint64)
    pend_marked = np.zeros(n_pools, dtype=np.bool_)
    n_pend = np.uint64(0)
    # Pools with GPUs in service and edges inside their window, the only ones that can carry
    # GPUs. Rungs not acting yet, blocks not delivered or dark, failover edges not open: the
    # hot loops walk compact lists of the rest, rebuilt only in hours the set changes.
    live = np.zeros(n_pools, dtype=np.bool_)
    live_pools = np.zeros(n_pools, dtype=np.uint64)
    n_live = 0
    # Open edges of stream s, [first[s], open_end[s]): the edge and its pool, side by side.
    opened = np.zeros((n_edges, 2), dtype=np.uint64)
    open_end = np.zeros(n_streams, dtype=np.uint64)
    first = s_ptr[:n_streams].astype(np.uint64)
    n_groups = g_class.shape[0]
    # Live pools of group g, [gp_ptr[g], live_gp_end[g]), and what they add to its spare.
    live_gp = np.zeros(gp_pools.shape[0], dtype=np.uint64)
    live_gp_mode = np.zeros(gp_pools.shape[0], dtype=np.int64)
    live_gp_end = np.zeros(n_groups, dtype=np.int64)
    next_change = 0  # first hour the open edges may differ from the lists' (0: build them)
    # One past the last edge each stream ran on, last hour and this one: every edge after it
    # holds nothing, so loops over held GPUs stop there.
    prev_end = first.copy()
    used_end = first.copy()
    # Served and overdue per (region, class) group, summed in stream order as the groups
    # list their streams (a stream in no group adds to a last slot nobody reads).
    group_of = np.full(n_streams, n_groups, dtype=np.uint64)
    for g in range(n_groups):
        for j in range(gs_ptr[g], gs_ptr[g + 1]):
            group_of[gs_streams[j]] = g
    served_g = np.zeros(n_groups + 1)
    overdue_g = np.zeros(n_groups + 1)
    class_of = stream_class.astype(np.uint64)
    region_of = stream_region.astype(np.uint64)
    cls_backlog = np.zeros(overall + 1)
    cls_served = np.zeros(overall + 1)
    cls_started = np.zeros(overall + 1)
    cls_overdue = np.zeros(overall + 1)
    cls_level = np.zeros(overall + 1)
    cls_evicted = np.zeros(overall + 1)
    cls_late = np.zeros(overall + 1)
    cls_deferred = np.zeros(overall + 1)
    cls_holds = np.ones(overall + 1, dtype=np.bool_)
    region_backlog = np.zeros(n_regions)
    last_violation = np.full(overall + 1, -1, dtype=np.int64)
    # The last hour each class could be judged: every hour without a reference, else the hours
    # the unshocked run held (overall: any class did). Behind in that hour is never whole.
    last_judged = np.full(overall + 1, -1 if ref.shape[0] > 0 else hours - 1, dtype=np.int64)
    dark_end = 0  # no stream is dark from this hour on
    for s in range(n_streams):
        if s_dark_until[s] > s_dark_from[s]:
            dark_end = max(dark_end, s_dark_until[s])
    trace = out_backlog.shape[0] > 0
    record = out_ref.shape[0] > 0
    compare = ref.shape[0] > 0
    out_cls[:, :] = 0.0
    out_group[:] = 0.0
    # Pool KPIs, kept in flat arrays while the hours run and written out at the end.
    pool_used = np.zeros(n_pools)
    pool_stranded = np.zeros(n_pools)
    first_used = np.full(n_pools, -1, dtype=np.int64)
    first_full = np.full(n_pools, -1, dtype=np.int64)

    for t in range(hours):
        day = t // 24
        drawn = day_shape[day]
        hour = t - day * 24
        changed = t == next_change
        short_pool = False  # some pool has fewer GPUs than none (see the headroom test)
        for p in range(n_pools):
            # A rung's pool serves once the rung acts: its delay after the shock was seen on
            # this path (at the earliest the next hour); until migration acts, the GPUs it
            # would move still serve their own pool.
            gpus = cap[t, p]
            if p_rung_delay[p] >= 0 and (seen < 0 or t < seen + max(p_rung_delay[p], 1)):
                gpus = 0.0
            if restore_delay >= 0 and (seen < 0 or t < seen + max(restore_delay, 1)):
                gpus += restore[t, p]
            pool[p, _AVAIL] = gpus
            pool[p, _FREE] = gpus
            if gpus < 0.0:
                short_pool = True
            # Reserved never exceeds free; a pool without GPUs (none, or fewer than none)
            # reserves what it has, which leaves every stream the same room (none).
            pool[p, _RESERVED] = min(gpus, 0.0)
            pool[p, _PE_HELD] = 0.0
            if live[p] != (gpus != 0.0):
                live[p] = gpus != 0.0
                changed = True
        if changed:
            # A pool without GPUs gives none and takes back none, and an edge outside its
            # window is skipped: leaving both out of the lists changes no figure.
            next_change = hours
            for s in range(n_streams):
                end = s_ptr[s]
                for j in range(s_ptr[s], s_ptr[s + 1]):
                    if e_from[j] > t:
                        next_change = min(next_change, e_from[j])
                    elif e_until[j] > t:
                        next_change = min(next_change, e_until[j])
                    if live[s_pools[j]] and e_from[j] <= t < e_until[j]:
                        opened[end, _EDGE] = j
                        opened[end, _POOL] = s_pools[j]
                        end += 1
                open_end[s] = end
            n_live = 0
            for p in range(n_pools):
                if live[p]:
                    live_pools[n_live] = p
                    n_live += 1
            for g in range(n_groups):
                end = gp_ptr[g]
                for j in range(gp_ptr[g], gp_ptr[g + 1]):
                    # A failed-over group's headroom is on the pools it runs in while its
                    # failover is open (the dark region's own have no GPUs to hold it).
                    if gp_from[j] > t:
                        next_change = min(next_change, gp_from[j])
                    elif gp_until[j] > t:
                        next_change = min(next_change, gp_until[j])
                    if live[gp_pools[j]] and gp_from[j] <= t < gp_until[j]:
                        live_gp[end] = gp_pools[j]
                        live_gp_mode[end] = gp_mode[j]
                        end += 1
                live_gp_end[g] = end
        alloc[:] = 0.0

        for s in range(n_streams):
            # A negative shock lowers the base level; a positive one is extra demand.
            sg = shape_group[s]  # the stream's (region, class) in the day shapes
            factor = shapes[drawn[sg], hour, sg]
            base_level = factor * base[day, s]
            extra = 0.0
            if shocked[s]:
                extra = factor * shock[t] * target[day, s]
                if extra < 0.0:
                    base_level = max(base_level + extra, 0.0)
                    extra = 0.0
            stream[s, _LEVEL] = base_level + extra
            stream[s, _GOT] = 0.0
            used_end[s] = first[s]
            keep = stream[s, _KEEP]
            if interactive[s]:
                stream[s, _NEED] = stream[s, _LEVEL]
            else:
                # Base work tracks the forecast level: arrivals top the stock (running on +
                # queued) up to the level, and a level below the stock is work still to
                # finish, not gone.
                stock = stream[s, _RUN_B] * keep + stream[s, _QUEUE_B]
                stream[s, _ARRIVED_B] = max(base_level - stock, 0.0)
                stream[s, _STOCK_B] = stock + stream[s, _ARRIVED_B]
                stream[s, _NEED] = stream[s, _STOCK_B]
                # Demand counts that stock, not the level: when the level falls below work
                # still in flight, that work runs on, and counting only the level read more
                # GPU-hours served than demanded. The shock's part likewise (set below).
                stream[s, _LEVEL] = stream[s, _STOCK_B]
                if shocked[s]:
                    # Shock work is new work: what would arrive if the extra level ran
                    # unhindered.
                    stream[s, _ARRIVED_X] = max(extra - keep * stream[s, _SHOCK_LEVEL], 0.0)
                    stream[s, _SHOCK_LEVEL] = extra
                    stream[s, _SHOCK_WORK] = stream[s, _SHOCK_WORK] * keep + stream[s, _ARRIVED_X]
                    stream[s, _LEVEL] += stream[s, _SHOCK_WORK]
                    stream[s, _STOCK_X] = (
                        stream[s, _RUN_X] * keep + stream[s, _QUEUE_X] + stream[s, _ARRIVED_X]
                    )
                    stream[s, _NEED] += stream[s, _STOCK_X]
            # Incumbents: work in flight of a non-preemptible class is never evicted; the jobs
            # of deferrable classes that end this hour hand their GPUs back to the fill. They
            # read only this stream's need and what earlier streams kept, so they run here.
            if preemptible[s]:
                continue
            rem = stream[s, _NEED]
            for i in range(first[s], open_end[s]):
                j = opened[i, _EDGE]
                if j >= prev_end[s]:
                    break
                # Most edges ran nothing last hour: skip them before touching their pool.
                if prev[j] <= 0.0:
                    continue
                if rem <= 0.0:
                    break
                p = opened[i, _POOL]
                # Branch-free: an edge that keeps nothing (a pool with no free GPUs) writes a
                # zero, which changes no figure, and counting it as held only lengthens a loop.
                kept = max(min(prev[j] * keep, rem, pool[p, _FREE]), 0.0)
                alloc[j] = kept
                pool[p, _FREE] -= kept
                rem -= kept
                used_end[s] = j + _ONE
            stream[s, _GOT] = stream[s, _NEED] - rem

        # Fill by priority; a priority level's headroom is reserved once the level is placed,
        # so streams of one class never lock each other out of their own headroom.
        for s in range(n_streams):
            if s > 0 and prio[s] != prio[s - 1]:
                for i in range(n_pend):
                    p = pend_pools[i]
                    pool[p, _RESERVED] = min(pool[p, _RESERVED] + pool[p, _PENDING], pool[p, _FREE])
                    pool[p, _PENDING] = 0.0
                    pend_marked[p] = False
                n_pend = np.uint64(0)
            rem = stream[s, _NEED] - stream[s, _GOT]
            evictable = preemptible[s]
            share = stream[s, _RESERVE]
            took = 0.0
            for i in range(first[s], open_end[s]):
                j = opened[i, _EDGE]
                if rem <= 0.0:
                    # Nothing left to place; a stream with headroom still walks the edges its
                    # incumbents hold to reserve on their pools.
                    if share <= 0.0 or j >= used_end[s]:
                        break
                else:
                    p = opened[i, _POOL]
                    room = pool[p, _FREE] if evictable else pool[p, _FREE] - pool[p, _RESERVED]
                    if room > 0.0:
                        take = min(rem, room)
                        alloc[j] += take
                        pool[p, _FREE] -= take
                        rem -= take
                        pool[p, _RESERVED] = min(pool[p, _RESERVED], pool[p, _FREE])
                        if evictable:
                            # Preemptible streams keep nothing from last hour: this is all
                            # they hold.
                            pool[p, _PE_HELD] += take
                            took += take
                        used_end[s] = max(used_end[s], j + _ONE)
                if share > 0.0 and alloc[j] > 0.0:
                    p = opened[i, _POOL]
                    if not pend_marked[p]:
                        pend_marked[p] = True
                        pend_pools[n_pend] = p
                        n_pend += _ONE
                    pool[p, _PENDING] += alloc[j] * share
            stream[s, _GOT] = stream[s, _NEED] - rem
            held_now[s] = took
        # The last level's headroom binds nobody placed after it this hour.
        for i in range(n_pend):
            pool[pend_pools[i], _PENDING] = 0.0
            pend_marked[pend_pools[i]] = False
        n_pend = np.uint64(0)

        # Queues and KPIs. Base work runs first (it is older), FIFO within each part. A part's
        # queue balance gives what entered it (arrivals, plus running work pushed back when
        # capacity left) and what left it (started); what entered up to hour t - w and has not
        # started by the end of hour t is overdue. Sums go per class, then to "overall".
        in_window = t >= start
        slot = t % ring
        cls_backlog[:] = 0.0
        cls_served[:] = 0.0
        cls_started[:] = 0.0
        cls_overdue[:] = 0.0
        cls_level[:] = 0.0
        cls_evicted[:] = 0.0
        cls_late[:] = 0.0
        cls_deferred[:] = 0.0
        region_backlog[:] = 0.0
        served_g[:] = 0.0
        overdue_g[:] = 0.0
        for s in range(n_streams):
            k = class_of[s]
            served = stream[s, _GOT]
            if interactive[s]:
                lost = max(stream[s, _NEED] - served, 0.0)
                lapsed = lost
                region_backlog[region_of[s]] += lost
            elif (
                stream[s, _QUEUE_B] == 0.0
                and stream[s, _QUEUE_X] == 0.0
                and served >= stream[s, _STOCK_B] + stream[s, _STOCK_X]
            ):
                # Everything ran and nothing waited: all arrivals started, nothing is overdue.
                if shocked[s]:
                    keep = stream[s, _KEEP]
                    on_b = stream[s, _RUN_B] * keep
                    rb = min(on_b + served - (on_b + stream[s, _RUN_X] * keep), stream[s, _STOCK_B])
                    stream[s, _RUN_B] = rb
                    stream[s, _RUN_X] = served - rb
                    stream[s, _ENTERED_X] += stream[s, _ARRIVED_X]
                    rings[slot, s, _SHOCK] = stream[s, _ENTERED_X]
                    cls_started[k] += stream[s, _ARRIVED_X]
                else:
                    stream[s, _RUN_B] = served
                stream[s, _ENTERED_B] += stream[s, _ARRIVED_B]
                rings[slot, s, _BASE] = stream[s, _ENTERED_B]
                lapsed = 0.0
                cls_started[k] += stream[s, _ARRIVED_B]
            else:
                due = slot - wait[s]
                if due < 0:
                    due += ring  # a slot not written yet holds 0: nothing entered before hour 0
                before = due - 1 if due > 0 else ring - 1
                # Jobs already running go on (pushed back pro rata if capacity left), then the
                # base part's waiting work, then the shock's.
                keep = stream[s, _KEEP]
                on_b = stream[s, _RUN_B] * keep
                on_x = stream[s, _RUN_X] * keep
                on = on_b + on_x
                rb = (
                    served * on_b / on
                    if served < on
                    else min(on_b + served - on, stream[s, _STOCK_B])
                )
                stream[s, _RUN_B] = rb
                stream[s, _RUN_X] = served - rb
                queued = max(stream[s, _STOCK_B] - rb, 0.0)
                moved = stream[s, _QUEUE_B] + stream[s, _ARRIVED_B] - queued
                stream[s, _ENTERED_B] += stream[s, _ARRIVED_B] + max(-moved, 0.0)
                rings[slot, s, _BASE] = stream[s, _ENTERED_B]
                # Left the queue so far = entered - still queued. Overdue: entered by hour
                # t - w, not left. Newly late: of that, what entered in hour t - w itself.
                left = stream[s, _ENTERED_B] - queued
                late = max(rings[due, s, _BASE] - left, 0.0)
                newly = max(rings[due, s, _BASE] - max(left, rings[before, s, _BASE]), 0.0)
                began = max(moved, 0.0)
                stream[s, _QUEUE_B] = queued
                cls_deferred[k] += late
                if shocked[s]:
                    queued_x = max(stream[s, _STOCK_X] - stream[s, _RUN_X], 0.0)
                    moved = stream[s, _QUEUE_X] + stream[s, _ARRIVED_X] - queued_x
                    stream[s, _ENTERED_X] += stream[s, _ARRIVED_X] + max(-moved, 0.0)
                    rings[slot, s, _SHOCK] = stream[s, _ENTERED_X]
                    left = stream[s, _ENTERED_X] - queued_x
                    late += max(rings[due, s, _SHOCK] - left, 0.0)
                    newly_x = max(rings[due, s, _SHOCK] - max(left, rings[before, s, _SHOCK]), 0.0)
                    if newly_x > 0.0:
                        cls_deferred[k] += newly_x / stream[s, _TURNOVER]
                    newly += newly_x
                    began += max(moved, 0.0)
                    stream[s, _QUEUE_X] = queued_x
                    queued += queued_x
                lapsed = late
                # A queued GPU is a job that will hold it for mean_job_hours: its work.
                if newly > 0.0:
                    cls_late[k] += newly / stream[s, _TURNOVER]
                cls_backlog[k] += queued
                cls_started[k] += began
                region_backlog[region_of[s]] += queued
            cls_overdue[k] += lapsed
            cls_level[k] += stream[s, _LEVEL]
            cls_served[k] += served
            served_g[group_of[s]] += served
            overdue_g[group_of[s]] += lapsed
            if in_window and preemptible[s]:
                evicted = min(held_last[s], stream[s, _NEED]) - served
                if evicted > 0.0:
                    cls_evicted[k] += evicted
        if in_window and t < dark_end:
            # A region-loss drill's dark streams, apart so the hot loop above stays lean.
            for s in range(n_streams):
                if s_dark_from[s] <= t < s_dark_until[s]:
                    k = class_of[s]
                    out_cls[k, DARK_DEMAND] += stream[s, _LEVEL]
                    out_cls[overall, DARK_DEMAND] += stream[s, _LEVEL]
                    for j in range(first[s], used_end[s]):
                        if e_failover[j]:
                            out_cls[k, FAILED_OVER] += alloc[j]
                            out_cls[overall, FAILED_OVER] += alloc[j]
        for k in range(overall):
            cls_backlog[overall] += cls_backlog[k]
            cls_served[overall] += cls_served[k]
            cls_started[overall] += cls_started[k]
            cls_overdue[overall] += cls_overdue[k]
            cls_level[overall] += cls_level[k]
            cls_evicted[overall] += cls_evicted[k]
            cls_late[overall] += cls_late[k]
            cls_deferred[overall] += cls_deferred[k]
        if in_window:
            for k in range(overall + 1):
                out_cls[k, UNMET] += cls_overdue[k]
                out_cls[k, PREEMPTED] += cls_evicted[k]
                out_cls[k, LATE_WORK] += cls_late[k]
                out_cls[k, DEFERRED_UNMET] += cls_deferred[k]
                out_cls[k, DEMAND] += cls_level[k]
                out_cls[k, SERVED] += cls_served[k]
        if trace:
            for k in range(overall + 1):
                out_backlog[t, k] = cls_backlog[k]
                out_unmet[t, k] = cls_overdue[k]
                out_daily[day, k, DAY_DEMAND] += cls_level[k]
                out_daily[day, k, DAY_SERVED] += cls_served[k]

        if in_window:
            cls_holds[:] = True
            for g in range(n_groups):
                # Overdue work fails a group whatever its spare. Spare is a sum of GPUs, never
                # below zero unless some pool has fewer than none, so a group without headroom
                # (served <= served + spare) holds without summing it, and a sum that is
                # already enough holds whatever the pools after it add.
                holds = overdue_g[g] <= _TOL
                if holds and (g_headroom[g] > 0.0 or short_pool):
                    share = 1.0 - g_headroom[g]
                    spare = 0.0
                    holds = False
                    # Pools without GPUs add nothing to spare.
                    for i in range(gp_ptr[g], live_gp_end[g]):
                        p = live_gp[i]
                        spare += pool[p, _FREE]
                        if live_gp_mode[i] == 1:
                            spare += pool[p, _PE_HELD]
                        elif live_gp_mode[i] == 2:
                            for e in range(pe_ptr[p], pe_ptr[p + 1]):
                                edge = pe_edges[e]
                                if prio[edge_stream[edge]] > g_prio[g]:
                                    spare += alloc[edge]
                        holds = (
                            not short_pool and served_g[g] <= share * (served_g[g] + spare) + _TOL
                        )
                        if holds:
                            break
                    holds = holds or served_g[g] <= share * (served_g[g] + spare) + _TOL
                if holds:
                    out_group[g] += 1.0
                else:
                    cls_holds[g_class[g]] = False
            cls_holds[overall] = True
            for k in range(overall):
                if not cls_holds[k]:
                    cls_holds[overall] = False
            any_behind = False
            any_judged = False
            for k in range(overall + 1):
                if cls_holds[k]:
                    out_cls[k, HOLD_HOURS] += 1.0
                if compare:
                    # Whole again: holds and no more backlog than unshocked; an hour in which
                    # the unshocked plan fails too is the plan's failure, not the shock's.
                    # Overall is behind when any class is.
                    judged = ref[t, k] >= 0.0
                    behind = judged and (
                        not cls_holds[k] or cls_backlog[k] > ref[t, k] * _REF_SHARE + _REF_GPUS
                    )
                    if judged or (k == overall and any_judged):
                        last_judged[k] = t
                        any_judged = True
                    if behind or (k == overall and any_behind):
                        last_violation[k] = t
                        any_behind = True
                elif not cls_holds[k]:
                    last_violation[k] = t
                # A rounding crumb of a queue (under _TOL GPUs) is no backlog: divided by a
                # crumb of starts it read as a queue delay of hours.
                if cls_backlog[k] > max(out_cls[k, PEAK_BACKLOG] * _PEAK_RISE, _TOL):
                    out_cls[k, PEAK_BACKLOG] = cls_backlog[k]
                    delay = cls_backlog[k] / cls_started[k] if cls_started[k] > 0.0 else np.inf
                    # A delay that ends after the window was not seen, whatever a trickle
                    # of starts divides it into: censored (inf), not millions of hours.
                    out_cls[k, QUEUE_DELAY] = delay if delay <= hours - t else np.inf
            # The ladder is called in the first hour some class fails its policy or is behind
            # its reference: its delays count from here. Failing the policy calls it with or
            # without a reference, as an operator answers any shortfall: a ladder run called
            # only when behind its twin (called at the first failure) fell behind it where
            # the twin's rungs were already serving, and a 1x shock read 2,685 h to absorb.
            if seen < 0 and (last_violation[overall] == t or not cls_holds[overall]):
                seen = t
            # A pool without GPUs used none, stranded none and was not full.
            for i in range(n_live):
                p = live_pools[i]
                in_use = pool[p, _AVAIL] - pool[p, _FREE]
                if first_used[p] < 0 and in_use > _TOL:
                    first_used[p] = t - start
                pool_used[p] += in_use
                if region_backlog[p_region[p]] > _TOL:
                    pool_stranded[p] += pool[p, _FREE]
                if first_full[p] < 0 and pool[p, _AVAIL] > 0.0 and pool[p, _FREE] <= _TOL:
                    first_full[p] = t - start

        if record and in_window:
            for k in range(overall + 1):
                out_ref[t, k] = cls_backlog[k] if cls_holds[k] else -1.0

        prev, alloc = alloc, prev
        held_last, held_now = held_now, held_last
        prev_end, used_end = used_end, prev_end

    for p in range(n_pools):
        out_pool[p, USED] = pool_used[p]
        out_pool[p, STRANDED] = pool_stranded[p]
        out_pool[p, FIRST_USED] = first_used[p]
        out_pool[p, FIRST_SATURATED] = first_full[p]
    window = hours - start
    for s in range(n_streams):
        if interactive[s] or hours == 0:
            continue
        # Work still queued at the end and not yet overdue: the newest entries of each queue.
        due = (hours - 1 - wait[s]) % ring
        since_b = stream[s, _ENTERED_B] - rings[due, s, _BASE]
        since_x = stream[s, _ENTERED_X] - rings[due, s, _SHOCK]
        waiting = (
            min(stream[s, _QUEUE_B], since_b) + min(stream[s, _QUEUE_X], since_x)
        ) / turnover[s]
        out_cls[stream_class[s], WAITING_END] += waiting
        out_cls[overall, WAITING_END] += waiting
    any_censored = False
    unjudged = False
    for k in range(overall):
        if out_cls[k, DEMAND] > 0.0 and last_judged[k] < 0:
            unjudged = True
    for k in range(overall + 1):
        out_cls[k, UNSERVED_END] = cls_backlog[k]
        # The state at the end of hour t is the state at time t + 1: a last violation in hour
        # t means the class is whole again at the end of hour t + 1, i.e. t + 2 - start
        # hours after the shock started.
        if last_judged[k] < 0 or (k == overall and unjudged and not any_censored):
            # Never judged: the unshocked plan failed in every hour of the window, so no hour
            # can show this class (overall: some class with demand, unless another is known
            # to be still behind) whole again or not. Not measured (NaN), never 0 h.
            out_cls[k, ABSORB] = np.nan
        elif last_violation[k] < 0:
            out_cls[k, ABSORB] = 0.0
        elif last_violation[k] > last_judged[k] - confirm_hours or (k == overall and any_censored):
            # Behind within confirm_hours (a day; a week while the shock still acts) of the
            # last hour it could be judged (the horizon's last hour, or the last before the
            # unshocked plan failed for good): that it is whole
            # again for good is not seen (censored), whatever came after; overall is not whole
            # while a class is censored.
            out_cls[k, ABSORB] = window
            out_cls[k, CENSORED] = 1.0
            any_censored = True
        else:
            out_cls[k, ABSORB] = min(last_violation[k] + 2 - start, window)


@njit(parallel=True, cache=True, error_model="numpy")
def _simulate_paths(
    base, target, day_shape, shock, shapes, shape_group, cap, start, prio, preemptible, reserve,
    interactive, turnover, max_wait, stream_class, stream_region, s_ptr, s_pools, edge_stream,
    pe_ptr,
    pe_edges, p_region, g_class, g_headroom, g_prio, gs_ptr, gs_streams, gp_ptr, gp_pools,
    gp_from, gp_until, e_from, e_until, e_failover, s_dark_from, s_dark_until, p_rung_delay,
    restore,
    restore_delay, confirm_hours, ref, n_regions, out_cls, out_pool, out_group, out_backlog,
    out_unmet, out_daily, out_ref,
):  # fmt: skip
    for n in prange(base.shape[0]):
        simulate_path(
            base[n], target[n], day_shape[n], shock, shapes, shape_group, cap, start, prio,
            preemptible, reserve, interactive, turnover, max_wait, stream_class, stream_region,
            s_ptr, s_pools, edge_stream, pe_ptr, pe_edges, p_region, g_class, g_headroom, g_prio,
            gs_ptr, gs_streams, gp_ptr, gp_pools, gp_from, gp_until, e_from, e_until, e_failover,
            s_dark_from,
            s_dark_until, p_rung_delay, restore, restore_delay, confirm_hours, ref[n], n_regions,
            out_cls[n], out_pool[n], out_group[n], out_backlog[:, :, n], out_unmet[:, :, n],
            out_daily[n], out_ref[n],
        )  # fmt: skip


def _run(
    inputs: KernelInputs, out: KernelOutputs, *, compiled: bool, ref: np.ndarray | None
) -> KernelOutputs:
    """Fill ``out`` with the compiled kernel (paths in parallel) or the uncompiled step."""
    against = inputs.no_reference() if ref is None else ref
    if compiled:
        kernel = cast(Callable[..., None], _simulate_paths)
        kernel(
            inputs.base, inputs.target, inputs.day_shape, *inputs.arguments(), against,
            inputs.n_regions, out.per_class, out.per_pool, out.per_group, out.backlog,
            out.unmet, out.daily, out.ref,
        )  # fmt: skip
        return out
    step = cast(Callable[..., None], simulate_path.py_func)
    for n in range(inputs.base.shape[0]):
        step(
            inputs.base[n], inputs.target[n], inputs.day_shape[n], *inputs.arguments(),
            against[n], inputs.n_regions, out.per_class[n], out.per_pool[n], out.per_group[n],
            out.backlog[:, :, n], out.unmet[:, :, n], out.daily[n], out.ref[n],
        )  # fmt: skip
    return out


def simulate_outputs(
    inputs: KernelInputs,
    *,
    compiled: bool = True,
    traced: bool = False,
    record: bool = False,
    ref: np.ndarray | None = None,
) -> KernelOutputs:
    """Every output of one run: ``traced`` adds the hourly and daily traces, ``record`` the
    unshocked reference a shocked run reads as ``ref`` (time to absorb against it)."""
    out = inputs.allocate(traced=traced, record=record)
    return _run(inputs, out, compiled=compiled, ref=ref)


def simulate_kernel(
    inputs: KernelInputs, *, ref: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-path class and pool outputs from the compiled kernel, paths in parallel."""
    out = _run(inputs, inputs.allocate(traced=False), compiled=True, ref=ref)
    return out.per_class, out.per_pool


def simulate_reference(
    inputs: KernelInputs, *, ref: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The same outputs from the uncompiled step function, one path after another."""
    out = _run(inputs, inputs.allocate(traced=False), compiled=False, ref=ref)
    return out.per_class, out.per_pool


def simulate_traced(
    inputs: KernelInputs,
    *,
    compiled: bool = True,
    ref: np.ndarray | None = None,
    record: bool = False,
) -> KernelOutputs:
    """The per-path outputs plus hourly backlog and unmet, daily demand and served, per class.

    ``compiled=False`` runs the uncompiled step function (as :func:`simulate_reference`).
    ``record`` also writes the unshocked reference (``out.ref``) a shocked run reads as ``ref``.
    """
    return _run(inputs, inputs.allocate(traced=True, record=record), compiled=compiled, ref=ref)
