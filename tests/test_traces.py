"""Trace adapters on small slices of the real public traces (tests/fixtures/traces/README.md)."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from forecasting import ingest, warehouse
from forecasting.capacity import parse_capacity
from forecasting.rules import LONE_CR_RULE
from forecasting.schema import TELEMETRY_SCHEMA, WorkloadClass
from forecasting.traces import (
    ADAPTERS,
    WIDE_ROW_RULE,
    AzureLLMOptions,
    HeliosOptions,
    ServeGenOptions,
    TraceFormatError,
    azure_llm,
    helios_capacity_toml,
    wide_rows,
)
from forecasting.traces import helios as helios_trace
from forecasting.traces import servegen as servegen_trace
from forecasting.traces.servegen import DEFAULT_PROFILES

FIXTURES = Path(__file__).parent / "fixtures" / "traces"
HELIOS = FIXTURES / "helios_earth_vc_minute_2020-05-12_slice.csv.gz"
HELIOS_DAILY = FIXTURES / "helios_earth_vc_gpu_capacity_daily.csv"
SERVEGEN = FIXTURES / "servegen_client_rates_10min_slice.csv"
AZURE_CODE = FIXTURES / "AzureLLMInferenceTrace_code_2023_slice.csv"
AZURE_CONV = FIXTURES / "AzureLLMInferenceTrace_conv_2023_slice.csv"

UTC_HOUR = {  # the slice is 2020-05-12 13:00-17:59 Asia/Shanghai = 05:00-09:59 UTC
    local: datetime(2020, 5, 12, local - 8, tzinfo=UTC) for local in range(13, 18)
}


@pytest.fixture(scope="module")
def helios() -> pl.DataFrame:
    """The Helios slice through the adapter with default options."""
    return ADAPTERS["helios"].scan(HELIOS).collect()


def _row(frame: pl.DataFrame, ts: datetime, customer: str, workload_class: str) -> dict:
    rows = frame.filter(
        (pl.col("ts") == ts)
        & (pl.col("customer") == customer)
        & (pl.col("workload_class") == workload_class)
    )
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_registry_names_and_schema_exact(helios: pl.DataFrame) -> None:
    """Every registered adapter yields exactly TELEMETRY_SCHEMA, lazily, on its fixture."""
    assert set(ADAPTERS) == {"helios", "servegen", "azure-llm"}
    assert helios.schema == TELEMETRY_SCHEMA
    for name, path in (("servegen", SERVEGEN), ("azure-llm", AZURE_CODE)):
        frame = ADAPTERS[name].scan(path)
        assert isinstance(frame, pl.LazyFrame)
        assert frame.collect().schema == TELEMETRY_SCHEMA
    assert (
        helios.select(pl.col(c).null_count() for c in TELEMETRY_SCHEMA.names()[:8])
        .sum_horizontal()
        .item()
        == 0
    )


def test_helios_hourly_means_hand_checked(helios: pl.DataFrame) -> None:
    """Hourly means equal sums over the minutes present, checked by hand on the slice."""
    # vc6YE 13:00 local: 60 minutes, 10,528 training GPU-minutes running, nothing pending.
    row = _row(helios, UTC_HOUR[13], "vc6YE", "training")
    assert row["gpus_running"] == pytest.approx(10_528 / 60)
    assert row["gpus_queued"] == 0.0
    # vcpDC 16:00 local: minutes 16:00 and 16:01 are outage, so 58 minutes count.
    row = _row(helios, UTC_HOUR[16], "vcpDC", "training")
    assert row["gpus_running"] == pytest.approx(2_808 / 58)
    assert row["gpus_queued"] == pytest.approx(136 / 58)
    row = _row(helios, UTC_HOUR[16], "vcpDC", "experimentation")
    assert row["gpus_running"] == pytest.approx(188 / 58)
    assert row["gpus_queued"] == pytest.approx(3 / 58)
    assert (row["region"], row["cluster"], row["gpu_type"]) == ("helios", "earth", "V100")


def test_helios_outage_is_missing_not_zero(helios: pl.DataFrame) -> None:
    """Outage minutes are dropped: a fully dark hour has no row, edge hours average live minutes."""
    assert helios.filter(pl.col("ts") == UTC_HOUR[15]).height == 0
    # 14:00 local keeps only its first minute (14:01 onward is dark): vc6YE read 176 then.
    assert _row(helios, UTC_HOUR[14], "vc6YE", "training")["gpus_running"] == 176.0
    assert helios["ts"].n_unique() == 4
    report = ADAPTERS["helios"].report(HELIOS)
    assert report.outage_minutes == 121
    assert report.outage_windows == (
        (datetime(2020, 5, 12, 6, 1, tzinfo=UTC), datetime(2020, 5, 12, 8, 1, tzinfo=UTC)),
    )
    assert (report.rows_read, report.rows_out, report.hours, report.gaps) == (900, 24, 4, 0)


def test_helios_idle_vc_keeps_real_zeros(helios: pl.DataFrame) -> None:
    """A VC idle outside an outage yields rows of zero demand, counted in the report."""
    idle = helios.filter(pl.col("customer") == "vcJkd")
    assert idle.height == 8
    assert idle["gpus_running"].sum() == 0.0
    assert ADAPTERS["helios"].report(HELIOS).zero_rows == 300 - 121


def test_helios_options_remap_classes_and_filter_vcs() -> None:
    """The size->class mapping and VC filter are options; merged splits sum per minute."""
    options = HeliosOptions(
        size_classes={"noless_8": WorkloadClass.TRAINING, "less_8": WorkloadClass.TRAINING},
        vcs=("vcpDC",),
        gpu_type="V100-SXM2",
    )
    frame = ADAPTERS["helios"].scan(HELIOS, options=options).collect()
    assert frame["customer"].unique().to_list() == ["vcpDC"]
    assert frame["workload_class"].unique().to_list() == ["training"]
    row = _row(frame, UTC_HOUR[16], "vcpDC", "training")
    assert row["gpus_running"] == pytest.approx((2_808 + 188) / 58)
    with pytest.raises(ValueError, match="unmapped"):
        HeliosOptions(size_classes={"noless_8": WorkloadClass.TRAINING})


def test_servegen_gpus_follow_throughput_table() -> None:
    """GPUs = mean hourly rate / the profile's requests/s per GPU; requests = rate x 600 summed."""
    frame = ADAPTERS["servegen"].scan(SERVEGEN).collect()
    with SERVEGEN.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    day0 = datetime(2025, 1, 6, tzinfo=UTC)
    for model, client in (("m-large", "0"), ("deepseek-r1", "1")):
        for hour in range(3):
            rates = [
                float(r["rate_rps"])
                for r in rows
                if r["model"] == model
                and r["client_id"] == client
                and int(r["t_s"]) // 3600 == hour
            ]
            got = _row(frame, day0.replace(hour=hour), f"{model}/{client}", "inference")
            per_gpu = DEFAULT_PROFILES[model].requests_per_s_per_gpu
            assert got["requests"] == pytest.approx(sum(rates) * 600)
            assert got["gpus_running"] == pytest.approx(sum(rates) / len(rates) / per_gpu)
            assert got["gpu_type"] == DEFAULT_PROFILES[model].gpu_type
            assert got["gpus_queued"] == 0.0
    # Hand check: m-large/0 in hour 0 ran at 1.755 req/s summed over six windows.
    got = _row(frame, day0, "m-large/0", "inference")
    assert got["requests"] == pytest.approx(1_053.0)
    assert got["gpus_running"] == pytest.approx(1.755 / 6 / (1_000 / 1_500))


