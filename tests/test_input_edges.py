"""The bad-input sweep of session 64: dates, orders of dates, names and prices in the files a
user writes (capacity.toml with its [[site]] and GPU types, the contract book, the outage
calendar), each said with file, entry or row, field and rule and what to write, good entries
kept where the input keeps them, and a rerun the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forecasting import contracts
from forecasting.capacity import CapacityError, parse_capacity
from forecasting.resources import sample_capacity

BOOK_HEADER = "id,customer,workload_class,region,ramp,term_end,status,probability"


def _words(text: str) -> str:
    return " ".join(text.split())


def _plan() -> str:
    return sample_capacity().read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("field", "written"),
    [
        ("in_service = 2025-10-12", "in_service = 2025-10-12T00:00:00"),
        ("in_service = 2025-10-12", "in_service = 2025-10-12T00:00:00Z"),
        ("in_service = 2025-10-12", 'in_service = "2025-10-12 00:00"'),
        ("{ on = 2024-03-22, mw = 17.0 }", "{ on = 2024-03-22T00:00:00, mw = 17.0 }"),
    ],
)
def test_a_plan_date_written_as_a_midnight_date_time_is_refused_with_the_day(
    field: str, written: str
) -> None:
    """`in_service = 2025-10-26T00:00:00` loaded as the 26th without a word, while 05:00 was
    refused ("Datetimes provided to dates should have zero time") and the contract book refused
    both: a plan's dates are days, so a date-time is refused, midnight or not, naming file,
    entry, field and the day to write."""
    text = _plan()
    assert field in text
    with pytest.raises(CapacityError) as refused:
        parse_capacity(text.replace(field, written, 1), source="plan.toml")
    said = _words(str(refused.value))
    day = re.search(r"\d{4}-\d{2}-\d{2}", written)
    assert day is not None
    assert said.startswith("plan.toml: invalid capacity plan"), said
    assert f"where a date goes: write the day alone, {day.group()} (dates are days)" in said
    assert ("field in_service:" in said) or ("field energized" in said), said


def test_a_retire_date_and_a_contract_date_time_read_the_same_rule(tmp_path: Path) -> None:
    """A book's `term_end = 2028-01-01T00:00:00` read "not a date (YYYY-MM-DD)" while the plan
    loaded the same value: both now say one rule, with the day to write, and the book keeps
    its good entries."""
    text = _plan().replace(
        'status = "live"', 'status = "retiring"\nretire = 2030-01-01T00:00:00', 1
    )
    with pytest.raises(CapacityError) as refused:
        parse_capacity(text, source="plan.toml")
    assert (
        "field retire: a date-time ('2030-01-01T00:00:00') where a date goes: write the day "
        "alone, 2030-01-01 (dates are days)" in _words(str(refused.value))
    )
    book = tmp_path / "book.csv"
    book.write_text(
        f"{BOOK_HEADER}\n"
        "d1,acme,inference,us-east,2027-01-01:100,2028-01-01,signed,\n"
        "d2,acme,inference,us-east,2027-01-01:100,2028-01-01T00:00:00,signed,\n",
        encoding="utf-8",
    )
    loaded = contracts.load_contracts(book)
    assert [c.id for c in loaded.contracts] == ["d1"]
    assert [r.message for r in loaded.refusals] == [
        f"{book}:3: contract row 2 ('d2') field term_end: a date-time ('2028-01-01T00:00:00') "
        "where a date goes: write the day alone, 2028-01-01 (dates are days); fix the entry and "
        "load the book again"
    ]
    toml = tmp_path / "book.toml"
    toml.write_text(
        '[[contract]]\nid = "t1"\ncustomer = "acme"\nworkload_class = "inference"\n'
        'region = "us-east"\nramp = [{ date = 2027-01-01T00:00:00, gpus = 100 }]\n'
        'term_end = 2028-01-01\nstatus = "signed"\n',
        encoding="utf-8",
    )
    loaded = contracts.load_contracts(toml)
    assert loaded.contracts == ()
    assert (
        "field ramp[1].date: a date-time ('2027-01-01T00:00:00') where a date goes: write "
        "the day alone, 2027-01-01 (dates are days)" in loaded.refusals[0].message
    )


def test_ingest_strict_judges_the_rows_of_the_files_in_quarantine_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file with two bad rows, then its fixed version at the same path (which drops their
    quarantine), then a stale copy of the bad file under another name, skipped as already
    ingested: `ingest --strict` on the copy read "2 row(s) quarantined, 2 by an earlier ingest
    of the same content; see `fleetcast quarantine`" and exited 1, while `fleetcast
    quarantine` listed nothing. --strict judges the rows of the given files standing in
    quarantine now: this run's, and those a skipped file's content still has there."""
    from telemetry_files import write_csv

    from flows.cli import main
    from forecasting.warehouse import connect

    good = [f"2025-03-01T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,10,1" for h in range(4)]
    bad = [good[0].replace("T00", "T05").replace(",10,1", ",-3,1"),
           good[0].replace("T00", "T06").replace(",10,1", ",x,1")]  # fmt: skip
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    path = write_csv(tmp_path / "p" / "t.csv", *good, *bad)
    copy = write_csv(tmp_path / "q" / "copy.csv", *good, *bad)
    argv = ["--warehouse", str(tmp_path / "w.duckdb"), "ingest", "--strict"]
    assert main([*argv, str(path)]) == 1
    said = _words(capsys.readouterr().err)
    assert "--strict: 2 row(s) of these files in quarantine (2 quarantined by this run)" in said
    # Rerun: skipped, its rows still in quarantine: the gate stays shut, and says why.
    assert main([*argv, str(path)]) == 1
    said = _words(capsys.readouterr().err)
    assert (
        "--strict: 2 row(s) of these files in quarantine (0 quarantined by this run, 2 by an "
        "earlier ingest of a file skipped now); see `fleetcast quarantine`"
    ) in said
    fixed = [*good, bad[0].replace(",-3,", ",3,"), bad[1].replace(",x,", ",4,")]
    write_csv(path, *fixed)
    assert main([*argv, str(path)]) == 0
    capsys.readouterr()
    assert main([*argv, str(copy)]) == 0
    assert "--strict" not in capsys.readouterr().err
    with connect(tmp_path / "w.duckdb", read_only=True) as wh:
        assert wh.count("quarantine") == 0 and wh.count("telemetry") == 6


