# The portal's commands. `make demo` runs it with demo data; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEVICES ?= 5000

.PHONY: install install-test demo test lint bench

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
	$(BIN)/python -m portal.launch --demo-devices $(DEVICES)

## Run the whole test suite (unit, integration with a real worker/SMTP, browser e2e).
test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
