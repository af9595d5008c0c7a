# One command sets up and produces the demo reports (make demo); one sets up and
# passes the tests (make test). Everything runs inside .venv, built from the lock file.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
YEAR ?= 2024
WORKERS ?= 2
DEMO := data/demo
STORE := data/wres.duckdb

.PHONY: demo test lint lab venv clean bench

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/run.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/run.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@$(BIN)/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('rfc3987_syntax') is not None)" \
		|| (echo "rfc3987-syntax is installed in $(VENV): it slows every notebook run; remove it" && exit 1)
	touch $@

demo: venv
	$(BIN)/wres demo-data $(DEMO)/submissions --years 2022,2023,2024 --seed 1
	$(BIN)/wres ingest $(DEMO)/submissions/*.csv --store $(STORE)
	$(BIN)/wres run --year $(YEAR) --store $(STORE) --out reports --workers $(WORKERS)

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python benchmarks/run_benchmarks.py

lab: .venv-lab/.installed
	.venv-lab/bin/jupyter lab notebooks/

.venv-lab/.installed: requirements/lab.in requirements/run.lock
	$(PYTHON) -m venv .venv-lab
	.venv-lab/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/lab.in
	.venv-lab/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

clean:
	rm -rf $(VENV) .venv-lab reports/20* data/demo $(STORE)
