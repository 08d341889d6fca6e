"""axio-repl (from PyPI) driving axio-omni: its command handlers in process, and the program itself
against the emulator."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import axio_repl
import pytest

from axio_omni import OpenAITransport
from axio_omni.emulator import Emulator

pytestmark = pytest.mark.apps


def o4(emulator: Emulator | None = None) -> OpenAITransport:
    url = emulator.base_url if emulator else "http://127.0.0.1:9/v1"
    return OpenAITransport(base_url=url, model="o4-mini")


def test_thinking_commands(capsys: pytest.CaptureFixture[str]) -> None:
    t = o4()
    axio_repl._apply_thinking(t, "high")
    axio_repl._show_thinking(t)
    out = capsys.readouterr().out
    assert "Reasoning effort: high (levels: default, low, medium, high)" in out
    assert t.build_payload([], [], "hi")["reasoning_effort"] == "high"
    axio_repl._apply_thinking(t, "max")
    assert "takes reasoning_effort low, medium, high (or default), not 'max'" in capsys.readouterr().err
    assert t.reasoning_effort == "high"
    axio_repl._apply_thinking(t, "default")
    assert t.reasoning_effort is None


def test_thinking_is_refused_for_a_model_that_does_not_reason(capsys: pytest.CaptureFixture[str]) -> None:
    t = OpenAITransport(base_url="http://127.0.0.1:9/v1", model="gpt-4.1-mini")
    axio_repl._apply_thinking(t, "high")
    assert "gpt-4.1-mini does not reason" in capsys.readouterr().err
    assert "reasoning_effort" not in t.build_payload([], [], "hi")


def test_switching_to_a_model_without_reasoning_says_the_effort_was_reset(capsys: pytest.CaptureFixture[str]) -> None:
    t = o4()
    t.configure_thinking("low")
    selected = axio_repl._select_model(t, t.models["gpt-4.1"])
    assert selected.reasoning_effort is None and selected.spec.id == "gpt-4.1"
    assert "Reasoning effort reset to default: gpt-4.1 does not support 'low'" in capsys.readouterr().out


def test_max_tokens_and_temperature_commands(capsys: pytest.CaptureFixture[str]) -> None:
    t = o4()
    axio_repl._apply_max_tokens(t, "1024")
    axio_repl._apply_temperature(t, "0.25")
    assert (t.max_tokens, t.temperature) == (1024, 0.25)
    body = t.build_payload([], [], "hi")
    assert (body["max_completion_tokens"], body["temperature"]) == (1024, 0.25)
    axio_repl._show_max_tokens(t)
    assert "Max output tokens: \x1b[1m1024" in capsys.readouterr().out
    axio_repl._apply_max_tokens(t, "default")
    assert t.max_tokens is None
    with pytest.raises(ValueError, match="temperature must be a number from 0 to 2"):
        axio_repl._apply_temperature(t, "5")  # refused, not sent to a server that would refuse it later
    assert t.temperature == 0.25


async def test_auto_selection_finds_a_keyless_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    entry = await axio_repl._select_transport(None)
    assert entry.cls is OpenAITransport or entry.has_credentials()
    assert (await axio_repl._select_transport("omni")).has_credentials()


async def repl(emulator: Emulator, home: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "HOME": str(home), "OPENAI_BASE_URL": emulator.base_url, "NO_COLOR": "1"}
    env.pop("OPENAI_API_KEY", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from axio_repl import main_sync; main_sync()",
        "--isolated",
        *args,
        cwd=home,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_repl_answers_through_us(emulator: Emulator, tmp_path: Path) -> None:
    code, out, err = await repl(
        emulator, tmp_path, "--model", "o4-mini", "--thinking", "high", "--max-tokens", "64", "hello there"
    )
    assert code == 0, err
    assert "You said: hello there" in out and "Reasoning effort: high" in out
    sent = [r.body for r in emulator.requests if r.path == "/v1/chat/completions"]
    assert sent and sent[-1]["reasoning_effort"] == "high" and sent[-1]["max_completion_tokens"] == 64


async def test_the_repl_refuses_thinking_for_a_model_without_it(emulator: Emulator, tmp_path: Path) -> None:
    code, _, err = await repl(
        emulator, tmp_path, "--transport", "omni", "--model", "gpt-4.1", "--thinking", "low", "hi"
    )
    assert code != 0 and "Unsupported reasoning effort 'low'" in err
    assert not [r for r in emulator.requests if r.path == "/v1/chat/completions"]


async def test_the_repl_names_what_the_server_serves(emulator: Emulator, tmp_path: Path) -> None:
    code, _, err = await repl(emulator, tmp_path, "--transport", "omni", "--model", "gpt-9", "hi")
    assert code != 0 and "does not list 'gpt-9'; it serves emulator-1" in err
