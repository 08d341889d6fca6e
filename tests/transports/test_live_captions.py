"""Live captions (a GA transcription session) and keys for browsers (client secrets), over real sockets
against the emulator, and the official SDK's calls for both."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import openai
import pytest
import websockets
from axio.blocks import TextBlock
from axio.events import Error, ProviderEvent, SpeechStarted, SpeechStopped, StreamEvent, TranscriptDelta, TurnComplete
from axio.realtime import RealtimeAgent
from axio.tool import Tool
from axio.types import StopReason

from axio_omni import (
    AuthenticationError,
    ClientSecret,
    ConfigurationError,
    OpenAIRealtimeTranscriptionSession,
    OpenAIRealtimeTranscriptionTransport,
    OpenAIRealtimeTransport,
    RealtimeServerError,
    RetryPolicy,
    from_dict,
)
from axio_omni.audio import float_to_pcm16, pcm_block
from axio_omni.emulator import Emulator
from axio_omni.emulator.clock import ManualClock
from axio_omni.emulator.voice import encode_speech
from tests.helpers import realtime_schema_errors, schema_errors

KEY = "sk-captions"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retries=2)


def captions(emu: Emulator, *, fault: str | None = None, **kw: Any) -> OpenAIRealtimeTranscriptionTransport:
    headers = {"X-Emulator-Fault": fault} if fault else {}
    kw.setdefault("api_key", KEY)
    kw.setdefault("retry", FAST)
    return OpenAIRealtimeTranscriptionTransport(base_url=emu.base_url, headers=headers, **kw)


def speech(text: str, rate: int) -> bytes:
    """The emulator's tone voice saying ``text``, then a second of silence (the end of the utterance)."""
    return float_to_pcm16(encode_speech(text, rate)) + bytes(2 * rate)


async def say(session: Any, pcm: bytes, rate: int, frame_ms: int = 20) -> None:
    step = 2 * rate * frame_ms // 1000
    for i in range(0, len(pcm), step):
        await session.send(pcm_block(pcm[i : i + step], rate))


async def utterance(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    """Events up to the next TurnComplete or Error."""
    out: list[StreamEvent] = []
    async with asyncio.timeout(20):
        async for event in events:
            out.append(event)
            if isinstance(event, (TurnComplete, Error)):
                return out
    raise AssertionError(f"the session ended without a TurnComplete: {out}")


def heard(events: list[StreamEvent]) -> str:
    return "".join(e.delta for e in events if isinstance(e, TranscriptDelta) and e.role == "user")


def sent(emu: Emulator, kind: str) -> list[dict[str, Any]]:
    return [e for e in emu.state.realtime_events if e["type"] == kind]


# ── live captions ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("rate", [16000, 24000, 8000])
async def test_speech_at_any_rate_is_captioned_as_it_is_heard(rate: int) -> None:
    async with Emulator(api_key=KEY) as emulator:
        session = await captions(emulator, logprobs=True, language="en").connect(
            input_audio_format=f"audio/pcm;rate={rate}"
        )
        try:
            assert isinstance(session, OpenAIRealtimeTranscriptionSession)
            await say(session, speech("Captions arrive word by word.", rate), rate)
            first = await utterance(session.events())
            await say(session, speech("And again.", rate), rate)
            second = await utterance(session.events())
        finally:
            await session.close()
    pieces = [e.delta for e in first if isinstance(e, TranscriptDelta)]
    assert pieces == ["Captions", " arrive", " word", " by", " word."]
    assert isinstance(first[0], SpeechStarted) and any(isinstance(e, SpeechStopped) for e in first)
    done = first[-1]
    assert isinstance(done, TurnComplete) and done.stop_reason is StopReason.end_turn
    assert done.usage is not None and done.usage.input_tokens > 0
    assert heard(second) == "And again."
    (one, two) = session.utterances.values()
    assert one.text == "Captions arrive word by word." and one.done and [lp.token for lp in one.logprobs] == pieces
    assert session.last is two and two.usage is not None and two.usage.total_tokens > 0
    (update,) = sent(emulator, "session.update")
    assert realtime_schema_errors(update, "client") == []
    assert update["session"]["type"] == "transcription" and update["session"]["include"] == [
        "item.input_audio_transcription.logprobs"
    ]
    assert update["session"]["audio"]["input"]["transcription"] == {"model": "gpt-4o-transcribe", "language": "en"}
    assert sent(emulator, "response.create") == [] and emulator.requests[0].path == "/v1/realtime"


async def test_a_failed_transcription_is_an_error_and_the_session_goes_on(emulator: Emulator) -> None:
    session = await captions(emulator).connect()
    try:
        tone = float_to_pcm16(0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)) + bytes(32000)
        await say(session, tone, 16000)  # a tone the emulator cannot read as words
        failed = await utterance(session.events())
        await say(session, speech("Still listening.", 16000), 16000)
        after = await utterance(session.events())
    finally:
        await session.close()
    error = failed[-1]
    assert isinstance(error, Error) and isinstance(error.exception, RealtimeServerError)
    assert error.exception.code == "audio_unintelligible" and "failed" in str(error.exception)
    assert heard(after) == "Still listening." and isinstance(after[-1], TurnComplete)


