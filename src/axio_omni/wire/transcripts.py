"""Transcriptions and translations: what a transcript is, how each answer shape reads, and the
form fields a request carries (sans-I/O).

One :class:`Transcript` holds whatever the server said: the text, and where asked for, language,
duration, segments (with the speaker of ``diarized_json``), words with their times, usage and
token log-probabilities. :func:`read_transcription` reads every answer shape (``json``, ``text``,
``verbose_json``, ``diarized_json``, subtitles); :class:`TranscriptEvents` reads the SSE events of
``stream=true`` (``transcript.text.delta`` / ``.segment`` / ``.done``); :func:`join_transcripts`
joins the transcripts of a recording's pieces, times already shifted, speakers kept apart.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import MalformedResponseError, StreamCutError
from .sse import SSEEvent
from .typed_events import typed_event

__all__ = [
    "Segment",
    "TokenLogprob",
    "Transcript",
    "TranscriptEvents",
    "TranscriptUsage",
    "Word",
    "first_language",
    "join_transcripts",
    "read_logprobs",
    "read_transcription",
    "read_usage",
    "transcription_fields",
    "unsent",
]


@dataclass(frozen=True, slots=True)
class Word:
    """One word and when it was said, in seconds from the start of the whole recording."""

    word: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a transcript, times in seconds from the start of the whole recording; ``speaker``
    is the diarized speaker's label (a known speaker's name, or ``A``, ``B`` ...), None when not asked."""

    start: float
    end: float
    text: str
    speaker: str | None = None

    def shifted(self, offset: float) -> Segment:
        """This segment moved ``offset`` seconds later."""
        return replace(self, start=self.start + offset, end=self.end + offset) if offset else self


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    """A token of the transcript and its log-probability (``include=["logprobs"]``)."""

    token: str
    logprob: float
    bytes: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TranscriptUsage:
    """What a transcription was billed by: tokens (the gpt-4o models) or seconds of audio (whisper-1)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    audio_tokens: int = 0
    seconds: float = 0.0

    def __add__(self, other: TranscriptUsage) -> TranscriptUsage:
        return TranscriptUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
            self.audio_tokens + other.audio_tokens,
            self.seconds + other.seconds,
        )


@dataclass(frozen=True, slots=True)
class Transcript:
    """A transcription: the text, and where the server gave them, language, duration, segments,
    words, usage and log-probabilities."""

    text: str
    language: str | None = None
    duration: float | None = None
    segments: tuple[Segment, ...] = field(default=())
    words: tuple[Word, ...] = field(default=())
    usage: TranscriptUsage | None = None
    logprobs: tuple[TokenLogprob, ...] = field(default=())

    def shifted(self, offset: float) -> Transcript:
        """This transcript with every time moved ``offset`` seconds later."""
        if not offset:
            return self
        return replace(
            self,
            segments=tuple(s.shifted(offset) for s in self.segments),
            words=tuple(Word(w.word, w.start + offset, w.end + offset) for w in self.words),
        )

    @property
    def speakers(self) -> tuple[str, ...]:
        """The speakers' labels in the order they first speak."""
        return tuple(dict.fromkeys(s.speaker for s in self.segments if s.speaker is not None))


def read_usage(raw: Any) -> TranscriptUsage | None:
    """A transcription's ``usage`` object (tokens or duration), None when there is none."""
    if not isinstance(raw, Mapping):
        return None
    if raw.get("type") == "duration":
        seconds = raw.get("seconds")
        return TranscriptUsage(seconds=float(seconds)) if isinstance(seconds, (int, float)) else None
    details = raw.get("input_token_details")
    audio = details.get("audio_tokens") if isinstance(details, Mapping) else None

    def count(value: Any) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return TranscriptUsage(
        count(raw.get("input_tokens")), count(raw.get("output_tokens")), count(raw.get("total_tokens")), count(audio)
    )


