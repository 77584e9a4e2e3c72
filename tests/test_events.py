"""Known events: reading calendars, scoping events to series, using them without leakage."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from rich.console import Console
from rich_tables import first_row

from forecasting.events import (
    EventsFileError,
    events_for_series,
    holidays_known_by,
    kinds_without_past,
    read_events,
)
from forecasting.forecast import ForecastSettings, forecast_series, mase
from forecasting.schema import EVENTS_SCHEMA

HEADER = "event,date,region,workload_class,customer,lower_window,upper_window,announced"


def write(tmp_path: Path, *lines: str, name: str = "events.csv") -> Path:
    """A CSV events file with the given lines under ``name``."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "column", "rule"),
    [
        (",2026-01-10,,,,0,0,", "event", "missing value"),
        ("launch,,,,,0,0,", "date", "missing value"),
        ("launch,10/01/2026,,,,0,0,", "date", "date not ISO-8601 (YYYY-MM-DD)"),
        ("launch,2026-01-10,,,,0,0,soon", "announced", "date not ISO-8601 (YYYY-MM-DD)"),
        ("launch,2026-01-10,,infer,,0,0,", "workload_class", "unknown workload class"),
        ("launch,2026-01-10,,,,0,1.5,", "upper_window", "not an integer"),
        ("launch,2026-01-10,,,,2,0,", "lower_window", "lower_window above 0"),
        ("launch,2026-01-10,,,,0,-1,", "upper_window", "upper_window below 0"),
        ("launch,2026-01-10,,,,0,400,", "upper_window", "window longer than 366 days"),
        ("launch,0001-01-01,,,,0,0,", "date", "date before 2010-01-01"),
        ("launch,9999-12-25,,,,0,0,", "date", "date more than 10 years after today"),
        ("launch,2026-01-10,,,,0,0,1970-01-01", "announced", "date before 2010-01-01"),
        ("launch,2026-01-10,,,,0,0,2026-01-11", "announced", "announced after the event's date"),
        # A line whose fields do not line up: refused whole (it refused the file, or a short
        # row read as an event spanning every region).
        ("launch,2026-01-10,,,,0,0,,EXTRA", "(row)", "the row has more fields than the header"),
        ("launch,2026-01-10,us-east", "(row)", "the row has fewer fields than the header"),
        ('launch,2026-01-10,"us-east,,,0,0,', "(row)", "malformed quoting"),
    ],
)
def test_bad_row_is_refused_with_row_column_and_rule(
    tmp_path: Path, line: str, column: str, rule: str
) -> None:
    """Each rule refuses its row by number and column; the good rows around it are kept."""
    path = write(
        tmp_path, HEADER, "launch,2026-01-01,us-east,,,0,7,", line, "holiday,2026-12-25,,,,-1,1,"
    )
    read = read_events(path)
    assert read.events["event"].to_list() == ["launch", "holiday"]
    problem = read.problems.row(0, named=True)
    assert read.problems.height == 1
    assert problem["row_number"] == 2
    assert problem["column"] == column
    assert problem["rule"].startswith(rule)


def test_every_fault_of_a_bad_row_is_refused_not_only_the_first(tmp_path: Path) -> None:
    """A row with five faults was refused for its first alone ("date not ISO-8601"), so its
    unknown class, both windows and its announcement met the user one load at a time. Every
    fault is now a problem of its own, naming row, column and rule, in the documented order;
    a line whose fields do not line up keeps its one fault (its cells are not worth judging),
    the row still counts once in the file's rows, and the good rows are kept."""
    path = write(
        tmp_path,
        HEADER,
        "launch,2026-01-01,us-east,,,0,7,",
        "launch,10/01/2026,,infer,,2,-1,soon",
        ",2026-01-10,,,,x,400,",
        "launch,2026-01-10,,,,0,0,,EXTRA",
        "holiday,2026-12-25,,,,-1,1,",
    )
    read = read_events(path)
    assert read.events["event"].to_list() == ["launch", "holiday"]
    said = [(r[0], r[1], r[2].split(" (")[0].split(":")[0]) for r in read.problems.rows()]
    assert said == [
        (2, "date", "date not ISO-8601"),
        (2, "announced", "date not ISO-8601"),
        (2, "workload_class", "unknown workload class"),
        (2, "lower_window", "lower_window above 0"),
        (2, "upper_window", "upper_window below 0"),
        (3, "event", "missing value"),
        (3, "lower_window", "not an integer"),
        (3, "upper_window", "window longer than 366 days"),
        (4, "(row)", "the row has more fields than the header"),
    ]
    assert read.rows == 5


