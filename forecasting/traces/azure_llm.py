"""Azure LLM inference request logs (code, conversation) to hourly inference telemetry.

Source (see SOURCES.md): Azure/AzurePublicDataset, ``data/AzureLLMInferenceTrace_code_2023.csv``
and ``..._conv_2023.csv``, verbatim; CC BY 4.0. Cite Patel et al., "Splitwise: Efficient
Generative LLM Inference Using Phase Splitting", ISCA'24. The same dataset's 2024 release
(``AzureLLMInferenceTrace_code_1week.csv``, ``..._conv_1week.csv``) has the same columns.

Mapping to telemetry:

* one request a row (TIMESTAMP, ContextTokens, GeneratedTokens): about one hour on 2023-11-16
  in the 2023 files, a week from 2024-05-10 in the 2024 ones;
* workload class = inference; customer = ``"code"`` or ``"conversation"`` from the file name,
  because the trace names no tenant: the two services are the only split it has;
* requests = requests arriving in the hour; tokens = context + generated tokens summed;
* gpus_running = tokens per second over the part of the hour the log covers, divided by an
  assumed sustained tokens/s per GPU. The first and last hours are only partly covered (the 2023
  logs start at 18:15 or 18:17 and stop at 19:14), so their rate is taken over the covered seconds:
  the rest of the hour is unobserved, not idle. A partly covered hour with too few requests to
  measure its rate (:attr:`AzureLLMOptions.max_rate_error`: one request a second into an hour
  read as 2 GPUs) has no row: missing, not extrapolated. Hours inside the log with no request
  get a row of zeros, because there the log was running and nothing arrived;
* gpus_queued = 0: the log has arrivals only.

TIMESTAMP comes in the two shapes Azure published: the 2023 files read like
``2023-11-16 18:17:03.9799600`` (naive, seven fractional digits, in ``source_timezone``), the
2024 one-week files (``AzureLLMInferenceTrace_code_1week.csv``, May 10-19 2024; Stojkovic et al.,
"DynamoLLM", HPCA 2025) like ``2024-05-10 00:00:00.009930+00:00`` (a UTC offset, six digits, none
on a whole second). Each is parsed with its exact format at nanosecond precision; a value of
neither shape is not guessed: the scan fails, naming the file, row, column and value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType

import polars as pl

from forecasting.schema import WorkloadClass
from forecasting.traces import (
    REFUSED_SCHEMA,
    TraceFormatError,
    TraceReport,
    hour_of,
    numbered,
    read_header,
    refused_rows_error,
    rule_breaking,
    scan_trace_csv,
    split_rows,
    to_telemetry,
    wide_rows,
)

__all__ = [
    "AZURE_DTYPES",
    "CUSTOMER_BY_FILE",
    "OFFSET_TIMESTAMP_FORMAT",
    "TIMESTAMP_FORMAT",
    "TOKEN_COLUMNS",
    "AzureLLMOptions",
    "arrival",
    "report_azure_llm",
    "scan_azure_llm",
]

TRACE = "Azure LLM inference trace (AzureLLMInferenceTrace_*_2023.csv or *_1week.csv)"

AZURE_DTYPES: Mapping[str, pl.DataType] = MappingProxyType(
    {"TIMESTAMP": pl.String(), "ContextTokens": pl.Int64(), "GeneratedTokens": pl.Int64()}
)

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
"""Date, time, then a dot and the fractional seconds (seven digits in the 2023 files): naive."""

OFFSET_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S%.f%:z"
"""The 2024 files' shape: fractional seconds (absent on a whole second), then a UTC offset."""

TOKEN_COLUMNS = ("ContextTokens", "GeneratedTokens")
"""Counts summed into an hour's tokens: each must be present and at least zero."""

