"""TransportPool: the HTTP sessions every transport shares, one per running event loop.

An ``aiohttp.ClientSession`` belongs to the loop it was made on: used from another loop it fails
with "attached to a different loop", and left open when its loop closes it warns. The pool keys
sessions by loop, makes one on first use in each loop, and closes it while that loop can still run
the close: a guard async generator started in the loop is finalized by ``loop.shutdown_asyncgens()``
(which ``asyncio.run``, ``asyncio.Runner`` and pytest-asyncio call before closing a loop) and
closes the session there. A loop closed without that step leaves a session whose sockets are
released without the loop the next time the pool is used.

Ownership follows aiohttp's ``connector_owner``: the pool closes only sessions it made; a caller's
own ``session=`` is never closed by a transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
import weakref
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiohttp

from .errors import ConfigurationError
from .fields import check_settings, setting
from .rules import Number
from .serial import Serializable

__all__ = ["PoolSettings", "TransportPool", "default_pool"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolSettings(Serializable):
    """Connection limits and reuse of a :class:`TransportPool`'s sessions."""

    type_name = "pool-settings"

    #: Connections open at once across all hosts (0 for no limit). A request waiting for one of
    #: them waits under its ``RetryPolicy.deadline``, not under ``Timeouts.connect``.
    limit: int = setting(100, Number(0, integer=True))
    #: Connections open at once to one host (0 for no limit).
    limit_per_host: int = setting(0, Number(0, integer=True))
    #: Seconds an idle connection is kept for reuse. Below the 5 s after which llama.cpp and uvicorn
    #: (vLLM, most FastAPI servers) close idle connections, so that a request is never written into
    #: a connection the server is closing at that moment.
    keepalive_timeout: float = setting(4.0, Number(0, unit="seconds"))
    #: Seconds a DNS answer is cached (None to cache for ever, 0 not to cache).
    dns_cache_ttl: int | None = setting(10, Number(0, integer=True, optional=True))

    def __post_init__(self) -> None:
        check_settings(self)


@dataclass(slots=True, eq=False)
class _LoopEntry:
    session: aiohttp.ClientSession
    guard: AsyncGenerator[None, None] | None = None


class TransportPool:
    """Owns one ``aiohttp.ClientSession`` per running event loop, made on first use.

    ``async with TransportPool(limit=8) as pool:`` closes what it opened on exit; so does ``await
    pool.close()``. A pool that opened sessions and is dropped unclosed warns with
    ``ResourceWarning``. The process-wide :func:`default_pool` closes each loop's session when that
    loop shuts down and never warns.
    """

    __slots__ = ("settings", "_entries", "_closed", "_quiet", "_last", "__weakref__")

    def __init__(self, settings: PoolSettings | None = None, *, _quiet: bool = False, **limits: Any) -> None:
        if settings is not None and limits:
            raise ConfigurationError("TransportPool takes settings= or keyword limits, not both")
        self.settings = settings if settings is not None else PoolSettings(**limits)
        self._entries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopEntry] = weakref.WeakKeyDictionary()
        self._closed = False
        self._quiet = _quiet
        # The loop and session of the last call: nearly every call comes from the same loop.
        self._last: tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession] | None = None

    def __repr__(self) -> str:
        return f"TransportPool({self.settings!r}, sessions={len(self._entries)})"

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self) -> aiohttp.ClientSession:
        """The session for the running loop, made on first use. Must be called inside a running loop."""
        if self._closed:
            raise RuntimeError("this TransportPool is closed")
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0] is loop and not last[1].closed:
            return last[1]
        self._drop_dead_loops()
        entry = self._entries.get(loop)
        if entry is not None and not entry.session.closed:
            self._last = (loop, entry.session)
            return entry.session
        entry = _LoopEntry(session=self._new_session())
        self._entries[loop] = entry
        entry.guard = _guard(entry.session)
        # The first step registers the generator with the loop's async-generator hooks (so that
        # shutdown_asyncgens finalizes it) and runs it to its yield, synchronously.
        try:
            entry.guard.asend(None).send(None)
        except StopIteration:
            pass
        self._last = (loop, entry.session)
        return entry.session

    def _new_session(self) -> aiohttp.ClientSession:
        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=s.limit,
            limit_per_host=s.limit_per_host,
            keepalive_timeout=s.keepalive_timeout,
            ttl_dns_cache=s.dns_cache_ttl,
            use_dns_cache=s.dns_cache_ttl != 0,
        )
        # Timeouts are per request (the transports set them), never the session's 5-minute default.
        return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None))

    def _drop_dead_loops(self) -> None:
        for loop in [loop for loop in self._entries if loop.is_closed()]:
            _abandon(self._entries.pop(loop))

    async def close(self) -> None:
        """Close the running loop's session and release the others; idempotent."""
        self._closed = True
        self._last = None
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        entries = list(self._entries.items())
        self._entries.clear()
        for loop, entry in entries:
            if loop is current:
                await entry.session.close()
            elif loop.is_closed():
                _abandon(entry)
            else:
                # Closed on its own loop; this one cannot await it.
                asyncio.run_coroutine_threadsafe(entry.session.close(), loop)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __del__(self, _warn: type[ResourceWarning] = ResourceWarning) -> None:
        entries = getattr(self, "_entries", None)
        if not entries or getattr(self, "_quiet", True) or getattr(self, "_closed", True):
            return
        if any(not e.session.closed for e in entries.values()):
            warnings.warn(f"unclosed {self!r}: use 'async with TransportPool()' or await close()", _warn, stacklevel=2)


async def _guard(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Yields once and waits; finalized by its loop's shutdown (or when dropped), it closes ``session``.

    It holds the session and nothing else, so a dropped pool is not kept alive by it.
    """
    try:
        yield
    finally:
        await session.close()


def _abandon(entry: _LoopEntry) -> None:
    """Release a session whose loop is closed, without that loop.

    The loop can no longer run ``session.close()``, so the sockets are closed directly and the
    session, its connector and its guard are marked finished; otherwise each would warn when
    collected, and the guard's finalizer would try to schedule work on the closed loop.
    """
    session = entry.session
    connector = session.connector
    if connector is not None and not connector.closed:
        with contextlib.suppress(Exception):
            for protos in list(getattr(connector, "_conns", {}).values()):
                for proto, *_ in protos:
                    transport = getattr(proto, "transport", None)
                    sock = getattr(transport, "_sock", None)
                    if sock is not None:
                        sock.close()
                        transport._sock = None  # type: ignore[union-attr]  # noqa: SLF001
        connector._closed = True  # noqa: SLF001
    session._connector = None  # noqa: SLF001
    if entry.guard is not None:
        # The session now reads as closed, so the guard's close() awaits nothing and ends here.
        with contextlib.suppress(StopIteration, RuntimeError):
            entry.guard.aclose().send(None)


_DEFAULT: TransportPool | None = None


def default_pool() -> TransportPool:
    """The process-wide pool transports use when given neither ``pool=`` nor ``session=``."""
    global _DEFAULT
    if _DEFAULT is None or _DEFAULT.closed:
        _DEFAULT = TransportPool(_quiet=True)
    return _DEFAULT
