"""The contract book: reading and refusing entries, the floor and pipeline rules on sample
paths and quantile frames, the finance summary and concentration with the book."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting import contracts, hierarchy
from forecasting.capacity import parse_capacity
from forecasting.contracts import (
    BOOK_CONCENTRATION_SCHEMA,
    CONTRACT_MODEL,
    FINANCE_SCHEMA,
    RAMP_SCHEMA,
    REFUSALS_SCHEMA,
    Contract,
    ContractBook,
    ContractError,
    ContractRuleError,
    ContractStatus,
    Step,
    apply_to_forecast,
    apply_to_paths,
    committed_and_pipeline,
    concentration_with_book,
    dump_contracts,
    load_contracts,
    parse_contracts,
    pipeline_draws,
    ramp_frame,
)
from forecasting.resources import sample_capacity, sample_contracts
from forecasting.schema import FORECAST_SCHEMA, PATHS_SCHEMA, WorkloadClass

JAN = date(2027, 1, 1)


def entry(**overrides: Any) -> dict[str, Any]:
    """A valid signed contract entry as a file holds it, with ``overrides`` applied.

    An override of None removes the field.
    """
    base: dict[str, Any] = {
        "id": "acme-inference",
        "customer": "acme",
        "workload_class": "inference",
        "region": "us",
        "ramp": [
            {"date": date(2027, 1, 10), "gpus": 100},
            {"date": date(2027, 1, 20), "gpus": 300},
        ],
        "term_end": date(2027, 1, 25),
        "status": "signed",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def toml_book(*entries: dict[str, Any]) -> str:
    """TOML text with one [[contract]] table per entry."""
    return tomli_w.dumps({"contract": list(entries)})


def _csv_cell(value: Any) -> str:
    """A field as a CSV cell: the ramp as ``date:gpus,...``, dates in ISO-8601."""
    if isinstance(value, list):
        return ",".join(f"{s['date']}:{s['gpus']}" for s in value)
    return str(value)


def csv_book(*entries: dict[str, Any]) -> str:
    """CSV text with one row per entry, columns the union of the entries' fields."""
    columns = list(dict.fromkeys(k for e in entries for k in e))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for e in entries:
        writer.writerow([_csv_cell(e[c]) if c in e else "" for c in columns])
    return out.getvalue()


def book_of(*contracts: Contract) -> ContractBook:
    """A book holding ``contracts``."""
    return ContractBook(contracts=contracts)


def signed(cid: str, customer: str, steps: list[tuple[date, int]], **kw: Any) -> Contract:
    """A signed inference contract in region ``us`` (overridable), term to 2027-12-31."""
    fields: dict[str, Any] = {
        "id": cid,
        "customer": customer,
        "workload_class": WorkloadClass.INFERENCE,
        "region": "us",
        "ramp": tuple(Step(d, g) for d, g in steps),
        "term_end": date(2027, 12, 31),
        "status": ContractStatus.SIGNED,
    }
    return Contract(**(fields | kw))


def pipeline(
    cid: str, customer: str, steps: list[tuple[date, int]], p: float, **kw: Any
) -> Contract:
    """A pipeline deal with probability ``p``, otherwise as :func:`signed`."""
    return signed(cid, customer, steps, status=ContractStatus.PIPELINE, probability=p, **kw)


def paths_frame(
    series: dict[str, list[float]], *, days: int = 10, start: date = JAN
) -> pl.DataFrame:
    """Bottom-level paths: each series' value per sample (list index) on every day."""
    rows = [
        (uid, start + timedelta(days=d), s, y)
        for uid, values in series.items()
        for d in range(days)
        for s, y in enumerate(values)
    ]
    return pl.DataFrame(rows, schema=PATHS_SCHEMA, orient="row")


ACME = hierarchy.id_of("us", "inference", "acme")


# --- reading ------------------------------------------------------------------------------------


def test_sample_book_loads_clean_for_the_sample_fleet() -> None:
    """The shipped book has no refusal, uses the sample plan's regions and has a new customer."""
    plan = parse_capacity(sample_capacity().read_text(encoding="utf-8"))
    book = parse_contracts(sample_contracts().read_text(encoding="utf-8"), regions=plan.regions)
    assert book.refusals == ()
    assert book.signed and book.pipeline
    assert "orion-foundation" in {c.customer for c in book.pipeline}
    assert {c.region for c in book.contracts} <= set(plan.regions)


@pytest.mark.parametrize("file_format", ["toml", "csv"])
def test_both_formats_read_the_same_contracts(file_format: str) -> None:
    """A TOML book and a CSV book with the same fields give equal contracts."""
    entries = [
        entry(price_per_gpu_hour=2.5, announced=date(2026, 11, 1), description="a, b"),
        entry(
            id="deal",
            customer="newco",
            workload_class="training",
            status="pipeline",
            probability=0.4,
        ),
    ]
    text = toml_book(*entries) if file_format == "toml" else csv_book(*entries)
    book = parse_contracts(text, file_format=file_format)
    assert book.refusals == ()
    first, deal = book.contracts
    assert first.ramp == (Step(date(2027, 1, 10), 100), Step(date(2027, 1, 20), 300))
    assert first.price_per_gpu_hour == 2.5 and first.description == "a, b"
    assert first.p == 1.0 and first.probability is None
    assert deal.status is ContractStatus.PIPELINE and deal.p == 0.4
    assert deal.unique_id == hierarchy.id_of("us", "training", "newco")


BAD_ROWS: list[tuple[dict[str, Any], str, str]] = [
    (entry(workload_class="gaming"), "workload_class", "unknown workload class"),
    (
        entry(
            ramp=[{"date": date(2027, 1, 20), "gpus": 1}, {"date": date(2027, 1, 10), "gpus": 2}]
        ),
        "ramp[2].date",
        "ramp dates not increasing",
    ),
    (entry(ramp=[{"date": date(2027, 1, 10), "gpus": -5}]), "ramp[1].gpus", "GPUs below 0"),
    (
        entry(ramp=[{"date": date(2027, 1, 10), "gpus": 900_000_000}]),
        "ramp[1].gpus",
        "GPUs above the plausible ceiling of 1,000,000",
    ),
    (entry(ramp=[{"date": date(2027, 1, 10), "gpus": 2.5}]), "ramp[1].gpus", "not a whole number"),
    (entry(ramp=[{"date": "10/01/2027", "gpus": 2}]), "ramp[1].date", "not a date (YYYY-MM-DD)"),
    (entry(status="pipeline", probability=1.5), "probability", "probability outside (0, 1]"),
    (entry(status="pipeline", probability=0), "probability", "probability outside (0, 1]"),
    (entry(status="pipeline"), "probability", "probability required for a pipeline deal"),
    (entry(probability=0.5), "probability", "signed contract with a probability other than 1"),
    (entry(term_end=date(2027, 1, 5)), "term_end", "term_end before the first ramp date"),
    (entry(term_end=date(2027, 1, 15)), "ramp[2].date", "ramp step after term_end"),
    (entry(status="maybe"), "status", "unknown status"),
    (entry(customer="other"), "customer", "customer 'other' is reserved"),
    (entry(price_per_gpu_hour=0), "price_per_gpu_hour", "price not above 0"),
    (entry(region=None), "region", "missing value"),
    (entry(term_end="soon"), "term_end", "not a date (YYYY-MM-DD)"),
    (entry(probability="high", status="pipeline"), "probability", "not a number"),
    # A ramp step in year 0001 (a zero date from an export) loaded without a word and held
    # its GPUs from the year 1 on: refused under the telemetry's and the events' floor.
    (
        entry(ramp=[{"date": date(1, 1, 1), "gpus": 100}, {"date": date(2027, 1, 20), "gpus": 3}]),
        "ramp[1].date",
        "date before 2010-01-01",
    ),
    # A ramp of 0 GPUs loaded silently, while the what-if refused the same ramp.
    (
        entry(ramp=[{"date": date(2027, 3, 1), "gpus": 0}], term_end=date(2029, 12, 31)),
        "ramp",
        "the ramp holds 0 GPUs at every step",
    ),
]


