"""Outage windows: the calendar file, an adapter's windows, and what demand makes of them."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import FleetFiles

from forecasting.demand import demand_series, outage_hours
from forecasting.traces import ADAPTERS
from forecasting.traces.outages import (
    OUTAGE_CALENDAR_SCHEMA,
    OutageCalendarError,
    outage_calendar_notes,
    outage_calendar_read,
    read_outage_calendar,
)

HELIOS = (
    Path(__file__).parent / "fixtures" / "traces" / "helios_earth_vc_minute_2020-05-12_slice.csv.gz"
)


def write(tmp_path: Path, text: str) -> Path:
    """A calendar file with ``text`` in it."""
    path = tmp_path / "outages.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_calendar_reads_regions_instants_and_blank_region(tmp_path: Path) -> None:
    """Rows become UTC windows; a blank region means every region; offsets are honoured."""
    path = write(
        tmp_path,
        "region,start,end,reason\n"
        "eu-west,2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,collector restart\n"
        ",2026-03-07T02:00:00+02:00,2026-03-07 02:30:00,migration\n",
    )
    frame = read_outage_calendar(path)
    assert frame.schema == OUTAGE_CALENDAR_SCHEMA
    assert frame["region"].to_list() == ["eu-west", None]
    assert frame["start"][1] == datetime(2026, 3, 7, 0, 0, tzinfo=UTC)
    assert frame["end"][1] == datetime(2026, 3, 7, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("region,begin,end\n", r"lacks \['start'\] and has unknown columns \['begin'\]"),
        ("start,end\nyesterday,2026-03-01T00:00:00Z\n", r"row 1, column 'start'.*ISO 8601"),
        (
            "start,end\n2026-03-01T04:00:00+14:30,2026-03-01T05:00:00Z\n",
            r"row 1, column 'start'.*time-zone offset beyond ±14:00 or with minutes ≥ 60",
        ),
        (
            "start,end\n2026-03-01T04:00:00Z,2026-03-01T05:00:00-00:75\n",
            r"row 1, column 'end'.*time-zone offset beyond ±14:00 or with minutes ≥ 60",
        ),
        (
            "start,end\n2026-03-01T05:00:00Z,2026-03-01T04:00:00Z\n",
            r"row 1, column 'end'.*not after start",
        ),
        (
            "start,end,reason\n2026-03-01T04:00:00Z,2026-03-01T05:00:00Z,ok\n"
            "2026-03-02T04:00:00Z,2026-03-02T05:00:00Z,power, then cooling\n",
            # The line is quoted: "has 4 fields" alone did not say which window it was.
            r"row 2: has 4 fields where the header has 3; quote a field that contains a comma; "
            r"the line reads '2026-03-02T04:00:00Z,2026-03-02T05:00:00Z,power, then cooling'",
        ),
        # A line cut short read "'' is not an ISO 8601 instant", as if the end were blank.
        (
            "region,start,end,reason\neu-west,2026-03-01T04:00:00Z\n",
            r"row 1: has 2 fields where the header has 4 \(a line cut short\?\); write every "
            r"column, blank where it has no value; the line reads 'eu-west,2026-03-01T04:00:00Z'$",
        ),
    ],
)
def test_bad_calendar_names_file_row_column_and_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    """Every error says where (file, row, column) and what rule the value broke."""
    path = write(tmp_path, text)
    with pytest.raises(OutageCalendarError, match=message) as info:
        read_outage_calendar(path)
    assert str(path) in str(info.value)
    if "cut short" in message:
        # Only the free-text reason left out: still a window.
        whole = "region,start,end,reason\neu-west,2026-03-01T04:00:00Z,2026-03-01T05:00:00Z\n"
        assert read_outage_calendar(write(tmp_path, whole)).height == 1


def test_a_calendar_as_spreadsheets_and_editors_write_it(tmp_path: Path) -> None:
    """A BOM (refused: "unknown columns ['\\ufeffregion']") reads as nothing; a latin-1 file
    is one line saying to save it as UTF-8 (a 26-line UnicodeDecodeError); a column named
    twice is refused (the last 'end' won without a word); a bad row after blank lines is
    numbered as its line, as telemetry's rows are (it read row 2 for the fourth line)."""
    body = "region,start,end,reason\neu-west,2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,ok\n"
    bom = tmp_path / "bom.csv"
    bom.write_text("\ufeff" + body, encoding="utf-8")
    assert read_outage_calendar(bom)["region"].to_list() == ["eu-west"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(body.replace("ok", "Wartung für Zürich").encode("latin-1"))
    with pytest.raises(OutageCalendarError, match=r"latin.csv: not UTF-8 text .*save it as UTF-8"):
        read_outage_calendar(latin)
    twice = write(tmp_path, "start,end,end\n2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,x\n")
    with pytest.raises(OutageCalendarError, match=r"names \['end'\] more than once"):
        read_outage_calendar(twice)
    gaps = write(tmp_path, "start,end\n\n\nyesterday,2026-03-01T00:00:00Z\n")
    with pytest.raises(OutageCalendarError, match=r"row 3, column 'start'"):
        read_outage_calendar(gaps)


def test_every_bad_row_is_reported_at_once_and_a_misspelt_region_is_one(tmp_path: Path) -> None:
    """Three bad rows in one file: one error lists all three (end before start, a region the
    telemetry does not have, a stamp that is not a date); the good row alone is not used."""
    path = write(
        tmp_path,
        "region,start,end,reason\n"
        "us-east,2026-11-01T00:00:00Z,2026-11-01T05:00:00Z,power\n"
        "us-east,2026-11-02T00:00:00Z,2026-11-01T05:00:00Z,backwards\n"
        "us-esat,2026-11-03T00:00:00Z,2026-11-03T05:00:00Z,typo\n"
        "us-west,notadate,2026-11-03T05:00:00Z,bad stamp\n",
    )
    with pytest.raises(OutageCalendarError) as info:
        read_outage_calendar(path, regions=["us-east", "us-west"])
    lines = str(info.value).splitlines()
    assert lines[0] == "3 bad row(s); the calendar was not used:"
    assert [line.split(",")[0].strip() for line in lines[1:]] == [
        f"{path}: row {n}" for n in (2, 3, 4)
    ]
    assert (
        "column 'region': 'us-esat' is not a region of the telemetry (us-east, us-west)"
        in (lines[2])
    )
    # Without the telemetry's regions the reader cannot judge a region: the typo is not an error.
    with pytest.raises(OutageCalendarError, match="2 bad row"):
        read_outage_calendar(path)


def test_a_window_past_the_telemetry_or_over_all_of_a_region_is_refused(tmp_path: Path) -> None:
    """A year typed 2030 for 2026 ended the window four years past the newest telemetry, and
    one over a region's whole history left the region out of the forecast, both without a
    word: with the telemetry's spans each is a bad row, named; a blank region covering every
    region's history is one too, and a window inside the history is fine."""
    spans = {
        "us-east": (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 2, 23, tzinfo=UTC)),
        "us-west": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 2, 23, tzinfo=UTC)),
    }
    path = write(
        tmp_path,
        "region,start,end,reason\n"
        "us-east,2026-11-01T00:00:00Z,2030-11-02T00:00:00Z,year typo\n"
        "us-west,2026-10-15T00:00:00Z,2026-12-03T00:00:00Z,all of it\n"
        ",2026-09-01T00:00:00Z,2026-12-03T12:00:00Z,everything\n",
    )
    with pytest.raises(OutageCalendarError) as info:
        read_outage_calendar(path, regions=list(spans), spans=spans)
    lines = str(info.value).splitlines()[1:]
    assert "row 1, column 'end': 2030-11-02T00:00:00Z is more than a day after" in lines[0]
    assert "row 2, columns 'start' and 'end': the window covers every hour of us-west's" in lines[1]
    assert (
        "row 3, columns 'start' and 'end': the window covers every hour of every region's"
        in (lines[2])
    )
    inside = write(
        tmp_path, "region,start,end\nus-west,2026-10-15T00:00:00Z,2026-12-02T00:00:00Z\n"
    )
    assert read_outage_calendar(inside, regions=list(spans), spans=spans).height == 1


