# The two commands a new machine needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test venv dev-venv lint

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed
dev-venv: $(BIN)/.installed-dev

## Install, migrate and run Synthos (web on http://127.0.0.1:8000 + the django-q2 worker).
run: venv
	$(BIN)/python manage.py migrate --noinput
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

## Install and run the whole test suite (parallel on all cores).
test: dev-venv
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: dev-venv
	$(BIN)/ruff check .
