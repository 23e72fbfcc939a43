# Two entry points: `make demo` runs Gatehouse on its embedded SQLite default,
# `make test` runs every check. Both create .venv and install into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
AXE_VERSION := 4.14.1
AXE := .cache/axe/node_modules/axe-core/axe.min.js

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gatehouse demo

lint: $(STAMP)
	$(BIN)/ruff check gatehouse tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

# The import contracts in pyproject.toml: the domain, ledger, vault and store stay inward.
.PHONY: imports
imports: $(STAMP)
	$(BIN)/lint-imports

# Module size and private names across modules: tools/check_layout.py says what it checks.
.PHONY: layout
layout: $(STAMP)
	$(BIN)/python tools/check_layout.py

# The coverage floor (fail_under) is in pyproject.toml's [tool.coverage.report].
test: lint typecheck imports layout $(AXE)
	$(BIN)/pytest --cov=gatehouse --cov-report=term:skip-covered

# axe-core, which the privacy center's browser test injects into each page, from its npm
# package; installed once into .cache/. Without npm the test skips (and fails in CI).
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-save --no-package-lock --prefix .cache/axe axe-core@$(AXE_VERSION) \
			|| echo "warning: could not install axe-core; the accessibility test needs it" >&2; \
	else \
		echo "warning: npm is missing, so axe-core is not installed; the accessibility test needs it" >&2; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/vault.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/policy.py

# The compiled message catalogs (.mo) of the pages and of the audit report are committed;
# rebuild them after editing a .po.
.PHONY: catalogs
catalogs: $(STAMP)
	$(BIN)/pybabel compile -d gatehouse/web/locale -D messages
	$(BIN)/pybabel compile -d gatehouse/reports/locale -D audit

clean:
	rm -rf $(VENV) gatehouse-demo.db* .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
