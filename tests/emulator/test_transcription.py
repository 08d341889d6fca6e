"""The emulator's transcriptions and translations: every answer valid against OpenAI's schema, and
OpenAI's refusals for what it refuses."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
import numpy as np
import pytest

from axio_omni.audio import encode_audio
from axio_omni.emulator import Emulator
from axio_omni.emulator.voice import RATE, decode_speech, encode_speech, voice_name, voice_number
from tests.helpers import schema_errors, sse_payloads


def wav(*turns: tuple[str, str]) -> bytes:
    return encode_audio(np.concatenate([encode_speech(text, RATE, voice) for voice, text in turns]), RATE, "wav")


async def post(emu: Emulator, path: str, audio: bytes, *fields: tuple[str, str]) -> tuple[int, str, bytes]:
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(audio), filename="a.wav", content_type="audio/wav")
    for k, v in fields:
        form.add_field(k, v)
    async with aiohttp.ClientSession() as s, s.post(emu.base_url + path, data=form) as r:
        return r.status, r.headers["Content-Type"], await r.read()


def test_voices_are_told_apart_and_words_are_timed() -> None:
    samples = np.concatenate([encode_speech("One two.", RATE, "nova"), encode_speech("Three.", RATE, "someone")])
    bursts = decode_speech(samples, RATE)
    assert [(b.voice, b.text) for b in bursts] == [
        ("nova", "One two."),
        (voice_name(voice_number("someone")), "Three."),
    ]
    words = [w for b in bursts for w in b.words]
    assert [w[0] for w in words] == ["One", "two.", "Three."]
    assert all(b.start < w[1] < w[2] <= b.end for b in bursts for w in b.words)


async def test_streamed_events_validate(emulator: Emulator) -> None:
    status, content_type, raw = await post(
        emulator,
        "/audio/transcriptions",
        wav(("alloy", "One two three.")),
        ("model", "gpt-4o-transcribe"),
        ("stream", "true"),
        ("include[]", "logprobs"),
    )
    events = list(sse_payloads(raw))
    assert status == 200 and content_type.startswith("text/event-stream")
    assert [e["type"] for e in events] == ["transcript.text.delta"] * 3 + ["transcript.text.done"]
    for event in events:
        assert schema_errors("CreateTranscriptionResponseStreamEvent", event) == []
    assert events[-1]["usage"]["type"] == "tokens" and len(events[-1]["logprobs"]) == 3


async def test_diarized_answers_and_streams_validate(emulator: Emulator) -> None:
    audio = wav(("alloy", "Hello."), ("echo", "Hi there."))
    fields = (("model", "gpt-4o-transcribe-diarize"), ("response_format", "diarized_json"))
    status, _, raw = await post(emulator, "/audio/transcriptions", audio, *fields)
    answer = json.loads(raw)
    assert status == 200 and schema_errors("CreateTranscriptionResponseDiarizedJson", answer) == []
    assert [s["speaker"] for s in answer["segments"]] == ["A", "B"]
    status, _, raw = await post(emulator, "/audio/transcriptions", audio, *fields, ("stream", "true"))
    events = list(sse_payloads(raw))
    assert [e["type"] for e in events].count("transcript.text.segment") == 2
    assert all(schema_errors("CreateTranscriptionResponseStreamEvent", e) == [] for e in events)


async def test_words_and_translations_validate(emulator: Emulator) -> None:
    audio = wav(("alloy", "Two words."))
    status, _, raw = await post(
        emulator,
        "/audio/transcriptions",
        audio,
        ("model", "whisper-1"),
        ("response_format", "verbose_json"),
        ("timestamp_granularities[]", "word"),
    )
    verbose = json.loads(raw)
    assert schema_errors("CreateTranscriptionResponseVerboseJson", verbose) == []
    assert [w["word"] for w in verbose["words"]] == ["Two", "words."] and "segments" not in verbose
    status, _, raw = await post(emulator, "/audio/translations", audio, ("model", "whisper-1"))
    assert status == 200 and schema_errors("CreateTranslationResponseJson", json.loads(raw)) == []
    status, _, raw = await post(
        emulator, "/audio/translations", audio, ("model", "whisper-1"), ("response_format", "verbose_json")
    )
    assert schema_errors("CreateTranslationResponseVerboseJson", json.loads(raw)) == []


async def test_whisper_ignores_stream_as_openais_does(emulator: Emulator) -> None:
    status, content_type, raw = await post(
        emulator, "/audio/transcriptions", wav(("alloy", "Hi.")), ("model", "whisper-1"), ("stream", "true")
    )
    assert content_type == "application/json" and json.loads(raw)["text"] == "Hi."


@pytest.mark.parametrize(
    ("path", "fields", "param"),
    [
        ("/audio/transcriptions", [("response_format", "diarized_json")], "response_format"),
        ("/audio/transcriptions", [("timestamp_granularities[]", "word")], "timestamp_granularities"),
        ("/audio/transcriptions", [("model", "whisper-1"), ("include[]", "logprobs")], "include"),
        ("/audio/transcriptions", [("known_speaker_names[]", "Ann")], "known_speaker_names"),
        (
            "/audio/transcriptions",
            [("model", "gpt-4o-transcribe-diarize"), ("response_format", "verbose_json")],
            "response_format",
        ),
        ("/audio/transcriptions", [("model", "gpt-4o-transcribe-diarize"), ("prompt", "x")], "prompt"),
        (
            "/audio/transcriptions",
            [
                ("model", "gpt-4o-transcribe-diarize"),
                ("known_speaker_names[]", "Ann"),
                ("known_speaker_references[]", "https://example.com/a.wav"),
            ],
            "known_speaker_references[0]",
        ),
        ("/audio/translations", [("model", "gpt-4o-transcribe")], "model"),
        ("/audio/translations", [("model", "whisper-1"), ("response_format", "diarized_json")], "response_format"),
    ],
)
async def test_what_openai_refuses_is_refused(
    emulator: Emulator, path: str, fields: list[tuple[str, str]], param: str
) -> None:
    if not any(k == "model" for k, _ in fields):
        fields = [("model", "gpt-4o-transcribe"), *fields]
    status, _, raw = await post(emulator, path, wav(("alloy", "Hi.")), *fields)
    answer: dict[str, Any] = json.loads(raw)
    assert status == 400 and answer["error"]["param"] == param
    assert schema_errors("ErrorResponse", answer) == []


async def test_long_diarization_needs_a_chunking_strategy(emulator: Emulator) -> None:
    audio = wav(*[("alloy", f"Sentence number {i} is here.") for i in range(12)])
    fields = (("model", "gpt-4o-transcribe-diarize"), ("response_format", "diarized_json"))
    status, _, raw = await post(emulator, "/audio/transcriptions", audio, *fields)
    assert status == 400 and json.loads(raw)["error"]["param"] == "chunking_strategy"
    status, _, _ = await post(emulator, "/audio/transcriptions", audio, *fields, ("chunking_strategy", "auto"))
    assert status == 200
