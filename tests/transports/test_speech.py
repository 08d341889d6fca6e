"""TTS and STT transports against the emulator: formats, long inputs, retries, errors, round trips."""

from __future__ import annotations

import io
import json
import socket
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from aiohttp import web
from aiohttp.test_utils import TestServer
from axio.transport import STTTransport, TTSTransport

from axio_omni import (
    BadRequestError,
    ConfigurationError,
    ConnectError,
    InternalServerError,
    OpenAISTTTransport,
    OpenAITTSTransport,
    RetryPolicy,
    StreamCutError,
    from_dict,
)
from axio_omni.audio import encode_audio, float_to_pcm16, resample
from axio_omni.calls import recording
from axio_omni.emulator import Emulator
from axio_omni.emulator.voice import RATE, encode_speech
from tests.helpers import schema_errors

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retries=2)
SENTENCE = "The quick brown fox jumps over the lazy dog."


def tts(emu: Emulator, **kw: Any) -> OpenAITTSTransport:
    kw.setdefault("retry", FAST)
    return OpenAITTSTransport(base_url=emu.base_url, **kw)


def stt(emu: Emulator, **kw: Any) -> OpenAISTTTransport:
    kw.setdefault("retry", FAST)
    return OpenAISTTTransport(base_url=emu.base_url, **kw)


async def speak(t: OpenAITTSTransport, text: str) -> list[bytes]:
    return [chunk async for chunk in t.synthesize(text)]


@pytest.mark.parametrize(
    ("fmt", "media"),
    [
        ("wav", "audio/wav"),
        ("mp3", "audio/mpeg"),
        ("opus", "audio/ogg"),
        ("flac", "audio/flac"),
        ("pcm", "audio/pcm;rate=24000"),
    ],
)
async def test_round_trip_in_every_format(emulator: Emulator, fmt: str, media: str) -> None:
    chunks = await speak(tts(emulator, response_format=fmt), SENTENCE)
    assert await stt(emulator).transcribe(b"".join(chunks), media) == SENTENCE
    assert schema_errors("CreateSpeechRequest", emulator.requests[0].body) == []


async def test_audio_streams_in_chunks(emulator: Emulator) -> None:
    chunks = await speak(tts(emulator, response_format="wav"), " ".join([SENTENCE] * 10))
    assert len(chunks) > 1 and all(chunks)  # as the server sent them, never one buffered blob
    assert isinstance(tts(emulator), TTSTransport) and isinstance(stt(emulator), STTTransport)


async def test_long_text_is_spoken_as_consecutive_requests_in_order(emulator: Emulator) -> None:
    sentences = [f"Sentence number {i} is spoken here." for i in range(12)]
    text = " ".join(sentences)
    chunks = await speak(tts(emulator, response_format="wav", max_chars=120), text)
    inputs = [r.body["input"] for r in emulator.requests]
    assert len(inputs) > 1 and all(len(i) <= 120 for i in inputs) and " ".join(inputs) == text
    audio = b"".join(chunks)
    samples, rate = sf.read(io.BytesIO(audio), dtype="float32")  # one valid WAV stream
    assert rate == RATE and len(samples) > 0
    assert await stt(emulator).transcribe(audio) == text


async def test_flac_cannot_span_several_requests(emulator: Emulator) -> None:
    with pytest.raises(ConfigurationError, match="FLAC"):
        tts(emulator, response_format="flac", max_chars=50).synthesize("A. " * 40)
    assert emulator.requests == []


async def test_retried_only_when_nothing_was_processed(emulator: Emulator) -> None:
    emulator.fail_next("status=429;retry_after_ms=5")
    emulator.fail_next("status=503")
    assert await speak(tts(emulator), SENTENCE)
    assert len(emulator.requests) == 3
    emulator.fail_next("status=500")
    with pytest.raises(InternalServerError):
        await speak(tts(emulator), SENTENCE)
    assert len(emulator.requests) == 4


