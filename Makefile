# Every target sets itself up: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency's version is pinned here, so a new release upstream cannot turn main red;
# `make lock` upgrades them deliberately (then run `make test` and commit the file).
CONSTRAINTS := constraints.txt

.PHONY: demo test lint fmt serve bench browser prometheus pact-cli node-sdks clean help lock wheels

help:
	@echo "make demo    start orgloop and a demo shop (its services as processes), drive customers"
	@echo "             through it, print what to open; Ctrl-C stops every process it started"
	@echo "             (make demo PORT=9000 to prefer another port)"
	@echo "make test    install everything and run the test suite"
	@echo "make lint    ruff, mypy --strict and the import contracts"
	@echo "make bench   run the benchmarks in bench/ (long)"
	@echo "make wheels  build both distributions into dist/: orgloop (the server) and orgloop-sdk"
	@echo "make lock    re-resolve and pin every dependency in constraints.txt (upgrade deliberately)"

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# Resolve every extra afresh in a scratch environment and pin what it installed.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --upgrade pip
	.lock-venv/bin/python -m pip install -q -e '.[dev,bench,spark]'
	( echo "# Pinned by 'make lock' on $$(date -u +%Y-%m-%d); used by every install in the Makefile."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | sort -f ) > $(CONSTRAINTS)
	rm -rf .lock-venv

# The port the demo's server prefers (a free one is used, and named, when it is taken).
PORT ?= 8080

demo: $(STAMP)
	$(BIN)/python -m orgloop.demo --port $(PORT)

test: $(STAMP) browser prometheus pact-cli node-sdks
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench devtools
	$(BIN)/ruff format --check src tests bench devtools
	$(BIN)/mypy
	$(BIN)/lint-imports  # run from here: the contract types live in devtools/importlint.py

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench devtools
	$(BIN)/ruff check --fix src tests bench devtools

# The service-graph tests start Debian's prometheus, each its own process on a free port (the
# package's service is never used); installed as chromium is below, else they skip (fail in CI).
prometheus:
	@if [ ! -x /usr/bin/prometheus ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing prometheus for the service-graph tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null) \
			|| echo "could not install prometheus; its tests will skip"; \
	fi

# Browser tests drive Debian's chromium; install it when we are allowed to (root), else they skip.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "could not install chromium; browser tests will skip"; \
	fi

# The official Pact clients (pact-broker, pact-verifier) for the Pact Broker tests, from the npm
# registry alone (the package's binaries are its per-platform optional dependencies), into
# .npm-tools/; without node and npm the tests skip.
PACT_CLI := @pact-foundation/pact-cli@18.1.2
pact-cli:
	@if command -v npm >/dev/null && [ ! -x .npm-tools/node_modules/.bin/pact-broker ]; then \
		echo "installing $(PACT_CLI) for the Pact Broker tests"; \
		npm install --prefix .npm-tools --no-audit --no-fund --silent $(PACT_CLI) \
			|| echo "could not install $(PACT_CLI); the Pact CLI tests will skip"; \
	fi

# GrowthBook's JavaScript SDK and OpenFeature's OFREP provider for node, which the flags tests run
# against a live server, pinned, into .npm-tools/ (beside the Pact CLI); without npm they skip.
NODE_SDKS := @growthbook/growthbook@1.8.0 @openfeature/server-sdk@1.23.0 @openfeature/core@1.12.0 \
	@openfeature/ofrep-provider@0.1.3 @openfeature/ofrep-core@0.1.4
node-sdks:
	@if command -v npm >/dev/null && [ "$$(cat .npm-tools/.node-sdks 2>/dev/null)" != "$(NODE_SDKS)" ]; then \
		echo "installing $(NODE_SDKS) for the flags tests"; \
		(npm install --prefix .npm-tools --no-audit --no-fund --silent --save-exact $(NODE_SDKS) \
			&& echo "$(NODE_SDKS)" > .npm-tools/.node-sdks) \
			|| echo "could not install the node SDKs; their flags tests will skip"; \
	fi

# Both distributions: the server (pyproject.toml) and the SDK alone (packages/orgloop-sdk), each
# with the flag engine's C hash compiled when a C compiler is there (hatch_build.py).
wheels: $(STAMP)
	$(BIN)/python -m pip wheel -q --no-deps -w dist . packages/orgloop-sdk
	@ls -l dist/*.whl

bench: $(STAMP)
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[dev,bench]'
	$(BIN)/python -m bench.run

serve: $(STAMP)
	$(BIN)/orgloop serve

clean:
	rm -rf $(VENV) .orgloop .demo .pytest_cache .mypy_cache .ruff_cache .npm-tools
