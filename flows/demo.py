"""`fleetcast demo`: a synthetic fleet through the pipeline, in one process."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rich.console import Console

from forecasting import demand, synth, warehouse
from forecasting.capacity import format_inventory, parse_capacity
from forecasting.settings import DATA_DIR

__all__ = ["DEMO_DIR", "run_demo"]

DEMO_DIR = DATA_DIR / "demo"


def run_demo(
    *,
    warehouse_path: Path,
    capacity_path: Path,
    days: int,
    customers: int,
    seed: int,
    console: Console,
) -> int:
    """Generate a fleet, ingest it, forecast it; print capacity, demand and forecast summaries."""
    from flows.forecast import ForecastOptions, forecast
    from flows.ingest import ingest_files
    from flows.tables import demand_table, forecast_tables, ingest_table

    started = time.perf_counter()
    with console.status(f"generating a synthetic fleet: {days} days, {customers} customers"):
        fleet = synth.synthetic_fleet(days=days, customers=customers, seed=seed)
        shutil.rmtree(DEMO_DIR, ignore_errors=True)
        written = synth.write_fleet(fleet, DEMO_DIR)
    console.print(f"synthetic fleet: {fleet.telemetry.height:,} hourly rows -> {DEMO_DIR}")
    # The demo owns its capacity plan: the one generated with the fleet, sized to its demand.
    plan_path = DEMO_DIR / "capacity.toml"
    telemetry = [p for p in written if p.parent.name == "telemetry"]
    results = ingest_files(telemetry, warehouse_path)
    console.print(ingest_table(results))
    plan = parse_capacity(plan_path.read_text(encoding="utf-8"), source=str(plan_path))
    for table in format_inventory(plan):
        console.print(table)
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        hourly = wh.hourly_demand()
    series = demand.demand_series(hourly)
    console.print(demand_table(series, outages=demand.outage_hours(hourly)))
    run = forecast(warehouse_path, ForecastOptions())
    for table in forecast_tables(run):
        console.print(table)
    console.print(
        f"demo done in {time.perf_counter() - started:.0f} s; warehouse {warehouse_path}, "
        f"capacity plan {plan_path} (pass --capacity {plan_path} to other commands; "
        f"{capacity_path} is left as it is)"
    )
    return 0 if all(r.status != "failed" for r in results) else 1
