"""The contract book through the product: storage, `fleetcast contracts`, a run's forecast and
paths, triggers and the finance page (the library's own rules are in test_contracts.py).

The run tests use a hand-built run: bottom-level sample paths of two regions, whose forecast
at every level is read off the paths as forecast.py reads a reconciled one (mean, and numpy's
linear quantiles of the path sums), with a peak measure 20 % above the mean.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from rich_tables import first_row
from telemetry_files import telemetry_frame

from flows import cli
from flows.cli import main
from forecasting import contracts, demand, hierarchy, runs
from forecasting.capacity import CapacityPlan
from forecasting.contracts import CONTRACT_MODEL, apply_to_run, parse_contracts
from forecasting.report.pages import finance_page
from forecasting.resources import sample_capacity, sample_contracts
from forecasting.schema import BOOK_ONLY, FORECAST_SCHEMA, PATHS_SCHEMA, QUANTILES, WorkloadClass
from forecasting.schema import quantile_column as qcol
from forecasting.triggers import expansion_triggers

START = date(2027, 1, 4)
DAYS = 60
PATHS = 40
BOTTOM = (
    "total/r1/inference/acme",
    "total/r1/inference/other",
    "total/r2/inference/acme",
    "total/r2/inference/other",
    "total/r2/training/other",
)


def _paths(seed: int = 7) -> pl.DataFrame:
    """Bottom paths: each series a level (300-700 GPUs) plus noise, every path and day."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, date, int, float]] = []
    for i, uid in enumerate(BOTTOM):
        level = 300.0 + 100.0 * i
        y = level + rng.normal(0.0, 30.0, size=(PATHS, DAYS))
        for s in range(PATHS):
            rows.extend((uid, START + timedelta(days=d), s, float(y[s, d])) for d in range(DAYS))
    return pl.DataFrame(rows, schema=PATHS_SCHEMA, orient="row")


def _every_level(paths: pl.DataFrame) -> pl.DataFrame:
    """Each bottom path summed into every id above it (itself included)."""
    pairs = []
    for uid in paths["unique_id"].unique().to_list():
        up: str | None = uid
        while up is not None:
            pairs.append((uid, up))
            up = hierarchy.parent_of(up)
    up_map = pl.DataFrame(pairs, schema=["unique_id", "level"], orient="row")
    return (
        paths.join(up_map, on="unique_id")
        .group_by("level", "ds", "sample_id")
        .agg(pl.col("y").sum())
        .rename({"level": "unique_id"})
    )


def _forecast(paths: pl.DataFrame) -> pl.DataFrame:
    """Every level's forecast read off the paths (mean measure) and a peak 20 % above it."""
    mean = (
        _every_level(paths)
        .group_by("unique_id", "ds")
        .agg(
            pl.col("y").mean().alias("mean"),
            *(pl.col("y").quantile(q, interpolation="linear").alias(qcol(q)) for q in QUANTILES),
        )
        .with_columns(pl.lit("mean").alias("measure"), pl.lit("hand").alias("model"))
    )
    peak = mean.with_columns(
        pl.lit("peak").alias("measure"), *(pl.col(c) * 1.2 for c in ["mean", *map(qcol, QUANTILES)])
    )
    return (
        pl.concat([mean, peak])
        .with_columns(pl.lit("hand").alias("run_id"))
        .select(FORECAST_SCHEMA.names())
        .cast(FORECAST_SCHEMA)
        .sort("unique_id", "measure", "ds")
    )


BOOK = f"""
[[contract]]
id = "acme-r1"
customer = "acme"
workload_class = "inference"
region = "r1"
ramp = [{{ date = {START + timedelta(days=20)}, gpus = 2000 }}]
term_end = 2028-12-31
status = "signed"

[[contract]]
id = "neo-r1"
customer = "neo-labs"
workload_class = "training"
region = "r1"
ramp = [{{ date = {START + timedelta(days=10)}, gpus = 500 }}]
term_end = 2028-12-31
status = "pipeline"
probability = 0.5
"""


def _book() -> contracts.ContractBook:
    book = parse_contracts(BOOK, source="book.toml")
    assert not book.refusals
    return book


# --- storage and the command ------------------------------------------------------------------


