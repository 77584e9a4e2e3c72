"""Row validation shared by the file readers: the first rule a row breaks, as expressions."""

from __future__ import annotations

import csv
from collections.abc import Sequence

import polars as pl

__all__ = [
    "BAD_QUOTES",
    "CR_JOINED_RULE",
    "LONE_CR_RULE",
    "TOO_MANY_FIELDS",
    "Check",
    "csv_line",
    "every_failure",
    "first_failure",
]

# The faults a CSV line can have before any of its fields is read (see :func:`csv_line`).
TOO_MANY_FIELDS = "too many fields"
BAD_QUOTES = "unbalanced quote"
# A lone CR is no line end to polars' reader, nor in a file of LF line ends, and no terminal
# shows it: rows it joined read only "more fields than the header", which sent the reader to
# count commas, and a file of CR line ends alone read as one header line. Telemetry and trace
# readers name it in these words.
LONE_CR_RULE = (
    "lone CR line ends (a carriage return alone, as old Mac files end lines, is no line end "
    "to the CSV reader): save the file with LF or CRLF line ends (sed 's/\\r$//' in.csv | "
    "tr '\\r' '\\n' > out.csv) and ingest it again"
)
CR_JOINED_RULE = (
    "row has more fields than the header: rows joined at a carriage return (CR) inside the "
    f"line? {LONE_CR_RULE}"
)

# (column, rule, failing, value): ``failing`` is true on rows that break the rule, and
# ``value`` is what the refusal quotes back.
Check = tuple[str, str, pl.Expr, pl.Expr]


def first_failure(checks: Sequence[Check]) -> list[pl.Expr]:
    """(column, rule, value) of the first check a row fails, nulls when it passes all."""
    first = pl.coalesce(
        [pl.when(bad).then(pl.lit(i, pl.Int16)) for i, (_, _, bad, _) in enumerate(checks)]
    )
    value = pl.coalesce([pl.when(first == i).then(val) for i, (_, _, _, val) in enumerate(checks)])
    return [
        first.replace_strict(
            {i: c[0] for i, c in enumerate(checks)}, default=None, return_dtype=pl.String
        ).alias("column"),
        first.replace_strict(
            {i: c[1] for i, c in enumerate(checks)}, default=None, return_dtype=pl.String
        ).alias("rule"),
        pl.when(first.is_not_null()).then(value).alias("value"),
    ]


def every_failure(checks: Sequence[Check]) -> pl.Expr:
    """Every check a row fails, in the checks' order: a list of (column, rule, value) structs,
    empty when it passes all. A reader that says only the first failure leaves the next to
    be met one load at a time."""
    return pl.concat_list(
        [
            pl.when(bad).then(
                pl.struct(
                    pl.lit(column, pl.String).alias("column"),
                    pl.lit(rule, pl.String).alias("rule"),
                    val.cast(pl.String).alias("value"),
                )
            )
            for column, rule, bad, val in checks
        ]
    ).list.drop_nulls()


def csv_line(text: str, width: int) -> tuple[list[str], str | None]:
    """One CSV line's fields and its fault: ``TOO_MANY_FIELDS`` past ``width`` fields,
    ``BAD_QUOTES`` (no fields) where a quote is not closed on the line; None when it has none."""
    if '"' not in text:
        fields = text.split(",")
    else:
        try:
            fields = next(csv.reader([text], strict=True), [])
        except csv.Error:
            return [], BAD_QUOTES
    return fields, (TOO_MANY_FIELDS if len(fields) > width else None)
