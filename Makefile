# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# mediapipe 0.10.21 is installed without its declared dependencies on purpose:
# see pyproject.toml and docs/dependencies.md.
MEDIAPIPE := mediapipe==0.10.21

.PHONY: run test lint bench install clean locate-example

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(MEDIAPIPE)
	touch $(STAMP)

install: $(STAMP)

# The practitioner's app on the embedded defaults: SQLite + photo folder in
# $$ACUFACE_DATA_DIR (default ~/.local/share/acuface). The demo clinic is loaded
# on the first run only; `acuface serve` prints the URL and the demo login.
run: $(STAMP)
	$(BIN)/acuface db upgrade
	$(BIN)/acuface demo-data
	$(BIN)/acuface serve --host 127.0.0.1 --port $${PORT:-8000}

# The locator on the example portrait: overlay + JSON in ./acuface-out/.
locate-example: $(STAMP)
	$(BIN)/python -m acuface.cli.run_default

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_locate.py
	$(BIN)/python benchmarks/bench_skin_repeatability.py
	$(BIN)/python benchmarks/bench_live.py

clean:
	rm -rf $(VENV) build src/*.egg-info