def test_servegen_start_date_and_unknown_model() -> None:
    """Day 0 moves with the start option; a model without a profile gets null GPUs where the
    file is scanned whole, and where it is read for ingest its rows are refused, each naming
    the model, and reported as unmapped."""
    options = ServeGenOptions(
        start=date(2024, 3, 1), profiles={"m-large": DEFAULT_PROFILES["m-large"]}
    )
    frame = ADAPTERS["servegen"].scan(SERVEGEN, options=options).collect()
    assert frame["ts"].min() == datetime(2024, 3, 1, tzinfo=UTC)
    unknown = frame.filter(pl.col("customer").str.starts_with("deepseek-r1/"))
    assert unknown.height == 6
    assert unknown["gpus_running"].null_count() == 6
    report = ADAPTERS["servegen"].report(SERVEGEN, options=options)
    assert report.unknown == {"model=deepseek-r1": 36}
    assert (report.rows_read, report.rows_out, report.hours) == (90 - 36, 15 - 6, 3)
    assert report.refused.height == 36
    assert set(report.refused["column"]) == {"model"}
    assert report.refused["rule"][0].startswith("model 'deepseek-r1' has no GPU profile: ")


def _azure_by_hour(path: Path) -> dict[str, tuple[int, int]]:
    totals: dict[str, tuple[int, int]] = {}
    with path.open(newline="") as handle:
        for r in csv.DictReader(handle):
            n, tokens = totals.get(r["TIMESTAMP"][:13], (0, 0))
            totals[r["TIMESTAMP"][:13]] = (
                n + 1,
                tokens + int(r["ContextTokens"]) + int(r["GeneratedTokens"]),
            )
    return totals


def test_azure_tokens_and_requests_sum_per_hour() -> None:
    """Requests count and context+generated tokens sum per hour; GPUs from the covered seconds."""
    frame = ADAPTERS["azure-llm"].scan(AZURE_CODE).collect()
    expected = _azure_by_hour(AZURE_CODE)
    assert frame["customer"].unique().to_list() == ["code"]
    assert frame.height == len(expected) == 2
    for row in frame.iter_rows(named=True):
        n, tokens = expected[row["ts"].strftime("%Y-%m-%d %H")]
        assert (row["requests"], row["tokens"]) == (n, tokens)
    # First request 18:58:59.965345, last 19:01:45.281821; the boundary splits the covered span.
    first, last = (
        _row(frame, datetime(2023, 11, 16, h, tzinfo=UTC), "code", "inference") for h in (18, 19)
    )
    assert first["gpus_running"] == pytest.approx(first["tokens"] / (60 + 0.034655) / 1_500)
    assert last["gpus_running"] == pytest.approx(last["tokens"] / 105.281821 / 1_500)


def test_azure_conversation_label_and_options() -> None:
    """The conv file maps to customer 'conversation'; tokens/s per GPU scales GPUs inversely."""
    base = ADAPTERS["azure-llm"].scan(AZURE_CONV).collect()
    half = (
        ADAPTERS["azure-llm"]
        .scan(AZURE_CONV, options=AzureLLMOptions(tokens_per_s_per_gpu=3_000.0))
        .collect()
    )
    assert base["customer"].unique().to_list() == ["conversation"]
    assert half["gpus_running"].to_list() == pytest.approx((base["gpus_running"] / 2).to_list())
    assert base["requests"].sum() == 330


def test_azure_2024_week_files_read_with_their_utc_offsets(tmp_path: Path) -> None:
    """The 2024 one-week files' shape (six digits and a UTC offset, no fraction on a whole
    second) reads as the same instants as the 2023 shape, its offset applied."""
    week = tmp_path / "AzureLLMInferenceTrace_conv_1week.csv"
    week.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2024-05-10 00:00:00.009930+00:00,100,10\n"
        "2024-05-10 00:30:00+00:00,200,20\n"
        "2024-05-10 03:15:00.500000+02:00,300,30\n"  # 01:15 UTC
        "2024-05-10 02:00:00.009930+00:00,400,40\n"
    )
    frame = ADAPTERS["azure-llm"].scan(week).collect().sort("ts")
    assert frame["customer"].unique().to_list() == ["conversation"]
    hours = {
        row["ts"].hour: (row["requests"], row["tokens"]) for row in frame.iter_rows(named=True)
    }
    # Hour 2 holds the log's last request, 10 ms into it: too little of it seen to measure a
    # rate, so it is missing (named in the notes), not 440 tokens over one second.
    assert hours == {0: (2, 330), 1: (1, 330)}
    # The first hour is covered from its first request: 00:00:00.009930 to 01:00.
    first = frame.row(0, named=True)
    assert first["gpus_running"] == pytest.approx(330 / (3600 - 0.00993) / 1_500)
    report = ADAPTERS["azure-llm"].report(week)
    assert (report.rows_read, report.hours) == (4, 2)
    assert any(n.startswith("hour 2024-05-10 02:00 UTC: 1 request(s)") for n in report.notes)


@pytest.mark.parametrize("name", ["helios", "servegen", "azure-llm"])
def test_read_gives_what_scan_and_report_give(name: str) -> None:
    """``read`` is ``scan`` and ``report`` together, for every adapter: the same rows and the
    same report from one pass as from the two reads."""
    path = {"helios": HELIOS, "servegen": SERVEGEN, "azure-llm": AZURE_CODE}[name]
    adapter = ADAPTERS[name]
    rows, report = adapter.read(path)
    keys = ["ts", "region", "cluster", "workload_class", "customer", "gpu_type"]
    # Sums of floats over a parallel group-by may differ in their last bits between two reads.
    assert_frame_equal(
        rows.collect().sort(keys), adapter.scan(path).collect().sort(keys), check_exact=False
    )
    assert report() == adapter.report(path)