@pytest.mark.parametrize("file_format", ["toml", "csv"])
@pytest.mark.parametrize(("bad", "field", "rule"), BAD_ROWS, ids=[r for _, _, r in BAD_ROWS])
def test_a_bad_row_is_refused_by_file_row_field_and_rule(
    tmp_path: Path, file_format: str, bad: dict[str, Any], field: str, rule: str
) -> None:
    """The bad row is refused with file, row, line, field and rule; its neighbours are kept."""
    entries = [entry(id="first"), bad | {"id": "bad"}, entry(id="last")]
    path = tmp_path / f"book.{file_format}"
    path.write_text(toml_book(*entries) if file_format == "toml" else csv_book(*entries))
    book = load_contracts(path)
    assert [c.id for c in book.contracts] == ["first", "last"]
    (refusal,) = book.refusals
    assert (refusal.file, refusal.row, refusal.contract_id, refusal.field) == (
        str(path),
        2,
        "bad",
        field,
    )
    assert refusal.rule.startswith(rule)
    lines = path.read_text().splitlines()
    starts = [n for n, line in enumerate(lines, 1) if line == "[[contract]]"]
    assert refusal.line == (starts[1] if file_format == "toml" else 3)
    assert f"{path}:{refusal.line}: contract row 2 ('bad') field {field}: {rule}" in refusal.message


@pytest.mark.parametrize("file_format", ["toml", "csv"])
def test_every_error_of_a_bad_contract_is_reported_not_only_the_first(
    tmp_path: Path, file_format: str
) -> None:
    """A contract with five faults was refused for the first alone ("unknown field
    'probabilty'"): fixed and loaded again, it was refused for the next, one round per fault.
    Every fault is now a refusal of its own, each naming file, row, field and rule, in the
    documented order, each ramp step's too; the good entries are still kept, and a second bad
    entry's type faults (a step whose date and count are both unreadable, a missing customer,
    a term end that is no date) are all said as well."""
    many = entry(
        id="many",
        workload_class="gaming",
        probabilty=0.5,
        price_per_gpu_hour=0,
        ramp=[
            {"date": date(2027, 1, 20), "gpus": -5},
            {"date": date(2027, 1, 10), "gpus": 2_000_000},
        ],
    )
    typed = entry(id="typed", customer="", term_end="soon", ramp="2027-13-01:lots")
    if file_format == "toml":
        typed["ramp"] = [{"date": "2027-13-01", "gpus": "lots"}]
        del typed["customer"]
    else:
        del many["probabilty"]  # a CSV's unknown column refuses the whole file
    entries = [entry(id="first"), many, typed, entry(id="last")]
    path = tmp_path / f"book.{file_format}"
    path.write_text(toml_book(*entries) if file_format == "toml" else csv_book(*entries))
    book = load_contracts(path)
    assert [c.id for c in book.contracts] == ["first", "last"]
    said = [(r.row, r.contract_id, r.field, r.rule.split(" (")[0]) for r in book.refusals]
    unknown = [(2, "many", "probabilty", "unknown field")] if file_format == "toml" else []
    assert said == [
        *unknown,
        (2, "many", "workload_class", "unknown workload class"),
        (2, "many", "ramp[1].gpus", "GPUs below 0"),
        (2, "many", "ramp[2].gpus", "GPUs above the plausible ceiling of 1,000,000"),
        (2, "many", "ramp[2].date", "ramp dates not increasing"),
        (2, "many", "price_per_gpu_hour", "price not above 0"),
        (3, "typed", "customer", "missing value"),
        (3, "typed", "ramp[1].date", "not a date"),
        (3, "typed", "ramp[1].gpus", "not a whole number"),
        (3, "typed", "term_end", "not a date"),
    ]
    assert all(r.file == str(path) for r in book.refusals)
    assert book.refusals_frame()["row_number"].to_list() == [2] * (5 + len(unknown)) + [3] * 4


TOML_TYPE_SLIPS: list[tuple[dict[str, Any], str, str]] = [
    (
        entry(ramp=[{"date": date(2027, 1, 10), "gpus": "3500"}]),
        "ramp[1].gpus",
        'must be a whole number, got the text "3500": write it without the quotes',
    ),
    (
        entry(status="pipeline", probability="0.4"),
        "probability",
        'must be a number, got the text "0.4": write it without the quotes',
    ),
    (
        entry(price_per_gpu_hour="2.75"),
        "price_per_gpu_hour",
        'must be a number, got the text "2.75": write it without the quotes',
    ),
    (
        entry(ramp=[{"date": date(2027, 1, 10), "gpus": True}]),
        "ramp[1].gpus",
        "must be a whole number, not true or false (TOML true is not 1) (got 'true')",
    ),
    (
        entry(price_per_gpu_hour=True),
        "price_per_gpu_hour",
        "must be a number, not true or false (TOML true is not 1) (got 'true')",
    ),
    (entry(term_end=20271231), "term_end", "not a date (YYYY-MM-DD) (got '20271231')"),
    (
        entry(ramp=[{"date": 20270110, "gpus": 100}]),
        "ramp[1].date",
        "not a date (YYYY-MM-DD) (got '20270110')",
    ),
]


@pytest.mark.parametrize(
    ("bad", "field", "said"), TOML_TYPE_SLIPS, ids=[f for _, f, _ in TOML_TYPE_SLIPS]
)
def test_a_toml_number_written_as_text_or_a_boolean_is_refused(
    tmp_path: Path, bad: dict[str, Any], field: str, said: str
) -> None:
    """``gpus = "3500"`` in a TOML book loaded a 3,500-GPU ramp without a word (as did a
    quoted probability or price), while capacity.toml refuses a quoted number: TOML writes
    numbers bare, so the quotes are a slip (a cell pasted from a sheet). It is refused naming
    file, line, row, field and the rule, quoting the text once; ``true`` is no number either
    (it read "(got 'True')", Python's spelling), nor a number a date. The other entries load.
    A CSV cell is text by nature: there "3500" is the number."""
    path = tmp_path / "book.toml"
    path.write_text(toml_book(entry(id="first"), bad | {"id": "bad"}, entry(id="last")))
    book = load_contracts(path)
    assert [c.id for c in book.contracts] == ["first", "last"]
    (refusal,) = book.refusals
    assert (refusal.row, refusal.field) == (2, field)
    line = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text == "[[contract]]"]
    assert refusal.message == (
        f"{path}:{line[1]}: contract row 2 ('bad') field {field}: {said}; fix the entry and "
        "load the book again"
    )


def test_a_csv_cell_of_digits_is_a_number() -> None:
    """The CSV book reads its cells as text: the rule above is TOML's alone."""
    book = parse_contracts(
        csv_book(entry(ramp=[{"date": date(2027, 1, 10), "gpus": "3500"}])), file_format="csv"
    )
    assert book.refusals == ()
    assert book.contracts[0].ramp == (Step(date(2027, 1, 10), 3500),)


def test_unknown_field_and_duplicate_id_are_refused() -> None:
    """A misspelt field and a second entry with a used id are refused, the first kept."""
    text = toml_book(entry(id="a"), entry(id="b", probabilty=0.5), entry(id="a", customer="x"))
    book = parse_contracts(text, source="book.toml")
    assert [c.id for c in book.contracts] == ["a"]
    unknown, duplicate = book.refusals
    assert (unknown.row, unknown.field) == (2, "probabilty")
    assert unknown.rule.startswith("unknown field")
    assert (duplicate.row, duplicate.field, duplicate.rule) == (
        3,
        "id",
        "duplicate id (first at row 1)",
    )
    frame = book.refusals_frame()
    assert frame.schema == REFUSALS_SCHEMA
    assert frame["row_number"].to_list() == [2, 3]


