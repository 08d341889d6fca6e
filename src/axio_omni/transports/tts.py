"""``OpenAITTSTransport``: axio's ``TTSTransport`` over ``POST /v1/audio/speech``, streamed.

Audio reaches the caller chunk by chunk as the server sends it; nothing is buffered whole. With
``stream_format="sse"`` the server sends it as ``speech.audio.delta`` events, decoded here into the
same bytes, and ends with ``speech.audio.done``, whose usage reaches the call record and the span;
a server that ignores ``stream_format`` and sends raw audio is read as raw audio. Text
over the endpoint's 4,096 characters is cut at sentence boundaries and spoken as consecutive
requests whose audio follows in order (WAV pieces joined into one stream). Each piece is an
``UNSTARTED`` request (``retry.Repeat``): sent again only when the server cannot have started it
(no connection, 408, 429, 503), under the caller's own retry policy and deadline; audio already
yielded is never repeated, since a retry resends only the piece that failed before its audio began.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from axio.transport import TTSTransport

from .. import telemetry
from ..audio import Resampler, decode_audio, parse_media_type
from ..audio.pcm import Samples
from ..calls import Retry, watched_call
from ..errors import ConfigurationError
from ..fields import setting
from ..retry import Repeat
from ..rules import Choice, JsonMap, Number, Text
from ..timeouts import Budget
from ..wire.speech import MAX_SPEECH_CHARS, SPEECH_FORMATS, SpeechEvents, WavJoiner, speech_request, split_text
from ..wire.sse import StreamDecoder
from .base import HTTPTransport
from .http import finish, open_response, read_chunk

__all__ = ["OpenAITTSTransport"]

#: OpenAI's pcm: 24 kHz, 16-bit, mono; servers that differ say so in ``x-sample-rate``.
PCM_RATE = 24000


@dataclass(slots=True, kw_only=True)
class OpenAITTSTransport(HTTPTransport, TTSTransport):
    """Speech from any OpenAI-compatible ``/audio/speech`` endpoint."""

    type_name = "openai-tts"
    display_name: ClassVar[str] = "OpenAI speech (omni)"

    model: str = setting("gpt-4o-mini-tts", Text())
    voice: str = setting("alloy", Text())
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = setting("mp3", Choice(*SPEECH_FORMATS))
    speed: float | None = setting(None, Number(0.25, 4.0, optional=True))
    instructions: str | None = setting(None, Text(optional=True, empty=True))
    #: ``audio`` (the raw bytes) or ``sse`` (``speech.audio.delta`` events, with usage at the end;
    #: not taken by tts-1 and tts-1-hd). ``synthesize`` yields the same audio bytes either way.
    stream_format: Literal["audio", "sse"] = setting("audio", Choice("audio", "sse"))
    #: Characters per request; longer text is cut at sentence boundaries.
    max_chars: int = setting(MAX_SPEECH_CHARS, Number(1, MAX_SPEECH_CHARS, integer=True))
    extra_body: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap(reserved=("input",)))

    def __post_init__(self) -> None:
        self._validate_common()
        if self.stream_format == "sse" and self.model in ("tts-1", "tts-1-hd"):
            raise ConfigurationError(f"stream_format='sse' is not taken by {self.model}: use gpt-4o-mini-tts")

    def synthesize(self, text: str, *, voice: str | None = None) -> AsyncIterator[bytes]:
        """Audio of ``text`` in ``response_format``, streamed; arguments are checked before any request."""
        return self._speech(self._plan(text, voice), _Said(), voice, len(text))

    def _speech(
        self, bodies: list[dict[str, Any]], said: _Said, voice: str | None, characters: int
    ) -> AsyncIterator[bytes]:
        """The audio of ``bodies``, in an OpenTelemetry span when tracing is on."""
        if telemetry.tracer() is None:
            return self._chunks(bodies, said)
        asked = {
            "gen_ai.output.type": "speech",
            "axio_omni.voice": voice or self.voice,
            "axio_omni.input.characters": characters,
        }
        call = telemetry.Call("generate_content", self.model, self.base_url, asked)

        def seconds(first: bytes, total: int) -> float | None:
            return _audio_seconds(self.response_format, said.headers, first, total)

        return telemetry.traced_chunks(
            call, lambda on_retry: self._chunks(bodies, said, on_retry), seconds, lambda: said.usage
        )

    def _plan(self, text: str, voice: str | None) -> list[dict[str, Any]]:
        if not isinstance(text, str) or not text.strip():
            raise ConfigurationError(f"text must be a non-empty string, got {text!r:.60}")
        if voice is not None and (not isinstance(voice, str) or not voice.strip()):
            raise ConfigurationError(f"voice must be a non-empty string or None, got {voice!r}")
        pieces = split_text(text, self.max_chars)
        if len(pieces) > 1 and self.response_format == "flac":
            raise ConfigurationError(
                f"text of {len(text)} characters needs {len(pieces)} requests, and FLAC files do not join: "
                "use wav, pcm, mp3, opus or aac"
            )
        self._require_key()
        return [
            speech_request(
                self.model,
                piece,
                voice=voice or self.voice,
                response_format=self.response_format,
                speed=self.speed,
                instructions=self.instructions,
                extra=self.extra_body,
                stream_format=self.stream_format,
            )
            for piece in pieces
        ]

    async def _chunks(
        self, bodies: list[dict[str, Any]], said: _Said, on_retry: Callable[[Retry], None] | None = None
    ) -> AsyncIterator[bytes]:
        """The audio of ``bodies`` in order; ``said`` receives the first response's headers and the
        usage the pieces reported; ``on_retry`` is told of each piece's retries."""
        session = self._session()
        budget = Budget.start(self.timeouts.total)
        joiner = WavJoiner() if self.response_format == "wav" and len(bodies) > 1 else None
        for n, body in enumerate(bodies):
            request = self._request(
                "POST",
                "/audio/speech",
                json_body=body,
                accept="*/*",
                repeat=Repeat.UNSTARTED,
                what=f"speech ({n + 1}/{len(bodies)})",
            )
            record = watched_call(request.what, on_retry)
            resp = await open_response(session, request, self.retry, budget=budget, record=record)
            if not said.headers:
                said.headers.update({k.lower(): v for k, v in resp.headers.items()})
            if joiner is not None:
                joiner.start_piece()
            events = SpeechEvents()
            decoder = StreamDecoder(events) if resp.content_type == "text/event-stream" else None
            complete = False
            try:
                while chunk := await read_chunk(resp, budget):
                    for audio in decoder.feed(chunk) if decoder is not None else (chunk,):
                        out = joiner.feed(audio) if joiner is not None else audio
                        if out:
                            yield out
                if decoder is not None:
                    decoder.close()
                    said.add(events.usage)
                    if record is not None:
                        record.usage = said.usage
                complete = True
            finally:
                finish(resp, complete, record)

    async def synthesize_array(
        self, text: str, *, voice: str | None = None, rate: int | None = None
    ) -> tuple[Samples, int]:
        """The speech as mono float32 samples and their rate, resampled to ``rate`` if given.

        Works for wav, flac, ogg/opus, mp3 and pcm answers (pcm at the server's ``x-sample-rate``,
        else OpenAI's 24 kHz); aac has no decoder here.
        """
        if self.response_format == "aac":
            raise ConfigurationError("aac cannot be decoded here; use wav, pcm, flac, mp3 or opus")
        said = _Said()
        data = b"".join([c async for c in self._speech(self._plan(text, voice), said, voice, len(text))])
        media = "audio/wav"
        if self.response_format == "pcm":
            media = f"audio/pcm;rate={_pcm_rate(said.headers)}"
        samples, native = decode_audio(data, media)
        if rate is None or rate == native:
            return samples, native
        resampler = Resampler(native, rate)
        return np.concatenate([resampler.process(samples), resampler.flush()]), rate


