"""OpenAIRealtimeTransport over real sockets against the emulator: every behaviour the session promises."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from axio.blocks import AudioBlock, TextBlock
from axio.events import (
    AudioOutputDelta,
    Error,
    ProviderEvent,
    SpeechStarted,
    StreamEvent,
    TextDelta,
    ToolUseStart,
    TranscriptDelta,
    TurnComplete,
)
from axio.realtime import RealtimeAgent
from axio.tool import Tool
from axio.types import StopReason

from axio_omni import (
    AuthenticationError,
    ConfigurationError,
    OpenAIRealtimeSession,
    OpenAIRealtimeTransport,
    RealtimeServerError,
    RetryPolicy,
    SessionClosedError,
)
from axio_omni.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from axio_omni.audio.pcm import float_to_pcm16, pcm_block
from axio_omni.emulator import Emulator
from axio_omni.emulator.voice import decode_speech, encode_speech
from tests.helpers import realtime_schema_errors

KEY = "sk-realtime-session-KEY-98765"
FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)


async def get_weather(city: str) -> str:
    """The weather in a city."""
    await asyncio.sleep(0.05)
    return f"sunny in {city}"


async def get_time(city: str) -> str:
    """The time in a city."""
    return f"noon in {city}"


WEATHER: Tool[Any] = Tool(name="get_weather", handler=get_weather)
TIME: Tool[Any] = Tool(name="get_time", handler=get_time)


def transport(emu: Emulator, *, fault: str | None = None, **kw: Any) -> OpenAIRealtimeTransport:
    headers = {"X-Emulator-Fault": fault} if fault else {}
    kw.setdefault("input_noise_reduction", None)
    return OpenAIRealtimeTransport(base_url=emu.base_url, api_key=KEY, headers=headers, retry=FAST, **kw)


def speech(text: str, rate: int) -> bytes:
    """The emulator's tone voice saying ``text``, then a second of silence (the end of the turn)."""
    return float_to_pcm16(encode_speech(text, rate)) + bytes(2 * rate)


async def say(session: OpenAIRealtimeSession, pcm: bytes, frame: int = 640, rate: int = 16000) -> None:
    for i in range(0, len(pcm), frame):
        await session.send(pcm_block(pcm[i : i + frame], rate))


async def turn(events: AsyncIterator[StreamEvent], until: StopReason | None = None) -> list[StreamEvent]:
    """Events up to the next TurnComplete (with ``until``'s reason, if given)."""
    out: list[StreamEvent] = []
    async with asyncio.timeout(20):
        async for event in events:
            out.append(event)
            if isinstance(event, TurnComplete) and (until is None or event.stop_reason is until):
                return out
            if isinstance(event, Error):
                raise event.exception
    return out


async def hello_until_the_end(session: OpenAIRealtimeSession) -> list[StreamEvent]:
    """Say hello, then every event until ``events()`` ends; the session is closed after."""
    try:
        await session.send(TextBlock(text="Hello."))
        await session.commit()
        async with asyncio.timeout(20):
            return [e async for e in session.events()]
    finally:
        await session.close()


def sent(emu: Emulator, kind: str) -> list[dict[str, Any]]:
    return [e for e in emu.state.realtime_events if e["type"] == kind]


def pcm_of(events: list[StreamEvent]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, AudioOutputDelta))


# ── connecting ───────────────────────────────────────────────────────────────────────────────────


