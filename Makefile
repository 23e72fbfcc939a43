# Two entry points: `make demo` runs Gatehouse on its embedded SQLite default,
# `make test` runs every check. Both create .venv and install into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gatehouse demo

lint: $(STAMP)
	$(BIN)/ruff check gatehouse tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/vault.py

# The portal's compiled message catalogs (.mo) are committed; rebuild them after editing a .po.
.PHONY: catalogs
catalogs: $(STAMP)
	$(BIN)/pybabel compile -d gatehouse/web/locale -D messages

clean:
	rm -rf $(VENV) gatehouse-demo.db* .pytest_cache .mypy_cache .ruff_cache
