"""The SSE decoder gives the same events whatever the chunk boundaries and line endings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.wire.sse import SSEDecoder, SSEError, SSEEvent
from tests.helpers import split_at


def decode_all(pieces: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    out: list[SSEEvent] = []
    for piece in pieces:
        out.extend(decoder.decode(piece))
    out.extend(decoder.decode(b"", final=True))
    return out


def test_data_lines_join_with_lf_and_fields_are_read() -> None:
    raw = b"event: update\nid: 7\nretry: 1500\ndata: a\ndata:b\n\n"
    assert decode_all([raw]) == [SSEEvent("a\nb", "update", "7", 1500)]


def test_comments_and_unknown_fields_are_skipped() -> None:
    raw = b": OPENROUTER PROCESSING\n\nfoo: bar\ndata: x\n\n"
    assert decode_all([raw]) == [SSEEvent("x")]


def test_blank_line_without_data_dispatches_nothing_and_resets_event_type() -> None:
    raw = b"event: error\n\ndata: plain\n\n"
    assert decode_all([raw]) == [SSEEvent("plain")]


def test_empty_data_line_dispatches_an_empty_event() -> None:
    assert decode_all([b"data:\n\n"]) == [SSEEvent("")]


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(newline: bytes) -> None:
    raw = newline.join([b"data: one", b"", b"data: two", b"", b""])
    assert [e.data for e in decode_all([raw])] == ["one", "two"]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    assert [e.data for e in decode_all([b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"])] == ["a", "b"]


def test_multibyte_utf8_split_across_chunks() -> None:
    raw = "data: héllo ✓ 😀\n\n".encode()
    pieces = [raw[i : i + 1] for i in range(len(raw))]
    assert decode_all(pieces) == [SSEEvent("héllo ✓ 😀")]


def test_leading_bom_is_dropped_even_when_split() -> None:
    assert decode_all([b"\xef", b"\xbb\xbfdata: x\n\n"]) == [SSEEvent("x")]


def test_unterminated_last_event_is_dispatched_at_end_of_input() -> None:
    assert decode_all([b"data: x\n\ndata: [DONE]"]) == [SSEEvent("x"), SSEEvent("[DONE]")]


def test_oversized_event_raises_even_without_newlines() -> None:
    decoder = SSEDecoder(max_event_bytes=64)
    with pytest.raises(SSEError):
        for _ in range(10):
            decoder.decode(b"data: " + b"x" * 20)
    decoder = SSEDecoder(max_event_bytes=64)
    with pytest.raises(SSEError):
        decoder.decode(b"data: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" * 4)


def test_bound_is_per_event() -> None:
    decoder = SSEDecoder(max_event_bytes=64)
    events = decoder.decode(b"data: " + b"y" * 40 + b"\n\n" + b"data: " + b"z" * 40 + b"\n\n")
    assert len(events) == 2


_TEXT = st.text(alphabet=st.characters(codec="utf-8", blacklist_characters="\r\n"))
_line = st.one_of(
    st.builds(
        lambda s: b"data: " + s.encode(),
        _TEXT,
    ),
    st.builds(lambda s: b"event: " + s.encode(), st.text(alphabet="abcxyz_", min_size=1)),
    st.builds(
        lambda s: b":" + s.encode(),
        _TEXT,
    ),
    st.just(b""),
)


@given(
    lines=st.lists(_line, max_size=30),
    newline=st.sampled_from([b"\n", b"\r", b"\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
def test_chunk_boundaries_do_not_change_events(lines: list[bytes], newline: bytes, cuts: list[int]) -> None:
    raw = newline.join(lines) + newline + newline
    assert decode_all(split_at(raw, cuts)) == decode_all([raw])


@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=8))
def test_arbitrary_bytes_never_crash_and_are_boundary_independent(data: bytes, cuts: list[int]) -> None:
    assert decode_all(split_at(data, cuts)) == decode_all([data])
