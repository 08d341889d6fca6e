"""``LiveSession``: the live side of a realtime session, one WebSocket at a time.

A session's rules live in its protocol object (:class:`~axio_omni.wire.realtime.RealtimeProtocol`
for a conversation, :class:`~axio_omni.wire.realtime_transcription.TranscriptionProtocol` for live
captions); this module moves its events over the socket and keeps the session going when the socket
does not:

- A close with a recoverable code (1001, 1006, 1011, 1012, 1013; a ping that goes unanswered is
  1006 here) or the server's ``session_expired`` reopens the connection, with backoff and at most
  ``reconnect_attempts`` tries, sends the same ``session.update``, re-creates the conversation so far
  (what the protocol's ``replay()`` gives), and ``events()`` goes on. A response cut by the drop
  ends with ``TurnComplete(error)`` first.
- After ``recycle_after_s``, a fresh connection is opened between turns, the conversation replayed
  there, and swapped in before OpenAI's 60-minute cap ends the old one.
- Any other close ends ``events()`` with an ``Error`` carrying
  :class:`~axio_omni.errors.SessionClosedError` (code and reason).

``events()`` reads the socket itself (no background task), so ``close()`` leaves nothing running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from axio.events import Error, ProviderEvent, StreamEvent, TurnComplete
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from ..errors import APIConnectionError, APITimeoutError, OmniError, Phase, SessionClosedError
from ..retry import RetryPolicy, call_with_retry
from ..telemetry_realtime import SessionTrace
from ..wire.realtime_input import LiveProtocol
from ..wire.realtime_items import server_error
from .request import Request
from .websocket import open_websocket

__all__ = ["RECOVERABLE_CLOSE_CODES", "Link", "LiveSession"]

logger = logging.getLogger("axio_omni.realtime")

#: Close codes after which the same session can be opened again.
RECOVERABLE_CLOSE_CODES = frozenset({1001, 1006, 1011, 1012, 1013})
#: Client events sent again after a reconnection if a drop swallowed them (items are replayed anyway).
_RESEND = frozenset({"response.create"})
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_APPEND = "input_audio_buffer.append"


def _encode(event: dict[str, Any]) -> str:
    """A client event as JSON text. An audio append, sent fifty times a second, is written as it is:
    base64 needs no escaping, and the encoder's own work is most of its cost."""
    if event["type"] == _APPEND and len(event) == 2:
        return '{"type":"input_audio_buffer.append","audio":"' + str(event["audio"]) + '"}'
    return _ENCODER.encode(event)


#: What answers ``session.update`` (GA; the beta transcription session's name too).
_UPDATED = frozenset({"session.updated", "transcription_session.updated"})


@dataclass(frozen=True, slots=True)
class Link:
    """How to open, and reopen, one transport's realtime WebSocket."""

    request: Request
    retry: RetryPolicy
    reconnect_attempts: int
    recycle_after_s: float | None
    max_size: int
    ping_interval: float | None
    ping_timeout: float | None
    #: How long closing waits for the server's answer: also how long a connection whose pings went
    #: unanswered holds on before it counts as dropped.
    close_timeout: float = 1.0
    #: Server events held for a caller that reads slowly (one that plays each delta before the next):
    #: past this the socket stops reading, its pongs go unseen, and the keep-alive would drop it.
    #: About 100 s of 100 ms audio deltas, 7 MB at most.
    max_queue: int = 1024

    async def open(self) -> ClientConnection:
        return await open_websocket(
            self.request,
            RetryPolicy.none(),
            max_size=self.max_size,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            close_timeout=self.close_timeout,
            max_queue=self.max_queue,
        )


def _close_of(exc: ConnectionClosed) -> tuple[int, str]:
    """The close code and reason the server sent (1006 when it sent none: the connection died)."""
    if exc.rcvd is not None:
        return exc.rcvd.code, exc.rcvd.reason
    return 1006, "the connection was lost without a close frame"


