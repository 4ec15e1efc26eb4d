# Two commands: `make run` serves the demo site, `make test` runs the tests.
PY := .venv/bin/python
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test setup lint bench bench-big worker worker-transcripts beat

setup:
	@scripts/bootstrap.sh

run: setup
	$(PY) manage.py migrate --no-input
	$(PY) manage.py demo
	DEBUG=1 $(PY) manage.py runserver $(HOST)

test: setup
	@scripts/ensure-chromium.sh
	@scripts/ensure-audio-tools.sh
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	.venv/bin/lint-imports
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

worker: setup
	.venv/bin/celery -A podindex worker -Q default,scoring,transcripts -l info

# One transcription at a time per process: it is CPU-heavy (or GPU-bound) and long.
worker-transcripts: setup
	.venv/bin/celery -A podindex worker -Q transcripts --concurrency 1 -l info

beat: setup
	.venv/bin/celery -A podindex beat -l info

# The scale benchmarks in one run, each printing its figures (PostgreSQL; the catalogue of
# 5,000 shows / 250,000 episodes is loaded once into BENCH_DATABASE_URL, ~10 minutes).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/browse_bench
INGEST_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ingest_bench
bench: setup
	@BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) scripts/bench-catalogue.sh
	@createdb --maintenance-db=$(dir $(INGEST_BENCH_DATABASE_URL))postgres $(notdir $(INGEST_BENCH_DATABASE_URL)) 2>/dev/null || true
	DATABASE_URL=$(INGEST_BENCH_DATABASE_URL) $(PY) manage.py migrate --no-input -v 0
	DATABASE_URL=$(INGEST_BENCH_DATABASE_URL) $(PY) bench/ingest_feeds.py
	$(PY) bench/polling.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/ranking.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/search.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/load_pages.py

# Search and the pages at ten times the catalogue (50,000 shows / 2,500,000 episodes, loaded
# once into BIG_BENCH_DATABASE_URL: about 90 minutes on busy cores, see bench/catalogue.py);
# CPU-heavy, so on a quiet machine.
BIG_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/browse_bench_big
bench-big: setup
	@BENCH_DATABASE_URL=$(BIG_BENCH_DATABASE_URL) BENCH_SCALE=10 scripts/bench-catalogue.sh
	DATABASE_URL=$(BIG_BENCH_DATABASE_URL) $(PY) bench/search.py
	DATABASE_URL=$(BIG_BENCH_DATABASE_URL) $(PY) bench/load_pages.py
