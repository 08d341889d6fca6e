"""The rest of the transcription API against the emulator: streamed transcripts, diarization, word
times, translations, and the official SDK's calls for each."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import numpy as np
import openai
import pytest

from axio_omni import (
    ConfigurationError,
    OpenAISTTTransport,
    RetryPolicy,
    Segment,
    StreamCutError,
    TranscriptStream,
    from_dict,
)
from axio_omni.audio import encode_audio
from axio_omni.emulator import Emulator
from axio_omni.emulator.voice import RATE, encode_speech

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retries=2)
SENTENCE = "The quick brown fox jumps over the lazy dog."
DIARIZE = "gpt-4o-transcribe-diarize"


def stt(emu: Emulator, **kw: Any) -> OpenAISTTTransport:
    kw.setdefault("retry", FAST)
    return OpenAISTTTransport(base_url=emu.base_url, **kw)


def wav(text: str, voice: str = "alloy", rate: int = RATE) -> bytes:
    return encode_audio(encode_speech(text, rate, voice), rate, "wav")


def dialogue(*turns: tuple[str, str]) -> bytes:
    """Sentences said by different voices, one after another, as one WAV."""
    return encode_audio(np.concatenate([encode_speech(text, RATE, voice) for voice, text in turns]), RATE, "wav")


def reference(voice: str) -> str:
    """A known speaker's sample: three seconds of that voice, as a data URL."""
    samples = encode_speech("This is my voice. I speak like this.", RATE, voice)[: 3 * RATE]
    return "data:audio/wav;base64," + base64.b64encode(encode_audio(samples, RATE, "wav")).decode()


def sent(emu: Emulator, n: int = -1) -> dict[str, Any]:
    body = emu.requests[n].body
    assert isinstance(body, dict)
    return body


# ── streamed transcripts ─────────────────────────────────────────────────────────────────────────


async def test_a_streamed_transcript_arrives_in_pieces_that_join_into_the_text(emulator: Emulator) -> None:
    stream = stt(emulator, include=("logprobs",)).transcribe_stream(wav(SENTENCE))
    assert isinstance(stream, TranscriptStream) and emulator.requests == []  # nothing sent before iterating
    pieces = [piece async for piece in stream]
    assert len(pieces) == len(SENTENCE.split()) and "".join(pieces) == SENTENCE
    body = sent(emulator)
    assert body["stream"] == "true" and body["include[]"] == ["logprobs"] and body["response_format"] == "json"
    assert stream.text == SENTENCE and stream.usage is not None and stream.usage.total_tokens > 0
    assert [lp.token for lp in stream.logprobs] == pieces


async def test_a_server_that_ignores_stream_gives_the_whole_text_as_one_piece(emulator: Emulator) -> None:
    stream = stt(emulator, model="whisper-1").transcribe_stream(wav(SENTENCE))
    assert [piece async for piece in stream] == [SENTENCE]
    assert stream.usage is not None and stream.usage.seconds > 0 and stream.usage.total_tokens == 0


async def test_long_audio_streams_piece_by_piece_in_order(emulator: Emulator) -> None:
    sentences = [f"This is sentence {i} of a long recording." for i in range(30)]
    audio = wav(" ".join(sentences))
    stream = stt(emulator, max_upload_bytes=1024 * 1024).transcribe_stream(audio)
    text = "".join([piece async for piece in stream])
    uploads = [r for r in emulator.requests if isinstance(r.body, dict) and r.body.get("file")]
    assert len(uploads) > 4 and emulator.state.max_active == 1  # one piece at a time, in order
    assert stream.text == " ".join(sentences) and text.split() == stream.text.split()
    assert stream.usage is not None and stream.usage.input_tokens > 4 * 10


async def test_a_stream_is_retried_before_it_starts_and_never_after(emulator: Emulator) -> None:
    emulator.fail_next("status=503")
    assert "".join([p async for p in stt(emulator).transcribe_stream(wav(SENTENCE))]) == SENTENCE
    assert len(emulator.requests) == 2
    emulator.fail_next("drop_after=3")
    got: list[str] = []
    with pytest.raises(StreamCutError):
        async for piece in stt(emulator).transcribe_stream(wav(SENTENCE)):
            got.append(piece)
    assert got == ["The", " quick", " brown"] and len(emulator.requests) == 3  # not sent again


async def test_leaving_a_stream_early_releases_it(emulator: Emulator) -> None:
    async with stt(emulator).transcribe_stream(wav(SENTENCE)) as stream:
        async for _ in stream:
            break
    assert stream.transcript is None
    assert await stt(emulator).transcribe(wav("Still here.")) == "Still here."