@pytest.mark.parametrize(
    ("written", "typo", "said"),
    [
        (
            'status = "committed"\nin_service = 2027-01-03',
            'status = "committed"\nin_service = 2077-01-03',
            "[[block]] 'us-east-pod-10': in_service 2077-01-03 is more than ten years after",
        ),
        (
            "{ on = 2026-12-04, mw = 20.0 }",
            "{ on = 2076-12-04, mw = 20.0 }",
            "[[site]] 'us-east-a': energized step on 2076-12-04 is more than ten years after",
        ),
        (
            "contracted_energized = 2028-05-15",
            "contracted_energized = 2078-05-15",
            "[[site]] 'us-west-a': contracted_energized 2078-05-15 is more than ten years after",
        ),
    ],
)
def test_a_plan_date_fifty_years_out_is_refused_as_a_year_typo(
    written: str, typo: str, said: str
) -> None:
    """A committed block in service 2077 for 2027 loaded without a word: it stood outside every
    horizon, its region's capacity read without it and the triggers ordered it again; a site's
    power energized 2076 for 2026 read as none. Nothing ordered or contracted today arrives
    more than ten years on (the plan's own lead-time ceilings), so such a date is refused,
    naming file, entry, field and the fix; the same plan with the year right loads."""
    from datetime import date

    text = _plan()
    assert written in text
    today = date(2026, 12, 6)
    parse_capacity(text, source="plan.toml", today=today)
    with pytest.raises(CapacityError) as refused:
        parse_capacity(text.replace(written, typo, 1), source="plan.toml", today=today)
    message = _words(str(refused.value))
    assert message.startswith("plan.toml: invalid capacity plan"), message
    assert f"{said} today (2026-12-06), past the longest lead time a plan may state" in message
    assert message.endswith("a year typo? check the year"), message


