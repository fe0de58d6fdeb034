# One venv for everything; every target sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PROFILE ?= demo
BENCH_PROFILE ?= load
# The demo targets always act on the local stack, never on a VEDB_DATABASE_URL you exported.
ON_STACK := env -u VEDB_DATABASE_URL -u VEDB_REDIS_URL $(BIN)/vedb
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo down test check lint typecheck squawk bench-seed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## demo: the main job on a throwaway local stack (start, migrate, seed; `make down` stops it)
demo: $(STAMP)
	$(BIN)/vedb stack doctor --install
	$(BIN)/vedb stack up
	$(ON_STACK) migrate
	$(ON_STACK) seed --profile $(PROFILE)
	@echo "The stack is up, migrated and seeded ($(PROFILE)). The API and the locust run are not built yet."
	@echo "Connect with: eval \"\$$($(BIN)/vedb stack env)\"; psql \"\$$VEDB_DATABASE_URL\""
	@echo "Stop it with: make down"

down: $(STAMP)
	$(BIN)/vedb stack down

## test: the whole suite against throwaway servers (installs them with apt if root and missing)
test: $(STAMP)
	$(BIN)/vedb stack doctor --install
	$(BIN)/pytest

## check: lint, format check, strict typing, then the tests with coverage
check: lint typecheck
	$(BIN)/vedb stack doctor --install
	$(BIN)/pytest --cov --cov-report=term

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