async def test_stream_arguments_are_checked_before_anything_is_sent(emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="rate"):
        stt(emulator).transcribe_stream(b"\x00\x01" * 100, "audio/pcm")
    assert emulator.requests == []


# ── who spoke, and when each word was said ───────────────────────────────────────────────────────


async def test_diarized_segments_tell_the_speakers_apart(emulator: Emulator) -> None:
    audio = dialogue(("alloy", "Hello there."), ("nova", "Hi, how are you?"), ("alloy", "Fine, thanks."))
    t = await stt(emulator, model=DIARIZE, response_format="diarized_json").transcribe_segments(audio)
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("A", "Hello there."),
        ("B", "Hi, how are you?"),
        ("A", "Fine, thanks."),
    ]
    body = sent(emulator)
    assert body["response_format"] == "diarized_json" and body["chunking_strategy"] == "auto"


async def test_known_speakers_are_named_and_sent_with_every_piece(emulator: Emulator) -> None:
    turns = [("alloy", f"Alloy says line {i}.") if i % 2 else ("nova", f"Nova says line {i}.") for i in range(24)]
    audio = dialogue(*turns)
    known = {"known_speaker_names": ("Nina",), "known_speaker_references": (reference("nova"),)}
    whole = await stt(emulator, model=DIARIZE, response_format="diarized_json", **known).transcribe_segments(audio)
    assert {s.speaker for s in whole.segments} == {"Nina", "A"}
    cut = await stt(
        emulator, model=DIARIZE, response_format="diarized_json", max_upload_bytes=1024 * 1024, **known
    ).transcribe_segments(audio)
    uploads = [r.body for r in emulator.requests[1:] if isinstance(r.body, dict)]
    assert len(uploads) > 1 and all(u["known_speaker_names[]"] == ["Nina"] for u in uploads)
    assert [s.text for s in cut.segments] == [text for _, text in turns]
    nina = [s.speaker for s, (voice, _) in zip(cut.segments, turns, strict=True) if voice == "nova"]
    others = {s.speaker for s, (voice, _) in zip(cut.segments, turns, strict=True) if voice == "alloy"}
    assert set(nina) == {"Nina"}  # a known name is the same in every piece
    assert len(others) == len(uploads) and all((o or "").startswith("A#") for o in others)  # unknown: one label a piece


async def test_diarized_segments_stream_as_they_are_heard(emulator: Emulator) -> None:
    audio = dialogue(("alloy", "Hello there."), ("nova", "Hi."))
    stream = stt(emulator, model=DIARIZE, response_format="diarized_json").transcribe_stream(audio)
    assert "".join([p async for p in stream]) == "Hello there. Hi."
    assert [(s.speaker, s.text) for s in stream.segments] == [("A", "Hello there."), ("B", "Hi.")]
    assert stream.transcript is not None and stream.transcript.speakers == ("A", "B")


async def test_words_are_timed_and_offset_like_segments(emulator: Emulator) -> None:
    sentences = [f"Word timing sentence number {i}." for i in range(30)]
    audio = wav(" ".join(sentences))
    t = stt(emulator, model="whisper-1", timestamp_granularities=("word", "segment"))
    whole = await t.transcribe_segments(audio)
    assert [w.word for w in whole.words] == " ".join(sentences).split()
    assert all(w.start < w.end for w in whole.words) and whole.segments
    assert sent(emulator)["timestamp_granularities[]"] == ["word", "segment"]
    cut = await stt(
        emulator, model="whisper-1", timestamp_granularities=("word",), max_upload_bytes=1024 * 1024
    ).transcribe_segments(audio)
    assert [w.word for w in cut.words] == [w.word for w in whole.words]
    assert max(abs(a.start - b.start) for a, b in zip(cut.words, whole.words, strict=True)) < 0.05
    starts = [w.start for w in cut.words]
    assert starts == sorted(starts)


def test_known_speakers_and_diarization_settings_are_checked() -> None:
    base: dict[str, Any] = {"base_url": "http://127.0.0.1:1/v1", "model": DIARIZE, "response_format": "diarized_json"}
    ok = reference("nova")
    long_sample = "data:audio/wav;base64," + base64.b64encode(wav("A. " * 12)).decode()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"known_speaker_names": ("A",), "known_speaker_references": ()}, "pair up"),
        ({"known_speaker_names": ("A",), "known_speaker_references": ("https://x/a.wav",)}, "not a data URL"),
        ({"known_speaker_names": ("A",), "known_speaker_references": ("data:audio/wav;base64,@@",)}, "base64"),
        ({"known_speaker_names": ("A",), "known_speaker_references": (long_sample,)}, "2 to 10 seconds"),
        ({"known_speaker_names": tuple("ABCDE"), "known_speaker_references": (ok,) * 5}, "known_speaker_names"),
        ({"prompt": "names"}, "prompt"),
        ({"include": ("logprobs",)}, "include"),
        ({"chunking_strategy": {"type": "semantic"}}, "chunking_strategy"),
        ({"chunking_strategy": {"type": "server_vad", "threshold": 3}}, "threshold"),
        ({"response_format": "json", "known_speaker_names": ("A",), "known_speaker_references": (ok,)}, "diarized"),
        ({"include": ("tokens",), "response_format": "json"}, "include"),
        ({"timestamp_granularities": ("char",)}, "timestamp_granularities"),
    ]
    for bad, message in cases:
        with pytest.raises(ConfigurationError, match=message):
            OpenAISTTTransport(**{**base, **bad})
    t = OpenAISTTTransport(
        **base,
        known_speaker_names=("Nina",),
        known_speaker_references=(ok,),
        chunking_strategy={"type": "server_vad", "silence_duration_ms": 300},
    )
    assert from_dict(t.to_dict()).to_dict() == t.to_dict()
    back = from_dict(json.loads(json.dumps(t.to_dict())))
    assert isinstance(back, OpenAISTTTransport) and back.chunking_strategy == t.chunking_strategy


# ── translation ──────────────────────────────────────────────────────────────────────────────────


async def test_translation_goes_to_its_own_endpoint_with_whisper(emulator: Emulator) -> None:
    t = stt(emulator, prompt="travel")
    assert await t.translate(wav(SENTENCE)) == SENTENCE
    request = emulator.requests[-1]
    body = sent(emulator)
    assert request.path == "/v1/audio/translations" and body["model"] == "whisper-1" and body["prompt"] == "travel"
    assert "language" not in body
    verbose = await t.translate_segments(wav("One. Two!"))
    assert [s.text for s in verbose.segments] == ["One.", "Two!"] and verbose.duration


async def test_translation_splits_long_audio_and_refuses_what_transcription_refuses(emulator: Emulator) -> None:
    sentences = [f"Translated sentence {i} here." for i in range(30)]
    cut = await stt(emulator, max_upload_bytes=1024 * 1024).translate(wav(" ".join(sentences)))
    assert cut == " ".join(sentences) and all(r.path == "/v1/audio/translations" for r in emulator.requests)
    count = len(emulator.requests)
    with pytest.raises(ConfigurationError, match="rate"):
        await stt(emulator).translate(b"\x00\x01" * 100, "audio/pcm")
    assert len(emulator.requests) == count


# ── the official SDK against the emulator ────────────────────────────────────────────────────────


async def test_the_sdks_streamed_transcription_and_translation(emulator: Emulator) -> None:
    client = openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0)
    async with client:
        stream = await client.audio.transcriptions.create(
            model="gpt-4o-mini-transcribe", file=("a.wav", wav(SENTENCE)), stream=True, include=["logprobs"]
        )
        events = [event async for event in stream]
        assert "".join(e.delta for e in events if e.type == "transcript.text.delta") == SENTENCE
        done = events[-1]
        assert done.type == "transcript.text.done" and done.logprobs and done.usage is not None
        with warnings.catch_warnings():  # recent SDKs mark translations deprecated; the endpoint stays
            warnings.simplefilter("ignore", DeprecationWarning)
            translated = await client.audio.translations.create(model="whisper-1", file=("a.wav", wav(SENTENCE)))
        assert translated.text == SENTENCE
        diarized = await client.audio.transcriptions.create(
            model=DIARIZE,
            file=("a.wav", dialogue(("alloy", "Hello."), ("nova", "Hi."))),
            response_format="diarized_json",
            chunking_strategy="auto",
            known_speaker_names=["Nina"],
            known_speaker_references=[reference("nova")],
        )
        assert [(s.speaker, s.text) for s in diarized.segments] == [("A", "Hello."), ("Nina", "Hi.")]
        words = await client.audio.transcriptions.create(
            model="whisper-1",
            file=("a.wav", wav("Two words.")),
            response_format="verbose_json",
            timestamp_granularities=["word"],
        )
        assert [w.word for w in words.words or []] == ["Two", "words."]


def test_segments_are_public() -> None:
    assert Segment(0.0, 1.0, "x").speaker is None
