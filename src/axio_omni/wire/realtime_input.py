"""What every realtime session shares on the caller's side, sans-I/O: client events with ids, the
caller's audio at any rate turned into the wire's, and the server's ``error`` events read.

:class:`LiveInput` is the base of the conversation (:class:`~.realtime.RealtimeProtocol`) and of
live captions (:class:`~.realtime_transcription.TranscriptionProtocol`); the session that moves
their events over a socket (``transports/live_session.py``) needs only what :class:`LiveProtocol`
names.
"""

from __future__ import annotations

import base64
import itertools
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from axio.blocks import AudioBlock, ContentBlock
from axio.events import Error, StreamEvent

from .realtime_items import BENIGN_CODES, Converter, server_error
from .realtime_session import AudioFormat

__all__ = ["LiveInput", "LiveProtocol"]

logger = logging.getLogger("axio_omni.realtime")


class LiveProtocol(Protocol):
    """What a live session asks of its protocol object."""

    outbox: list[dict[str, Any]]
    expired: bool

    @property
    def between_turns(self) -> bool: ...
    def event(self, kind: str, **fields: Any) -> dict[str, Any]: ...
    def receive(self, event: Any) -> list[StreamEvent]: ...
    def replay(self) -> list[dict[str, Any]]: ...
    def connection_lost(self) -> list[StreamEvent]: ...


class LiveInput:
    """Client event ids, the input audio converted per rate, and errors read; sessions build on it."""

    def __init__(
        self, *, input_format: AudioFormat, manual_turns: bool, convert_in: Callable[[int], Converter] | None
    ) -> None:
        """``manual_turns``: no server VAD, so ``commit()`` commits the buffer. ``convert_in(rate)``
        makes the converter of caller audio at ``rate`` into the wire's, one per rate the caller's
        blocks come at (None: audio goes as it is)."""
        self.input, self.manual_turns = input_format, manual_turns
        self._make_in = convert_in
        self._in: dict[int, Converter] = {}
        #: Client events the server's events call for (a deferred ``response.create``, a truncate).
        self.outbox: list[dict[str, Any]] = []
        #: The server said the session hit its time limit (``session_expired``).
        self.expired = False
        self._seq = itertools.count(1)
        self._sent: dict[str, str] = {}
        self._buffered = 0

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        """A client event with an ``event_id``, remembered so that an error answering it can be placed."""
        event_id = f"omni_evt_{next(self._seq)}"
        self._sent[event_id] = kind
        if len(self._sent) > 256:
            del self._sent[next(iter(self._sent))]
        return {"type": kind, "event_id": event_id, **fields}

    def audio(self, data: bytes, rate: int | None = None) -> dict[str, Any] | None:
        """An ``input_audio_buffer.append`` of caller audio at ``rate`` (the session's input rate when
        None), converted to 24 kHz; None while the converter still holds it all."""
        make = self._make_in
        if make is None:
            wire = bytes(data)
        else:
            rate = rate or self.input.rate
            convert = self._in.get(rate)
            if convert is None:
                convert = self._in[rate] = make(rate)
            wire = convert.convert(data)
        if not wire:
            return None
        self._buffered += len(wire)
        return {"type": "input_audio_buffer.append", "audio": base64.b64encode(wire).decode("ascii")}

    def audio_events(self, blocks: Iterable[ContentBlock]) -> list[dict[str, Any]]:
        """Appends for audio blocks, each read at the rate its media type says (all checked first)."""
        blocks = list(blocks)
        rates = [self.input.rate_of(b.media_type) for b in blocks if isinstance(b, AudioBlock)]
        audio = iter(rates)
        out = []
        for block in blocks:
            if isinstance(block, AudioBlock) and (event := self.audio(block.data, next(audio))) is not None:
                out.append(event)
        return out

    def commit_buffer(self) -> list[dict[str, Any]]:
        """An ``input_audio_buffer.commit`` with manual turns and audio buffered (never an empty one)."""
        if not (self.manual_turns and self._buffered):
            return []
        self._buffered = 0
        return [self.event("input_audio_buffer.commit")]

    def read_error(self, event: dict[str, Any], racy: frozenset[str] = frozenset()) -> list[StreamEvent]:
        """An ``error`` event: ``session_expired`` noted, races (benign codes, or answers to a client
        event in ``racy``) logged, anything else an ``Error`` (``RealtimeAgent`` raises on any)."""
        error = event.get("error") or {}
        code, origin = error.get("code"), self._sent.get(str(error.get("event_id")))
        if code == "session_expired":
            self.expired = True
            return []
        if code in BENIGN_CODES or origin in racy:
            logger.info("realtime: %s (answering %s): %s", code, origin, error.get("message"))
            return []
        return [Error(server_error(error))]

    def origin(self, event: dict[str, Any]) -> str | None:
        """The kind of client event an ``error`` event answers, where it says."""
        return self._sent.get(str((event.get("error") or {}).get("event_id")))