async def test_no_connection_at_all_is_retried_then_raised() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = OpenAITTSTransport(base_url=f"http://127.0.0.1:{port}/v1", retry=FAST)
    with pytest.raises(ConnectError):
        await speak(t, SENTENCE)


async def test_a_cut_stream_is_never_retried(emulator: Emulator) -> None:
    emulator.fail_next("drop_after=2")
    received: list[bytes] = []
    with pytest.raises(StreamCutError):
        async for chunk in tts(emulator, response_format="wav").synthesize(SENTENCE * 4):
            received.append(chunk)
    assert received and len(emulator.requests) == 1


async def test_a_later_piece_is_retried_only_when_the_server_did_not_start_it(emulator: Emulator) -> None:
    """Retrying piece 2 after a 429 repeats nothing the listener heard; after a 500 it may bill twice."""
    text = "First part of the speech is here. Second part follows right after it."
    whole = b"".join([c async for c in tts(emulator, response_format="pcm", max_chars=60).synthesize(text)])
    emulator.state.requests.clear()
    stream = tts(emulator, response_format="pcm", max_chars=60).synthesize(text)
    first = await anext(stream)
    emulator.fail_next("status=429;retry_after_ms=1")
    rest = b"".join([c async for c in stream])
    assert first + rest == whole and len(emulator.requests) == 3
    stream = tts(emulator, response_format="pcm", max_chars=60).synthesize(text)
    await anext(stream)
    emulator.fail_next("status=500")
    with pytest.raises(InternalServerError):
        async for _ in stream:
            pass
    assert len(emulator.requests) == 5


async def test_arrays_at_a_chosen_rate(emulator: Emulator) -> None:
    for fmt in ("pcm", "mp3", "wav"):
        samples, rate = await tts(emulator, response_format=fmt).synthesize_array(SENTENCE, rate=16000)
        assert rate == 16000 and samples.dtype == np.float32 and len(samples) > 16000
        assert await stt(emulator).transcribe_array(samples, 16000) == SENTENCE


def test_tts_validation_and_round_trip() -> None:
    base: dict[str, Any] = {"base_url": "http://127.0.0.1:1/v1"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"speed": 5.0}, "speed"),
        ({"response_format": "ogg"}, "response_format"),
        ({"voice": ""}, "voice"),
        ({"max_chars": 5000}, "max_chars"),
    ]
    for bad, field in cases:
        with pytest.raises(ConfigurationError, match=field):
            OpenAITTSTransport(**base, **bad)
    t = OpenAITTSTransport(**base, voice="nova", speed=1.5, instructions="calm", response_format="opus")
    assert from_dict(t.to_dict()).to_dict() == t.to_dict()
    with pytest.raises(ConfigurationError, match="text"):
        t.synthesize("   ")


async def test_stt_sends_its_fields_and_raw_pcm_as_wav(emulator: Emulator) -> None:
    pcm16k = float_to_pcm16(resample(encode_speech(SENTENCE), RATE, 16000))
    t = stt(emulator, model="whisper-1", language="en", prompt="foxes", temperature=0.2)
    assert await t.transcribe(pcm16k, "audio/pcm;rate=16000") == SENTENCE
    sent = emulator.requests[0].body
    assert sent["model"] == "whisper-1" and sent["language"] == "en" and sent["prompt"] == "foxes"
    assert sent["temperature"] == "0.2" and sent["file"]["filename"] == "audio.wav"


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
async def test_stt_names_the_upload_by_its_real_format(emulator: Emulator, fmt: str) -> None:
    data = encode_audio(encode_speech(SENTENCE), RATE, fmt)
    assert await stt(emulator).transcribe(data, "audio/wav") == SENTENCE  # the bytes win over the label
    assert emulator.requests[0].body["file"]["filename"] == f"audio.{fmt if fmt != 'mp3' else 'mp3'}"


