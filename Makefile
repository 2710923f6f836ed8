# ironwatch: `make run` starts it on the embedded default (SQLite); `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

# setup.py builds the optional C accelerators (detection's _speedups.c with _literal_set.c, the EVTX reader's _binxml.c)
# in place: rebuild when they change
$(STAMP): pyproject.toml setup.py src/ironwatch/detect/_speedups.c src/ironwatch/detect/_literal_set.c src/ironwatch/detect/_literal_set.h src/ironwatch/ingest/parsers/_binxml.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ironwatch serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