@pytest.mark.parametrize(
    ("name", "module", "summary"),
    [
        ("helios", helios_trace, "900 rows read, 24 hourly rows over 4 hours"),
        ("servegen", servegen_trace, "90 rows read, 15 hourly rows over 3 hours"),
    ],
)
def test_a_helios_or_servegen_file_is_read_once_when_ingested(
    name: str, module: Any, summary: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest reads a Helios or ServeGen file once for its rows and its report (it read a
    Helios month three times: rows, the report's counts, and its rows again for their span)."""
    path = {"helios": HELIOS, "servegen": SERVEGEN}[name]
    reads = []
    scan = module.scan_trace_csv

    def counted(*args: Any, **kwargs: Any) -> pl.LazyFrame:
        reads.append(args[0])
        return scan(*args, **kwargs)

    monkeypatch.setattr(module, "scan_trace_csv", counted)
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        result = ingest.ingest_file(wh, path, file_format=name)
    assert result.status == "loaded" and reads == [path]
    assert summary in result.notes[-1]


def test_an_azure_log_is_summed_to_hours_once_when_ingested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest reads an Azure request log once: its rows and its report come from the same
    hours (a 3M-request week was read twice, the report's pass as long as the rows')."""
    passes = []
    hourly = azure_llm._hourly

    def counted(path: Path, options: azure_llm.AzureLLMOptions) -> pl.LazyFrame:
        passes.append(path)
        return hourly(path, options)

    monkeypatch.setattr(azure_llm, "_hourly", counted)
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        result = ingest.ingest_file(wh, AZURE_CODE, file_format="azure-llm")
    assert result.status == "loaded" and passes == [AZURE_CODE]
    assert "577 rows read, 2 hourly rows over 2 hours" in result.notes[-1]


def test_helios_capacity_toml_parses_and_matches_totals() -> None:
    """The generated capacity.toml parses, and live quota on a date equals the CSV's total."""
    plan = parse_capacity(helios_capacity_toml(HELIOS_DAILY, as_of=date(2020, 5, 31)))
    with HELIOS_DAILY.open(newline="") as handle:
        totals = {date.fromisoformat(r["date"]): int(r["total"]) for r in csv.DictReader(handle)}
    for day in (date(2020, 4, 1), date(2020, 5, 15), date(2020, 7, 1), date(2020, 9, 28)):
        assert sum(b.gpus for b in plan.block if b.in_service_on(day)) == totals[day]
    # 2020-05-09 is a one-day blip (all 840 GPUs on vcIya); it is smoothed to the day before.
    assert sum(b.gpus for b in plan.block if b.in_service_on(date(2020, 5, 9))) == 856
    statuses = {b.status.value for b in plan.block}
    assert statuses == {"live", "committed", "retiring"}
    assert plan.policy[WorkloadClass.TRAINING].priority == 2
    assert plan.policy[WorkloadClass.EXPERIMENTATION].preemptible


def test_helios_capacity_toml_vc_subset() -> None:
    """A VC subset keeps only those VCs' dedicated blocks, still summing to their quota."""
    plan = parse_capacity(helios_capacity_toml(HELIOS_DAILY, vcs=["vc6YE"]))
    assert {b.dedicated_customer for b in plan.block} == {"vc6YE"}
    assert sum(b.gpus for b in plan.block if b.in_service_on(date(2020, 5, 15))) == 208
    with pytest.raises(ValueError, match="vcNOPE"):
        helios_capacity_toml(HELIOS_DAILY, vcs=["vcNOPE"])


def test_wrong_file_names_file_and_columns(tmp_path: Path) -> None:
    """A file that is not the trace fails at scan time, naming the file and expected vs found."""
    with pytest.raises(TraceFormatError) as caught:
        ADAPTERS["helios"].scan(AZURE_CODE)
    message = str(caught.value)
    assert str(AZURE_CODE) in message
    assert "running_gpu_num_noless_8" in message
    assert "TIMESTAMP" in message
    renamed = tmp_path / "servegen_renamed.csv"
    renamed.write_text(SERVEGEN.read_text().replace("rate_rps", "rps", 1))
    with pytest.raises(TraceFormatError, match=r"Missing: \['rate_rps'\]; unexpected: \['rps'\]"):
        ADAPTERS["servegen"].scan(renamed)
    with pytest.raises(TraceFormatError, match="daily VC GPU quotas"):
        helios_capacity_toml(SERVEGEN)
    with pytest.raises(TraceFormatError, match="no such file"):
        ADAPTERS["azure-llm"].scan(tmp_path / "absent.csv")
    # It read "not a Azure LLM inference trace".
    with pytest.raises(TraceFormatError, match=r": not an Azure LLM inference trace "):
        ADAPTERS["azure-llm"].scan(SERVEGEN)


def test_bad_timestamp_is_not_guessed(tmp_path: Path) -> None:
    """A timestamp in another format is refused instead of being parsed by guesswork; the
    Azure adapter names the row, the column, the rule and the value, and counts the rest."""
    odd = tmp_path / "AzureLLMInferenceTrace_code_2023.csv"
    odd.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:17:03.9799600,10,5\n"
        "16/11/2023 18:17:03,10,5\n"
        ",10,5\n"
    )
    report = ADAPTERS["azure-llm"].report(odd)
    assert report.rows_read == 1
    assert report.refused.select("row", "column", "value").rows() == [
        (2, "TIMESTAMP", "16/11/2023 18:17:03"),
        (3, "TIMESTAMP", None),
    ]
    assert report.refused["rule"][0].startswith("is not a timestamp in either published shape")
    assert report.refused["rule"][1] == "is empty (or the row is cut short)"
    helios_odd = tmp_path / "helios.csv.gz"
    with gzip.open(HELIOS, "rt") as src, gzip.open(helios_odd, "wt") as dst:
        header, first = src.readline(), src.readline()
        dst.write(header + first.replace("2020-05-12 13:00:00", "2020-05-12T13:00"))
    with pytest.raises(pl.exceptions.InvalidOperationError):
        ADAPTERS["helios"].scan(helios_odd).collect()


def _servegen_file(path: Path, *, days: dict[str, int]) -> Path:
    """A ServeGen file: per model, client 0 at 1 req/s in every window of its ``days``."""
    header = "category,model,client_id,t_s,rate_rps,cv,arrival_pattern,pat_arg1,pat_arg2"
    lines = [header] + [
        f"language,{model},0,{t},1.0,1.0,Gamma,1.0,1.0"
        for model, n in days.items()
        for t in range(0, n * 86_400, 600)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_servegen_says_its_dates_are_placed_and_names_models_that_stop_early(
    tmp_path: Path,
) -> None:
    """ServeGen has no calendar: its ingest note said nothing of day 0 being placed on
    2025-01-06, so "order by 2024-10-14, late" read as a real date; two models recorded on
    day 0 only dropped the total after it without a word; and it read "over 1 days" and
    "over 0.125 days". Now the note says where day 0 is placed, names the models that stop
    early with what the total loses, and counts days and hours as words do."""
    path = _servegen_file(tmp_path / "sg.csv", days={"m-large": 2, "deepseek-r1": 1})
    notes = ADAPTERS["servegen"].report(path).notes
    assert notes[0].startswith(
        "dates placed: the ServeGen trace has no calendar, and day 0 is placed on 2025-01-06"
    )
    assert "deepseek-r1: 1 clients over 1 day" in notes
    assert "m-large: 1 clients over 2 days" in notes
    # 1 req/s is 10 GPUs of deepseek-r1 (0.1 req/s a GPU), 1.5 of m-large: 10 of 11.5.
    assert notes[-1].startswith(
        "recorded for part of the trace only: deepseek-r1 to 2025-01-06 23:00 UTC, where the "
        "trace runs to 2025-01-07 23:00. The servegen total drops after that by what they ran "
        "(10 GPUs on average, 87% of the total while recorded) because they stop being recorded"
    )
    moved = ADAPTERS["servegen"].report(path, options=ServeGenOptions(start=date(2024, 3, 4)))
    assert "day 0 is placed on 2024-03-04" in moved.notes[0]
    sliced = ADAPTERS["servegen"].report(SERVEGEN).notes
    assert "m-large: 3 clients over 3 hours" in sliced
    assert not any(n.startswith("recorded for part") for n in sliced)  # both run 3 hours


def test_the_warehouse_says_its_dates_are_placed_only_where_a_servegen_trace_is_loaded(
    tmp_path: Path,
) -> None:
    """The pages and the CLI read whether the dates are placed from the ingest ledger: a
    warehouse holding ServeGen rows says so, one holding Helios rows only says nothing."""
    from forecasting.traces import placed_dates_note

    with warehouse.connect(tmp_path / "h.duckdb") as wh:
        ingest.ingest_file(wh, HELIOS, file_format="helios")
        assert wh.ingested_formats() == ("helios",)
        assert placed_dates_note(wh.ingested_formats()) == ""
    with warehouse.connect(tmp_path / "s.duckdb") as wh:
        ingest.ingest_file(wh, SERVEGEN, file_format="servegen")
        note = placed_dates_note(wh.ingested_formats())
    assert note.startswith("dates placed: the ServeGen trace has no calendar, and day 0 is")
    assert "2025-01-06" in note


def test_a_trace_under_a_day_says_at_ingest_it_can_never_make_a_day(tmp_path: Path) -> None:
    """The 58-minute Azure log loaded as "loaded 2" with no word that its two hours can never
    make a day of demand (20 reported hours); only `demand` said "missing days 1" later. Now
    ingest says so; a trace with a full day says nothing of it."""
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        short = ingest.ingest_file(wh, AZURE_CODE, file_format="azure-llm")
        day = ingest.ingest_file(
            wh, _servegen_file(tmp_path / "sg.csv", days={"m-large": 1}), file_format="servegen"
        )
    assert short.status == "loaded"
    assert any(
        n.endswith(
            "2 hour(s) of telemetry, where a day of demand needs 20 reported hours: this file "
            "alone can never make a day, so its series read no measured demand (forecast as "
            "zero, not verified) unless other files fill the same days"
        )
        for n in short.notes
    )
    assert day.status == "loaded"
    assert not any("can never make a day" in n for n in day.notes)


def test_an_azure_log_named_neither_code_nor_conv_fails_its_file_alone(tmp_path: Path) -> None:
    """An Azure log renamed without _code_ or _conv_ (azure_2023.csv) stopped `fleetcast ingest`
    with a ValueError traceback and the files after it unread; now that file fails by name with
    the fix, and a good file beside it loads."""
    renamed = tmp_path / "azure_2023.csv"
    renamed.write_bytes(AZURE_CODE.read_bytes())
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        failed = ingest.ingest_file(wh, renamed, file_format="azure-llm")
        good = ingest.ingest_file(wh, AZURE_CONV, file_format="azure-llm")
    assert failed.status == "failed"
    assert failed.message is not None and str(renamed) in failed.message
    assert "_code_" in failed.message and "rename" in failed.message
    assert good.status == "loaded"


def test_a_one_vc_helios_file_says_its_outages_cannot_be_told_from_idle(tmp_path: Path) -> None:
    """A Helios file cut to one VC kept the 2020-05-12 14:01-16:01 collector outage as 121
    minutes of zero demand while its note read "outage test over every VC in the file": the
    note now says the test is off, how many all-zero minutes were kept and their longest run."""
    with gzip.open(HELIOS, "rt", newline="") as src:
        rows = list(csv.reader(src))
    one = tmp_path / "helios_one_vc.csv"
    with one.open("w", newline="") as out:
        csv.writer(out).writerows([rows[0], *(r for r in rows[1:] if r[1] == "vc6YE")])
    report = ADAPTERS["helios"].report(one)
    assert report.outage_minutes == 0 and report.zero_rows == 121
    note = report.notes[0]
    assert "outage test over every VC" not in note
    assert note.startswith("1 VC; outage test off: fewer than the 2 VCs")
    assert "121 all-zero VC-minutes kept as zero demand" in note
    assert "longest run 2020-05-12 06:01 to 08:01 UTC" in note
    full = ADAPTERS["helios"].report(HELIOS)
    assert full.notes[0] == "3 VCs; outage test over every VC in the file"


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ("repeat", "row 7, column t_s: 3000 repeats the window of row 6 for m-large client 0"),
        ("off-grid", "row 6, column t_s: 3001 is not on the 600-second grid"),
    ],
)
def test_a_servegen_window_repeated_or_off_its_grid_fails_the_file_by_row(
    edit: str, named: str, tmp_path: Path
) -> None:
    """A ServeGen window written twice (a chunk appended again) was summed into its hour, one
    10-minute window's requests counted twice with no word; one at t_s 3001 read as a window of
    its own. Either now fails the file naming the row, the column and the rule."""
    path = _servegen_file(tmp_path / "sg.csv", days={"m-large": 1})
    lines = path.read_text().splitlines()
    if edit == "repeat":
        lines.insert(7, lines[6])
    else:
        lines[6] = lines[6].replace(",3000,", ",3001,")
    path.write_text("\n".join(lines) + "\n")
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        result = ingest.ingest_file(wh, path, file_format="servegen")
    assert result.status == "failed"
    assert result.message is not None and str(path) in result.message
    assert named in result.message


