"""ServeGen per-client request rates (10-minute windows) to hourly inference telemetry.

Source (see SOURCES.md): alibaba/ServeGen, ``data/<category>/<model>/chunk-<client>-trace.csv``
joined with category, model and client_id columns; Apache-2.0. Cite Xiang et al., "ServeGen:
Workload Characterization and Generation of Large Language Model Serving in Production", NSDI'26.

Mapping to telemetry:

* customer = ``"<model>/<client_id>"``: client ids restart at 0 for every model;
* workload class = inference for every row;
* ts = :attr:`ServeGenOptions.start` + ``t_s`` seconds: the trace has no calendar dates, so day 0
  is placed on a fixed, documented date;
* requests = rate x 600 s, summed over the windows of the hour;
* gpus_running = mean over the hour's windows of rate / (requests/s one GPU sustains), from the
  per-model :class:`ModelProfile`. The trace has no GPU counts and no token counts, so this is an
  estimate resting on the assumed profiles, and ``tokens`` stays null rather than invented;
* gpus_queued = 0: the trace records arrivals, not a queue.

A row of a model with no profile is refused by :func:`read_servegen` (ingest quarantines it by
its row in the file: "model 'm-huge' has no GPU profile: ...") rather than counting GPUs nobody
estimated; the file's ingest notes name such models ("unmapped model=..."), on a file that fails
for them too. :func:`scan_servegen`, which reads the file whole, gives their hours null
gpus_running and gpu_type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
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
    output_span,
    read_header,
    rule_breaking,
    rule_breaking_error,
    scan_lines_csv,
    scan_trace_csv,
    split_rows,
    to_telemetry,
    wide_rows,
)

__all__ = [
    "DEFAULT_PROFILES",
    "DEFAULT_START",
    "MEASURED_COLUMNS",
    "PLACED_CALENDAR",
    "SERVEGEN_DTYPES",
    "WINDOW_SECONDS",
    "ModelProfile",
    "ServeGenOptions",
    "read_servegen",
    "report_servegen",
    "scan_servegen",
    "window_start",
]

TRACE = "ServeGen client-rate trace (chunk-*-trace.csv joined, with category, model, client_id)"

WINDOW_SECONDS = 600
"""Every ServeGen trace row covers a 10-minute window starting at ``t_s``."""

SERVEGEN_DTYPES: Mapping[str, pl.DataType] = MappingProxyType(
    {
        "category": pl.String(),
        "model": pl.String(),
        "client_id": pl.Int64(),
        "t_s": pl.Int64(),
        "rate_rps": pl.Float64(),
        "cv": pl.Float64(),
        "arrival_pattern": pl.String(),
        "pat_arg1": pl.Float64(),
        "pat_arg2": pl.Float64(),
    }
)

MEASURED_COLUMNS = ("client_id", "t_s", "rate_rps")
"""The columns an hour is built of: each must be present and at least zero."""

DEFAULT_START = date(2025, 1, 6)
"""Day 0 of the trace. Arbitrary (the real day is not published); a Monday, so that weekly
features line up with the calendar week if day 0 was one. Change it when the truth is known."""

PLACED_CALENDAR = (
    "dates placed: the ServeGen trace has no calendar, and day 0 is placed on {day0} "
    "(ServeGenOptions.start in forecasting/traces/servegen.py; ingest has no option to move it), "
    "so the as-of date, exhaustion, order-by and contract-by dates and the telemetry's age count "
    "from that placement, not from a real day"
)
"""What every output resting on ServeGen rows says of their dates (``{day0}``: day 0)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelProfile:
    """Assumed serving cost of one model: how many requests per second one GPU sustains.

    requests/s per GPU = tokens_per_s_per_gpu / tokens_per_request, where tokens are input plus
    output of a typical request, and tokens/s is the GPU's sustained throughput for that model at
    serving batch sizes. Both are assumptions, not trace data.
    """

    tokens_per_request: float
    tokens_per_s_per_gpu: float
    gpu_type: str

    def __post_init__(self) -> None:
        if self.tokens_per_request <= 0 or self.tokens_per_s_per_gpu <= 0:
            raise ValueError("tokens_per_request and tokens_per_s_per_gpu must be positive")

    @property
    def requests_per_s_per_gpu(self) -> float:
        """Sustained requests per second of one GPU."""
        return self.tokens_per_s_per_gpu / self.tokens_per_request


