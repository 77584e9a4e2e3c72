"""A pydantic validation error's rule as a reader of fleetcast's messages should see it, and
the errors the CLI says in one line that have no heavier module of their own.

Kept free of heavy imports: the CLI formats its usage errors with it before loading polars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PublishError", "rule_text"]


class PublishError(RuntimeError):
    """Pages could not be written under the reports folder; the message names the folder, the
    OS's reason and what was stored."""


def rule_text(error: Mapping[str, Any], *, quote: bool = True) -> str:
    """A pydantic error's rule, without the "Value error, " prefix pydantic puts before a
    validator's own message, and with the input quoted back once (``quote``) unless the
    message already quotes it."""
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if not quote or isinstance(given, dict) or repr(given) in message:
        return message
    return f"{message} (got {given!r})"
