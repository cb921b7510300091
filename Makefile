# microscout — every target sets up what it needs on first use and is idempotent afterwards.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint eval bench bench-full install sysdeps clean lock docs

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "microscout needs Python >= 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Debian packages the tests need (installed only when missing).
sysdeps:
	@bash scripts/sysdeps.sh

demo: $(STAMP)
	$(BIN)/microscout demo --out demo --brief examples/brief.yaml

test: $(STAMP) sysdeps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

eval: $(STAMP)
	$(BIN)/python -m microscout.evaluation

bench: $(STAMP)
	$(BIN)/python -m microscout.bench --creators 100000 --posts-per-creator 100
	$(BIN)/python -m microscout.bench.text --texts 200000
	$(BIN)/python -m microscout.bench.plan
	$(BIN)/python -m microscout.bench.api --creators 100000
	$(BIN)/python -m microscout.bench.search --creators 1000000

bench-full: $(STAMP)
	$(BIN)/python -m microscout.bench --creators 1000000 --posts-per-creator 50 --bulk-load --memory-limit 8GB --doc docs/benchmarks-full.md

# Regenerate the generated docs (CLI reference, configuration).
docs: $(STAMP)
	$(BIN)/python -m microscout.clidoc

# Re-resolve the lock file from pyproject.toml in a scratch environment.
lock:
	rm -rf /tmp/microscout-lock && $(PYTHON) -m venv /tmp/microscout-lock
	/tmp/microscout-lock/bin/pip install --quiet --upgrade pip
	/tmp/microscout-lock/bin/pip install --quiet '.[dev,spark]'
	/tmp/microscout-lock/bin/pip freeze --exclude microscout > requirements.lock

clean:
	rm -rf demo .pytest_cache .mypy_cache .ruff_cache build