CUSTOMER_BY_FILE: Mapping[str, str] = MappingProxyType({"_code_": "code", "_conv_": "conversation"})
"""File-name fragment -> customer label, for the two published files."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AzureLLMOptions:
    """How an Azure LLM request log becomes telemetry. Every default is documented."""

    region: str = "azure"
    """Region label; the trace does not say which Azure region served it."""
    cluster: str = "azure-llm"
    """Cluster label."""
    customer: str | None = None
    """Customer label; None derives it from the file name (see :data:`CUSTOMER_BY_FILE`)."""
    gpu_type: str = "A100"
    """Splitwise characterises these services on DGX-A100 (and H100) machines."""
    tokens_per_s_per_gpu: float = 1_500.0
    """Assumed sustained context + generated tokens per second of one A100 serving a 70B-class
    model (Splitwise's Llama2-70B): prompts dominate the token count and prefill runs at a few
    thousand tokens/s per GPU, decode at a few hundred, so 1,500 is a blended figure."""
    source_timezone: str = "UTC"
    """Zone of the naive TIMESTAMP values; Azure logs are kept in UTC."""
    max_quiet_hours: int = 24
    """Most hours in a row without a request that still read as zero demand; a longer run is a
    gap in the log (no rows: missing). The published logs never go an hour without a request,
    and one request mistyped a month early filled that month with measured zeros."""

    max_rate_error: float = 0.2
    """Largest relative sampling error of a partly covered hour's rate: an hour the log covers a
    share ``f`` of, with ``n`` requests in it, extrapolates the unseen rest with an error of
    about sqrt((1 - f) / n), and above this it is left missing (so a partial hour needs at
    least 25 requests per unseen hour's share at the default). One request a second into an
    hour read as 2 GPUs, three times its neighbours, and set the day's peak."""

    def __post_init__(self) -> None:
        if self.max_rate_error <= 0:
            raise ValueError("max_rate_error must be positive")
        if self.tokens_per_s_per_gpu <= 0:
            raise ValueError("tokens_per_s_per_gpu must be positive")
        if self.max_quiet_hours < 0:
            raise ValueError("max_quiet_hours cannot be negative")


def arrival(time_zone: str) -> pl.Expr:
    """TIMESTAMP as a UTC datetime: with its offset where it has one (2024 files), else read in
    ``time_zone`` (2023 files); null where it has neither shape."""
    text = pl.col("TIMESTAMP")
    with_offset = text.str.strptime(
        pl.Datetime("ns", "UTC"), OFFSET_TIMESTAMP_FORMAT, strict=False, exact=True
    )
    naive = (
        text.str.strptime(pl.Datetime("ns"), TIMESTAMP_FORMAT, strict=False, exact=True)
        .dt.replace_time_zone(time_zone, ambiguous="raise", non_existent="raise")
        .dt.convert_time_zone("UTC")
    )
    return pl.coalesce(with_offset, naive).alias("arrival")


TIMESTAMP_KIND = (
    "a timestamp in either published shape, 2023-11-16 18:17:03.9799600 (naive) or "
    "2024-05-10 00:00:00.009930+00:00 (UTC offset)"
)
"""What a TIMESTAMP must read like, as a refused row's rule says it."""


def _has_offset() -> pl.Expr:
    """Whether TIMESTAMP carries a UTC offset (the 2024 files' shape)."""
    return (
        pl.col("TIMESTAMP")
        .str.strptime(pl.Datetime("ns", "UTC"), OFFSET_TIMESTAMP_FORMAT, strict=False, exact=True)
        .is_not_null()
        .alias("offset")
    )


def _mixed_shapes(path: Path, stamps: pl.LazyFrame, *, offset_rows: int, rows: int) -> None:
    """Raise naming the first row of the rarer TIMESTAMP shape and the first of the other.

    A log keeps one shape (the 2023 files naive, the 2024 files with an offset): one request
    stamped with +08:00 in a naive log landed eight hours before the rest, and the hours
    between read as measured zero demand.
    """
    rarer = offset_rows <= rows - offset_rows
    first = (
        numbered(stamps)
        .group_by("offset")
        .agg(pl.col("__row").min().alias("row"), pl.col("TIMESTAMP").sort_by("__row").first())
        .collect()
    )
    odd = first.filter(pl.col("offset") == rarer).row(0, named=True)
    usual = first.filter(pl.col("offset") != rarer).row(0, named=True)
    shape = (
        "has a UTC offset where row {} has none"
        if rarer
        else "has no UTC offset where row {} has one"
    )
    raise TraceFormatError(
        f"{path}: column TIMESTAMP: row {odd['row']} ({odd['TIMESTAMP']!r}) "
        f"{shape.format(usual['row'])} ({min(offset_rows, rows - offset_rows):,} of {rows:,} rows "
        "so): a log keeps one shape, and a stamp of the other lands hours from the rest, the "
        "hours between reading as zero demand; fix the rows, nothing of the file was loaded"
    )


def _customer(path: Path, options: AzureLLMOptions) -> str:
    if options.customer is not None:
        return options.customer
    matches = {label for fragment, label in CUSTOMER_BY_FILE.items() if fragment in path.name}
    if len(matches) != 1:
        # A format error, not a ValueError: ingest fails this file alone and goes on (it was
        # a traceback that left the files after it unread).
        raise TraceFormatError(
            f"{path}: cannot tell code from conversation by the file name (looked for "
            f"{' or '.join(CUSTOMER_BY_FILE)}): rename it so its name holds one of them, as the "
            "published AzureLLMInferenceTrace_code_2023.csv does, or set "
            "AzureLLMOptions(customer=...); nothing of the file was loaded"
        )
    return matches.pop()


def _per_hour(read: pl.LazyFrame) -> pl.DataFrame:
    """Requests, tokens, first and last arrival per hour of the log ``read`` (one streaming
    pass), with the rows of no hour (ts null) and those breaking a rule counted."""
    return (
        read.group_by(hour_of(pl.col("arrival")).alias("ts"))
        .agg(
            pl.len().cast(pl.Float64).alias("requests"),
            (pl.col("ContextTokens") + pl.col("GeneratedTokens"))
            .sum()
            .cast(pl.Float64)
            .alias("tokens"),
            pl.col("arrival").min().alias("first"),
            pl.col("arrival").max().alias("last"),
            rule_breaking(TOKEN_COLUMNS).sum().alias("breaking"),
            pl.col("offset").sum().alias("offset_rows"),
        )
        .collect(engine="streaming")
    )


def _hourly(path: Path, options: AzureLLMOptions) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """Per hour inside the log: requests, tokens and the seconds of the hour the log covers;
    and the requests refused (:data:`REFUSED_SCHEMA`), left out of their hours.

    One streaming pass over the log, to hours (a week of requests is millions of rows; its
    hours are a few hundred), then the hours in between filled from that small frame. A log
    with a request that cannot be placed in an hour or counted (a timestamp of neither shape,
    '12x' or -4 tokens) is read once more as text, and those requests alone are refused: the
    whole log was, for one request.
    """
    stamped = (arrival(options.source_timezone), _has_offset())
    source = scan_trace_csv(path, AZURE_DTYPES, trace=TRACE)
    refused = REFUSED_SCHEMA.to_frame()
    try:
        per_hour = _per_hour(source.with_columns(*stamped))
        clean = not per_hour["ts"].has_nulls() and not per_hour["breaking"].sum()
    except pl.exceptions.ComputeError:  # a value not of its column's type
        clean = False
    # The typed read skips a row's fields past the header's: a shifted row loaded unseen.
    clean = clean and wide_rows(path, len(AZURE_DTYPES)).is_empty()
    if not clean:
        source, refused = split_rows(
            path,
            AZURE_DTYPES,
            measured=TOKEN_COLUMNS,
            parsers={"TIMESTAMP": (arrival(options.source_timezone), TIMESTAMP_KIND)},
        )
        per_hour = _per_hour(source.with_columns(*stamped))
    read = source.with_columns(*stamped)
    offset_rows, rows = int(per_hour["offset_rows"].sum()), int(per_hour["requests"].sum())
    if 0 < offset_rows < rows:
        _mixed_shapes(path, read, offset_rows=offset_rows, rows=rows)
    per_hour = per_hour.drop("offset_rows", "breaking")
    if refused.height:
        refused = _refused_hours(refused, path, options)
    if per_hour.is_empty():
        # A header alone: no hour, where the hours between a null first and last request made
        # one hour of nothing, and its report a traceback.
        return per_hour.lazy().with_columns(
            pl.lit(None, pl.Float64).alias("covered_s"), pl.lit(False).alias("sparse")
        ), refused
    span = per_hour.lazy().select(pl.col("first").min(), pl.col("last").max())
    hours = span.select(
        pl.datetime_ranges(hour_of(pl.col("first")), hour_of(pl.col("last")), "1h").alias("ts"),
    ).explode("ts")
    quiet = pl.col("requests").is_null()
    run = (quiet != quiet.shift(1)).cum_sum()
    # Each stretch of the log between gaps covers its hours from its own first request to its
    # own last: the hour after a gap is seen from its first request, not whole.
    part = (pl.col("ts").diff() > pl.duration(hours=1)).fill_null(False).cum_sum()
    start = pl.max_horizontal(pl.col("ts"), pl.col("first").min().over(part))
    end = pl.min_horizontal(pl.col("ts") + pl.duration(hours=1), pl.col("last").max().over(part))
    return (
        hours.join(per_hour.lazy(), on="ts", how="left")
        .sort("ts")
        # A run of hours without a request longer than max_quiet_hours is a gap in the log.
        .filter(~quiet | (pl.len().over(run) <= options.max_quiet_hours))
        .with_columns(
            pl.col("requests", "tokens").fill_null(0.0),
            # A log whose only request sits on an hour boundary covers zero seconds of that hour;
            # one second keeps the rate finite and is below the log's own resolution of interest.
            (end - start)
            .dt.total_microseconds()
            .truediv(1e6)
            .clip(lower_bound=1.0)
            .alias("covered_s"),
        )
        .with_columns(_too_sparse(options.max_rate_error).alias("sparse"))
        .drop("first", "last")
    ), refused


def _refused_hours(refused: pl.DataFrame, path: Path, options: AzureLLMOptions) -> pl.DataFrame:
    """``refused`` with ``hour``: the UTC hour of each refused request, read from its raw
    row's TIMESTAMP, null where it has none (its hour is unknown)."""
    at = read_header(path).index("TIMESTAMP")
    stamp = pl.col("raw").str.split(",").list.get(at, null_on_oob=True).alias("TIMESTAMP")
    return (
        refused.with_columns(stamp)
        .with_columns(hour_of(arrival(options.source_timezone)).alias("hour"))
        .drop("TIMESTAMP")
    )


def _too_sparse(max_error: float) -> pl.Expr:
    """True on an hour whose rate, extrapolated from the part of it the log covers, carries a
    relative sampling error above ``max_error``: sqrt((1 - f) / n) for a covered share f and
    n requests (an hour covered whole is counted, not extrapolated, whatever its n)."""
    unseen = (1 - pl.col("covered_s") / 3600).clip(lower_bound=0.0)
    return pl.col("requests") * max_error**2 < unseen


def scan_azure_llm(path: Path, options: AzureLLMOptions) -> pl.LazyFrame:
    """Hourly inference telemetry from one request log: requests, tokens, GPUs from tokens/s."""
    # _hourly checks the header first: a wrong file is the first error.
    hourly, refused = _hourly(path, options)
    if refused.height:
        # Left out of their hours, they were lost without a word: a scan has no quarantine.
        raise refused_rows_error(path, refused, adapter="azure-llm")
    return _telemetry(hourly, path, options)


def report_azure_llm(path: Path, options: AzureLLMOptions) -> TraceReport:
    """Requests read, hours produced, hours with no request, and how much of each hour is seen."""
    hourly, refused = _hourly(path, options)
    return _report(hourly.sort("ts").collect(), path, options, refused=refused)


def read_azure_llm(
    path: Path, options: AzureLLMOptions
) -> tuple[pl.LazyFrame, Callable[[], TraceReport]]:
    """:func:`scan_azure_llm` and :func:`report_azure_llm` from one pass over the log: its
    hours are a few hundred rows, read twice the log was millions."""
    lazy, refused = _hourly(path, options)
    hourly = lazy.sort("ts").collect()
    return _telemetry(hourly.lazy(), path, options), partial(
        _report, hourly, path, options, refused=refused
    )


def _telemetry(hourly: pl.LazyFrame, path: Path, options: AzureLLMOptions) -> pl.LazyFrame:
    """The log's hours (:func:`_hourly`) as telemetry rows, but those too sparsely covered."""
    hourly = hourly.filter(~pl.col("sparse")).with_columns(
        (pl.col("tokens") / pl.col("covered_s") / options.tokens_per_s_per_gpu).alias(
            "gpus_running"
        ),
        pl.lit(0.0).alias("gpus_queued"),
        pl.lit(options.region).alias("region"),
        pl.lit(options.cluster).alias("cluster"),
        pl.lit(WorkloadClass.INFERENCE.value).alias("workload_class"),
        pl.lit(_customer(path, options)).alias("customer"),
        pl.lit(options.gpu_type).alias("gpu_type"),
    )
    return to_telemetry(hourly)


def _report(
    hourly: pl.DataFrame, path: Path, options: AzureLLMOptions, *, refused: pl.DataFrame
) -> TraceReport:
    """The report of the log's hours and refused requests (:func:`_hourly`, sorted)."""
    _customer(path, options)  # a name that says neither code nor conv fails as scan would
    sparse = hourly.filter(pl.col("sparse"))
    requests_read = int(hourly["requests"].sum())
    # The gaps are the hours with no request, so an hour left missing for too few is not one.
    gaps = [
        (before + timedelta(hours=1), after - timedelta(hours=1))
        for before, after in pairwise(hourly["ts"].to_list())
        if after - before > timedelta(hours=1)
    ]
    hourly = hourly.filter(~pl.col("sparse"))
    stamps = hourly["ts"].to_list()
    notes = (
        *(
            f"hour {ts:%Y-%m-%d %H:%M} UTC: {_minutes_seen(covered)} of 60 minutes in the log"
            for ts, covered in hourly.select("ts", "covered_s").rows()
            if covered < 3600
        ),
        *(
            f"hour {ts:%Y-%m-%d %H:%M} UTC: {requests:,.0f} request(s) in "
            f"{_minutes_seen(covered)} of 60 minutes in the log, too few to measure the "
            "hour's rate (extrapolated, its sampling error would exceed "
            f"{options.max_rate_error:.0%}): left missing, not "
            "extrapolated"
            for ts, requests, covered in sparse.select("ts", "requests", "covered_s").rows()
        ),
        *(
            f"no request for {_hours(first, last):,} hours, {first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M} UTC: read as a gap in the log (missing), not as zero demand"
            for first, last in gaps
        ),
        *_refused_notes(refused),
    )
    return TraceReport(
        adapter="azure-llm",
        source=str(path),
        rows_read=requests_read,
        rows_out=hourly.height,
        hours=hourly.height,
        first_ts=stamps[0] if stamps else None,
        last_ts=stamps[-1] if stamps else None,
        zero_rows=hourly.filter(pl.col("requests") == 0).height,
        gaps=sum(_hours(first, last) for first, last in gaps),
        notes=notes,
        refused=refused.drop("hour", strict=False),
    )


def _refused_notes(refused: pl.DataFrame, *, most: int = 5) -> tuple[str, ...]:
    """What the refused requests cost their hours: each is a request the hour does not count
    (its requests, tokens and GPUs are short by it; the hour is kept, not marked), and one
    with no readable time leaves some hour short that cannot be named."""
    if not refused.height:
        return ()
    per_hour = (
        refused.filter(pl.col("hour").is_not_null())
        .group_by("hour")
        .agg(pl.len().alias("n"), pl.col("row").min().alias("first"))
        .sort("hour")
    )
    shown = [
        f"{hour:%Y-%m-%d %H:%M} UTC ({n:,}, from row {first:,})"
        for hour, n, first in per_hour.head(most).iter_rows()
    ]
    more = f" and {per_hour.height - most:,} hour(s) more" if per_hour.height > most else ""
    placed = int(per_hour["n"].sum())
    notes = []
    if placed:
        notes.append(
            f"{placed:,} request(s) refused (quarantined) in {per_hour.height:,} hour(s): "
            f"{', '.join(shown)}{more}: those hours count the requests left, so their "
            "requests, tokens and GPUs are short by the refused ones (the hours are kept)"
        )
    if refused.height > placed:
        notes.append(
            f"{refused.height - placed:,} request(s) refused with no readable TIMESTAMP: their "
            "hours are unknown, so some hour is short by them"
        )
    return tuple(notes)


def _minutes_seen(covered_s: float) -> str:
    """Minutes of an hour the log covered, rounded down: 3,598.5 s read "60.0 of 60 minutes",
    a partial hour that said it was whole."""
    return f"{math.floor(covered_s / 6) / 10:.1f}"


def _hours(first: datetime, last: datetime) -> int:
    """Hours from ``first`` to ``last``, both counted."""
    return (last - first) // timedelta(hours=1) + 1
