"""A contract-book reload says which deal changed in force, field by field, and from which file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from flows.cli import main
from forecasting import contracts, runs
from forecasting.contracts import ContractStatus
from forecasting.resources import sample_contracts

DEAL = "northwind-inference-expansion"


def _words(text: str) -> str:
    return " ".join(text.split())


def _signed_book(path: Path) -> Path:
    """The sample book with its pipeline expansion deal signed (no probability)."""
    book = contracts.load_contracts(sample_contracts()).contracts
    edited = [
        replace(c, status=ContractStatus.SIGNED, probability=None) if c.id == DEAL else c
        for c in book
    ]
    path.write_text(contracts.dump_contracts(edited), encoding="utf-8")
    return path


def test_a_reload_that_flips_a_deal_says_field_old_and_new(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """A reload whose file changed one deal pipeline -> signed read "replaced 1, unchanged 5"
    and named no deal: the summary says which deal, which fields, old -> new."""
    book = tmp_path / "book.toml"
    book.write_bytes(sample_contracts().read_bytes())
    runs.load_contracts_file(book, warehouse_path)
    flipped = runs.load_contracts_file(_signed_book(book), warehouse_path)
    assert (flipped.replaced, flipped.unchanged) == (1, 5)
    assert flipped.changes == [
        f"{DEAL}: status pipeline -> signed, probability 0.5 -> none (from {book.resolve()})"
    ]
    again = runs.load_contracts_file(book, warehouse_path)
    assert (again.replaced, again.unchanged, again.changes) == (0, 6, [])


def test_a_second_book_that_wins_a_deal_is_a_change_not_unchanged(
    tmp_path: Path, warehouse_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The TOML book and a CSV copy of it with the same ids, both loaded: reloading the one
    whose deal differs flipped the deal in force (signed -> pipeline) and read "replaced 0,
    unchanged 6", only a warning saying which file wins. The flip counts as replaced, and a
    line says the deal, field, old -> new, and the file it now comes from and came from."""
    signed = _signed_book(tmp_path / "signed.toml")
    sample = tmp_path / "contracts.toml"
    sample.write_bytes(sample_contracts().read_bytes())
    warehouse = str(warehouse_path)
    assert main(["--warehouse", warehouse, "contracts", str(sample), str(signed)]) == 0
    capsys.readouterr()
    assert main(["--warehouse", warehouse, "contracts", str(sample)]) == 0
    out = _words(capsys.readouterr().out)
    assert (
        f"changed {sample}: {DEAL}: status signed -> pipeline, probability none -> 0.5 "
        f"(from {sample.resolve()}; was from {signed.resolve()})"
    ) in out
    loads = runs.load_contracts_file(signed, warehouse_path)
    assert (loads.replaced, loads.unchanged) == (1, 5)
    assert loads.changes == [
        f"{DEAL}: status pipeline -> signed, probability 0.5 -> none (from {signed.resolve()}; "
        f"was from {sample.resolve()})"
    ]


def test_a_ramp_change_names_the_steps(tmp_path: Path, warehouse_path: Path) -> None:
    """A ramp is two lists in storage; a change to it reads as dated steps."""
    book = tmp_path / "book.toml"
    book.write_bytes(sample_contracts().read_bytes())
    runs.load_contracts_file(book, warehouse_path)
    sample = contracts.load_contracts(book).contracts
    first = sample[0]
    bumped = replace(first, ramp=(*first.ramp[:-1], replace(first.ramp[-1], gpus=7000)))
    book.write_text(contracts.dump_contracts([bumped, *sample[1:]]), encoding="utf-8")
    changed = runs.load_contracts_file(book, warehouse_path)
    assert changed.changes == [
        f"{first.id}: ramp 2026-06-01: 3,500; 2027-03-01: 5,000; 2027-09-01: 6,500 -> "
        f"2026-06-01: 3,500; 2027-03-01: 5,000; 2027-09-01: 7,000 (from {book.resolve()})"
    ]
