"""Prints the lowest versions pyproject.toml declares: ``name==version`` per runtime dependency, or with
``--python`` the lowest Python. ``make floors`` installs exactly these into a throwaway venv.

Every runtime dependency must declare a lower bound (``>=``); one without is an error, since its
lowest version could not be tested.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floors(project: dict[str, object]) -> list[str]:
    pins = []
    for spec in project["dependencies"]:  # type: ignore[attr-defined]
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(\[[^\]]*\])?\s*(.*)$", str(spec))
        lower = re.search(r">=\s*([0-9][^,;\s]*)", match.group(3)) if match else None
        if match is None or lower is None:
            sys.exit(f"pyproject.toml: {spec!r} declares no lower bound (>=), so its floor cannot be tested")
        pins.append(f"{match.group(1)}=={lower.group(1)}")
    return pins


def python_floor(project: dict[str, object]) -> str:
    lower = re.search(r">=\s*([0-9.]+)", str(project["requires-python"]))
    if lower is None:
        sys.exit("pyproject.toml: requires-python declares no lower bound (>=)")
    version = lower.group(1)
    return version if version.count(".") == 2 else version + ".0"


def extra_floor(project: dict[str, object], extra: str, name: str) -> str:
    """The lowest version extra ``extra`` declares for ``name``."""
    for spec in project["optional-dependencies"][extra]:  # type: ignore[index]
        lower = re.match(rf"^\s*{re.escape(name)}\s*>=\s*([0-9][^,;\s]*)", str(spec))
        if lower:
            return lower.group(1)
    sys.exit(f"pyproject.toml: the {extra} extra declares no lower bound for {name}")


def main() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    if sys.argv[1:2] == ["--extra"]:
        print(extra_floor(project, sys.argv[2], sys.argv[3]))
    else:
        print(python_floor(project) if sys.argv[1:] == ["--python"] else "\n".join(floors(project)))


if __name__ == "__main__":
    main()
