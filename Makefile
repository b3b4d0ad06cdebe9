# The README's two commands: `make run` and `make test`. Both set up .venv from the lock file first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-stamp

PACKAGES := workbench screens widgets adapters playbooks

.PHONY: run test bench setup bytecode clean-venv

$(STAMP): requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Compiled bytecode for our packages, as a wheel install has it. Python only reads it when it exists,
# and machines that set PYTHONDONTWRITEBYTECODE never write it, so every start would compile ~100
# modules from source (about a tenth of a second). Only changed files are recompiled.
bytecode: $(STAMP)
	$(VENV)/bin/python -m compileall -q $(PACKAGES)

run: bytecode
	$(VENV)/bin/workbench $(ARGS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

bench: bytecode
	for b in bench/[a-z]*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