async def test_connect_returns_after_session_updated_with_the_whole_configuration(emulator: Emulator) -> None:
    t = transport(emulator, transcription_model="whisper-1", voice="verse", input_noise_reduction="far_field")
    session = await t.connect(system="Be brief.", tools=[WEATHER])
    try:
        (update,) = sent(emulator, "session.update")
        body = update["session"]
        assert body["type"] == "realtime" and body["instructions"] == "Be brief."
        assert body["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
        assert body["audio"]["input"]["transcription"] == {"model": "whisper-1"}
        assert body["audio"]["input"]["noise_reduction"] == {"type": "far_field"}
        assert body["audio"]["input"]["turn_detection"]["type"] == "server_vad"
        assert body["audio"]["output"]["voice"] == "verse"
        assert body["tools"][0]["name"] == "get_weather" and body["tools"][0]["parameters"]["type"] == "object"
        assert realtime_schema_errors(update, "client") == []
        assert "OpenAI-Beta" not in emulator.requests[0].headers
        assert emulator.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    finally:
        await session.close()


async def test_org_project_and_beta_headers_only_when_asked(emulator: Emulator) -> None:
    t = transport(emulator, organization="org-1", project="proj-2", beta_header=True, auth_scheme="api-key")
    await (await t.connect(system="", tools=[])).close()
    headers = emulator.requests[0].headers
    assert (headers["OpenAI-Organization"], headers["OpenAI-Project"], headers["OpenAI-Beta"]) == (
        "org-1",
        "proj-2",
        "realtime=v1",
    )
    assert headers["api-key"] == KEY and "Authorization" not in headers


async def test_a_refused_session_field_raises_the_servers_error(emulator: Emulator) -> None:
    t = transport(emulator, extra_session={"bogus": 1})
    with pytest.raises(RealtimeServerError) as info:
        await t.connect(system="", tools=[])
    assert info.value.code == "unknown_parameter" and info.value.param == "session.bogus"
    assert info.value.event_id and info.value.event_id.startswith("omni_evt_")


async def test_a_401_handshake_raises_the_typed_error_without_the_key() -> None:
    async with Emulator(api_key="sk-the-right-one-1234") as emu:
        with pytest.raises(AuthenticationError) as info:
            await transport(emu).connect(system="", tools=[])
    assert info.value.status == 401 and KEY not in repr(vars(info.value)) and KEY not in str(info.value)


@pytest.mark.parametrize(
    ("arg", "value", "needle"),
    [
        ("input_audio_format", "audio/wav", "input_audio_format"),
        ("output_audio_format", "audio/pcm;rate=4000", "output_audio_format"),
        ("input_audio_format", "audio/pcm;rate=16000;channels=2", "mono"),
        ("voice", " ", "voice"),
    ],
)
async def test_bad_arguments_fail_before_connecting(arg: str, value: str, needle: str) -> None:
    t = OpenAIRealtimeTransport(base_url="http://127.0.0.1:9/v1", api_key=KEY)
    with pytest.raises(ConfigurationError, match=needle):
        await t.connect(system="", tools=[], **{arg: value})


def test_settings_are_checked_when_built_and_round_trip_without_the_key() -> None:
    with pytest.raises(ConfigurationError, match="vad_threshold"):
        OpenAIRealtimeTransport(vad_threshold=2)
    with pytest.raises(ConfigurationError, match="idle_timeout_ms"):
        OpenAIRealtimeTransport(idle_timeout_ms=100)
    t = OpenAIRealtimeTransport(api_key=KEY, vad_type="semantic_vad", eagerness="low", recycle_after_s=None)
    data = t.to_dict()
    assert KEY not in json.dumps(data) and KEY not in repr(t)
    assert OpenAIRealtimeTransport.from_dict(data) == OpenAIRealtimeTransport(
        vad_type="semantic_vad", eagerness="low", recycle_after_s=None
    )


def test_the_url_takes_both_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    for base in ("wss://example.test/v1/realtime", "https://example.test/v1"):
        t = OpenAIRealtimeTransport(base_url=base, api_key=KEY, model="m")
        assert t._link().request.url == "wss://example.test/v1/realtime?model=m"
    monkeypatch.setenv("OPENAI_REALTIME_URL", "ws://localhost:1/v1/realtime")
    assert OpenAIRealtimeTransport().base_url == "ws://localhost:1/v1/realtime"
    monkeypatch.delenv("OPENAI_REALTIME_URL")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:2/v1")
    assert OpenAIRealtimeTransport()._link().request.url.startswith("ws://localhost:2/v1/realtime?")


def test_tool_choice_must_name_an_offered_tool() -> None:
    t = OpenAIRealtimeTransport(api_key=KEY, tool_choice="get_time")
    with pytest.raises(ConfigurationError, match="get_time"):
        t.prepare(
            system="", tools=[WEATHER], voice=None, input_audio_format="audio/pcm", output_audio_format="audio/pcm"
        )


# ── audio at the caller's rate ───────────────────────────────────────────────────────────────────


async def test_16k_in_arrives_as_24k_with_the_same_duration_and_pitch(emulator: Emulator) -> None:
    t = transport(emulator, server_vad=False)
    session = await t.connect(system="", tools=[], input_audio_format="audio/pcm;rate=16000")
    try:
        tone = float_to_pcm16(0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000))
        await say(session, tone, frame=333)  # odd byte counts on purpose
        await session.commit()
        await turn(session.events())
    finally:
        await session.close()
    got = np.frombuffer(bytes(emulator.state.realtime_audio), "<i2").astype(np.float32)
    assert abs(len(got) - 24000) <= 24  # one second, less the sub-ms filter hold
    spectrum = np.abs(np.fft.rfft(got * np.hanning(len(got))))
    assert abs(np.argmax(spectrum) * 24000 / len(got) - 440) < 2