def test_a_helios_minute_repeated_for_a_vc_fails_the_file_by_row(tmp_path: Path) -> None:
    """A Helios VC-minute written twice with other values (vc6YE at 2020-05-12 13:00 reading
    999 running GPUs the second time) was averaged into its hour without a word; now the file
    fails, nothing loaded, naming the row, the row it repeats and the rule."""
    with gzip.open(HELIOS, "rt", newline="") as src:
        rows = list(csv.reader(src))
    first = next(i for i, r in enumerate(rows) if r[1] == "vc6YE")
    again = list(rows[first])
    again[rows[0].index("running_gpu_num")] = "999"
    path = tmp_path / "helios_repeated.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows([*rows, again])
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        result = ingest.ingest_file(wh, path, file_format="helios")
    assert result.status == "failed"
    assert result.message is not None and result.message.startswith(
        f"{path}: row {len(rows)}, columns time and vc: vc6YE at {rows[first][0]} repeats row "
        f"{first}"
    )


def test_a_request_log_split_mid_hour_says_the_later_part_replaced_the_earlier(
    tmp_path: Path,
) -> None:
    """The Azure code log split at 18:30 into two files loaded hour 18:00 from the second file
    alone (5,751 of its 7,717 requests) and said only "1 key(s) changed value ... the later
    file wins": the second file's notes now say its hour replaced the first's part of it,
    not added to it, and how to load both."""
    lines = AZURE_CODE.read_bytes().split(b"\r\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    cut = next(i for i, r in enumerate(rows) if r >= b"2023-11-16 19:00:30")
    first = tmp_path / "AzureLLMInferenceTrace_code_a.csv"
    second = tmp_path / "AzureLLMInferenceTrace_code_b.csv"
    first.write_bytes(b"\r\n".join([header, *rows[:cut]]) + b"\r\n")
    second.write_bytes(b"\r\n".join([header, *rows[cut:]]) + b"\r\n")
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        ingest.ingest_file(wh, first, file_format="azure-llm")
        later = ingest.ingest_file(wh, second, file_format="azure-llm")
        alone = ingest.ingest_file(wh, AZURE_CONV, file_format="azure-llm")
    assert later.status == "loaded"
    assert any(
        n.startswith("1 hour(s) of this file replaced another file's rows for the same hour")
        and "join the files into one and ingest that" in n
        for n in later.notes
    )
    assert not any("replaced another file's rows" in n for n in alone.notes)


def test_an_azure_log_mixing_naive_and_offset_stamps_fails_by_row(tmp_path: Path) -> None:
    """One request stamped '2023-11-16 18:59:00.1+08:00' in the naive (UTC) 2023 code log
    moved it eight hours back: the log then ran from 10:00 and its seven hours between read
    as measured zero demand. A log that mixes the two published shapes now fails, naming the
    first row of the rarer shape and a row of the other."""
    lines = AZURE_CODE.read_bytes().split(b"\r\n")
    lines[5] = lines[5].replace(b",", b"+08:00,", 1)
    path = tmp_path / "AzureLLMInferenceTrace_code_mixed.csv"
    path.write_bytes(b"\r\n".join(lines))
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        result = ingest.ingest_file(wh, path, file_format="azure-llm")
    assert result.status == "failed"
    assert result.message is not None and result.message.startswith(
        f"{path}: column TIMESTAMP: row 5 ({lines[5].split(b',')[0].decode()!r}) has a UTC "
        "offset where row 1 has none"
    )


def test_an_azure_request_a_month_off_leaves_a_gap_not_a_month_of_zero_demand(
    tmp_path: Path,
) -> None:
    """One request of the code log mistyped 2023-10-16 stretched the log over a month and
    filled its 743 hours between with measured zero demand. A run of hours without a request
    longer than a day is now a gap in the log (no rows, missing), named in the report."""
    lines = AZURE_CODE.read_bytes().split(b"\r\n")
    lines[5] = lines[5].replace(b"2023-11-16", b"2023-10-16", 1)
    path = tmp_path / "AzureLLMInferenceTrace_code_typo.csv"
    path.write_bytes(b"\r\n".join(lines))
    frame = ADAPTERS["azure-llm"].scan(path).collect()
    report = ADAPTERS["azure-llm"].report(path)
    # The mistyped request's own hour is seen for a second: missing too, not extrapolated.
    assert frame.height == 2 and report.zero_rows == 0
    assert report.gaps == 743
    assert (
        "no request for 743 hours, 2023-10-16 19:00 to 2023-11-16 17:00 UTC: read as a gap in "
        "the log (missing), not as zero demand" in report.notes
    )
    assert ADAPTERS["azure-llm"].report(AZURE_CODE).gaps == 0


def test_the_helios_demo_plan_dedicates_blocks_only_to_vcs_with_telemetry() -> None:
    """`demo --trace helios` wrote a block per VC of the quota file, and its own report warned
    that 6 dedicated blocks (432 GPUs) serve customers with no telemetry: the plan it writes
    now has blocks only for the VCs the trace it plays has telemetry for, and its header
    names the others (here the slice's 3 VCs of the file's 25)."""
    from flows.demo import helios_plan
    from forecasting.capacity import stray_dedicated_blocks

    made = helios_plan(HELIOS, HELIOS_DAILY, cluster="earth")
    assert not isinstance(made, str)
    text, as_of = made
    plan = parse_capacity(text)
    measured = {"vc6YE", "vcpDC", "vcJkd"}
    assert {b.dedicated_customer for b in plan.block} == measured
    assert stray_dedicated_blocks(plan, {"helios": measured}, as_of=as_of) == []
    assert "no telemetry in the trace, so no block: 22 VCs (" in text
    # The kept VCs' quotas on the slice's day (2020-05-12): vc6YE 208, vcpDC 56, vcJkd 16 of
    # the file's 856; the header names the other 576, and their most after it (944).
    assert as_of == date(2020, 5, 12)
    assert sum(b.gpus for b in plan.block if b.in_service_on(as_of)) == 208 + 56 + 16
    assert "576 GPUs on 2020-05-12, up to 944 after it (to 2020-09-28)." in text


def test_a_helios_cluster_idle_at_night_keeps_its_nights_as_zero_demand(tmp_path: Path) -> None:
    """A Helios cluster whose VCs all fall idle at night (one by one, as their last jobs end)
    had every such stretch dropped as a collector outage: a July file idle 01:00-06:00 lost
    5 hours a night and every UTC day read as missing (19 of 24 hours), so nothing was
    forecast. A collector outage stops the VCs in the same minute (12 and 13 of 16 on the
    published file); a stretch that began with one VC falling idle alone is zero demand."""
    with gzip.open(HELIOS, "rt", newline="") as src:
        rows = list(csv.reader(src))
    header, body = rows[0], rows[1:]
    activity = [header.index(name) for name in helios_trace.ACTIVITY_COLUMNS]
    # vcJkd is idle throughout; vc6YE's jobs end at 16:20 and vcpDC's at 16:30, both back at
    # 17:30: the cluster is idle 16:30-17:29 after its last VC fell idle alone.
    idle_from = {"vc6YE": "2020-05-12 16:20:00", "vcpDC": "2020-05-12 16:30:00"}
    for row in body:
        if row[1] in idle_from and idle_from[row[1]] <= row[0] < "2020-05-12 17:30:00":
            for i in activity:
                row[i] = "0"
    path = tmp_path / "helios_idle_night.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows([header, *body])
    report = ADAPTERS["helios"].report(path)
    # The collector outage 14:01-16:01 (two VCs stopping in the same minute) is still dropped.
    assert report.outage_windows == (
        (datetime(2020, 5, 12, 6, 1, tzinfo=UTC), datetime(2020, 5, 12, 8, 1, tzinfo=UTC)),
    )
    frame = ADAPTERS["helios"].scan(path).collect()
    # 17:00 local keeps all 60 minutes: 30 idle (zero) and 30 busy, averaged over 60.
    busy = sum(
        int(r[header.index("running_gpu_num_noless_8")])
        for r in body
        if r[1] == "vc6YE" and r[0] >= "2020-05-12 17:30:00"
    )
    assert _row(frame, UTC_HOUR[17], "vc6YE", "training")["gpus_running"] == pytest.approx(
        busy / 60
    )
    assert any("kept as zero demand" in note and "one VC" in note for note in report.notes)


def test_a_servegen_file_in_another_row_order_loads_the_same_hours(tmp_path: Path) -> None:
    """The same ServeGen windows read in another order (a re-export, the plain copy of a
    gzip file, read in other chunks) summed to other last digits: ingesting the plain copy
    of a gzip trace said "1 key(s) changed value ... what the earlier held of it is not
    counted; join the files", as if data had been lost. An hour's sum no longer depends on
    the order of its windows."""
    lines = SERVEGEN.read_text().splitlines()
    reordered = tmp_path / "servegen_reordered.csv"
    reordered.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    key = ["ts", "customer"]
    assert_frame_equal(
        ADAPTERS["servegen"].scan(SERVEGEN).collect().sort(key),
        ADAPTERS["servegen"].scan(reordered).collect().sort(key),
        check_exact=True,
    )
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        ingest.ingest_file(wh, SERVEGEN, file_format="servegen")
        again = ingest.ingest_file(wh, reordered, file_format="servegen")
    assert again.status == "loaded"
    assert not any("changed value" in note or "replaced another" in note for note in again.notes)


def test_an_azure_hour_seen_for_seconds_is_missing_not_extrapolated(tmp_path: Path) -> None:
    """A request log cut a second into an hour (`head -n` of a week file, or a log that
    stopped) read that hour's GPUs as its one request's tokens over one second: 3,000 tokens
    made 2 GPUs beside hours of 0.6, and the day's peak read the one second. An hour whose
    rate, extrapolated from the part of it the log covers, carries a sampling error above
    20 % is left missing and named in the notes; one covered whole stays, however quiet."""
    week = tmp_path / "AzureLLMInferenceTrace_code_1week.csv"
    busy = [f"2024-05-10 00:{m:02d}:{s:02d}+00:00,1000,100" for m in range(60) for s in (0, 30)]
    week.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        + "\n".join(busy)
        + "\n2024-05-10 01:00:01.500000+00:00,2900,100\n"
    )
    frame = ADAPTERS["azure-llm"].scan(week).collect()
    assert frame["ts"].to_list() == [datetime(2024, 5, 10, 0, tzinfo=UTC)]
    assert frame["gpus_running"][0] == pytest.approx(120 * 1_100 / 3_600 / 1_500)
    report = ADAPTERS["azure-llm"].report(week)
    assert (report.rows_read, report.rows_out, report.hours) == (121, 1, 1)
    assert any(
        note.startswith("hour 2024-05-10 01:00 UTC: 1 request(s) in 0.0 of 60 minutes")
        and "left missing" in note
        for note in report.notes
    )