def test_a_window_before_the_first_telemetry_hour_is_kept_and_said_to_mark_nothing(
    tmp_path: Path,
) -> None:
    """A window of 2019 in a calendar kept for years, against telemetry from 2026 on, marked
    nothing and said nothing: it is still kept (a long-kept calendar is no bad file), and a
    line names the file, its row and the rule; a window reaching into the telemetry, and one
    of another region before only that region's first hour, are told apart."""
    spans = {
        "us-east": (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 2, 23, tzinfo=UTC)),
        "us-west": (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 2, 23, tzinfo=UTC)),
    }
    path = write(
        tmp_path,
        "region,start,end,reason\n"
        "us-east,2019-03-01T00:00:00Z,2019-03-01T04:00:00Z,old hall move\n"
        "us-east,2026-11-01T00:00:00Z,2026-11-01T02:00:00Z,collector restart\n"
        ",2026-10-20T00:00:00Z,2026-10-20T01:00:00Z,us-east only\n"
        "us-west,2026-10-20T00:00:00Z,2026-10-20T01:00:00Z,before us-west's first\n"
        ",2026-09-30T00:00:00Z,2026-10-01T00:00:00Z,ends at the first hour\n",
    )
    assert read_outage_calendar(path, regions=list(spans), spans=spans).height == 5
    notes = outage_calendar_notes(path, spans=spans)
    assert notes == [
        f"{path}: row 1: the window 2019-03-01T00:00:00Z to 2019-03-01T04:00:00Z ends before "
        "the first telemetry hour of us-east (2026-10-01T00:00Z): marks nothing (kept; check "
        "the year, or remove the row)",
        f"{path}: row 4: the window 2026-10-20T00:00:00Z to 2026-10-20T01:00:00Z ends before "
        "the first telemetry hour of us-west (2026-11-01T00:00Z): marks nothing (kept; check "
        "the year, or remove the row)",
        f"{path}: row 5: the window 2026-09-30T00:00:00Z to 2026-10-01T00:00:00Z ends before "
        "the first telemetry hour of any region (2026-10-01T00:00Z): marks nothing (kept; "
        "check the year, or remove the row)",
    ]
    assert outage_calendar_notes(path, spans=spans) == notes  # read again: the same lines


