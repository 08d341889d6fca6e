"""``OpenAISTTTransport``: axio's ``STTTransport`` over ``POST /v1/audio/transcriptions``, and
English translations over ``POST /v1/audio/translations``.

Audio is checked and wrapped by ``uploads.py``; a recording over the upload limit is cut at quiet
moments and its pieces transcribed concurrently over the pool (streamed: one after another, in
order) and joined, with every time counted from the start of the whole recording.

``transcribe_stream`` asks for ``stream=true`` and yields the text as ``transcript.text.delta``
events arrive; a server that ignores ``stream`` and answers JSON (whisper-1, most local servers)
gives its whole text as one piece. ``response_format="diarized_json"`` (``gpt-4o-transcribe-diarize``)
labels each segment with its speaker, known speakers by their names.

Each request is ``UNSTARTED`` (``retry.Repeat``): a transcription is billed by the minute or the
token, so it is sent again only when the server cannot have started the first one, and never once
a piece of a stream has reached the caller.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import aiohttp
import numpy.typing as npt
from axio.transport import STTTransport

from .. import telemetry
from ..calls import Retry, watched_call
from ..errors import ConfigurationError
from ..fields import setting
from ..retry import Repeat
from ..rules import Choice, Custom, Number, Refused, StringMap, Text, Texts
from ..timeouts import Budget
from ..wire.sse import StreamDecoder
from ..wire.transcripts import Segment, Transcript, TranscriptEvents, join_transcripts, read_transcription
from ..wire.transcripts import transcription_fields as form_fields
from .base import HTTPTransport
from .concurrency import all_or_nothing
from .http import finish, open_response, read_all, read_chunk, read_rest
from .request import Request
from .transcript_stream import TranscriptStream
from .uploads import MAX_UPLOAD, Recording, Upload, as_wav, check_reference, pieces, prepare, seconds

__all__ = ["OpenAISTTTransport"]

_VAD_KEYS = {"type", "threshold", "prefix_padding_ms", "silence_duration_ms"}


def _chunking(value: Any) -> Any:
    """``"auto"``, or server VAD settings (``{"type": "server_vad", ...}``), kept read-only."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            raise Refused from None
    if value == "auto":
        return value
    if not isinstance(value, Mapping) or value.get("type") != "server_vad" or set(value) - _VAD_KEYS:
        raise Refused
    for key in ("prefix_padding_ms", "silence_duration_ms"):
        if key in value and (isinstance(value[key], bool) or not isinstance(value[key], int) or value[key] < 0):
            raise Refused(f"chunking_strategy.{key} must be a whole number of milliseconds, got {value[key]!r}")
    threshold = value.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise Refused(f"chunking_strategy.threshold must be a number from 0 to 1, got {threshold!r}")
    return dict(value)


def _among(*options: str) -> Custom:
    """Strings from ``options``, each at most once, as a tuple."""

    def accept(value: Any) -> tuple[str, ...]:
        items = Texts().check(value)
        if any(v not in options for v in items) or len(set(items)) != len(items):
            raise Refused
        return tuple(items)

    return Custom(f"a list of distinct values among {', '.join(map(repr, options))}", accept)


@dataclass(frozen=True, slots=True)
class _Ask:
    """One kind of call: a transcription or a translation, the model it asks for, and the form
    fields it sends."""

    operation: Literal["transcription", "translation"]
    model: str
    fields: list[tuple[str, str]]

    @property
    def path(self) -> str:
        return f"/audio/{self.operation}s"

    @property
    def what(self) -> str:
        return f"{self.operation} ({self.model})"


