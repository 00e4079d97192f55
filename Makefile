# Two commands do all the set-up on a fresh machine:
#   make run    virtual environment, dependencies, migrations, demo data, server on :5000
#   make test   the same set-up, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup translations migrate seed lint format bench clean e2e-deps mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

translations: $(VENV)/.runtime
	$(BIN)/python scripts/i18n.py compile

migrate: $(VENV)/.runtime
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) demo seed

setup: translations seed

run: setup
	$(FLASK) search reindex --quiet
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Mutation testing of the core rules (tens of minutes; not part of test or CI).
# MODULES="core/money ip/deals" restricts it; the score table is printed at the end.
mutate: $(VENV)/.dev translations
	$(BIN)/python scripts/mutation_score.py run $(MODULES)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache
