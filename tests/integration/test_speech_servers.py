"""Real speech: Piper (local-tts-studio) speaks through OpenAITTSTransport, Whisper (faster-whisper-server)
listens through OpenAISTTTransport, and the sentence comes back. Word error rates are printed in the
test summary."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import numpy as np
import pytest

from axio_omni import (
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    OpenAISTTTransport,
    OpenAITTSTransport,
    RetryPolicy,
    TransportPool,
)
from axio_omni.audio import encode_audio, float_to_pcm16

pytestmark = pytest.mark.integration
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Please call me back after the meeting tomorrow morning.",
    "We need three tickets for the train to Boston.",
]
WER: list[tuple[str, float]] = []


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance between the word sequences, over the reference's length (case and punctuation ignored)."""
    ref, hyp = (re.findall(r"[a-z0-9']+", s.lower()) for s in (reference, hypothesis))
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(len(ref), 1)


def tts(url: str, **kw: Any) -> OpenAITTSTransport:
    kw.setdefault("response_format", "wav")
    kw.setdefault("model", "tts-1")
    return OpenAITTSTransport(base_url=url, **kw)


def stt(url: str, **kw: Any) -> OpenAISTTTransport:
    return OpenAISTTTransport(base_url=url, model="whisper-1", language="en", **kw)


async def test_piper_speech_comes_back_from_whisper(speech_urls: tuple[str, str]) -> None:
    piper, whisper = speech_urls
    for sentence in SENTENCES:
        audio = b"".join([chunk async for chunk in tts(piper).synthesize(sentence)])
        heard = await stt(whisper).transcribe(audio, "audio/wav")
        rate = word_error_rate(sentence, heard)
        WER.append((f"wav round trip: {sentence!r} -> {heard!r}", rate))
        assert rate <= 0.15, heard


async def test_raw_16khz_pcm(speech_urls: tuple[str, str]) -> None:
    piper, whisper = speech_urls
    samples, rate = await tts(piper, response_format="pcm").synthesize_array(SENTENCES[1], rate=16000)
    assert rate == 16000
    heard = await stt(whisper).transcribe(float_to_pcm16(samples), "audio/pcm;rate=16000")
    error = word_error_rate(SENTENCES[1], heard)
    WER.append((f"raw 16 kHz PCM: {heard!r}", error))
    assert error <= 0.15, heard


async def test_a_long_recording_is_cut_into_pieces_and_timed(speech_urls: tuple[str, str]) -> None:
    piper, whisper = speech_urls
    rate = 16000
    pause = np.zeros(int(0.8 * rate), np.float32)
    spoken = [(await tts(piper).synthesize_array(s, rate=rate))[0] for s in SENTENCES * 8]
    recording = np.concatenate([part for s in spoken for part in (s, pause)])
    audio = encode_audio(recording, rate, "wav")
    assert len(audio) > 2 * 1024 * 1024
    transcript = await stt(whisper, max_upload_bytes=1024 * 1024, max_concurrency=2).transcribe_segments(audio)
    reference = " ".join(SENTENCES * 8)
    error = word_error_rate(reference, transcript.text)
    WER.append((f"{len(recording) / rate:.0f} s recording in pieces of at most 1 MiB", error))
    assert error <= 0.15, transcript.text
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts) and transcript.segments[-1].end > 0.8 * len(recording) / rate


