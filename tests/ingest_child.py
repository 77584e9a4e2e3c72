"""Run by tests in a subprocess: ingest files into a warehouse, or hold its lock (60 s, or the
seconds given after the path)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from forecasting import ingest, warehouse


def main(argv: list[str]) -> int:
    mode, db, *files = argv
    with warehouse.connect(Path(db)) as wh:
        if mode == "hold":
            print("holding", flush=True)
            time.sleep(float(files[0]) if files else 60)
            return 0
        for name in files:
            result = ingest.ingest_file(wh, Path(name))
            print(name, result.status, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