def test_a_retire_date_fifty_years_out_is_warned_of_as_the_book_warns() -> None:
    """retire = 2077-02-05 for 2027 kept a rack serving fifty more years without a word,
    hiding its region's shortfall, where the contract book warns of a term_end 20 years out.
    The plan warns by the same rule (a long lease is the plan's own: warned, not refused)."""
    from datetime import date

    text = _plan().replace("retire = 2027-02-05", "retire = 2077-02-05", 1)
    doubtful = parse_capacity(text, source="plan.toml").doubtful_entries()
    years = 2077 - date.today().year
    assert (
        f"[[block]] 'us-west-rack-01' field retire: 2077-02-05 is {years} years after today "
        f"({date.today()}): a year typo? the block serves until then; check the year"
    ) in doubtful
    assert not [d for d in parse_capacity(_plan()).doubtful_entries() if "field retire" in d]


def test_a_book_s_ramp_out_of_order_and_a_price_of_0_say_what_to_write(tmp_path: Path) -> None:
    """A ramp `2027-06-01:200;2027-01-01:100` read "ramp dates not increasing (got
    '2027-01-01')" and a price of 0 (or -1) "price not above 0": the rule, but not what to
    write, where the plan's energized steps say "sort them". Each now says the fix; the good
    entry loads, and loading the book again changes nothing."""
    from forecasting import runs

    book = tmp_path / "book.csv"
    header = f"{BOOK_HEADER},price_per_gpu_hour"
    book.write_text(
        f"{header}\n"
        "d1,acme,inference,us-east,2027-01-01:100,2028-01-01,signed,,2.0\n"
        "d2,acme,inference,us-east,2027-06-01:200;2027-01-01:100,2028-01-01,signed,,2.0\n"
        "d3,acme,inference,us-east,2027-01-01:100,2028-01-01,signed,,0\n",
        encoding="utf-8",
    )
    said = [_words(r.message) for r in contracts.load_contracts(book).refusals]
    assert said == [
        f"{book}:3: contract row 2 ('d2') field ramp[2].date: ramp dates not increasing (after "
        "2027-06-01): write the steps in date order, each date after the one before (got "
        "'2027-01-01'); fix the entry and load the book again",
        f"{book}:4: contract row 3 ('d3') field price_per_gpu_hour: price not above 0 (a price "
        "is per GPU-hour, above 0): write the price, or leave the field blank to price the "
        "contract at its class's price (got '0.0'); fix the entry and load the book again",
    ]
    warehouse = tmp_path / "w.duckdb"
    first = runs.load_contracts_file(book, warehouse)
    again = runs.load_contracts_file(book, warehouse)
    assert (first.loaded, len(first.refused)) == (1, 2)
    assert (again.loaded, again.replaced, again.unchanged, len(again.refused)) == (1, 0, 1, 2)


@pytest.mark.parametrize(("typed", "meant"), [("H1OO", "H100"), ("GB-200", "GB200")])
def test_a_gpu_type_one_slip_from_the_table_names_the_type_meant(typed: str, meant: str) -> None:
    """`gpu_type = "H1OO"` (letter O for zero) was told "has no [gpu_type.H1OO] entry; add its
    h100_equivalent", as if a new chip: the fix offered would add a second name for the H100.
    The refusal names the type it is one slip from; a type far from every name reads as
    before."""
    text = _plan()
    with pytest.raises(CapacityError) as refused:
        parse_capacity(text.replace('gpu_type = "H100"', f'gpu_type = "{typed}"', 1))
    assert (
        f"field gpu_type: {typed!r} has no [gpu_type.{typed}] entry; did you mean {meant!r}? "
        "else add its h100_equivalent"
    ) in _words(str(refused.value))
    with pytest.raises(CapacityError) as refused:
        parse_capacity(text.replace('gpu_type = "H100"', 'gpu_type = "TPUv5"', 1))
    assert "'TPUv5' has no [gpu_type.TPUv5] entry; add its h100_equivalent" in str(refused.value)
