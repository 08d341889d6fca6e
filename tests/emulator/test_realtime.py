"""The emulator's realtime endpoint, driven by a bare WebSocket client and by the official openai SDK."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import openai
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from axio_omni.audio.pcm import float_to_pcm16
from axio_omni.emulator import Emulator
from axio_omni.emulator.realtime_reply import plan_reply, tool_arguments
from axio_omni.emulator.vad import EnergyVad
from axio_omni.emulator.voice import encode_speech
from tests.helpers import realtime_schema_errors

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


class Client:
    """A bare client: sends events, reads server events, checks each one against the spec."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"type": kind, **fields}))

    async def send_event(self, event: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(event))

    async def recv(self) -> dict[str, Any]:
        async with asyncio.timeout(10):
            event: dict[str, Any] = json.loads(await self.ws.recv())
        assert event["event_id"].startswith("event_")
        assert realtime_schema_errors(event, "server") == [], event
        return event

    async def until(self, kind: str) -> list[dict[str, Any]]:
        events = []
        while True:
            events.append(await self.recv())
            if events[-1]["type"] == kind:
                return events


@contextlib.asynccontextmanager
async def opened(emu: Emulator, fault: str | None = None) -> AsyncIterator[Client]:
    """A session past its ``session.created``, with a socket fault if one is given."""
    headers = {"X-Emulator-Fault": fault} if fault else {}
    async with connect(
        emu.base_url.replace("http", "ws") + "/realtime?model=gpt-realtime", additional_headers=headers
    ) as ws:
        c = Client(ws)
        assert (await c.recv())["type"] == "session.created"
        yield c


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[Client]:
    async with opened(emulator) as c:
        yield c


async def reply_under_way(c: Client) -> list[dict[str, Any]]:
    """Ask for a long reply; the events up to its first audio delta."""
    await c.send("conversation.item.create", item=_user("Tell me a long story about the sea"))
    await c.until("conversation.item.done")
    await c.send("response.create")
    return await c.until("response.output_audio.delta")


async def update(c: Client, **session: Any) -> dict[str, Any]:
    await c.send("session.update", session={"type": "realtime", **session})
    return await c.recv()


# ── session.update ───────────────────────────────────────────────────────────────────────────────


async def test_session_update_takes_every_ga_field_and_echoes_the_effective_session(client: Client) -> None:
    event = await update(
        client,
        instructions="Be brief.",
        output_modalities=["text"],
        tracing={"workflow_name": "demo"},
        truncation="auto",
        max_output_tokens=200,
        tools=[WEATHER],
        tool_choice="auto",
        audio={"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "low"}}, "output": {"voice": "marin"}},
    )
    session = event["session"]
    assert event["type"] == "session.updated"
    assert session["tracing"] == {"workflow_name": "demo"} and session["max_output_tokens"] == 200
    detection = session["audio"]["input"]["turn_detection"]
    assert detection == {
        "type": "semantic_vad",
        "eagerness": "low",
        "create_response": True,
        "interrupt_response": True,
    }
    assert session["audio"]["output"]["voice"] == "marin"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}  # kept


