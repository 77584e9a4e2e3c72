"""How many demand series the isolated-spike rule (forecasting.spikes) flags in a warehouse.

Reads each warehouse's daily demand series as `fleetcast forecast` builds them (every level,
both measures) and runs the detector alone over each series' whole history, printing the
flagged series and the count. The rule should flag next to nothing on real fleets: a flagged
series is held at its usual level for the forecast.

Run as ``PYTHONPATH=. python benchmarks/spike_counts.py WAREHOUSE [WAREHOUSE ...]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

from forecasting.options import ForecastOptions
from forecasting.runs.forecasts import demand_series_for
from forecasting.spikes import isolated_spikes


def flagged_series(warehouse: Path) -> tuple[list[tuple[str, str]], int]:
    """The (unique_id, measure) pairs the rule flags, and how many series there are."""
    series = demand_series_for(warehouse, ForecastOptions()).sort("ds")
    flagged, total = [], 0
    for (uid, measure), group in series.group_by(["unique_id", "measure"], maintain_order=True):
        total += 1
        y = group["y"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if isolated_spikes(y):
            flagged.append((str(uid), str(measure)))
    return flagged, total


def main() -> int:
    """Print each warehouse's flagged series and count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="+", type=Path)
    for warehouse in parser.parse_args().warehouses:
        flagged, total = flagged_series(warehouse)
        for uid, measure in flagged:
            print(f"  {uid} ({measure})")
        print(f"{warehouse}: {len(flagged)} of {total} series flagged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
