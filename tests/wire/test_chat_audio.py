"""Spoken chat replies without a socket: delta.audio read from a stream, and the reply sent back."""

from __future__ import annotations

import base64
import json
from typing import Any

from axio.blocks import AudioBlock, ProviderBlock, TextBlock, ToolUseBlock
from axio.events import AudioOutput, IterationEnd, ProviderOutput, TextDelta
from axio.messages import Message
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.wire.chat_audio import assistant_audio, audio_request
from axio_omni.wire.chat_request import chat_messages
from axio_omni.wire.chat_stream import ChatStreamDecoder
from tests.helpers import schema_errors, split_at


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-audio-preview",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


PCM = bytes(range(256)) * 8
CHUNKS = [
    chunk({"role": "assistant", "content": None}),
    chunk({"audio": {"id": "audio_1", "transcript": "Hel"}}),
    chunk({"audio": {"transcript": "lo."}}),
    chunk({"audio": {"data": base64.b64encode(PCM[:1000]).decode()}}),
    chunk({"audio": {"data": base64.b64encode(PCM[1000:]).decode()}}),
    chunk({"audio": {"expires_at": 1_900_000_000}}),
    chunk({}, "stop"),
]


@given(st.lists(st.integers(0, 3000), max_size=6))
def test_a_spoken_reply_reads_the_same_wherever_the_bytes_are_cut(cuts: list[int]) -> None:
    raw = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in CHUNKS) + b"data: [DONE]\n\n"
    decoder = ChatStreamDecoder(spoken="audio/pcm")
    events = [e for part in split_at(raw, cuts) for e in decoder.feed(part)] + decoder.close()
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "Hello."
    audio = [e for e in events if isinstance(e, AudioOutput)]
    assert b"".join(a.data for a in audio) == PCM and {a.media_type for a in audio} == {"audio/pcm"}
    ref, end = events[-2:]
    assert ref == ProviderOutput("openai", "chat.audio", {"id": "audio_1", "expires_at": 1_900_000_000}, 0, "audio_1")
    assert isinstance(end, IterationEnd)
    for c in CHUNKS:
        assert schema_errors("CreateChatCompletionStreamResponse", c) == []


def test_the_reply_goes_back_by_id_while_kept_and_as_text_after() -> None:
    ref = ProviderBlock(provider="openai", kind="chat.audio", data={"id": "audio_1", "expires_at": 1000}, id="audio_1")
    call = ToolUseBlock(id="call_1", name="f", input={})
    said = Message("assistant", [TextBlock("Hello."), AudioBlock("audio/pcm", b"\x00\x00"), ref, call])
    (live,) = chat_messages([said], "", now=900)
    assert live["audio"] == {"id": "audio_1"} and "content" not in live and live["tool_calls"][0]["id"] == "call_1"
    (gone,) = chat_messages([said], "", now=990)  # within the margin: the request could arrive too late
    assert gone["content"] == "Hello." and "audio" not in gone
    for message in (live, gone):
        assert schema_errors("ChatCompletionRequestAssistantMessage", message) == []
    assert assistant_audio({"id": "audio_2"}, now=0) == {"id": "audio_2"}  # no expiry given: kept
    assert assistant_audio({}, now=0) is None


def test_text_only_modalities_and_no_audio_ask_for_nothing_more() -> None:
    assert audio_request((), None, openai_host=True) is None
    assert audio_request(("text",), None, openai_host=True) == {"modalities": ["text"]}