DEFAULT_PROFILES: Mapping[str, ModelProfile] = MappingProxyType(
    {
        # ServeGen names the language models only by size. Assumed: m-small a ~7B dense model,
        # m-mid ~30B, m-large ~70B+, all on H100, with ~1,500 tokens per request (prompts of a
        # few hundred to a few thousand tokens, short answers). Sustained tokens/s per GPU fall
        # roughly with active parameters: 10k, 3k, 1k.
        "m-small": ModelProfile(
            tokens_per_request=1_500, tokens_per_s_per_gpu=10_000, gpu_type="H100"
        ),
        "m-mid": ModelProfile(
            tokens_per_request=1_500, tokens_per_s_per_gpu=3_000, gpu_type="H100"
        ),
        "m-large": ModelProfile(
            tokens_per_request=1_500, tokens_per_s_per_gpu=1_000, gpu_type="H100"
        ),
        # DeepSeek-R1: 671B-parameter MoE with 37B active, served on 8-GPU H100 nodes; reasoning
        # answers run to thousands of tokens (ServeGen reports bimodal reasoning lengths), so
        # ~4,000 tokens per request at ~400 decode-dominated tokens/s per GPU.
        "deepseek-r1": ModelProfile(
            tokens_per_request=4_000, tokens_per_s_per_gpu=400, gpu_type="H100"
        ),
        # mm-image: a Qwen-VL-class ~7B vision-language model; an image adds ~1,000 prompt
        # tokens, so ~2,000 tokens per request at ~5,000 prefill-heavy tokens/s per GPU.
        "mm-image": ModelProfile(
            tokens_per_request=2_000, tokens_per_s_per_gpu=5_000, gpu_type="H100"
        ),
    }
)
"""Per-model serving assumptions for the five ServeGen models; see each entry's comment."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeGenOptions:
    """How ServeGen rates become telemetry. Every default is documented on its field."""

    region: str = "servegen"
    """Region label; the trace does not say where requests were served."""
    cluster: str = "model-studio"
    """Cluster label: Alibaba Cloud Model Studio (Bailian), where the trace was recorded."""
    start: date = DEFAULT_START
    """Calendar date of day 0 (00:00 UTC)."""
    profiles: Mapping[str, ModelProfile] = field(default_factory=lambda: DEFAULT_PROFILES)
    """Model -> serving profile; gpu_type comes from here too."""


def window_start(start: date) -> pl.Expr:
    """UTC start of each row's window: ``start`` at 00:00 plus ``t_s`` seconds."""
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return (pl.lit(origin) + pl.duration(seconds=pl.col("t_s"))).alias("window")


def _profiles_frame(profiles: Mapping[str, ModelProfile]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "model": list(profiles),
            "rps_per_gpu": [p.requests_per_s_per_gpu for p in profiles.values()],
            "gpu_type": [p.gpu_type for p in profiles.values()],
        },
        schema={"model": pl.String, "rps_per_gpu": pl.Float64, "gpu_type": pl.String},
    )


def scan_servegen(path: Path, options: ServeGenOptions) -> pl.LazyFrame:
    """Hourly telemetry per model/client: requests summed, GPUs from the assumed throughput."""
    return _telemetry(_hourly(path, options), options)


def report_servegen(path: Path, options: ServeGenOptions) -> TraceReport:
    """Rows, missing 10-minute windows per client, zero-rate windows, models with no profile."""
    hourly, refused = _read_hourly(path, options)
    return _report(hourly, path, options, refused=refused)


def read_servegen(
    path: Path, options: ServeGenOptions
) -> tuple[pl.LazyFrame, Callable[[], TraceReport]]:
    """:func:`scan_servegen` and :func:`report_servegen` from one pass over the file: its hours
    carry what the report counts, where the two read the file three times."""
    hourly, refused = _read_hourly(path, options)
    return _telemetry(hourly.lazy(), options), partial(
        _report, hourly, path, options, refused=refused
    )