def test_helios_outages_at_one_time_every_day_are_named_as_a_schedule(tmp_path: Path) -> None:
    """A cluster drained 01:00-06:00 every night (every VC stopping in the same minute) had
    each night dropped as a collector outage, its days left with 19 hours and read missing,
    and ingest said only "outage minutes dropped 1,200 in 4 windows". A collector does not
    fail on a schedule: windows starting at one time of day on several days are named, with
    what they cost (the days they leave short of a whole day)."""
    header = list(helios_trace.HELIOS_DTYPES)
    busy = {name: "8" for name in header[2:]}
    busy["gpu_utilization"] = "0.5"
    idle = {**busy, **dict.fromkeys(helios_trace.ACTIVITY_COLUMNS, "0")}
    path = tmp_path / "helios_drained.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for day in range(1, 5):
            for minute in range(24 * 60):
                hour = minute // 60
                stamp = f"2020-07-{day:02d} {hour:02d}:{minute % 60:02d}:00"
                values = idle if 1 <= hour < 6 else busy
                for vc in ("vcA", "vcB"):
                    writer.writerow([stamp, vc, *(values[name] for name in header[2:])])
    report = ADAPTERS["helios"].report(path)
    assert (report.outage_minutes, len(report.outage_windows)) == (4 * 300, 4)
    assert any(
        note.startswith("4 of the 4 outage windows start at 01:00 (Asia/Shanghai) on 4 days")
        for note in report.notes
    ), report.notes


