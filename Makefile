# The two commands: `make run` (embedded default) and `make test` (whole suite, real services).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test install lint format bench mutation

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Embedded default: SQLite under var/, eager Celery, files under var/, demo data.
run: export DEBUG ?= true
run: export LOG_FORMAT ?= text
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --samples
	$(PY) manage.py setup_schedules
	$(PY) manage.py setup_groups
	$(PY) manage.py ensure_admin
	@echo "Admin: http://127.0.0.1:$(PORT)/admin/  (health: /healthz, metrics: /metrics from 127.0.0.1)"
	@echo "Schedules (batch windows, outbox, recovery): run_scheduler --loop, log appended to var/scheduler.log"
	$(PY) manage.py run_scheduler --loop >>var/scheduler.log 2>&1 & sched=$$!; \
	trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Whole suite against a throwaway PostgreSQL and Redis started (and stopped) by the script.
test: export SECRET_KEY ?= test-secret-key-not-for-production-0123456789-abcdefghij
test: export SECURE_SSL_REDIRECT ?= false
test: export STATICFILES_MANIFEST ?= false
test: install
	scripts/with-test-services.sh $(PY) -m pytest $(PYTEST_ARGS)

# Mutation testing of the core modules (slow; not part of `make test`): each group mutates its
# modules and runs only its related tests, against the same throwaway PostgreSQL and Redis.
# GROUPS="x12 controlnumbers" picks groups (default: all); MUTATION_ARGS=--recheck tries only the
# survivors of an earlier run again (after adding tests); state in var/mutation/<group>/,
# scores in var/mutation/summary.json, reviewed survivors in docs/mutation.md.
GROUPS ?=
MUTATION_ARGS ?=
mutation: export SECRET_KEY ?= test-secret-key-not-for-production-0123456789-abcdefghij
mutation: export SECURE_SSL_REDIRECT ?= false
mutation: export STATICFILES_MANIFEST ?= false
mutation: install
	scripts/with-test-services.sh $(PY) scripts/mutation.py $(GROUPS) $(MUTATION_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
