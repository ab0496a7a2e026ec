# hearth-lsp — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.DEFAULT_GOAL := help
.PHONY: help install test lint unit e2e bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## install everything into .venv: server, engines, embedded model, dev and editor tools
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[legacy,server,dev]'
	$(PY) -c "from lsp_server.models import embedded_model_path; print('embedded model:', embedded_model_path())"

test: lint ## run every test (lint, unit, engines, e2e over stdio, embedded model, editors)
	$(PY) -m pytest -q

lint: ## ruff and mypy --strict
	$(VENV)/bin/ruff check lsp_server tests scripts
	$(VENV)/bin/mypy

unit: ## the fast tests only
	$(PY) -m pytest -q tests/unit

e2e: ## the tests that drive the real server over stdio
	$(PY) -m pytest -q tests/e2e

bench: ## latency table (embedded model): LSP vs raw engine, warm keystroke, cancel, RSS
	$(PY) scripts/bench.py

clean: ## remove build and test leftovers (keeps .venv)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