def test_an_entry_that_is_not_a_table_is_refused() -> None:
    """``contract = [...]`` holding a bare value refuses that entry and keeps the tables."""
    text = 'contract = [1, {id = "a", customer = "acme", workload_class = "inference", ' + (
        'region = "us", ramp = [{date = 2027-01-10, gpus = 1}], term_end = 2027-02-01, '
        'status = "signed"}]'
    )
    book = parse_contracts(text)
    assert [c.id for c in book.contracts] == ["a"]
    (refusal,) = book.refusals
    assert (refusal.row, refusal.line, refusal.field, refusal.rule) == (
        1,
        None,
        "(entry)",
        "not a table",
    )


def test_the_sample_book_round_trips() -> None:
    """dump_contracts of the shipped book reads back as the same contracts."""
    book = parse_contracts(sample_contracts().read_text(encoding="utf-8"))
    assert parse_contracts(dump_contracts(book)).contracts == book.contracts


def test_a_region_the_fleet_lacks_is_refused_when_regions_are_given() -> None:
    """With the fleet's regions known, a contract elsewhere is refused and named."""
    book = parse_contracts(toml_book(entry(region="mars")), regions=["us", "eu"])
    (refusal,) = book.refusals
    assert (refusal.field, refusal.value) == ("region", "mars")
    assert refusal.rule == "unknown region (expected one of eu, us)"


def test_csv_cells_beyond_the_header_refuse_the_row() -> None:
    """A row with more cells than the header has is refused, not silently cut."""
    text = (
        csv_book(entry(id="a"), entry(id="b"))
        + "c,acme,inference,us,2027-01-10:1,2027-01-25,signed,extra\n"
    )
    book = parse_contracts(text, file_format="csv", source="book.csv")
    assert [c.id for c in book.contracts] == ["a", "b"]
    (refusal,) = book.refusals
    assert (refusal.row, refusal.rule) == (3, "more cells than columns")


def test_a_csv_book_s_header_reads_in_any_case() -> None:
    """Column names in any case read as the book's fields, as telemetry's do ("Customer"
    failed the whole book)."""
    text = csv_book(entry(id="a"), entry(id="b"))
    header, rest = text.split("\n", 1)
    shouted = parse_contracts(header.upper() + "\n" + rest, file_format="csv", source="b.csv")
    assert [c.id for c in shouted.contracts] == ["a", "b"] and not shouted.refusals


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("book.toml", "[[contract]\nid = 1", "not valid TOML"),
        ("book.toml", toml_book(entry()).replace("contract", "contracts", 1), "unknown top-level"),
        ("book.csv", "id,customer,region\na,b,c\n", "missing required column(s) ['workload_class'"),
        ("book.csv", csv_book(entry(colour="red")), "unknown column(s) ['colour']"),
        ("book.csv", "id,id\n", "appear twice"),
        ("book.json", "{}", "a .toml or .csv file"),
    ],
)
def test_whole_file_errors_name_the_file_and_the_fix(
    tmp_path: Path, name: str, text: str, needle: str
) -> None:
    """An unreadable file raises ContractError naming the file and what is wrong."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ContractError, match=r"book\.(toml|csv|json)") as info:
        load_contracts(path)
    assert needle in str(info.value)


def test_a_missing_file_says_where_the_sample_is(tmp_path: Path) -> None:
    """No file: the error names the path and the sample book."""
    with pytest.raises(ContractError, match=r"resources/contracts\.toml"):
        load_contracts(tmp_path / "none.toml")


def test_constructing_a_bad_contract_raises_the_rule() -> None:
    """Code that builds a Contract gets the same rules as a file."""
    with pytest.raises(ContractRuleError, match="ramp dates not increasing"):
        signed("x", "acme", [(date(2027, 2, 1), 1), (date(2027, 1, 1), 2)])


def _bare(name: str) -> str:
    """``name`` without what a book drops around a name: blanks and Unicode Cf characters."""

    def kept(char: str) -> bool:
        return not (char.isspace() or unicodedata.category(char) == "Cf")

    chars = list(name)
    while chars and not kept(chars[0]):
        chars.pop(0)
    while chars and not kept(chars[-1]):
        chars.pop()
    return "".join(chars)


_NAMES = st.text(min_size=1, max_size=12).map(_bare).filter(lambda s: s not in ("", "other"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cid=_NAMES,
    customer=_NAMES,
    region=_NAMES,
    description=st.none() | _NAMES,
    # Some step above 0: a ramp of 0 GPUs at every step is refused.
    gpus=st.lists(st.integers(0, 10**6), min_size=1, max_size=4).filter(any),
    p=st.floats(0.01, 1.0),
)
def test_dump_then_parse_gives_the_book_back(
    cid: str, customer: str, region: str, description: str | None, gpus: list[int], p: float
) -> None:
    """Names with quotes, slashes, percent signs, newlines or any script survive a round trip."""
    steps = [(date(2027, 1, 1) + timedelta(days=30 * i), g) for i, g in enumerate(gpus)]
    contracts = (
        signed(
            cid, customer, steps, region=region, description=description, price_per_gpu_hour=2.5
        ),
        pipeline(cid + "-deal", customer, steps, p, region=region, announced=date(2026, 5, 1)),
    )
    book = parse_contracts(dump_contracts(book_of(*contracts), header="sample\nbook"))
    assert book.refusals == ()
    assert book.contracts == contracts
    assert hierarchy.levels_of(book.contracts[0].unique_id) == (region, "inference", customer)


def test_known_by_keeps_what_was_announced_by_the_day() -> None:
    """A replay as of a day sees contracts announced by then and those with no date."""
    book = book_of(
        signed("old", "a", [(JAN, 1)], announced=date(2026, 1, 1)),
        signed("undated", "b", [(JAN, 1)]),
        signed("later", "c", [(JAN, 1)], announced=date(2026, 6, 1)),
    )
    assert [c.id for c in book.known_by(date(2026, 3, 1)).contracts] == ["old", "undated"]


def test_known_by_counts_an_undated_contract_from_its_first_ramp_day_before_the_book_s_day() -> (
    None
):
    """Read as of a day before the book's own (its newest telemetry), an entry without
    `announced` is known from its first ramp day only (signed by then at the latest), so a
    replay never sees a contract before it served; on the book's day every entry counts."""
    book = replace(
        book_of(
            signed("serving", "a", [(date(2026, 2, 1), 1)]),
            signed("starts-later", "b", [(JAN, 1)]),
            signed("announced", "c", [(JAN, 1)], announced=date(2026, 1, 1)),
        ),
        known_on=date(2026, 6, 1),
    )

    def ids(day: date) -> list[str]:
        return [c.id for c in book.known_by(day).contracts]

    assert ids(date(2026, 1, 31)) == ["announced"]
    assert ids(date(2026, 2, 1)) == ["serving", "announced"]
    assert ids(date(2026, 5, 31)) == ["serving", "announced"]
    assert ids(date(2026, 6, 1)) == ["serving", "starts-later", "announced"]


# --- ramps --------------------------------------------------------------------------------------


def test_a_ramp_is_a_step_function_within_its_term() -> None:
    """Zero before the first step, each count until the next step, nothing after term_end."""
    contract = signed(
        "a", "acme", [(date(2027, 1, 3), 10), (date(2027, 1, 5), 30)], term_end=date(2027, 1, 6)
    )
    frame = ramp_frame(book_of(contract), start=JAN, end=date(2027, 1, 10))
    assert frame.schema == RAMP_SCHEMA
    days = {row["ds"]: row["gpus"] for row in frame.iter_rows(named=True)}
    assert days == {
        date(2027, 1, 3): 10.0,
        date(2027, 1, 4): 10.0,
        date(2027, 1, 5): 30.0,
        date(2027, 1, 6): 30.0,
    }
    assert all(
        contract.gpus_on(JAN + timedelta(days=d)) == days.get(JAN + timedelta(days=d), 0)
        for d in range(10)
    )
    clipped = ramp_frame(book_of(contract), start=date(2027, 1, 4), end=date(2027, 1, 5))
    assert clipped["gpus"].to_list() == [10.0, 30.0]