def test_a_two_vc_helios_extract_still_drops_its_collector_outage(tmp_path: Path) -> None:
    """Read as "one VC falling idle alone", a collector outage in a 2-VC extract whose other VC
    had been idle for hours was kept as zero demand: of the published file's 120 VC pairs,
    42 and 54 lost its two outages so. A cluster falls idle VC by VC within a short time; a
    last VC stopping hours after the one before it is not told from a dead collector, and is
    read as an outage as before."""
    with gzip.open(HELIOS, "rt", newline="") as src:
        rows = list(csv.reader(src))
    pair = tmp_path / "helios_pair.csv"
    with pair.open("w", newline="") as out:
        csv.writer(out).writerows([rows[0], *(r for r in rows[1:] if r[1] in ("vc6YE", "vcJkd"))])
    report = ADAPTERS["helios"].report(pair)
    assert report.outage_windows == (
        (datetime(2020, 5, 12, 6, 1, tzinfo=UTC), datetime(2020, 5, 12, 8, 1, tzinfo=UTC)),
    )


def _ingested(path: Path, adapter: str, warehouse_path: Path) -> tuple[Any, pl.DataFrame]:
    """The result of ingesting ``path`` with ``adapter``, and the telemetry stored."""
    with warehouse.connect(warehouse_path) as wh:
        result = ingest.ingest_file(wh, path, file_format=adapter)
        stored = wh.query(
            "SELECT s.region, s.workload_class, s.customer, t.ts, t.gpus_running, "
            "t.gpus_queued, t.requests, t.tokens FROM telemetry t JOIN telemetry_series s "
            "USING (series_id) ORDER BY ALL"
        )
    return result, stored


def _bad_rows_cost_only_themselves(
    tmp_path: Path, adapter: str, lines: list[str], bad: dict[int, str], name: str
) -> tuple[Any, list[tuple[Any, ...]]]:
    """Ingest ``lines`` (header first) with the data rows in ``bad`` (1 = the first after the
    header) replaced, and the same lines without those rows; check that the good rows loaded
    exactly as the file without the bad rows loads, that a rerun changes nothing and that
    `ingest --strict` exits 1. Returns the result and the quarantine's (row, column, rule,
    value)."""
    from flows.cli import main

    broken = [bad.get(i, line) for i, line in enumerate(lines)]
    path = tmp_path / name
    path.write_text("\n".join(broken) + "\n")
    clean = tmp_path / "clean" / name
    clean.parent.mkdir()
    clean.write_text("\n".join(line for i, line in enumerate(lines) if i not in bad) + "\n")
    result, stored = _ingested(path, adapter, tmp_path / "w.duckdb")
    assert result.status == "loaded", result.message
    _, expected = _ingested(clean, adapter, tmp_path / "clean.duckdb")
    assert_frame_equal(stored, expected)
    assert result.entry.quarantined == len(bad)
    with warehouse.connect(tmp_path / "w.duckdb") as wh:
        quarantined = wh.quarantine().sort("row_number")
        again = ingest.ingest_file(wh, path, file_format=adapter)
        assert again.status == "skipped"
        assert_frame_equal(wh.quarantine().sort("row_number"), quarantined)
    assert_frame_equal(_ingested(path, adapter, tmp_path / "w.duckdb")[1], stored)
    assert quarantined["file"].unique().to_list() == [str(path.resolve())]
    strict = ["ingest", "--strict", "--format", adapter, str(path)]
    assert main([*strict, "--warehouse", str(tmp_path / "strict.duckdb")]) == 1
    return result, quarantined.select("row_number", "column", "rule", "value").rows()


def test_a_bad_helios_minute_costs_only_itself(tmp_path: Path) -> None:
    """A Helios file with '17x6' in one row and -50 GPUs in another was refused whole ("nothing
    of the file was loaded"), where plain telemetry quarantines a bad row and loads the rest.
    The two rows are now quarantined with row, column, rule and value; every hour loads as it
    would without them (a refused minute is a missing one: the hour's mean is over the minutes
    left), a rerun changes nothing and `--strict` exits 1."""
    with gzip.open(HELIOS, "rt", newline="") as src:
        lines = src.read().splitlines()
    header = lines[0].split(",")
    running, pending = (
        header.index("running_gpu_num_noless_8"),
        header.index("pending_gpu_num_less_8"),
    )

    def with_value(i: int, column: int, value: str) -> str:
        fields = lines[i].split(",")
        fields[column] = value
        return ",".join(fields)

    bad = {3: with_value(3, running, "17x6"), 7: with_value(7, pending, "-50")}
    result, quarantined = _bad_rows_cost_only_themselves(
        tmp_path, "helios", lines, bad, "helios_two_kinds.csv"
    )
    assert quarantined == [
        (3, "running_gpu_num_noless_8", "is not a whole number", "17x6"),
        (7, "pending_gpu_num_less_8", "is negative", "-50"),
    ]
    assert any(
        "2 VC-minute(s) refused (quarantined) in 1 UTC hour(s) (2020-05-12 05:00)" in note
        and "mean over the minutes left" in note
        for note in result.notes
    ), result.notes