def test_events_file_reads_into_the_contract(tmp_path: Path) -> None:
    """Blank scope cells are null, absent windows are 0, and the frame has EVENTS_SCHEMA."""
    path = write(
        tmp_path, "event,date,customer,note", "launch,2026-03-01, acme ,x", "eoy,2026-12-31,,"
    )
    read = read_events(path)
    assert read.events.schema == EVENTS_SCHEMA
    assert read.events.row(0, named=True) | {"description": None} == {
        "event": "launch",
        "date": date(2026, 3, 1),
        "region": None,
        "workload_class": None,
        "customer": "acme",
        "lower_window": 0,
        "upper_window": 0,
        "announced": None,
        "description": None,
    }
    assert read.ignored_columns == ("note",)


def test_later_row_of_the_same_event_wins(tmp_path: Path) -> None:
    """Two rows with one name, date and scope keep the later one and name the other, its row
    and the values it lost (it was only counted: "duplicates 1", no row, no file)."""
    path = write(tmp_path, HEADER, "launch,2026-01-10,,,,0,7,", "launch,2026-01-10,,,,0,3,")
    read = read_events(path)
    assert read.events["upper_window"].to_list() == [3]
    assert read.duplicates == 1
    assert read.duplicate_rows.to_dicts() == [
        {
            "row_number": 1,
            "column": "(row)",
            "rule": "duplicate of row 2 (same event, date and scope) with other values in "
            "upper_window: row 2 is kept; delete the row you do not mean",
            "value": "launch 2026-01-10",
        }
    ]


def test_an_exact_repeat_is_named_as_harmless(tmp_path: Path) -> None:
    """A row repeated exactly loses nothing: it is named as a repeat of the row kept, not as
    a conflict, and a different scope is another event, not a duplicate."""
    line = "launch,2026-01-10,us-east,,,0,7,"
    path = write(tmp_path, HEADER, line, line.replace("us-east", "us-west"), line)
    read = read_events(path)
    assert read.events.height == 2
    assert read.duplicate_rows.select("row_number", "rule").rows() == [
        (1, "repeats row 3 exactly (same event, date and scope): row 3 is kept")
    ]


def test_an_announcement_after_today_is_refused(tmp_path: Path) -> None:
    """``announced`` is a day that has passed: one in the future is refused with the rule,
    and one on today is kept."""
    path = write(
        tmp_path, HEADER, "launch,2026-03-01,,,,0,0,2026-02-01", "eoy,2026-03-02,,,,0,0,2026-01-01"
    )
    read = read_events(path, today=date(2026, 1, 1))
    assert read.events["event"].to_list() == ["eoy"]
    assert read.problems.to_dicts() == [
        {
            "row_number": 1,
            "column": "announced",
            "rule": "announced after today (2026-01-01): an announcement is a day that has passed",
            "value": "2026-02-01",
        }
    ]


