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
NPM_STAMP := node_modules/.causeway-npm

.PHONY: screenshots bench-import run install install-locked lock lint browser test test-webapp bench-app bench bench-recommender bench-sim-accuracy bench-train-job bench-recommendations bench-optw bench-itinerary eval-recommender eval-trajectories iiif-validate bench-media bench-events bench-analytics clean

$(PY):
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The visitor app's browser libraries (Leaflet, OpenSeadragon) from npm, pinned by the
# committed package-lock.json; served from node_modules (no build step).
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

install: $(STAMP) $(NPM_STAMP)

# Reproducible install: exactly the versions and hashes in requirements.lock (runtime and dev
# dependencies, Python 3.11 on Linux), then the project itself without resolving anything.
install-locked: | $(PY)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Re-pin requirements.lock from pyproject.toml (after changing a dependency).
lock: | $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --no-emit-find-links --no-emit-index-url \
	  --strip-extras --allow-unsafe -o requirements.lock pyproject.toml

# ruff over the whole tree; the formatter's check over FORMATTED (files already in its style:
# add a file when you format it, `$(BIN)/ruff format FILE`); mypy over [tool.mypy] files.
FORMATTED := causeway/observability.py causeway/api/observability.py tests/api/test_observability.py \
  causeway/geo.py causeway/stats.py tests/test_geo.py tests/test_stats.py tests/auth tests/api/test_rules.py
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check $(FORMATTED)
	$(BIN)/mypy

run: install
	$(BIN)/causeway migrate
	$(BIN)/causeway demo load
	$(BIN)/causeway demo events
	$(BIN)/causeway train --if-missing
	$(BIN)/causeway serve --host $(HOST) --port $(PORT)

# Debian's chromium for the dashboard's browser test (Playwright drives it; no browser download).
# As root (CI) it is installed with apt; elsewhere it says what to run and the test skips.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "make browser: /usr/bin/chromium is missing; install it as root (apt-get install chromium)"; \
	  [ "$(CI)" != true ]; \
	fi

test: install browser lint test-webapp
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -q

# Screenshots of the venue portal and the board's curation tabs for README.md, taken by their
# browser tests at the screens they reach (docs/screenshots/*.png).
screenshots: install browser
	$(PY) -m pytest -q tests/api/test_portal_browser.py tests/api/test_board_curation_browser.py \
	  --screenshots docs/screenshots

# The visitor app's own modules (the event queue) under Node's test runner.
test-webapp:
	node --test tests/webapp/

$(VENV)/.causeway-bench: pyproject.toml | $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: bench-recommender bench-train-job bench-recommendations bench-optw bench-itinerary

bench-recommender: $(VENV)/.causeway-bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.bench_recommender

# Accuracy at 50k attractions with the simulator's ground truth: item cold start, user cold
# start and fair exposure, the protocols of `causeway eval recommender` (issue 17).
bench-sim-accuracy: $(VENV)/.causeway-bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.sim_accuracy $(ARGS)

# causeway train end to end (database reads + fit + save) on 1M events x 50k attractions;
# SQLite by default, ARGS="--database-url postgresql://postgres@127.0.0.1:5432/scratch" for PostgreSQL.
bench-train-job: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.bench_train_job $(ARGS)

# The visitor app in Chromium (issue 15): first/repeat load transfer and time on loopback, time
# to first recommendations, axe-core and PWA installability; ARGS="--runs 5 --screenshots docs".
bench-app: install browser
	nice -n 10 $(PY) -m benchmarks.bench_app $(ARGS)

# Events (issue 6): its own redis-server on a free port and a scratch PostgreSQL database
# (CAUSEWAY_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
# Feed import time against rows (issue 12): dry runs of a synthetic CSV on SQLite with the demo loaded.
bench-import: install
	$(PY) -m benchmarks.bench_import $(ARGS)

bench-events: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.bench_events

# Board analytics at scale (issue 16): seeded events (SQL, not the API) in a PostgreSQL database that is
# kept between runs (CAUSEWAY_BENCH_ANALYTICS_URL); backfill, report latency from a warm server, memory,
# rollup write cost, freshness. Scale with ARGS="--events 10000000"; run it under nice on a shared box.
bench-analytics: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.bench_analytics $(ARGS)

# POST /v1/itineraries latency and plan quality on the demo and a synthetic 2,000-place catalogue
bench-itinerary: install
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.bench_itinerary

# Serving latency of GET /v1/recommendations over 50k synthetic attractions (service and HTTP).
bench-recommendations: $(VENV)/.causeway-bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.bench_recommendations_api

# The published OPTW instances live outside the project: SHARED=path/to/shared make bench-optw
bench-optw: $(VENV)/.causeway-bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/causeway bench optw $(SHARED)/benchmarks/optw --time-limit 1 --peer ortools

eval-recommender: $(VENV)/.causeway-bench
	for city in toronto osaka glasgow edinburgh; do \
	  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/causeway eval recommender --flickr $(SHARED)/datasets/flickr-poi/$$city || exit $$?; \
	done

# The official IIIF validator (PyPI iiif-validator) at level 2 against a real server on a
# spare port, serving the validator's test image from tests/data.
$(VENV)/.causeway-iiif: pyproject.toml | $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,iiif]'
	@touch $@

iiif-validate: $(VENV)/.causeway-iiif
	$(PY) -m benchmarks.iiif_conformance --level 2

# Rendition throughput for a 12-megapixel JPEG; IIIF tile latency cold and cached.
bench-media: $(VENV)/.causeway-bench
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m benchmarks.bench_media

# Trajectory recommendation, CIKM'16 leave-one-out protocol: SHARED=path/to/shared make eval-trajectories
eval-trajectories: $(STAMP)
	for city in toronto osaka glasgow edinburgh; do \
	  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/causeway eval trajectories --flickr $(SHARED)/datasets/flickr-poi/$$city || exit $$?; \
	done

clean:
	rm -rf var .pytest_cache
