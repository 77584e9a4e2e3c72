"""The what-if flow: weigh a deal against the plan on a stored forecast run, publish its page."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.stopping import recording_prefect_sigterm
from forecasting import runs
from forecasting.options import WhatIfOptions
from forecasting.runs import WhatIfOutcome

__all__ = ["whatif_flow"]

recording_prefect_sigterm()  # before any flow here runs: flows/stopping.py says why


@flow(name="whatif", log_prints=True)
def whatif_flow(
    warehouse_path: Path, capacity_path: Path, reports_path: Path, options: WhatIfOptions
) -> WhatIfOutcome:
    """Triggers without and with the deal; the page finance reads before it is signed."""
    outcome = runs.weigh_deal(warehouse_path, capacity_path, reports_path, options)
    baseline = f"; {outcome.baseline_note}" if outcome.baseline_note else ""
    print(f"what-if: {outcome.serve_note}{baseline}; page {outcome.page}")
    return outcome
