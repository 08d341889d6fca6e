"""Writes a reply as a ``chat.completion.chunk`` event stream, through the stream fault's writer."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .chat_audio import SpokenDeltas
from .replies import Reply
from .shapes import chunk, usage_of
from .state import Call
from .writer import BodyWriter, dumps

__all__ = ["reply_chunks", "stream_reply"]


def reply_chunks(
    reply: Reply, ident: str, created: int, model: str, include_usage: bool, spoken: SpokenDeltas | None = None
) -> list[dict[str, Any]]:
    """Every chunk of the stream for ``reply``, in order, as OpenAI sends them; a spoken reply's
    audio deltas (``chat_audio.py``) take the place of its text, with their own usage."""

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    first = {"role": "assistant", "content": None if spoken else "", "refusal": None}
    out = [chunk(ident, created, model, choice(first))]
    content = spoken.deltas if spoken is not None else [{"content": piece} for piece in reply.chunks]
    out += [chunk(ident, created, model, choice(delta)) for delta in content]
    for i, call in enumerate(reply.tool_calls):
        head = {"index": i, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        out.append(chunk(ident, created, model, choice({"tool_calls": [head]})))
        # Arguments in pieces of about 8 characters, as OpenAI splits them.
        for at in range(0, len(call.arguments), 8):
            piece = {"index": i, "function": {"arguments": call.arguments[at : at + 8]}}
            out.append(chunk(ident, created, model, choice({"tool_calls": [piece]})))
    out.append(chunk(ident, created, model, choice({}, reply.finish_reason)))
    if include_usage:
        out.append(chunk(ident, created, model, [], spoken.usage if spoken else usage_of(reply)))
    return out


async def stream_reply(
    request: web.Request,
    call: Call,
    reply: Reply,
    ident: str,
    created: int,
    model: str,
    include_usage: bool,
    spoken: SpokenDeltas | None = None,
) -> web.StreamResponse:
    """The reply's chunks (spoken, when ``spoken`` holds its audio deltas) as SSE, then ``[DONE]``."""
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "x-request-id": f"req_{ident[-16:]}"}
    )
    await resp.prepare(request)
    writer = BodyWriter(request, resp, call, sse=True)
    chunks = reply_chunks(reply, ident, created, model, include_usage, spoken)
    no_done = call.fault.stream.no_done
    if no_done:
        # Content only: no finish chunk, no usage, no [DONE], as a cut connection looks on the wire.
        chunks = chunks[: 1 + (len(spoken.deltas) if spoken is not None else len(reply.chunks))]
    for data in chunks:
        if not await writer.send(b"data: " + dumps(data) + b"\n\n"):
            return resp
    await writer.end(b"" if no_done else b"data: [DONE]\n\n")
    return resp
