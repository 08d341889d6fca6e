"""Starts llama.cpp's server (pinned xllamacpp + SmolLM2, installed by `make setup`) once per session."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .speech_servers import stop

API_KEY = "sk-llamacpp-test"


@pytest.fixture(scope="session")
def llamacpp_url() -> Iterator[str]:
    """The base URL (``.../v1``) of a running llama.cpp server that requires ``API_KEY``."""
    script = Path(__file__).with_name("llamacpp_server.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), "--api-key", API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "2"},
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        line = proc.stdout.readline().strip() if ready else ""
        if not line.startswith("http://"):
            pytest.fail(f"llama.cpp server did not start (exit code {proc.poll()}); run `make setup` to install it")
        yield line + "/v1"
    finally:
        stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="session")
def speech_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(piper_url, whisper_url): the real speech servers, started from .venv-speech."""
    from .speech_servers import VENV, piper, whisper

    if not (VENV / "bin" / "faster-whisper-server").exists():
        pytest.fail(f"{VENV} has no speech servers: run `make setup`")
    with piper(tmp_path_factory.mktemp("piper")) as tts_url, whisper() as stt_url:
        yield tts_url, stt_url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Word error rates measured against the real speech servers, when those tests ran."""
    from .test_speech_servers import WER

    if WER:
        terminalreporter.section("word error rate (Piper -> Whisper)")
        for label, rate in WER:
            terminalreporter.write_line(f"{rate:6.1%}  {label}")
