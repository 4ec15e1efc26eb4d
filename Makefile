# Two commands: `make run` serves the demo site, `make test` runs the tests.
PY := .venv/bin/python
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test setup lint bench worker beat

setup:
	@scripts/bootstrap.sh

run: setup
	$(PY) manage.py migrate --no-input
	$(PY) manage.py demo
	DEBUG=1 $(PY) manage.py runserver $(HOST)

test: setup
	@scripts/ensure-chromium.sh
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	.venv/bin/lint-imports
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

worker: setup
	.venv/bin/celery -A podindex worker -Q default,scoring -l info

beat: setup
	.venv/bin/celery -A podindex beat -l info
