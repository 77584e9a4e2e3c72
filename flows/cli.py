"""The `fleetcast` command.

Exit status: 0 when the work was done, 1 when some input could not be used (a file that
cannot be read, an invalid plan, a busy warehouse), 2 for usage errors. Commands that must
answer at once (--help, capacity, validation errors) never import prefect; the ones that run
flows import it when they start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from forecasting.settings import resolve_paths

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
console = Console()
errors = Console(stderr=True)


class UsageError(Exception):
    """Bad arguments that argparse itself cannot see (exit status 2)."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="DuckDB file (default data/warehouse.duckdb, or $FLEETCAST_WAREHOUSE)",
    )
    parser.add_argument(
        "--capacity",
        type=Path,
        default=None,
        help="capacity plan (default data/capacity.toml, or $FLEETCAST_CAPACITY)",
    )


# --- commands ----------------------------------------------------------------------------------


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic fleet's telemetry files and capacity.toml."""
    from forecasting import synth

    with console.status(f"generating {args.days} days x {args.customers} customers"):
        fleet = synth.synthetic_fleet(days=args.days, customers=args.customers, seed=args.seed)
        written = synth.write_fleet(fleet, args.out, file_format=args.file_format)
    console.print(
        f"wrote {fleet.telemetry.height:,} telemetry rows in "
        f"{sum(1 for p in written if 'telemetry' in p.name)} files and capacity.toml to {args.out}"
    )
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    """Validate and load telemetry files through the ingest flow."""
    from flows.tables import ingest_table
    from forecasting import ingest

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(map(str, missing))}")
    files = ingest.telemetry_files(args.paths)
    if not files:
        raise UsageError(
            f"no telemetry files under {', '.join(map(str, args.paths))} "
            f"(looked for {', '.join(ingest.FILE_SUFFIXES)})"
        )
    paths = resolve_paths(warehouse=args.warehouse)
    from flows.ingest import ingest_files

    results = ingest_files(files, paths.warehouse, args.file_format)
    console.print(ingest_table(results))
    failed = [r for r in results if r.status == "failed"]
    for result in failed:
        errors.print(f"[red]failed[/red] {result.message}", markup=True, highlight=False)
    quarantined = sum(r.entry.quarantined for r in results if r.entry and r.status == "loaded")
    if failed:
        return EXIT_FAILED
    if args.strict and quarantined:
        errors.print(f"--strict: {quarantined} row(s) quarantined; see `fleetcast quarantine`")
        return EXIT_FAILED
    return EXIT_OK


def cmd_capacity(args: argparse.Namespace) -> int:
    """Print the capacity inventory and its timeline per region and class."""
    from forecasting.capacity import format_inventory, load_capacity

    plan = load_capacity(resolve_paths(capacity=args.capacity).capacity)
    for table in format_inventory(plan):
        console.print(table)
    return EXIT_OK


def cmd_quarantine(args: argparse.Namespace) -> int:
    """Print quarantined rows with the file, row, column and rule they broke."""
    from flows.tables import quarantine_table
    from forecasting import warehouse

    with warehouse.connect(resolve_paths(warehouse=args.warehouse).warehouse, read_only=True) as wh:
        rows = wh.quarantine()
    console.print(quarantine_table(rows, limit=args.limit))
    return EXIT_OK


def cmd_demand(args: argparse.Namespace) -> int:
    """Print a summary of daily demand per region and class from the warehouse."""
    from flows.tables import demand_table
    from forecasting import demand, warehouse

    with warehouse.connect(resolve_paths(warehouse=args.warehouse).warehouse, read_only=True) as wh:
        hourly = wh.hourly_demand()
    series = demand.demand_series(hourly, customers_per_class=args.customers_per_class)
    console.print(demand_table(series, outages=demand.outage_hours(hourly)))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Synthetic fleet -> ingest -> capacity timeline and demand summary."""
    from flows.demo import run_demo

    return run_demo(
        warehouse_path=resolve_paths(warehouse=args.warehouse).warehouse,
        capacity_path=resolve_paths(capacity=args.capacity).capacity,
        days=args.days,
        customers=args.customers,
        seed=args.seed,
        console=console,
    )


# --- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="fleetcast",
        description="GPU-cloud demand forecasts, shock drills and expansion triggers.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p)
        p.set_defaults(func=func)
        return p

    p = add(
        "synth", cmd_synth, "write a realistic synthetic fleet (telemetry files + capacity.toml)"
    )
    p.add_argument("--out", type=Path, default=Path("data/synth"), help="output directory")
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--file-format", choices=("parquet", "csv"), default="parquet")

    p = add("ingest", cmd_ingest, "validate and load telemetry files (directories expand)")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument(
        "--format",
        dest="file_format",
        default=None,
        help="file format when the suffix does not say: csv, parquet or jsonl",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if any row was quarantined")

    add("capacity", cmd_capacity, "print the capacity inventory and timeline")

    p = add("quarantine", cmd_quarantine, "list quarantined rows and the rule each broke")
    p.add_argument("--limit", type=int, default=50)

    p = add("demand", cmd_demand, "summarise daily demand per region and class")
    p.add_argument("--customers-per-class", type=int, default=10)

    p = add("demo", cmd_demo, "synthetic fleet -> the whole pipeline")
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (also used by the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from forecasting.capacity import CapacityError
    from forecasting.ingest import IngestFileError
    from forecasting.warehouse import WarehouseError

    try:
        return int(args.func(args))
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        errors.print(f"fleetcast {args.command}: error: {exc}", highlight=False)
        return EXIT_USAGE
    except (CapacityError, WarehouseError, IngestFileError) as exc:
        errors.print(f"fleetcast {args.command}: {exc}", highlight=False, markup=False)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