def test_adapter_windows_mark_the_hours_they_touch() -> None:
    """Helios's own outage window (06:01-08:01 UTC) as a calendar marks hours 06, 07 and 08.

    Without it, only hour 07 (no minute left, so no row) is a gap; the window also marks the
    hours the adapter averaged over the few live minutes at its edges.
    """
    adapter = ADAPTERS["helios"]
    report = adapter.report(HELIOS)
    calendar = report.outage_calendar(region="helios")
    assert calendar.height == 1 and calendar["region"][0] == "helios"
    assert calendar["end"][0] == datetime(2020, 5, 12, 8, 2, tzinfo=UTC)
    telemetry = adapter.scan(HELIOS).collect()
    hourly = telemetry.select(
        "ts",
        "region",
        "workload_class",
        "customer",
        (pl.col("gpus_running") + pl.col("gpus_queued")).alias("y"),
    )
    gaps = outage_hours(hourly)
    assert gaps["ts"].dt.hour().to_list() == [7]
    marked = outage_hours(hourly, outages=calendar)
    assert marked["ts"].dt.hour().to_list() == [6, 7, 8]


SERVEGEN = Path("/work/shared/data/servegen_client_rates_10min.csv.gz")


@pytest.mark.slow
def test_servegen_small_clients_are_idle_not_dark() -> None:
    """Real telemetry: ServeGen's ten smallest m-small clients are idle in most hours.

    Their region reads zero in 283 of 336 hours (sub-GPU demand by day, idle otherwise). The
    older rule turned those hours into outages and every one of the 14 days into a null; the
    rows are there, so the days are whole and there is no outage.
    """
    if not SERVEGEN.is_file():
        pytest.skip(f"ServeGen trace not found at {SERVEGEN}; see /work/shared/data/SOURCES.md")
    telemetry = ADAPTERS["servegen"].scan(SERVEGEN).collect()
    small = telemetry.filter(pl.col("customer").str.starts_with("m-small/"))
    sizes = small.group_by("customer").agg(pl.col("gpus_running").mean())
    keep = sizes.sort("gpus_running", "customer").head(10)["customer"].to_list()
    hourly = small.filter(pl.col("customer").is_in(keep)).select(
        "ts",
        "region",
        "workload_class",
        "customer",
        (pl.col("gpus_running") + pl.col("gpus_queued")).alias("y"),
    )
    by_hour = hourly.group_by("ts").agg(pl.col("y").sum())
    assert (by_hour["y"] == 0).sum() > by_hour.height / 2
    total = demand_series(hourly).filter(pl.col("unique_id") == "total")
    assert total.height == 2 * 14 and total["y"].null_count() == 0
    assert outage_hours(hourly).is_empty()
    old = demand_series(hourly, zero_is_outage=True).filter(pl.col("unique_id") == "total")
    assert old["y"].null_count() == 2 * 14


def _hourly(region: str, stamps: list[datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": stamps,
            "region": region,
            "workload_class": "inference",
            "customer": "acme",
            "y": 10.0,
        }
    ).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))


