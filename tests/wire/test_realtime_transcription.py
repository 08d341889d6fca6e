"""Live captions without a socket: the transcription session's body and every server event it reads."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from axio.blocks import AudioBlock, TextBlock
from axio.events import Error, ProviderEvent, SpeechStarted, SpeechStopped, TranscriptDelta, TurnComplete
from axio.types import StopReason

from axio_omni.audio.live import LivePcm
from axio_omni.errors import ConfigurationError, MalformedResponseError, RealtimeServerError
from axio_omni.wire.realtime_session import audio_format
from axio_omni.wire.realtime_transcription import LOGPROBS, TranscriptionProtocol, transcription_session
from tests.helpers import realtime_schema_errors

PREFIX = "conversation.item.input_audio_transcription."


def proto(manual: bool = False) -> TranscriptionProtocol:
    fmt = audio_format("audio/pcm;rate=16000", direction="input")
    return TranscriptionProtocol(input_format=fmt, manual_turns=manual, convert_in=lambda rate: LivePcm(rate, 24000))


def ev(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": "event_1", **fields}


def test_the_session_body_is_a_ga_transcription_session() -> None:
    body = transcription_session(
        input_format={"type": "audio/pcm", "rate": 24000},
        model="gpt-4o-transcribe",
        language="de",
        prompt="Namen",
        noise_reduction="far_field",
        turn={"type": "server_vad", "threshold": 0.4},
        logprobs=True,
        extra={},
    )
    assert body["include"] == [LOGPROBS] and body["audio"]["input"]["noise_reduction"] == {"type": "far_field"}
    assert realtime_schema_errors({"type": "session.update", "session": body}, "client") == []


def test_an_utterance_streams_then_completes_with_usage_and_logprobs() -> None:
    p = proto()
    assert p.receive(ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="i1")) == [SpeechStarted()]
    assert p.receive(ev("input_audio_buffer.speech_stopped", audio_end_ms=900, item_id="i1")) == [SpeechStopped()]
    p.receive(ev("input_audio_buffer.committed", item_id="i1", previous_item_id=None))
    lp = [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}]
    assert p.receive(ev(PREFIX + "delta", item_id="i1", content_index=0, delta="Hi", logprobs=lp)) == [
        TranscriptDelta("user", "Hi")
    ]
    usage = {"type": "tokens", "input_tokens": 9, "output_tokens": 2, "total_tokens": 11}
    done = ev(PREFIX + "completed", item_id="i1", content_index=0, transcript="Hi there.", usage=usage)
    out = p.receive(done)
    assert out[0] == TranscriptDelta("user", " there.")  # the rest the deltas did not carry
    assert isinstance(out[1], ProviderEvent) and out[1].kind == PREFIX + "completed"
    assert isinstance(out[2], TurnComplete) and out[2].stop_reason is StopReason.end_turn
    assert out[2].usage is not None and (out[2].usage.input_tokens, out[2].usage.output_tokens) == (9, 2)
    last = p.last
    assert last is not None and last.text == "Hi there." and [t.token for t in last.logprobs] == ["Hi"]


def test_a_failed_transcription_is_an_error_and_its_utterance_forgotten() -> None:
    p = proto()
    p.receive(ev("input_audio_buffer.committed", item_id="i1"))
    (error,) = p.receive(ev(PREFIX + "failed", item_id="i1", content_index=0, error={"code": "x", "message": "bad"}))
    assert isinstance(error, Error) and isinstance(error.exception, RealtimeServerError)
    assert error.exception.code == "x" and "bad" in str(error.exception) and p.utterances == {}


def test_a_long_session_keeps_only_the_newest_utterances() -> None:
    p = proto()
    for n in range(p.KEEP + 10):
        p.receive(ev(PREFIX + "completed", item_id=f"i{n}", content_index=0, transcript="x", usage={}))
    assert len(p.utterances) == p.KEEP and "i0" not in p.utterances


def test_input_is_audio_only_at_any_rate_and_manual_commits_are_never_empty() -> None:
    p = proto(manual=True)
    assert p.commit() == []
    (append,) = p.send([AudioBlock(media_type="audio/pcm", data=bytes(4800))])  # bare: 24 kHz, as is
    assert len(base64.b64decode(append["audio"])) == 4800
    assert [e["type"] for e in p.commit()] == ["input_audio_buffer.commit"] and p.commit() == []
    with pytest.raises(ConfigurationError, match="audio only"):
        p.send([TextBlock(text="x")])
    assert p.replay() == [] and p.between_turns


def test_errors_are_read_as_conversations_read_them() -> None:
    p = proto()
    assert p.receive(ev("error", error={"code": "session_expired", "message": "60 minutes"})) == [] and p.expired
    (error,) = p.receive(ev("error", error={"code": "invalid_value", "message": "no"}))
    assert isinstance(error, Error)
    assert isinstance(p.receive(ev("session.updated", session={}))[0], ProviderEvent)
    with pytest.raises(MalformedResponseError):
        p.receive({"no": "type"})
    with pytest.raises(MalformedResponseError, match="delta"):
        p.receive(ev(PREFIX + "delta", item_id="i", delta=3))
