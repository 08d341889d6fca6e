"""Fixtures shared by every test: the emulator on a loopback port and a clean environment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import settings

from axio_omni.emulator import Emulator

# Shared, noisy machines: a per-example time limit would fail on load, not on a wrong answer.
settings.register_profile("axio-omni", deadline=None)
settings.load_profile("axio-omni")


@pytest.fixture(autouse=True)
def _no_ambient_openai_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real key or endpoint."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as emu:
        yield emu