def test_events_loaded_name_the_duplicate_rows(tmp_path: Path) -> None:
    """Loading a calendar carries each replaced row to the CLI's table, with file and row."""
    from flows.tables import events_tables
    from forecasting.runs import load_events_file

    path = write(tmp_path, HEADER, "launch,2026-01-10,,,,0,7,", "launch,2026-01-10,,,,0,3,")
    loaded = load_events_file(path, tmp_path / "wh.duckdb")
    assert [r["row_number"] for r in loaded.duplicate_rows] == [1]
    out = io.StringIO()
    for table in events_tables([loaded], limit=10):
        Console(file=out, width=300).print(table)
    assert "duplicate of row 2" in out.getvalue() and "events.csv" in out.getvalue()


def test_parquet_events_file_is_read(tmp_path: Path) -> None:
    """A Parquet calendar with typed columns is judged like a CSV one."""
    frame = pl.DataFrame(
        {"event": ["launch", "launch"], "date": [date(2026, 1, 1), None], "upper_window": [7, 7]}
    )
    path = tmp_path / "events.parquet"
    frame.write_parquet(path)
    read = read_events(path)
    assert read.events.height == 1
    assert read.problems.row(0, named=True)["column"] == "date"


def test_missing_required_column_names_file_and_columns(tmp_path: Path) -> None:
    """A file without a date column is refused whole, naming the file, the column and the fix."""
    path = write(tmp_path, "event,day", "launch,2026-01-01")
    with pytest.raises(
        EventsFileError, match=r"events.csv: missing required column\(s\) \['date'\]"
    ):
        read_events(path)


def test_a_column_named_twice_in_the_header_is_refused_naming_it(tmp_path: Path) -> None:
    """A header `event,date,Event` read every row's event from the last column without a
    word (a launch "model-launch" loaded as "n"), where telemetry and the outage calendar
    refuse a column they read named twice: so do events. An unread column twice is ignored,
    as telemetry ignores one."""
    path = write(tmp_path, "event,date,Event", "model-launch,2026-03-01,n")
    with pytest.raises(
        EventsFileError,
        match=r"events.csv: header names \['event'\] more than once; keep one of each",
    ):
        read_events(path)
    notes = write(tmp_path, "event,date,note,note", "model-launch,2026-03-01,a,b")
    assert read_events(notes).events["event"].to_list() == ["model-launch"]


def test_unknown_file_type_is_refused(tmp_path: Path) -> None:
    """Only CSV and Parquet calendars are read; the error lists them."""
    path = write(tmp_path, "{}", name="events.json")
    with pytest.raises(EventsFileError, match=r"\.csv, \.csv\.gz or \.parquet"):
        read_events(path)


# --- scope and knowledge -----------------------------------------------------------------------


def calendar() -> pl.DataFrame:
    """Three events: fleet-wide, one region, one customer in one class."""
    return pl.DataFrame(
        {
            "event": ["holiday", "migration", "launch"],
            "date": [date(2026, 12, 25), date(2026, 6, 1), date(2026, 7, 1)],
            "region": [None, "us-east", "us-west"],
            "workload_class": [None, None, "inference"],
            "customer": [None, None, "acme"],
            "lower_window": [0, 0, 0],
            "upper_window": [0, 2, 7],
            "announced": [None, date(2026, 5, 1), date(2026, 6, 15)],
            "description": [None, None, None],
        },
        schema=EVENTS_SCHEMA,
    )


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ((None, None, None), {"holiday", "migration", "launch"}),  # the total
        (("us-east", None, None), {"holiday", "migration"}),
        (("us-west", "training", None), {"holiday"}),
        (("us-west", "inference", "acme"), {"holiday", "launch"}),
        (("us-west", "inference", "other"), {"holiday"}),
    ],
)
def test_event_touches_series_whose_scope_overlaps(
    scope: tuple[str | None, str | None, str | None], expected: set[str]
) -> None:
    """An event touches its own series and the aggregates containing them, no others."""
    region, workload_class, customer = scope
    touching = events_for_series(
        calendar(), region=region, workload_class=workload_class, customer=customer
    )
    assert set(touching["event"]) == expected