def _read_hourly(path: Path, options: ServeGenOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file's hours (:func:`_hourly`) of the windows that can be summed, and the rows
    refused (:data:`REFUSED_SCHEMA`): a value not of its column's type, or a client, time or
    rate empty, NaN, infinite or negative. A refused window is left out of its client's hour
    as a window missing from the grid is.

    The file is read typed once; only a file holding such a row is read again as text, which
    names the rows: one -0.05 requests/s refused the whole trace before.
    """
    source = scan_trace_csv(path, SERVEGEN_DTYPES, trace=TRACE)
    refused = REFUSED_SCHEMA.to_frame()
    try:
        hourly = _hourly_of(source, options).collect()
        clean = not hourly["breaking"].sum()
    except pl.exceptions.ComputeError:  # a value not of its column's type
        clean = False
    # The typed read skips a row's fields past the header's: a shifted row loaded unseen.
    clean = clean and wide_rows(path, len(SERVEGEN_DTYPES)).is_empty()
    if not clean:
        source, refused = split_rows(path, SERVEGEN_DTYPES, measured=MEASURED_COLUMNS)
        hourly = _hourly_of(source, options).collect()
    if not hourly.filter(~_profiled(options)).is_empty():
        source, refused = _refuse_unprofiled(path, source, refused, options)
        hourly = _hourly_of(source, options).collect()
    return _checked(hourly, path, source), refused


def _profiled(options: ServeGenOptions) -> pl.Expr:
    """True on a row whose model has a serving profile (an empty model has none)."""
    return pl.col("model").is_in(list(options.profiles)).fill_null(False)


def _refuse_unprofiled(
    path: Path, source: pl.LazyFrame, refused: pl.DataFrame, options: ServeGenOptions
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """``source`` without the rows of models with no profile, and ``refused`` with them added
    by their row, naming the model: their hours went to ingest with no GPU type and were
    quarantined as "gpu_type: missing value", which named neither the model nor why. Its own
    read of the file as text (for the rows' fields), made only once such a model is met."""
    header = read_header(path)
    text = scan_lines_csv(path, schema=dict.fromkeys(header, pl.String()), has_header=True)
    rule = pl.when(pl.col("model").is_null()).then(
        pl.lit("is empty, so the row has no GPU profile")
    ).otherwise(pl.format("model '{}' has no GPU profile", pl.col("model"))) + pl.lit(
        ": its requests cannot be turned into GPUs (add a ModelProfile for it to "
        "ServeGenOptions.profiles), so the row is not loaded"
    )
    unprofiled = (
        text.with_row_index("row", offset=1)
        # A row split_rows refused already keeps its first rule.
        .filter(~_profiled(options) & ~pl.col("row").cast(pl.Int64).is_in(refused["row"]))
        .select(
            pl.col("row").cast(pl.Int64),
            pl.lit("model").alias("column"),
            rule.alias("rule"),
            pl.col("model").alias("value"),
            pl.concat_str([pl.col(n).fill_null("") for n in header], separator=",").alias("raw"),
        )
        .collect()
    )
    kept = numbered(source).filter(_profiled(options))
    return kept, pl.concat([refused, unprofiled]).sort("row")


def _checked(hourly: pl.DataFrame, path: Path, source: pl.LazyFrame) -> pl.DataFrame:
    """The file's hours, once no window breaks a rule of :func:`rule_breaking` (a negative
    rate averaged into its hour lowered it without a word) and none is off the grid or
    repeated (``source``: the file's typed rows, to name them)."""
    if hourly["breaking"].sum():
        raise rule_breaking_error(
            path, SERVEGEN_DTYPES, columns=MEASURED_COLUMNS, adapter="servegen"
        )
    if hourly["off_grid"].sum() or (hourly["rows"] > hourly["windows"]).any():
        raise _window_error(path, source)
    return hourly


def _window_error(path: Path, source: pl.LazyFrame, *, most: int = 3) -> TraceFormatError:
    """The error naming the first rows whose window is off the 10-minute grid or repeats an
    earlier row's for the same client: summed into its hour, a chunk appended twice counted
    its windows' requests twice without a word. Its own pass, made only once one was counted.
    """
    bad = (
        numbered(source)
        .select(pl.col("__row").alias("row"), "model", "client_id", "t_s")
        .with_columns(pl.col("row").min().over("model", "client_id", "t_s").alias("first"))
        .filter((pl.col("t_s") % WINDOW_SECONDS != 0) | (pl.col("row") != pl.col("first")))
        .with_columns(pl.len().alias("rows"))
        .head(most)
        .collect()
    )
    shown = [
        f"row {row}, column t_s: {t_s} "
        + (
            f"is not on the {WINDOW_SECONDS}-second grid"
            if t_s % WINDOW_SECONDS
            else f"repeats the window of row {first} for {model} client {client}"
        )
        for row, model, client, t_s, first in bad.select(
            "row", "model", "client_id", "t_s", "first"
        ).iter_rows()
    ]
    total = bad["rows"][0] if bad.height else 0
    more = f" ({total:,} rows in all)" if total > len(shown) else ""
    return TraceFormatError(
        f"{path}: {'; '.join(shown) or 'a window is off its grid or repeated'}{more}. The "
        "servegen adapter sums each client's 10-minute windows into hours, so nothing of the "
        "file was loaded: fix or remove the rows named and ingest it again"
    )


def _hourly(path: Path, options: ServeGenOptions) -> pl.LazyFrame:
    """The file's windows summed per hour, model and client, with the counts the report needs."""
    return _hourly_of(scan_trace_csv(path, SERVEGEN_DTYPES, trace=TRACE), options)


def _hourly_of(source: pl.LazyFrame, options: ServeGenOptions) -> pl.LazyFrame:
    """:func:`_hourly` of the typed rows ``source``."""
    return (
        source.join(_profiles_frame(options.profiles), on="model", how="left")
        .group_by(
            hour_of(window_start(options.start)).alias("ts"),
            "model",
            "client_id",
            "gpu_type",
        )
        .agg(
            # Summed exactly, whatever the file's row order: the plain copy of a gzip trace,
            # read in other chunks, summed floats to other last digits, and ingest called the
            # same hour a changed value, "what the earlier held of it is not counted".
            _exact_sum(pl.col("rate_rps") * WINDOW_SECONDS).alias("requests"),
            # Mean over the windows present: a missing window is unknown, not zero traffic.
            pl.when(pl.col("rps_per_gpu").is_not_null().any())
            .then(
                _exact_sum(pl.col("rate_rps") / pl.col("rps_per_gpu")) / pl.col("rate_rps").count()
            )
            .alias("gpus_running"),
            pl.len().alias("rows"),
            pl.col("t_s").n_unique().alias("windows"),
            (pl.col("t_s") % WINDOW_SECONDS != 0).sum().alias("off_grid"),
            (pl.col("rate_rps") == 0).sum().alias("zero"),
            pl.col("t_s").min().alias("first_t"),
            pl.col("t_s").max().alias("last_t"),
            rule_breaking(MEASURED_COLUMNS).sum().alias("breaking"),
        )
    )


EXACT_UNITS = 1e9
"""Sums over an hour's windows are added as whole billionths, so their order cannot change
the result (a float sum's last digits follow the order its terms are added in)."""


def _exact_sum(values: pl.Expr) -> pl.Expr:
    """The sum of ``values`` over a group, in billionths added as integers: the same whatever
    the order of the rows (a NaN or infinite value adds nothing; the file fails on it)."""
    whole = (values * EXACT_UNITS).round().cast(pl.Int64, strict=False)
    return whole.sum() / EXACT_UNITS


def _telemetry(hourly: pl.LazyFrame, options: ServeGenOptions) -> pl.LazyFrame:
    """The file's hours (:func:`_hourly`) as telemetry rows."""
    return to_telemetry(
        hourly.with_columns(
            pl.lit(options.region).alias("region"),
            pl.lit(options.cluster).alias("cluster"),
            pl.lit(WorkloadClass.INFERENCE.value).alias("workload_class"),
            pl.format("{}/{}", "model", "client_id").alias("customer"),
            pl.lit(0.0).alias("gpus_queued"),
        )
    )


def _report(
    hourly: pl.DataFrame, path: Path, options: ServeGenOptions, *, refused: pl.DataFrame
) -> TraceReport:
    """The report of the file's hours (:func:`_hourly`) and its refused rows."""
    per_client = hourly.group_by("model", "client_id").agg(
        pl.col("rows").sum(),
        # A window belongs to one hour, so the distinct windows of a client add over its hours.
        ((pl.col("last_t").max() - pl.col("first_t").min()) // WINDOW_SECONDS + 1)
        .sub(pl.col("windows").sum())
        .alias("gaps"),
        pl.col("zero").sum(),
        pl.col("last_t").max(),
    )
    per_model = (
        per_client.group_by("model")
        .agg(pl.col("rows").sum(), pl.len().alias("clients"), pl.col("last_t").max())
        .sort("model")
    )
    # The rows of models with no profile are refused (:func:`_refuse_unprofiled`), not hours.
    unknown = {
        f"model={m}": int(n)
        for m, n in refused.filter(pl.col("column") == "model")
        .group_by("value")
        .len()
        .sort("value")
        .iter_rows()
    }
    out = output_span(_telemetry(hourly.lazy(), options))
    days = {
        m: (last + WINDOW_SECONDS) / 86_400
        for m, last in per_model.select("model", "last_t").rows()
    }
    notes = (
        PLACED_CALENDAR.format(day0=options.start),
        *(
            f"{m}: {c} clients over {_days_text(days[m])}"
            for m, c in per_model.select("model", "clients").rows()
        ),
        *_stopped_models(hourly, options),
        *_silent_client_hours(hourly),
        *_refused_note(refused, path, options),
    )
    return TraceReport(
        adapter="servegen",
        source=str(path),
        rows_read=int(per_client["rows"].sum()),
        rows_out=out["rows"],
        hours=out["hours"],
        first_ts=out["first"],
        last_ts=out["last"],
        gaps=int(per_client["gaps"].sum()),
        zero_rows=int(per_client["zero"].sum()),
        unknown=unknown,
        notes=notes,
        refused=refused,
    )


def _refused_note(refused: pl.DataFrame, path: Path, options: ServeGenOptions) -> list[str]:
    """What the refused windows cost their client-hours: each is left out as a missing window
    is, so that hour is incomplete: its GPUs are the mean over the windows left (the rate of
    the hour, unbiased), its requests the sum over them (short by the refused window's), and
    the window counts as a grid gap."""
    # A row of a model with no profile leaves no hour incomplete: the model has none.
    refused = refused.filter(pl.col("column") != "model")
    if not refused.height:
        return []
    header = read_header(path)
    field = pl.col("raw").str.split(",")
    hours = (
        refused.select(
            field.list.get(header.index("model"), null_on_oob=True).alias("model"),
            field.list.get(header.index("client_id"), null_on_oob=True)
            .cast(pl.Int64, strict=False)
            .alias("client"),
            field.list.get(header.index("t_s"), null_on_oob=True)
            .cast(pl.Int64, strict=False)
            .alias("t_s"),
        )
        .drop_nulls()
        .filter((pl.col("t_s") >= 0) & (pl.col("client") >= 0))
        .select("model", "client", hour_of(window_start(options.start)).alias("ts"))
        .unique()
        .sort("ts", "model", "client")
    )
    shown = ", ".join(
        f"{model}/{client} {ts:%Y-%m-%d %H:00}" for model, client, ts in hours.head(3).iter_rows()
    )
    more = f" and {hours.height - 3:,} more" if hours.height > 3 else ""
    within = f" in {hours.height:,} client-hour(s) ({shown}{more})" if hours.height else ""
    return [
        f"{refused.height:,} window(s) refused (quarantined){within}: each is left out as a "
        "missing window is, so its client-hour is incomplete: its GPUs are the mean over the "
        "windows left and its requests the sum over them (short by the refused window's); a "
        "refused row with no readable client or t_s leaves its hour unnamed"
    ]


def _days_text(days: float) -> str:
    """``3 hours``, ``1 day``, ``14 days``, ``1.2 days``: "over 1 days" and "over 1.16434
    days" before."""
    if days < 1:
        return f"{days * 24:.3g} hours"
    if abs(days - round(days)) < 1e-9:
        whole = round(days)
        return f"{whole} day" if whole == 1 else f"{whole} days"
    return f"{days:.1f} days"


def _silent_client_hours(hourly: pl.DataFrame) -> tuple[str, ...]:
    """One note for the hours with no window of a client between its first and last: a gap in
    the file, which loads no row, so the client's customer reads zero demand there and its
    region's total drops (ingest said only "grid gaps N"; outages are judged per region, and
    the other clients reported)."""
    if hourly.is_empty():
        return ()
    hour = timedelta(hours=1)
    per_client = (
        hourly.group_by("model", "client_id")
        .agg(
            (
                (pl.col("ts").max() - pl.col("ts").min()).dt.total_hours()
                + 1
                - pl.col("ts").n_unique()
            ).alias("missing"),
            # The first hour after one with no next: where the client's first gap starts.
            pl.col("ts")
            .unique()
            .sort()
            .filter(pl.col("ts").unique().sort().diff(-1) < -hour)
            .first()
            .alias("before_gap"),
        )
        .filter(pl.col("missing") > 0)
        .sort("missing", "model", "client_id", descending=[True, False, False])
    )
    if per_client.is_empty():
        return ()
    total = int(per_client["missing"].sum())
    model, client, most, before = per_client.row(0)
    clients = per_client.height
    return (
        f"{total:,} client-hours had no window between their client's first and last (a gap "
        f"in the file, not zero traffic), of {clients:,} client{'' if clients == 1 else 's'} "
        f"(the most: {model}/{client}, {most:,} hour{'' if most == 1 else 's'}, its first gap "
        f"from {before + hour:%Y-%m-%d %H:00} UTC): they load no row, so those customers' hours "
        "read as zero demand and their region's total drops there",
    )


def _stopped_models(hourly: pl.DataFrame, options: ServeGenOptions) -> tuple[str, ...]:
    """One note for the models whose rows end before the trace's last hour: ServeGen's
    deepseek-r1 and mm-image cover day 0 only, so the region total drops after it by what
    they ran there, because they stop being recorded, not because demand fell."""
    if hourly.is_empty():
        return ()
    per_hour = hourly.group_by("ts", "model").agg(pl.col("gpus_running").sum())
    last: datetime = per_hour.get_column("ts").max()  # type: ignore[assignment]
    ends = per_hour.group_by("model").agg(pl.col("ts").max().alias("until")).sort("model")
    stopped = ends.filter(pl.col("until") < last)
    if stopped.is_empty():
        return ()
    names = stopped.get_column("model").to_list()
    until = stopped.get_column("until").max()
    # Their hours only: what the total held of them while they were recorded.
    while_recorded = per_hour.filter(pl.col("ts") <= until)
    theirs = while_recorded.filter(pl.col("model").is_in(names)).get_column("gpus_running")
    hours = while_recorded.get_column("ts").n_unique()
    mean = float(theirs.sum() or 0.0) / hours
    share = float(theirs.sum() or 0.0) / float(
        while_recorded.get_column("gpus_running").sum() or 1.0
    )
    spans = ", ".join(
        f"{m} to {u:%Y-%m-%d %H:00}" for m, u in stopped.select("model", "until").rows()
    )
    return (
        f"recorded for part of the trace only: {spans} UTC, where the trace runs to "
        f"{last:%Y-%m-%d %H:00}. The {options.region} total drops after that by what they ran "
        f"({mean:,.0f} GPUs on average, {share:.0%} of the total while recorded) because they "
        "stop being recorded, not because demand fell; their customers' series end there too",
    )
