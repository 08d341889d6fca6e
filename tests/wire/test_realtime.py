"""The realtime protocol without a socket: every translation, the turn-taking rules, replay."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import numpy as np
import pytest
from axio.blocks import AudioBlock, ImageBlock, TextBlock, VideoBlock
from axio.events import (
    AudioOutputDelta,
    Error,
    ProviderEvent,
    SpeechStarted,
    SpeechStopped,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    TranscriptDelta,
    TurnComplete,
)
from axio.types import StopReason, Usage
from hypothesis import given, settings
from hypothesis import strategies as st

from axio_omni.audio.live import LivePcm
from axio_omni.errors import ConfigurationError, MalformedResponseError, RealtimeServerError
from axio_omni.wire.realtime import RealtimeProtocol
from axio_omni.wire.realtime_items import replay_item, stop_reason
from axio_omni.wire.realtime_session import audio_format


def _proto(inp: str = "audio/pcm;rate=24000", out: str = "audio/pcm;rate=24000", **kw: Any) -> RealtimeProtocol:
    fmt_in, fmt_out = audio_format(inp, direction="input"), audio_format(out, direction="output")
    return RealtimeProtocol(
        input_format=fmt_in,
        output_format=fmt_out,
        manual_turns=kw.pop("manual_turns", False),
        convert_in=lambda rate: LivePcm(rate, 24000),
        convert_out=LivePcm(24000, fmt_out.rate),
        **kw,
    )


def _audio(item: str = "item_a", n: int = 2400, kind: str = "response.output_audio.delta") -> dict[str, Any]:
    pcm = (np.arange(n) % 100).astype("<i2").tobytes()
    return {
        "type": kind,
        "event_id": "e",
        "response_id": "resp_1",
        "item_id": item,
        "output_index": 0,
        "content_index": 0,
        "delta": base64.b64encode(pcm).decode(),
    }


def _created(rid: str = "resp_1") -> dict[str, Any]:
    return {"type": "response.created", "event_id": "e", "response": {"id": rid, "status": "in_progress"}}


def _done(status: str = "completed", output: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    response = {"id": "resp_1", "status": status, "output": output or [], **extra}
    return {"type": "response.done", "event_id": "e", "response": response}


def _call(call_id: str, name: str = "f", item: str | None = None) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item or f"item_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": "{}",
    }


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


# ── server events to axio events ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("kind", ["response.output_audio.delta", "response.audio.delta"])
def test_audio_deltas_in_ga_and_beta_names(kind: str) -> None:
    p = _proto()
    (event,) = p.receive(_audio(kind=kind))
    assert isinstance(event, AudioOutputDelta)
    assert len(event.data) == 4800 and event.media_type == "audio/pcm;rate=24000"


def test_audio_out_at_16k_names_the_callers_format_and_keeps_duration() -> None:
    p = _proto(out="audio/pcm;rate=16000")
    got = b"".join(e.data for _ in range(10) for e in p.receive(_audio()) if isinstance(e, AudioOutputDelta))
    # 10 x 100 ms at 24 kHz is 1 s: 16000 samples at 16 kHz, less the filter's sub-ms hold.
    assert 16000 - 16 <= len(got) // 2 <= 16000
    assert all(isinstance(e, AudioOutputDelta) and e.media_type == "audio/pcm;rate=16000" for e in p.receive(_audio()))


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("response.output_audio_transcript.delta", "assistant"),
        ("response.audio_transcript.delta", "assistant"),
        ("conversation.item.input_audio_transcription.delta", "user"),
    ],
)
def test_transcripts_for_both_roles(kind: str, role: str) -> None:
    p = _proto()
    event = {"type": kind, "event_id": "e", "item_id": "i", "content_index": 0, "delta": "Hel", "response_id": "r"}
    assert p.receive(event) == [TranscriptDelta(role, "Hel")]  # type: ignore[arg-type]


def test_user_transcript_completed_gives_only_what_deltas_did_not() -> None:
    p = _proto()
    p.receive({"type": "conversation.item.input_audio_transcription.delta", "item_id": "u", "delta": "Hello "})
    done = {"type": "conversation.item.input_audio_transcription.completed", "item_id": "u", "content_index": 0}
    assert p.receive({**done, "transcript": "Hello there"}) == [TranscriptDelta("user", "there")]
    # A server that sends no deltas: the whole transcript at once.
    assert p.receive({**done, "item_id": "v", "transcript": "Hi"}) == [TranscriptDelta("user", "Hi")]


@pytest.mark.parametrize("kind", ["response.output_text.delta", "response.text.delta"])
def test_text_deltas(kind: str) -> None:
    assert _proto().receive({"type": kind, "item_id": "i", "output_index": 1, "delta": "x"}) == [TextDelta(1, "x")]


def test_speech_events() -> None:
    p = _proto()
    assert p.receive({"type": "input_audio_buffer.speech_started", "audio_start_ms": 0, "item_id": "i"}) == [
        SpeechStarted()
    ]
    assert p.receive({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 9, "item_id": "i"}) == [
        SpeechStopped()
    ]


def test_tool_calls_stream_and_end_the_turn_with_tool_use() -> None:
    p = _proto()
    p.receive(_created())
    added = {"type": "response.output_item.added", "response_id": "resp_1", "output_index": 0}
    assert p.receive({**added, "item": {**_call("c1", "weather"), "arguments": "", "status": "in_progress"}}) == [
        ToolUseStart(0, "c1", "weather")
    ]
    delta = {"type": "response.function_call_arguments.delta", "item_id": "item_c1", "call_id": "c1"}
    assert p.receive({**delta, "delta": '{"a"'}) == [ToolInputDelta(0, "c1", '{"a"')]
    done_args = {"type": "response.function_call_arguments.done", "call_id": "c1", "arguments": '{"a":1}'}
    assert p.receive(done_args) == []  # the deltas already carried it
    events = p.receive(_done(output=[_call("c1", "weather")]))
    assert isinstance(events[0], ProviderEvent) and events[0].kind == "response.done"
    assert events[1] == TurnComplete(StopReason.tool_use, None)


def test_arguments_sent_whole_without_deltas_still_reach_the_caller() -> None:
    p = _proto()
    p.receive(_created())
    p.receive({"type": "response.output_item.added", "output_index": 0, "item": _call("c1")})
    done = {"type": "response.function_call_arguments.done", "call_id": "c1", "arguments": '{"x": 2}'}
    assert p.receive(done) == [ToolInputDelta(0, "c1", '{"x": 2}')]


@pytest.mark.parametrize(
    ("status", "details", "reason"),
    [
        ("completed", None, StopReason.end_turn),
        ("cancelled", {"type": "cancelled", "reason": "turn_detected"}, StopReason.cancelled),
        ("incomplete", {"type": "incomplete", "reason": "max_output_tokens"}, StopReason.max_tokens),
        ("incomplete", {"type": "incomplete", "reason": "content_filter"}, StopReason.refusal),
        ("failed", {"type": "failed", "error": {"type": "server_error", "code": "x"}}, StopReason.error),
        ("weird", None, StopReason.unknown),
    ],
)
def test_stop_reasons(status: str, details: Any, reason: StopReason) -> None:
    response = {"status": status, "output": [], **({"status_details": details} if details else {})}
    assert stop_reason(response) is reason


def test_usage_with_cached_tokens() -> None:
    usage = {
        "total_tokens": 30,
        "input_tokens": 20,
        "output_tokens": 10,
        "input_token_details": {"cached_tokens": 5, "text_tokens": 15, "audio_tokens": 5},
        "output_token_details": {"text_tokens": 2, "audio_tokens": 8},
    }
    p = _proto()
    p.receive(_created())
    events = p.receive(_done(usage=usage))
    assert events[-1] == TurnComplete(StopReason.end_turn, Usage(20, 10, cache_read_tokens=5))
    # The text/audio split travels on the response.done ProviderEvent.
    assert isinstance(events[0], ProviderEvent)
    assert events[0].data["response"]["usage"]["output_token_details"]["audio_tokens"] == 8


def test_unknown_events_pass_through_as_provider_events() -> None:
    event = {"type": "rate_limits.updated", "event_id": "e", "rate_limits": []}
    assert _proto().receive(event) == [ProviderEvent("openai", "rate_limits.updated", event)]


@pytest.mark.parametrize("bad", [[1], {"no": "type"}, {"type": "response.output_audio.delta"}, "x"])
def test_malformed_events_raise_typed(bad: Any) -> None:
    with pytest.raises(MalformedResponseError):
        _proto().receive(bad)


# ── errors ───────────────────────────────────────────────────────────────────────────────────────


def _error(code: str, event_id: str | None = None, **kw: Any) -> dict[str, Any]:
    error = {"type": "invalid_request_error", "code": code, "message": f"m {code}", "param": None, "event_id": event_id}
    return {"type": "error", "event_id": "e", "error": {**error, **kw}}


def test_a_server_error_is_a_typed_error_event() -> None:
    (event,) = _proto().receive(_error("invalid_value", "evt_9", param="session.voice"))
    assert isinstance(event, Error) and isinstance(event.exception, RealtimeServerError)
    assert (event.exception.code, event.exception.param, event.exception.event_id) == (
        "invalid_value",
        "session.voice",
        "evt_9",
    )


@pytest.mark.parametrize(
    "code",
    ["response_cancel_not_active", "conversation_already_has_active_response", "input_audio_buffer_commit_empty"],
)
def test_benign_races_are_logged_not_yielded(code: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "axio_omni.realtime"):
        assert _proto().receive(_error(code)) == []
    assert code in caplog.text


def test_an_error_answering_our_own_truncate_is_a_race() -> None:
    p = _proto()
    p.receive(_created())
    p.receive(_audio())
    cancel, truncate = p.interrupt()
    assert p.receive(_error("invalid_value", truncate["event_id"])) == []


def test_session_expired_asks_for_a_new_connection() -> None:
    p = _proto()
    assert p.receive(_error("session_expired", type="invalid_request_error")) == []
    assert p.expired


# ── turn-taking ──────────────────────────────────────────────────────────────────────────────────


def test_interrupt_when_nothing_is_playing_sends_nothing() -> None:
    p = _proto()
    assert p.interrupt() == []
    p.receive(_created())
    p.receive(_audio())
    p.receive(_done())
    assert p.interrupt() == []  # the reply was delivered whole, and no shorter playback was reported


def test_interrupt_mid_reply_cancels_and_truncates_at_what_was_delivered() -> None:
    p = _proto(out="audio/pcm;rate=16000")
    p.receive(_created())
    for _ in range(3):
        p.receive(_audio("item_a", 2400))  # 3 x 100 ms
    cancel, truncate = p.interrupt()
    assert cancel["type"] == "response.cancel"
    assert truncate["type"] == "conversation.item.truncate"
    assert (truncate["item_id"], truncate["content_index"]) == ("item_a", 0)
    assert 298 <= truncate["audio_end_ms"] <= 300  # never past the 300 ms handed over
    # Deltas of the cut item still in flight are not played.
    assert p.receive(_audio("item_a")) == []


def test_reported_playback_gives_a_tighter_cut_even_after_the_reply_ended() -> None:
    p = _proto()
    p.receive(_created())
    p.receive(_audio("item_a", 24000))  # 1 s delivered
    p.receive(_done())
    p.mark_played(400)
    (truncate,) = p.interrupt()
    assert truncate["audio_end_ms"] == 400
    with pytest.raises(ConfigurationError, match="played_ms"):
        p.mark_played(-1)


def test_server_barge_in_truncates_without_a_cancel() -> None:
    p = _proto()
    p.receive(_created())
    p.receive(_audio("item_a", 4800))
    assert p.receive({"type": "input_audio_buffer.speech_started", "audio_start_ms": 1, "item_id": "u"}) == [
        SpeechStarted()
    ]
    assert _types(p.outbox) == ["conversation.item.truncate"]
    assert p.outbox[0]["audio_end_ms"] == 200


def test_no_barge_in_truncation_when_the_server_does_not_interrupt() -> None:
    p = _proto(barge_in=False)
    p.receive(_created())
    p.receive(_audio("item_a", 4800))
    p.receive({"type": "input_audio_buffer.speech_started", "audio_start_ms": 1, "item_id": "u"})
    assert p.outbox == []


def test_two_parallel_tools_give_exactly_one_response_create() -> None:
    p = _proto()
    p.receive(_created())
    for i, cid in enumerate(("c1", "c2")):
        p.receive({"type": "response.output_item.added", "output_index": i, "item": _call(cid)})
    p.receive(_done(output=[_call("c1"), _call("c2")]))
    first = p.tool_result("c1", "sunny")
    assert _types(first) == ["conversation.item.create"]
    assert first[0]["item"]["type"] == "function_call_output" and first[0]["item"]["call_id"] == "c1"
    second = p.tool_result("c2", "12:00")
    assert _types(second) == ["conversation.item.create", "response.create"]


def test_tool_results_while_another_response_runs_wait_for_it_to_end() -> None:
    p = _proto()
    p.receive(_created())
    p.receive({"type": "response.output_item.added", "output_index": 0, "item": _call("c1")})
    p.receive(_done(output=[_call("c1")]))
    p.receive(_created("resp_2"))  # the user spoke meanwhile; server VAD started a reply
    assert _types(p.tool_result("c1", "ok")) == ["conversation.item.create"]
    p.receive(_done())
    assert _types(p.outbox) == ["response.create"]


def test_a_response_without_tool_calls_needs_no_result() -> None:
    p = _proto()
    p.receive(_created())
    p.receive(_done())
    assert p.between_turns


def test_manual_commit_never_commits_an_empty_buffer() -> None:
    p = _proto(manual_turns=True)
    assert p.commit() == []  # nothing said, nothing asked
    (append,) = p.send([AudioBlock(media_type="audio/pcm", data=bytes(960))])
    assert append["type"] == "input_audio_buffer.append"
    assert _types(p.commit()) == ["input_audio_buffer.commit", "response.create"]
    assert p.commit() == []


def test_text_then_commit_asks_for_a_reply_with_server_vad() -> None:
    p = _proto()
    (create,) = p.send([TextBlock(text="hi")])
    assert create["item"]["content"] == [{"type": "input_text", "text": "hi"}]
    assert _types(p.commit()) == ["response.create"]
    assert p.commit() == []  # audio alone, with server VAD, is the server's to commit


def test_images_go_as_data_urls_and_other_blocks_are_refused() -> None:
    p = _proto()
    (create,) = p.send([TextBlock(text="what is this"), ImageBlock(media_type="image/png", data=b"\x89PNG")])
    image = create["item"]["content"][1]
    assert image == {"type": "input_image", "image_url": "data:image/png;base64,iVBORw=="}
    manual = _proto(manual_turns=True)
    with pytest.raises(ConfigurationError, match="VideoBlock"):
        manual.send([AudioBlock(media_type="audio/pcm", data=bytes(480)), VideoBlock(media_type="video/mp4", data=b"")])
    assert manual.commit() == []  # the refused call changed nothing: no audio buffered, no message added


def test_audio_of_another_format_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="audio/wav.*rate=24000"):
        _proto().send([AudioBlock(media_type="audio/wav", data=b"RIFF")])


def test_a_blocks_own_rate_decides_and_bare_pcm_is_24k() -> None:
    """axio-audio's microphone sends bare audio/pcm at 24 kHz to RealtimeAgent's 16 kHz session: read
    as 24 kHz it passes through untouched; a block that says 16 kHz is resampled; neither is misread."""
    p = _proto(inp="audio/pcm;rate=16000")
    frame = (np.arange(480) % 200).astype("<i2").tobytes()
    (bare,) = p.send([AudioBlock(media_type="audio/pcm", data=frame * 50)])
    assert len(base64.b64decode(bare["audio"])) == len(frame) * 50  # 24 kHz in, 24 kHz out: as is
    said = [p.send([AudioBlock(media_type="audio/pcm;rate=16000", data=bytes(640))]) for _ in range(50)]  # type: ignore[arg-type]
    assert 24000 - 24 <= sum(len(base64.b64decode(e["audio"])) for s in said for e in s) // 2 <= 24000
    for bad in ("audio/pcm;rate=7", "audio/pcm;channels=2", "audio/pcmu"):
        with pytest.raises(ConfigurationError, match="24 kHz"):
            p.send([AudioBlock(media_type=bad, data=bytes(2))])  # type: ignore[arg-type]
    g711 = _proto(inp="audio/pcmu")
    with pytest.raises(ConfigurationError, match="audio/pcmu"):
        g711.send([AudioBlock(media_type="audio/pcm", data=bytes(2))])


def test_16k_input_goes_out_at_24k_with_the_same_duration() -> None:
    p = _proto(inp="audio/pcm;rate=16000")
    wire = b""
    for _ in range(50):  # 50 x 20 ms
        event = p.audio(bytes(640))
        wire += base64.b64decode(event["audio"]) if event else b""
    assert 24000 - 24 <= len(wire) // 2 <= 24000


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 999), min_size=1, max_size=12))
def test_odd_and_uneven_input_chunks_lose_no_sample(sizes: list[int]) -> None:
    p = _proto()  # 24 kHz in: passed through untouched, odd bytes carried
    data = bytes(range(256)) * 40
    out, i = b"", 0
    while i < len(data):
        n = sizes[(i // 7) % len(sizes)]
        event = p.audio(data[i : i + n])
        out += base64.b64decode(event["audio"]) if event else b""
        i += n
    assert out == data[: len(out)] and len(data) - len(out) <= 1


# ── replay ───────────────────────────────────────────────────────────────────────────────────────


def test_the_conversation_is_replayed_as_text_with_tool_calls() -> None:
    p = _proto()
    p.send([TextBlock(text="weather?")])
    user_audio = {"id": "item_u", "type": "message", "role": "user", "content": [{"type": "input_audio"}]}
    p.receive({"type": "conversation.item.added", "item": user_audio})
    p.receive(
        {"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_u", "transcript": "hi"}
    )
    p.receive(_created())
    p.receive({"type": "response.output_item.added", "output_index": 0, "item": _call("c1", "weather")})
    p.receive({"type": "response.output_item.done", "output_index": 0, "item": {**_call("c1", "weather")}})
    p.receive(_done(output=[_call("c1", "weather")]))
    p.tool_result("c1", "sunny")
    p.receive(_created("resp_2"))
    said = {"id": "item_b", "type": "message", "role": "assistant", "content": [], "status": "in_progress"}
    p.receive({"type": "response.output_item.added", "output_index": 0, "item": said})
    p.receive({"type": "response.output_audio_transcript.delta", "item_id": "item_b", "delta": "It is sunny."})
    never = {"id": "item_x", "type": "message", "role": "user", "content": [{"type": "input_audio"}]}
    p.receive({"type": "conversation.item.added", "item": never})  # spoken, never transcribed
    replayed = [e["item"] for e in p.replay()]
    assert [(i["type"], i.get("role")) for i in replayed] == [
        ("message", "user"),
        ("message", "user"),
        ("function_call", None),
        ("function_call_output", None),
        ("message", "assistant"),
    ]
    assert replayed[1]["content"] == [{"type": "input_text", "text": "hi"}]
    assert replayed[2] == {
        "id": "item_c1",
        "type": "function_call",
        "call_id": "c1",
        "name": "weather",
        "arguments": "{}",
    }
    assert replayed[4]["content"] == [{"type": "output_text", "text": "It is sunny."}]


def test_a_call_cut_mid_arguments_is_not_replayed() -> None:
    """A drop while the model streams a call's arguments: the call never finished, so the new session
    is not told of it (replayed with arguments '' and no output, it would dangle)."""
    p = _proto()
    p.send([TextBlock(text="weather in Oslo?")])
    p.receive(_created())
    cut = {**_call("c1", "weather"), "arguments": "", "status": "in_progress"}
    p.receive({"type": "response.output_item.added", "output_index": 0, "item": cut})
    p.receive(
        {"type": "response.function_call_arguments.delta", "item_id": "item_c1", "call_id": "c1", "delta": '{"ci'}
    )
    assert p.connection_lost() == [TurnComplete(StopReason.error)]
    assert [e["item"]["type"] for e in p.replay()] == ["message"]
    p.tool_result("c1", "late")  # an output the caller sent anyway goes with its call
    assert [e["item"]["type"] for e in p.replay()] == ["message"]
    whole = {**_call("c2", "weather"), "status": "in_progress", "arguments": ""}
    p.receive(_created("resp_2"))
    p.receive({"type": "response.output_item.added", "output_index": 0, "item": whole})
    p.receive({"type": "response.output_item.done", "output_index": 0, "item": {**whole, "arguments": '{"c":1}'}})
    replayed = [e["item"] for e in p.replay()]
    assert [(i["type"], i.get("call_id")) for i in replayed] == [("message", None), ("function_call", "c2")]
    assert replayed[1]["arguments"] == '{"c":1}'


def test_replay_item_leaves_out_what_it_cannot_send() -> None:
    assert replay_item({"id": "x", "type": "mcp_call"}, None) is None


def test_a_drop_mid_reply_ends_the_turn_saying_so() -> None:
    p = _proto()
    p.receive(_created())
    assert p.connection_lost() == [TurnComplete(StopReason.error)]
    assert p.connection_lost() == []


def test_client_events_are_json_serializable_and_carry_ids() -> None:
    p = _proto()
    events = p.send([TextBlock(text="x")]) + p.commit()
    for e in events:
        json.dumps(e)
        assert e["event_id"].startswith("omni_evt_")