def test_holidays_are_only_the_events_announced_by_the_day() -> None:
    """Before its announcement an event is unknown; unannounced events are known in advance."""
    assert set(holidays_known_by(calendar(), date(2026, 4, 30))["event"]) == {"holiday"}
    assert set(holidays_known_by(calendar(), date(2026, 6, 15))["event"]) == {
        "holiday",
        "migration",
        "launch",
    }


# --- forecasting with events -------------------------------------------------------------------

START = date(2024, 1, 1)
N_DAYS = 420
LAUNCHES = [START + timedelta(days=d) for d in range(40, N_DAYS + 60, 50)]


def spiky_series() -> pl.DataFrame:
    """Weekly demand with a 60 % surge over the 5 days from each launch, every 50 days."""
    rng = np.random.default_rng(7)
    t = np.arange(N_DAYS)
    y = 200 + 0.1 * t + 15 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 4, N_DAYS)
    days = [START + timedelta(days=int(i)) for i in t]
    for launch in LAUNCHES:
        for k in range(5):
            i = (launch - START).days + k
            if i < N_DAYS:
                y[i] *= 1.6
    return pl.DataFrame(
        {
            "unique_id": "total/us-east/inference/acme",
            "ds": days,
            "measure": "peak",
            "y": y,
            "region": "us-east",
            "workload_class": "inference",
            "customer": "acme",
        }
    )


def launches(*, announced_days_before: int) -> pl.DataFrame:
    """The series' launches as events announced some days ahead of each."""
    return pl.DataFrame(
        {
            "event": "launch",
            "date": LAUNCHES,
            "region": "us-east",
            "workload_class": None,
            "customer": None,
            "lower_window": 0,
            "upper_window": 4,
            "announced": [d - timedelta(days=announced_days_before) for d in LAUNCHES],
            "description": None,
        },
        schema=EVENTS_SCHEMA,
    )


SETTINGS = ForecastSettings(horizon_days=28, n_cutoffs=2, backtest_horizon=28, n_paths=20)


@pytest.mark.slow
def test_known_launches_make_prophet_a_candidate_that_wins() -> None:
    """With its launches known, the series backtests Prophet, picks it, and forecasts better."""
    series = spiky_series()
    train = series.filter(pl.col("ds") < START + timedelta(days=N_DAYS - 28))
    actual = series.filter(pl.col("ds") >= START + timedelta(days=N_DAYS - 28))["y"].to_numpy()
    with_events = forecast_series(
        train, settings=SETTINGS, events=launches(announced_days_before=30)
    )
    without = forecast_series(train, settings=SETTINGS)
    assert "prophet" in set(with_events.backtest["model"])
    assert "prophet" not in set(without.backtest["model"])
    assert "prophet" in with_events.model
    y = train["y"].to_numpy()
    scale = float(np.mean(np.abs(y[7:] - y[:-7])))
    err_with = mase(actual, with_events.forecast["mean"].to_numpy(), scale=scale)
    err_without = mase(actual, without.forecast["mean"].to_numpy(), scale=scale)
    assert err_with < 0.8 * err_without, (
        f"MASE with events {err_with:.3f}, without {err_without:.3f}"
    )


@pytest.mark.slow
def test_backtest_sees_no_event_announced_after_its_cutoff() -> None:
    """Launches announced only on the day see no benefit in the backtests, only in the forecast."""
    series = spiky_series()
    ahead = forecast_series(series, settings=SETTINGS, events=launches(announced_days_before=30))
    late = forecast_series(series, settings=SETTINGS, events=launches(announced_days_before=0))
    prophet = pl.col("model") == "prophet"
    score_ahead = ahead.backtest.filter(prophet)["mase"].mean()
    score_late = late.backtest.filter(prophet)["mase"].mean()
    # Announced on the day, a launch inside a backtest window is unknown at its cutoff.
    assert score_late > 1.3 * score_ahead  # type: ignore[operator]