# --- the floor rule on paths --------------------------------------------------------------------


def test_a_signed_ramp_is_a_floor_on_each_path() -> None:
    """Below every path nothing changes; above, the path is lifted exactly to the ramp."""
    own = [100.0, 110.0, 120.0, 130.0]
    paths = paths_frame({ACME: own}, days=9)
    ramp = [(date(2027, 1, 1), 50), (date(2027, 1, 4), 115), (date(2027, 1, 7), 1000)]
    out = apply_to_paths(paths, book_of(signed("a", "acme", ramp)), seed=0)
    assert out.schema == PATHS_SCHEMA
    got = out.sort("ds", "sample_id")["y"].to_numpy().reshape(9, 4)
    floor = np.repeat([50.0, 115.0, 1000.0], 3)[:, None]
    np.testing.assert_array_equal(got, np.maximum(np.array(own)[None, :], floor))
    assert (got[:3] == own).all()  # a ramp below the forecast changes nothing
    assert (got[6:] == 1000.0).all()  # above it, demand is the ramp: not ramp + forecast


def test_signed_ramps_of_one_series_add_up_to_one_floor() -> None:
    """Two signed contracts of the same series (a base and an expansion) floor at their sum."""
    paths = paths_frame({ACME: [250.0, 350.0]}, days=1)
    book = book_of(signed("base", "acme", [(JAN, 200)]), signed("more", "acme", [(JAN, 100)]))
    assert apply_to_paths(paths, book, seed=0).sort("sample_id")["y"].to_list() == [300.0, 350.0]


def test_a_signed_ramp_of_a_new_customer_appears_in_demand() -> None:
    """A customer without telemetry gets its own series on every day and path: the ramp."""
    paths = paths_frame({ACME: [10.0, 20.0]}, days=5)
    newco = signed(
        "n", "newco/β", [(date(2027, 1, 3), 64)], region="eu", workload_class=WorkloadClass.TRAINING
    )
    out = apply_to_paths(paths, book_of(newco), seed=0)
    new = out.filter(pl.col("unique_id") == newco.unique_id).sort("ds", "sample_id")
    assert hierarchy.levels_of(newco.unique_id) == ("eu", "training", "newco/β")
    assert new["y"].to_list() == [0.0] * 4 + [64.0] * 6
    assert out.filter(pl.col("unique_id") == ACME).equals(paths)


def test_series_without_contracts_and_days_outside_the_window_are_untouched() -> None:
    """Other series pass through; a contract counts only from start to end."""
    other_id = hierarchy.id_of("us", "batch", "zeta")
    paths = paths_frame({ACME: [1.0], other_id: [2.0]}, days=4)
    book = book_of(signed("a", "acme", [(JAN, 100)]))
    out = apply_to_paths(paths, book, seed=0, start=date(2027, 1, 3)).sort("unique_id", "ds")
    assert out.filter(pl.col("unique_id") == ACME)["y"].to_list() == [1.0, 1.0, 100.0, 100.0]
    assert out.filter(pl.col("unique_id") == other_id)["y"].to_list() == [2.0] * 4


def test_paths_of_aggregates_are_refused() -> None:
    """Aggregates are sums of the bottom level: passing one is an error that says so."""
    with pytest.raises(ValueError, match="bottom-level"):
        apply_to_paths(paths_frame({"total/us": [1.0]}, days=1), book_of(), seed=0)


# --- pipeline deals on paths --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("p", [0.1, 0.35, 0.8])
def test_a_pipeline_deal_adds_p_times_its_size_on_the_mean_of_2000_paths(
    seed: int, p: float
) -> None:
    """Over 2,000 paths the mean increase is p x size within 3 %, on top of the own forecast."""
    n = 2000
    own = np.linspace(100.0, 300.0, n)
    paths = paths_frame({ACME: own.tolist()}, days=2)
    deal = pipeline("deal", "acme", [(date(2027, 1, 2), 1000)], p)
    out = apply_to_paths(paths, book_of(deal), seed=seed).sort("ds", "sample_id")
    added = out["y"].to_numpy().reshape(2, n) - own[None, :]
    assert (added[0] == 0).all()  # before the ramp
    assert np.isin(added[1].round(6), [0.0, 1000.0]).all()  # a deal signs whole or not at all
    assert added[1].mean() == pytest.approx(p * 1000, rel=0.03)


def test_each_path_signs_a_deal_with_probability_p() -> None:
    """Across seeds one path's draw is Bernoulli(p): the stratification does not bias paths."""
    p, seeds = 0.3, 600
    deal = book_of(pipeline("deal", "acme", [(JAN, 1)], p))
    hits = np.array(
        [
            pipeline_draws(deal, sample_ids=range(7), seed=s)["signs"].to_numpy()
            for s in range(seeds)
        ]
    )
    spread = 4 * np.sqrt(p * (1 - p) / seeds)
    assert np.all(np.abs(hits.mean(axis=0) - p) < spread)


def test_deals_sign_independently_of_each_other() -> None:
    """Two deals at p = 0.5 both sign on about a quarter of the paths."""
    book = book_of(pipeline("one", "a", [(JAN, 1)], 0.5), pipeline("two", "b", [(JAN, 1)], 0.5))
    draws = pipeline_draws(book, sample_ids=range(2000), seed=4)
    one, two = (
        draws.filter(pl.col("contract_id") == c)["signs"].to_numpy() for c in ("one", "two")
    )
    assert (one & two).mean() == pytest.approx(0.25, abs=0.04)


def test_draws_depend_on_seed_and_id_only() -> None:
    """Same seed, same draws; another seed differs; other deals and order change nothing."""
    deal = pipeline("deal", "acme", [(JAN, 1)], 0.5)
    extra = pipeline("extra", "zeta", [(JAN, 1)], 0.5)
    ids = range(200)

    def signs(book: ContractBook, seed: int) -> list[bool]:
        """The deal's draws in ``book``."""
        draws = pipeline_draws(book, sample_ids=ids, seed=seed)
        return draws.filter(pl.col("contract_id") == "deal")["signs"].to_list()

    assert (
        signs(book_of(deal), 7) == signs(book_of(extra, deal), 7) == signs(book_of(deal, extra), 7)
    )
    assert signs(book_of(deal), 7) != signs(book_of(deal), 8)
    paths = paths_frame({ACME: [1.0] * 50}, days=3)
    assert apply_to_paths(paths, book_of(deal, extra), seed=3).equals(
        apply_to_paths(paths, book_of(deal, extra), seed=3)
    )


def test_a_pipeline_deal_adds_on_top_of_a_signed_floor() -> None:
    """An expansion deal adds to max(own, signed), not to own alone."""
    paths = paths_frame({ACME: [50.0] * 4}, days=1)
    book = book_of(signed("base", "acme", [(JAN, 100)]), pipeline("more", "acme", [(JAN, 40)], 1.0))
    assert apply_to_paths(paths, book, seed=0)["y"].to_list() == [140.0] * 4


# --- quantile frames ----------------------------------------------------------------------------


def forecast_frame(rows: list[tuple[str, date, float, float, float, float, float]]) -> pl.DataFrame:
    """A bottom-level FORECAST_SCHEMA frame of mean-measure rows (id, ds, mean, q10..q99)."""
    return pl.DataFrame(
        [("run", uid, ds, "mean", "AutoETS", *values) for uid, ds, *values in rows],
        schema=FORECAST_SCHEMA,
        orient="row",
    )