@pytest.mark.parametrize(
    ("media", "message"), [("audio/pcm", "rate"), ("video/x-unknown", "takes wav"), ("nonsense", "media_type")]
)
async def test_stt_refuses_before_sending(emulator: Emulator, media: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await stt(emulator).transcribe(b"\x00\x01" * 100, media)
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [
        ("status=400;body=detail;message=Unsupported response_format: text", BadRequestError, "Unsupported"),
        ("status=500;body=text;message=Internal Server Error", InternalServerError, "Internal Server Error"),
    ],
)
async def test_stt_error_shapes(emulator: Emulator, fault: str, error: type[Exception], text: str) -> None:
    emulator.fail_next(fault, times=3)
    with pytest.raises(error, match=text):
        await stt(emulator).transcribe(encode_audio(encode_speech("x."), RATE, "wav"))


@pytest.mark.parametrize(
    ("audio", "media_type", "reason"),
    [
        (b"RIFF" + b"\x00" * 4 + b"WAVE" + b"junk" * 10, "audio/wav", "cut short"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00", "audio/wav", "fmt chunk"),
        (bytes(range(256)) * 4, "audio/wav", "no audio format"),
        (b"\x00\x01" * 512, "audio/mpeg", "no audio format"),
        (b"\x00\x01" * 512, "audio/pcm;channels=0;rate=16000", "channels"),
        (b"\x00\x01" * 512, "audio/pcm;rate=16000;channels=abc", "channels"),
        (b"\x00\x01" * 512, "audio/pcm;rate=fast", "rate"),
        (b"\x00\x01\x02", "audio/pcm;rate=16000", "16-bit frames"),
    ],
)
async def test_audio_that_cannot_be_transcribed_is_refused_before_sending(
    emulator: Emulator, audio: bytes, media_type: str, reason: str
) -> None:
    with pytest.raises(ConfigurationError, match=reason) as info:
        await stt(emulator).transcribe(audio, media_type)
    assert media_type in str(info.value) and emulator.requests == []


async def test_a_wav_cut_inside_its_samples_is_still_sent(emulator: Emulator) -> None:
    """A recording cut short keeps its header's size; decoders read what is there, and so does the server."""
    wav = encode_audio(encode_speech(SENTENCE), RATE, "wav")
    assert await stt(emulator).transcribe(wav[: len(wav) - 4000]) == SENTENCE


async def test_stt_retries_resend_the_whole_form(emulator: Emulator) -> None:
    emulator.fail_next("status=503")
    assert await stt(emulator).transcribe(encode_audio(encode_speech(SENTENCE), RATE, "wav")) == SENTENCE
    assert len(emulator.requests) == 2 and emulator.requests[1].body["file"]["filename"] == "audio.wav"


async def test_a_long_recording_is_cut_at_pauses_and_timed_from_its_start(emulator: Emulator) -> None:
    sentences = [f"This is sentence {i} of a long recording." for i in range(30)]
    audio = encode_audio(encode_speech(" ".join(sentences)), RATE, "wav")
    assert len(audio) > 4 * 1024 * 1024
    whole = await stt(emulator, max_upload_bytes=64 * 1024 * 1024).transcribe_segments(audio)
    cut = await stt(emulator, max_upload_bytes=1024 * 1024, max_concurrency=3).transcribe_segments(audio)
    uploads = [r for r in emulator.requests if isinstance(r.body, dict) and r.body.get("file")]
    assert len(uploads) > 4 and cut.text == whole.text == " ".join(sentences)
    assert [s.text for s in cut.segments] == sentences
    assert all(
        abs(a.start - b.start) < 0.05 and abs(a.end - b.end) < 0.05
        for a, b in zip(cut.segments, whole.segments, strict=True)
    )
    assert cut.duration == pytest.approx(whole.duration, abs=0.1)


def test_stt_validation_and_round_trip() -> None:
    base: dict[str, Any] = {"base_url": "http://127.0.0.1:1/v1"}
    stt_cases: list[tuple[dict[str, Any], str]] = [
        ({"temperature": 2}, "temperature"),
        ({"response_format": "srt"}, "response_format"),
        ({"max_upload_bytes": 10}, "max_upload_bytes"),
        ({"extra_fields": {"a": 1}}, "extra_fields"),
    ]
    for bad, field in stt_cases:
        with pytest.raises(ConfigurationError, match=field):
            OpenAISTTTransport(**base, **bad)
    t = OpenAISTTTransport(**base, language="de", response_format="verbose_json", max_concurrency=2)
    assert from_dict(t.to_dict()).to_dict() == t.to_dict()


@pytest.mark.parametrize("fmt", ["wav", "pcm", "mp3"])
async def test_sse_speech_yields_the_same_bytes_as_raw_speech(emulator: Emulator, fmt: str) -> None:
    raw = b"".join(await speak(tts(emulator, model="gpt-4o-mini-tts", response_format=fmt), SENTENCE))
    sse = b"".join(
        await speak(tts(emulator, model="gpt-4o-mini-tts", response_format=fmt, stream_format="sse"), SENTENCE)
    )
    assert sse == raw
    assert emulator.requests[-1].body["stream_format"] == "sse" and "stream_format" not in emulator.requests[0].body


async def test_sse_speech_usage_reaches_the_call_record(emulator: Emulator) -> None:
    t = tts(emulator, model="gpt-4o-mini-tts", response_format="wav", stream_format="sse", max_chars=20)
    with recording() as calls:
        audio = b"".join(await speak(t, "First sentence here. And a second one."))
    assert len(calls) == 2 and all(c.usage and c.usage["total_tokens"] > 0 for c in calls)
    assert calls[-1].as_dict()["usage"] == calls[-1].usage
    assert await stt(emulator).transcribe(audio) == "First sentence here. And a second one."


async def test_sse_speech_cut_or_refused(emulator: Emulator) -> None:
    emulator.fail_next("drop_after=2")
    with pytest.raises(StreamCutError):
        await speak(tts(emulator, model="gpt-4o-mini-tts", stream_format="sse", retry=RetryPolicy.none()), SENTENCE)
    with pytest.raises(ConfigurationError, match="tts-1"):
        OpenAITTSTransport(base_url=emulator.base_url, model="tts-1", stream_format="sse")


async def test_a_server_that_ignores_stream_format_sends_raw_audio() -> None:
    """The answer's Content-Type decides: raw audio is passed through as it is (as Piper answers)."""
    seen: list[Any] = []

    async def speech(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.Response(body=b"ID3raw-mp3-bytes", content_type="audio/mpeg")

    app = web.Application()
    app.router.add_post("/v1/audio/speech", speech)
    async with TestServer(app, host="127.0.0.1") as server:
        base = str(server.make_url("/v1"))
        t = OpenAITTSTransport(base_url=base, model="gpt-4o-mini-tts", stream_format="sse")
        assert b"".join(await speak(t, "Hi.")) == b"ID3raw-mp3-bytes"
    assert seen[0]["stream_format"] == "sse"


async def test_the_sdks_sse_speech(emulator: Emulator) -> None:
    """openai's audio.speech with stream_format="sse": the events it reads carry the same audio."""
    import base64

    import openai

    client = openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0)
    async with client:
        raw = await client.audio.speech.create(
            model="gpt-4o-mini-tts", voice="alloy", input=SENTENCE, response_format="wav"
        )
        async with client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="alloy", input=SENTENCE, response_format="wav", stream_format="sse"
        ) as streamed:
            body = await streamed.read()
    events = [json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: ")]
    audio = b"".join(base64.b64decode(e["audio"]) for e in events if e["type"] == "speech.audio.delta")
    assert audio == raw.content and events[-1]["type"] == "speech.audio.done" and events[-1]["usage"]["total_tokens"]