def test_a_stray_row_months_before_a_region_s_first_day_invents_no_outage_months() -> None:
    """One row on 2026-01-01 in a region reporting from 2026-08-07 read 5,234 outage hours in
    `demand` (the span from that row on): the stray row is no start of the region's history,
    so only the real gap counts (3 hours). A region whose leading rows span more than a day,
    or whose gap after them is under four weeks, still counts its gap as an outage."""
    from datetime import timedelta

    start = datetime(2026, 8, 7)
    hours = [start + timedelta(hours=h) for h in range(96) if h not in (40, 41, 42)]
    stray = _hourly("us-east", [datetime(2026, 1, 1, 12), *hours])
    gaps = outage_hours(stray)
    assert gaps.height == 3
    assert gaps["ts"].min() == datetime(2026, 8, 8, 16, tzinfo=UTC)
    # A week dark after 24 hours of rows is an outage of the region, not a stray row before it.
    early = [start - timedelta(days=8) + timedelta(hours=h) for h in range(24)]
    dark = outage_hours(_hourly("us-east", [*early, *hours]))
    assert dark.height == 3 + 7 * 24


def test_a_quote_left_open_neither_swallows_windows_nor_tracebacks(tmp_path: Path) -> None:
    """A reason with a quote opened and not closed (`"fiber cut`) made the csv reader take
    every line after it as that reason's text: the calendar loaded one window where three were
    written, the other two gone without a word. In a longer calendar the swallowed text
    passed the csv module's 128 KiB field limit and `fleetcast forecast --outages` stopped on
    a traceback (`_csv.Error: field larger than field limit`). Both are now a bad row naming
    the file, the row where the quote opened, the column and the rule; a quote inside a
    field (`fiber "cut" x`) is still text."""
    header = "region,start,end,reason\n"
    rest = (
        "us-west,2025-02-01T00:00:00Z,2025-02-01T03:00:00Z,power\n"
        "us-east,2025-03-01T00:00:00Z,2025-03-01T03:00:00Z,x\n"
    )
    opened = write(
        tmp_path, header + 'us-east,2025-01-01T00:00:00Z,2025-01-01T03:00:00Z,"fiber cut\n' + rest
    )
    with pytest.raises(OutageCalendarError) as swallowed:
        read_outage_calendar(opened)
    assert (
        f"{opened}: row 1, column 'reason': a line break inside the field: a quote opened and "
        "not closed? (it ran to row 3, taking the rows between as its text)"
    ) in str(swallowed.value)
    long = tmp_path / "long.csv"
    windows = "".join(
        f"us-east,2025-01-{d:02d}T00:00:00Z,2025-01-{d:02d}T01:00:00Z,{'x' * 5000}\n"
        for d in range(1, 29)
    )
    long.write_text(header + 'us-east,2024-12-01T00:00:00Z,2024-12-01T01:00:00Z,"cut\n' + windows)
    with pytest.raises(OutageCalendarError) as limit:
        read_outage_calendar(long)
    assert str(limit.value).startswith(
        f"{long}: row 1: the csv reader stopped (field larger than field limit (131072)): a "
        "quote opened and not closed"
    )
    inside = write(
        tmp_path,
        header + 'us-east,2025-01-01T00:00:00Z,2025-01-01T03:00:00Z,fiber "cut" x\n' + rest,
    )
    assert read_outage_calendar(inside)["reason"].to_list() == ['fiber "cut" x', "power", "x"]


def test_a_gzipped_calendar_named_csv_says_to_gunzip_it(tmp_path: Path) -> None:
    """An outage calendar gzipped under a .csv name read "not UTF-8 text (invalid start byte
    at byte 1); save it as UTF-8", sending the reader to re-encode a file that was compressed:
    it now says the file is gzip data and how to unpack it, as contracts and events do."""
    packed = tmp_path / "outages.csv"
    packed.write_bytes(
        gzip.compress(b"region,start,end\nus-east,2025-01-01T00:00:00Z,2025-01-01T03:00:00Z\n")
    )
    with pytest.raises(OutageCalendarError) as refused:
        read_outage_calendar(packed)
    assert str(refused.value).startswith(f"{packed}: gzip data in a file named .csv: gunzip it")


@pytest.mark.parametrize(
    "header",
    ["Region,Start,End,Reason", " region , start ,end , reason", "REGION,START,END,REASON"],
)
def test_a_header_in_another_case_or_with_spaces_reads_as_telemetry_s_does(
    tmp_path: Path, header: str
) -> None:
    """``Region,Start,End,Reason`` was refused ("lacks ['start', 'end'] and has unknown
    columns"), and `` region , start ,...`` read every whole row as "has 4 fields where the
    header has 4 (a line cut short?)": telemetry matches its column names whatever their case
    or surrounding spaces, and so does the calendar."""
    path = write(tmp_path, f"{header}\neu-west,2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,x\n")
    frame = read_outage_calendar(path)
    assert frame["region"].to_list() == ["eu-west"]
    assert frame["end"][0] == datetime(2026, 3, 1, 16, tzinfo=UTC)
    assert frame["reason"].to_list() == ["x"]
    twice = write(tmp_path, "Start,start,end\n2026-03-01T14:00:00Z,2026-03-01T14:00:00Z,x\n")
    with pytest.raises(OutageCalendarError, match=r"names \['start'\] more than once"):
        read_outage_calendar(twice)