def test_apply_to_forecast_floors_quantiles_and_adds_expected_pipeline_to_the_mean() -> None:
    """q -> max(q, committed); mean -> max(mean, committed) + p x gpus; new series added."""
    forecast = forecast_frame([(ACME, JAN, 100.0, 60.0, 100.0, 140.0, 180.0)])
    book = book_of(
        signed("base", "acme", [(JAN, 120)]),
        pipeline("deal", "acme", [(JAN, 50)], 0.4),
        pipeline("new", "newco", [(JAN, 10)], 0.5),
    )
    out = apply_to_forecast(forecast, book).sort("unique_id")
    assert out.schema == FORECAST_SCHEMA
    acme = out.filter(pl.col("unique_id") == ACME).row(0, named=True)
    assert [acme[c] for c in ("mean", "q10", "q50", "q90", "q99")] == [
        140.0,
        120.0,
        120.0,
        140.0,
        180.0,
    ]
    new = out.filter(pl.col("unique_id") == hierarchy.id_of("us", "inference", "newco")).row(
        0, named=True
    )
    assert (new["run_id"], new["model"], new["mean"], new["q90"]) == (
        "run",
        CONTRACT_MODEL,
        5.0,
        0.0,
    )
    with pytest.raises(ValueError, match="bottom-level"):
        apply_to_forecast(forecast_frame([("total/us", JAN, 1, 1, 1, 1, 1)]), book)


# --- finance ------------------------------------------------------------------------------------


def test_committed_and_pipeline_per_month() -> None:
    """GPU averages over the month's days, p-weighted expectations, revenue and unpriced hours."""
    book = book_of(
        signed("base", "acme", [(JAN, 10)], price_per_gpu_hour=2.0),
        pipeline("deal", "acme", [(date(2027, 1, 16), 100)], 0.5),  # priced from the class
        pipeline("bare", "beta", [(JAN, 1)], 0.5, workload_class=WorkloadClass.BATCH),
    )
    out = committed_and_pipeline(
        book, start=JAN, end=date(2027, 1, 31), default_prices={"inference": 3.0}
    )
    assert out.schema == FINANCE_SCHEMA
    rows = {(r["status"], r["workload_class"]): r for r in out.iter_rows(named=True)}
    base = rows["signed", "inference"]
    assert (base["days"], base["gpus_avg"], base["gpu_hours"]) == (31, 10.0, 10 * 24 * 31)
    assert base["expected_revenue_usd"] == pytest.approx(2.0 * 10 * 24 * 31)
    deal = rows["pipeline", "inference"]
    assert deal["gpus_avg"] == pytest.approx(100 * 16 / 31)
    assert deal["expected_gpus_avg"] == pytest.approx(0.5 * 100 * 16 / 31)
    assert deal["expected_revenue_usd"] == pytest.approx(0.5 * 3.0 * 100 * 24 * 16)
    bare = rows["pipeline", "batch"]
    assert bare["expected_revenue_usd"] is None
    assert bare["unpriced_gpu_hours"] == 24 * 31


# --- concentration ------------------------------------------------------------------------------


def test_concentration_with_the_book_counts_new_customers_and_expected_deals() -> None:
    """Shares with the book use max(own, signed) and p x gpus, per region and over the total."""
    beta = hierarchy.id_of("us", "inference", "beta")
    paths = paths_frame({ACME: [50.0, 70.0], beta: [40.0, 40.0]}, days=31)
    book = book_of(
        signed("gamma", "gamma", [(JAN, 100)]),  # a new customer
        pipeline("beta-more", "beta", [(JAN, 100)], 0.5),  # beta expected 40 + 50
    )
    out = concentration_with_book(paths, book)
    assert out.schema == BOOK_CONCENTRATION_SCHEMA

    def metric(book_name: str, region: str, name: str) -> float:
        """One metric of the all-class scope in January."""
        row = out.filter(
            (pl.col("book") == book_name)
            & (pl.col("region") == region)
            & (pl.col("workload_class") == "all")
        )
        return float(row[name].item())

    assert metric("without", "us", "top1_share") == pytest.approx(0.6)
    assert metric("without", "us", "hhi") == pytest.approx(10_000 * (0.6**2 + 0.4**2))
    shares = np.array([60.0, 90.0, 100.0]) / 250.0
    assert metric("with", "us", "top1_share") == pytest.approx(0.4)
    assert metric("with", "us", "hhi") == pytest.approx(10_000 * (shares**2).sum())
    assert metric("with", hierarchy.TOTAL, "hhi") == pytest.approx(metric("with", "us", "hhi"))


def test_a_contract_starting_mid_month_counts_for_its_days() -> None:
    """A month is its mean day: a ramp for half the month weighs half."""
    paths = paths_frame({ACME: [100.0]}, days=30, start=date(2027, 4, 1))
    book = book_of(signed("new", "newco", [(date(2027, 4, 16), 100)]))
    out = concentration_with_book(paths, book).filter(
        (pl.col("book") == "with")
        & (pl.col("region") == "us")
        & (pl.col("workload_class") == "all")
    )
    assert out["top1_share"].item() == pytest.approx(100 / 150)


def test_monthly_rows_take_the_floor_on_the_series_and_the_same_lift_above_it() -> None:
    """acme runs 100 (mean) / 150 (q90) in January; a signed 200 from January 15 lifts its
    peak day to 200 on both, and its class, region and total by 100 and 50; its average day
    (the mean measure's month) by the floor of its last 17 days over 31: 100 -> 154.8 and
    150 -> 177.4, the levels above alike. A pipeline deal at p = 0.5 from February 1 adds half
    its GPUs to the mean of February only, in both measures, and a new series of its own."""
    from forecasting.contracts import apply_to_months

    ids = ["total", "total/r1", "total/r1/inference", "total/r1/inference/acme"]
    months = pl.DataFrame(
        {
            "unique_id": ids * 4,
            "ds": ([date(2027, 1, 1)] * 4 + [date(2027, 2, 1)] * 4) * 2,
            "measure": ["peak"] * 8 + ["mean"] * 8,
            "model": "growth",
            "mean": [1000.0, 800.0, 300.0, 100.0] * 4,
            "q90": [1200.0, 900.0, 400.0, 150.0] * 4,
        }
    )
    text = """
[[contract]]
id = "acme-1"
customer = "acme"
workload_class = "inference"
region = "r1"
ramp = [{ date = 2027-01-15, gpus = 200 }]
term_end = 2029-12-31
status = "signed"

[[contract]]
id = "newco-1"
customer = "newco"
workload_class = "inference"
region = "r1"
ramp = [{ date = 2027-02-01, gpus = 100 }]
term_end = 2029-12-31
status = "pipeline"
probability = 0.5
"""
    book = parse_contracts(text)
    out = apply_to_months(months, book).sort("ds", "unique_id")

    def value(uid: str, month: int, column: str, measure: str = "peak") -> float:
        row = out.filter(
            (pl.col("unique_id") == uid)
            & (pl.col("ds") == date(2027, month, 1))
            & (pl.col("measure") == measure)
        )
        return float(row[column][0])

    assert value("total/r1/inference/acme", 1, "mean") == 200
    assert value("total/r1/inference/acme", 1, "q90") == 200
    assert value("total/r1", 1, "mean") == 900
    assert value("total", 1, "q90") == 1250
    assert value("total/r1/inference/acme", 1, "mean", "mean") == pytest.approx(
        (14 * 100 + 17 * 200) / 31
    )
    assert value("total/r1/inference/acme", 1, "q90", "mean") == pytest.approx(
        (14 * 150 + 17 * 200) / 31
    )
    assert value("total/r1", 1, "mean", "mean") == pytest.approx(800 + 17 * 100 / 31)
    assert value("total", 1, "q90", "mean") == pytest.approx(1200 + 17 * 50 / 31)
    for measure in ("peak", "mean"):
        assert value("total/r1/inference", 2, "mean", measure) == 300 + 100 + 50
        assert value("total/r1/inference", 2, "q90", measure) == 400 + 50
        assert value("total/r1/inference/newco", 2, "mean", measure) == 50
    assert out.filter(pl.col("unique_id") == "total/r1/inference/newco").height == 2


