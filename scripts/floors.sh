#!/usr/bin/env bash
# The declared floors, tested: the lowest Python and the lowest version of each runtime dependency
# that pyproject.toml allows, installed into a throwaway venv, then the unit tests and the demo there.
set -euo pipefail
cd "$(dirname "$0")/.."
any=$(scripts/find-python.sh)
version=$("$any" scripts/floors.py --python)
interp=$(scripts/find-python.sh --exact "$version")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$any" scripts/floors.py > "$work/floors.txt"
echo "floors: Python $version, $(tr '\n' ' ' < "$work/floors.txt")"
"$interp" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install -r "$work/floors.txt"
# The package itself (not editable: what a user installs) and the test tools, which must not move a floor.
"${pip[@]}" install --no-deps .
"${pip[@]}" install -c "$work/floors.txt" pytest pytest-asyncio aioresponses hypothesis jsonschema referencing openai Pillow av
# The tui, otel and ray extras at their floors, for the settings screens, the spans (the SDK the
# tests export with, at the same version) and corpus embedding on Ray Data.
otel=$("$any" scripts/floors.py --extra otel opentelemetry-api)
"${pip[@]}" install -c "$work/floors.txt" "textual==$("$any" scripts/floors.py --extra tui textual)" \
    "opentelemetry-api==$otel" "opentelemetry-sdk==$otel" \
    "ray[data]==$("$any" scripts/floors.py --extra ray 'ray[data]')" \
    "pyarrow==$("$any" scripts/floors.py --extra ray pyarrow)"
"$work/venv/bin/python" -m pip --disable-pip-version-check check
"$work/venv/bin/python" - "$work/floors.txt" <<'PY'
import importlib.metadata as md, sys
pins = [line.split("==") for line in open(sys.argv[1]).read().split()]
wrong = [f"{name} {md.version(name)} (wanted {want})" for name, want in pins if md.version(name) != want]
sys.exit(f"floors: not the declared floors: {', '.join(wrong)}" if wrong else 0)
PY
# Tests import the installed package, not src/.
# tests/apps drive axio-tui and axio-repl, which need aiohttp>=3.11: above our floor, so not here.
"$work/venv/bin/python" -m pytest -q -m "not integration" -p no:cacheprovider --import-mode=append --ignore=tests/apps
"$work/venv/bin/python" examples/demo.py > "$work/demo.log" || { cat "$work/demo.log"; exit 1; }
echo "floors: unit tests and demo pass on the lowest declared versions"