@dataclass(slots=True, kw_only=True)
class OpenAISTTTransport(HTTPTransport, STTTransport):
    """Transcriptions (and translations into English) from any OpenAI-compatible endpoint."""

    type_name = "openai-stt"
    display_name: ClassVar[str] = "OpenAI transcription (omni)"

    model: str = setting("gpt-4o-mini-transcribe", Text())
    language: str | None = setting(None, Text(optional=True))
    prompt: str | None = setting(None, Text(optional=True, empty=True))
    temperature: float | None = setting(None, Number(0, 1, optional=True))
    #: What ``transcribe`` asks for; ``diarized_json`` labels segments with speakers.
    response_format: Literal["json", "text", "verbose_json", "diarized_json"] = setting(
        "json", Choice("json", "text", "verbose_json", "diarized_json")
    )
    #: ``("logprobs",)``: the tokens' log-probabilities, on ``json`` answers and streams.
    include: tuple[str, ...] = setting((), _among("logprobs"))
    #: What ``transcribe_segments`` times (``verbose_json``): ``("word", "segment")`` fills ``words``.
    timestamp_granularities: tuple[str, ...] = setting((), _among("word", "segment"))
    #: How the server cuts the audio before transcribing: ``"auto"`` or server VAD settings;
    #: diarization sends ``"auto"`` when this is None (OpenAI needs it past 30 seconds).
    chunking_strategy: str | Mapping[str, Any] | None = setting(
        None, Custom('"auto" or {"type": "server_vad", ...}', _chunking, optional=True)
    )
    #: Up to 4 speakers' names, with a short sample of each in ``known_speaker_references``.
    known_speaker_names: tuple[str, ...] = setting((), Texts(most=4))
    #: ``data:audio/...;base64,`` URLs of 2 to 10 seconds of each known speaker, in the same order.
    known_speaker_references: tuple[str, ...] = setting((), Texts(most=4))
    #: The model of ``translate`` (OpenAI translates with whisper-1 only).
    translation_model: str = setting("whisper-1", Text())
    #: Bytes one request may carry; longer recordings are cut into pieces.
    max_upload_bytes: int = setting(MAX_UPLOAD, Number(1024 * 1024, integer=True))
    max_concurrency: int = setting(4, Number(1, integer=True))
    extra_fields: Mapping[str, str] = setting(default_factory=dict, rule=StringMap())

    def __post_init__(self) -> None:
        self._validate_common()
        names, refs = self.known_speaker_names, self.known_speaker_references
        if len(names) != len(refs):
            raise ConfigurationError(
                f"known_speaker_names ({len(names)}) and known_speaker_references ({len(refs)}) must pair up"
            )
        for name, ref in zip(names, refs, strict=True):
            if (problem := check_reference(ref)) is not None:
                raise ConfigurationError(f"known_speaker_references: the sample of {name!r} {problem}")
        diarized = self.response_format == "diarized_json"
        if names and not diarized:
            raise ConfigurationError("known speakers are heard only with response_format='diarized_json'")
        if diarized and self.prompt:
            raise ConfigurationError("prompt is not taken with response_format='diarized_json' (the diarizing model)")
        if diarized and self.include:
            raise ConfigurationError("include=('logprobs',) is not taken with response_format='diarized_json'")

    # ── the axio protocol and richer forms ─────────────────────────────────────────────────────

    async def transcribe(self, audio: bytes, media_type: str = "audio/wav") -> str:
        """The text of ``audio``; raw PCM needs its rate, e.g. ``audio/pcm;rate=16000``."""
        return (await self._run(self._transcription(self.response_format), audio, media_type)).text

    async def transcribe_array(self, samples: npt.ArrayLike, rate: int) -> str:
        """The text of float samples (mono, or ``(n, channels)``) at ``rate`` Hz."""
        return await self.transcribe(as_wav(samples, rate), "audio/wav")

    async def transcribe_segments(self, audio: bytes, media_type: str = "audio/wav") -> Transcript:
        """Text, language, duration and segments, times from the recording's start: ``verbose_json``
        (with ``words`` when ``timestamp_granularities`` has ``"word"``), or ``diarized_json`` when
        that is the ``response_format`` (segments with their speakers)."""
        fmt = "diarized_json" if self.response_format == "diarized_json" else "verbose_json"
        return await self._run(self._transcription(fmt), audio, media_type)

    def transcribe_stream(self, audio: bytes, media_type: str = "audio/wav") -> TranscriptStream:
        """The text of ``audio`` in pieces as the server transcribes it (``stream=true``).

        Arguments are checked now, before anything is sent. Iterate the result for ``str`` pieces;
        afterwards its ``transcript`` holds usage and log-probabilities. Long audio streams piece
        by piece, in order.
        """
        fmt = "diarized_json" if self.response_format == "diarized_json" else "json"
        ask = self._transcription(fmt, stream=True)
        prepared = prepare(audio, media_type, self.max_upload_bytes)
        self._require_key()
        if telemetry.tracer() is None:
            return TranscriptStream(self._stream(ask, prepared))
        call = telemetry.Call(ask.operation, ask.model, self.base_url, self._asked())

        def finish_span(traced: telemetry.Traced) -> None:
            self._noted(traced, stream.transcript, prepared)

        stream = TranscriptStream(
            telemetry.traced_items(call, lambda on_retry: self._stream(ask, prepared, on_retry), finish_span)
        )
        return stream

    async def translate(self, audio: bytes, media_type: str = "audio/wav") -> str:
        """English text of speech in any language, over ``/audio/translations`` (``translation_model``)."""
        fmt = self.response_format if self.response_format in ("json", "text", "verbose_json") else "json"
        return (await self._run(self._translation(fmt), audio, media_type)).text

    async def translate_segments(self, audio: bytes, media_type: str = "audio/wav") -> Transcript:
        """The English translation with language, duration and segments (``verbose_json``)."""
        return await self._run(self._translation("verbose_json"), audio, media_type)

    # ── what is asked ──────────────────────────────────────────────────────────────────────────

    def _transcription(self, response_format: str, *, stream: bool = False) -> _Ask:
        diarized = response_format == "diarized_json"
        fields = form_fields(
            model=self.model,
            response_format=response_format,
            language=self.language,
            prompt=self.prompt,
            temperature=self.temperature,
            include=self.include if response_format == "json" else (),
            timestamp_granularities=self.timestamp_granularities if response_format == "verbose_json" else (),
            chunking_strategy=self.chunking_strategy or ("auto" if diarized else None),
            known_speaker_names=self.known_speaker_names,
            known_speaker_references=self.known_speaker_references,
            stream=stream,
            extra=self.extra_fields,
        )
        return _Ask("transcription", self.model, fields)

    def _translation(self, response_format: str) -> _Ask:
        fields = form_fields(
            model=self.translation_model,
            response_format=response_format,
            prompt=self.prompt,
            temperature=self.temperature,
            extra=self.extra_fields,
        )
        return _Ask("translation", self.translation_model, fields)

    def _asked(self) -> dict[str, Any]:
        return {"gen_ai.output.type": "text", "axio_omni.request.language": self.language}

    def _noted(self, traced: telemetry.Traced, transcript: Transcript | None, prepared: Upload | Recording) -> None:
        if transcript is None:
            return
        traced.set("axio_omni.audio.seconds", transcript.duration or seconds(prepared.data))
        traced.set("axio_omni.response.language", transcript.language)
        usage = transcript.usage
        if usage is not None and usage.total_tokens:
            traced.used(usage.input_tokens, usage.output_tokens)

    # ── sending ────────────────────────────────────────────────────────────────────────────────

    async def _run(self, ask: _Ask, audio: bytes, media_type: str) -> Transcript:
        prepared = prepare(audio, media_type, self.max_upload_bytes)
        self._require_key()
        session = self._session()
        budget = Budget.start(self.timeouts.total)
        with telemetry.span(lambda: telemetry.Call(ask.operation, ask.model, self.base_url, self._asked())) as traced:
            if isinstance(prepared, Upload):
                transcript = await self._send(session, ask, prepared, budget)
            else:
                transcript = await self._pieces(session, ask, prepared, budget)
            if traced is not None:
                self._noted(traced, transcript, prepared)
            return transcript

    def _upload(self, ask: _Ask, upload: Upload) -> Request:
        """The request sending ``upload``: a form made afresh for each attempt, sent again only when
        the server cannot have started on it."""

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            # A stream, not bytes: aiohttp warns that a large bytes part may stall the event loop.
            data.add_field("file", io.BytesIO(upload.data), filename=upload.filename, content_type=upload.content_type)
            for name, value in ask.fields:
                data.add_field(name, value)
            return data

        return self._request("POST", ask.path, body=form, repeat=Repeat.UNSTARTED, what=ask.what)

    async def _send(
        self, session: aiohttp.ClientSession, ask: _Ask, upload: Upload, budget: Budget | None
    ) -> Transcript:
        answer = await read_all(session, self._upload(ask, upload), self.retry, budget=budget)
        return read_transcription(answer.data, answer.content_type).shifted(upload.start)

    async def _pieces(
        self, session: aiohttp.ClientSession, ask: _Ask, recording: Recording, budget: Budget | None
    ) -> Transcript:
        """Cut in a worker thread, transcribed concurrently, joined in order."""
        queue: asyncio.Queue[tuple[int, Upload] | None] = asyncio.Queue(maxsize=self.max_concurrency)
        results: dict[int, Transcript] = {}

        async def produce() -> None:
            n = 0
            async for upload in pieces(recording):
                await queue.put((n, upload))
                n += 1
            for _ in range(self.max_concurrency):
                await queue.put(None)

        async def consume() -> None:
            while (item := await queue.get()) is not None:
                n, upload = item
                results[n] = await self._send(session, ask, upload, budget)

        await all_or_nothing([produce(), *(consume() for _ in range(self.max_concurrency))])
        return join_transcripts([results[i] for i in sorted(results)], self.known_speaker_names)

    async def _stream(
        self, ask: _Ask, prepared: Upload | Recording, on_retry: Callable[[Retry], None] | None = None
    ) -> AsyncIterator[str | Segment | Transcript]:
        """Text pieces and segments of each upload in order, then the whole transcript."""
        session = self._session()
        budget = Budget.start(self.timeouts.total)
        uploads = _one(prepared) if isinstance(prepared, Upload) else pieces(prepared)
        parts: list[Transcript] = []
        spoken = False  # whether text was yielded: a later piece's text then starts with a space
        async for upload in uploads:
            fresh = True
            async for item in self._stream_one(session, ask, upload, budget, on_retry):
                if isinstance(item, Transcript):
                    parts.append(item.shifted(upload.start))
                elif isinstance(item, Segment):
                    yield item.shifted(upload.start)
                else:
                    if fresh and spoken:
                        item = " " + item.lstrip()
                    fresh, spoken = False, True
                    yield item
        yield join_transcripts(parts, self.known_speaker_names)

    async def _stream_one(
        self,
        session: aiohttp.ClientSession,
        ask: _Ask,
        upload: Upload,
        budget: Budget | None,
        on_retry: Callable[[Retry], None] | None,
    ) -> AsyncIterator[str | Segment | Transcript]:
        request = self._upload(ask, upload)
        record = watched_call(request.what, on_retry)
        resp = await open_response(session, request, self.retry, budget=budget, record=record)
        complete = False
        try:
            if resp.headers.get("Content-Type", "").startswith("text/event-stream"):
                decoder = StreamDecoder(TranscriptEvents())
                while chunk := await read_chunk(resp, budget):
                    for item in decoder.feed(chunk):
                        yield item
                for item in decoder.close():
                    yield item
            else:
                transcript = read_transcription(await read_rest(resp, budget), resp.headers.get("Content-Type", ""))
                if transcript.text:
                    yield transcript.text
                yield transcript
            complete = True
        finally:
            finish(resp, complete, record)


async def _one(upload: Upload) -> AsyncIterator[Upload]:
    yield upload
