"""The examples that docs/telemetry.md and docs/ray.md point to run offline to the end and say what they show."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True, timeout=180, check=True
    )
    return done.stdout


def test_the_telemetry_example() -> None:
    out = run("telemetry.py")
    assert "stream> chat completion (emulator-1): 3 attempts (429 then" in out and "request id req_" in out
    assert "record> embeddings (2 inputs): status 200, request id req_" in out
    assert "span>   chat emulator-1:" in out and "2 retries" in out
    assert "gen_ai.client.operation.duration" in out and "gen_ai.client.token.usage" in out


def test_the_ray_example() -> None:
    out = run("ray_embed.py")
    assert "ray>    2000 rows in" in out and "ids in order: True" in out
    assert "check>  (2000, 256) equal to the local path's: True" in out
