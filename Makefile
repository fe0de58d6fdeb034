# One venv for everything; every target sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PROFILE ?= demo
BENCH_PROFILE ?= load
# The demo targets always act on the local stack, never on a VEDB_DATABASE_URL you exported.
ON_STACK := env -u VEDB_DATABASE_URL -u VEDB_REDIS_URL $(BIN)/vedb
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo loadtest-ui down test check lint typecheck squawk bench-seed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## demo: the main job: stack, migrate, seed, API, 60 s of locust, summary; stops everything
demo: $(STAMP)
	$(BIN)/vedb stack doctor --install
	$(ON_STACK) demo --profile $(PROFILE)

## loadtest-ui: the same stack and API, with locust's web UI; the stack keeps running (`make down`)
loadtest-ui: $(STAMP)
	$(BIN)/vedb stack doctor --install
	$(ON_STACK) demo --profile $(PROFILE) --ui

down: $(STAMP)
	$(BIN)/vedb stack down

## test: the whole suite against throwaway servers, with coverage and its floor (pyproject.toml)
## (installs PostgreSQL, Redis and Chromium with apt if root and missing)
test: $(STAMP)
	$(BIN)/vedb stack doctor --install --browser
	$(BIN)/pytest --cov --cov-report=term

## check: lint, format check, strict typing, then the tests
check: lint typecheck test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## bench-seed: the seed's load rate beside pgbench -i on the local stack (BENCH_PROFILE=load)
bench-seed: $(STAMP)
	$(BIN)/vedb stack doctor --install
	$(BIN)/vedb stack up
	$(ON_STACK) bench seed --profile $(BENCH_PROFILE)

squawk: $(STAMP)
	$(BIN)/squawk migrations/*.sql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
