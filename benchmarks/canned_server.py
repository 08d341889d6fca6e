"""A loopback server that answers every chat request with the same pre-built SSE stream, fast.

``python benchmarks/canned_server.py`` prints its port. Paths pick the stream:
``/big/v1/chat/completions`` (20,000 text chunks), ``/short/...`` (20 chunks) and ``/ttft/...``
(the first chunk at once, the rest after 20 ms), so clients are measured, not the server.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from processes import serve_app


def stream(n: int) -> list[bytes]:
    def chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "bench",
            "system_fingerprint": "fp",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(body).encode() + b"\n\n"

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


def blocks(parts: list[bytes], size: int = 16384) -> list[bytes]:
    body = b"".join(parts)
    return [body[i : i + size] for i in range(0, len(body), size)]


BIG, SHORT, TTFT = blocks(stream(20_000)), blocks(stream(20)), stream(50)


async def handle(request: web.Request) -> web.StreamResponse:
    await request.read()
    kind = request.match_info["kind"]
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    if kind == "ttft":
        await resp.write(TTFT[0] + TTFT[1])
        await asyncio.sleep(0.02)
        await resp.write(b"".join(TTFT[2:]))
    else:
        for block in BIG if kind == "big" else SHORT:
            await resp.write(block)
    await resp.write_eof()
    return resp


def main() -> None:
    app = web.Application()
    app.router.add_post("/{kind}/v1/chat/completions", handle)
    # 200 concurrent clients connect at once; the default backlog of 128 would refuse some.
    serve_app(app, backlog=1024)


if __name__ == "__main__":
    main()