def unsent(whole: str, seen: str) -> str:
    """What a transcript's final text adds to the deltas ``seen`` before it: all of it from a server
    that sends no deltas, the rest from one whose deltas stopped short; nothing if they disagree."""
    return whole[len(seen) :] if whole.startswith(seen) else ""


def first_language(raw: Any) -> str | None:
    """The code of the first of a ``languages`` list (``[{"code": "en", ...}]``), where there is one."""
    first = raw[0] if isinstance(raw, list) and raw else None
    code = first.get("code") if isinstance(first, Mapping) else None
    return code if isinstance(code, str) else None


def read_logprobs(raw: Any) -> tuple[TokenLogprob, ...]:
    """A ``logprobs`` list as tokens with their log-probabilities (what is not one is skipped)."""
    if not isinstance(raw, list):
        return ()
    out = []
    for entry in raw:
        if isinstance(entry, Mapping) and isinstance(entry.get("token"), str):
            value = entry.get("logprob")
            raw_bytes = entry.get("bytes")
            out.append(
                TokenLogprob(
                    entry["token"],
                    float(value) if isinstance(value, (int, float)) else 0.0,
                    tuple(int(b) for b in raw_bytes) if isinstance(raw_bytes, list) else (),
                )
            )
    return tuple(out)


def _segment(raw: Any, where: str) -> Segment:
    try:
        speaker = raw.get("speaker")
        return Segment(float(raw["start"]), float(raw["end"]), str(raw["text"]).strip(), speaker if speaker else None)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise MalformedResponseError(f"{where} lacks start, end or text") from None


def _word(raw: Any, where: str) -> Word:
    try:
        return Word(str(raw["word"]).strip(), float(raw["start"]), float(raw["end"]))
    except (KeyError, TypeError, ValueError):
        raise MalformedResponseError(f"{where} lacks word, start or end") from None


