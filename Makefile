# Every target creates .venv when missing and installs the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Prefect on an offline 2-core machine (../shared/STACK.md): no analytics DNS lookups, and a
# start-up timeout long enough for the ephemeral server on a loaded machine.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: demo test check lint bench install clean chromium

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint,dask]'
	# Compile the drill kernel into numba's cache once, here, not in the first drill (11 s).
	$(BIN)/python -c 'from forecasting.drills.simulate import compile_kernel; compile_kernel()'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fleetcast demo

# Two workers, a test file each (module fixtures such as the installed wheel are built once):
# the slow tests mostly wait on a server, a browser or a child process, so files overlap. The
# files go in conftest's order (the longest first), not xdist's (the most tests first).
test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -ra -n 2 --dist loadfile --no-loadscope-reorder --durations=30

# The inner loop: unit tests only (no Prefect server, browser, crash or accuracy runs), in
# about two minutes. `make test` and CI still run everything.
check: $(STAMP)
	$(BIN)/python -m pytest -q -ra -m "not slow and not server and not browser"

# The report tests drive Debian's chromium (never a browser download). Installed when we are
# root with apt-get; elsewhere the browser tests skip and say why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and not root: browser tests will be skipped"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check forecasting flows tests benchmarks
	$(BIN)/ruff format --check forecasting flows tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache data/demo data/warehouse.duckdb*