async def test_spoken_input_at_16k_and_a_spoken_reply_at_16k(emulator: Emulator) -> None:
    t = transport(emulator, transcription_model="whisper-1")
    session = await t.connect(
        system="", tools=[], input_audio_format="audio/pcm;rate=16000", output_audio_format="audio/pcm;rate=16000"
    )
    try:
        await say(session, speech("Good morning.", 16000))
        events = await turn(session.events())
    finally:
        await session.close()
    assert any(isinstance(e, SpeechStarted) for e in events)
    user = "".join(e.delta for e in events if isinstance(e, TranscriptDelta) and e.role == "user")
    said = "".join(e.delta for e in events if isinstance(e, TranscriptDelta) and e.role == "assistant")
    assert user == "Good morning." and said == "You said: Good morning."
    audio = [e for e in events if isinstance(e, AudioOutputDelta)]
    assert all(e.media_type == "audio/pcm;rate=16000" for e in audio)
    samples = np.frombuffer(pcm_of(events), "<i2").astype(np.float32) / np.float32(32768)
    # The reply, resampled to 16 kHz, still decodes: same pitch, same timing.
    assert [b.text for b in decode_speech(samples, 16000)] == ["You said: Good morning."]


@pytest.mark.parametrize(
    ("kind", "encode", "decode"), [("audio/pcmu", ulaw_encode, ulaw_decode), ("audio/pcma", alaw_encode, alaw_decode)]
)
async def test_g711_passes_through_both_ways(emulator: Emulator, kind: str, encode: Any, decode: Any) -> None:
    t = transport(emulator, transcription_model="whisper-1")
    session = await t.connect(system="", tools=[], input_audio_format=kind, output_audio_format=kind)
    try:
        question = encode(np.round(np.concatenate([encode_speech("Hi.", 8000), np.zeros(8000)]) * 32767))
        for i in range(0, len(question), 160):  # 20 ms of 8 kHz G.711
            await session.send(AudioBlock(media_type=kind, data=question[i : i + 160]))  # type: ignore[arg-type]
        events = await turn(session.events())
    finally:
        await session.close()
    (update,) = sent(emulator, "session.update")
    assert update["session"]["audio"]["input"]["format"] == {"type": kind}
    assert "".join(e.delta for e in events if isinstance(e, TranscriptDelta) and e.role == "user") == "Hi."
    audio = [e for e in events if isinstance(e, AudioOutputDelta)]
    assert all(e.media_type == kind for e in audio)
    samples = decode(pcm_of(events)).astype(np.float32) / np.float32(32768)
    assert [b.text for b in decode_speech(samples, 8000)] == ["You said: Hi."]


