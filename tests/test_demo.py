"""The offline demo runs to the end and shows the answer, the tool call and usage."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_demo_streams_a_tool_round_trip_offline() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")], capture_output=True, text=True, timeout=60, check=True
    )
    out = done.stdout
    assert "(calls get_weather)" in out and "get_weather({'city': 'Paris'})" in out
    assert "The get_weather tool returned: 18 degrees and sunny in Paris" in out
    assert "stop: end_turn; usage:" in out
    assert "best match: 'Sourdough bread needs a starter, flour, water and patience.'" in out
    assert "heard>  'Speech made offline comes back as the same words.' (same words)" in out
    assert "user> What is the weather in Paris?\n(calls get_weather)\n" in out
    assert "assistant> Here is what I found: 18 degrees and sunny in Paris.\n" in out
    assert "reply audio> " in out and "at 24000 Hz)" in out
    assert "image> " in out and "axio-omni-demo.png" in out
    assert "video> " in out and "axio-omni-demo.mp4" in out
    assert "[speech] What is the weather in Paris?\ncaption> 'What is the weather in Paris?'" in out


def test_console_script_is_installed() -> None:
    script = shutil.which("axio-omni", path=str(pathlib.Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run([script, "serve", "--help"], capture_output=True, text=True, timeout=30, check=True)
    assert "--port" in done.stdout and "--host" in done.stdout
