#!/usr/bin/env bash
# Prints the path of a Python >= 3.12.1 (what pyproject.toml requires): first on PATH, then among
# pyenv's installed versions. With --exact X.Y.Z, prints one of exactly that version (make floors).
# Exits 1 with install advice when there is none.
set -u
want=""
if [ "${1:-}" = "--exact" ]; then want="$2"; fi
ok() {
  if [ -n "$want" ]; then
    "$1" -c "import platform, sys; sys.exit(0 if platform.python_version() == '$want' else 1)" 2>/dev/null
  else
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12, 1) else 1)' 2>/dev/null
  fi
}
for name in python3.13 python3.12 python3 python; do
  if p=$(command -v "$name" 2>/dev/null) && ok "$p"; then echo "$p"; exit 0; fi
done
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for dir in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -V); do
  if [ -x "$dir/bin/python" ] && ok "$dir/bin/python"; then echo "$dir/bin/python"; exit 0; fi
done
if [ -n "$want" ]; then
  cat >&2 <<MSG
The floors check needs Python $want, the lowest version pyproject.toml allows, and found none on PATH
or under pyenv. Install it:  pyenv install $want
MSG
else
  cat >&2 <<'MSG'
axio-omni needs Python 3.12.1 or newer and found none on PATH or under pyenv.
Install one, for example:  pyenv install 3.12   (or: apt-get install python3.12 python3.12-venv)
MSG
fi
exit 1