async def test_text_mode_replies_in_text_deltas(emulator: Emulator) -> None:
    session = await transport(emulator, modality="text").connect(system="", tools=[])
    try:
        await session.send(TextBlock(text="Hello there."))
        await session.commit()
        events = await turn(session.events())
    finally:
        await session.close()
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "You said: Hello there."
    assert not any(isinstance(e, AudioOutputDelta) for e in events)
    assert sent(emulator, "session.update")[0]["session"]["output_modalities"] == ["text"]


# ── interruption ─────────────────────────────────────────────────────────────────────────────────


async def test_interrupt_when_nothing_plays_sends_no_cancel(emulator: Emulator) -> None:
    session = await transport(emulator).connect(system="", tools=[])
    try:
        await session.interrupt()
        await session.send(TextBlock(text="Hello."))
        await session.commit()
        events = await turn(session.events())
        await session.interrupt()  # the reply was handed over whole: nothing to cut
    finally:
        await session.close()
    assert not any(isinstance(e, Error) for e in events)
    assert sent(emulator, "response.cancel") == [] and sent(emulator, "conversation.item.truncate") == []


async def test_interrupt_mid_reply_cancels_and_truncates_within_what_was_delivered(emulator: Emulator) -> None:
    session = await transport(emulator, fault="ws_pace=0.03").connect(system="", tools=[])
    delivered = 0
    try:
        await session.send(TextBlock(text="Tell me a long story about the sea."))
        await session.commit()
        events: list[StreamEvent] = []
        async with asyncio.timeout(20):
            async for event in session.events():
                events.append(event)
                if isinstance(event, AudioOutputDelta):
                    delivered += len(event.data) // 2
                    if delivered >= 24000 * 0.3:
                        await session.interrupt()
                if isinstance(event, TurnComplete):
                    break
    finally:
        await session.close()
    assert events[-1] == TurnComplete(StopReason.cancelled, events[-1].usage)  # type: ignore[union-attr]
    assert not any(isinstance(e, Error) for e in events)
    (truncate,) = sent(emulator, "conversation.item.truncate")
    assert 0 < truncate["audio_end_ms"] <= delivered * 1000 // 24000
    assert len(sent(emulator, "response.cancel")) == 1


async def test_server_barge_in_truncates_what_was_heard(emulator: Emulator) -> None:
    session = await transport(emulator, fault="ws_pace=0.03").connect(system="", tools=[])
    try:
        await session.send(TextBlock(text="Tell me a long story about the sea."))
        await session.commit()
        async with asyncio.timeout(20):
            async for event in session.events():
                if isinstance(event, AudioOutputDelta):
                    session.mark_played(60)  # less than the 100 ms delta handed over
                    await say(session, speech("Stop.", 24000)[:24000], frame=4800, rate=24000)  # the user talks over it
                if isinstance(event, TurnComplete):
                    assert event.stop_reason is StopReason.cancelled
                    break
    finally:
        await session.close()
    assert sent(emulator, "response.cancel") == []  # the server cancelled by itself
    (truncate,) = sent(emulator, "conversation.item.truncate")
    assert truncate["audio_end_ms"] == 60


# ── tools ────────────────────────────────────────────────────────────────────────────────────────


async def test_two_parallel_tools_give_one_response_create(emulator: Emulator) -> None:
    session = await transport(emulator).connect(system="", tools=[WEATHER, TIME])
    try:
        await session.send(TextBlock(text="What is the weather and the time in Paris?"))
        await session.commit()
        first = await turn(session.events())
        calls = [e for e in first if isinstance(e, ToolUseStart)]
        assert [c.name for c in calls] == ["get_weather", "get_time"]
        assert first[-1].stop_reason is StopReason.tool_use  # type: ignore[union-attr]
        for call in calls:
            await session.send_tool_result(call.tool_use_id, call.name, f"{call.name} ok")
        second = await turn(session.events())
    finally:
        await session.close()
    said = "".join(e.delta for e in second if isinstance(e, TranscriptDelta))
    assert said == "Here is what I found: get_weather ok; get_time ok."
    assert len(sent(emulator, "response.create")) == 2  # the question, then one for both results


