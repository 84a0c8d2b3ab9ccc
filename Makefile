# Two commands on a fresh machine: `make demo` (set up, then the quick start) and `make test`
# (set up, then everything CI checks; .ci/run calls it; as root it also installs and starts a local
# SLURM cluster for the slow suite, tools/slurm-local). Setup makes .venv, installs torch
# (TORCH, the CPU build is enough) before the project, and is redone when pyproject.toml changes.
PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
# ruff, lint-imports, python and clockspec are the venv's, for the tests' subprocesses too.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: demo test setup-run setup-test

demo: $(VENV)/.installed-run
	clockspec check specs/
	clockspec run specs/quickstart.yaml

test: $(VENV)/.installed-test
	ruff check .
	tools/lint-imports
	python -m pytest -q
	# the slow suite with a single-node SLURM cluster up (tests/slurm; root only), stopped however it ends
	if [ "$$(id -u)" = 0 ]; then tools/slurm-local start; fi; \
	status=0; python -m pytest -q -m slow || status=$$?; \
	if [ "$$(id -u)" = 0 ]; then tools/slurm-local stop; fi; \
	[ $$status -eq 0 ] || [ $$status -eq 5 ]  # 5: no slow test selected

setup-run: $(VENV)/.installed-run
setup-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[$*]"
	touch $@
