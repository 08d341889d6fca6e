"""The text-chunk shortcut changes nothing but speed: the same events with and without it."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from axio.events import StreamEvent, TextDelta, ToolInputDelta, ToolUseStart
from hypothesis import given, settings
from hypothesis import strategies as st

from axio_omni.errors import OmniError
from axio_omni.wire.chat_stream import ChatStreamDecoder
from axio_omni.wire.chunk_template import ARGUMENTS, ChunkTemplate, arguments_only, text_only
from tests.helpers import split_at, stream_bytes, stream_files


def run(pieces: list[bytes], templates: bool) -> list[StreamEvent] | str:
    decoder = ChatStreamDecoder(templates=templates)
    try:
        out = [e for p in pieces for e in decoder.feed(p)]
        return out + decoder.close()
    except OmniError as exc:
        return f"{type(exc).__name__}: {exc}"


def comparable(events: list[StreamEvent] | str) -> Any:
    """Events with generated call ids (servers that send none) numbered instead of random."""
    if isinstance(events, str):
        return events
    ids: dict[str, str] = {}
    out = []
    for e in events:
        tid = getattr(e, "tool_use_id", "")
        if isinstance(e, ToolUseStart) and tid not in ids:
            ids[tid] = f"id{len(ids)}" if tid.startswith("call_") and len(tid) == 29 else tid
        out.append(repr(e).replace(tid, ids[tid]) if tid in ids else repr(e))
    return out


@pytest.mark.parametrize("path", stream_files(), ids=lambda p: p.name)
def test_every_recording_gives_identical_events(path: pathlib.Path) -> None:
    raw = stream_bytes(path)
    assert comparable(run([raw], True)) == comparable(run([raw], False))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_identical_events_whatever_the_chunking(data: st.DataObject) -> None:
    raw = stream_bytes(data.draw(st.sampled_from(stream_files())))
    pieces = split_at(raw, data.draw(st.lists(st.integers(0, len(raw)), max_size=30)))
    assert comparable(run(pieces, True)) == comparable(run(pieces, False))


def frame(*chunks: str) -> bytes:
    return b"".join(b"data: " + c.encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


HEAD = '{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":'
TAIL = '},"finish_reason":null}]}'


@pytest.mark.parametrize(
    "tricky",
    [
        HEAD + '"x"},"finish_reason":"stop"}]}',  # same prefix, a finish reason in the tail
        HEAD + '"x","tool_calls":[]' + TAIL,  # another delta field after the content
        HEAD + '"x"' + TAIL[:-1] + ',"usage":{"prompt_tokens":1,"completion_tokens":2}}',  # usage appended
        HEAD + '"a\\"b\\u00e9\\n"' + TAIL,  # escapes in the literal itself
        HEAD + "null" + TAIL,  # not a string at all
        HEAD + '"x" ' + TAIL,  # whitespace: a different tail
        HEAD + '"<think>r</think>t"' + TAIL,  # text the think splitter must see
    ],
)
def test_chunks_that_differ_outside_the_literal_are_parsed_in_full(tricky: str) -> None:
    stream = frame(HEAD + '"one"' + TAIL, HEAD + '"two"' + TAIL, tricky, HEAD + '"three"' + TAIL)
    with_template, without = run([stream], True), run([stream], False)
    assert comparable(with_template) == comparable(without)


def test_template_is_learned_and_used() -> None:
    template = ChunkTemplate()
    first = HEAD + '"one"' + TAIL
    chunk = json.loads(first)
    content = text_only(chunk)
    assert content == "one"
    template.learn(first, chunk, None, content)
    assert template.match(HEAD + '"two \\u00e9"' + TAIL) == "two é"
    assert template.match(HEAD + '"two"},"finish_reason":"stop"}]}') is None
    assert template.match(HEAD + '"unterminated') is None


def test_a_layout_where_the_probe_fails_is_not_adopted() -> None:
    """A "content" key whose value equals the text but is not the delta's is never taken."""
    data = '{"meta":{"content":"same"},"choices":[{"index":0,"delta":{"content":"same"}}]}'
    chunk = json.loads(data)
    template = ChunkTemplate()
    template.learn(data, chunk, None, "same")
    # The first "content" (meta) fails the probe; the delta's one is adopted.
    assert template.match('{"meta":{"content":"same"},"choices":[{"index":0,"delta":{"content":"new"}}]}') == "new"
    assert template.match('{"meta":{"content":"other"},"choices":[{"index":0,"delta":{"content":"new"}}]}') is None


def test_text_only_refuses_chunks_with_more_to_read() -> None:
    base: dict[str, Any] = {"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}]}
    assert text_only(base) == "x"
    assert text_only(base | {"usage": {"prompt_tokens": 1}}) is None
    assert text_only({"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}]}) is None
    assert text_only({"choices": [{"index": 0, "delta": {"content": "x", "role": "assistant"}}]}) is None
    assert text_only({"choices": [{"index": 1, "delta": {"content": "x"}}]}) is None


def test_empty_content_gives_no_event() -> None:
    events = run([frame(HEAD + '""' + TAIL, HEAD + '"a"' + TAIL, HEAD + '""' + TAIL)], True)
    assert not isinstance(events, str)
    assert [e.delta for e in events if isinstance(e, TextDelta)] == ["a"]


ARGS_HEAD = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":'


def test_argument_fragments_are_read_by_their_layout_for_the_same_call_only() -> None:
    template = ChunkTemplate(ARGUMENTS)
    fragment = ARGS_HEAD + '{"tool_calls":[{"index":1,"function":{"arguments":"{\\"ci"}}]},"finish_reason":null}]}'
    chunk = json.loads(fragment)
    assert arguments_only(chunk) == (1, '{"ci')
    template.learn(fragment, chunk, 1, '{"ci')
    assert template.key == 1
    later = ARGS_HEAD + '{"tool_calls":[{"index":1,"function":{"arguments":"ty\\": 2"}}]},"finish_reason":null}]}'
    assert template.match(later) == 'ty": 2'
    other_call = later.replace('"index":1', '"index":2')
    assert template.match(other_call) is None


@pytest.mark.parametrize(
    "call",
    [
        {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": ""}},
        {"index": 0, "function": {"arguments": "x", "name": "f"}},
        {"function": {"arguments": "x"}},
        {"index": 0, "function": {"arguments": "x"}, "extra": 1},
    ],
)
def test_only_plain_fragments_count_as_arguments_only(call: dict[str, Any]) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]}
    assert arguments_only(chunk) is None


def test_many_argument_fragments_give_the_same_events_with_and_without_templates() -> None:
    head = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": ""}}
    pieces = [json.dumps({"q": "x" * 40, "n": list(range(30))})[i : i + 3] for i in range(0, 150, 3)]
    chunks = [{"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": None}}]}]
    chunks.append({"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"tool_calls": [head]}}]})
    for piece in pieces:
        call = {"index": 0, "function": {"arguments": piece}}
        chunks.append({"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
    chunks.append({"id": "c", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    raw = frame(*(json.dumps(c) for c in chunks))
    with_templates = run([raw], True)
    assert comparable(with_templates) == comparable(run([raw], False))
    assert "".join(e.partial_json for e in with_templates if isinstance(e, ToolInputDelta)) == "".join(pieces)
