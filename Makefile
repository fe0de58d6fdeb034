# One venv for everything; every target sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo down test check lint typecheck squawk clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## demo: the main job on a throwaway local stack (start it, migrate; `make down` stops it)
demo: $(STAMP)
	$(BIN)/vedb stack doctor --install
	$(BIN)/vedb stack up
	$(BIN)/vedb migrate
	@echo "The stack is up and migrated. Seeding, the API and the locust run are not built yet."
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

squawk: $(STAMP)
	$(BIN)/squawk migrations/*.sql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
