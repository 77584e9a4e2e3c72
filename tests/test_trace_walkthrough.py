"""What a new user read running the public traces end to end (session 58's walk-through):
words lost to the terminal's markup, and warnings that said one thing once per series."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from forecasting.runs import WhatIfOutcome


def _terminal(renderable: object) -> str:
    """``renderable`` as a wide terminal prints it, whitespace folded."""
    console = Console(width=1000, record=True)
    console.print(renderable)
    return " ".join(console.export_text().split())


def test_the_what_if_headline_keeps_the_site_table_it_names() -> None:
    """A deal in the Helios plan (no [[site]]) read "the power they need is not priced: no []
    of helios in the plan" on the terminal: the headline was rich markup, which took
    "[site]" for a style tag and dropped it. The page had the words; the terminal did not."""
    from flows.cli import whatif_answer_table
    from flows.tables import whatif_table

    basis = (
        "the blocks its own GPUs need: 17 x rack-v100-8 for helios training; the power they "
        "need is not priced: no [[site]] of helios in the plan, so no power is checked there"
    )
    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=date(2020, 5, 31), horizon_end=date(2020, 11, 29),
        serve_from=date(2020, 7, 26), can_serve=False, serve_note="", extra_capex_usd=2.5e6,
        extra_mw=0.1, revenue_usd=1.2e6, orders=[], notes=[], page=Path("p.html"),
        capex_basis=basis,
    )  # fmt: skip
    assert "no [[site]] of helios in the plan" in _terminal(whatif_table(outcome))
    # The headline the CLI rewrites where the deal's region is not judged, data in it too.
    unjudged = outcome.model_copy(update={"not_judged": "not judged: no telemetry in [eu]"})
    assert "no telemetry in [eu]" in _terminal(whatif_answer_table(unjudged))
