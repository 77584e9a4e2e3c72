#!/usr/bin/env bash
# Create benchmarks/.venv-peers with Nixtla statsforecast, the benchmark's peer.
#
# statsforecast 2.x requires pandas < 3 and fleetcast resolves pandas 3 (../shared/STACK.md),
# so the peer lives in its own virtual environment. Idempotent: a stamp file records the
# requirement that was installed; a second run with the same requirement does nothing.
# Only the benchmark calls this (bench_forecast.py, i.e. `make bench`); tests never do.
#
# Usage: benchmarks/peers.sh [python]   (default: python3; PEERS_VENV overrides the location)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${PEERS_VENV:-$HERE/.venv-peers}"
PYTHON="${1:-python3}"
REQUIREMENT="statsforecast==2.1.1 pandas<3 pyarrow"
STAMP="$VENV/.installed"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$REQUIREMENT" && -x "$VENV/bin/python" ]]; then
  exit 0
fi

test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# Word splitting of REQUIREMENT is intended: one argument per requirement.
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install --quiet $REQUIREMENT
"$VENV/bin/python" -c "import statsforecast, pandas; assert int(pandas.__version__[0]) < 3"
printf '%s' "$REQUIREMENT" >"$STAMP"
