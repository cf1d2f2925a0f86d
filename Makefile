# Every target sets itself up: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency's version is pinned here, so a new release upstream cannot turn main red;
# `make lock` upgrades them deliberately (then run `make test` and commit the file).
CONSTRAINTS := constraints.txt

.PHONY: demo test lint fmt serve bench browser clean help lock

help:
	@echo "make demo    start orgloop with a demo organisation and print the dashboard URL and token"
	@echo "             (make demo PORT=9000 to prefer another port)"
	@echo "make test    install everything and run the test suite"
	@echo "make lint    ruff, mypy --strict and the import contracts"
	@echo "make bench   run the benchmarks in bench/ (long)"
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

test: $(STAMP) browser
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Browser tests drive Debian's chromium; install it when we are allowed to (root), else they skip.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "could not install chromium; browser tests will skip"; \
	fi

bench: $(STAMP)
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[dev,bench]'
	$(BIN)/python -m bench.run

serve: $(STAMP)
	$(BIN)/orgloop serve

clean:
	rm -rf $(VENV) .orgloop .demo .pytest_cache .mypy_cache .ruff_cache