def test_reloading_a_book_replaces_its_own_contracts_and_keeps_other_files(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """A book loaded twice is stored once; a deal dropped from the file leaves the warehouse;
    another file's contracts stay; the stored book reads back as the file's contracts."""
    first = tmp_path / "contracts.toml"
    first.write_bytes(sample_contracts().read_bytes())
    other = tmp_path / "other.toml"
    other.write_text(BOOK, encoding="utf-8")
    loads = [runs.load_contracts_file(p, warehouse_path) for p in (first, other, first)]
    assert [(x.status, x.loaded, x.replaced, x.unchanged) for x in loads] == [
        ("loaded", 6, 0, 0),
        ("loaded", 2, 0, 0),
        ("loaded", 6, 0, 6),
    ]
    stored = runs.contract_book(warehouse_path)
    sample = contracts.load_contracts(first)
    assert len(stored.contracts) == 8
    assert {c.id: c for c in stored.contracts} == {
        **{c.id: c for c in sample.contracts},
        **{c.id: c for c in _book().contracts},
    }
    # The same file without its last deal: the deal goes, the other file's two stay.
    kept = sample.contracts[:-1]
    first.write_text(contracts.dump_contracts(kept), encoding="utf-8")
    again = runs.load_contracts_file(first, warehouse_path)
    assert (again.loaded, again.replaced, again.unchanged) == (5, 1, 5)
    ids = {c.id for c in runs.contract_book(warehouse_path).contracts}
    assert ids == {c.id for c in kept} | {"acme-r1", "neo-r1"}


def test_rerunning_an_identical_book_says_nothing_changed(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """`fleetcast contracts FILE` rerun on the same file read "replaced 6" though nothing
    changed. The stored contracts equal to the file's are counted unchanged, and replaced
    counts only those whose terms changed or that left the file; moving an entry is no
    change."""

    from flows.tables import contract_loads_table

    book = tmp_path / "book.toml"
    book.write_bytes(sample_contracts().read_bytes())
    runs.load_contracts_file(book, warehouse_path)
    again = runs.load_contracts_file(book, warehouse_path)
    assert (again.loaded, again.replaced, again.unchanged) == (6, 0, 6)
    assert first_row(contract_loads_table([again])) == {
        "status": "loaded",
        "loaded": "6",
        "signed": "3",
        "pipeline": "3",
        "replaced": "0",
        "unchanged": "6",
        "refused": "0",
        "kept": "0",
    }
    # One term changed, the last entry dropped, the first two swapped: 2 replaced, 4 unchanged.
    sample = contracts.load_contracts(book).contracts
    edited = [sample[1], sample[0], replace(sample[2], price_per_gpu_hour=9.5), *sample[3:-1]]
    book.write_text(contracts.dump_contracts(edited), encoding="utf-8")
    changed = runs.load_contracts_file(book, warehouse_path)
    assert (changed.loaded, changed.replaced, changed.unchanged) == (5, 2, 4)


def test_a_reload_whose_entry_gained_a_typo_keeps_the_version_loaded_before(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """The sample book reloaded with term_end "2028-07-32" on the signed helios-training-2027
    ramp dropped it from the warehouse (6 -> 5 contracts) while the refusal said "the other
    entries were kept". The version loaded before stays in force until the entry is fixed,
    and the refusal says so; the fixed entry then replaces it."""
    book = tmp_path / "book.toml"
    text = sample_contracts().read_text(encoding="utf-8")
    book.write_text(text, encoding="utf-8")
    runs.load_contracts_file(book, warehouse_path)
    typo = text.replace("term_end = 2028-07-31", 'term_end = "2028-07-32"')
    assert typo != text
    book.write_text(typo, encoding="utf-8")
    loaded = runs.load_contracts_file(book, warehouse_path)
    assert (loaded.loaded, loaded.replaced, loaded.unchanged, loaded.kept) == (5, 0, 5, 1)
    assert list(loaded.outcomes.values()) == [
        f"kept the version of 'helios-training-2027' loaded on {date.today()} until it is fixed"
    ]
    stored = {c.id: c for c in runs.contract_book(warehouse_path).contracts}
    assert stored["helios-training-2027"].term_end == date(2028, 7, 31)
    assert len(stored) == 6
    book.write_text(text.replace("term_end = 2028-07-31", "term_end = 2028-08-31"), "utf-8")
    fixed = runs.load_contracts_file(book, warehouse_path)
    assert (fixed.loaded, fixed.replaced, fixed.unchanged, fixed.kept) == (6, 1, 5, 0)
    stored = {c.id: c for c in runs.contract_book(warehouse_path).contracts}
    assert stored["helios-training-2027"].term_end == date(2028, 8, 31)


def test_a_refused_entry_without_a_readable_id_keeps_every_contract_the_file_lacks(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """An entry whose id was blanked cannot be matched to a stored contract: it may be any the
    new version lacks, so all of those stay (a deal merely dropped from the file too, named);
    an entry refused on its first load is said to be out of the book."""
    book = tmp_path / "book.toml"
    book.write_text(BOOK, encoding="utf-8")
    runs.load_contracts_file(book, warehouse_path)
    book.write_text(BOOK.replace('id = "acme-r1"', 'id = ""'), encoding="utf-8")
    loaded = runs.load_contracts_file(book, warehouse_path)
    assert (loaded.loaded, loaded.kept) == (1, 1)
    assert list(loaded.outcomes.values()) == [
        "its id cannot be read, so the 1 contract(s) this file loaded before and this version "
        f"lacks ('acme-r1') are kept as loaded on {date.today()} until it is fixed"
    ]
    assert {c.id for c in runs.contract_book(warehouse_path).contracts} == {"acme-r1", "neo-r1"}
    other = tmp_path / "other.toml"
    other.write_text(BOOK.replace("-r1", "-r2").replace("0.5", "1.5"), "utf-8")
    fresh = runs.load_contracts_file(other, warehouse_path)
    assert list(fresh.outcomes.values()) == ["'neo-r2' is out of the book until it is fixed"]


def test_a_refused_entry_whose_id_a_later_entry_holds_says_so(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """Row 1 'acme-r1' refused (probability on a signed contract) while row 3, another deal,
    loaded under the same id: nothing said the id was used twice, and the refusal did not say
    the id is in the book. It says so now, naming the row that holds it."""
    second = BOOK.split("[[contract]]")[1].replace('customer = "acme"', 'customer = "zeta"')
    text = BOOK.replace('status = "signed"', 'status = "signed"\nprobability = 0.5', 1)
    book = tmp_path / "book.toml"
    book.write_text(text + "\n[[contract]]" + second, encoding="utf-8")
    loaded = runs.load_contracts_file(book, warehouse_path)
    assert loaded.loaded == 2
    assert loaded.outcomes == {
        1: "'acme-r1' is in the book from row 3, another entry of this file with the same id: "
        "give one of them a new id"
    }
    stored = {c.id: c.customer for c in runs.contract_book(warehouse_path).contracts}
    assert stored["acme-r1"] == "zeta"


CSV_BOOK = (
    "id,customer,workload_class,region,ramp,term_end,status,probability\n"
    "good,acme,inference,r1,2027-01-01:10,2027-12-31,signed,\n"
    "deal,acme,inference,r1,2027-01-01:10,2027-12-31,pipeline,0.5\n"
)


@pytest.mark.parametrize(
    ("name", "full", "emptied", "holds"),
    [
        ("book.toml", BOOK, "", "no [[contract]] tables"),
        (
            "book.toml",
            BOOK,
            BOOK.split("[[contract]]")[0] + "# cut here\n",
            "no [[contract]] tables",
        ),
        ("book.csv", CSV_BOOK, CSV_BOOK.splitlines()[0] + "\n", "no data rows"),
    ],
)
def test_an_emptied_book_over_a_loaded_one_is_refused_unless_allowed(
    tmp_path: Path,
    warehouse_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    full: str,
    emptied: str,
    holds: str,
) -> None:
    """A 0-byte, comment-only or header-only book reloaded over 2 contracts removed both
    without a warning (exit 0, "contract book (0)"). It is refused in one line naming the file
    and what it would remove (exit 1, the book unchanged); --allow-empty empties it."""
    monkeypatch.setattr(cli.console, "width", 400)
    book = tmp_path / name
    book.write_text(full, encoding="utf-8")
    wh = str(warehouse_path)
    assert main(["contracts", str(book), "--warehouse", wh]) == 0
    book.write_text(emptied, encoding="utf-8")
    capsys.readouterr()
    assert main(["contracts", str(book), "--warehouse", wh]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert (
        f"{book} holds {holds}; it would remove the 2 contract(s) loaded from it on "
        f"{date.today()}, so nothing was changed (a truncated or emptied file?); to empty it "
        "on purpose, load it again with --allow-empty" in err
    )
    assert len(runs.contract_book(warehouse_path).contracts) == 2
    assert main(["contracts", str(book), "--warehouse", wh, "--allow-empty"]) == 0
    assert not runs.contract_book(warehouse_path).contracts


def test_an_id_in_two_books_with_other_terms_is_warned(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """The same id in two books with conflicting terms was resolved by load order without a
    word; the later load now names the id, the other file and row, and the terms that differ.
    An identical entry in another book, and a reload of the same book, say nothing."""
    first = tmp_path / "k" / "book.toml"
    first.parent.mkdir()
    first.write_text(BOOK, encoding="utf-8")
    copy = tmp_path / "copy.toml"
    copy.write_text(BOOK, encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text(BOOK.replace("gpus = 2000", "gpus = 3000"), encoding="utf-8")
    loads = [runs.load_contracts_file(p, warehouse_path) for p in (first, copy, first, other)]
    assert [x.warnings for x in loads[:3]] == [[], [], []]
    assert loads[3].warnings == [
        f"duplicate id acme-r1 (also in {path.resolve()} row 1, different terms: ramp_gpus): "
        "this book, loaded last, wins; give one of them another id if both are deals, or drop "
        "the stale one"
        for path in (copy, first)
    ]
    stored = {c.id: c for c in runs.contract_book(warehouse_path).contracts}
    assert stored["acme-r1"].ramp[0].gpus == 3000


def _contract(cid: str, customer: str, **fields: object) -> str:
    """One [[contract]] entry in eu-west, the region of telemetry_frame's rows."""
    terms: dict[str, object] = {
        "ramp": "[{ date = 2027-01-01, gpus = 600 }]",
        "term_end": "2029-12-31",
        **fields,
    }
    lines = [f"{k} = {v}" for k, v in terms.items()]
    return (
        f'[[contract]]\nid = "{cid}"\ncustomer = "{customer}"\nworkload_class = "inference"\n'
        'region = "eu-west"\nstatus = "signed"\n' + "\n".join(lines) + "\n\n"
    )


def _with_telemetry(tmp_path: Path, warehouse_path: Path) -> None:
    """Two days of telemetry (2025-01-01 and 02) for northwind-ai, cust-001 and cust-002."""
    frame = telemetry_frame(hours=48).with_columns(
        pl.col("customer").replace({"cust-000": "northwind-ai"})
    )
    frame.write_parquet(tmp_path / "t.parquet")
    assert runs.load_telemetry_file(tmp_path / "t.parquet", warehouse_path, None).status == (
        "loaded"
    )


def test_a_customer_that_misses_a_telemetry_one_by_case_or_spelling_is_warned(
    tmp_path: Path, warehouse_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A contract for 'Northwind-AI' beside telemetry of 'northwind-ai' got a series of its own
    without a word, so its floor lifted nothing the customer runs. A customer off by case or a
    letter is named with the telemetry one; a new customer (acme), and one whose name differs
    from a telemetry one only in digits (cust-007 beside cust-001), are normal and not named;
    nor is anything before the warehouse holds telemetry to judge by."""
    book = tmp_path / "book.toml"
    book.write_text(
        _contract("nw-case", "Northwind-AI")
        + _contract("nw-typo", "northwnd-ai")
        + _contract("nw", "northwind-ai", ramp="[{ date = 2027-02-01, gpus = 60 }]")
        + _contract("new", "acme", ramp="[{ date = 2027-03-01, gpus = 60 }]")
        + _contract("tail", "cust-007", ramp="[{ date = 2027-04-01, gpus = 60 }]"),
        encoding="utf-8",
    )
    assert runs.load_contracts_file(book, tmp_path / "empty.duckdb").warnings == []
    _with_telemetry(tmp_path, warehouse_path)
    assert runs.load_contracts_file(book, warehouse_path).warnings == [
        f"contract {cid}: customer {name!r} matches no telemetry series (did you mean "
        "'northwind-ai'?): it gets a series of its own"
        for cid, name in (("nw-case", "Northwind-AI"), ("nw-typo", "northwnd-ai"))
    ]
    assert main(["contracts", str(book), "--warehouse", str(warehouse_path)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"warning {book}: contract nw-case: customer 'Northwind-AI' matches no" in err


def test_two_contracts_on_the_same_terms_under_different_ids_are_warned(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """A deal copied under a new id counted twice without a word. Two contracts in force with
    the same customer, class, region, ramp and term are named, in one book or across two (the
    other's file and row given); another ramp, or the same id reloaded, is not."""
    one = tmp_path / "one.toml"
    one.write_text(
        _contract("nw-a", "acme")
        + _contract("nw-a-renamed", "acme")
        + _contract("nw-b", "acme", ramp="[{ date = 2027-01-01, gpus = 700 }]"),
        encoding="utf-8",
    )
    other = tmp_path / "other.toml"
    other.write_text(_contract("nw-c", "acme") + _contract("nw-b", "acme"), encoding="utf-8")
    first = runs.load_contracts_file(one, warehouse_path)
    assert first.warnings == [
        "contract nw-a-renamed: the same customer, class, region, ramp and term as contract "
        "nw-a (row 1): both count, so one deal entered twice counts twice; drop one if they "
        "are the same deal"
    ]
    # other.toml's nw-b wins that id (with other terms), so it too repeats nw-a's terms.
    warned = runs.load_contracts_file(other, warehouse_path).warnings
    same = [w for w in warned if "the same customer" in w]
    assert [w.split(": both count")[0] for w in same] == [
        f"contract {cid}: the same customer, class, region, ramp and term as contract nw-a "
        f"({one.resolve()} row 1)"
        for cid in ("nw-c", "nw-b")
    ]


def test_a_contract_announced_after_the_newest_telemetry_day_or_today_is_warned(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """A forecast reads only the contracts announced by its as-of day, the newest telemetry
    day by default: an entry announced later loaded and changed no forecast, silently. One
    announced after that day, or after today, is named; one announced on it is not."""
    _with_telemetry(tmp_path, warehouse_path)
    book = tmp_path / "book.toml"
    book.write_text(
        _contract("on-day", "northwind-ai", announced="2025-01-02")
        + _contract("ahead", "northwind-ai", announced="2025-01-03", term_end="2029-12-30")
        + _contract("future", "northwind-ai", announced="2025-02-01", term_end="2029-12-29"),
        encoding="utf-8",
    )
    loaded = runs.load_contracts_file(book, warehouse_path, today=date(2025, 1, 10))
    assert loaded.warnings == [
        "contract ahead: announced 2025-01-03 is after the newest telemetry day (2025-01-02): "
        "no forecast applies it until then",
        "contract future: announced 2025-02-01 is after today (2025-01-10): no forecast "
        "applies it until then",
    ]


def test_a_stored_contract_without_announced_is_known_from_its_first_ramp_day_in_the_past(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """A replay (or a forecast) as of a day before the newest telemetry saw a contract with no
    `announced` date as if always signed. Read from the warehouse, such an entry is known from
    its first ramp day, and every entry is known as of the newest telemetry day."""
    _with_telemetry(tmp_path, warehouse_path)
    book = tmp_path / "book.toml"
    book.write_text(
        _contract("later", "northwind-ai")
        + _contract("serving", "cust-001", ramp="[{ date = 2025-01-01, gpus = 60 }]"),
        encoding="utf-8",
    )
    assert runs.load_contracts_file(book, warehouse_path).status == "loaded"
    stored = runs.contract_book(warehouse_path)
    assert stored.known_on == date(2025, 1, 2)
    assert [c.id for c in stored.known_by(date(2024, 12, 31)).contracts] == []
    assert [c.id for c in stored.known_by(date(2025, 1, 1)).contracts] == ["serving"]
    assert [c.id for c in stored.known_by(date(2025, 1, 2)).contracts] == ["later", "serving"]


def test_a_contract_in_a_plan_region_without_telemetry_enters_the_book(
    tmp_path: Path, warehouse_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A greenfield site's anchor contract (us-east: blocks in the plan, no telemetry yet) was
    refused with a what-if to run instead, so no forecast or trigger counted a signed deal.
    It now enters the book, is applied by a forecast reading the plan and is warned of by
    none; loaded twice it is replaced, not doubled. A region in neither the telemetry nor the
    plan is still refused, naming file, row, field and rule and both lists of regions."""
    _with_telemetry(tmp_path, warehouse_path)
    plan = tmp_path / "capacity.toml"
    plan.write_text(sample_capacity().read_text(encoding="utf-8"), encoding="utf-8")
    book = tmp_path / "book.toml"
    book.write_text(
        _contract("anchor", "apco").replace('"eu-west"', '"us-east"')
        + _contract("typo", "apco").replace('"eu-west"', '"mars-1"'),
        encoding="utf-8",
    )
    unknown = (
        "unknown region (expected one of eu-west with telemetry, or us-east, us-west of the "
        "capacity plan)"
    )
    loaded = runs.load_contracts_file(book, warehouse_path, capacity_path=plan)
    assert (loaded.loaded, loaded.signed) == (1, 1)
    assert [(r["contract_id"], r["rule"]) for r in loaded.refused] == [("typo", unknown)]
    again = runs.load_contracts_file(book, warehouse_path, capacity_path=plan)
    assert (again.loaded, again.replaced, again.unchanged) == (1, 0, 1)
    stored = runs.contract_book(warehouse_path, capacity_path=plan)
    assert [(c.id, c.region) for c in stored.contracts] == [("anchor", "us-east")]
    assert runs.stray_contracts(warehouse_path, capacity_path=plan) == []
    # The plan's warning says us-east's demand is the book's, not that nothing is judged there.
    warned = {
        w.split("'")[1]: w for w in runs.plan_warnings_for(warehouse_path, plan) if "' has" in w
    }
    assert f"and contracts ('anchor') but no telemetry: {BOOK_ONLY}" in warned["us-east"]
    assert "no trigger or order is judged there" in warned["us-west"]
    # Without the plan the region is one the fleet does not have: left out, and said.
    assert runs.contract_book(warehouse_path).contracts == ()
    assert len(runs.stray_contracts(warehouse_path)) == 1
    argv = ["contracts", str(book), "--warehouse", str(warehouse_path), "--capacity", str(plan)]
    assert main(argv) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "'anchor'" not in err
    assert (
        f"refused {book}:10: contract row 2 ('typo') field region: {unknown} (got 'mars-1'); "
        "fix the entry and load the book again" in err
    )


def test_contracts_command_loads_lists_refuses_and_exits_like_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """0 with refused rows named by file, row, field and rule; 1 with --strict or an
    unreadable file; 2 for a missing path; without FILE, the stored book."""
    monkeypatch.setattr(cli.console, "width", 200)  # a wide terminal: cells on one line
    wh = str(tmp_path / "w.duckdb")
    book = tmp_path / "book.csv"
    book.write_text(
        "id,customer,workload_class,region,ramp,term_end,status,probability\n"
        "bad,acme,inference,us-east,2027-01-01:10,2027-12-31,pipeline,1.5\n"
        "good,acme,inference,us-east,2027-01-01:10;2027-06-01:40,2027-12-31,signed,\n",
        encoding="utf-8",
    )
    assert main(["contracts", str(book), "--warehouse", wh]) == 0
    out = capsys.readouterr()
    assert "contract book (1)" in out.out and "2027-06-01: 40" in out.out
    assert f"refused {book}:2: contract row 1 ('bad') field probability: " in out.err
    assert "probability outside (0, 1]" in out.err
    assert main(["contracts", str(book), "--warehouse", wh, "--strict"]) == 1
    assert "--strict: 1 contract(s) refused" in capsys.readouterr().err
    broken = tmp_path / "broken.toml"
    broken.write_text("[[contract]\n", encoding="utf-8")
    assert main(["contracts", str(broken), "--warehouse", wh]) == 1
    assert "not valid TOML" in capsys.readouterr().err
    assert main(["contracts", str(tmp_path / "none.toml"), "--warehouse", wh]) == 2
    capsys.readouterr()
    assert main(["contracts", "--warehouse", wh]) == 0
    listed = capsys.readouterr().out
    assert "contract book (1)" in listed and "good" in listed and "signed" in listed
    # Refused in another file, a deal the book holds stays in force as first loaded: the
    # refusal says so ("the other entries were kept" left it unsaid).
    later = tmp_path / "later.csv"
    later.write_text(
        "id,customer,workload_class,region,ramp,term_end,status,probability\n"
        "good,acme,inference,us-east,2027-01-01:10,2027-12-31,pipeline,1.5\n",
        encoding="utf-8",
    )
    assert main(["contracts", str(later), "--warehouse", wh]) == 0
    refused = " ".join(capsys.readouterr().err.split())
    assert f"; the book keeps 'good' as {book.resolve()} loaded it" in refused


def test_a_contract_with_several_faults_is_one_entry_refused_with_every_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the first fault of an entry was said (its probability), so the next ones (its
    ramp's negative step, its price) met the user one load at a time. Every fault is said now,
    one line each naming file, row, field and rule; the entry is still one refused (the count,
    --strict's too), its neighbours loaded at their own rows, and what the book holds for it
    said once, not beside each fault."""
    monkeypatch.setattr(cli.console, "width", 200)
    wh = str(tmp_path / "w.duckdb")
    book = tmp_path / "book.csv"
    book.write_text(
        "id,customer,workload_class,region,ramp,term_end,status,probability,price_per_gpu_hour\n"
        "first,acme,inference,us-east,2027-01-01:10,2027-12-31,signed,,\n"
        "bad,acme,inference,us-east,2027-01-01:-10;2027-02-01:20,2027-12-31,pipeline,1.5,0\n"
        "good,acme,inference,us-east,2027-01-01:10;2027-06-01:40,2027-12-31,signed,,\n",
        encoding="utf-8",
    )
    assert main(["contracts", str(book), "--warehouse", wh, "--strict"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    where = f"refused {book}:3: contract row 2 ('bad') field"
    assert f"{where} ramp[1].gpus: GPUs below 0" in err
    assert f"{where} probability: probability outside (0, 1]" in err
    assert f"{where} price_per_gpu_hour: price not above 0" in err
    assert err.count("'bad' is out of the book until it is fixed") == 1
    assert "--strict: 1 contract(s) refused" in err
    loaded = runs.load_contracts_file(book, Path(wh))
    assert (loaded.loaded, len(loaded.refused)) == (2, 3)
    from forecasting import warehouse

    with warehouse.connect(Path(wh), read_only=True) as w:
        stored = w.contracts()
    # Each at the file row it was read from (three faults of row 2 counted as three rows).
    assert stored.sort("row_number").select("id", "row_number").rows() == [
        ("first", 1),
        ("good", 3),
    ]


def test_contracts_command_answers_without_starting_prefect(tmp_path: Path) -> None:
    """Like `events`, `contracts` is a direct step when no server is configured."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from flows.cli import main; rc = main(); "
        "print('prefect' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    book = tmp_path / "contracts.toml"
    book.write_bytes(sample_contracts().read_bytes())
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code, "contracts", str(book), "--warehouse", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**env, "PYTHONPATH": str(root), "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert "northwind-inference-2026" in result.stdout
    assert result.stderr.strip().endswith("False")


def test_contract_customers_keep_their_own_series() -> None:
    """A contract customer too small for the top-N keeps its series instead of joining other."""
    ts = pl.datetime_range(
        date(2026, 1, 1), date(2026, 1, 3), "1h", time_zone="UTC", eager=True, closed="left"
    )
    hourly = pl.concat(
        pl.DataFrame({"ts": ts, "region": "r1", "workload_class": "inference"}).with_columns(
            pl.lit(name).alias("customer"), pl.lit(size).alias("y")
        )
        for name, size in (("big", 100.0), ("mid", 50.0), ("tiny", 1.0))
    )
    plain = demand.demand_series(hourly, customers_per_class=1)
    named = demand.demand_series(
        hourly, customers_per_class=1, named_customers=[("inference", "tiny")]
    )
    bottom = {u for u in plain["unique_id"].unique().to_list() if u.count("/") == 3}
    assert bottom == {"total/r1/inference/big", "total/r1/inference/other"}
    ids = set(named["unique_id"].unique().to_list())
    assert {"total/r1/inference/big", "total/r1/inference/tiny"} <= ids
    other = named.filter(
        (pl.col("unique_id") == "total/r1/inference/other") & (pl.col("measure") == "mean")
    )
    assert other["y"].to_list() == [50.0, 50.0]  # mid alone: tiny is no longer in the tail
    assert (
        named.filter(pl.col("unique_id") == "total")["y"].to_list()
        == plain.filter(pl.col("unique_id") == "total")["y"].to_list()
    )


# --- a run with the book ------------------------------------------------------------------------


def test_a_signed_ramp_appears_in_its_series_its_aggregates_and_nowhere_else() -> None:
    """The floor lifts acme/r1 to the ramp on every path and its aggregates by as much; r2 and
    everything under it is unchanged to the bit; the new customer gets its own series."""
    paths = _paths()
    forecast = _forecast(paths)
    run = apply_to_run(forecast, paths, _book(), seed=0)
    assert (run.signed, run.pipeline) == (1, 1)
    ramp_day = START + timedelta(days=20)
    acme = "total/r1/inference/acme"
    floored = run.paths.filter((pl.col("unique_id") == acme) & (pl.col("ds") >= ramp_day))
    assert floored["y"].min() == 2000.0
    before = run.paths.filter((pl.col("unique_id") == acme) & (pl.col("ds") < ramp_day))
    assert before.equals(paths.filter((pl.col("unique_id") == acme) & (pl.col("ds") < ramp_day)))
    # Untouched levels: identical rows.
    r2 = pl.col("unique_id").str.starts_with("total/r2")
    assert run.forecast.filter(r2).equals(forecast.filter(r2))
    # Touched levels are read off the adjusted paths exactly, at every level.
    read = _forecast(run.paths).filter(pl.col("measure") == "mean")
    for uid in ("total", "total/r1", "total/r1/inference", acme):
        mine = run.forecast.filter((pl.col("unique_id") == uid) & (pl.col("measure") == "mean"))
        theirs = read.filter(pl.col("unique_id") == uid)
        for column in ["mean", *map(qcol, QUANTILES)]:
            assert np.allclose(mine[column], theirs[column], rtol=0, atol=1e-6), (uid, column)
    # The region's q90 on a ramp day rose by about the ramp less acme's own demand (~300).
    day = pl.col("ds") == ramp_day + timedelta(days=5)
    q90 = [
        f.filter((pl.col("unique_id") == "total/r1") & (pl.col("measure") == "peak") & day)["q90"][
            0
        ]
        for f in (forecast, run.forecast)
    ]
    assert 1500 < q90[1] - q90[0] < 2200
    # The new customer: paths and both measures, model contract-book, and its class aggregate.
    neo = "total/r1/training/neo-labs"
    assert set(run.paths.filter(pl.col("unique_id") == neo)["y"].unique().to_list()) == {0.0, 500.0}
    new_rows = run.forecast.filter(pl.col("model") == CONTRACT_MODEL)
    assert set(new_rows["unique_id"].unique().to_list()) == {neo, "total/r1/training"}
    assert set(new_rows["measure"].unique().to_list()) == {"mean", "peak"}
    # Coherent: the total's mean is the sum of its regions' means.
    means = run.forecast.filter(pl.col("measure") == "mean")
    total = means.filter(pl.col("unique_id") == "total").sort("ds")["mean"]
    regions = (
        means.filter(pl.col("unique_id").is_in(["total/r1", "total/r2"]))
        .group_by("ds")
        .agg(pl.col("mean").sum())
        .sort("ds")["mean"]
    )
    assert np.allclose(total, regions, rtol=0, atol=1e-6)
    ordered = run.forecast.filter(
        (pl.col("q10") > pl.col("q50"))
        | (pl.col("q50") > pl.col("q90"))
        | (pl.col("q90") > pl.col("q99"))
    )
    assert ordered.is_empty()


def test_a_floor_between_a_customer_s_mean_and_peak_lifts_its_peak_only_to_the_floor() -> None:
    """A signed floor of 340 GPUs under acme/r1 (daily mean about 300, peak hour about 360)
    holds its peak at max(peak, 340): the demo's quanta-research read a June 2027 peak of 1,091
    GPUs at every quantile (the mean paths' lift added to the peak) with its mean of 961 below
    q10, where its monthly rows read 768-965 around 851."""
    paths = _paths()
    forecast = _forecast(paths)
    floor = BOOK.split("[[contract]]")[1].replace("gpus = 2000", "gpus = 340")
    book = parse_contracts("[[contract]]" + floor, source="book.toml")
    run = apply_to_run(forecast, paths, book, seed=0)
    acme = (pl.col("unique_id") == "total/r1/inference/acme") & (pl.col("measure") == "peak")
    on_ramp = pl.col("ds") >= START + timedelta(days=20)
    before = forecast.filter(acme & on_ramp).sort("ds")
    after = run.forecast.filter(acme & on_ramp).sort("ds")
    for column in map(qcol, QUANTILES):
        # Exact for a quantile of max(peak, floor), up to the peak's likeness to scaled paths.
        expected = before[column].clip(lower_bound=340.0)
        assert np.allclose(after[column], expected, rtol=0.03), column
    assert (after["mean"] >= after["q10"]).all() and (after["mean"] <= after["q90"]).all()
    assert (after["mean"] >= 340.0).all()


def test_a_contract_series_mean_is_never_below_its_floor() -> None:
    """Under a floor of 2,000 GPUs far above acme/r1's demand, its mean is at least 2,000 in
    both measures, even where its point forecast sat below its own paths' mean (the demo's
    helios-labs read a peak mean of 1,947 under a 2,048 floor, every quantile at 2,048)."""
    paths = _paths()
    acme = pl.col("unique_id") == "total/r1/inference/acme"
    forecast = _forecast(paths).with_columns(
        pl.when(acme).then(pl.col("mean") * 0.8).otherwise(pl.col("mean")).alias("mean")
    )
    run = apply_to_run(forecast, paths, _book(), seed=0)
    on_ramp = run.forecast.filter(acme & (pl.col("ds") >= START + timedelta(days=20)))
    assert set(on_ramp["measure"].to_list()) == {"mean", "peak"}
    assert on_ramp["mean"].min() >= 2000.0
    assert np.allclose(on_ramp["q10"], 2000.0, rtol=0, atol=1e-6)


def test_pipeline_draws_depend_on_the_seed_only() -> None:
    """The same seed gives the same paths; another seed signs the deal on other paths, in
    about p of them either way."""
    paths, book = _paths(), _book()
    neo = pl.col("unique_id") == "total/r1/training/neo-labs"
    one = apply_to_run(_forecast(paths), paths, book, seed=11).paths
    assert one.equals(apply_to_run(_forecast(paths), paths, book, seed=11).paths)
    other = apply_to_run(_forecast(paths), paths, book, seed=12).paths
    assert not one.filter(neo).equals(other.filter(neo))
    day = neo & (pl.col("ds") == START + timedelta(days=30))
    for frame in (one, other):
        assert frame.filter(day)["y"].sum() == 500.0 * PATHS * 0.5


def _plan() -> CapacityPlan:
    """r1 holds 3,000 GPUs (live rack), every class keeps 20 % headroom; a rack can be ordered."""
    policy = {
        c.value: {"tier": c.value, "priority": i + 1, "headroom": 0.2}
        for i, c in enumerate(WorkloadClass)
    }
    block = {"id": "r1-rack", "kind": "rack", "region": "r1", "site": "r1-a",
             "gpu_type": "H100", "gpus": 3000, "mw": 1.0, "status": "live"}  # fmt: skip
    rack = {"name": "rack-c", "kind": "rack", "gpu_type": "H100", "gpus": 500, "mw": 0.4,
            "lead_time_weeks": 8, "capex_usd": 8e6}  # fmt: skip
    return CapacityPlan.model_validate({"policy": policy, "block": [block], "candidate": [rack]})


def test_a_signed_ramp_far_above_demand_moves_exhaustion_and_order_by_earlier() -> None:
    """r1 peaks near 1,200 GPUs (1,500 with headroom) against 3,000: never exhausted; a signed
    ramp of 2,000 GPUs for acme from day 20 exhausts r1 on that day and sets an order-by."""
    paths = _paths()
    forecast = _forecast(paths)
    r1 = pl.col("unique_id").str.starts_with("total/r1")
    plan = _plan()
    before = expansion_triggers(forecast.filter(r1), plan, as_of=START)
    after = expansion_triggers(
        apply_to_run(forecast, paths, _book(), seed=0).forecast.filter(r1), plan, as_of=START
    )

    def row(result: Any) -> dict[str, Any]:
        frame = result.triggers.filter((pl.col("region") == "r1") & (pl.col("pool") == "all"))
        return frame.row(0, named=True)

    assert row(before)["exhaustion_date"] is None and row(before)["order_by"] is None
    assert row(after)["exhaustion_date"] == START + timedelta(days=20)
    assert row(after)["order_by"] is not None and row(after)["blocks_to_order"] > 0


# --- the finance page ---------------------------------------------------------------------------


def test_finance_page_shows_the_book_dated_with_its_rules_and_concentration() -> None:
    """The contract book section: both rules, signed vs pipeline by month with revenue, each
    contract with status and p (names escaped), concentration without and with the book."""
    from test_report import SCRIPT, sample_inputs

    inputs = sample_inputs()
    text = BOOK.replace('id = "neo-r1"', f'id = "{SCRIPT}"')
    book = parse_contracts(text, source="book.toml")
    paths = _paths().with_columns(
        pl.col("unique_id").str.replace("total/r1", "total/us-east", literal=True)
    )
    book_paths = replace(
        book,
        contracts=tuple(replace(c, region="us-east") for c in book.contracts),
    )
    shown = replace(
        inputs,
        contracts=contracts.contract_list(book),
        contract_finance=contracts.committed_and_pipeline(
            book,
            start=START,
            end=START + timedelta(days=DAYS - 1),
            default_prices={"inference": 3.0},
        ),
        book_concentration=contracts.concentration_with_book(paths, book_paths),
        book_applied=pl.DataFrame({"signed": [1], "pipeline": [1]}),
    )
    page = finance_page(shown)
    body = page.split('<script type="application/json"')[0]
    assert "Contract book" in body and "Signed contracts are a floor" in body
    assert "Pipeline deals are added on top" in body
    assert "applied 1 signed contract(s) and 1 pipeline deal(s)" in body
    assert SCRIPT not in page and "&lt;script&gt;" in body
    # January 2027 has 28 days in the window (from the 4th): acme holds 2,000 GPUs from the
    # 24th (8 days) -> 571 a day on average; neo 500 from the 14th (18 days) -> 321, expected
    # 161. Revenue 2,000 x 8 days x 24 h x $3 = $1.15M; neo (training) has no price.
    assert "2027-01" in body and "571" in body and "321" in body and "161" in body
    assert "$1.2M" in body
    # neo's GPU-hours have no price: unpriced, and its revenue missing, not $0.
    book_section = body[body.index("Signed and pipeline GPUs by month") :]
    jan = book_section[book_section.index("2027-01") : book_section.index("2027-02")]
    assert "216,000 GPU-h" in jan and "$0" not in jan
    assert "50%" in body and "100%" in body
    assert "top-1 share without" in body and "HHI without" in body
    empty = finance_page(
        replace(inputs, book_applied=pl.DataFrame({"signed": [0], "pipeline": [0]}))
    )
    assert "no contract book loaded" in empty and "applied no contract" in empty


def test_a_book_loaded_before_the_telemetry_is_held_to_its_regions_at_forecast_time(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """A book loaded before any telemetry is not checked against its regions: its 'EU-WEST'
    contract made a region of its own (9,000 GPUs, no capacity), which the same book loaded
    after the telemetry refused. The forecast's book leaves it out, and a warning names it with
    the region it most likely meant."""
    book = tmp_path / "book.toml"
    book.write_text(
        _contract("ok", "northwind-ai")
        + _contract("shouty", "acme").replace('region = "eu-west"', 'region = "EU-WEST"'),
        encoding="utf-8",
    )
    assert runs.load_contracts_file(book, warehouse_path).status == "loaded"
    assert runs.stray_contracts(warehouse_path) == []  # nothing to judge by yet
    _with_telemetry(tmp_path, warehouse_path)
    assert [c.id for c in runs.contract_book(warehouse_path).contracts] == ["ok"]
    assert runs.stray_contracts(warehouse_path) == [
        "contract 'shouty' (acme, inference) is in region 'EU-WEST', which the "
        "telemetry does not have (did you mean 'eu-west'?): not applied; fix the book and load "
        "it again (`fleetcast contracts FILE`)"
    ]


def test_a_contract_whose_term_ends_decades_ahead_is_warned_of_as_a_year_typo(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """`term_end = 2929-12-31` for 2029 loaded without a word: the signed floor then held to
    the plan's last day instead of ending in 2029, and orders were sized for it. A term (or a
    ramp step) more than 20 years after today is named with the fix; 15 years is not."""
    _with_telemetry(tmp_path, warehouse_path)
    book = tmp_path / "book.toml"
    book.write_text(
        _contract("typo", "northwind-ai", term_end="2929-12-31")
        + _contract("long", "northwind-ai", term_end="2040-12-31")
        + _contract(
            "step",
            "northwind-ai",
            ramp="[{ date = 2027-01-01, gpus = 600 }, { date = 2207-01-01, gpus = 900 }]",
            term_end="2299-12-31",
        ),
        encoding="utf-8",
    )
    loaded = runs.load_contracts_file(book, warehouse_path, today=date(2025, 1, 10))
    far = [w for w in loaded.warnings if "years after today" in w]
    assert far == [
        "contract typo: term_end 2929-12-31 is 904 years after today (2025-01-10): a year "
        "typo? The contract holds its GPUs to the plan's last day; check the year",
        "contract step: ramp step 2207-01-01 is 182 years after today (2025-01-10): a year "
        "typo? The contract holds its GPUs to the plan's last day; check the year",
    ]


@pytest.mark.parametrize(
    ("name", "text", "holds"),
    [
        ("new.toml", "", "is empty (0 bytes)"),
        ("new.toml", "# deals go here\n", "holds no [[contract]] tables"),
        ("new.csv", CSV_BOOK.splitlines()[0] + "\n", "holds no data rows"),
    ],
)
def test_an_empty_book_under_a_new_path_says_what_the_plan_now_holds(
    tmp_path: Path,
    warehouse_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    text: str,
    holds: str,
) -> None:
    """A 0-byte, comment-only or header-only book under a path never loaded before loaded 0
    contracts and exited 0 without a word: most likely a failed export, and nothing said that
    the plan then had no deal. It still loads (a book may be empty on purpose), with one line
    saying so and what the book holds now, from other files or nothing; `--strict` exits 1;
    emptying a loaded book with --allow-empty says what it removed."""
    monkeypatch.setattr(cli.console, "width", 400)
    wh = str(warehouse_path)
    new = tmp_path / name
    new.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["contracts", str(new), "--warehouse", wh]) == 0
    assert " ".join(capsys.readouterr().err.split()) == (
        f"warning {new}: {holds}: nothing loaded from it; the contract book is empty: no "
        "signed contract or pipeline deal enters the plan (a failed export? load the right "
        "file, or leave it empty on purpose)"
    )
    assert main(["contracts", str(new), "--warehouse", wh, "--strict"]) == 1
    assert f"--strict: {new} hold(s) no contract entries" in capsys.readouterr().err
    other = tmp_path / "other.toml"
    other.write_text(BOOK, encoding="utf-8")
    assert main(["contracts", str(other), "--warehouse", wh]) == 0
    capsys.readouterr()
    assert main(["contracts", str(new), "--warehouse", wh]) == 0
    assert " ".join(capsys.readouterr().err.split()) == (
        f"warning {new}: {holds}: nothing loaded from it; 2 contract(s) from other files stay "
        "in force"
    )
    # Emptied on purpose: what it removed is said, not only counted as "replaced".
    other.write_text("", encoding="utf-8")
    assert main(["contracts", str(other), "--warehouse", wh, "--allow-empty"]) == 0
    assert f"and the 2 contract(s) loaded from it on {date.today()} were removed" in " ".join(
        capsys.readouterr().err.split()
    )
