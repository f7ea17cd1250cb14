# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# mediapipe 0.10.21 is installed without its declared dependencies on purpose:
# see pyproject.toml and docs/dependencies.md.
MEDIAPIPE := mediapipe==0.10.21

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(MEDIAPIPE)
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m acuface.cli.run_default

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_locate.py

clean:
	rm -rf $(VENV) build src/*.egg-info
