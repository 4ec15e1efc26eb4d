# Two commands: `make run` serves the demo site, `make test` runs the tests.
PY := .venv/bin/python
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test setup lint bench worker worker-transcripts beat

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
