# Causeway: `make run` serves the demo on embedded defaults, `make test` runs the suite.
# Uses the active virtualenv if there is one, otherwise makes ./.venv with python3.11 (or python3).
PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.causeway-installed
SHARED ?= ../shared

.PHONY: run install test bench bench-recommender bench-optw eval clean

$(PY):
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/causeway migrate
	$(BIN)/causeway demo load
	$(BIN)/causeway serve --host $(HOST) --port $(PORT)

test: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -q

$(VENV)/.causeway-bench: pyproject.toml | $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: $(VENV)/.causeway-bench
	$(PY) -m benchmarks.run_all

clean:
	rm -rf var .pytest_cache
