"""axio-audio (the axio authors' microphone and speaker, from PyPI) with RealtimeAgent over our transport,
both on their defaults: the microphone sends bare ``audio/pcm`` at 24 kHz into axio's 16 kHz session,
and the user is heard, not noise. A stand-in for ``sounddevice`` plays the sound card."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest
from axio.events import AudioOutputDelta, TranscriptDelta, TurnComplete
from axio.realtime import RealtimeAgent

from axio_omni import OpenAIRealtimeTransport
from axio_omni.audio import float_to_pcm16
from axio_omni.emulator import Emulator
from axio_omni.emulator.voice import decode_speech, encode_speech

from .sound_card import SoundCard

pytestmark = pytest.mark.apps
QUESTION = "Is the kitchen light on?"


@pytest.fixture
def card(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SoundCard, ModuleType]]:
    """The card, and axio_audio imported over it (fresh, so that it binds the stand-in)."""
    mic = float_to_pcm16(np.concatenate([encode_speech(QUESTION, 24000), np.zeros(36000, np.float32)]))
    sound = SoundCard(mic)
    monkeypatch.setitem(sys.modules, "sounddevice", sound.module)
    for name in [n for n in sys.modules if n == "axio_audio" or n.startswith("axio_audio.")]:
        monkeypatch.delitem(sys.modules, name)
    yield sound, importlib.import_module("axio_audio")


async def drained(speaker: object) -> None:
    """Until the card's thread has played everything fed (it signals nothing, so this polls)."""
    async with asyncio.timeout(10):
        for _ in iter(lambda: speaker.pending_bytes(), 0):  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)


async def test_axio_audio_defaults_are_heard_through_realtime_agent(
    emulator: Emulator, card: tuple[SoundCard, ModuleType]
) -> None:
    sound, axio_audio = card
    transport = OpenAIRealtimeTransport(base_url=emulator.base_url, transcription_model="whisper-1")
    agent = RealtimeAgent(system="You are a voice assistant.", transport=transport)  # 16 kHz in, axio's default
    heard, said = "", ""
    async with agent, axio_audio.Microphone() as mic, axio_audio.Speaker() as speaker:

        async def listen() -> None:
            async for block in mic:
                assert block.media_type == "audio/pcm"  # bare: OpenAI's 24 kHz
                await agent.send(block)

        listening = asyncio.create_task(listen())
        try:
            async with asyncio.timeout(30):
                async for event in agent.events():
                    if isinstance(event, TranscriptDelta) and event.role == "user":
                        heard += event.delta
                    elif isinstance(event, TranscriptDelta):
                        said += event.delta
                    elif isinstance(event, AudioOutputDelta):
                        await speaker.feed(event.data)
                    elif isinstance(event, TurnComplete):
                        break
            await drained(speaker)
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
    assert sound.rates == [24000, 24000]
    assert heard == QUESTION and said == "You said: Is the kitchen light on."
    played = np.frombuffer(bytes(sound.played), "<i2").astype(np.float32) / np.float32(32768)
    assert [b.text for b in decode_speech(played, 24000)] == [said]
