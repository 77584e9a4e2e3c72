"""Helios Earth: per-VC minute sequences to hourly telemetry, and daily VC quotas to capacity.toml.

Source (see SOURCES.md): S-Lab-System-Group/HeliosArtifact, ``analysis/2_cluster
characterization/Earth_vcs/<vc>/cluster_sequence_vc.csv`` joined with a ``vc`` column, and
``Earth_gpu_number.csv`` for the daily quotas. The Helios trace is CC BY 4.0; cite Hu et al.,
"Characterization and Prediction of Deep Learning Workloads in Large-Scale GPU Datacenters", SC'21.

Mapping to telemetry:

* customer = the VC (a team's GPU quota);
* workload class by job size: ``*_noless_8`` columns (jobs of 8 or more GPUs) are training,
  ``*_less_8`` columns are experimentation (:data:`DEFAULT_SIZE_CLASSES`, changeable in
  :class:`HeliosOptions`);
* gpus_running / gpus_queued = hourly means, over the minutes present, of
  ``running_gpu_num_<size>`` and ``pending_gpu_num_<size>``. The size-split columns are used
  rather than ``running_gpu_num``, which the collector caps at the VC's quota: borrowed GPUs above
  quota show only in the split (``report`` counts the minutes where the two disagree);
* GPU type V100: the artifact describes the datacenter node as 8 x Tesla V100-SXM2 with
  InfiniBand EDR (HeliosArtifact README, "Datacenter Node ... from Volta Cluster").

Outages: in the published file every VC reads zero jobs and zero GPUs running or pending from
2020-05-09 23:56 to 2020-05-11 00:00 and on 2020-05-12 from 14:01 to 16:01 (local time). That is
the collector failing, not 856 GPUs of demand vanishing, so those minutes are dropped before the
hourly means; an hour with no minutes left has no row (missing), never a row of zeros. Detection is
general, not by date: a minute is an outage when every VC reporting it (at least
``min_vcs_for_outage`` of them) reads zero on every activity column. Quota columns
(``total_gpu_num``, and ``idle_gpu_num`` derived from it) are excluded from that test because the
collector kept reporting each VC's quota through both outages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import polars as pl

from forecasting.capacity import Block, CandidateBlock, CapacityPlan, ClassPolicy, dump_plan
from forecasting.schema import BlockKind, BlockStatus, WorkloadClass
from forecasting.traces import (
    REFUSED_SCHEMA,
    TraceFormatError,
    TraceReport,
    contiguous_windows,
    hour_of,
    output_span,
    read_header,
    rule_breaking,
    rule_breaking_error,
    scan_trace_csv,
    split_rows,
    to_telemetry,
    wide_rows,
)

__all__ = [
    "ACTIVITY_COLUMNS",
    "DEFAULT_SIZE_CLASSES",
    "HELIOS_DTYPES",
    "SIZE_SUFFIXES",
    "HeliosOptions",
    "helios_capacity_toml",
    "is_blank",
    "minute_of",
    "read_helios",
    "report_helios",
    "scan_helios",
]

TRACE = "Helios Earth VC minute sequence (cluster_sequence_vc.csv joined, with a vc column)"

SIZE_SUFFIXES: tuple[str, ...] = ("noless_8", "less_8")
"""Job-size splits in the trace: jobs of >= 8 GPUs, and of fewer than 8 GPUs."""

DEFAULT_SIZE_CLASSES: Mapping[str, WorkloadClass] = MappingProxyType(
    {"noless_8": WorkloadClass.TRAINING, "less_8": WorkloadClass.EXPERIMENTATION}
)
"""Large jobs (one whole 8-GPU node or more) are gang-scheduled training; small ones are the
spot-like experimentation of DOMAIN.md. A heuristic, not a label in the trace."""

_SPLIT_PREFIXES = (
    "running_gpu_num",
    "pending_gpu_num",
    "total_gpu_num",
    "running_job_num",
    "pending_job_num",
    "total_job_num",
)
HELIOS_DTYPES: Mapping[str, pl.DataType] = MappingProxyType(
    {
        "time": pl.String(),
        "vc": pl.String(),
        **{
            name: pl.Int64()
            for name in (
                "total_job_num",
                "running_job_num",
                "pending_job_num",
                "total_gpujob_num",
                "running_gpujob_num",
                "pending_gpujob_num",
                "total_gpu_num",
                "running_gpu_num",
                "pending_gpu_num",
                "idle_gpu_num",
            )
        },
        "gpu_utilization": pl.Float64(),
        **{f"{prefix}_{size}": pl.Int64() for prefix in _SPLIT_PREFIXES for size in SIZE_SUFFIXES},
    }
)
"""Every column of the joined minute file and its type; ``time`` is parsed explicitly later."""

ACTIVITY_COLUMNS: tuple[str, ...] = tuple(
    name
    for name, dtype in HELIOS_DTYPES.items()
    if dtype == pl.Int64() and name not in ("total_gpu_num", "idle_gpu_num")
)
"""Columns that read zero when nothing runs or waits; the quota columns are not among them."""

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeliosOptions:
    """How the Helios minute file becomes telemetry. Every default is the documented mapping."""

    region: str = "helios"
    """Region label; the trace has one private datacenter."""
    cluster: str = "earth"
    """Cluster label; the file is the Earth cluster."""
    gpu_type: str = "V100"
    """Earth nodes are 8 x Tesla V100-SXM2 (HeliosArtifact README)."""
    size_classes: Mapping[str, WorkloadClass] = field(default_factory=lambda: DEFAULT_SIZE_CLASSES)
    """Job-size split -> workload class; both splits must be mapped so no GPU is lost. Map both
    to one class to merge them (their GPUs are summed per minute before the hourly mean)."""
    source_timezone: str = "Asia/Shanghai"
    """Zone of the naive ``time`` stamps. Helios is SenseTime's datacenter; the trace does not say
    its zone, and the local-time reading is an assumption. Use "UTC" to keep stamps as read."""
    vcs: tuple[str, ...] | None = None
    """Keep only these VCs (None keeps all). Outages are still judged on every VC in the file."""
    min_vcs_for_outage: int = 2
    """An all-zero minute is an outage only if at least this many VCs report it: with one VC,
    an idle team and a dead collector look the same, so nothing is dropped."""
    wind_down_minutes: int = 120
    """A stretch in which every VC reads zero, begun by one VC falling idle alone, is zero
    demand when the VC before it fell idle at most this many minutes earlier (a cluster
    winding down VC by VC); later, or never, it is not told from a dead collector and is read
    as an outage. Before the published file's two outages the other VCs had been idle for 856
    minutes or more."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.size_classes) - set(SIZE_SUFFIXES))
        unmapped = [s for s in SIZE_SUFFIXES if s not in self.size_classes]
        if unknown or unmapped:
            raise ValueError(
                f"size_classes must map exactly {list(SIZE_SUFFIXES)}; "
                f"unknown: {unknown or 'none'}, unmapped: {unmapped or 'none'}"
            )
        # Accept plain strings from a config file; an invalid class fails here, not at ingest.
        object.__setattr__(
            self,
            "size_classes",
            MappingProxyType({k: WorkloadClass(v) for k, v in self.size_classes.items()}),
        )
        if self.min_vcs_for_outage < 1:
            raise ValueError("min_vcs_for_outage must be at least 1")
        if self.wind_down_minutes < 0:
            raise ValueError("wind_down_minutes cannot be negative")