async def test_manual_turns_end_an_utterance_on_commit(emulator: Emulator) -> None:
    session = await captions(emulator, server_vad=False).connect()
    try:
        await session.commit()  # nothing said: nothing committed
        await say(session, speech("By hand.", 16000), 16000)
        await session.commit()
        events = await utterance(session.events())
    finally:
        await session.close()
    assert heard(events) == "By hand." and not any(isinstance(e, SpeechStarted) for e in events)
    (update,) = sent(emulator, "session.update")
    assert update["session"]["audio"]["input"]["turn_detection"] is None
    assert len(sent(emulator, "input_audio_buffer.commit")) == 1


async def test_a_drop_reconnects_with_the_configuration_only(emulator: Emulator) -> None:
    session = await captions(emulator, fault="ws_close_after=4;ws_close_code=1011").connect()
    try:
        await say(session, speech("Before the drop.", 16000), 16000)
        seen: list[StreamEvent] = []
        async with asyncio.timeout(20):
            async for event in session.events():
                seen.append(event)
                if isinstance(event, ProviderEvent) and event.kind == "session.reconnected":
                    break
        await say(session, speech("After the drop.", 16000), 16000)
        events = await utterance(session.events())
    finally:
        await session.close()
    assert session.reconnects == 1 and heard(events) == "After the drop."
    first, again = sent(emulator, "session.update")
    assert first["session"] == again["session"] and sent(emulator, "conversation.item.create") == []


async def test_realtime_agent_drives_live_captions(emulator: Emulator) -> None:
    agent = RealtimeAgent(system="Expect weather words.", transport=captions(emulator))
    async with agent:
        await say(agent.session, speech("Sunny in Paris.", 16000), 16000)
        events = await utterance(agent.events())
    assert heard(events) == "Sunny in Paris."
    (update,) = sent(emulator, "session.update")
    assert update["session"]["audio"]["input"]["transcription"]["prompt"] == "Expect weather words."


async def test_settings_and_arguments_are_checked_before_connecting(emulator: Emulator) -> None:
    t = captions(emulator)

    async def noop() -> str:
        return ""

    tool: Tool[Any] = Tool(name="f", handler=noop)
    with pytest.raises(ConfigurationError, match="no tools"):
        await t.connect(tools=[tool])
    with pytest.raises(ConfigurationError, match="input_audio_format"):
        await t.connect(input_audio_format="audio/wav")
    for bad, field in (({"vad_threshold": 2}, "vad_threshold"), ({"input_noise_reduction": "x"}, "noise")):
        with pytest.raises(ConfigurationError, match=field):
            captions(emulator, **bad)
    assert emulator.requests == []
    session = await t.connect()
    try:
        with pytest.raises(ConfigurationError, match="audio only"):
            await session.send([pcm_block(b"\x00\x00", 16000), TextBlock(text="x")])
        with pytest.raises(ConfigurationError, match="no tools"):
            await session.send_tool_result("c1", "f", "x")
    finally:
        await session.close()
    assert sent(emulator, "input_audio_buffer.append") == []  # the refused call sent nothing
    saved = t.to_dict()
    assert "api_key" not in saved and saved["type"] == "openai-realtime-transcription"
    assert from_dict(saved, api_key=KEY).to_dict() == saved


# ── keys for browsers and phones ─────────────────────────────────────────────────────────────────


