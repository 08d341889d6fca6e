"""A loopback server that answers every chat request with the same pre-built SSE stream, fast.

``python benchmarks/canned_server.py`` prints its port. Paths pick the stream:
``/big/v1/chat/completions`` (20,000 text chunks), ``/short/...`` (20 chunks), ``/ttft/...``
(the first chunk at once, the rest after 20 ms), ``/tools/...`` (one tool call whose arguments
come in 5,000 fragments) and ``/paced/...`` (20 chunks 50 ms apart: a one-second stream), so
clients are measured, not the server. ``/{any}/v1/responses`` is a Responses stream of 20,000
text deltas.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from processes import serve_app


def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    """One SSE event carrying a ``chat.completion.chunk`` with ``delta``, as OpenAI writes them."""
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "bench",
        "system_fingerprint": "fp",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def stream(n: int) -> list[bytes]:
    usage = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "bench",
        "choices": [],
        "usage": {"prompt_tokens": 10, "completion_tokens": n, "total_tokens": n + 10},
    }
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": f" word{i}"}) for i in range(n)),
        chunk({}, "stop"),
        b"data: " + json.dumps(usage).encode() + b"\n\n",
        b"data: [DONE]\n\n",
    ]


def tool_stream(fragments: int) -> list[bytes]:
    """One call whose JSON arguments arrive in ``fragments`` pieces of about 4 characters, as OpenAI sends."""
    arguments = json.dumps({"items": [f"v{i:04d}" for i in range(fragments // 2)]})
    size = len(arguments)
    pieces = [arguments[i * size // fragments : (i + 1) * size // fragments] for i in range(fragments)]
    head = {"index": 0, "id": "call_bench", "type": "function", "function": {"name": "lookup", "arguments": ""}}
    return [
        chunk({"role": "assistant", "content": None}),
        chunk({"tool_calls": [head]}),
        *(chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces),
        chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    ]


def blocks(parts: list[bytes], size: int = 16384) -> list[bytes]:
    body = b"".join(parts)
    return [body[i : i + size] for i in range(0, len(body), size)]


def responses_stream(n: int) -> list[bytes]:
    """A ``/v1/responses`` stream of ``n`` text deltas, framed and shaped as OpenAI sends them."""
    seq = iter(range(n + 10))

    def event(kind: str, **fields: object) -> bytes:
        body = {"type": kind, "sequence_number": next(seq), **fields}
        return b"event: " + kind.encode() + b"\ndata: " + json.dumps(body).encode() + b"\n\n"

    response = {"id": "resp_bench", "object": "response", "status": "in_progress", "model": "bench", "output": []}
    usage = {"input_tokens": 10, "output_tokens": n, "total_tokens": n + 10}
    where = {"item_id": "msg_bench", "output_index": 0, "content_index": 0}
    item = {"type": "message", "id": "msg_bench", "status": "in_progress", "role": "assistant", "content": []}
    return [
        event("response.created", response=response),
        event("response.in_progress", response=response),
        event("response.output_item.added", output_index=0, item=item),
        *(event("response.output_text.delta", **where, delta=f" word{i}", logprobs=[]) for i in range(n)),
        event("response.completed", response={**response, "status": "completed", "usage": usage}),
    ]


BIG, SHORT, TTFT = blocks(stream(20_000)), blocks(stream(20)), stream(50)
RESPONSES = blocks(responses_stream(20_000))
TOOLS, PACED = blocks(tool_stream(5_000)), stream(20)


async def handle(request: web.Request) -> web.StreamResponse:
    await request.read()
    kind = request.match_info["kind"]
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    if kind == "ttft":
        await resp.write(TTFT[0] + TTFT[1])
        await asyncio.sleep(0.02)
        await resp.write(b"".join(TTFT[2:]))
    elif kind == "paced":
        for piece in PACED:
            await resp.write(piece)
            await asyncio.sleep(0.05)
    else:
        for block in {"big": BIG, "tools": TOOLS}.get(kind, SHORT):
            await resp.write(block)
    await resp.write_eof()
    return resp


async def handle_responses(request: web.Request) -> web.StreamResponse:
    await request.read()
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    for block in RESPONSES:
        await resp.write(block)
    await resp.write_eof()
    return resp


def main() -> None:
    app = web.Application()
    app.router.add_post("/{kind}/v1/chat/completions", handle)
    app.router.add_post("/{kind}/v1/responses", handle_responses)
    # 200 concurrent clients connect at once; the default backlog of 128 would refuse some.
    serve_app(app, backlog=1024)


if __name__ == "__main__":
    main()
