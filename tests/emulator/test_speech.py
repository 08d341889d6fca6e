"""The emulator's speech endpoints: real audio, schema-valid transcriptions, OpenAI's error shape."""

from __future__ import annotations

from typing import Any

import aiohttp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axio_omni.audio import decode_audio, encode_audio, resample, sniff_media_type
from axio_omni.emulator import Emulator
from axio_omni.emulator.voice import RATE, decode_speech, encode_speech
from tests.helpers import schema_errors


@settings(max_examples=25)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(
                codec="utf-8",
                exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
                exclude_characters=".!?\x1c\x1d\x1e\x1f\x85",
            ),
            min_size=1,
            max_size=30,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_tone_code_round_trips_any_text(words: list[str]) -> None:
    text = ". ".join(words) + "."
    decoded = " ".join(b.text for b in decode_speech(encode_speech(text), RATE))
    assert decoded == text


@pytest.mark.parametrize(("fmt", "rate"), [("mp3", 24000), ("opus", 24000), ("ogg", 24000), ("wav", 8000)])
def test_tone_code_survives_codecs_and_rates(fmt: str, rate: int) -> None:
    text = "Codecs keep the words. Rates do too!"
    samples = resample(encode_speech(text), RATE, rate)
    back, got = decode_audio(encode_audio(samples, rate, fmt))
    assert " ".join(b.text for b in decode_speech(back, got)) == text


def test_noise_is_not_speech() -> None:
    noise = np.random.default_rng(0).standard_normal(RATE * 3).astype(np.float32) * 0.3
    assert decode_speech(noise, RATE) == [] and decode_speech(np.zeros(100, np.float32), RATE) == []


async def speech(emu: Emulator, body: dict[str, Any]) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as s, s.post(emu.base_url + "/audio/speech", json=body) as r:
        return r.status, r.headers["Content-Type"], await r.read()


@pytest.mark.parametrize(
    ("fmt", "kind"), [("mp3", "audio/mpeg"), ("opus", "audio/ogg"), ("flac", "audio/flac"), ("wav", "audio/wav")]
)
async def test_speech_is_real_audio_of_the_format(emulator: Emulator, fmt: str, kind: str) -> None:
    status, content_type, audio = await speech(
        emulator, {"model": "tts-1", "input": "Hi.", "voice": "alloy", "response_format": fmt}
    )
    assert status == 200 and content_type == kind and sniff_media_type(audio) == kind


async def test_pcm_is_24khz_16bit_mono(emulator: Emulator) -> None:
    status, _, audio = await speech(
        emulator, {"model": "tts-1", "input": "Hi there.", "voice": "alloy", "response_format": "pcm"}
    )
    samples, rate = decode_audio(audio, "audio/pcm;rate=24000")
    assert status == 200 and len(audio) % 2 == 0
    assert [b.text for b in decode_speech(samples, rate)] == ["Hi there."]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "tts-1", "input": "", "voice": "alloy"}, "non-empty"),
        ({"model": "tts-1", "input": "x" * 4097, "voice": "alloy"}, "too long"),
        ({"model": "tts-1", "input": "x"}, "voice"),
        ({"model": "tts-1", "input": "x", "voice": "alloy", "speed": 9}, "speed"),
        ({"model": "tts-1", "input": "x", "voice": "alloy", "response_format": "aac"}, "no AAC encoder"),
    ],
)
async def test_speech_refusals(emulator: Emulator, body: dict[str, Any], message: str) -> None:
    async with aiohttp.ClientSession() as s, s.post(emulator.base_url + "/audio/speech", json=body) as r:
        answer = await r.json()
    assert r.status == 400 and message in answer["error"]["message"]
    assert schema_errors("ErrorResponse", answer) == []


async def transcribe(emu: Emulator, audio: bytes, **fields: str) -> tuple[int, str, bytes]:
    form = aiohttp.FormData()
    form.add_field("file", audio, filename="a.wav", content_type="audio/wav")
    for k, v in {"model": "whisper-1", **fields}.items():
        form.add_field(k, v)
    async with aiohttp.ClientSession() as s, s.post(emu.base_url + "/audio/transcriptions", data=form) as r:
        return r.status, r.headers["Content-Type"], await r.read()


async def test_transcription_formats_validate(emulator: Emulator) -> None:
    import json

    audio = encode_audio(encode_speech("One. Two!"), RATE, "wav")
    status, _, raw = await transcribe(emulator, audio)
    assert status == 200 and schema_errors("CreateTranscriptionResponseJson", json.loads(raw)) == []
    status, _, raw = await transcribe(emulator, audio, response_format="verbose_json", language="en")
    verbose = json.loads(raw)
    assert schema_errors("CreateTranscriptionResponseVerboseJson", verbose) == []
    assert [s["text"] for s in verbose["segments"]] == ["One.", "Two!"] and verbose["language"] == "en"
    status, content_type, raw = await transcribe(emulator, audio, response_format="text")
    assert content_type.startswith("text/plain") and raw.decode().strip() == "One. Two!"
    status, _, raw = await transcribe(emulator, audio, response_format="srt")
    assert raw.decode().startswith("1\n00:00:00,") and "Two!" in raw.decode()


async def test_bad_audio_is_openais_400(emulator: Emulator) -> None:
    import json

    status, _, raw = await transcribe(emulator, b"not audio at all")
    assert status == 400 and "Invalid file format" in json.loads(raw)["error"]["message"]