def test_series_untouched_by_events_backtests_the_default_models() -> None:
    """An event in another region adds no model to a series' candidates."""
    series = spiky_series().with_columns(region=pl.lit("eu-west"))
    result = forecast_series(
        series.head(200), settings=SETTINGS, events=launches(announced_days_before=30)
    )
    assert set(result.backtest["model"]) - {m for m in result.backtest["model"] if "+" in m} == set(
        SETTINGS.models
    )


def test_an_events_header_reads_in_any_case(tmp_path: Path) -> None:
    """Column names in any case read as the calendar's fields, as telemetry's do ("Region"
    failed the whole file)."""
    path = write(tmp_path, HEADER.title(), "launch,2026-01-01,us-east,,,0,7,")
    read = read_events(path)
    assert read.events["event"].to_list() == ["launch"] and read.problems.is_empty()


# --- reloading a calendar ----------------------------------------------------------------------


def test_rerunning_an_identical_calendar_says_nothing_changed(tmp_path: Path) -> None:
    """`fleetcast events FILE` rerun on the same file read "replaced 21" though nothing
    changed. Stored events equal to the file's rows are counted unchanged; replaced counts
    only the events that changed or left the file."""
    from flows.tables import events_tables
    from forecasting.runs import load_events_file

    wh = tmp_path / "wh.duckdb"
    rows = ["launch,2026-11-05,,,,0,7,", "launch,2026-12-05,,,,0,7,", "sale,2026-10-01,,,,0,0,"]
    path = write(tmp_path, HEADER, *rows)
    load_events_file(path, wh)
    again = load_events_file(path, wh)
    assert (again.loaded, again.replaced, again.unchanged) == (3, 0, 3)
    assert first_row(*events_tables([again], limit=10)) == {
        "status": "loaded",
        "loaded": "3",
        "replaced": "0",
        "unchanged": "3",
        "duplicates": "0",
        "refused": "0",
        "kept": "0",
    }
    # A window widened and a row dropped: 2 replaced, 1 unchanged.
    write(tmp_path, HEADER, rows[0], rows[1].replace(",0,7,", ",0,9,"))
    changed = load_events_file(path, wh)
    assert (changed.loaded, changed.replaced, changed.unchanged) == (2, 2, 1)


def test_a_reload_whose_row_gained_a_typo_keeps_the_event_loaded_before(tmp_path: Path) -> None:
    """A calendar reloaded with one date typed 2027-01-41 dropped the stored 2027-01-14 launch
    (13 -> 12 events; the only announced future launch gone) while the row was only refused.
    The event the broken row stands for (same kind and scope, its date unreadable) is kept as
    loaded before, and a line names it; fixed, the row replaces it."""
    from forecasting import warehouse
    from forecasting.runs import load_events_file

    wh = tmp_path / "wh.duckdb"
    good = [
        HEADER,
        "model-launch,2026-11-05,us-east,inference,acme,0,7,",
        "model-launch,2027-01-14,us-east,inference,beta,0,7,",
    ]
    path = write(tmp_path, *good)
    assert load_events_file(path, wh).loaded == 2
    write(tmp_path, *good[:2], "model-launch,2027-01-41,us-east,inference,beta,0,7,")
    loaded = load_events_file(path, wh)
    assert (loaded.loaded, loaded.replaced, loaded.unchanged, loaded.kept) == (1, 0, 1, 1)
    assert loaded.kept_lines == [
        "row 2 refused: kept the version of 'model-launch' on 2027-01-14 (region 'us-east', "
        "workload_class 'inference', customer 'beta') loaded on "
        f"{date.today()} until it is fixed"
    ]
    with warehouse.connect(wh, read_only=True) as store:
        assert store.events()["date"].to_list() == [date(2026, 11, 5), date(2027, 1, 14)]
    write(tmp_path, *good[:2], "model-launch,2027-01-15,us-east,inference,beta,0,7,")
    fixed = load_events_file(path, wh)
    assert (fixed.loaded, fixed.kept, fixed.kept_lines) == (2, 0, [])
    with warehouse.connect(wh, read_only=True) as store:
        assert store.events()["date"].to_list() == [date(2026, 11, 5), date(2027, 1, 15)]