def test_a_region_without_telemetry_gets_monthly_rows_of_its_contract_at_every_level() -> None:
    """A greenfield region's anchor contract (r2: no telemetry, so no monthly rows) put 1,500
    GPUs from July on its customer's series only: its region and class had no row past the
    daily days, so the triggers read its pool green against 1,024 GPUs. Its class and region
    now read the ramp too, as the book's (model contract-book), and the total gains it."""
    from forecasting.contracts import CONTRACT_MODEL, apply_to_months

    ids = ["total", "total/r1", "total/r1/inference", "total/r1/inference/acme"]
    months = pl.DataFrame(
        {
            "unique_id": ids * 2,
            "ds": [date(2027, 7, 1)] * 8,
            "measure": ["peak"] * 4 + ["mean"] * 4,
            "model": "growth",
            "mean": [1000.0, 1000.0, 1000.0, 1000.0] * 2,
            "q90": [1200.0, 1200.0, 1200.0, 1200.0] * 2,
        }
    )
    book = parse_contracts(
        toml_book(
            entry(
                id="anchor",
                customer="apco",
                region="r2",
                ramp=[{"date": date(2027, 7, 1), "gpus": 1500}],
                term_end=date(2029, 12, 31),
            )
        )
    )
    out = apply_to_months(months, book)
    anchor = out.filter(pl.col("unique_id").str.starts_with("total/r2"))
    assert sorted(anchor["unique_id"].unique().to_list()) == [
        "total/r2",
        "total/r2/inference",
        "total/r2/inference/apco",
    ]
    assert set(anchor["model"].to_list()) == {CONTRACT_MODEL}
    assert set(anchor["q90"].to_list()) == {1500.0}
    assert set(anchor["mean"].to_list()) == {1500.0}
    total = out.filter((pl.col("unique_id") == "total") & (pl.col("measure") == "peak"))
    assert total["q90"].to_list() == [2700.0]


def test_monthly_rows_without_a_total_get_none_from_the_book_and_keep_their_bands_in_order() -> (
    None
):
    """The plan's monthly rows hold regions, classes and customers, not the total. The book
    gave the total rows of its own (model contract-book) holding its lifts alone: on the demo
    the total's July 2027 peak read q10 1,487 > q50 902 > q90 87 > q99 0 where its regions
    summed to 52,558 at q50 (13 peak and 19 mean months inverted), a floor lifting a low
    quantile more than a high one. No total row is made now, and every row's quantiles are in
    order to the bit: a customer under its floor read q10 768.0000000002182 above its q90
    767.9999999999125 (``v + (floor - v)`` summed to a billionth is not ``floor``). A row with
    no pipeline deal under it keeps its mean within its band (deals move a month's mean only)."""
    from forecasting.contracts import apply_to_months

    share = 0.37  # acme's part of its class, so its band is the class's scaled (not round)
    classes = {"total/r1/inference": 1000.0 / 3, "total/r1/training": 700.0 / 3}
    bands = {
        **classes,
        "total/r1": sum(classes.values()),
        "total/r1/inference/acme": share * classes["total/r1/inference"],
        "total/r1/inference/other": (1 - share) * classes["total/r1/inference"],
        "total/r1/training/bee": classes["total/r1/training"],
    }
    spread = {"q10": 0.8, "q50": 1.0, "q90": 1.3, "q99": 1.6}
    months = pl.DataFrame(
        [
            {
                "unique_id": uid,
                "ds": date(2027, m, 1),
                "measure": measure,
                "model": "growth",
                "mean": level * (1 + 0.01 * m),
                **{q: level * f * (1 + 0.01 * m) for q, f in spread.items()},
            }
            for uid, level in bands.items()
            for m in (1, 2, 3)
            for measure in ("peak", "mean")
        ]
    )
    book = book_of(
        signed(
            "acme-1",
            "acme",
            [(date(2027, 1, 10), 300), (date(2027, 3, 1), 400)],
            region="r1",
        ),
        pipeline(
            "newco-1",
            "newco",
            [(date(2027, 2, 1), 500)],
            0.5,
            region="r1",
            workload_class=WorkloadClass.TRAINING,
        ),
    )
    out = apply_to_months(months, book)
    assert out.filter(pl.col("unique_id") == hierarchy.TOTAL).is_empty()
    # The book did reach the levels the rows hold: acme floored, its class and region lifted.
    acme = out.filter(
        (pl.col("unique_id") == "total/r1/inference/acme") & (pl.col("measure") == "peak")
    )
    assert acme.sort("ds")["q10"].to_list()[2] == pytest.approx(400.0)
    assert out.filter(pl.col("unique_id") == "total/r1/training/newco").height == 4
    inverted = out.filter(
        (pl.col("q10") > pl.col("q50"))
        | (pl.col("q50") > pl.col("q90"))
        | (pl.col("q90") > pl.col("q99"))
    )
    assert inverted.is_empty(), inverted
    no_deal = ~pl.col("unique_id").is_in(
        ["total/r1", "total/r1/training", "total/r1/training/newco"]
    )
    # A millionth of a GPU: the lifts are summed to a billionth (contracts._SUM_SCALE), so a
    # floored series' mean and q10 both read its floor within that, not to the bit.
    slack = 1e-6
    outside = out.filter(
        no_deal & ~pl.col("mean").is_between(pl.col("q10") - slack, pl.col("q99") + slack)
    )
    assert outside.is_empty(), outside


def test_a_book_s_level_figures_are_the_same_to_the_bit_whatever_the_path_order() -> None:
    """The sums of bottom paths under each level run in integers: summed as floats in a
    parallel group-by's order, two reruns' quantiles differed in the last bits."""
    from forecasting.contracts import _ancestry, _level_stats, _path_sums

    rng = np.random.default_rng(3)
    ids = [f"total/r{r}/inference/c{c}" for r in range(3) for c in range(30)]
    paths = pl.DataFrame(
        {
            "unique_id": np.repeat(ids, 200),
            "ds": date(2027, 1, 1),
            "sample_id": np.tile(np.arange(200), len(ids)),
            "y": rng.lognormal(3, 1.2, len(ids) * 200),
        }
    )
    ancestry = _ancestry(ids)
    moved = pl.DataFrame({"unique_id": ids[::7]})

    def stats(frame: pl.DataFrame) -> pl.LazyFrame:
        """Each level's figures of ``frame``, summed in two parts as a run with a book is."""
        rest = _path_sums(frame.lazy().join(moved.lazy(), on="unique_id", how="anti"), ancestry)
        part = _path_sums(frame.lazy(), ancestry, only=moved)
        return _level_stats(rest, part, ["q10", "q50", "q90"])

    first = stats(paths).sort("unique_id").collect()
    whole = _level_stats(None, _path_sums(paths.lazy(), ancestry), ["q10", "q50", "q90"])
    assert whole.sort("unique_id").collect().equals(first)  # the parts add up exactly
    for seed in range(3):
        again = stats(paths.sample(fraction=1.0, shuffle=True, seed=seed))
        assert again.sort("unique_id").collect().equals(first)


def test_a_region_is_the_book_s_alone_until_its_telemetry_gives_it_a_forecast() -> None:
    """ap-south's own series is the book's (model contract-book, no telemetry): it is named.
    Once its telemetry is forecast (its region series fitted, the contract a floor on its
    customer below), it is not, nor is us-east, whose new customer series alone is the
    book's."""
    from forecasting.contracts import CONTRACT_MODEL, book_only_regions

    def rows(models: dict[str, str]) -> pl.DataFrame:
        """One row per series id with its model."""
        return pl.DataFrame({"unique_id": list(models), "model": list(models.values())})

    greenfield = {
        "total": "ets",
        "total/us-east": "ets",
        "total/us-east/training/newco": CONTRACT_MODEL,
        "total/ap-south": CONTRACT_MODEL,
        "total/ap-south/inference": CONTRACT_MODEL,
        "total/ap-south/inference/apco": CONTRACT_MODEL,
    }
    assert book_only_regions(rows(greenfield)) == ["ap-south"]
    measured = greenfield | {"total/ap-south": "theta", "total/ap-south/inference": "theta"}
    assert book_only_regions(rows(measured)) == []