# --- expressions -------------------------------------------------------------------------------


def minute_of(time_zone: str) -> pl.Expr:
    """The ``time`` column parsed with its exact format and placed in ``time_zone``."""
    return (
        pl.col("time")
        .str.strptime(pl.Datetime("us"), TIME_FORMAT, strict=True)
        .dt.replace_time_zone(time_zone, ambiguous="raise", non_existent="raise")
        .dt.convert_time_zone("UTC")
        .alias("minute")
    )


def is_blank() -> pl.Expr:
    """True where a row reads zero on every activity column (no job running or waiting)."""
    return pl.all_horizontal([pl.col(name) == 0 for name in ACTIVITY_COLUMNS]).alias("blank")


def _gpus(kind: str, suffixes: Collection[str]) -> pl.Expr:
    """GPUs of ``kind`` (running or pending) summed over the job-size splits in ``suffixes``."""
    return pl.sum_horizontal([pl.col(f"{kind}_gpu_num_{s}") for s in sorted(suffixes)])


# --- frames ------------------------------------------------------------------------------------


def _minutes(path: Path, options: HeliosOptions) -> pl.LazyFrame:
    """The minute rows that telemetry and report read: UTC minute, VC, blank, GPUs per split."""
    return _minutes_of(scan_trace_csv(path, HELIOS_DTYPES, trace=TRACE), options)