async def test_a_client_secret_opens_the_session_it_was_made_for() -> None:
    async with Emulator(api_key=KEY) as emulator:
        server = OpenAIRealtimeTransport(base_url=emulator.base_url, api_key=KEY, voice="cedar")
        secret = await server.client_secret(expires_after_s=120, system="Speak like a pirate.")
        assert isinstance(secret, ClientSecret) and secret.value.startswith("ek_")
        assert secret.value not in repr(secret) and 110 < secret.expires_in <= 120
        request = emulator.requests[-1]
        assert request.path == "/v1/realtime/client_secrets"
        assert schema_errors("RealtimeCreateClientSecretRequest", request.body) == []
        assert secret.session["instructions"] == "Speak like a pirate." and secret.session["model"] == "gpt-realtime"
        answer = {"value": secret.value, "expires_at": secret.expires_at, "session": dict(secret.session)}
        assert schema_errors("RealtimeCreateClientSecretResponse", answer) == []
        # The browser's side: the ephemeral key, no API key.
        browser = OpenAIRealtimeTransport(base_url=emulator.base_url, api_key=secret.value)
        session = await browser.connect(system="Speak like a pirate.", tools=[])
        await session.close()
        assert emulator.requests[-1].headers["Authorization"] == f"Bearer {secret.value}"
        with pytest.raises(ConfigurationError, match="ek_"):
            await browser.client_secret()
        with pytest.raises(ConfigurationError, match="expires_after_s"):
            await server.client_secret(expires_after_s=5)


async def test_an_expired_or_unknown_ephemeral_key_is_refused_at_the_handshake() -> None:
    clock = ManualClock()
    async with Emulator(api_key=KEY, clock=clock) as emulator:
        secret = await captions(emulator).client_secret(expires_after_s=60)
        assert secret.session["type"] == "transcription"
        answer = {"value": secret.value, "expires_at": secret.expires_at, "session": dict(secret.session)}
        assert schema_errors("RealtimeCreateClientSecretResponse", answer) == []
        assert schema_errors("RealtimeCreateClientSecretRequest", emulator.requests[-1].body) == []
        live = await captions(emulator, api_key=secret.value).connect()
        await live.close()
        await clock.advance(61)
        with pytest.raises(AuthenticationError, match="expired") as info:
            await captions(emulator, api_key=secret.value, retry=RetryPolicy.none()).connect()
        assert info.value.status == 401 and secret.value not in str(info.value)
        with pytest.raises(AuthenticationError, match="unknown"):
            await captions(emulator, api_key="ek_0123", retry=RetryPolicy.none()).connect()


async def test_the_sdks_client_secret_and_transcription_session(emulator: Emulator) -> None:
    client = openai.AsyncOpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0)
    async with client:
        made = await client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 300},
            session={"type": "transcription", "audio": {"input": {"transcription": {"model": "whisper-1"}}}},
        )
        assert made.value.startswith("ek_") and made.session.type == "transcription"
        async with client.realtime.connect(extra_query={"intent": "transcription"}) as connection:
            created = await connection.recv()
            assert created.type == "session.created"
            await connection.session.update(
                session={"type": "transcription", "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}}}
            )
            updated = await connection.recv()
            assert updated.type == "session.updated"
            pcm = speech("Hello SDK.", 24000)
            for i in range(0, len(pcm), 4800):
                await connection.input_audio_buffer.append(
                    audio=__import__("base64").b64encode(pcm[i : i + 4800]).decode()
                )
            text = ""
            async with asyncio.timeout(20):
                async for event in connection:
                    if event.type == "conversation.item.input_audio_transcription.completed":
                        text = event.transcript
                        break
    assert text == "Hello SDK."


async def test_every_event_of_a_transcription_session_is_one_the_spec_describes(emulator: Emulator) -> None:
    url = emulator.base_url.replace("http", "ws") + "/realtime?intent=transcription"
    out: list[dict[str, Any]] = []
    async with websockets.connect(url) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "session.update",
                    "session": {
                        "type": "transcription",
                        "include": ["item.input_audio_transcription.logprobs"],
                        "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
                    },
                }
            )
        )
        await ws.send(json.dumps({"type": "response.create"}))  # refused: no responses here
        pcm = speech("Valid events.", 24000)
        for i in range(0, len(pcm), 4800):
            await ws.send(
                json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm[i : i + 4800]).decode()})
            )
        async with asyncio.timeout(20):
            while True:
                out.append(json.loads(await ws.recv()))
                if out[-1]["type"] == "conversation.item.input_audio_transcription.completed":
                    break
    kinds = [e["type"] for e in out]
    assert kinds[:2] == ["session.created", "session.updated"] and "error" in kinds
    for event in out:
        assert realtime_schema_errors(event, "server") == [], event["type"]