def test_a_refused_row_that_cannot_be_told_apart_keeps_every_event_it_may_be(
    tmp_path: Path,
) -> None:
    """A row with a blank kind and an unreadable date agrees with every stored event of the
    file that the new version lacks: it may be any of them, so all are kept, and said so; a
    new row refused agrees with none and is said to be out of the calendar."""
    from forecasting.runs import load_events_file

    wh = tmp_path / "wh.duckdb"
    first = [
        HEADER,
        "launch,2026-11-05,,,,0,0,",
        "launch,2026-12-05,,,,0,0,",
        "sale,2026-10-01,,,,0,0,",
    ]
    path = write(tmp_path, *first)
    load_events_file(path, wh)
    write(
        tmp_path,
        HEADER,
        ",2026-13-05,,,,0,0,",
        "sale,2026-10-01,,,,0,0,",
        "gala,2026-01-41,,,,0,0,",
    )
    loaded = load_events_file(path, wh)
    assert (loaded.loaded, loaded.kept) == (1, 2)
    assert loaded.kept_lines[0].startswith(
        "row 1 refused: its event, date cannot be read, so it may be any of 2 events this file "
        "loaded before and this version lacks ('launch' on 2026-11-05; 'launch' on 2026-12-05)"
    )
    assert loaded.kept_lines[1].startswith("row 3 refused: no event this file loaded before")


def test_a_header_only_calendar_over_a_loaded_one_is_refused_unless_allowed(
    tmp_path: Path,
) -> None:
    """A header-only events CSV reloaded over 2 events removed both without a word. It is
    refused in one line naming the file and what it would remove; --allow-empty empties it."""
    from forecasting.runs import load_events_file

    wh = tmp_path / "wh.duckdb"
    path = write(tmp_path, HEADER, "launch,2026-11-05,,,,0,0,", "launch,2026-12-05,,,,0,0,")
    load_events_file(path, wh)
    write(tmp_path, HEADER)
    refused = load_events_file(path, wh)
    assert refused.status == "failed"
    assert refused.message == (
        f"{path} holds no data rows; it would remove the 2 event(s) loaded from it on "
        f"{date.today()}, so nothing was changed (a truncated or emptied file?); to empty it "
        "on purpose, load it again with --allow-empty"
    )
    emptied = load_events_file(path, wh, allow_empty=True)
    assert (emptied.status, emptied.replaced) == ("loaded", 2)
    assert load_events_file(path, wh).status == "loaded"  # nothing left to lose


def test_a_kind_spelt_apart_by_case_or_separators_is_read_as_the_known_one(
    tmp_path: Path,
) -> None:
    """ "Model Launch" and "Model_Launch" beside three "model-launch" rows became kinds of their
    own without a word, so the one future launch had no past to learn from. They are read as
    the spelling with the most rows, with one note each; a kind spelt one way stays as typed."""
    path = write(
        tmp_path,
        HEADER,
        *(f"model-launch,2026-0{m}-10,,,,0,0," for m in (3, 4, 5)),
        "Model Launch,2027-01-14,,,,0,0,",
        "Model_Launch,2027-02-14,,,,0,0,",
        "Christmas Day,2026-12-25,,,,0,0,",
    )
    read = read_events(path)
    assert sorted(set(read.events["event"])) == ["Christmas Day", "model-launch"]
    assert read.respelled == (
        "event kind 'Model Launch' (row 4) is read as 'model-launch' (3 row(s) in the "
        "calendars): spelt differently only in case or separators, it would be a kind of its "
        "own, its effect learnt apart; write 'model-launch'",
        "event kind 'Model_Launch' (row 5) is read as 'model-launch' (3 row(s) in the "
        "calendars): spelt differently only in case or separators, it would be a kind of its "
        "own, its effect learnt apart; write 'model-launch'",
    )
    # The other calendars count: their spelling outnumbers this file's one row.
    other = write(tmp_path, HEADER, "Launch,2027-01-14,,,,0,0,", name="b.csv")
    assert read_events(other, known_kinds={"launch": 4}).events["event"].to_list() == ["launch"]


