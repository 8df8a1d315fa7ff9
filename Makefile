# The portal's commands. `make demo` runs it with demo data; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEVICES ?= 5000
# pytest-xdist processes for `make test` (auto: one per core); each has its own test database and Redis.
PYTEST_WORKERS ?= auto

.PHONY: install install-test demo test lint bench screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

## Run the portal (web + Celery worker + beat) with demo data; embedded PostgreSQL/Redis unless
## DATABASE_URL / REDIS_URL are set.
demo: install
	$(BIN)/python -m config.launch --demo-devices $(DEVICES)

## Run the whole test suite (unit, integration with a real worker/SMTP, browser e2e), in parallel.
## Embedded PostgreSQL/Redis unless DATABASE_URL / REDIS_URL are set. Quicker loop: see README.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## National-scale benchmark (docs/performance.md): every figure beside a reference from the same run.
## Needs its own database, dropped and rebuilt: make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench
## Smaller or faster: make bench BENCH_ARGS="--devices 100000 --requests 1000000 --repeat 3"
bench: install-test
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

## Regenerate docs/screenshots/ (every main page and role, 1366x900 and 390x844) in the system Chromium.
screenshots: install-test
	$(BIN)/python -m tests.e2e.screenshots

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