def _read_minutes(path: Path, options: HeliosOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The minutes of :func:`_minutes` that can be averaged, and the rows refused
    (:data:`REFUSED_SCHEMA`): a time not in the trace's format, a count not a whole number,
    empty or negative. A refused minute is left out of its hour as a missing one is.

    The file is read typed once; only a file holding such a row is read again as text, which
    names the rows: one '17x6' refused the whole month before.
    """
    source = scan_trace_csv(path, HELIOS_DTYPES, trace=TRACE)
    refused = REFUSED_SCHEMA.to_frame()
    try:
        minutes = _minutes_of(source, options).collect()
        clean = not minutes["breaking"].any()
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
        clean = False  # a value not of its column's type: the typed read names no row
    # The typed read skips a row's fields past the header's: a shifted row loaded unseen.
    clean = clean and wide_rows(path, len(HELIOS_DTYPES)).is_empty()
    if not clean:
        parsed = pl.col("time").str.strptime(pl.Datetime("us"), TIME_FORMAT, strict=False)
        source, refused = split_rows(
            path,
            HELIOS_DTYPES,
            measured=ACTIVITY_COLUMNS,
            parsers={"time": (parsed, f"a time in the format {TIME_FORMAT}")},
        )
        minutes = _minutes_of(source, options).collect()
    return _checked(minutes, path, options), refused


def _minutes_of(source: pl.LazyFrame, options: HeliosOptions) -> pl.LazyFrame:
    """:func:`_minutes` of the typed rows ``source`` (with ``__row`` where rows were refused)."""
    row = ["__row"] if "__row" in source.collect_schema() else []
    return source.select(
        *row,
        minute_of(options.source_timezone),
        "vc",
        is_blank(),
        "running_gpu_num",
        *(f"{kind}_gpu_num_{size}" for kind in ("running", "pending") for size in SIZE_SUFFIXES),
        # A count that is empty or negative: its minute would lower its hour's mean unseen.
        rule_breaking(ACTIVITY_COLUMNS).alias("breaking"),
    )


def _checked(minutes: pl.DataFrame, path: Path, options: HeliosOptions) -> pl.DataFrame:
    """The minutes of :func:`_minutes`, once none breaks a rule of :func:`rule_breaking` and no
    VC reports a minute twice."""
    if minutes["breaking"].any():
        raise rule_breaking_error(path, HELIOS_DTYPES, columns=ACTIVITY_COLUMNS, adapter="helios")
    if minutes.select(pl.struct("vc", "minute").is_duplicated().any()).item():
        raise _repeated_minutes_error(minutes, path, options)
    return minutes


def _repeated_minutes_error(
    minutes: pl.DataFrame, path: Path, options: HeliosOptions, *, most: int = 3
) -> TraceFormatError:
    """The error naming the first rows that repeat a VC's minute: averaged into its hour, a
    minute written twice with other values moved it without a word. The minutes keep the
    file's row order, so their index is the row (1 = the first after the header)."""
    numbered = minutes if "__row" in minutes.columns else minutes.with_row_index("__row", offset=1)
    repeats = (
        numbered.select(pl.col("__row").alias("row"), "vc", "minute")
        .with_columns(pl.col("row").min().over("vc", "minute").alias("first"))
        .filter(pl.col("row") != pl.col("first"))
    )
    local = ZoneInfo(options.source_timezone)
    shown = "; ".join(
        f"row {row}, columns time and vc: {vc} at "
        f"{minute.astimezone(local).strftime(TIME_FORMAT)} repeats row {first}"
        for row, vc, minute, first in repeats.head(most).iter_rows()
    )
    more = f" ({repeats.height:,} rows in all)" if repeats.height > most else ""
    return TraceFormatError(
        f"{path}: {shown}{more}. The helios adapter averages each VC's minutes into hours, so "
        "nothing of the file was loaded: keep one row per VC and minute and ingest it again"
    )


def _all_blank_minutes(minutes: pl.LazyFrame, options: HeliosOptions) -> pl.LazyFrame:
    """Minutes (UTC) in which every reporting VC is blank, each with ``stopped``: how many VCs
    were active in the minute before its stretch of such minutes began (null at the file's
    start), i.e. how many fell idle together, and ``wound_down``: whether the VC before the
    last fell idle at most ``wind_down_minutes`` before the stretch."""
    per_minute = (
        minutes.group_by("minute")
        .agg(
            pl.col("blank").all().alias("all_blank"),
            pl.len().alias("vcs"),
            (~pl.col("blank")).sum().alias("active"),
        )
        .sort("minute")
        .with_columns(
            (pl.col("all_blank") & (pl.col("vcs") >= options.min_vcs_for_outage)).alias("dark"),
            pl.col("active").shift(1).alias("before"),
            # The last minute before this one in which two VCs or more were active.
            pl.when(pl.col("active") >= 2)
            .then(pl.col("minute"))
            .forward_fill()
            .shift(1)
            .alias("two_active"),
        )
    )
    stretch = (pl.col("dark") != pl.col("dark").shift(1)).fill_null(True).cum_sum()
    since = (pl.col("minute") - pl.col("two_active")).dt.total_minutes().first().over(stretch)
    return (
        per_minute.with_columns(
            pl.col("before").first().over(stretch).alias("stopped"),
            (since <= options.wind_down_minutes).fill_null(False).alias("wound_down"),
        )
        .filter(pl.col("dark"))
        .select("minute", "stopped", "wound_down")
    )


def _outage_minutes(minutes: pl.LazyFrame, options: HeliosOptions) -> pl.LazyFrame:
    """Minutes (UTC) in which every reporting VC is blank because the collector stopped.

    A collector outage stops every VC in the same minute (12 and 13 of 16 VCs on the published
    file); a cluster idle at night winds down VC by VC and goes blank when its last VC's jobs
    end, alone, and that is zero demand: read as outages, an idle night of 01:00-06:00 left
    every UTC day 19 hours and the whole month missing. A last VC stopping alone long after
    the one before it (``wind_down_minutes``), as in an extract of two VCs one of which was
    idle all day, is not told from a dead collector, and neither is a stretch at the file's
    start, with no minute before it: both are read as outages, as every all-blank minute was
    before.
    """
    return (
        _all_blank_minutes(minutes, options)
        .filter(
            pl.col("stopped").is_null()
            | (pl.col("stopped") >= options.min_vcs_for_outage)
            | ~pl.col("wound_down")
        )
        .select("minute")
    )


def scan_helios(path: Path, options: HeliosOptions) -> pl.LazyFrame:
    """Hourly telemetry per VC and size class, outage minutes dropped before averaging."""
    minutes = _minutes(path, options)
    return _telemetry(minutes, _outage_minutes(minutes, options), options)


def report_helios(path: Path, options: HeliosOptions) -> TraceReport:
    """Rows, outage minutes and windows, per-VC gaps in the minute grid, idle VC-minutes kept."""
    read, refused = _read_minutes(path, options)
    minutes = read.lazy()
    outages = _outage_minutes(minutes, options).collect()
    telemetry = _telemetry(minutes, outages.lazy(), options)
    return _report(minutes, outages, telemetry, path, options, refused=refused)


def read_helios(
    path: Path, options: HeliosOptions
) -> tuple[pl.LazyFrame, Callable[[], TraceReport]]:
    """:func:`scan_helios` and :func:`report_helios` from one read of the minute file: the
    minutes are parsed once and held (eight columns), where the two read the file three times."""
    read, refused = _read_minutes(path, options)
    minutes = read.lazy()
    outages = _outage_minutes(minutes, options).collect()
    telemetry = _telemetry(minutes, outages.lazy(), options).collect().lazy()
    return telemetry, partial(_report, minutes, outages, telemetry, path, options, refused=refused)


def _telemetry(
    minutes: pl.LazyFrame, outages: pl.LazyFrame, options: HeliosOptions
) -> pl.LazyFrame:
    """Hourly telemetry from :func:`_minutes`, the minutes in ``outages`` dropped first."""
    kept = minutes.join(outages, on="minute", how="anti")
    if options.vcs is not None:
        kept = kept.filter(pl.col("vc").is_in(list(options.vcs)))
    by_class: dict[WorkloadClass, list[str]] = {}
    for suffix, workload_class in options.size_classes.items():
        by_class.setdefault(workload_class, []).append(suffix)
    per_class = pl.concat(
        [
            kept.select(
                "minute",
                "vc",
                pl.lit(workload_class.value).alias("workload_class"),
                _gpus("running", suffixes).alias("running"),
                _gpus("pending", suffixes).alias("pending"),
            )
            for workload_class, suffixes in by_class.items()
        ]
    )
    hourly = (
        per_class.group_by(hour_of(pl.col("minute")).alias("ts"), "vc", "workload_class")
        # Means over the minutes present: dropped outage minutes shrink the divisor, not the sum.
        .agg(
            pl.col("running").mean().alias("gpus_running"),
            pl.col("pending").mean().alias("gpus_queued"),
        )
        .with_columns(
            pl.lit(options.region).alias("region"),
            pl.lit(options.cluster).alias("cluster"),
            pl.col("vc").alias("customer"),
            pl.lit(options.gpu_type).alias("gpu_type"),
        )
    )
    return to_telemetry(hourly)


def _report(
    minutes: pl.LazyFrame,
    outages: pl.DataFrame,
    telemetry: pl.LazyFrame,
    path: Path,
    options: HeliosOptions,
    *,
    refused: pl.DataFrame,
) -> TraceReport:
    """The report of :func:`_minutes`, its outage minutes and the telemetry made of them, and
    the rows refused (:func:`_read_minutes`)."""
    flagged = minutes.join(
        outages.lazy().with_columns(pl.lit(True).alias("outage")), on="minute", how="left"
    ).with_columns(pl.col("outage").fill_null(False))
    if options.vcs is not None:
        flagged = flagged.filter(pl.col("vc").is_in(list(options.vcs)))
    per_vc = (
        flagged.group_by("vc")
        .agg(
            pl.len().alias("rows"),
            pl.col("minute").n_unique().alias("distinct"),
            ((pl.col("minute").max() - pl.col("minute").min()).dt.total_minutes() + 1).alias(
                "span"
            ),
            (pl.col("blank") & ~pl.col("outage")).sum().alias("zero"),
            ((_gpus("running", SIZE_SUFFIXES) != pl.col("running_gpu_num")) & ~pl.col("outage"))
            .sum()
            .alias("split_differs"),
        )
        .collect()
    )
    out = output_span(telemetry)
    split_differs = int(per_vc["split_differs"].sum())
    notes = [
        _outage_test_note(minutes, vcs=len(per_vc), zero=int(per_vc["zero"].sum()), options=options)
    ]
    notes += [
        note
        for note in (
            _idle_stretches_note(minutes, outages, options),
            _scheduled_outages_note(outages, telemetry, options),
        )
        if note
    ]
    if split_differs:
        notes.append(
            f"{split_differs:,} VC-minutes where the size split's running GPUs differ from "
            "running_gpu_num (quota-capped); the split is used"
        )
    notes += _refused_note(refused, path, options)
    stamps = outages["minute"].sort().to_list()
    return TraceReport(
        adapter="helios",
        source=str(path),
        rows_read=int(per_vc["rows"].sum()),
        rows_out=out["rows"],
        hours=out["hours"],
        first_ts=out["first"],
        last_ts=out["last"],
        outage_minutes=len(stamps),
        outage_windows=contiguous_windows(stamps),
        outage_region=options.region,
        gaps=int((per_vc["span"] - per_vc["distinct"]).sum()),
        zero_rows=int(per_vc["zero"].sum()),
        notes=tuple(notes),
        refused=refused,
    )


def _refused_note(refused: pl.DataFrame, path: Path, options: HeliosOptions) -> list[str]:
    """What the refused minutes cost their hours: each is left out as a missing minute is, so
    its VC's hour is a mean over fewer minutes (not lowered by a zero), and the minute counts
    as a gap in the VC's minute grid."""
    if not refused.height:
        return []
    at = read_header(path).index("time")
    stamp = pl.col("raw").str.split(",").list.get(at, null_on_oob=True).alias("time")
    minute = (
        stamp.str.strptime(pl.Datetime("us"), TIME_FORMAT, strict=False)
        .dt.replace_time_zone(options.source_timezone, ambiguous="null", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    hours = refused.select(hour_of(minute).alias("ts")).drop_nulls().unique().sort("ts")["ts"]
    shown = ", ".join(f"{ts:%Y-%m-%d %H:00}" for ts in hours.head(3))
    more = f" and {hours.len() - 3:,} more" if hours.len() > 3 else ""
    within = f" in {hours.len():,} UTC hour(s) ({shown}{more})" if hours.len() else ""
    return [
        f"{refused.height:,} VC-minute(s) refused (quarantined){within}: each is left out as a "
        "missing minute is, so its VC's hour is the mean over the minutes left (fewer "
        "minutes, not a zero); a refused row with no readable time leaves an hour unnamed"
    ]


def _idle_stretches_note(
    minutes: pl.LazyFrame, outages: pl.DataFrame, options: HeliosOptions
) -> str | None:
    """The stretches in which every VC read zero but which the outage test kept as zero
    demand (see :func:`_outage_minutes`), for the reader to judge; None when there are none."""
    kept = (
        _all_blank_minutes(minutes, options)
        .join(outages.lazy(), on="minute", how="anti")
        .select("minute")
        .sort("minute")
        .collect()
    )
    runs = contiguous_windows(kept["minute"].to_list())
    if not runs:
        return None
    first, last = max(runs, key=lambda run: run[1] - run[0])
    end = f"{last:%H:%M}" if last.date() == first.date() else f"{last:%Y-%m-%d %H:%M}"
    alone = (
        "one VC falling idle alone"
        if options.min_vcs_for_outage <= 2
        else f"fewer than {options.min_vcs_for_outage} VCs falling idle in the same minute"
    ) + f", at most {options.wind_down_minutes} minutes after the VC before it"
    return (
        f"{len(runs):,} stretch{'' if len(runs) == 1 else 'es'} in which every VC read zero "
        f"({kept.height:,} minutes; longest {first:%Y-%m-%d %H:%M} to {end} UTC) kept as zero "
        f"demand: each began with {alone}, where a collector outage stops "
        "the VCs in the same minute; if the collector was down then, give those hours as an "
        "outage calendar (`fleetcast forecast --outages`)"
    )


SCHEDULE_DAYS = 3
"""Outage windows starting at one time of day on this many days or more read as a schedule."""


def _scheduled_outages_note(
    outages: pl.DataFrame, telemetry: pl.LazyFrame, options: HeliosOptions
) -> str | None:
    """The outage windows that start at one time of day on several days, and the UTC days
    the dropped hours leave short of a whole day; None when no start time repeats so.

    A collector does not fail on a schedule, a drain or a cluster idle every night does: a
    file drained 01:00-06:00 had every night dropped as an outage, every UTC day left with 19
    hours and read missing, and ingest said only "dropped 10,566 outage minutes in 32
    windows".
    """
    from forecasting.demand import MIN_HOURS_PER_DAY  # demand is heavy; only for this note

    windows = contiguous_windows(outages["minute"].sort().to_list())
    local = ZoneInfo(options.source_timezone)
    starts: dict[str, set[date]] = {}
    for first, _ in windows:
        at = first.astimezone(local)
        starts.setdefault(f"{at:%H:%M}", set()).add(at.date())
    if not starts:
        return None
    start, days = max(starts.items(), key=lambda item: len(item[1]))
    if len(days) < SCHEDULE_DAYS:
        return None
    hours = telemetry.select(pl.col("ts").unique()).collect()["ts"]
    per_day = hours.dt.date().value_counts()
    short = per_day.filter(pl.col("count") < MIN_HOURS_PER_DAY).height
    return (
        f"{len(days)} of the {len(windows)} outage windows start at {start} "
        f"({options.source_timezone}) on {len(days)} days: a collector does not fail on a "
        "schedule, so if the cluster was drained or idle then, those hours were zero demand "
        f"and are read as missing; {short} of the {per_day.height} UTC days keep fewer than "
        f"the {MIN_HOURS_PER_DAY} hours a day of demand needs"
    )


def _outage_test_note(minutes: pl.LazyFrame, *, vcs: int, zero: int, options: HeliosOptions) -> str:
    """Whether the outage test could run on this file, and what it kept where it could not.

    A file cut to one VC kept the 2020-05-12 collector outage as two hours of zero demand,
    and its note said the test ran over every VC: with fewer VCs than the test needs, an idle
    team and a dead collector read the same, so the note says so and names the longest
    stretch in which every VC read zero, for the reader to judge.
    """
    in_file = int(minutes.select(pl.col("vc").n_unique()).collect().item())
    if in_file >= options.min_vcs_for_outage:
        return f"{vcs} VCs; outage test over every VC in the file"
    blank = (
        minutes.group_by("minute")
        .agg(pl.col("blank").all())
        .filter(pl.col("blank"))
        .select("minute")
        .sort("minute")
        .collect()
    )
    runs = contiguous_windows(blank["minute"].to_list())
    note = (
        f"{vcs} VC{'' if vcs == 1 else 's'}; outage test off: fewer than the "
        f"{options.min_vcs_for_outage} VCs it needs in the file (with fewer, an idle VC and a "
        f"dead collector read the same), so {zero:,} all-zero VC-minutes kept as zero demand"
    )
    if not runs:
        return note
    first, last = max(runs, key=lambda run: run[1] - run[0])
    end = f"{last:%H:%M}" if last.date() == first.date() else f"{last:%Y-%m-%d %H:%M}"
    return (
        f"{note}; longest run {first:%Y-%m-%d %H:%M} to {end} UTC: if the collector was down "
        "then, give those hours as an outage calendar (`fleetcast forecast --outages`)"
    )


# --- capacity.toml from the daily VC quotas ----------------------------------------------------

NODE_GPUS = 8
"""GPUs per Earth node (8 x V100-SXM2, HeliosArtifact README); quotas move in multiples of 8."""
NODE_KW = 3.5
"""Assumed IT draw of one 8 x V100-SXM2 node at full load: NVIDIA's DGX-1 (V100) system spec."""
PUE = 1.5
"""Assumed power usage effectiveness, so block MW includes cooling as capacity.toml asks."""
MW_PER_GPU = NODE_KW * PUE / NODE_GPUS / 1000
POD_MIN_GPUS = 64
"""A dedicated block of 64+ GPUs (8+ nodes on the EDR fabric) is written as a pod, smaller as a
rack block; every Earth block is on InfiniBand, so all carry ``fabric = true``."""
V100_NODE_CAPEX_USD = 149_000
"""List price of one DGX-1 with 8 x V100 at launch (2017), the public reference for this node."""
PRICE_PER_GPU_HOUR = 3.06
"""Revenue at risk per unmet GPU-hour: AWS p3.2xlarge (1 x V100) on-demand, us-east-1."""

_POLICIES: tuple[tuple[WorkloadClass, str, int, float, bool], ...] = (
    # class, tier, priority, headroom, preemptible: DOMAIN.md's tiers and headroom examples.
    (WorkloadClass.INFERENCE, "premium", 1, 0.20, False),
    (WorkloadClass.TRAINING, "standard", 2, 0.10, False),
    (WorkloadClass.EVALUATION, "standard", 3, 0.0, False),
    (WorkloadClass.BATCH, "batch", 4, 0.0, False),
    (WorkloadClass.EXPERIMENTATION, "overflow", 5, 0.0, True),
)

# (name, kind, nodes, lead_time_weeks, fabric switches' share of capex). Node counts: one node is
# the quota step; 16 nodes (128 GPUs) fill one 36-port EDR leaf pair; 128 nodes (1,024 GPUs) is an
# Earth-sized cluster. Lead times and the network share are planning assumptions, not trace data.
_CANDIDATES: tuple[tuple[str, BlockKind, int, int, float], ...] = (
    ("rack-v100-8", BlockKind.RACK, 1, 8, 0.0),
    ("pod-v100-128", BlockKind.POD, 16, 16, 0.10),
    ("cell-v100-1024", BlockKind.CELL, 128, 52, 0.15),
)

_DAILY_TRACE = "Helios Earth daily VC GPU quotas (Earth_gpu_number.csv)"


@dataclass(slots=True)
class _Layer:
    """GPUs a VC gained on one date; resized or retired when its quota later falls."""

    gpus: int
    start: date
    end: date | None = None


def _read_quotas(path: Path) -> pl.DataFrame:
    header = read_header(path)
    vcs = [name for name in header if re.fullmatch(r"vc\w+", name)]
    expected = ["date", "<vc...>", "total"]
    if not header or header[0] != "date" or header[-1] != "total" or len(vcs) != len(header) - 2:
        others = [n for n in header[1:-1] if n not in vcs]
        raise TraceFormatError(
            f"{path}: not a {_DAILY_TRACE} file. Expected columns {expected}, each VC's column "
            "named vc followed by letters or digits (vcTAx)"
            + (f"; not VC columns: {others}" if others else "")
            + f"; found {header}."
        )
    dtypes: dict[str, pl.DataType] = {"date": pl.String(), **{v: pl.Int64() for v in vcs}}
    dtypes["total"] = pl.Int64()
    quotas = (
        scan_trace_csv(path, dtypes, trace=_DAILY_TRACE)
        .with_columns(pl.col("date").str.strptime(pl.Date, "%Y-%m-%d", strict=True))
        .sort("date")
        .collect()
    )
    bad = quotas.filter(pl.sum_horizontal(vcs) != pl.col("total"))
    if bad.height:
        raise TraceFormatError(
            f"{path}: VC quotas do not add up to total on {bad['date'].to_list()[:5]}"
        )
    return quotas


def _drop_blips(quotas: pl.DataFrame, vcs: list[str]) -> tuple[pl.DataFrame, list[date]]:
    """Replace one-day blips (the day differs, the days either side agree) by the day before.

    Earth_gpu_number.csv has one: on 2020-05-09, beside the telemetry outage, all 840 GPUs read as
    vcIya's and every other VC reads zero; the next day is again the day before. Taken at face
    value it would retire and re-create every VC's blocks for one day.
    """
    rows = quotas.select(vcs).rows()
    blips = [
        i for i in range(1, len(rows) - 1) if rows[i] != rows[i - 1] and rows[i + 1] == rows[i - 1]
    ]
    days = quotas["date"].to_list()
    for i in blips:
        rows[i] = rows[i - 1]
    fixed = pl.DataFrame(rows, schema=vcs, orient="row").with_columns(
        pl.Series("date", days), pl.sum_horizontal(vcs).alias("total")
    )
    return fixed, [days[i] for i in blips]


def _layers(days: list[date], quota: list[int]) -> list[_Layer]:
    """Blocks that follow one VC's quota: a layer per increase, trimmed newest-first on cuts."""
    layers: list[_Layer] = []
    current = 0
    for day, gpus in zip(days, quota, strict=True):
        if gpus > current:
            layers.append(_Layer(gpus - current, day))
        cut = current - gpus
        # Newest capacity leaves first (last in, first out); a partly cut layer retires and its
        # remainder continues as a new layer, so the live layers always sum to the quota.
        for layer in reversed([la for la in layers if la.end is None]):
            if cut <= 0:
                break
            layer.end = day
            if layer.gpus > cut:
                layers.append(_Layer(layer.gpus - cut, day))
            cut -= layer.gpus
        current = gpus
    return layers


def _status(layer: _Layer, as_of: date) -> BlockStatus:
    if layer.start > as_of:
        return BlockStatus.COMMITTED
    return BlockStatus.LIVE if layer.end is None else BlockStatus.RETIRING


def helios_capacity_toml(
    path: Path,
    *,
    vcs: Collection[str] | None = None,
    as_of: date | None = None,
    region: str = "helios",
    site: str = "earth",
    gpu_type: str = "V100",
    measured: Collection[str] | None = None,
) -> str:
    """A capacity.toml whose blocks follow the Earth cluster's daily VC quotas.

    Per VC, the initial quota is one dedicated block (``dedicated_customer`` = the VC) in service
    from the file's first date; each later increase adds a block in service from that date; each
    cut retires the newest blocks (resizing one if the cut is partial), so on every date the VC's
    blocks sum to its quota and all VCs sum to the file's total. Status is relative to ``as_of``
    (default: the file's last date): blocks starting after it are committed, blocks with a
    retirement date are retiring (also when that date is already past, so the history stays
    complete), the rest live. One-day blips in the quota file are smoothed (see ``_drop_blips``);
    the dates are listed in a comment at the top.

    ``vcs`` keeps only those VCs (all by default). ``measured``: the VCs with telemetry in the
    window the plan is played against; the others get no block (dedicated to a VC with no
    telemetry, a block serves nobody in the forecast, the triggers and the drills: the Helios
    demo's report warned of 6, 432 GPUs), and the header names them with their GPUs as of
    ``as_of``. Class policies follow DOMAIN.md's tiers
    (training priority 2, experimentation preemptible priority 5). Candidate block types are
    sized for Earth: one 8-GPU node as a rack block, 16 nodes as a pod, an Earth-sized cell; MW
    and capex come from the module constants, whose docstrings state the assumptions.
    """
    path = Path(path)
    quotas = _read_quotas(path)
    all_vcs = [c for c in quotas.columns if c not in ("date", "total")]
    if vcs is not None:
        absent = sorted(set(vcs) - set(all_vcs))
        if absent:
            raise ValueError(f"{path}: no quota column for VC(s) {absent}; found {all_vcs}")
    quotas, blips = _drop_blips(quotas, all_vcs)
    days: list[date] = quotas["date"].to_list()
    as_of = as_of or days[-1]
    chosen = [v for v in all_vcs if vcs is None or v in vcs]
    unmeasured = [v for v in chosen if measured is not None and v not in measured]
    chosen = [v for v in chosen if v not in unmeasured]
    # Their quotas on the as-of day and at most after it (a VC's blocks may be committed only).
    left = quotas.select("date", pl.sum_horizontal(unmeasured or [pl.lit(0)]).alias("gpus"))
    now = int(left.filter(pl.col("date") <= as_of).tail(1)["gpus"].sum())
    later = int(left.filter(pl.col("date") > as_of)["gpus"].max() or 0)  # type: ignore[arg-type]
    left_out = (
        f"\nVCs with no telemetry in the trace, so no block: {len(unmeasured)} VCs "
        f"({', '.join(unmeasured)}): {now:,} GPUs on {as_of}"
        + (f", up to {later:,} after it (to {days[-1]})" if later else "")
        + "."
        if unmeasured
        else ""
    )
    # A VC the quota file lacks (a team added after its export) gets no block: its demand
    # meets only blocks dedicated to other VCs, and the report's red read as the cluster's.
    no_quota = sorted(set(measured or ()) - set(all_vcs))
    if no_quota:
        left_out += (
            f"\nVCs with telemetry but no quota in the file, so no block: {len(no_quota)} "
            f"VC{'' if len(no_quota) == 1 else 's'} ({', '.join(no_quota)}): their demand has "
            "no capacity of its own in this plan."
        )

    header = (
        f"Generated by forecasting.traces.helios.helios_capacity_toml from {path.name}\n"
        "Helios trace (CC BY 4.0): Hu et al., SC'21; HeliosArtifact, Earth_gpu_number.csv.\n"
        f"Quotas {days[0]} to {days[-1]}; status as of {as_of}.\n"
        f"One-day blips smoothed: {', '.join(map(str, blips)) or 'none'}.\n"
        f"Assumed {NODE_KW} kW per {NODE_GPUS}-GPU node, PUE {PUE}.{left_out}"
    )
    policies = {
        workload_class: ClassPolicy(
            tier=tier,
            priority=priority,
            headroom=headroom,
            preemptible=preemptible,
            price_per_gpu_hour=PRICE_PER_GPU_HOUR,
        )
        for workload_class, tier, priority, headroom, preemptible in _POLICIES
    }
    blocks = [
        Block(
            id=f"{site}-{vc}-{n:02d}",
            kind=BlockKind.POD if layer.gpus >= POD_MIN_GPUS else BlockKind.RACK,
            region=region,
            site=site,
            gpu_type=gpu_type,
            gpus=layer.gpus,
            mw=round(layer.gpus * MW_PER_GPU, 6),
            status=_status(layer, as_of),
            in_service=layer.start,
            retire=layer.end,
            fabric=True,
            dedicated_customer=vc,
        )
        for vc in chosen
        for n, layer in enumerate(_layers(days, quotas[vc].to_list()), start=1)
    ]
    candidates = [
        CandidateBlock(
            name=name,
            kind=kind,
            gpu_type=gpu_type,
            gpus=nodes * NODE_GPUS,
            mw=round(nodes * NODE_GPUS * MW_PER_GPU, 6),
            lead_time_weeks=lead_weeks,
            capex_usd=round(nodes * V100_NODE_CAPEX_USD * (1 + network_share)),
            fabric=True,
            regions=(region,),
        )
        for name, kind, nodes, lead_weeks, network_share in _CANDIDATES
    ]
    plan = CapacityPlan(policy=policies, block=tuple(blocks), candidate=tuple(candidates))
    return dump_plan(plan, header=header)
