# Cadence developer tasks. `make run` needs nothing but Python 3.11+; `make test` needs
# PostgreSQL and Redis (override DATABASE_URL / REDIS_URL to point elsewhere).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The first of python3.11 / python3 that is at least 3.11 creates the virtualenv.
PYTHON ?= $(shell for p in python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help install run test lint worker bench faults

help:
	@echo "make install  create $(VENV) and install requirements-dev.txt (runtime and development tools)"
	@echo "make run      install requirements.txt, migrate, load the demo district, serve http://127.0.0.1:$(PORT)"
	@echo "              (SQLite, eager tasks; another port: make run PORT=8101)"
	@echo "make test     the whole suite on PostgreSQL + Redis; extra pytest arguments in ARGS=..."
	@echo "make lint     ruff, migrations up to date, system checks"
	@echo "make worker   a Celery worker on REDIS_URL (for production-like local runs)"
	@echo "make bench    time the dashboards with gunicorn at 10,000 and 1,000,000 steps (ARGS=--sizes ...)"
	@echo "make faults   run a production-like stack on private ports and replay issue 9's faults (minutes)"

# Reinstall only when a requirements file changed since the last install. `make run` needs only the
# runtime requirements; `make install` (and test, lint) adds the development tools.
install: $(VENV)/.installed

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "Cadence needs Python 3.11 or newer (python3.11 or python3)." >&2; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

# The embedded defaults: no environment needed (SQLite file, Celery eager, DEBUG on).
run: $(VENV)/.runtime
	$(PY) manage.py migrate
	$(PY) manage.py demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cadence
test: export REDIS_URL ?= redis://127.0.0.1:6379/0
test: export TEST_WORKERS ?= 2
test: install
	$(VENV)/bin/pytest --numprocesses=$(TEST_WORKERS) $(ARGS)

# Every check runs even when an earlier one fails, so one run reports all the problems.
LINT_CHECKS := "$(VENV)/bin/ruff check ." \
	"$(VENV)/bin/ruff format --check ." \
	"$(PY) manage.py makemigrations --check --dry-run" \
	"$(PY) manage.py check"

lint: install
	@failed=0; for check in $(LINT_CHECKS); do \
		echo "$$check"; $$check || { echo "FAILED: $$check"; failed=1; }; \
	done; exit $$failed

# Run the web side with the same REDIS_URL (and DATABASE_URL) so tasks reach this worker.
worker: export REDIS_URL ?= redis://127.0.0.1:6379/0
worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

# The dashboards' benchmark (a script, not a test): gunicorn on PostgreSQL and Redis, 10,000 and 1,000,000
# steps. The database named here is emptied first; its name must contain "bench".
bench: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cadence_bench
bench: export REDIS_URL ?= redis://127.0.0.1:6379/0
bench: install
	$(PY) bench/dashboards.py $(ARGS)

# Its own PostgreSQL, Redis, gunicorn, Celery workers and beat on ports 8104-8111 of 127.0.0.1; see bench/faults.py.
faults: install
	$(PY) bench/faults.py $(ARGS)
