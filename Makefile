# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := var/uv/bin/uv
export TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/

.PHONY: run test install lint typecheck check browser

$(UV):
	python3 -m venv var/uv
	var/uv/bin/pip install --quiet 'uv>=0.5,<1'

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m deploy.run

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy shared services deploy

check: lint typecheck test