def read_transcription(body: bytes, content_type: str) -> Transcript:
    """A ``json``, ``verbose_json``, ``diarized_json`` or plain-text answer (``text``, ``srt``, ``vtt``);
    spaces around the text trimmed (Whisper adds one)."""
    if "json" not in content_type:
        return Transcript(body.decode("utf-8", "replace").strip())
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedResponseError(f"the transcription is not JSON: {body[:200]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise MalformedResponseError("the transcription has no 'text'")
    return _transcript(data)


def _transcript(data: Mapping[str, Any]) -> Transcript:
    segments = tuple(_segment(s, f"segments[{i}]") for i, s in enumerate(data.get("segments") or []))
    words = tuple(_word(w, f"words[{i}]") for i, w in enumerate(data.get("words") or []))
    duration = data.get("duration")
    language = data.get("language")
    return Transcript(
        data["text"].strip(),
        language if isinstance(language, str) else first_language(data.get("languages")),
        float(duration) if isinstance(duration, (int, float)) else None,
        segments,
        words,
        read_usage(data.get("usage")),
        read_logprobs(data.get("logprobs")),
    )


class TranscriptEvents:
    """The SSE events of a streamed transcription (an ``EventReader`` for ``sse.StreamDecoder``).

    ``feed_event`` returns the new text pieces (``str``) and diarized segments (:class:`Segment`),
    and the whole :class:`Transcript` once ``transcript.text.done`` arrives. A server that sends the
    text only with ``done`` gives it as one piece there; one that sends what its deltas did not
    gives the rest. An ``error`` event raises :class:`~axio_omni.errors.InBandError`.
    """

    __slots__ = ("_seen", "_logprobs", "_segments", "done")

    def __init__(self) -> None:
        self._seen: list[str] = []
        self._logprobs: list[TokenLogprob] = []
        self._segments: list[Segment] = []
        #: The whole transcript, once ``transcript.text.done`` arrived.
        self.done: Transcript | None = None

    def feed_event(self, event: SSEEvent) -> list[str | Segment | Transcript]:
        read = typed_event(event, "transcription")
        if read is None:
            return []
        kind, payload = read
        if kind == "transcript.text.delta":
            delta = payload.get("delta")
            if not isinstance(delta, str):
                raise MalformedResponseError("a transcript.text.delta without a 'delta' string")
            self._logprobs += read_logprobs(payload.get("logprobs"))
            if not delta:
                return []
            self._seen.append(delta)
            return [delta]
        if kind == "transcript.text.segment":
            segment = _segment(payload, "a transcript.text.segment")
            self._segments.append(segment)
            return [segment]
        if kind == "transcript.text.done":
            return self._done(payload)
        return []  # an event this reader does not need

    def _done(self, payload: Mapping[str, Any]) -> list[str | Segment | Transcript]:
        text = payload.get("text")
        if not isinstance(text, str):
            raise MalformedResponseError("a transcript.text.done without a 'text' string")
        rest = unsent(text, "".join(self._seen))
        out: list[str | Segment | Transcript] = [rest] if rest else []
        whole = _transcript({**payload, "text": text, "segments": []})
        logprobs = whole.logprobs or tuple(self._logprobs)
        self.done = replace(whole, segments=tuple(self._segments), logprobs=logprobs)
        out.append(self.done)
        return out

    def close(self) -> list[str | Segment | Transcript]:
        if self.done is None:
            raise StreamCutError("the transcription stream ended without transcript.text.done: it was cut")
        return []


def join_transcripts(parts: Sequence[Transcript], known_speakers: Iterable[str] = ()) -> Transcript:
    """The transcripts of a recording's pieces (times already shifted) as one.

    A diarizing model names unknown speakers afresh in every piece (``A`` in one piece need not be
    ``A`` in the next), so with more than one piece their labels gain the piece's number
    (``A`` of the second piece is ``A#2``); known speakers' names are the same in every piece and
    stay as they are.
    """
    if len(parts) == 1:
        return parts[0]
    known = frozenset(known_speakers)

    def label(speaker: str | None, n: int) -> str | None:
        return speaker if speaker is None or speaker in known else f"{speaker}#{n}"

    usages = [p.usage for p in parts if p.usage is not None]
    return Transcript(
        " ".join(p.text for p in parts if p.text),
        next((p.language for p in parts if p.language), None),
        sum(p.duration or 0.0 for p in parts) or None,
        tuple(replace(s, speaker=label(s.speaker, n)) for n, p in enumerate(parts, 1) for s in p.segments),
        tuple(w for p in parts for w in p.words),
        functools.reduce(operator.add, usages) if usages else None,
        tuple(lp for p in parts for lp in p.logprobs),
    )


def transcription_fields(
    *,
    model: str,
    response_format: str,
    language: str | None = None,
    prompt: str | None = None,
    temperature: float | None = None,
    include: Sequence[str] = (),
    timestamp_granularities: Sequence[str] = (),
    chunking_strategy: str | Mapping[str, Any] | None = None,
    known_speaker_names: Sequence[str] = (),
    known_speaker_references: Sequence[str] = (),
    stream: bool = False,
    extra: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The text fields of a ``/audio/transcriptions`` (or ``/audio/translations``) form, in the
    encoding OpenAI's SDK uses: arrays as ``name[]`` repeated, objects as ``name[key]``."""
    fields: list[tuple[str, str]] = [("model", model), ("response_format", response_format)]
    for name, value in (("language", language), ("prompt", prompt)):
        if value is not None:
            fields.append((name, value))
    if temperature is not None:
        fields.append(("temperature", repr(float(temperature))))
    for name, values in (
        ("include", include),
        ("timestamp_granularities", timestamp_granularities),
        ("known_speaker_names", known_speaker_names),
        ("known_speaker_references", known_speaker_references),
    ):
        fields += [(f"{name}[]", v) for v in values]
    if isinstance(chunking_strategy, str):
        fields.append(("chunking_strategy", chunking_strategy))
    elif chunking_strategy is not None:
        fields += [(f"chunking_strategy[{k}]", _form_value(v)) for k, v in chunking_strategy.items()]
    if stream:
        fields.append(("stream", "true"))
    fields += list((extra or {}).items())
    return fields


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
