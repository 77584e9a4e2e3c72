"""``unique_id`` paths of the demand hierarchy: build them, and read levels back out of them.

A ``unique_id`` is the path from the top, joined by ``/`` (hierarchicalforecast's convention):
``total``, ``total/eu-west``, ``total/eu-west/inference``, ``total/eu-west/inference/acme``.
Names are data and may hold any character, so each name is escaped before it is joined:
``%`` becomes ``%25`` and then ``/`` becomes ``%2F``. Ordinary names read as they are; a
customer called ``acme/research`` is ``total/eu-west/inference/acme%2Fresearch`` and is one
level, not two. Every function here reads an id back unescaped, so names round-trip.

Code that has the level columns (region, workload_class, customer) should read them; code
that only has ids reads them with :func:`level`, :func:`depth` and :func:`parent` (polars) or
:func:`levels_of`, :func:`depth_of` and :func:`parent_of` (plain Python), never by splitting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from forecasting.schema import LEVELS, SEP, TOTAL

__all__ = [
    "BOTTOM_DEPTH",
    "LEVEL_NAMES",
    "SEP",
    "TOTAL",
    "ancestor",
    "depth",
    "depth_of",
    "escape",
    "escape_expr",
    "id_of",
    "is_under",
    "label_of",
    "level",
    "levels_of",
    "looked_up",
    "parent",
    "parent_of",
    "unescape",
    "unescape_expr",
    "unique_id",
]

# The name of each depth: 0 the total, then one level column per depth.
LEVEL_NAMES: tuple[str, ...] = (TOTAL, *LEVELS)
BOTTOM_DEPTH = len(LEVELS)

# Order matters both ways: `%` first on the way in, last on the way out, so a name that
# already holds `%2F` comes back as itself.
_ESCAPES = (("%", "%25"), (SEP, "%2F"))
_LAST_LEVEL = f"{re.escape(SEP)}[^{re.escape(SEP)}]*$"


def escape(name: str) -> str:
    """``name`` with ``%`` and ``/`` percent-encoded, so it is one level of a path."""
    for raw, coded in _ESCAPES:
        name = name.replace(raw, coded)
    return name


def unescape(part: str) -> str:
    """The name an escaped level stands for (inverse of :func:`escape`)."""
    for raw, coded in reversed(_ESCAPES):
        part = part.replace(coded, raw)
    return part


def escape_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`escape` as a polars expression."""
    for raw, coded in _ESCAPES:
        expr = expr.str.replace_all(raw, coded, literal=True)
    return expr


def unescape_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`unescape` as a polars expression."""
    for raw, coded in reversed(_ESCAPES):
        expr = expr.str.replace_all(coded, raw, literal=True)
    return expr


def unique_id(columns: Sequence[str] = LEVELS) -> pl.Expr:
    """The id of each row's series from its level columns (a prefix of LEVELS), names escaped.

    No columns gives the total. A null level gives a null id.
    """
    return pl.concat_str([pl.lit(TOTAL), *(escape_expr(pl.col(c)) for c in columns)], separator=SEP)


def id_of(*names: str) -> str:
    """The id of the series under the total named by ``names`` (region, class, customer)."""
    return SEP.join([TOTAL, *(escape(n) for n in names)])


def depth(column: str = "unique_id") -> pl.Expr:
    """How deep an id is: 0 total, 1 region, 2 class, 3 customer (Int64)."""
    return pl.col(column).str.count_matches(SEP, literal=True).cast(pl.Int64)


def level(at: int, column: str = "unique_id") -> pl.Expr:
    """The name at depth ``at`` of an id, unescaped; null when the id is shallower."""
    return unescape_expr(pl.col(column).str.split(SEP).list.get(at, null_on_oob=True))


def ancestor(at: int, column: str = "unique_id") -> pl.Expr:
    """The id at depth ``at`` above an id (0 the total); the id itself when it is no deeper."""
    return pl.col(column).str.split(SEP).list.head(at + 1).list.join(SEP)


def parent(column: str = "unique_id") -> pl.Expr:
    """The id one level up; null for the total."""
    uid = pl.col(column)
    return (
        pl.when(uid.str.contains(SEP, literal=True))
        .then(uid.str.replace(_LAST_LEVEL, ""))
        .otherwise(pl.lit(None, pl.String))
    )


def looked_up(expr: pl.Expr, ids: pl.Series) -> pl.Expr:
    """``expr``, an expression of the column named ``ids.name``, for a column holding only the
    values of ``ids``: worked out once per distinct id and looked up on every row.

    A plan's sample paths hold millions of rows over a few hundred ids: on the demo fleet's 3.9
    million, :func:`parent`'s pattern on every row took 0.45 s of CPU, the lookup 0.09 s.
    """
    distinct = ids.unique()
    values = distinct.to_frame().select(expr).to_series()
    return pl.col(ids.name).replace_strict(distinct, values, return_dtype=values.dtype)


def levels_of(uid: str) -> tuple[str, ...]:
    """The names below the total in ``uid``, unescaped: ``()`` for the total itself.

    Raises ValueError when ``uid`` does not start at the total.
    """
    top, *names = uid.split(SEP)
    if top != TOTAL:
        raise ValueError(f"unique_id {uid!r} does not start with {TOTAL!r}")
    return tuple(unescape(n) for n in names)


def label_of(uid: str) -> str:
    """``uid`` as a reader names it: ``total``, or its names unescaped and joined by `` · ``.

    A customer ``m-large/61`` reads as itself (``us-east · inference · m-large/61``), not as
    its escaped ``m-large%2F61``, and not as two levels.
    """
    return " · ".join(levels_of(uid)) or TOTAL


def depth_of(uid: str) -> int:
    """How deep ``uid`` is: 0 total, 1 region, 2 class, 3 customer."""
    return uid.count(SEP)


def parent_of(uid: str) -> str | None:
    """The id one level up; None for the total."""
    head, sep, _ = uid.rpartition(SEP)
    return head if sep else None


def is_under(uid: str, ancestor: str) -> bool:
    """Whether ``uid`` is ``ancestor`` or lies below it."""
    return uid == ancestor or uid.startswith(ancestor + SEP)
