# creditbank — the commands a newcomer and CI use (README "Quick start").
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
CB := $(VENV)/bin/creditbank
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint fmt typecheck pytest bench messages demo clean

install: $(VENV)/.installed node_modules/.installed locale

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

node_modules/.installed: package.json $(wildcard package-lock.json)
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
	@touch $@

# Compile the message catalogs when msgfmt is there; the compiled .mo files are committed too.
locale: $(VENV)/.installed
	@if command -v msgfmt >/dev/null; then $(CB) compilemessages -v0 --ignore=.venv --ignore=node_modules >/dev/null; fi

run: install
	@$(CB) migrate --no-input -v0
	@mkdir -p var && if [ ! -f var/.demo-loaded ]; then $(CB) demo >/dev/null && touch var/.demo-loaded; fi
	@$(CB) demo
	@$(CB) ledger backfill >/dev/null  # records stored before the ledger existed get their leaves (idempotent)
	@$(CB) ledger schedule >/dev/null  # the worker's periodic ledger checkpoint (docs/operations.md)
	@echo "creditbank: http://$(HOST):$(PORT)/  (console: /console/, learner space: /me/; Ctrl-C stops)"
	@$(CB) db_worker --no-reload & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(CB) runserver --noreload $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install
	$(VENV)/bin/mypy creditbank

pytest: install
	env -u DATABASE_URL CREDITBANK_TESTING=1 $(VENV)/bin/pytest -q -p no:randomly
	@if [ -n "$$DATABASE_URL" ]; then echo "== pytest on PostgreSQL =="; CREDITBANK_TESTING=1 $(VENV)/bin/pytest -q; fi

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy creditbank
	$(VENV)/bin/lint-imports
	env -u DATABASE_URL CREDITBANK_TESTING=1 $(CB) makemigrations --check --dry-run
	env -u DATABASE_URL $(CB) check --fail-level WARNING
	env -u DATABASE_URL CREDITBANK_ENV=production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) CREDITBANK_PII_KEY=ci-check CREDITBANK_SIGNING_KEY=$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=') ALLOWED_HOSTS=example.org $(CB) check --deploy --fail-level WARNING
	@$(MAKE) --no-print-directory pytest

bench: install
	$(PY) bench/run.py
	$(PY) bench/catalog.py
	$(PY) bench/archive_api.py
	$(PY) bench/ledger.py
	$(PY) bench/credentials.py
	$(PY) bench/transcript.py
	$(PY) bench/conversion.py
	$(PY) bench/lookups.py

messages: install
	$(CB) makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=bench --no-obsolete
	$(CB) compilemessages --ignore=.venv --ignore=node_modules

demo: install
	$(CB) migrate --no-input -v0
	$(CB) demo

clean:
	rm -rf $(VENV) node_modules var