def test_a_csv_row_cut_short_is_refused_not_loaded_with_blanks() -> None:
    """A last line cut by a killed export (`...,signed,2` for price 2.75 and a description)
    loaded as a contract priced 2 without a word, its missing cells read as blank: it is
    refused naming the rule and the fix, and the whole rows still load."""
    full = csv_book(
        entry(id="a", price_per_gpu_hour=2.75, description="anchor"),
        entry(id="b", price_per_gpu_hour=2.75, description="anchor"),
    )
    cut = full[: full.rindex(".75,anchor")]
    book = parse_contracts(cut, file_format="csv", source="book.csv")
    assert [c.id for c in book.contracts] == ["a"]
    (refusal,) = book.refusals
    assert (refusal.row, refusal.contract_id, refusal.field) == (2, "b", "(row)")
    assert refusal.rule.startswith("the row has fewer cells than the header")
    assert "write every column" in refusal.rule


def test_blank_csv_lines_are_not_contracts() -> None:
    """A blank line, or one of commas alone (a spreadsheet's emptied row), was refused as a
    contract with seven 'missing value' lines each (and failed `--strict`): it is skipped,
    and the rows after it keep their numbers."""
    text = csv_book(entry(id="a"), entry(id="b"))
    header, first, second = text.splitlines()
    width = len(header.split(","))
    mangled = "\n".join([header, first, "", "," * (width - 1), second, "", ""]) + "\n"
    book = parse_contracts(mangled, file_format="csv", source="book.csv")
    assert [c.id for c in book.contracts] == ["a", "b"]
    assert book.refusals == ()
    broken = mangled.replace(second, second.replace("signed", "sgned"))
    (refusal,) = parse_contracts(broken, file_format="csv", source="book.csv").refusals
    assert (refusal.row, refusal.line) == (4, 5)


def test_a_header_line_inside_a_csv_book_is_named_as_one() -> None:
    """Two books joined (`cat a.csv b.csv`) repeat the header: that line was refused as a
    contract 'id' with eight rules (workload class 'workload_class' ...); it is one refusal
    saying what it is and the fix."""
    text = csv_book(entry(id="a"))
    header = text.splitlines()[0]
    book = parse_contracts(
        text + header + "\n" + csv_book(entry(id="b")).splitlines()[1] + "\n",
        file_format="csv",
        source="book.csv",
    )
    assert [c.id for c in book.contracts] == ["a", "b"]
    (refusal,) = book.refusals
    assert (refusal.row, refusal.field, refusal.contract_id) == (2, "(row)", None)
    assert "a header line inside the data" in refusal.rule


def test_invisible_characters_around_a_name_are_dropped_as_telemetry_drops_them() -> None:
    """A zero-width space pasted after a customer ('northwind-ai\\u200b') made the contract a
    customer of its own, its floor lifting nothing the customer ran, while telemetry ingest
    drops such characters around a name. A contract's names lose them too; one inside a name
    is kept, as in telemetry."""
    book = parse_contracts(
        toml_book(entry(id="\u2060a", customer="acme\u200b", region="\ufeffus")),
        file_format="toml",
    )
    (contract,) = book.contracts
    assert (contract.id, contract.customer, contract.region) == ("a", "acme", "us")
    inside = parse_contracts(toml_book(entry(customer="ac\u200bme")), file_format="toml")
    assert inside.contracts[0].customer == "ac\u200bme"
    # The same id with and without the character is one id, said twice.
    twice = parse_contracts(toml_book(entry(id="a"), entry(id="a\u200b")), file_format="toml")
    assert [(r.contract_id, r.rule) for r in twice.refusals] == [
        ("a", "duplicate id (first at row 1)")
    ]


def test_a_csv_book_with_a_quote_left_open_names_the_row_instead_of_dropping_the_rest() -> None:
    """A CSV book whose description opened a quote and never closed it (`signed,"open`) loaded
    its first contract and nothing more, no refusal: the csv reader took every line after the
    quote as that description's text, two contracts gone without a word. A description past
    the csv module's 128 KiB limit stopped `fleetcast contracts` on a traceback. Both are now
    an error naming the book, the row the record started on and the quoting rule; a quoted
    description over two lines still reads."""
    header = "id,customer,workload_class,region,ramp,term_end,status,description\n"
    after = (
        "a2,acme,training,us-east,2026-06-01:50,2029-12-31,signed,x\n"
        "a3,acme,batch,us-east,2026-06-01:50,2029-12-31,signed,y\n"
    )
    opened = header + 'a1,acme,inference,us-east,2026-06-01:100,2029-12-31,signed,"open\n' + after
    with pytest.raises(ContractError) as refused:
        parse_contracts(opened, file_format="csv", source="book.csv")
    assert str(refused.value).startswith(
        "book.csv: row 1: malformed quoting (unexpected end of data): a quote opened and not "
        "closed, taking every line after it as its text"
    )
    long = header + "a1,acme,inference,us-east,2026-06-01:100,2029-12-31,signed," + "x" * 200_000
    with pytest.raises(ContractError, match=r"^book.csv: row 1: malformed quoting \(field larger"):
        parse_contracts(long + "\n" + after, file_format="csv", source="book.csv")
    two_lines = header + 'a1,acme,inference,us-east,2026-06-01:100,2029-12-31,signed,"a\nb"\n'
    book = parse_contracts(two_lines + after, file_format="csv", source="book.csv")
    assert [c.id for c in book.contracts] == ["a1", "a2", "a3"] and not book.refusals


def test_a_contract_ended_before_the_telemetry_begins_is_warned_of() -> None:
    """`term_end = 2020-12-31` (2030 meant) on a fleet whose telemetry begins 2024-11-23
    loaded without a word: the contract floors no day of the telemetry, of any forecast or of
    any replay, and its GPUs were simply never counted. It is warned of, naming the contract,
    the field, the date and the telemetry's first day; a contract whose ramp starts before
    the telemetry but runs into it (a reservation older than the data) is not."""
    text = """
[[contract]]
id = "ended"
customer = "acme"
workload_class = "training"
region = "us-east"
ramp = [{ date = 2018-01-01, gpus = 500 }]
term_end = 2020-12-31
status = "signed"

[[contract]]
id = "older-than-the-data"
customer = "acme"
workload_class = "inference"
region = "us-east"
ramp = [{ date = 2019-01-01, gpus = 500 }, { date = 2027-03-01, gpus = 900 }]
term_end = 2029-12-31
status = "signed"
"""
    frame = contracts.book_frame(parse_contracts(text))
    assert contracts.ended_before_telemetry(frame, first=None) == []
    assert contracts.ended_before_telemetry(frame, first=date(2024, 11, 23)) == [
        "contract ended: term_end 2020-12-31 is before the telemetry's first day (2024-11-23): "
        "it floors no day of the telemetry, of a forecast or of a replay; a year typo?"
    ]