def test_a_future_kind_with_no_past_occurrence_is_warned(tmp_path: Path) -> None:
    """A future event whose kind never occurs inside the history teaches Prophet nothing, so
    it changes no forecast, silently before: the load says so, naming the kind and its dates.
    An occurrence before the telemetry starts teaches nothing either."""
    from forecasting.runs import load_events_file

    soon = date.today() + timedelta(days=40)
    path = write(
        tmp_path,
        HEADER,
        f"model-launch,{soon},,,,0,0,",
        "sale,2026-03-10,,,,0,0,",
        f"sale,{soon},,,,0,0,",
    )
    loaded = load_events_file(path, tmp_path / "wh.duckdb")
    assert loaded.notes == [
        f"event kind 'model-launch' has no occurrence to {date.today()} in the calendars "
        f"loaded: Prophet cannot learn its effect, so its future date(s) {soon} change no "
        "forecast; add its past occurrences, or spell it as a kind that has them"
    ]
    calendar = read_events(path).events
    assert [
        w.split(" has")[0]
        for w in kinds_without_past(
            calendar, ["sale", "model-launch"], first=date(2026, 6, 1), last=date.today()
        )
    ] == ["event kind 'model-launch'", "event kind 'sale'"]


def test_an_event_in_a_region_of_neither_telemetry_nor_plan_is_refused(tmp_path: Path) -> None:
    """An event in region 'servegn' (telemetry and plan: 'servegen') loaded ("loaded 3") and
    could never apply, where the contracts loader refuses the same typo. Now its row is refused
    with file, row, field and rule (naming the regions and the near miss), the good events load,
    a region only the plan has is accepted, and a reload gives the same outcome."""
    from telemetry_files import write_csv

    from forecasting import ingest, warehouse
    from forecasting.runs import load_events_file

    wh = tmp_path / "wh.duckdb"
    telemetry = write_csv(
        tmp_path / "t.csv", "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,10,1"
    )
    with warehouse.connect(wh) as con:
        assert ingest.ingest_file(con, telemetry).status == "loaded"
    plan = tmp_path / "capacity.toml"
    plan.write_text(
        (Path(__file__).resolve().parent.parent / "forecasting/resources/capacity.toml").read_text()
    )
    path = write(
        tmp_path,
        HEADER,
        "launch,2026-01-10,eu-west,,,0,7,",
        "launch,2026-01-11,eu-wset,,,0,7,",
        "launch,2026-01-12,us-east,,,0,7,",
        "launch,2026-01-13,,,,0,7,",
    )
    for _ in range(2):
        loaded = load_events_file(path, wh, capacity_path=plan)
        assert loaded.status == "loaded" and loaded.loaded == 3
        assert len(loaded.refused) == 1
        refused = loaded.refused[0]
        assert (refused["row_number"], refused["column"], refused["value"]) == (
            2,
            "region",
            "eu-wset",
        )
        assert refused["rule"].startswith("unknown region (expected one of eu-west with telemetry")
        assert "us-east" in refused["rule"] and "did you mean 'eu-west'?" in refused["rule"]
    with warehouse.connect(wh, read_only=True) as con:
        assert sorted(con.events()["date"].to_list()) == [
            date(2026, 1, 10), date(2026, 1, 12), date(2026, 1, 13)
        ]  # fmt: skip