async def test_realtime_agent_completes_a_tool_turn_raising_on_errors(emulator: Emulator) -> None:
    agent = RealtimeAgent(system="Be helpful.", transport=transport(emulator), tools=[WEATHER], raise_on_error=True)
    async with agent:
        await agent.send(TextBlock(text="What is the weather in Paris?"))
        await agent.commit()
        reasons: list[StopReason] = []
        said = ""
        async with asyncio.timeout(20):
            async for event in agent.events():
                if isinstance(event, TranscriptDelta):
                    said += event.delta
                if isinstance(event, TurnComplete):
                    reasons.append(event.stop_reason)
                    if event.stop_reason is StopReason.end_turn:
                        break
    assert reasons == [StopReason.tool_use, StopReason.end_turn]
    assert said == "Here is what I found: sunny in Paris."


# ── connections that drop ────────────────────────────────────────────────────────────────────────


async def test_a_1001_close_reconnects_replays_and_goes_on(emulator: Emulator) -> None:
    # The first connection goes away mid-reply; the fault holds for one handshake only.
    t = transport(emulator, fault="ws_close_after=12;ws_close_code=1001")
    session = await t.connect(system="Remember things.", tools=[])
    try:
        await session.send(TextBlock(text="My name is Ada."))
        await session.commit()
        cut = await turn(session.events())
        assert cut[-1] == TurnComplete(StopReason.error)
        await session.send(TextBlock(text="What did I say?"))
        await session.commit()
        events = await turn(session.events(), StopReason.end_turn)
    finally:
        await session.close()
    assert session.reconnects == 1
    assert any(isinstance(e, ProviderEvent) and e.kind == "session.reconnected" for e in events)
    updates = sent(emulator, "session.update")
    assert len(updates) == 2 and updates[0]["session"] == updates[1]["session"]
    replayed = [e["item"] for e in sent(emulator, "conversation.item.create")[1:]]
    assert replayed[0]["content"] == [{"type": "input_text", "text": "My name is Ada."}]


async def test_a_call_cut_mid_arguments_is_not_replayed_after_a_reconnection(emulator: Emulator) -> None:
    # The 8th server event is the call's first arguments delta; the socket closes right after it.
    t = transport(emulator, fault="ws_close_after=8;ws_close_code=1011", modality="text")
    session = await t.connect(system="", tools=[WEATHER])
    try:
        await session.send(TextBlock(text="What is the weather in Oslo? Use get_weather."))
        await session.commit()
        cut = await turn(session.events())
        assert any(isinstance(e, ToolUseStart) for e in cut) and cut[-1] == TurnComplete(StopReason.error)
        await session.send(TextBlock(text="Never mind. Hello."))
        await session.commit()
        await turn(session.events(), StopReason.end_turn)
    finally:
        await session.close()
    assert session.reconnects == 1
    replayed = [e["item"] for e in sent(emulator, "conversation.item.create")[1:]]
    assert [i["type"] for i in replayed] == ["message", "message"]  # the question, then the new words
    assert all(realtime_schema_errors(e, "client") == [] for e in sent(emulator, "conversation.item.create"))


