"""``OpenAISTTTransport``: axio's ``STTTransport`` over ``POST /v1/audio/transcriptions``.

Every format OpenAI accepts is sent as multipart (wav, mp3, mpga, m4a, mp4, webm, flac, ogg).
Raw PCM (``audio/pcm;rate=N``) and numpy arrays are wrapped into WAV for the caller. A recording
over the 25 MB a request takes is cut at quiet moments (``audio/split.py``); the pieces are
transcribed concurrently over the pool and joined in order. ``transcribe_segments`` returns
segments whose times count from the start of the whole recording.

Audio is checked before anything is sent: bytes that are no audio format the endpoint takes, a
WAV whose header is cut short, or raw PCM without a valid rate or channel count are refused with
the reason. Each request is ``UNSTARTED`` (``retry.Repeat``): a transcription is billed by the
minute, so it is sent again only when the server cannot have started the first one.
"""

from __future__ import annotations

import asyncio
import io
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

import aiohttp
import numpy as np
import numpy.typing as npt
import soundfile as sf
from axio.transport import STTTransport

from .. import telemetry
from ..audio import encode_audio, extension_for, parse_media_type, sniff_media_type
from ..audio.media import audio_problem
from ..audio.split import Piece, iter_pieces
from ..errors import ConfigurationError
from ..fields import setting
from ..retry import Repeat
from ..rules import Choice, Number, StringMap, Text
from ..timeouts import Budget
from ..wire.speech import Transcript, read_transcription
from .base import HTTPTransport
from .concurrency import all_or_nothing
from .http import read_all

__all__ = ["OpenAISTTTransport"]

MAX_UPLOAD = 25 * 1024 * 1024
#: Room left for the multipart envelope and form fields.
_HEADROOM = 64 * 1024
_DECODABLE = {"wav", "flac", "ogg", "mp3", "mpga"}
#: The sample rates taken for raw PCM and arrays, and how an error says so.
_RATES = (1000, 384000)
_RATE_WORDS = f"an integer from {_RATES[0]} to {_RATES[1]} Hz"


@dataclass(frozen=True, slots=True)
class _Recording:
    """A recording over the upload limit: its bytes (a format soundfile reads), to be cut into pieces."""

    data: bytes
    piece_seconds: float


@dataclass(frozen=True, slots=True)
class _Upload:
    data: bytes
    filename: str
    content_type: str
    start: float = 0.0


