# agent-status: `make demo` runs the nightly import through Airflow; `make test` runs the tests;
# `make check` runs `agent-status check` against the demo sandboxes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := True
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS := admin:admin
# the local UI's login is admin / admin (written below); never use this in production
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE := $(AIRFLOW_HOME)/passwords.json
export AIRFLOW__API__PORT ?= 8080
# task runners report to the api-server's execution API, on the same port
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL ?= http://localhost:$(AIRFLOW__API__PORT)/execution/
export GX_ANALYTICS_ENABLED := False
# the Test button of connection forms (off by default in Airflow) runs `agent-status check`
export AIRFLOW__CORE__TEST_CONNECTION := Enabled
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)/dev
# the local Airflow starts its components as `airflow ...` from PATH
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv demo check test faults airflow sandboxes bench e2e clean

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml dev/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip install --quiet --no-deps -e dev  # sandboxes, simulator, demo (development only)
	$(PY) -m agent_status.docs_assets fetch  # Data Docs styles and scripts, for offline viewing
	touch $@

venv: $(VENV)/.installed

$(AIRFLOW_HOME)/airflow.db: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(VENV)/bin/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)

demo: $(AIRFLOW_HOME)/airflow.db
	@echo '{"admin": "admin"}' > $(AIRFLOW_HOME)/passwords.json
	$(PY) -m agent_status_dev.demo run --nights 3

# the demo sandboxes, then `agent-status check` for every demo integration
check: $(AIRFLOW_HOME)/airflow.db
	$(PY) -m agent_status_dev.demo check

test: $(VENV)/.installed
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# the fault matrix alone (it also runs in `make test`); README "What survives what"
faults: $(VENV)/.installed
	$(PY) -m pytest -q -p no:cacheprovider tests/faults $(PYTEST_ARGS)

# api-server, scheduler, dag-processor and the sandboxes; prints the real URL; Ctrl-C stops all
airflow: $(AIRFLOW_HOME)/airflow.db
	@echo '{"admin": "admin"}' > $(AIRFLOW_HOME)/passwords.json
	$(PY) -m agent_status_dev.demo airflow

# every vendor through dag.test (tests/e2e/test_nights_through_airflow.py), and a real Airflow
# (api-server, scheduler, dag-processor, triggerer; Local then Celery executor) on PostgreSQL
# and Redis, driven by REST and the CLI; plus the docker-compose.yaml checks
e2e: $(VENV)/.installed
	$(PY) -m pytest -m e2e tests/e2e tests/deploy -q -p no:cacheprovider $(PYTEST_ARGS)

# one 1M-event night from the vendor's bytes to committed rows, against the floor (README);
# a quick run: make bench BENCH_EVENTS=100000 BENCH_AGENTS=1000
bench: $(VENV)/.installed
	$(PY) bench/bench_pipeline.py

clean:
	rm -rf data .airflow