async def test_a_mid_session_update_is_sent_and_kept_for_reconnections(emulator: Emulator) -> None:
    session = await transport(emulator, fault="ws_close_after=3;ws_close_code=1012").connect(system="One.", tools=[])
    try:
        await session.update(instructions="Two.", tools=[TIME], voice="cedar", turn_detection=None)
        await session.send(TextBlock(text="Hello."))
        await session.commit()
        await turn(session.events(), StopReason.end_turn)
    finally:
        await session.close()
    first, change, again = sent(emulator, "session.update")
    assert change["session"] == {
        "type": "realtime",
        "instructions": "Two.",
        "tools": [
            {"type": "function", "name": "get_time", "parameters": TIME.input_schema, "description": TIME.description}
        ],
        "audio": {"output": {"voice": "cedar"}, "input": {"turn_detection": None}},
    }
    assert realtime_schema_errors(change, "client") == []
    assert session.reconnects == 1 and again["session"]["instructions"] == "Two."
    assert again["session"]["audio"]["input"]["turn_detection"] is None and session.protocol.manual_turns


async def test_the_handshake_is_retried_on_a_503(emulator: Emulator) -> None:
    session = await transport(emulator, fault="status=503").connect(system="", tools=[])
    await session.close()
    assert [r.path for r in emulator.requests] == ["/v1/realtime", "/v1/realtime"]


async def test_with_reconnection_off_a_1001_close_ends_events(emulator: Emulator) -> None:
    t = transport(emulator, fault="ws_close_after=3;ws_close_code=1001", reconnect_attempts=0)
    session = await t.connect(system="", tools=[])
    events = await hello_until_the_end(session)
    assert isinstance(events[-1], Error) and isinstance(events[-1].exception, SessionClosedError)
    assert events[-1].exception.close_code == 1001


async def test_a_reconnection_refused_for_good_ends_events_with_its_typed_error(emulator: Emulator) -> None:
    emulator.fail_next("ws_close_after=3;ws_close_code=1011")
    emulator.fail_next("status=401", times=5)  # the key is revoked while the session runs
    session = await transport(emulator).connect(system="", tools=[])
    events = await hello_until_the_end(session)
    assert isinstance(events[-1], Error) and isinstance(events[-1].exception, AuthenticationError)
    assert KEY not in str(events[-1].exception) and session.reconnects == 0
    with pytest.raises(AuthenticationError):
        await session.send(TextBlock(text="late"))


async def test_a_1008_close_ends_events_with_the_typed_error(emulator: Emulator) -> None:
    session = await transport(emulator, fault="ws_close_after=3;ws_close_code=1008").connect(system="", tools=[])
    events = await hello_until_the_end(session)
    error = events[-1]
    assert isinstance(error, Error) and isinstance(error.exception, SessionClosedError)
    assert error.exception.close_code == 1008 and "1008" in str(error.exception)
    assert session.reconnects == 0


async def test_session_expired_reconnects(emulator: Emulator) -> None:
    session = await transport(emulator, fault="ws_expire_after=3").connect(system="", tools=[])
    try:
        await session.send(TextBlock(text="Hello."))
        await session.commit()
        events = await turn(session.events(), StopReason.end_turn)
    finally:
        await session.close()
    assert session.reconnects == 1 and not any(isinstance(e, Error) for e in events)


async def test_a_long_session_is_recycled_between_turns(emulator: Emulator) -> None:
    session = await transport(emulator, recycle_after_s=0.001).connect(system="", tools=[])
    try:
        for text in ("One.", "Two."):
            await session.send(TextBlock(text=text))
            await session.commit()
            await turn(session.events(), StopReason.end_turn)
    finally:
        await session.close()
    assert session.reconnects >= 1
    assert len(sent(emulator, "session.update")) == 1 + session.reconnects


async def test_close_is_idempotent_and_leaves_nothing_running(emulator: Emulator) -> None:
    before = asyncio.all_tasks()
    session = await transport(emulator).connect(system="", tools=[])
    await session.close()
    await session.close()
    with pytest.raises(SessionClosedError):
        await session.send(TextBlock(text="late"))
    await asyncio.sleep(0.05)
    assert asyncio.all_tasks() - before == set()
    assert "closed" in repr(session)


# ── what goes over the wire validates against OpenAI's schema ────────────────────────────────────


