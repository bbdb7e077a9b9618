# OpenEvent: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(COMPILE_FLAGS)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test pytest lint bench requirements system-packages test-system-packages

# Debian packages: bubblewrap and the system's python3 run lab scripts; chromium the browser tests.
define apt_install
	@missing=""; for pair in $(1); do command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else echo "Please install these Debian packages:$$missing (sudo apt-get install$$missing)"; fi; \
	fi
endef

system-packages:
	$(call apt_install,bwrap:bubblewrap /usr/bin/python3:python3)

test-system-packages:
	$(call apt_install,bwrap:bubblewrap /usr/bin/python3:python3 chromium:chromium)

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "OpenEvent needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# `make requirements COMPILE_FLAGS=--upgrade` moves every pin to the newest release.
# A stamp per requirements file, so a changed pin reinstalls and an unchanged one is quick.
$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

run: export FRONTEND_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.base-installed system-packages
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev-installed test-system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py spectacular --validate --fail-on-warn > /dev/null
	$(MAKE) pytest

# Every test: most on a worker per core, then in one process the lab's (they share the machine's
# sandboxes and Redis, and some check that no run is left) and the contract test's (its
# schemathesis items share one node id, which pytest-xdist cannot hand out).
ONE_PROCESS_TESTS := remotelab/tests openevent/tests/test_contract.py
pytest: $(VENV)/.dev-installed test-system-packages
	$(BIN)/pytest --numprocesses=auto --maxprocesses=4 $(ONE_PROCESS_TESTS:%=--ignore=%)
	$(BIN)/pytest $(ONE_PROCESS_TESTS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# One server process with one client connection, then the production layout's two processes
# with a connection each.
# The checkout on PostgreSQL wants a server BENCH_POSTGRES_URL reaches (CI's role by default).
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/lists.py
	$(BIN)/python bench/lists.py --processes 2
	$(BIN)/python bench/reset_timing.py
	$(BIN)/python bench/orders.py
	@if pg_isready -q -h 127.0.0.1 2>/dev/null; then $(BIN)/python bench/orders.py --database postgresql; \
	else echo "bench/orders.py --database postgresql skipped: no PostgreSQL on 127.0.0.1"; fi

requirements: $(VENV)/.dev-installed
	cd requirements && ../$(PIP_COMPILE) -o base.txt base.in
	cd requirements && ../$(PIP_COMPILE) -o dev.txt dev.in