@dataclass(slots=True)
class _Said:
    """What one ``synthesize`` call's answers said besides the audio: the first one's headers, and
    the usage that SSE answers reported (summed over the pieces of a long text)."""

    headers: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] | None = None

    def add(self, usage: Mapping[str, int] | None) -> None:
        if usage:
            total = self.usage or {}
            self.usage = {k: total.get(k, 0) + usage.get(k, 0) for k in {*total, *usage}}


def _pcm_rate(headers: Mapping[str, str]) -> int:
    raw = headers.get("x-sample-rate", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    content_type = headers.get("content-type", "")
    try:
        rate = parse_media_type(content_type).rate if "/" in content_type else None
    except ValueError:
        rate = None
    return rate or PCM_RATE


def _audio_seconds(response_format: str, headers: Mapping[str, str], first: bytes, total: int) -> float | None:
    """Seconds of speech in ``total`` bytes, where the format says (pcm, and wav from its header)."""
    if response_format == "pcm":
        return total / 2 / _pcm_rate(headers)
    if response_format == "wav" and len(first) >= 44 and first[:4] == b"RIFF" and first[8:12] == b"WAVE":
        channels, rate, _, _, bits = struct.unpack("<HIIHH", first[22:36])
        if channels and rate and bits:
            return float((total - 44) / (channels * rate * bits // 8))
    return None
