# `make demo` and `make test` each set up everything they need on a fresh machine.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip --disable-pip-version-check -q
STAMP   := $(VENV)/.stamp-$(shell cat pyproject.toml scripts/requirements-servers.txt 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck unit bench setup clean

$(PY):
	@interp=$$(scripts/find-python.sh) && echo "using $$interp" && "$$interp" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml scripts/requirements-servers.txt
	$(PIP) install -e '.[test]'
	$(PIP) install --no-deps --require-hashes -r scripts/requirements-servers.txt
	rm -f $(VENV)/.stamp-* && touch $@

setup: $(STAMP)

demo: setup
	$(PY) examples/demo.py

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples

typecheck: setup
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest -q

test: lint typecheck unit

bench: setup
	$(PIP) install -e '.[bench]'
	$(PY) benchmarks/bench_chat.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
