"""``/v1/audio/speech``: request and response shapes (sans-I/O); transcripts are ``transcripts.py``.

Also the two pieces of logic that let one call exceed an endpoint's limits: text cut at sentence
boundaries for speech (4,096 characters a request), and recordings cut at their quietest moments
for transcription (25 MB a request, cut by ``audio/split.py`` where ``quietest_cut`` says), with the WAV
pieces of a long speech joined into one stream.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ..errors import MalformedResponseError, StreamCutError
from .sse import SSEEvent
from .typed_events import typed_event

__all__ = [
    "SPEECH_FORMATS",
    "SpeechEvents",
    "WavJoiner",
    "WavLayout",
    "quietest_cut",
    "speech_request",
    "split_text",
    "wav_layout",
]

SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
MAX_SPEECH_CHARS = 4096
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’)\]]*\s+|\n\s*\n")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")


def split_text(text: str, limit: int = MAX_SPEECH_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut after sentences where possible.

    Sentences are packed greedily. A sentence longer than ``limit`` is cut after clauses, then
    between words, and a word longer than ``limit`` is cut where it must be. Whitespace at the cuts
    is dropped; no other character is lost.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        if current and len(current) + 1 + len(unit) > limit:
            pieces.append(current)
            current = unit
        else:
            current = f"{current} {unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, limit: int) -> list[str]:
    """Sentences of ``text`` no longer than ``limit``, finer cuts only where a sentence needs them."""
    out: list[str] = []
    for sentence in filter(None, (s.strip() for s in _SENTENCE_END.split(text))):
        if len(sentence) <= limit:
            out.append(sentence)
            continue
        for clause in filter(None, (c.strip() for c in _CLAUSE_END.split(sentence))):
            if len(clause) <= limit:
                out.append(clause)
                continue
            for word in clause.split():
                out.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return out


def speech_request(
    model: str,
    text: str,
    *,
    voice: str,
    response_format: str,
    speed: float | None,
    instructions: str | None,
    extra: Mapping[str, Any],
    stream_format: str = "audio",
) -> dict[str, Any]:
    """The body of one ``/audio/speech`` request (``stream_format`` sent only when it is ``sse``)."""
    body: dict[str, Any] = {"model": model, "input": text, "voice": voice, "response_format": response_format}
    if speed is not None:
        body["speed"] = speed
    if instructions:
        body["instructions"] = instructions
    if stream_format != "audio":
        body["stream_format"] = stream_format
    body.update(extra)
    return body


class SpeechEvents:
    """The SSE events of ``stream_format="sse"`` speech (an ``EventReader`` for ``sse.StreamDecoder``):
    the audio bytes of each ``speech.audio.delta``, and the usage of ``speech.audio.done``.

    An ``error`` event raises :class:`~axio_omni.errors.InBandError`; a stream that ends before
    ``speech.audio.done`` is cut (:meth:`close` raises).
    """

    __slots__ = ("usage", "done")

    def __init__(self) -> None:
        #: ``speech.audio.done``'s usage (input, output and total tokens), once it arrived.
        self.usage: dict[str, int] | None = None
        self.done = False

    def feed_event(self, event: SSEEvent) -> list[bytes]:
        read = typed_event(event, "speech")
        if read is None:
            return []
        kind, payload = read
        if kind == "speech.audio.delta":
            try:
                return [base64.b64decode(payload["audio"], validate=True)]
            except (KeyError, TypeError, binascii.Error):
                raise MalformedResponseError("a speech.audio.delta without base64 'audio'") from None
        if kind == "speech.audio.done":
            self.done = True
            usage = payload.get("usage")
            if isinstance(usage, Mapping):
                self.usage = {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}
        return []

    def close(self) -> list[bytes]:
        if not self.done:
            raise StreamCutError("the speech stream ended without speech.audio.done: it was cut")
        return []


class WavJoiner:
    """Consecutive WAV files as one WAV stream: the first header (sizes marked unknown), then only data.

    Speech longer than one request comes back as several WAV files; played back to back they are
    not one file. The first header is kept with its RIFF and data sizes set to 0xFFFFFFFF, which
    readers take as "until the end" (as streaming WAV servers do); the headers of later pieces are
    dropped after checking that their format matches.
    """

    __slots__ = ("_buffer", "_format", "_in_data")

    def __init__(self) -> None:
        self._buffer = b""
        self._format: bytes | None = None
        self._in_data = False

    def start_piece(self) -> None:
        """A new WAV file begins with the next bytes fed."""
        self._buffer = b""
        self._in_data = False

    def feed(self, chunk: bytes) -> bytes:
        """The bytes to pass on for ``chunk`` of the current piece."""
        if self._in_data:
            return chunk
        self._buffer += chunk
        if len(self._buffer) >= 4 and self._buffer[:4] != b"RIFF":
            raise MalformedResponseError("expected a WAV (RIFF) file")
        layout = wav_layout(self._buffer)
        if layout.data_at is None:
            if len(self._buffer) > 1 << 20:
                raise MalformedResponseError("a WAV header longer than 1 MiB, or not WAV at all")
            return b""
        fmt, data_at = layout.fmt or b"", layout.data_at
        head, rest, self._buffer = self._buffer[:data_at], self._buffer[data_at:], b""
        self._in_data = True
        if self._format is None:
            self._format = fmt
            return _unknown_sizes(head) + rest
        if fmt != self._format:
            raise MalformedResponseError("the WAV pieces of one speech have different formats")
        return rest


class WavLayout(NamedTuple):
    """Where a WAV file's parts are, as far as its first bytes tell."""

    #: The ``fmt `` chunk's body, once it is whole; None before.
    fmt: bytes | None
    #: The offset where sample data starts, once the ``data`` chunk's header is in; None before.
    data_at: int | None
    #: The id of the chunk the bytes end inside, where they end inside one.
    cut: bytes | None


def wav_layout(buf: bytes) -> WavLayout:
    """The chunks of the RIFF/WAVE bytes ``buf`` (a whole file, or its first bytes) up to the sample data."""
    at, fmt = 12, None
    while at + 8 <= len(buf):
        kind, size = buf[at : at + 4], struct.unpack_from("<I", buf, at + 4)[0]
        if kind == b"data":
            return WavLayout(fmt, at + 8, None)
        if at + 8 + size > len(buf):
            return WavLayout(fmt, None, kind)
        if kind == b"fmt ":
            fmt = buf[at + 8 : at + 8 + size]
        at += 8 + size + (size & 1)
    return WavLayout(fmt, None, None)


def _unknown_sizes(head: bytes) -> bytes:
    out = bytearray(head)
    out[4:8] = b"\xff\xff\xff\xff"
    out[-4:] = b"\xff\xff\xff\xff"
    return bytes(out)


def quietest_cut(window: npt.NDArray[np.float32], rate: int, *, frame: float = 0.1) -> int:
    """The offset of the middle of the quietest ``frame``-long stretch of ``window``.

    Among stretches as quiet as the quietest (within 3 dB), the latest wins, so pieces stay long.
    """
    hop = max(1, int(frame * rate))
    frames = len(window) // hop
    if frames < 1:
        return len(window)
    energy = np.square(window[: frames * hop].reshape(frames, hop)).mean(axis=1)
    quiet = np.flatnonzero(energy <= 2.0 * float(energy.min()) + 1e-12)
    return int(quiet[-1]) * hop + hop // 2
