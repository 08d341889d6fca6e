"""Transcripts read in every shape, streamed transcript events, pieces joined, and form fields (sans-I/O)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.errors import InBandError, MalformedResponseError, StreamCutError
from axio_omni.wire.speech import SpeechEvents
from axio_omni.wire.sse import StreamDecoder
from axio_omni.wire.transcripts import (
    Segment,
    TokenLogprob,
    Transcript,
    TranscriptEvents,
    TranscriptUsage,
    Word,
    first_language,
    join_transcripts,
    read_transcription,
    transcription_fields,
    unsent,
)
from tests.helpers import schema_errors, split_at


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def test_transcriptions_in_every_shape() -> None:
    assert read_transcription(b'{"text": " Hello."}', "application/json").text == "Hello."
    assert read_transcription(b" plain text\n", "text/plain; charset=utf-8").text == "plain text"
    verbose = {
        "task": "transcribe",
        "language": "en",
        "duration": 2.5,
        "text": " A. B.",
        "segments": [{"start": 0.0, "end": 1.0, "text": " A."}, {"start": 1.2, "end": 2.4, "text": " B."}],
        "words": [{"word": "A.", "start": 0.1, "end": 0.5}, {"word": "B.", "start": 1.3, "end": 1.9}],
        "usage": {"type": "duration", "seconds": 3},
    }
    t = read_transcription(json.dumps(verbose).encode(), "application/json").shifted(10.0)
    assert (t.language, t.duration, [(s.start, s.end, s.text) for s in t.segments]) == (
        "en",
        2.5,
        [(10.0, 11.0, "A."), (11.2, 12.4, "B.")],
    )
    assert t.words == (Word("A.", 10.1, 10.5), Word("B.", 11.3, 11.9)) and t.usage == TranscriptUsage(seconds=3.0)
    with pytest.raises(MalformedResponseError, match="segments"):
        read_transcription(b'{"text": "x", "segments": [{"start": 1}]}', "application/json")
    with pytest.raises(MalformedResponseError, match="words"):
        read_transcription(b'{"text": "x", "words": [{"word": "x"}]}', "application/json")
    with pytest.raises(MalformedResponseError):
        read_transcription(b"<html>", "application/json")


def test_diarized_json_gives_each_segment_its_speaker_and_tokens_usage() -> None:
    answer = {
        "task": "transcribe",
        "duration": 4.0,
        "text": "Hi. Hello.",
        "segments": [
            {"type": "transcript.text.segment", "id": "seg_0", "start": 0.1, "end": 1.0, "text": "Hi.", "speaker": "A"},
            {
                "type": "transcript.text.segment",
                "id": "seg_1",
                "start": 1.5,
                "end": 2.0,
                "text": "Hello.",
                "speaker": "Ann",
            },
        ],
        "usage": {
            "type": "tokens",
            "input_tokens": 40,
            "input_token_details": {"audio_tokens": 38, "text_tokens": 2},
            "output_tokens": 3,
            "total_tokens": 43,
        },
    }
    assert schema_errors("CreateTranscriptionResponseDiarizedJson", answer) == []
    t = read_transcription(json.dumps(answer).encode(), "application/json")
    assert [s.speaker for s in t.segments] == ["A", "Ann"] and t.speakers == ("A", "Ann")
    assert t.usage == TranscriptUsage(40, 3, 43, 38)


def test_logprobs_and_languages_of_a_json_answer() -> None:
    answer = {
        "text": "Hi there",
        "languages": [{"code": "en"}],
        "logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}, {"token": " there", "logprob": -0.2}],
    }
    t = read_transcription(json.dumps(answer).encode(), "application/json")
    assert t.language == "en"
    assert t.logprobs == (TokenLogprob("Hi", -0.1, (72, 105)), TokenLogprob(" there", -0.2))


STREAM: list[dict[str, Any]] = [
    {"type": "transcript.text.delta", "delta": "The", "logprobs": [{"token": "The", "logprob": -0.5, "bytes": [84]}]},
    {"type": "transcript.text.delta", "delta": " fox", "logprobs": [{"token": " fox", "logprob": -0.25, "bytes": []}]},
    {
        "type": "transcript.text.done",
        "text": "The fox",
        "usage": {"type": "tokens", "input_tokens": 14, "output_tokens": 2, "total_tokens": 16},
    },
]


@given(st.lists(st.integers(0, 600), max_size=8))
def test_a_streamed_transcript_is_the_same_wherever_the_bytes_are_cut(cuts: list[int]) -> None:
    reader = TranscriptEvents()
    decoder = StreamDecoder(reader)
    out: list[Any] = []
    for part in split_at(sse(*STREAM), cuts):
        out += decoder.feed(part)
    out += decoder.close()
    assert [x for x in out if isinstance(x, str)] == ["The", " fox"]
    assert isinstance(out[-1], Transcript) and out[-1].text == "The fox"
    assert out[-1].usage == TranscriptUsage(14, 2, 16)
    # The done event carried none, so the deltas' log-probabilities are the transcript's.
    assert [lp.token for lp in out[-1].logprobs] == ["The", " fox"]


def test_every_event_the_reader_takes_is_one_the_spec_describes() -> None:
    for event in STREAM:
        assert schema_errors("CreateTranscriptionResponseStreamEvent", event) == []


def test_a_server_that_sends_text_only_at_the_end_gives_it_as_one_piece() -> None:
    decoder = StreamDecoder(TranscriptEvents())
    out = decoder.feed(sse({"type": "transcript.text.done", "text": "Whole."})) + decoder.close()
    assert out[0] == "Whole." and isinstance(out[1], Transcript)
    decoder = StreamDecoder(TranscriptEvents())
    events = [{"type": "transcript.text.delta", "delta": "Who"}, {"type": "transcript.text.done", "text": "Whole."}]
    assert [x for x in decoder.feed(sse(*events)) if isinstance(x, str)] == ["Who", "le."]


def test_diarized_segments_stream_as_they_are_heard() -> None:
    segment = {"type": "transcript.text.segment", "id": "s", "start": 0.0, "end": 1.0, "text": "Hi.", "speaker": "A"}
    decoder = StreamDecoder(TranscriptEvents())
    out = decoder.feed(sse({"type": "transcript.text.delta", "delta": "Hi."}, segment))
    out += decoder.feed(sse({"type": "transcript.text.done", "text": "Hi."})) + decoder.close()
    assert out[:2] == ["Hi.", Segment(0.0, 1.0, "Hi.", "A")]
    assert isinstance(out[-1], Transcript) and out[-1].segments == (Segment(0.0, 1.0, "Hi.", "A"),)


def test_a_cut_or_failed_transcript_stream_raises() -> None:
    decoder = StreamDecoder(TranscriptEvents())
    decoder.feed(sse({"type": "transcript.text.delta", "delta": "Hal"}))
    with pytest.raises(StreamCutError, match="transcript.text.done"):
        decoder.close()
    with pytest.raises(InBandError, match="overloaded"):
        StreamDecoder(TranscriptEvents()).feed(sse({"type": "error", "error": {"message": "overloaded"}}))
    with pytest.raises(MalformedResponseError):
        StreamDecoder(TranscriptEvents()).feed(b"data: {not json\n\n")


def test_pieces_join_with_unknown_speakers_kept_apart() -> None:
    first = Transcript(
        "Hi.", "en", 10.0, (Segment(0, 1, "Hi.", "A"), Segment(2, 3, "Yo.", "Ann")), (Word("Hi.", 0, 1),)
    )
    second = Transcript("Bye.", None, 5.0, (Segment(11, 12, "Bye.", "A"),), (), TranscriptUsage(seconds=5.0))
    joined = join_transcripts([first, second], known_speakers=["Ann"])
    assert joined.text == "Hi. Bye." and joined.duration == 15.0 and joined.language == "en"
    assert [s.speaker for s in joined.segments] == ["A#1", "Ann", "A#2"]
    assert joined.usage == TranscriptUsage(seconds=5.0) and joined.words == (Word("Hi.", 0, 1),)
    assert join_transcripts([first]) is first  # one piece: the server's own labels


def test_form_fields_are_encoded_as_openais_sdk_sends_them() -> None:
    fields = transcription_fields(
        model="gpt-4o-transcribe-diarize",
        response_format="diarized_json",
        temperature=0,
        include=(),
        chunking_strategy={"type": "server_vad", "threshold": 0.4},
        known_speaker_names=("Ann", "Bob"),
        known_speaker_references=("data:audio/wav;base64,AA", "data:audio/wav;base64,BB"),
        stream=True,
    )
    assert fields == [
        ("model", "gpt-4o-transcribe-diarize"),
        ("response_format", "diarized_json"),
        ("temperature", "0.0"),
        ("known_speaker_names[]", "Ann"),
        ("known_speaker_names[]", "Bob"),
        ("known_speaker_references[]", "data:audio/wav;base64,AA"),
        ("known_speaker_references[]", "data:audio/wav;base64,BB"),
        ("chunking_strategy[type]", "server_vad"),
        ("chunking_strategy[threshold]", "0.4"),
        ("stream", "true"),
    ]
    word = transcription_fields(model="whisper-1", response_format="verbose_json", timestamp_granularities=("word",))
    assert ("timestamp_granularities[]", "word") in word


def test_speech_events_decode_audio_and_keep_usage() -> None:
    audio = bytes(range(256)) * 10
    events: list[dict[str, Any]] = [
        {"type": "speech.audio.delta", "audio": base64.b64encode(audio[:1000]).decode()},
        {"type": "speech.audio.delta", "audio": base64.b64encode(audio[1000:]).decode()},
        {"type": "speech.audio.done", "usage": {"input_tokens": 3, "output_tokens": 50, "total_tokens": 53}},
    ]
    for event in events:
        assert schema_errors("CreateSpeechResponseStreamEvent", event) == []
    reader = SpeechEvents()
    decoder = StreamDecoder(reader)
    out = b"".join(decoder.feed(sse(*events)) + decoder.close())
    assert out == audio and reader.usage == {"input_tokens": 3, "output_tokens": 50, "total_tokens": 53}
    cut = StreamDecoder(SpeechEvents())
    cut.feed(sse(events[0]))
    with pytest.raises(StreamCutError, match="speech.audio.done"):
        cut.close()
    with pytest.raises(MalformedResponseError, match="base64"):
        StreamDecoder(SpeechEvents()).feed(sse({"type": "speech.audio.delta", "audio": "%%%"}))


@given(st.text(max_size=20), st.text(max_size=20))
def test_unsent_is_what_the_final_text_adds_to_the_deltas(seen: str, more: str) -> None:
    assert seen + unsent(seen + more, seen) == seen + more
    assert unsent("", "") == ""
    if not (seen + more).startswith("x" + seen):
        assert unsent(seen + more, "x" + seen) == ""  # deltas that disagree with it: nothing added


def test_first_language_reads_the_languages_list_and_nothing_else() -> None:
    assert first_language([{"code": "en", "probability": 0.9}, {"code": "fr"}]) == "en"
    unreadable: list[Any] = [None, [], "en", [{}], [{"code": 5}], ["en"]]
    for raw in unreadable:
        assert first_language(raw) is None
