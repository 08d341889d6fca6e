"""Every answer body goes out through :class:`BodyWriter`, which applies a stream fault the same way
for every endpoint: events are SSE events (chat) or body chunks (audio, JSON), and a fault may stall,
cut, corrupt or close after any of them, or after a number of bytes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from .faults import StreamFault
from .state import STATE, Call

__all__ = ["BodyWriter", "dumps", "respond_bytes", "respond_json"]

#: Bytes per chunk of a JSON body.
_JSON_CHUNK = 64 * 1024


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


class BodyWriter:
    """Writes one answer's body event by event, as ``call``'s stream fault scripts.

    ``send`` returns False once the fault has ended the body (the connection is closed, or an
    in-band error was the last event): the handler stops writing.
    """

    def __init__(
        self,
        request: web.Request,
        response: web.StreamResponse,
        call: Call,
        *,
        sse: bool,
        in_band: Callable[[str], bytes] | None = None,
    ) -> None:
        self.request, self.response, self.call, self.sse = request, response, call, sse
        #: The in-band error event of this endpoint's stream, for a message (chat's shape by default).
        self.in_band = in_band
        self.fault: StreamFault = call.fault.stream
        self.clock = request.app[STATE].clock
        self.events = 0
        self.written = 0
        self.ended = False

    async def send(self, data: bytes) -> bool:
        if self.ended:
            return False
        if not await self._before(self.events):
            return False
        limit = self.fault.drop_after_bytes
        if limit is not None and self.written + len(data) >= limit:
            await self.response.write(data[: max(0, limit - self.written)])
            self._cut()
            return False
        await self.response.write(data)
        self.events += 1
        self.written += len(data)
        return True

    async def end(self, tail: bytes = b"") -> None:
        """Finish the body (``tail`` is an end marker such as ``data: [DONE]``), unless a fault ended it."""
        if self.ended or not await self._before(self.events):
            return
        if tail:
            await self.response.write(tail)
        await self.response.write_eof()
        self.ended = True
        if self.fault.close_after and self.request.transport is not None:
            # As llama.cpp does after every stream: no "Connection: close", the socket just goes.
            self.request.transport.close()

    async def _before(self, n: int) -> bool:
        """Applies what the fault scripts before event ``n``; False when the body must stop here."""
        fault = self.fault
        if fault.pace and n:
            await self.clock.sleep(fault.pace)
        if fault.stall_after == n and fault.stall:
            await self.clock.sleep(fault.stall)
        if self.sse and fault.malformed_after == n:
            await self.response.write(b'data: {"id": "chatcmpl-broken", "choices": [{"delta": \n\n')
        if fault.error_after == n and self.sse:
            message = self.call.fault.transport.message
            if self.in_band is not None:
                await self.response.write(self.in_band(message))
            else:
                error = {"error": {"message": message, "type": "server_error", "param": None, "code": "server_error"}}
                prefix = b"event: error\n" if fault.error_event else b""
                await self.response.write(prefix + b"data: " + dumps(error) + b"\n\n")
            await self.response.write_eof()
            self.ended = True
            return False
        if fault.drop_after == n or (fault.error_after == n and not self.sse):
            self._cut()
            return False
        return True

    def _cut(self) -> None:
        self.ended = True
        if self.request.transport is not None:
            self.request.transport.close()


async def respond_json(
    request: web.Request,
    call: Call,
    data: Any,
    *,
    headers: Mapping[str, str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    """``data`` as a JSON answer with its length, in chunks, through the stream fault."""
    body = dumps(data)
    return await respond_bytes(request, call, body, "application/json", headers=headers, status=status)


async def respond_bytes(
    request: web.Request,
    call: Call,
    body: bytes,
    content_type: str,
    *,
    headers: Mapping[str, str] | None = None,
    status: int = 200,
    chunk: int = _JSON_CHUNK,
    length: bool = True,
) -> web.StreamResponse:
    """``body`` in chunks of ``chunk`` bytes through the stream fault; with its Content-Length unless not ``length``."""
    resp = web.StreamResponse(status=status, headers={"Content-Type": content_type, **(headers or {})})
    if length:
        resp.content_length = len(body)
    await resp.prepare(request)
    writer = BodyWriter(request, resp, call, sse=False)
    for piece in _pieces(body, chunk):
        if not await writer.send(piece):
            return resp
    await writer.end()
    return resp


def _pieces(body: bytes, size: int) -> Iterable[bytes]:
    return (body[at : at + size] for at in range(0, len(body), size)) if body else (b"",)