def test_a_window_in_year_0001_or_years_ahead_is_refused_without_the_telemetry(
    tmp_path: Path,
) -> None:
    """``0001-03-01`` (a zero date from an export) and an end in 2099 were read as windows
    without a word, where telemetry refuses a timestamp before 2010-01-01 or past now + 1 day:
    the calendar marks measured hours, so each is a bad row naming its column and the rule,
    even before the telemetry is known (``fleetcast run`` reads the calendar before ingest)."""
    path = write(
        tmp_path,
        "region,start,end,reason\n"
        "eu-west,0001-03-01T14:00:00Z,0001-03-01T16:00:00Z,zero date\n"
        ",2026-03-01T14:00:00Z,2099-03-01T16:00:00Z,far future\n"
        "eu-west,2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,fine\n",
    )
    with pytest.raises(OutageCalendarError) as info:
        read_outage_calendar(path, now=datetime(2026, 12, 6, tzinfo=UTC))
    lines = str(info.value).splitlines()
    assert lines[0] == "2 bad row(s); the calendar was not used:"
    assert lines[1] == (
        f"  {path}: row 1, column 'start': 0001-03-01T14:00:00Z is before 2010-01-01, the "
        "telemetry's floor (a zero or epoch default?); check the year"
    )
    assert lines[2].startswith(
        f"  {path}: row 2, column 'end': 2099-03-01T16:00:00Z is more than a day after now "
        "(2026-12-06T00:00Z); "
    )
    assert lines[2].endswith("an outage calendar marks hours that were measured: check the year")


def test_a_spreadsheet_s_trailing_nameless_columns_are_ignored_as_telemetry_s_are(
    tmp_path: Path,
) -> None:
    """A calendar saved from a spreadsheet with a trailing empty column
    (``region,start,end,reason,``) was refused ("has unknown columns ['']"), where telemetry
    ignores a column without a name: ignored here too, also on a row that leaves it out; a
    named column the calendar does not know is still refused."""
    path = write(
        tmp_path,
        "region,start,end,reason,,\n"
        "eu-west,2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,x,,\n"
        "eu-west,2026-03-02T14:00:00Z,2026-03-02T16:00:00Z,y\n",
    )
    assert read_outage_calendar(path)["reason"].to_list() == ["x", "y"]
    named = write(tmp_path, "start,end,owner\n2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,ops\n")
    with pytest.raises(OutageCalendarError, match=r"has unknown columns \['owner'\]"):
        read_outage_calendar(named)