@dataclass(slots=True, kw_only=True)
class OpenAISTTTransport(HTTPTransport, STTTransport):
    """Transcriptions from any OpenAI-compatible ``/audio/transcriptions`` endpoint."""

    type_name = "openai-stt"
    display_name: ClassVar[str] = "OpenAI transcription (axio-omni)"

    model: str = setting("gpt-4o-mini-transcribe", Text())
    language: str | None = setting(None, Text(optional=True))
    prompt: str | None = setting(None, Text(optional=True, empty=True))
    temperature: float | None = setting(None, Number(0, 1, optional=True))
    response_format: Literal["json", "text", "verbose_json"] = setting("json", Choice("json", "text", "verbose_json"))
    #: Bytes one request may carry; longer recordings are cut into pieces.
    max_upload_bytes: int = setting(MAX_UPLOAD, Number(1024 * 1024, integer=True))
    max_concurrency: int = setting(4, Number(1, integer=True))
    extra_fields: Mapping[str, str] = setting(default_factory=dict, rule=StringMap())

    # ── the axio protocol and richer forms ─────────────────────────────────────────────────────

    async def transcribe(self, audio: bytes, media_type: str = "audio/wav") -> str:
        """The text of ``audio``; raw PCM needs its rate, e.g. ``audio/pcm;rate=16000``."""
        return (await self._run(audio, media_type, self.response_format)).text

    async def transcribe_array(self, samples: npt.ArrayLike, rate: int) -> str:
        """The text of float samples (mono, or ``(n, channels)``) at ``rate`` Hz."""
        return await self.transcribe(_as_wav(samples, rate), "audio/wav")

    async def transcribe_segments(self, audio: bytes, media_type: str = "audio/wav") -> Transcript:
        """Text, language, duration and segments (``verbose_json``), times from the recording's start."""
        return await self._run(audio, media_type, "verbose_json")

    async def _run(self, audio: bytes, media_type: str, response_format: str) -> Transcript:
        prepared = self._prepare(audio, media_type)
        self._require_key()
        session = self._session()
        budget = Budget.start(self.timeouts.total)
        asked = {"gen_ai.output.type": "text", "axio_omni.request.language": self.language}
        with telemetry.span(lambda: telemetry.Call("transcription", self.model, self.base_url, asked)) as traced:
            if isinstance(prepared, _Upload):
                transcript = await self._send(session, prepared, response_format, budget)
            else:
                transcript = await self._pieces(session, prepared, response_format, budget)
            if traced is not None:
                traced.set("axio_omni.audio.seconds", transcript.duration or _seconds(prepared.data))
                traced.set("axio_omni.response.language", transcript.language)
            return transcript

    # ── preparing what is sent ─────────────────────────────────────────────────────────────────

    def _prepare(self, audio: bytes, media_type: str) -> _Upload | _Recording:
        """One upload, or a recording that must be cut into pieces first."""
        if not isinstance(audio, (bytes, bytearray, memoryview)) or not len(audio):
            raise ConfigurationError(f"audio must be non-empty bytes, got {type(audio).__name__}")
        audio = bytes(audio)
        if not isinstance(media_type, str):
            raise ConfigurationError(f"media_type must be a string such as 'audio/wav', got {media_type!r}")
        try:
            parsed = parse_media_type(media_type)
        except ValueError as exc:
            raise ConfigurationError(f"media_type: {exc}") from None
        if parsed.type in ("audio/pcm", "audio/l16", "audio/raw"):
            audio = _raw_pcm_as_wav(audio, media_type, parsed.params)
            parsed = parse_media_type("audio/wav")
        sniffed = sniff_media_type(audio)
        kind = sniffed or parsed.type
        ext = extension_for(kind)
        if ext is None or ext == "aac":
            raise ConfigurationError(
                f"media_type {media_type!r}: the endpoint takes wav, mp3, mpga, m4a, mp4, webm, flac, ogg or raw PCM"
            )
        problem = audio_problem(audio, kind, sniffed=sniffed is not None)
        if problem is not None:
            raise ConfigurationError(f"audio ({media_type}): {problem}")
        if len(audio) <= self.max_upload_bytes - _HEADROOM:
            return _Upload(audio, f"audio.{ext}", kind)
        if ext not in _DECODABLE:
            raise ConfigurationError(
                f"{len(audio)} bytes of {kind} exceed the {self.max_upload_bytes}-byte limit, and {ext} cannot be "
                "cut here; convert it to wav, flac, ogg or mp3"
            )
        return _Recording(audio, self._piece_seconds(audio))

    def _piece_seconds(self, audio: bytes) -> float:
        with sf.SoundFile(io.BytesIO(audio)) as f:
            rate = int(f.samplerate)
        # A mono 16-bit WAV of this length would fit; FLAC pieces are smaller still.
        return (self.max_upload_bytes - _HEADROOM - 44) / (2 * rate)

    # ── sending ────────────────────────────────────────────────────────────────────────────────

    async def _send(
        self, session: aiohttp.ClientSession, upload: _Upload, response_format: str, budget: Budget | None
    ) -> Transcript:
        fields = {
            "model": self.model,
            "response_format": response_format,
            "language": self.language,
            "prompt": self.prompt,
            "temperature": None if self.temperature is None else repr(float(self.temperature)),
            **self.extra_fields,
        }

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            # A stream, not bytes: aiohttp warns that a large bytes part may stall the event loop.
            file = io.BytesIO(upload.data)
            data.add_field("file", file, filename=upload.filename, content_type=upload.content_type)
            for name, value in fields.items():
                if value is not None:
                    data.add_field(name, value)
            return data

        request = self._request(
            "POST", "/audio/transcriptions", body=form, repeat=Repeat.UNSTARTED, what="transcription"
        )
        answer = await read_all(session, request, self.retry, budget=budget)
        return read_transcription(answer.data, answer.content_type).shifted(upload.start)

    async def _pieces(
        self, session: aiohttp.ClientSession, recording: _Recording, response_format: str, budget: Budget | None
    ) -> Transcript:
        """Cut in a worker thread, transcribed concurrently, joined in order."""
        queue: asyncio.Queue[tuple[int, Piece] | None] = asyncio.Queue(maxsize=self.max_concurrency)
        results: dict[int, Transcript] = {}

        async def produce() -> None:
            pieces = iter_pieces(recording.data, recording.piece_seconds)
            n = 0
            while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
                await queue.put((n, piece))
                n += 1
            for _ in range(self.max_concurrency):
                await queue.put(None)

        async def consume() -> None:
            while (item := await queue.get()) is not None:
                n, piece = item
                upload = _Upload(piece.data, "audio.flac", "audio/flac", piece.start)
                results[n] = await self._send(session, upload, response_format, budget)

        await all_or_nothing([produce(), *(consume() for _ in range(self.max_concurrency))])
        parts = [results[i] for i in sorted(results)]
        return Transcript(
            " ".join(p.text for p in parts if p.text),
            next((p.language for p in parts if p.language), None),
            sum(p.duration or 0.0 for p in parts) or None,
            tuple(s for p in parts for s in p.segments),
        )


