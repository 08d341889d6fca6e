"""Every Python snippet in README.md and docs/ runs as written, as a new user would run it: a program of
its own, in an empty directory, with ``OPENAI_BASE_URL`` pointing at the emulator and a key set."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import sys

import pytest

from axio_omni.emulator import Emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def snippets() -> list[tuple[str, str]]:
    out = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for n, match in enumerate(_BLOCK.finditer(path.read_text())):
            out.append((f"{path.relative_to(ROOT)}#{n + 1}", match.group(1)))
    return out


SNIPPETS = snippets()


def test_the_docs_have_snippets_to_run() -> None:
    assert len(SNIPPETS) >= 25


@pytest.mark.parametrize(("where", "code"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
async def test_a_snippet_runs_as_written(where: str, code: str, tmp_path: pathlib.Path) -> None:
    async with Emulator() as emu:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": emu.base_url,
            "OPENAI_API_KEY": "sk-docs",
            "PYTHONWARNINGS": "error::RuntimeWarning",  # an un-awaited coroutine is a broken snippet
        }
        env.pop("OPENAI_REALTIME_URL", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
        except TimeoutError:
            proc.kill()
            raise
    assert proc.returncode == 0, f"{where} failed:\n{err.decode()[-3000:]}"