@pytest.mark.parametrize(
    ("session", "code", "param"),
    [
        ({"temperature": 0.8}, "unknown_parameter", "session.temperature"),
        ({"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}}, "invalid_value",
         "session.audio.input.format.rate"),
        ({"audio": {"output": {"format": {"type": "audio/mp3"}}}}, "invalid_value", "session.audio.output.format.type"),
        ({"audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 10}}}}, "invalid_value",
         "session.audio.input.turn_detection.idle_timeout_ms"),
        ({"output_modalities": ["video"]}, "invalid_value", "session.output_modalities"),
    ],
)  # fmt: skip
async def test_bad_session_fields_are_refused_like_openai(
    client: Client, session: dict[str, Any], code: str, param: str
) -> None:
    await client.send("session.update", event_id="evt_1", session={"type": "realtime", **session})
    error = (await client.recv())["error"]
    assert (error["code"], error["param"], error["event_id"]) == (code, param, "evt_1")


async def test_a_session_without_its_type_is_refused(client: Client) -> None:
    await client.send("session.update", session={"instructions": "x"})
    assert (await client.recv())["error"]["code"] == "missing_required_parameter"


# ── items ────────────────────────────────────────────────────────────────────────────────────────


def _user(text: str, item_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return {**item, "id": item_id} if item_id else item


async def test_client_item_ids_are_kept_and_previous_item_id_is_honoured(client: Client) -> None:
    await client.send("conversation.item.create", item=_user("one", "my_item_1"))
    added = await client.recv()
    assert added["item"]["id"] == "my_item_1" and added["previous_item_id"] is None
    await client.recv()  # conversation.item.done
    await client.send("conversation.item.create", item=_user("zero", "my_item_0"), previous_item_id="root")
    added = await client.recv()
    assert added["previous_item_id"] is None
    await client.recv()
    await client.send("conversation.item.create", item=_user("half", "my_item_h"), previous_item_id="my_item_0")
    assert (await client.recv())["previous_item_id"] == "my_item_0"
    await client.recv()
    await client.send("conversation.item.retrieve", item_id="my_item_h")
    retrieved = await client.recv()
    assert retrieved["type"] == "conversation.item.retrieved" and retrieved["item"]["content"][0]["text"] == "half"
    await client.send("conversation.item.delete", item_id="my_item_h")
    assert (await client.recv())["type"] == "conversation.item.deleted"


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({"type": "conversation.item.create", "item": _user("x"), "previous_item_id": "nope"}, "invalid_value"),
        ({"type": "conversation.item.retrieve", "item_id": "nope"}, "item_not_found"),
        ({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": "c", "output": "x"}},
         "invalid_value"),
        ({"type": "input_audio_buffer.commit"}, "input_audio_buffer_commit_empty"),
        ({"type": "response.cancel"}, "response_cancel_not_active"),
        ({"type": "conversation.item.truncate", "item_id": "nope", "content_index": 0, "audio_end_ms": 0},
         "invalid_value"),
    ],
)  # fmt: skip
async def test_mistakes_get_openais_error_codes_with_the_event_id(
    client: Client, event: dict[str, Any], code: str
) -> None:
    await client.send_event({**event, "event_id": "evt_bad"})
    error = (await client.recv())["error"]
    assert error["code"] == code and error["event_id"] == "evt_bad"


# ── responses ────────────────────────────────────────────────────────────────────────────────────


async def test_a_text_reply_echoes_metadata_and_reports_usage(client: Client) -> None:
    await update(client, output_modalities=["text"])
    await client.send("conversation.item.create", item=_user("Hello there"))
    await client.until("conversation.item.done")
    await client.send("response.create", response={"metadata": {"topic": "greeting"}})
    events = await client.until("response.done")
    assert events[0]["type"] == "response.created" and events[0]["response"]["metadata"] == {"topic": "greeting"}
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == "You said: Hello there."
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["usage"]["output_tokens"] == 4
    assert done["output"][0]["content"] == [{"type": "output_text", "text": text}]


async def test_a_second_response_while_one_runs_is_refused(client: Client, emulator: Emulator) -> None:
    await client.send("conversation.item.create", item=_user("Tell me a long story"))
    await client.until("conversation.item.done")
    await client.send("response.create")
    await client.send("response.create", event_id="evt_2")
    events = await client.until("response.done")
    errors = [e["error"] for e in events if e["type"] == "error"]
    assert [(e["code"], e["event_id"]) for e in errors] == [("conversation_already_has_active_response", "evt_2")]


async def test_tool_calls_are_in_progress_when_added_and_completed_when_done(client: Client) -> None:
    await update(client, tools=[WEATHER])
    await client.send("conversation.item.create", item=_user("What is the weather in Lisbon?"))
    await client.until("conversation.item.done")
    await client.send("response.create")
    events = await client.until("response.done")
    kinds = [e["type"] for e in events]
    assert kinds.index("response.output_item.added") < kinds.index("response.function_call_arguments.delta")
    added = next(e for e in events if e["type"] == "response.output_item.added")["item"]
    done = next(e for e in events if e["type"] == "response.output_item.done")["item"]
    assert added["status"] == "in_progress" and added["arguments"] == ""
    assert done["status"] == "completed" and done["name"] == "get_weather" and done["call_id"] == added["call_id"]
    assert json.loads(done["arguments"]) == {"city": "Lisbon"}
    await client.send(
        "conversation.item.create", item={"type": "function_call_output", "call_id": done["call_id"], "output": "warm"}
    )
    await client.until("conversation.item.done")
    await client.send("response.create")
    said = "".join(e["delta"] for e in await client.until("response.done") if e["type"].endswith("transcript.delta"))
    assert said == "Here is what I found: warm."


async def test_cancel_and_truncate_mid_reply(emulator: Emulator) -> None:
    async with opened(emulator, "ws_pace=0.03") as c:
        events = await reply_under_way(c)
        item_id = events[-1]["item_id"]
        await c.send("response.cancel")
        events = await c.until("response.done")
        assert events[-1]["response"]["status"] == "cancelled"
        assert events[-1]["response"]["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
        await c.send("conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=50)
        truncated = await c.recv()
        assert truncated == {**truncated, "type": "conversation.item.truncated", "audio_end_ms": 50}
        await c.send("conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=60_000)
        assert (await c.recv())["error"]["param"] == "audio_end_ms"


async def test_server_vad_hears_speech_commits_it_and_answers(client: Client) -> None:
    await update(client, audio={"input": {"transcription": {"model": "whisper-1"}}})
    pcm = float_to_pcm16(encode_speech("Good evening.", 24000)) + bytes(48000)
    for i in range(0, len(pcm), 9600):
        await client.send("input_audio_buffer.append", audio=base64.b64encode(pcm[i : i + 9600]).decode())
    events = await client.until("response.done")
    kinds = [e["type"] for e in events]
    assert kinds[:3] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
    ]
    transcript = next(e for e in events if e["type"] == "conversation.item.input_audio_transcription.completed")
    assert transcript["transcript"] == "Good evening."
    audio = b"".join(base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta")
    assert 1.5 < len(audio) / 48000 < 6  # seconds of 24 kHz speech for one short sentence


async def test_speech_over_a_reply_cancels_it_and_the_new_turn_is_answered(emulator: Emulator) -> None:
    async with opened(emulator, "ws_pace=0.02") as c:
        await reply_under_way(c)
        pcm = float_to_pcm16(encode_speech("Stop.", 24000)) + bytes(24000)
        for i in range(0, len(pcm), 4800):
            await c.send("input_audio_buffer.append", audio=base64.b64encode(pcm[i : i + 4800]).decode())
        first = await c.until("response.done")
        assert first[-1]["response"]["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
        second = await c.until("response.done")
        kinds = [e["type"] for e in first + second]
        assert kinds.index("input_audio_buffer.speech_started") < kinds.index("input_audio_buffer.committed")
        said = "".join(e["delta"] for e in second if e["type"] == "response.output_audio_transcript.delta")
        assert said == "You said: Stop." and second[-1]["response"]["status"] == "completed"


async def test_faults_close_with_a_code_and_expire_the_session(emulator: Emulator) -> None:
    async with opened(emulator, "ws_expire_after=1") as c:
        await c.send("session.update", session={"type": "realtime"})
        assert (await c.recv())["error"]["code"] == "session_expired"
        with pytest.raises(ConnectionClosed) as closed:
            await c.ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


# ── the official SDK holds a session ─────────────────────────────────────────────────────────────


async def test_the_official_openai_sdk_holds_a_session(emulator: Emulator) -> None:
    async with (
        openai.AsyncOpenAI(api_key="sk-sdk-test", base_url=emulator.base_url) as client,
        client.realtime.connect(model="gpt-realtime") as conn,
    ):
        tool: Any = WEATHER  # the SDK's TypedDicts, in the plain dicts every other test here uses
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"], "tools": [tool]})
        question: Any = _user("What is the weather in Rome?")
        await conn.conversation.item.create(item=question)
        await conn.response.create()
        calls = []
        async with asyncio.timeout(10):
            async for event in conn:
                if event.type == "response.output_item.done" and event.item.type == "function_call":
                    calls.append(event.item)
                if event.type == "response.done":
                    break
        assert [c.name for c in calls] == ["get_weather"]
        await conn.conversation.item.create(
            item={"type": "function_call_output", "call_id": str(calls[0].call_id), "output": "hot"}
        )
        await conn.response.create()
        text = ""
        async with asyncio.timeout(10):
            async for event in conn:
                if event.type == "response.output_text.delta":
                    text += event.delta
                if event.type == "response.done":
                    assert event.response.status == "completed"
                    break
    assert text == "Here is what I found: hot."


# ── the sans-I/O parts ───────────────────────────────────────────────────────────────────────────


def test_vad_finds_speech_by_energy_with_padding_and_silence() -> None:
    vad = EnergyVad(threshold=0.5, prefix_padding_ms=100, silence_duration_ms=200)
    quiet, loud = bytes(24000), float_to_pcm16(0.3 * np.sin(np.arange(12000) * 0.2))  # 500 ms each
    assert vad.feed(quiet) == []
    (start,) = vad.feed(loud)
    assert (start.kind, start.ms) == ("started", 400)
    (stop,) = vad.feed(quiet)
    assert (stop.kind, stop.ms) == ("stopped", 1000)  # the speech ended at 1000 ms
    assert EnergyVad(threshold=0.5).feed(float_to_pcm16(0.001 * np.ones(4800))) == []  # a quiet hum


def test_replies_are_deterministic_and_read_the_tools_schema() -> None:
    user = {
        "id": "u",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "Weather in Paris?"}],
    }
    plan = plan_reply([user], tools=[WEATHER], tool_choice="auto", heard={}, seconds={})
    assert plan.calls == [("get_weather", '{"city": "Paris"}')]
    assert (
        plan_reply([user], tools=[WEATHER], tool_choice="none", heard={}, seconds={}).text
        == "You said: Weather in Paris."
    )
    audio = {"id": "a", "type": "message", "role": "user", "content": [{"type": "input_audio"}]}
    assert plan_reply([audio], tools=[], tool_choice="auto", heard={}, seconds={"a": 1.24}).text == (
        "I heard 1.2 seconds of audio."
    )
    schema = {"properties": {"n": {"type": "integer"}, "u": {"enum": ["c", "f"]}, "b": {"type": "boolean"}}}
    assert json.loads(tool_arguments(schema, "x")) == {"n": 1, "u": "c", "b": True}