class LiveSession[P: LiveProtocol]:
    """A live realtime session over one WebSocket at a time; its protocol ``P`` decides what is said."""

    def __init__(
        self,
        link: Link,
        protocol: P,
        session: dict[str, Any],
        *,
        clock: Callable[[], float] = time.monotonic,
        trace: SessionTrace | None = None,
    ) -> None:
        self.protocol = protocol
        #: The session's span and its turns' (``telemetry.py``), when tracing is on.
        self._trace = trace
        self._link, self._session, self._clock = link, session, clock
        self._ws: ClientConnection | None = None
        self._ready = asyncio.Event()
        self._closing = False
        self._opened_at = 0.0
        self._dropped = 0
        self._recovery: asyncio.Task[None] | None = None
        self._failure: OmniError | None = None
        #: Item ids (and ``response.create``) the last reconnection's replay carried.
        self._replayed: set[str] = set()
        self._notices: list[StreamEvent] = []
        #: How many times the connection was reopened (drops, expiry, recycling).
        self.reconnects = 0

    def __repr__(self) -> str:
        state = "closed" if self._closing else ("open" if self._ready.is_set() else "connecting")
        return f"<{type(self).__name__} {self._link.request.what} {state} reconnects={self.reconnects}>"

    # ── connection ──────────────────────────────────────────────────────────────────────────────

    async def open(self) -> None:
        """Open and configure the first connection (``connect()`` calls this)."""
        self._ws = await self._connect(self._link.retry)
        self._opened_at = self._clock()
        self._ready.set()

    async def _connect(self, policy: RetryPolicy) -> ClientConnection:
        """A new connection with this session's configuration confirmed, retried as ``policy`` allows."""

        async def attempt(left: float | None) -> ClientConnection:
            ws = await self._link.open()
            try:
                await self._configure(ws, left)
            except BaseException:
                await ws.close()
                raise
            return ws

        return await call_with_retry(policy, attempt, repeat=self._link.request.repeat, what=self._link.request.what)

    async def _configure(self, ws: ClientConnection, left: float | None) -> None:
        """Send ``session.update`` and wait for ``session.updated``; the server's ``error`` is raised typed."""
        read = self._link.request.timeouts.read or 30.0
        try:
            await ws.send(_ENCODER.encode(self.protocol.event("session.update", session=self._session)))
            async with asyncio.timeout(read if left is None else min(read, left)):
                while True:
                    event = json.loads(await ws.recv())
                    kind = event.get("type") if isinstance(event, dict) else None
                    if kind in _UPDATED:
                        return
                    if kind == "error":
                        raise server_error(event.get("error") or {})
        except ConnectionClosed as exc:
            code, reason = _close_of(exc)
            if code in RECOVERABLE_CLOSE_CODES:
                raise APIConnectionError(
                    f"closed {code} before session.updated: {reason}", phase=Phase.AWAITING_RESPONSE
                ) from None
            raise SessionClosedError(
                f"the server closed the session ({code}): {reason}", close_code=code, reason=reason
            ) from None
        except TimeoutError:
            raise APITimeoutError(f"no session.updated within {read:g}s", phase=Phase.AWAITING_RESPONSE) from None

    def _recover(self, lost: ClientConnection | None, why: str) -> asyncio.Task[None]:
        """The reconnection that replaces ``lost``, started now if nobody has started it yet.

        Whoever sees the connection go first (``events()`` reading, or a send) starts it; the other
        waits for the same one, so the session recovers whether or not the caller is reading.
        """
        if self._recovery is None or (self._recovery.done() and self._ws is lost):
            self._ready.clear()
            self._recovery = asyncio.create_task(self._reconnect(lost, why), name="axio-omni realtime reconnect")
            # Its failure is kept in ``_failure`` and reported from there; the task's own copy is read here.
            self._recovery.add_done_callback(lambda t: t.cancelled() or t.exception())
        return self._recovery

    async def _reconnect(self, old: ClientConnection | None, why: str) -> None:
        """Swap in a new connection carrying the same configuration and conversation."""
        try:
            attempts = self._link.reconnect_attempts
            policy = dataclasses.replace(self._link.retry, max_retries=max(attempts - 1, 0), deadline=None)
            ws = await self._connect(policy)
            replay = self.protocol.replay()
            self._replayed = {e["item"]["id"] for e in replay if "item" in e} | {
                e["type"] for e in replay if e["type"] == "response.create"
            }
            for event in replay:
                await ws.send(_ENCODER.encode(event))
        except BaseException as exc:
            self._failure = exc if isinstance(exc, OmniError) else SessionClosedError(f"reconnecting failed: {exc!r}")
            self._ready.set()  # waiting senders wake up and see the failure
            raise
        finally:
            if old is not None:
                await old.close()
        self._ws, self._opened_at = ws, self._clock()
        self.reconnects += 1
        self._notices.append(
            ProviderEvent("axio-omni", "session.reconnected", {"reason": why, "reconnects": self.reconnects})
        )
        self._ready.set()
        logger.info("realtime: reconnected (%s); %d events replayed", why, len(replay))

    # ── the caller's side ───────────────────────────────────────────────────────────────────────

    async def _send(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            waited = not self._ready.is_set()
            if waited and event["type"] == _APPEND:
                self._dropped += 1
                if self._dropped == 1:
                    logger.warning("realtime: reconnecting; audio sent meanwhile is dropped")
                continue
            ws = await self._usable()
            if waited and not self._resend(event):
                continue
            self._dropped = 0
            try:
                await ws.send(_encode(event))
            except ConnectionClosed as exc:
                code, reason = _close_of(exc)
                if code not in RECOVERABLE_CLOSE_CODES or self._link.reconnect_attempts == 0:
                    raise SessionClosedError(
                        f"the realtime session closed with code {code}: {reason}", close_code=code, reason=reason
                    ) from None
                self._recover(ws, f"close {code}")
                fresh = await self._usable()
                if self._resend(event):
                    await fresh.send(_encode(event))

    def _resend(self, event: dict[str, Any]) -> bool:
        """Whether an event that met a reconnection still goes out: new items and an unreplayed
        ``response.create`` do; what the replay carried, and cancels, truncates, commits, do not."""
        if event["type"] == "conversation.item.create":
            return event["item"].get("id") not in self._replayed
        return event["type"] == "response.create" and "response.create" not in self._replayed

    async def _usable(self) -> ClientConnection:
        """The live connection, after any reconnection in progress (bounded by its own retry policy)."""
        recovery = self._recovery
        if not self._ready.is_set() and recovery is not None:
            await asyncio.wait([recovery])  # waiting never cancels it: other callers wait for it too
        return self._live()

    def _live(self) -> ClientConnection:
        if self._failure is not None:
            raise self._failure
        if self._closing or self._ws is None:
            raise SessionClosedError("the realtime session is closed")
        return self._ws

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Server events as axio events, across reconnections, until ``close()`` or a fatal close.

        A reconnection starts before the events that call for it are yielded, so a caller that stops
        iterating at any event (and calls ``events()`` again later) finds it under way or done.
        """
        proto = self.protocol
        while not self._closing:
            try:
                ws = await self._usable()  # waits for a reconnection in progress
            except OmniError as exc:
                if not self.closed:
                    yield Error(exc)
                return
            while self._notices:  # "session.reconnected", once the new connection is in place
                yield self._notices.pop(0)
            replaced = False
            try:
                while not replaced:
                    events, replaced = await self._receive(ws)
                    for event in events:
                        yield event
            except ConnectionClosed as exc:
                if self.closed:
                    return
                code, reason = _close_of(exc)
                if code not in RECOVERABLE_CLOSE_CODES or self._link.reconnect_attempts == 0:
                    message = f"the realtime session closed with code {code}: {reason or 'no reason given'}"
                    self._failure = SessionClosedError(message, close_code=code, reason=reason)
                    self._end_trace(self._failure)
                    for event in [*proto.connection_lost(), Error(self._failure)]:
                        yield event
                    return
                self._recover(ws, f"close {code}")
                for event in proto.connection_lost():
                    yield event

    async def _receive(self, ws: ClientConnection) -> tuple[list[StreamEvent], bool]:
        """The axio events of the next server message, and whether the connection is being replaced
        (the session expired, or it is due for recycling); answers the protocol asks for are sent."""
        proto = self.protocol
        events = proto.receive(json.loads(await ws.recv()))
        if proto.outbox:
            out, proto.outbox = proto.outbox, []
            await self._send(out)
        replaced = False
        if proto.expired:
            proto.expired, replaced = False, True
            self._recover(ws, "session_expired")
            events += proto.connection_lost()
        # A TurnComplete ends the list of a response.done: the one point a recycle is asked.
        elif events and type(events[-1]) is TurnComplete and self._recycle_due():
            replaced = True
            self._recover(ws, "recycle")
        if self._trace is not None:
            self._trace.saw(events)
        return events, replaced

    def _end_trace(self, error: BaseException | None = None) -> None:
        if self._trace is not None:
            self._trace.end(error)
            self._trace = None

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closing

    def _recycle_due(self) -> bool:
        after = self._link.recycle_after_s
        return after is not None and self.protocol.between_turns and self._clock() - self._opened_at >= after

    async def close(self) -> None:
        """Close the connection; idempotent, and nothing is left running."""
        if self._closing:
            return
        self._closing = True
        self._ready.set()  # senders waiting for a reconnection wake up and see the session closed
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
            await asyncio.gather(self._recovery, return_exceptions=True)
        self._end_trace()
        if self._ws is not None:
            await self._ws.close()