def test_a_bad_azure_request_costs_only_itself(tmp_path: Path) -> None:
    """An Azure request log with one request of -4 generated tokens, one of '12x' context
    tokens and one with a timestamp of neither shape was refused whole for any one of them.
    Those requests are now quarantined, the hours load with the requests left (short by the
    refused ones, which the notes say per hour), a rerun changes nothing, `--strict` exits 1."""
    lines = AZURE_CODE.read_text().splitlines()
    _, context, generated = lines[9].split(",")
    bad = {
        5: lines[5].rsplit(",", 1)[0] + ",-4",
        9: f"16/11/2023 18:17:03,{context},{generated}",
        12: lines[12].split(",")[0] + ",12x," + lines[12].split(",")[2],
    }
    result, quarantined = _bad_rows_cost_only_themselves(
        tmp_path, "azure-llm", lines, bad, "AzureLLMInferenceTrace_code_bad.csv"
    )
    assert [(r, c, v) for r, c, _, v in quarantined] == [
        (5, "GeneratedTokens", "-4"),
        (9, "TIMESTAMP", "16/11/2023 18:17:03"),
        (12, "ContextTokens", "12x"),
    ]
    assert any(
        "2 request(s) refused (quarantined) in 1 hour(s): 2023-11-16 18:00 UTC" in note
        for note in result.notes
    ), result.notes
    assert any("1 request(s) refused with no readable TIMESTAMP" in n for n in result.notes)


def test_a_bad_servegen_window_costs_only_itself(tmp_path: Path) -> None:
    """A ServeGen file with a window of -0.05 requests/s and one whose client_id reads 'x'
    was refused whole. Those windows are now quarantined and their client-hours load
    incomplete, as a missing window leaves them (GPUs the mean of the windows left, requests
    their sum), a rerun changes nothing and `--strict` exits 1."""
    lines = _servegen_file(tmp_path / "sg_source.csv", days={"m-large": 1}).read_text()
    rows = lines.splitlines()
    bad = {
        4: rows[4].replace(",1.0,1.0,Gamma", ",-0.05,1.0,Gamma"),
        20: rows[20].replace("m-large,0,", "m-large,x,"),
    }
    result, quarantined = _bad_rows_cost_only_themselves(tmp_path, "servegen", rows, bad, "sg.csv")
    assert quarantined == [
        (4, "rate_rps", "is negative", "-0.05"),
        (20, "client_id", "is not a whole number", "x"),
    ]
    assert any(
        "2 window(s) refused (quarantined) in 1 client-hour(s) (m-large/0 2025-01-06 00:00)" in note
        for note in result.notes
    ), result.notes


def test_the_helios_plan_names_vcs_with_telemetry_but_no_quota() -> None:
    """A VC with telemetry but no column in the quota file (a team added after the quota
    export) got no block and no word: its demand met only blocks dedicated to other VCs, and
    the report's red read as the cluster's shortage. The plan's header now names it."""
    text = helios_capacity_toml(HELIOS_DAILY, measured=["vc6YE", "vcNEW"])
    assert "VCs with telemetry but no quota in the file, so no block: 1 VC (vcNEW)" in text
    plan = parse_capacity(text)
    assert {b.dedicated_customer for b in plan.block} == {"vc6YE"}


def test_an_azure_hour_seen_almost_whole_does_not_read_60_of_60_minutes(tmp_path: Path) -> None:
    """An hour the log saw from 00:00:01.5 was noted "60.0 of 60 minutes in the log", a note
    that says it is partial and reads whole: the minutes seen are rounded down."""
    week = tmp_path / "AzureLLMInferenceTrace_conv_1week.csv"
    stamps = [f"2024-05-10 {h:02d}:{m:02d}:01.500000+00:00" for h in (0, 1) for m in range(60)]
    week.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        + "\n".join(f"{t},100,10" for t in stamps)
        + "\n"
    )
    notes = ADAPTERS["azure-llm"].report(week).notes
    assert "hour 2024-05-10 00:00 UTC: 59.9 of 60 minutes in the log" in notes, notes


def test_a_servegen_client_silent_for_whole_hours_says_they_read_as_zero(tmp_path: Path) -> None:
    """A ServeGen client with no window for three whole hours of its trace, while the file's
    other clients reported: the hours had no row, so its customer read zero demand there and
    its region's total dropped, and ingest said only "grid gaps 18". The notes now count the
    client-hours without a window between a client's first and last (a gap in the file, not
    zero traffic), name the client with the most, and say how they read; a file without
    such a gap says nothing of it."""
    path = _servegen_file(tmp_path / "sg.csv", days={"m-large": 1})
    whole = ADAPTERS["servegen"].report(path).notes
    assert not any("no window" in n for n in whole)
    lines = path.read_text().splitlines()
    other = [ln.replace("m-large,0,", "m-large,1,", 1) for ln in lines[1:]]
    # Client 0 misses its windows of hours 5, 6 and 7 (t from 18,000 to 28,799 s).
    kept = [ln for ln in lines[1:] if not 18_000 <= int(ln.split(",")[3]) < 28_800]
    gapped = tmp_path / "gapped.csv"
    gapped.write_text("\n".join([lines[0], *kept, *other]) + "\n")
    notes = ADAPTERS["servegen"].report(gapped).notes
    (said,) = [n for n in notes if "no window" in n]
    assert said.startswith(
        "3 client-hours had no window between their client's first and last (a gap in the "
        "file, not zero traffic), of 1 client (the most: m-large/0, 3 hours, its first gap "
        "from 2025-01-06 05:00 UTC)"
    )
    assert "read as zero demand" in said


def test_a_trace_row_with_more_fields_than_the_header_costs_only_itself(tmp_path: Path) -> None:
    """A Helios minute or an Azure request with one field too many (`...,0,99`) stopped
    `fleetcast ingest` with a polars traceback ("found more fields than defined in 'Schema'"),
    nothing of the file loaded: the row is now quarantined as one with more fields than the
    header, its extra fields quoted, and every other row loads as without it."""
    with gzip.open(HELIOS, "rt", newline="") as src:
        helios = src.read().splitlines()
    (tmp_path / "h").mkdir()
    (tmp_path / "a").mkdir()
    _, quarantined = _bad_rows_cost_only_themselves(
        tmp_path / "h", "helios", helios, {4: helios[4] + ",99"}, "helios_wide.csv"
    )
    assert [(r, c, v) for r, c, _, v in quarantined] == [(4, "(row)", "99")]
    assert quarantined[0][2].startswith("the row has more fields than the header")
    azure = AZURE_CODE.read_text().splitlines()
    _, quarantined = _bad_rows_cost_only_themselves(
        tmp_path / "a",
        "azure-llm",
        azure,
        {6: azure[6] + ",x,y"},
        "AzureLLMInferenceTrace_code_wide.csv",
    )
    assert [(r, c, v) for r, c, _, v in quarantined] == [(6, "(row)", "x,y")]


def test_wide_rows_number_records_as_the_csv_reader_does(tmp_path: Path) -> None:
    """Rows with fields past the header's are found by their record number (1 = the first
    after the header, a blank line counted as polars counts it), the extra fields quoted back
    without a CRLF's CR; a file holding a quoted line break is read by records, not lines."""
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b,c\r\n1,2,3\r\n\r\n4,5,6,7\r\n8,9\r\n")
    assert wide_rows(plain, 3).rows() == [(3, "7")]
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('a,b,c\n"x\ny",1,2\n4,5,6,7,8\n')
    assert wide_rows(quoted, 3).rows() == [(2, "7,8")]


