# One command sets up and produces the demo reports (make demo); one sets up and
# passes the tests (make test). Everything runs inside .venv, built from the lock file.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
YEAR ?= 2024
WORKERS ?= 2
DEMO := data/demo
STORE := data/wres.duckdb

.PHONY: demo test lint lab venv clean bench a11y-tools reference lock

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/run.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/run.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@$(BIN)/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('rfc3987_syntax') is not None)" \
		|| (echo "rfc3987-syntax is installed in $(VENV): it slows every notebook run; remove it" && exit 1)
	touch $@

# Every council's full report and the nation's; then the leadership and staff reports of a large,
# a small and a mid-sized council (Kent, City of London, County Durham), so every audience is there to read.
AUDIENCE_COUNCILS ?= E10000016 E09000001 E06000047

demo: venv
	$(BIN)/wres demo-data $(DEMO)/submissions --years 2022,2023,2024 --seed 1
	$(BIN)/wres ingest $(DEMO)/submissions/*.csv --store $(STORE)
	$(BIN)/wres run --year $(YEAR) --store $(STORE) --out reports --workers $(WORKERS)
	$(BIN)/wres run --year $(YEAR) --store $(STORE) --out reports --workers $(WORKERS) --no-national \
		--audience leadership,staff $(addprefix --authority ,$(AUDIENCE_COUNCILS))

test: venv a11y-tools
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The accessibility tests run axe-core (npm) in Debian's Chromium (apt); no browser is downloaded.
# Idempotent: each step is skipped when already done. apt needs root (as in CI) or sudo.
CHROMIUM ?= /usr/lib/chromium/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

a11y-tools: $(CHROMIUM) node_modules/.installed

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium
	@test -x $@ || (echo "chromium installed, but $@ is missing: set CHROMIUM=/path/to/chromium" && exit 1)

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || (echo "npm not found: install Node.js 20 or later with npm" && exit 1)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python benchmarks/run_benchmarks.py

# The reference notebooks nbval compares strictly (tests/reference). Regenerate them after an intended change
# to what the reports say, then review `git diff tests/reference`: it is every change the code made.
reference: venv
	$(BIN)/python -m tests.reference.regenerate

# requirements/run.lock holds the exact versions `make` installs. After changing requirements/run.in,
# regenerate it: run.in's pins and their dependencies go into a throwaway environment, whose `pip freeze`
# becomes the lock (tests/test_environment.py checks .venv against it).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/run.in
	{ echo "# Exact versions \`make\` installs (pip freeze of requirements/run.in on Python 3.11)."; \
	  .venv-lock/bin/python -m pip freeze; } > requirements/run.lock
	rm -rf .venv-lock

lab: .venv-lab/.installed
	.venv-lab/bin/jupyter lab notebooks/

.venv-lab/.installed: requirements/lab.in requirements/run.lock
	$(PYTHON) -m venv .venv-lab
	.venv-lab/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/lab.in
	.venv-lab/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

clean:
	rm -rf $(VENV) .venv-lab reports/20* data/demo $(STORE) node_modules
