# `make demo` and `make test` each set up everything they need on a fresh machine:
# they find a Python >= 3.12.1 (PATH, then pyenv), make .venv, and install what they use.
# The development loop (lint, typecheck, unit) needs only the package and its test tools;
# the real servers (llama.cpp in .venv, Piper and Whisper in .venv-speech) only `make integration`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip --disable-pip-version-check -q
SPEECH  ?= .venv-speech
HASH    := $(shell cat pyproject.toml scripts/requirements-*.txt 2>/dev/null | cksum | cut -d' ' -f1)
BASE    := $(VENV)/.stamp-base-$(HASH)
DEV     := $(VENV)/.stamp-dev-$(HASH)
SERVERS := $(VENV)/.stamp-servers-$(HASH)
SPEECHS := $(SPEECH)/.stamp-$(HASH)

.PHONY: demo test dev servers lint typecheck unit integration floors bench setup clean

$(PY):
	@interp=$$(scripts/find-python.sh) && echo "using $$interp" && "$$interp" -m venv $(VENV)

# The package and the emulator's media extra (its pictures and videos): enough for the demo.
$(BASE): $(PY) pyproject.toml
	$(PIP) install -e '.[media]'
	rm -f $(VENV)/.stamp-base-* && touch $@

# The package, its test tools, the settings screens (with axio-tui and axio-repl to test them
# against), OpenTelemetry and Ray Data: enough for lint, typecheck and the unit tests.
$(DEV): $(BASE)
	$(PIP) install -e '.[test,media,tui,otel,ray]'
	rm -f $(VENV)/.stamp-dev-* && touch $@

# llama.cpp's server and its model, pinned and hash-checked (no dependencies: see the file).
$(SERVERS): $(DEV) scripts/requirements-servers.txt
	$(PIP) install --no-deps --require-hashes -r scripts/requirements-servers.txt
	rm -f $(VENV)/.stamp-servers-* && touch $@

# The speech servers (Whisper, Piper) in a venv of their own: their dependencies are large.
$(SPEECHS): scripts/requirements-speech.txt scripts/requirements-speech-models.txt
	@test -x $(SPEECH)/bin/python || { interp=$$(scripts/find-python.sh) && "$$interp" -m venv $(SPEECH); }
	$(SPEECH)/bin/python -m pip --disable-pip-version-check -q install --only-binary=av -r scripts/requirements-speech.txt
	$(SPEECH)/bin/python -m pip --disable-pip-version-check -q install --no-deps --require-hashes \
		-r scripts/requirements-speech-models.txt
	rm -f $(SPEECH)/.stamp-* && touch $@

dev: $(DEV)
servers: $(SERVERS) $(SPEECHS)
setup: dev servers

demo: $(BASE)
	$(PY) examples/demo.py

lint: $(DEV)
	$(VENV)/bin/ruff check src tests benchmarks examples scripts
	$(VENV)/bin/ruff format --check src tests benchmarks examples scripts

typecheck: $(DEV)
	$(VENV)/bin/mypy

unit: $(DEV)
	$(PY) -m pytest -q -m "not integration"

integration: $(DEV) servers
	$(PY) -m pytest -q -m integration

# The lowest declared versions of Python and of every runtime dependency, in a throwaway venv.
floors:
	scripts/floors.sh

test: lint typecheck unit integration floors

bench: $(SERVERS)
	$(PIP) install -e '.[bench]'
	$(PY) benchmarks/bench_chat.py
	$(PY) benchmarks/bench_responses.py
	$(PY) benchmarks/bench_ratelimit.py
	$(PY) benchmarks/bench_telemetry.py
	$(PY) benchmarks/bench_ray.py
	$(PY) benchmarks/bench_embed.py
	$(PY) benchmarks/bench_audio.py
	$(PY) benchmarks/bench_pool.py
	$(PY) benchmarks/bench_realtime.py
	$(PY) benchmarks/bench_images.py
	$(PY) benchmarks/bench_videos.py

clean:
	rm -rf $(VENV) $(SPEECH) .mypy_cache .pytest_cache .ruff_cache .hypothesis
