"""Incremental, sans-I/O decoder for ``text/event-stream`` (WHATWG HTML, "Server-sent events").

``SSEDecoder.decode(chunk, final=False)`` takes bytes as they arrive and returns the events they
complete. The output does not depend on where chunks are cut: lines end in CR, LF or CRLF (a CR at a
chunk's end is matched with an LF at the next one's start), a multi-byte UTF-8 character split
across chunks is decoded whole because decoding happens per complete line, ``:comment`` lines are
skipped, and a leading byte-order mark is dropped.

Bounds: an event (its data plus the line still being read) larger than ``max_event_bytes`` raises
:class:`SSEError` rather than growing without limit.

One deliberate departure from the standard: at end of input (``final=True``) an event that was not
closed by a blank line is still dispatched, because several servers end their stream on
``data: [DONE]`` with no trailing blank line, and discarding it would turn a finished answer into
a cut one.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from ..errors import MalformedResponseError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "EventReader", "SSEDecoder", "SSEError", "SSEEvent", "StreamDecoder"]

#: Builds an SSEEvent without the named tuple's Python-level __new__ (half the cost, per chunk).
_new = tuple.__new__
#: 16 MiB: far above any chat chunk, below what would exhaust memory.
DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


class SSEError(MalformedResponseError):
    """The event stream broke a bound (an event over the size limit)."""


class SSEEvent(NamedTuple):
    """One dispatched event: ``event`` is its type (``"message"`` when unnamed), ``data`` its lines joined by LF.

    A named tuple rather than a dataclass: one is made per chunk of every stream, and a tuple is
    the cheapest immutable value Python builds.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed bytes, get :class:`SSEEvent` objects; the same events whatever the chunk boundaries."""

    __slots__ = ("max_event_bytes", "_buf", "_data", "_size", "_event", "_last_id", "_retry", "_cr", "_started")

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes <= 0:
            raise ValueError(f"max_event_bytes must be positive, got {max_event_bytes!r}")
        self.max_event_bytes = max_event_bytes
        self._buf = b""  # the incomplete last line
        self._data: list[bytes] = []
        self._size = 0
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        self._cr = False  # the previous chunk ended in CR, so a leading LF here ends nothing
        self._started = False

    def decode(self, chunk: bytes, final: bool = False) -> list[SSEEvent]:
        """Events completed by ``chunk``; with ``final=True`` also the one left open at end of input."""
        if not self._started and chunk:
            # The BOM may itself arrive split; wait until three bytes are in hand.
            head = self._buf + chunk
            if len(head) < 3 and _BOM.startswith(head) and not final:
                self._buf = head
                return []
            self._started = True
            chunk = head[3:] if head.startswith(_BOM) else head
            self._buf = b""
        if self._cr:
            self._cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._cr = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        out: list[SSEEvent] = []
        if b"\n" in chunk:
            lines = (self._buf + chunk).split(b"\n")
            self._buf = lines.pop()
            # The two lines every chat chunk is made of (data, then blank) are handled inline, and
            # the size bound is checked once per chunk below; other lines go through _line.
            data = self._data
            for line in lines:
                if line[:6] == b"data: ":
                    data.append(line[6:])
                    self._size += len(line) - 5
                elif line:
                    self._line(line, out)
                elif data:
                    if self._size > self.max_event_bytes:
                        raise SSEError(f"an event exceeds max_event_bytes={self.max_event_bytes}")
                    text = (data[0] if len(data) == 1 else b"\n".join(data)).decode("utf-8", "replace")
                    out.append(_new(SSEEvent, (text, self._event or "message", self._last_id, self._retry)))
                    data = self._data = []
                    self._size = 0
                    self._event = ""
                else:
                    self._event = ""
        else:
            self._buf += chunk
        if final:
            if self._buf:
                line, self._buf = self._buf, b""
                self._line(line, out)
            self._line(b"", out)
        elif len(self._buf) + self._size > self.max_event_bytes:
            raise SSEError(f"an event exceeds max_event_bytes={self.max_event_bytes}")
        return out

    def _line(self, line: bytes, out: list[SSEEvent]) -> None:
        if line[:6] == b"data: ":
            self._add_data(line[6:])
            return
        if not line:
            if self._data:
                data = b"\n".join(self._data).decode("utf-8", "replace")
                out.append(SSEEvent(data, self._event or "message", self._last_id, self._retry))
                self._data = []
                self._size = 0
            self._event = ""
            return
        if line[:1] == b":":
            return
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._add_data(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value.isdigit():
                self._retry = int(value)

    def _add_data(self, value: bytes) -> None:
        self._size += len(value) + 1
        if self._size > self.max_event_bytes:
            raise SSEError(f"an event exceeds max_event_bytes={self.max_event_bytes}")
        self._data.append(value)


class EventReader(Protocol):
    """Reads one endpoint's SSE events: a list of axio events for each, more at the end."""

    def feed_event(self, event: SSEEvent) -> list[Any]: ...
    def close(self) -> list[Any]: ...


class StreamDecoder:
    """Bytes of an SSE stream in, a reader's events out: ``feed(chunk)``, then ``close()``.

    Each endpoint's decoder is this with its own ``reader`` (chat chunks, Responses events).
    """

    __slots__ = ("sse", "reader")

    def __init__(self, reader: EventReader, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.sse = SSEDecoder(max_event_bytes=max_event_bytes)
        self.reader = reader

    def feed(self, chunk: bytes) -> list[Any]:
        reader = self.reader
        events = self.sse.decode(chunk)
        if len(events) == 1:
            return reader.feed_event(events[0])
        out: list[Any] = []
        for event in events:
            out.extend(reader.feed_event(event))
        return out

    def close(self) -> list[Any]:
        out: list[Any] = []
        for event in self.sse.decode(b"", final=True):
            out.extend(self.reader.feed_event(event))
        out.extend(self.reader.close())
        return out