def _raw_pcm_as_wav(audio: bytes, media_type: str, params: Mapping[str, str]) -> bytes:
    """Raw 16-bit PCM (``audio/pcm;rate=N[;channels=C]``) wrapped into WAV, its parameters checked."""
    raw_rate, raw_channels = params.get("rate"), params.get("channels", "1")
    if raw_rate is None:
        raise ConfigurationError(f"media_type {media_type!r}: raw PCM needs its rate, e.g. audio/pcm;rate=16000")
    if not raw_rate.isdigit() or not _RATES[0] <= int(raw_rate) <= _RATES[1]:
        raise ConfigurationError(f"media_type {media_type!r}: rate must be {_RATE_WORDS}")
    if not raw_channels.isdigit() or not 1 <= int(raw_channels) <= 16:
        raise ConfigurationError(f"media_type {media_type!r}: channels must be an integer from 1 to 16")
    channels = int(raw_channels)
    if len(audio) % (2 * channels):
        raise ConfigurationError(
            f"audio ({media_type}): {len(audio)} bytes are not whole 16-bit frames of {channels} channel(s)"
        )
    return _wav_header(len(audio), int(raw_rate), channels) + audio


def _wav_header(size: int, rate: int, channels: int) -> bytes:
    """A 44-byte header for ``size`` bytes of 16-bit PCM."""
    block = 2 * channels
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", size)
    )


def _as_wav(samples: npt.ArrayLike, rate: int) -> bytes:
    array = np.asarray(samples, dtype=np.float32)
    if array.ndim not in (1, 2) or not array.size:
        raise ConfigurationError(f"samples must be a non-empty array of shape (n,) or (n, channels), got {array.shape}")
    if isinstance(rate, bool) or not isinstance(rate, int) or not _RATES[0] <= rate <= _RATES[1]:
        raise ConfigurationError(f"rate must be {_RATE_WORDS}, got {rate!r}")
    if not math.isfinite(float(np.max(np.abs(array)))):
        raise ConfigurationError("samples contain NaN or infinity")
    return encode_audio(array, rate, "wav")


def _seconds(data: bytes) -> float | None:
    """The length of a recording, where soundfile reads its header (asked only while tracing)."""
    try:
        info = sf.info(io.BytesIO(data))
    except (RuntimeError, TypeError, ValueError):
        return None
    return float(info.duration)