@pytest.mark.parametrize("where", ["direct", "flow"])
def test_a_forecast_reads_its_outage_calendar_once(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`forecast --outages FILE` read the calendar twice per run: once to mark the outage
    hours, again when storing the run for the windows that mark nothing, with a second GROUP
    BY over the telemetry for their spans. One read serves both now, directly and under the
    flow, and the warning is said once as before."""
    from prefect.task_runners import ThreadPoolTaskRunner
    from telemetry_files import write_csv

    from flows.forecast import forecast_flow
    from forecasting import ingest, runs, warehouse
    from forecasting.options import ForecastOptions
    from forecasting.traces import outages

    rows = [f"2025-03-01T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,10,1" for h in range(24)]
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path) as wh:
        assert ingest.ingest_file(wh, write_csv(tmp_path / "d.csv", *rows)).status == "loaded"
    calendar = write(
        tmp_path,
        "region,start,end,reason\n"
        "eu-west,2019-06-01T00:00:00Z,2019-06-02T00:00:00Z,old hall\n"
        "eu-west,2025-03-01T05:00:00Z,2025-03-01T06:00:00Z,restart\n",
    )
    reads: list[Path] = []
    read = outages._windows_and_notes

    def counted(path: Path, **kwargs: object) -> tuple[pl.DataFrame, list[str]]:
        reads.append(path)
        return read(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outages, "_windows_and_notes", counted)
    options = ForecastOptions(outages=calendar, horizon_months=0)
    if where == "direct":
        run = runs.forecast(path, options)
    else:
        flow = forecast_flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
        run = flow(path, options)
    assert reads == [calendar]
    old = [w for w in run.warnings if "marks nothing" in w]
    assert len(old) == 1 and f"{calendar}: row 1: the window 2019-06-01" in old[0], run.warnings


def test_a_decision_backtest_reads_demand_with_the_forecasts_outage_calendar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fleetcast backtest-decisions` read demand without the outage calendar `forecast
    --outages` honours: a collector that wrote zeros for four hours of 2025-03-02 pulled that
    day's demand down by a sixth in every replay, where the forecast left those hours out. The
    backtest reads demand with the forecast's reader and the same calendar (`--outages`), so
    its series is the forecast's to the row."""
    from datetime import date

    from flows.cli import main
    from forecasting import decisions
    from forecasting.options import DecisionOptions, ForecastOptions
    from forecasting.runs import demand_series_for

    path = _collector_zeros(tmp_path, zero_hours=range(5, 9))
    calendar = write(
        tmp_path, "region,start,end,reason\neu-west,2025-03-02T05:00:00Z,2025-03-02T09:00:00Z,x\n"
    )
    options = DecisionOptions(first_as_of=date(2025, 3, 2), outages=calendar)
    series = decisions.backtest_inputs(path, options).series
    forecast = demand_series_for(
        path,
        ForecastOptions(customers_per_class=options.customers_per_class, outages=calendar),
    )
    assert series.equals(forecast)
    total = series.filter(pl.col("unique_id") == "total").sort("ds")
    assert total["y"].to_list()[:3] == pytest.approx([120.0, 120.0, 120.0])
    # The CLI hands the calendar to the backtest, as `forecast --outages` does.
    seen: list[DecisionOptions] = []

    def captured(*args: object) -> None:
        seen.append(args[-1])  # type: ignore[arg-type]
        raise ValueError("stop here")

    monkeypatch.setattr("flows.direct.backtest_decisions", captured)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    argv = ["--warehouse", str(path), "backtest-decisions", "--from", "2025-03-02"]
    assert main([*argv, "--outages", str(calendar)]) == 2
    assert seen[0].outages == calendar


def _collector_zeros(tmp_path: Path, *, zero_hours: range) -> Path:
    """A warehouse of three days of eu-west inference at 120 GPUs an hour, whose collector
    wrote zeros in ``zero_hours`` of 2025-03-02."""
    from telemetry_files import write_csv

    from forecasting import ingest, warehouse

    rows = [
        f"2025-03-{d:02d}T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,"
        f"{0 if d == 2 and h in zero_hours else 120},0"
        for d in range(1, 4)
        for h in range(24)
    ]
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path) as wh:
        assert ingest.ingest_file(wh, write_csv(tmp_path / "d.csv", *rows)).status == "loaded"
    return path


@pytest.mark.parametrize("rule", ["calendar", "zero-is-outage"])
def test_a_drill_s_day_shapes_leave_out_the_hours_its_forecast_read_as_outages(
    rule: str, tmp_path: Path
) -> None:
    """`forecast --outages` (or `--zero-is-outage`) left a collector's four hours of zeros out
    of the demand, but `fleetcast drill` reread the telemetry raw: that day's shape in eu-west
    read 0 GPUs at 05:00-08:00 and 1.2x the day's mean at every other hour, so each drill path
    drawing it peaked a fifth above its level and emptied for four hours. The run stores the
    windows it applied and the drill masks exactly those, even after the calendar file is
    gone: the day reads flat, its outage hours at the day's mean."""
    from datetime import date

    from forecasting import runs
    from forecasting.options import ForecastOptions

    path = _collector_zeros(tmp_path, zero_hours=range(5, 9))
    calendar = write(
        tmp_path, "region,start,end,reason\neu-west,2025-03-02T05:00:00Z,2025-03-02T09:00:00Z,x\n"
    )
    options = ForecastOptions(
        horizon_months=0,
        outages=calendar if rule == "calendar" else None,
        zero_is_outage=rule == "zero-is-outage",
    )
    run = runs.forecast(path, options)
    calendar.unlink()  # the calendar may change or vanish after the run
    shapes = runs.drill_inputs(path, run.run_id, None, 0).shapes
    day = shapes.filter(pl.col("date") == date(2025, 3, 2)).sort("hour")
    assert day.height == 24
    assert day["factor"].to_list() == pytest.approx([1.0] * 24)
    with warehouse_open(path) as wh:
        stored = wh.outage_windows(run.run_id)
    assert stored is not None
    assert stored.select("region", "start", "end", "source").rows() == [
        (
            "eu-west",
            datetime(2025, 3, 2, 5, tzinfo=UTC),
            datetime(2025, 3, 2, 9, tzinfo=UTC),
            rule,
        )
    ]


def warehouse_open(path: Path):  # type: ignore[no-untyped-def]
    """The warehouse at ``path``, read-only."""
    from forecasting import warehouse

    return warehouse.connect(path, read_only=True)