async def test_whisper_error_shapes(speech_urls: tuple[str, str]) -> None:
    _, whisper = speech_urls
    audio = encode_audio(np.zeros(16000, np.float32), 16000, "wav")
    with pytest.raises(BadRequestError, match="Unsupported response_format"):
        await stt(whisper, response_format="text", retry=RetryPolicy.none()).transcribe(audio)
    # A WAV that is only a header is refused here, before the upload.
    with pytest.raises(ConfigurationError, match="cut short"):
        await stt(whisper).transcribe(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    # An Ogg page header on garbage passes the local check; Whisper's decoder fails with a plain-text 500.
    with pytest.raises(InternalServerError) as info:
        await stt(whisper, retry=RetryPolicy.none()).transcribe(b"OggS" + bytes(range(256)) * 8, "audio/ogg")
    assert info.value.status == 500 and info.value.message


async def test_piper_pcm_rate_and_refused_formats(speech_urls: tuple[str, str]) -> None:
    piper, _ = speech_urls
    samples, rate = await tts(piper, response_format="pcm").synthesize_array("Hello.")
    assert rate == 22050 and len(samples) > 0  # its own rate, read from x-sample-rate
    with pytest.raises(BadRequestError) as info:
        await tts(piper, response_format="mp3", retry=RetryPolicy.none()).synthesize_array("Hello.")
    assert info.value.code == "unsupported_response_format"


async def test_a_connection_uvicorn_closed_for_idleness_is_not_reused(speech_urls: tuple[str, str]) -> None:
    """uvicorn closes a connection idle for 5 s; the pool stops reusing one after 4 s, so a transcription
    sent after 5.2 s idle, with retries off, goes out on a new connection and succeeds."""
    tts_url, stt_url = speech_urls
    audio = b"".join([c async for c in tts(tts_url).synthesize(SENTENCES[0])])
    async with TransportPool(limit=1) as pool:
        listener = stt(stt_url, pool=pool, retry=RetryPolicy.none())
        assert word_error_rate(SENTENCES[0], await listener.transcribe(audio)) < 0.2
        await asyncio.sleep(5.2)
        assert word_error_rate(SENTENCES[0], await listener.transcribe(audio)) < 0.2


async def test_whisper_translates_into_english(speech_urls: tuple[str, str]) -> None:
    """faster-whisper-server serves /v1/audio/translations: English speech comes back as English text,
    whole, with segments, and from a recording cut into pieces."""
    piper, whisper = speech_urls
    audio = b"".join([chunk async for chunk in tts(piper).synthesize(SENTENCES[0])])
    listener = OpenAISTTTransport(base_url=whisper, retry=RetryPolicy.none())
    heard = await listener.translate(audio, "audio/wav")
    error = word_error_rate(SENTENCES[0], heard)
    WER.append((f"translation: {heard!r}", error))
    assert error <= 0.15, heard
    segments = await listener.translate_segments(audio, "audio/wav")
    assert segments.segments and segments.segments[-1].end > 1.0
    rate = 16000
    pause = np.zeros(int(0.8 * rate), np.float32)
    spoken = [(await tts(piper).synthesize_array(s, rate=rate))[0] for s in SENTENCES * 6]
    long = encode_audio(np.concatenate([part for s in spoken for part in (s, pause)]), rate, "wav")
    cut = OpenAISTTTransport(base_url=whisper, max_upload_bytes=1024 * 1024, max_concurrency=2)
    assert word_error_rate(" ".join(SENTENCES * 6), await cut.translate(long)) <= 0.15
    with pytest.raises(BadRequestError, match="Unsupported response_format"):
        await OpenAISTTTransport(base_url=whisper, response_format="text", retry=RetryPolicy.none()).translate(audio)


async def test_servers_that_ignore_streaming_still_stream(speech_urls: tuple[str, str]) -> None:
    """Whisper ignores ``stream=true`` (its JSON answer is one piece); Piper ignores
    ``stream_format="sse"`` (its raw audio is the speech)."""
    piper, whisper = speech_urls
    plain = b"".join([chunk async for chunk in tts(piper).synthesize(SENTENCES[2])])
    speaker = tts(piper, model="gpt-4o-mini-tts", stream_format="sse")
    sse = b"".join([chunk async for chunk in speaker.synthesize(SENTENCES[2])])
    assert sse[:4] == b"RIFF" and abs(len(sse) - len(plain)) < len(plain) // 4
    stream = stt(whisper).transcribe_stream(sse, "audio/wav")
    pieces = [piece async for piece in stream]
    assert len(pieces) == 1 and word_error_rate(SENTENCES[2], pieces[0]) <= 0.15
    assert stream.transcript is not None and stream.transcript.text == pieces[0]
