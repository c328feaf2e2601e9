# Two entry points on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 12111
DB ?= ./stripe-emulator.sqlite3

.PHONY: run test venv browser node bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# Debian's chromium for the portal's browser tests (installed only when running as root, as CI does).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "warning: could not install chromium; browser tests will be skipped"; \
	fi

# stripe-node for the Node SDK tests, from tests/node/package-lock.json (Node.js 20+ and npm come with the
# machine; without them those tests are skipped).
NODE_MODULES := tests/node/node_modules/.package-lock.json
node:
	@if command -v npm >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then \
		[ $(NODE_MODULES) -nt tests/node/package-lock.json ] \
		|| npm ci --prefix tests/node --no-audit --no-fund --loglevel=error \
		|| echo "warning: could not install stripe-node; the Node SDK tests will be skipped"; \
	else \
		echo "warning: Node.js 20+ with npm not found; the Node SDK tests will be skipped"; \
	fi

run: venv
	$(BIN)/stripe-portal-emulator serve --host $(HOST) --port $(PORT) --db $(DB) --seed demo

test: venv browser node
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: venv
	$(BIN)/python benchmarks/api_flow.py

clean:
	rm -rf $(VENV) build dist *.egg-info stripe-emulator.sqlite3* tests/node/node_modules