@pytest.mark.parametrize("p", [0.05, 0.3, 0.95])
def test_a_series_of_a_pipeline_deal_alone_reads_the_deal_s_two_outcomes_in_its_months(
    p: float,
) -> None:
    """A customer that exists only as a pipeline deal (5,000 GPUs at p = 0.3) read monthly rows
    of mean 1,500 and q10 = q50 = q90 = q99 = 0: its quantiles held nothing of the deal, where
    the deal signs on 30 % of outcomes, so P(X <= 0) = 0.7 < 0.9 and its q90 is 5,000. Its
    months now read the quantiles of Bernoulli(p) x GPUs, in both measures: q_a = GPUs where
    a > 1 - p, else 0 (p = 0.05: 0 up to q90, 5,000 at q99; p = 0.95: 5,000 from q10). A
    second deal on the same class, and a signed floor on a third customer, make the class's
    own rows (a class with no telemetry) the sum of the book's outcomes."""
    from forecasting.contracts import apply_to_months

    months = pl.DataFrame(
        [
            {
                "unique_id": uid,
                "ds": date(2027, m, 1),
                "measure": measure,
                "model": "growth",
                "mean": 100.0,
                "q10": 80.0,
                "q50": 100.0,
                "q90": 130.0,
                "q99": 160.0,
            }
            for uid in ("total/r1", "total/r1/inference", "total/r1/inference/acme")
            for m in (3, 4)
            for measure in ("peak", "mean")
        ]
    )
    training = {"region": "r1", "workload_class": WorkloadClass.TRAINING}
    book = book_of(
        pipeline("deal", "newco", [(date(2027, 3, 1), 5000)], p, **training),
        pipeline("small", "smallco", [(date(2027, 3, 1), 100)], 0.5, **training),
        signed("floor", "fixed", [(date(2027, 3, 1), 10)], **training),
    )
    out = apply_to_months(months, book)
    alpha = {"q10": 0.1, "q50": 0.5, "q90": 0.9, "q99": 0.99}
    deal = out.filter(pl.col("unique_id") == "total/r1/training/newco")
    assert deal.height == 4  # two months, both measures
    for row in deal.iter_rows(named=True):
        assert row["mean"] == pytest.approx(5000 * p)
        for column, a in alpha.items():
            assert row[column] == (5000.0 if a > 1 - p else 0.0), (column, row)
    # The class: 10 signed + 5,000 x B(p) + 100 x B(0.5), the two draws independent.
    outcomes = sorted(
        (10 + 5000 * d + 100 * s, (p if d else 1 - p) * 0.5) for d in (0, 1) for s in (0, 1)
    )
    cumulative = np.cumsum([w for _, w in outcomes])

    def quantile(a: float) -> float:
        return float(outcomes[int(np.searchsorted(cumulative, a - 1e-12))][0])

    whole = out.filter(pl.col("unique_id") == "total/r1/training")
    assert whole.height == 4
    for row in whole.iter_rows(named=True):
        assert row["mean"] == pytest.approx(10 + 5000 * p + 50)
        for column, a in alpha.items():
            assert row[column] == pytest.approx(quantile(a)), (column, row)
    # A row with its own forecast keeps its band but for the signed floor's lift (10 GPUs):
    # the deals add to its mean alone.
    region = out.filter((pl.col("unique_id") == "total/r1") & (pl.col("measure") == "mean"))
    assert region["q90"].to_list() == [140.0, 140.0]
    assert region["mean"].to_list() == pytest.approx([110 + 5000 * p + 50] * 2)


def test_the_levels_only_the_book_holds_are_labelled_with_their_deals() -> None:
    """A class a customer does not run yet and a new customer's deal, in regions with
    telemetry, read as forecast rows (q90 0 beside a mean of p x GPUs for a deal at p < 0.1):
    each is named with its label, "pipeline only" where no signed contract holds it, "contract
    book only" where one does; a region the book alone holds is said as a region (not again
    per level), and a series with telemetry is not among them."""
    from forecasting.contracts import CONTRACT_MODEL, book_only_levels
    from forecasting.schema import BOOK_OUTCOMES

    chosen = pl.DataFrame(
        {
            "unique_id": [
                "total/r1", "total/r1/training", "total/r1/training/new",
                "total/r1/inference", "total/r1/inference/old", "total/r1/inference/both",
                "total/r2", "total/r2/inference", "total/r2/inference/anchor",
            ],
            "model": ["ets", CONTRACT_MODEL, CONTRACT_MODEL, "ets", "ets", CONTRACT_MODEL,
                      CONTRACT_MODEL, CONTRACT_MODEL, CONTRACT_MODEL],
        }
    )  # fmt: skip
    deals = pl.DataFrame(
        {
            "id": ["t-1", "b-1", "b-2", "a-1"],
            "customer": ["new", "both", "both", "anchor"],
            "workload_class": ["training", "inference", "inference", "inference"],
            "region": ["r1", "r1", "r1", "r2"],
            "status": ["pipeline", "signed", "pipeline", "signed"],
            "probability": [0.05, 1.0, 0.3, 1.0],
        }
    )
    levels = book_only_levels(chosen, deals)
    assert list(levels) == [
        "total/r1/inference/both", "total/r1/training", "total/r1/training/new"
    ]  # fmt: skip
    assert levels["total/r1/training/new"].startswith(f"pipeline only (t-1 at 5%): {BOOK_OUTCOMES}")
    assert levels["total/r1/training"].startswith("pipeline only (t-1 at 5%)")
    assert levels["total/r1/inference/both"].startswith(
        f"contract book only (b-1 signed, b-2 at 30%): {BOOK_OUTCOMES}"
    )
    assert "q90 reads 0 where p is below 0.1" in levels["total/r1/training/new"]


def test_a_pipeline_deal_at_probability_1_for_a_running_customer_is_warned_of() -> None:
    """A pipeline deal at p = 1 (a CRM's "closed won", not yet flipped to signed) loaded
    without a word, and was added on top of the customer's own forecast on every path, where
    the same terms signed are a floor under it: 800 GPUs of batch that cust-012 already runs
    counted twice. It is warned of where the customer runs in that region; a new customer's
    deal reads the same either way, and a deal below 1 is a scenario."""
    text = """
[[contract]]
id = "won"
customer = "acme"
workload_class = "batch"
region = "us-east"
ramp = [{ date = 2027-03-01, gpus = 800 }]
term_end = 2028-03-01
status = "pipeline"
probability = 1.0

[[contract]]
id = "new-customer"
customer = "newco"
workload_class = "batch"
region = "us-east"
ramp = [{ date = 2027-03-01, gpus = 800 }]
term_end = 2028-03-01
status = "pipeline"
probability = 1.0

[[contract]]
id = "maybe"
customer = "acme"
workload_class = "batch"
region = "us-east"
ramp = [{ date = 2027-03-01, gpus = 800 }]
term_end = 2028-03-01
status = "pipeline"
probability = 0.9
"""
    frame = contracts.book_frame(parse_contracts(text))
    series = pl.DataFrame({"region": ["us-east", "eu-west"], "customer": ["acme", "newco"]})
    assert contracts.certain_pipeline(frame, series) == [
        "contract won: a pipeline deal at probability 1 signs on every path, and its ramp is "
        "added on top of acme's own forecast in us-east; if it is signed, give status = "
        '"signed": a floor under what acme runs, so GPUs it already runs are not counted twice'
    ]


@pytest.mark.parametrize(
    ("p", "said"),
    [
        (0, "probability outside (0, 1]: a deal at 0 never signs and adds nothing; take a lost "
         "deal out of the book (got '0')"),
        (35, "probability outside (0, 1]: a percent? write 35 % as 0.35 (got '35')"),
        (1.5, "probability outside (0, 1]: a percent? write 1.5 % as 0.015 (got '1.5')"),
    ],
)  # fmt: skip
def test_a_pipeline_probability_of_0_or_a_percent_says_what_to_write(p: float, said: str) -> None:
    """A sales export's lost deal at probability 0 and a deal at 35 (a percent) were refused
    "probability outside (0, 1] (got '0.0')" and "(got '35.0')": neither the value as typed
    nor what to write instead. The refusal now says both."""
    book = parse_contracts(toml_book(entry(status="pipeline", probability=p)))
    (refusal,) = book.refusals
    assert refusal.message.endswith(
        f"field probability: {said}; fix the entry and load the book again"
    )
