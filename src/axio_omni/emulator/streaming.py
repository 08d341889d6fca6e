"""Writes a reply as a ``chat.completion.chunk`` event stream, applying the stream faults."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .faults import Fault
from .replies import Reply
from .shapes import chunk, dumps, usage_of

__all__ = ["reply_chunks", "stream_reply"]


def reply_chunks(reply: Reply, ident: str, created: int, model: str, include_usage: bool) -> list[dict[str, Any]]:
    """Every chunk of the stream for ``reply``, in order, as OpenAI sends them."""

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    out = [chunk(ident, created, model, choice({"role": "assistant", "content": "", "refusal": None}))]
    out += [chunk(ident, created, model, choice({"content": piece})) for piece in reply.chunks]
    for i, call in enumerate(reply.tool_calls):
        head = {"index": i, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        out.append(chunk(ident, created, model, choice({"tool_calls": [head]})))
        # Arguments in pieces of about 8 characters, as OpenAI splits them.
        for at in range(0, len(call.arguments), 8):
            piece = {"index": i, "function": {"arguments": call.arguments[at : at + 8]}}
            out.append(chunk(ident, created, model, choice({"tool_calls": [piece]})))
    out.append(chunk(ident, created, model, choice({}, reply.finish_reason)))
    if include_usage:
        out.append(chunk(ident, created, model, [], usage_of(reply)))
    return out


async def stream_reply(
    request: web.Request, fault: Fault | None, reply: Reply, ident: str, created: int, model: str, include_usage: bool
) -> web.StreamResponse:
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "x-request-id": f"req_{ident[-16:]}"}
    )
    await resp.prepare(request)
    chunks = reply_chunks(reply, ident, created, model, include_usage)
    if fault is not None and fault.no_done:
        # Content only: no finish chunk, no usage, no [DONE], as a cut connection looks on the wire.
        chunks = chunks[: 1 + len(reply.chunks)]
    for n, data in enumerate(chunks):
        if fault is not None and await _fault_at(n, fault, request, resp):
            return resp
        await resp.write(b"data: " + dumps(data) + b"\n\n")
    if fault is not None and await _fault_at(len(chunks), fault, request, resp):
        return resp
    if fault is None or not fault.no_done:
        await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    if fault is not None and fault.close_after and request.transport is not None:
        # As llama.cpp does after some streams: no "Connection: close", the socket just goes.
        request.transport.close()
    return resp


async def _fault_at(n: int, fault: Fault, request: web.Request, resp: web.StreamResponse) -> bool:
    """Applies what ``fault`` scripts after ``n`` chunks; True when the stream must stop here."""
    if fault.stall_after == n and fault.stall:
        await asyncio.sleep(fault.stall)
    if fault.malformed_after == n:
        await resp.write(b'data: {"id": "chatcmpl-broken", "choices": [{"delta": \n\n')
    if fault.error_after == n:
        error = {"error": {"message": fault.message, "type": "server_error", "param": None, "code": "server_error"}}
        prefix = b"event: error\n" if fault.error_event else b""
        await resp.write(prefix + b"data: " + dumps(error) + b"\n\n")
        await resp.write_eof()
        return True
    if fault.drop_after == n:
        if request.transport is not None:
            request.transport.close()
        return True
    return False