def test_a_bad_row_after_a_blank_line_is_numbered_as_its_line_less_one(tmp_path: Path) -> None:
    """A blank line was dropped before rows were numbered, so a bad date on line 5 read
    "row 3": the reader looked at line 4, another event. Rows count blank lines, as the outage
    calendar, contracts and telemetry number theirs (row N is line N + 1)."""
    path = write(
        tmp_path,
        HEADER,
        "launch,2026-01-01,us-east,,,0,7,",
        "",
        "launch,2026-02-01,us-east,,,0,7,",
        "launch,2026-02-31,us-east,,,0,7,",
    )
    read = read_events(path)
    assert read.events["date"].to_list() == [date(2026, 1, 1), date(2026, 2, 1)]
    assert read.problems.select("row_number", "column", "value").rows() == [
        (4, "date", "2026-02-31")
    ]


def test_invisible_characters_around_an_events_names_are_dropped(tmp_path: Path) -> None:
    """A zero-width space after a customer ('acme\\u200b') or a BOM before a region scoped the
    event to a series no telemetry has, so it touched nothing, where telemetry drops such
    characters around a name: an event's names lose them too; one inside is kept."""
    path = write(
        tmp_path,
        HEADER,
        "launch\u2060,2026-01-01,\ufeffus-east,,acme\u200b,0,7,",
        "launch,2026-01-02,us-east,,ac\u200bme,0,7,",
    )
    read = read_events(path)
    assert read.events.select("event", "region", "customer").rows() == [
        ("launch", "us-east", "acme"),
        ("launch", "us-east", "ac\u200bme"),
    ]


def test_a_header_only_calendar_under_a_new_path_says_what_it_means(tmp_path: Path) -> None:
    """A header-only events CSV under a path never loaded before loaded 0 rows and exited 0
    without a word (most likely a failed export). It loads, with a line saying it holds no
    rows and what the forecast then knows of events."""
    from forecasting.runs import load_events_file

    wh = tmp_path / "wh.duckdb"
    empty = write(tmp_path, HEADER, name="new.csv")
    loaded = load_events_file(empty, wh)
    assert (loaded.status, loaded.empty) == ("loaded", True)
    assert loaded.notes == [
        "holds no data rows: nothing loaded from it; no event is known now: the forecast "
        "models no launch, migration or holiday (a failed export? load the right file)"
    ]
    write(tmp_path, HEADER, "launch,2026-11-05,,,,0,0,", "launch,2026-12-05,,,,0,0,")
    load_events_file(tmp_path / "events.csv", wh)
    assert load_events_file(empty, wh).notes == [
        "holds no data rows: nothing loaded from it; 2 event(s) from other files stay in force"
    ]


def test_a_parquet_calendar_as_pandas_writes_it_reads_its_days_and_windows(
    tmp_path: Path,
) -> None:
    """pandas writes a date column as midnight timestamps and an integer column with a blank
    as floats: every row of such a Parquet calendar was refused, "date not ISO-8601" beside
    "2026-11-05 00:00:00.000000" and "not an integer" beside "0.0". A midnight reads as its
    day and an integral float as its integer; a time of day or a fraction is still refused,
    quoted as the file holds it."""
    from datetime import datetime

    from forecasting.events import read_events

    path = tmp_path / "events.parquet"
    pl.DataFrame(
        {
            "event": ["launch"] * 4,
            "date": [datetime(2026, 11, d) for d in (5, 6, 7)] + [datetime(2026, 11, 8, 13)],
            "lower_window": [0.0, -1.0, -1.5, None],
        }
    ).write_parquet(path)
    read = read_events(path, today=date(2026, 12, 1))
    assert read.events.select("date", "lower_window").rows() == [
        (date(2026, 11, 5), 0),
        (date(2026, 11, 6), -1),
    ]
    assert read.problems.select("row_number", "column", "value").rows() == [
        (3, "lower_window", "-1.5"),
        (4, "date", "2026-11-08 13:00:00.000000"),
    ]
