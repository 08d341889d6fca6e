"""Spoken chat replies (modalities text and audio) against the emulator: the transcript as text, the
audio as AudioOutput, the reply sent back by id on the next turn, and the official SDK's call."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import numpy as np
import openai
import pytest
import soundfile as sf
from axio.agent import Agent
from axio.blocks import AudioBlock, ProviderBlock, TextBlock
from axio.context import MemoryContextStore
from axio.events import AudioOutput, IterationEnd, ProviderOutput, TextDelta
from axio.messages import Message

from axio_omni import ConfigurationError, OpenAITransport, StreamCutError, from_dict
from axio_omni.emulator import Emulator
from axio_omni.emulator.voice import decode_speech
from tests.helpers import collect, schema_errors

SPOKEN: dict[str, Any] = {"modalities": ("text", "audio"), "audio": {"voice": "nova", "format": "pcm16"}}


def talker(emu: Emulator, **kw: Any) -> OpenAITransport:
    return OpenAITransport(base_url=emu.base_url, model="gpt-4o-audio-preview", **{**SPOKEN, **kw})


def heard(pcm: bytes) -> list[tuple[str, str]]:
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / np.float32(32768)
    return [(b.voice, b.text) for b in decode_speech(samples, 24000)]


async def test_a_spoken_reply_streams_its_transcript_and_audio(emulator: Emulator) -> None:
    hi = [Message("user", [TextBlock("Say hello to the crew.")])]
    events = await collect(talker(emulator).stream(hi, [], "Be brief."))
    text = "".join(e.delta for e in events if isinstance(e, TextDelta))
    audio = [e for e in events if isinstance(e, AudioOutput)]
    assert text and all(a.media_type == "audio/pcm" for a in audio) and len(audio) > 3
    assert heard(b"".join(a.data for a in audio)) == [("nova", text)]
    (ref,) = [e for e in events if isinstance(e, ProviderOutput)]
    assert ref.kind == "chat.audio" and ref.data["id"].startswith("audio_") and ref.data["expires_at"] > time.time()
    assert isinstance(events[-1], IterationEnd) and events[-1].usage.output_tokens > 0
    body = emulator.requests[-1].body
    assert body["modalities"] == ["text", "audio"] and body["audio"] == {"voice": "nova", "format": "pcm16"}
    assert schema_errors("CreateChatCompletionRequest", body) == []


async def test_a_spoken_reply_cut_before_its_end_is_a_cut_stream_with_all_its_audio_seen(emulator: Emulator) -> None:
    """The emulator's ``no_done`` fault cuts a spoken stream where its audio parts end, as it cuts a
    text stream after its text: the caller hears the whole reply, then a typed cut, never a finish."""
    emulator.fail_next("no_done=true")
    seen: list[Any] = []
    with pytest.raises(StreamCutError):
        async for event in talker(emulator).stream([Message("user", [TextBlock("Say hello.")])], [], ""):
            seen.append(event)
    text = "".join(e.delta for e in seen if isinstance(e, TextDelta))
    assert text and heard(b"".join(e.data for e in seen if isinstance(e, AudioOutput))) == [("nova", text)]
    assert not any(isinstance(e, IterationEnd) for e in seen)


async def test_the_next_turn_sends_the_reply_back_by_id(emulator: Emulator) -> None:
    agent = Agent(system="Be brief.", transport=talker(emulator))
    context = MemoryContextStore()
    first = await collect(agent.run_stream("Say hello.", context))
    ref = next(e for e in first if isinstance(e, ProviderOutput))
    await collect(agent.run_stream("And goodbye.", context))
    body = emulator.requests[-1].body
    (assistant,) = [m for m in body["messages"] if m["role"] == "assistant"]
    assert assistant == {"role": "assistant", "audio": {"id": ref.data["id"]}}
    assert schema_errors("CreateChatCompletionRequest", body) == []
    stored = await context.get_history()
    spoken = [b for m in stored if m.role == "assistant" for b in m.content if isinstance(b, AudioBlock)]
    assert spoken and all(b.media_type == "audio/pcm" for b in spoken)


async def test_an_expired_reply_goes_back_as_its_transcript(emulator: Emulator) -> None:
    gone = ProviderBlock(
        provider="openai", kind="chat.audio", data={"id": "audio_old", "expires_at": 1}, id="audio_old"
    )
    history = [
        Message("user", [TextBlock("Hi.")]),
        Message("assistant", [TextBlock("Hello there."), AudioBlock("audio/pcm", b"\x00\x00"), gone]),
        Message("user", [TextBlock("Again?")]),
    ]
    await collect(talker(emulator).stream(history, [], ""))
    (assistant,) = [m for m in emulator.requests[-1].body["messages"] if m["role"] == "assistant"]
    assert assistant == {"role": "assistant", "content": "Hello there."}
    live = ProviderBlock(provider="openai", kind="chat.audio", data={"id": "audio_x", "expires_at": 2**40})
    history[1] = Message("assistant", [TextBlock("Hello there."), live])
    with pytest.raises(Exception, match="audio_x"):  # the emulator never made it: refused, as OpenAI would
        await collect(talker(emulator).stream(history, [], ""))


def test_spoken_settings_are_checked_before_sending() -> None:
    local = "http://127.0.0.1:9/v1"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"modalities": ("text", "audio"), "audio": None}, "set audio="),
        ({"modalities": ("text",), "audio": {"voice": "nova", "format": "pcm16"}}, "does not include"),
        ({"modalities": ("text", "video")}, "modalities"),
        ({"audio": {"voice": "nova", "format": "wav"}}, "pcm16 only"),
        ({"audio": {"voice": "nova", "format": "ogg"}}, "audio.format"),
        ({"audio": {"voice": "", "format": "pcm16"}}, "audio.voice"),
        ({"audio": {"voice": "nova", "format": "pcm16", "speed": 2}}, "voice and format only"),
    ]
    for bad, message in cases:
        with pytest.raises(ConfigurationError, match=message):
            OpenAITransport(base_url=local, **{**SPOKEN, **bad})
    with pytest.raises(ConfigurationError, match="not one of OpenAI's"):
        OpenAITransport(
            base_url="https://api.openai.com/v1",
            api_key="sk-x",
            **{**SPOKEN, "audio": {"voice": "joe", "format": "pcm16"}},
        )
    elsewhere = OpenAITransport(base_url=local, **{**SPOKEN, "audio": {"voice": "joe", "format": "pcm16"}})
    custom = OpenAITransport(base_url=local, **{**SPOKEN, "audio": {"voice": {"id": "voice_1"}, "format": "pcm16"}})
    assert custom.build_payload([Message("user", [TextBlock("x")])], [], "")["audio"]["voice"] == {"id": "voice_1"}
    assert from_dict(elsewhere.to_dict()).to_dict() == elsewhere.to_dict()


async def test_the_sdks_spoken_replies(emulator: Emulator) -> None:
    client = openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0)
    async with client:
        whole = await client.chat.completions.create(
            model="gpt-4o-audio-preview",
            modalities=["text", "audio"],
            audio={"voice": "alloy", "format": "wav"},
            messages=[{"role": "user", "content": "Hello."}],
        )
        audio = whole.choices[0].message.audio
        assert audio is not None and audio.transcript
        samples, rate = sf.read(io.BytesIO(base64.b64decode(audio.data)), dtype="float32")
        assert [b.text for b in decode_speech(samples, rate)] == [audio.transcript]
        again = await client.chat.completions.create(
            model="gpt-4o-audio-preview",
            modalities=["text", "audio"],
            audio={"voice": "alloy", "format": "pcm16"},
            stream=True,
            messages=[
                {"role": "user", "content": "Hello."},
                {"role": "assistant", "audio": {"id": audio.id}},
                {"role": "user", "content": "Once more."},
            ],
        )
        deltas = [c.choices[0].delta for c in [chunk async for chunk in again] if c.choices]
        parts = [d.audio for d in deltas if d.audio is not None]
        pcm = b"".join(base64.b64decode(p.data) for p in parts if p.data)
        transcript = "".join(p.transcript or "" for p in parts)
    assert heard(pcm) == [("alloy", transcript)]
