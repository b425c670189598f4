# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := var/uv/bin/uv
export TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/

.PHONY: run test install lint typecheck check browser tools bench

$(UV):
	python3 -m venv var/uv
	var/uv/bin/pip install --quiet 'uv>=0.5,<1'

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.installed

# npm installs from the registry: one failed download (seen once as exit 232 with no message)
# is tried again once, with its messages, before the build fails.
NPM_CI := npm ci --silent --no-audit --no-fund || (sleep 5 && npm ci --no-audit --no-fund)

# The browser tests drive Debian's Chromium (Playwright's own download is not reachable everywhere)
# and inject axe-core from npm.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && $(NPM_CI)
	touch $@

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

browser: /usr/bin/chromium $(AXE)

# The rolling-restart test puts Debian's HAProxy in front of the services; the alert rules are
# checked with Prometheus' promtool (Debian's `prometheus` package; its daemon is not started).
/usr/sbin/haproxy:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy

/usr/bin/promtool:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus

# The AsyncAPI document of the events is validated with @asyncapi/cli from npm (pinned).
ASYNCAPI := tools/asyncapi/node_modules/.bin/asyncapi
$(ASYNCAPI): tools/asyncapi/package.json tools/asyncapi/package-lock.json
	cd tools/asyncapi && $(NPM_CI)
	touch $@

tools: /usr/sbin/haproxy /usr/bin/promtool $(ASYNCAPI)

run: install
	$(PY) -m deploy.run

test: install browser tools
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy shared services deploy examples

check: lint typecheck test

# Issue 13's figures: every load script once (a few minutes), then one table (docs/performance.md).
bench: install
	$(PY) -m tests.load.bench