async def test_every_event_both_ways_validates_against_the_spec(emulator: Emulator) -> None:
    received: list[dict[str, Any]] = []
    session = await transport(emulator, transcription_model="whisper-1", fault="ws_pace=0.02").connect(
        system="", tools=[WEATHER], input_audio_format="audio/pcm;rate=16000"
    )
    original = session.protocol.receive

    def record(event: Any) -> list[StreamEvent]:
        received.append(event)
        return original(event)

    session.protocol.receive = record  # type: ignore[method-assign]
    try:
        await say(session, speech("What is the weather in Oslo?", 16000))
        calls = [e for e in await turn(session.events()) if isinstance(e, ToolUseStart)]
        await session.send_tool_result(calls[0].tool_use_id, calls[0].name, "rain")
        async for seen in session.events():
            if isinstance(seen, AudioOutputDelta):
                await session.interrupt()
            if isinstance(seen, TurnComplete):
                break
    finally:
        await session.close()
    kinds = {e["type"] for e in received}
    assert {
        "response.output_audio.delta",
        "response.function_call_arguments.done",
        "conversation.item.truncated",
    } <= kinds
    for server in received:
        assert realtime_schema_errors(server, "server") == [], server["type"]
    for client in emulator.state.realtime_events:
        if client["type"] == "input_audio_buffer.append":
            client = {**client, "audio": "AAAA"}
        assert realtime_schema_errors(client, "client") == [], client["type"]


# ── a dead connection is found by ping timeout ───────────────────────────────────────────────────


async def test_a_caller_that_reads_slowly_keeps_its_connection(emulator: Emulator) -> None:
    # The server sends a reply far faster than it is played; the caller takes each delta in real time.
    t = transport(emulator, ping_interval=0.05, ping_timeout=0.2)
    session = await t.connect(system="", tools=[])
    try:
        await session.send(TextBlock(text="Tell me a long story about the sea and the sky."))
        await session.commit()
        async with asyncio.timeout(30):
            async for event in session.events():
                if isinstance(event, AudioOutputDelta):
                    await asyncio.sleep(0.02)
                if isinstance(event, TurnComplete):
                    break
    finally:
        await session.close()
    assert isinstance(event, TurnComplete) and event.stop_reason is StopReason.end_turn
    assert session.reconnects == 0


class FreezingProxy:
    """A TCP proxy to the emulator whose existing connections can go silent (a dead network path)."""

    def __init__(self, port: int) -> None:
        self.port, self.frozen = port, False
        self.server: asyncio.Server | None = None
        self.links: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []

    async def __aenter__(self) -> str:
        self.server = server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"

    async def __aexit__(self, *exc: object) -> None:
        for a, b in self.links:
            a.close()
            b.close()
        if self.server is not None:
            self.server.close()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.links.append((writer, up_writer))
        born_frozen = len(self.links) > 1  # later connections are healthy

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                if self.frozen and not born_frozen:
                    continue  # swallowed: the path is dead, and nobody says so
                dst.write(data)
                await dst.drain()
            dst.close()  # an end on one side ends the other, as on a real path

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer), return_exceptions=True)


async def test_a_silent_dead_connection_is_found_by_ping_and_replaced(emulator: Emulator) -> None:
    proxy = FreezingProxy(int(emulator.base_url.split(":")[2].split("/")[0]))
    async with proxy as base_url:
        t = OpenAIRealtimeTransport(base_url=base_url, api_key=KEY, retry=FAST, ping_interval=0.1, ping_timeout=0.3)
        session = await t.connect(system="", tools=[])
        try:
            proxy.frozen = True
            async with asyncio.timeout(10):
                async for event in session.events():
                    if isinstance(event, ProviderEvent) and event.kind == "session.reconnected":
                        break
            await session.send(TextBlock(text="Still there?"))
            await session.commit()
            events = await turn(session.events(), StopReason.end_turn)
        finally:
            await session.close()
    assert session.reconnects == 1
    assert "".join(e.delta for e in events if isinstance(e, TranscriptDelta)) == "You said: Still there."