@pytest.mark.parametrize(
    ("name", "source", "extra"),
    [("helios", HELIOS, ",99"), ("servegen", SERVEGEN, ",99"), ("azure-llm", AZURE_CODE, ",x,y")],
)
def test_scan_refuses_a_row_wider_than_the_header_as_ingest_does(
    tmp_path: Path, name: str, source: Path, extra: str
) -> None:
    """An adapter's ``scan()`` outside ingest took a row with one field too many: Helios and
    ServeGen loaded it (its values possibly shifted into the wrong columns), Azure left the
    request out of its hour without a word. Ingest quarantines such a row alone; ``scan``,
    which has no quarantine to hand back, now refuses the file naming the file, the row, the
    column and the one rule ingest quarantines it under."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", newline="") as src:
        lines = src.read().splitlines()
    lines[4] += extra
    wide = tmp_path / source.name.removesuffix(".gz")
    wide.write_text("\n".join(lines) + "\n")
    with pytest.raises(TraceFormatError) as refused:
        ADAPTERS[name].scan(wide).collect()
    said = str(refused.value)
    assert said.startswith(f"{wide}: row 4, column (row): {extra[1:]!r}: ")
    assert WIDE_ROW_RULE in said
    assert "read()" in said  # where the rest of the file can still be had
    ADAPTERS[name].scan(source).collect()  # the file without the extra field scans as before


def test_an_azure_scan_names_a_request_it_cannot_count_instead_of_dropping_it(
    tmp_path: Path,
) -> None:
    """``scan()`` of an Azure log with one request of -4 generated tokens returned the log's
    hours without it and without a word (ingest quarantines it, by its row): the scan now
    refuses the log, naming the row, the column, the value and the rule."""
    lines = AZURE_CODE.read_text().splitlines()
    stamp, context, _ = lines[3].split(",")
    lines[3] = f"{stamp},{context},-4"
    bad = tmp_path / AZURE_CODE.name
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(TraceFormatError) as refused:
        ADAPTERS["azure-llm"].scan(bad)
    assert str(refused.value).startswith(
        f"{bad}: row 3, column GeneratedTokens: '-4': is negative. The azure-llm adapter's "
        "scan() reads the file whole"
    )


def _text_of(source: Path) -> str:
    """The text of a fixture, gzip or plain."""
    if source.name.endswith(".gz"):
        return gzip.decompress(source.read_bytes()).decode()
    return source.read_text()


@pytest.mark.parametrize(
    ("name", "source"), [("servegen", SERVEGEN), ("azure-llm", AZURE_CODE), ("helios", HELIOS)]
)
def test_a_trace_with_lone_cr_line_ends_reads_as_telemetry_reads_one(
    tmp_path: Path, name: str, source: Path
) -> None:
    """A trace saved with old Mac line ends (a lone CR, no LF anywhere) was refused whole
    ("lone CR line ends ...: save the file with LF"), where telemetry ingest reads such a file
    line by line: the adapters now read it too, to the same rows and report as its LF twin.
    A header ended by a lone CR above LF rows is still refused naming the CR and the fix; and
    two rows joined at one lone CR in an LF file are quarantined under the rule ingest names
    such a telemetry row by."""
    lines = _text_of(source).splitlines()
    lf, old_mac = tmp_path / f"lf-{source.name}", tmp_path / f"cr-{source.name}"
    for path, end in ((lf, "\n"), (old_mac, "\r")):
        data = (end.join(lines) + end).encode()
        path.write_bytes(gzip.compress(data) if source.name.endswith(".gz") else data)
    rows, report = ADAPTERS[name].read(old_mac)
    lf_rows, lf_report = ADAPTERS[name].read(lf)
    assert_frame_equal(rows.collect(), lf_rows.collect())
    assert report().rows_read == lf_report().rows_read > 0
    assert_frame_equal(ADAPTERS[name].scan(old_mac).collect(), lf_rows.collect())
    mixed = tmp_path / f"mixed-{source.name}"
    data = (lines[0] + "\r" + "\n".join(lines[1:]) + "\n").encode()
    mixed.write_bytes(gzip.compress(data) if source.name.endswith(".gz") else data)
    with pytest.raises(TraceFormatError) as refused:
        ADAPTERS[name].read(mixed)
    said = str(refused.value)
    assert said.startswith(f"{mixed}: ")
    assert LONE_CR_RULE in said
    if name == "helios":
        return
    joined = tmp_path / f"joined-{source.name}"
    joined.write_bytes(("\n".join(lines[:3]) + "\r" + "\n".join(lines[3:]) + "\n").encode())
    _rows, joined_report = ADAPTERS[name].read(joined)
    refused_rows = joined_report().refused
    assert refused_rows.select("row", "column").rows() == [(2, "(row)")]
    assert refused_rows["rule"][0] == ingest._RULE_CR_INSIDE


@pytest.mark.parametrize(
    ("name", "source"), [("servegen", SERVEGEN), ("azure-llm", AZURE_CODE), ("helios", HELIOS)]
)
def test_a_trace_header_with_a_bom_or_spaced_names_reads_as_telemetry_s_does(
    tmp_path: Path, name: str, source: Path
) -> None:
    """A trace saved by a spreadsheet with a byte-order mark was refused as "not a ServeGen
    ... file ... found ['\\ufeffcategory', ...]. Missing: ['category']", and one whose header
    spaces its names (`category , model , ...`) passed the header check only to fail in
    polars' "CSV file contained column names not specified in schema (n_extra = 9)", naming
    no rule. Telemetry ingest reads both; the adapters now read them to the rows of the plain
    file."""
    text = _text_of(source)
    lines = text.splitlines()
    variants = {
        "bom": "\ufeff" + text,
        "spaced": lines[0].replace(",", " , ") + "\n" + "\n".join(lines[1:]) + "\n",
    }
    plain, _ = ADAPTERS[name].read(source)
    for kind, variant in variants.items():
        path = tmp_path / f"{kind}-{source.name}"
        data = variant.encode()
        path.write_bytes(gzip.compress(data) if source.name.endswith(".gz") else data)
        rows, report = ADAPTERS[name].read(path)
        assert_frame_equal(rows.collect(), plain.collect())
        assert report().rows_read > 0, kind


@pytest.mark.parametrize(("name", "source"), [("servegen", SERVEGEN), ("azure-llm", AZURE_CODE)])
def test_blank_lines_in_a_trace_are_skipped_as_telemetry_skips_them(
    tmp_path: Path, name: str, source: Path
) -> None:
    """A trace with a blank line after every row (what a CRLF file turned to LF by `tr`
    leaves) loaded every row, but quarantined each blank line as a row whose count "is empty
    (or the row is cut short)": 91 refusals for a ServeGen slice of 90 windows, none of them a
    row. Telemetry ingest skips a blank line (no row there); so do the trace adapters now."""
    lines = source.read_text().splitlines()
    spaced = tmp_path / source.name
    spaced.write_text("\n\n".join(lines) + "\n\n")
    rows, report = ADAPTERS[name].read(spaced)
    assert report().refused.is_empty()
    plain, _ = ADAPTERS[name].read(source)
    assert_frame_equal(rows.collect(), plain.collect())