def test_a_drill_s_extrapolated_line_counts_the_days_its_forecast_observed(
    tmp_path: Path,
) -> None:
    """A calendar window over five hours of 2025-03-02 leaves that day with 19 hours, which the
    forecast reads as missing; the drill's "extrapolated:" line reread the telemetry raw and
    said the forecast stood "on 3 days of history" (its measured reach counted the outage
    day's zeros as actuals). It reads the run's own days now: 2 observed days in 3."""
    from forecasting import runs
    from forecasting.options import ForecastOptions

    path = _collector_zeros(tmp_path, zero_hours=range(5, 10))
    calendar = write(
        tmp_path, "region,start,end,reason\neu-west,2025-03-02T05:00:00Z,2025-03-02T10:00:00Z,x\n"
    )
    run = runs.forecast(path, ForecastOptions(horizon_months=0, outages=calendar))
    line = runs.extrapolated_warning(path, run.run_id)
    assert line is not None and "on 2 observed days in 3 days of history" in line, line


def test_a_report_s_history_leaves_out_the_hours_its_forecast_read_as_outages(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """A report of a forecast run with `--outages` reread the telemetry raw: its history
    charts, concentration and measured reach counted a calendar outage's hours as demand,
    on a day the forecast read as missing. The report reads the hours the run read, through
    the windows it stored (the calendar file gone since), and a run stored before migration
    41, which kept none, says its outage hours are not known."""
    import shutil
    from datetime import timedelta

    from forecasting import runs, warehouse
    from forecasting.capacity import load_capacity
    from forecasting.options import ForecastOptions, ReportOptions
    from forecasting.runs.reports import report_warnings

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    with warehouse.connect(path, read_only=True) as wh:
        newest = wh.newest_telemetry()
        region = str(wh.query("SELECT min(region) AS r FROM telemetry_series").item())
    assert newest is not None
    day = newest.date() - timedelta(days=3)
    calendar = write(
        tmp_path,
        f"region,start,end,reason\n{region},{day}T05:00:00Z,{day}T10:00:00Z,collector\n",
    )
    options = ForecastOptions(
        horizon_days=7,
        horizon_months=0,
        n_paths=20,
        customers_per_class=3,
        models=("seasonal_naive", "drift"),
        outages=calendar,
    )
    run = runs.forecast(path, options)
    calendar.unlink()
    plan = load_capacity(fleet.capacity)
    report_options = ReportOptions()
    triggers = runs.compute_triggers(path, fleet.capacity, plan, report_options)
    inputs = runs.report_inputs(path, plan, triggers, report_options)
    on_day = inputs.history.filter(
        (pl.col("unique_id") == f"total/{region}") & (pl.col("ds") == day)
    )
    assert on_day.height > 0 and on_day["y"].is_null().all(), on_day
    assert not any("not known" in w for w in report_warnings(inputs))
    # A run stored before migration 41 recorded no windows: read raw, and said so.
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute(
            "UPDATE forecast_runs SET outages_recorded = NULL WHERE run_id = ?", [run.run_id]
        )
    finally:
        con.close()
    inputs = runs.report_inputs(path, plan, triggers, report_options)
    on_day = inputs.history.filter(
        (pl.col("unique_id") == f"total/{region}") & (pl.col("ds") == day)
    )
    assert on_day["y"].is_not_null().all()
    assert any(
        "outage hours not known for runs stored before" in w for w in report_warnings(inputs)
    ), report_warnings(inputs)


def test_a_decision_backtest_says_when_its_outage_calendar_marks_no_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`backtest-decisions --outages FILE` with a calendar kept from 2019, against telemetry
    of March 2025, printed nothing about it, where `forecast --outages` said the window marks
    nothing: the backtest says the same lines, and that the calendar marks no hour between
    the telemetry's first and last hours."""
    from flows.cli import main
    from forecasting.options import ForecastOptions
    from forecasting.resources import sample_capacity
    from forecasting.runs import demand_read_for

    path = _collector_zeros(tmp_path, zero_hours=range(0))
    calendar = write(
        tmp_path, "region,start,end,reason\neu-west,2019-06-01T00:00:00Z,2019-06-02T00:00:00Z,x\n"
    )
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    argv = ["--warehouse", str(path), "--capacity", str(sample_capacity())]
    argv += ["--reports", str(tmp_path / "reports"), "backtest-decisions", "--from", "2025-03-02"]
    assert main([*argv, "--outages", str(calendar), "--workers", "1"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert (
        f"{calendar}: row 1: the window 2019-06-01T00:00:00Z to 2019-06-02T00:00:00Z ends before "
        "the first telemetry hour of eu-west (2025-03-01T00:00Z): marks nothing"
    ) in said, said
    none = (
        f"the outage calendar {calendar} marks no hour between 2025-03-01T00:00Z and "
        "2025-03-03T23:00Z"
    )
    assert none in said, said
    # The forecast's reader says the same line: one rule for both runs.
    read = demand_read_for(path, ForecastOptions(outages=calendar))
    assert any(note.startswith(none) for note in read.outage_notes), read.outage_notes


def test_the_extrapolated_banner_counts_the_total_s_observed_days() -> None:
    """Helios exported with hk-west silent three days mid-month read "Extrapolated: the daily
    forecast reaches 182 days ahead on 30 observed days in 31 days of history" on every page,
    where the total (and hk-west, the larger region) had 27: the count was of days any region
    observed. It is the total's own, its regions' only where the total has none."""
    from datetime import date, timedelta

    import polars as pl

    from forecasting.report.inputs import extrapolated_text

    days = [date(2020, 5, 1) + timedelta(days=d) for d in range(31)]
    silent = {days[9], days[13], days[14], days[15]}  # an outage day and three silent ones
    rows = [
        {"unique_id": uid, "ds": d, "measure": "mean", "y": None if gone(d) else 100.0}
        for d in days
        for uid, gone in (
            ("total", lambda d: d in silent),
            ("total/hk-east", lambda d: d == days[9]),
            ("total/hk-west", lambda d: d in silent),
        )
    ]
    history = pl.DataFrame(
        rows,
        schema={"unique_id": pl.String, "ds": pl.Date, "measure": pl.String, "y": pl.Float64},
    )
    empty = pl.DataFrame(
        schema={
            "unique_id": pl.String,
            "cutoff": pl.Date,
            "mae": pl.Float64,
            "horizon_days": pl.Int64,
        }
    )
    said = extrapolated_text(
        history,
        pl.DataFrame({"unique_id": ["total"]}),
        backtest=empty,
        horizon_accuracy=empty,
        as_of=days[-1],
        end=days[-1] + timedelta(days=182),
    )
    assert "on 27 observed days in 31 days of history" in said, said
    # No whole day of the total: its regions' days, as before.
    regions_only = history.filter(pl.col("unique_id") != "total")
    said = extrapolated_text(
        regions_only,
        pl.DataFrame({"unique_id": ["total"]}),
        backtest=empty,
        horizon_accuracy=empty,
        as_of=days[-1],
        end=days[-1] + timedelta(days=182),
    )
    assert "on 30 observed days in 31 days of history" in said, said


def test_calendar_times_without_a_zone_are_read_as_utc_and_said_as_telemetry_s_are(
    tmp_path: Path,
) -> None:
    """A calendar row `eu-west,2025-03-02T05:00,2025-03-02T10:00` was read as UTC without a
    word, while a telemetry row stamped `2025-03-02T05:00` is read as UTC and counted in the
    ingest's notes: a calendar kept in local time (CET) marked the wrong five hours and
    nothing said which zone was assumed. One rule for both: read as UTC, and the forecast's
    summary (its warnings) names the calendar, the rows and what to write for local times."""
    from telemetry_files import write_csv

    from forecasting import ingest, runs, warehouse
    from forecasting.options import ForecastOptions
    from forecasting.schema import NO_ZONE_RULE

    path = _collector_zeros(tmp_path, zero_hours=range(5, 10))
    calendar = write(
        tmp_path,
        "region,start,end,reason\n"
        "eu-west,2025-03-02T05:00:00Z,2025-03-02T06:00:00Z,zoned\n"
        "eu-west,2025-03-02T06:00,2025-03-02T10:00,local?\n",
    )
    windows, notes = outage_calendar_read(calendar)
    assert windows["start"][1] == datetime(2025, 3, 2, 6, tzinfo=UTC)
    line = (
        f"{calendar}: 2 time(s) in column start or end (row(s) 2) had no zone and were read as "
        "UTC; if they are local times, write the zone (2026-03-01T02:00:00Z, or an offset such "
        "as +01:00)"
    )
    assert notes == [line]
    run = runs.forecast(path, ForecastOptions(horizon_months=0, outages=calendar))
    assert line in run.warnings, run.warnings
    # Telemetry's rule, word for word.
    with warehouse.connect(tmp_path / "w2.duckdb") as wh:
        stamped = write_csv(tmp_path / "n.csv", "2025-03-01T05:00,eu-west,c1,inference,a,H100,1,0")
        result = ingest.ingest_file(wh, stamped)
    assert f"1 timestamp(s) {NO_ZONE_RULE}" in result.notes, result.notes
