"""The emulator's aiohttp application: OpenAI's API, offline, with scriptable faults.

Routes live under ``/v1``. Every request passes one middleware that records it, counts concurrent
requests and distinct client connections (for pool tests), checks the key when one is set, and
applies the status and delay parts of a fault; stream faults are applied while streaming.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .embeddings import handle_embeddings
from .faults import FAULT_HEADER, Fault, FaultQueue
from .replies import Reply, reply_to
from .shapes import completion, error_response
from .speech import handle_speech, handle_transcription
from .streaming import stream_reply

__all__ = ["EmulatorState", "RecordedRequest", "make_app"]

MODELS = ("emulator-1", "gpt-4.1-mini", "gpt-4o-mini", "gpt-4.1", "text-embedding-3-small", "text-embedding-3-large")


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(slots=True)
class EmulatorState:
    """What the emulator remembers: scripted faults, what it was sent, how many connections it saw."""

    api_key: str | None = None
    #: The embeddings endpoint's limits, OpenAI's by default: inputs and tokens per request, tokens per input.
    embedding_limits: dict[str, int] = field(
        default_factory=lambda: {"inputs": 2048, "request_tokens": 300_000, "input_tokens": 8192}
    )
    faults: FaultQueue = field(default_factory=FaultQueue)
    requests: list[RecordedRequest] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    peers: set[tuple[str, int]] = field(default_factory=set)


STATE = web.AppKey("state", EmulatorState)
#: The fault and parsed body of the request being handled; each request runs in its own task.
_FAULT: ContextVar[Fault | None] = ContextVar("fault", default=None)
_BODY: ContextVar[Any] = ContextVar("body", default=None)
_RECORD: ContextVar[RecordedRequest | None] = ContextVar("record", default=None)


def _fault_status(fault: Fault) -> web.Response:
    headers: dict[str, str] = {"x-request-id": f"req_{uuid.uuid4().hex[:16]}"}
    if fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    if fault.should_retry is not None:
        headers["x-should-retry"] = "true" if fault.should_retry else "false"
    kind = "rate_limit_exceeded" if fault.status == 429 else ("server_error" if (fault.status or 0) >= 500 else None)
    return error_response(
        fault.status or 500,
        fault.message,
        type=kind or "invalid_request_error",
        code=kind,
        shape=fault.body,
        headers=headers,
    )


@web.middleware
async def _middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    state = request.app[STATE]
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if peer:
        state.peers.add((str(peer[0]), int(peer[1])))
    state.active += 1
    state.max_active = max(state.max_active, state.active)
    try:
        body: Any = None
        if request.can_read_body and request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return error_response(400, "We could not parse the JSON body of your request.")
        record = RecordedRequest(request.method, request.path, dict(request.headers), body)
        state.requests.append(record)
        _RECORD.set(record)
        if state.api_key is not None and request.headers.get("Authorization") != f"Bearer {state.api_key}":
            return error_response(401, "Incorrect API key provided.", code="invalid_api_key")
        try:
            fault = state.faults.take(request.path, request.headers.get(FAULT_HEADER))
        except ValueError as exc:
            return error_response(400, f"{FAULT_HEADER}: {exc}")
        _FAULT.set(fault)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            return _fault_status(fault)
        _BODY.set(body)
        return await handler(request)
    finally:
        state.active -= 1


async def list_models(request: web.Request) -> web.Response:
    created = 1_700_000_000
    data = [{"id": m, "object": "model", "created": created, "owned_by": "axio-omni"} for m in MODELS]
    return web.json_response({"object": "list", "data": data})


def _validate_chat(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant", "tool"):
            return f"Invalid value for 'messages[{i}].role'."
    return None


def _limit(reply: Reply, body: Mapping[str, Any]) -> Reply:
    """The reply cut to ``max_completion_tokens`` / ``max_tokens``, finishing with ``length``."""
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if not isinstance(limit, int) or reply.tool_calls or len(reply.chunks) <= limit:
        return reply
    chunks = reply.chunks[:limit]
    return Reply(
        text="".join(chunks),
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=limit,
        finish_reason="length",
        chunks=chunks,
    )


async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = _BODY.get()
    problem = _validate_chat(body)
    if problem:
        return error_response(400, problem, param="messages" if "messages" in problem else "model")
    reply = _limit(reply_to(body), body)
    ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.get("stream"):
        return web.json_response(completion(reply, ident, created, body["model"]))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    return await stream_reply(request, _FAULT.get(), reply, ident, created, body["model"], include_usage)


async def embeddings(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return await handle_embeddings(request, _BODY.get(), _FAULT.get(), state.embedding_limits)


async def speech(request: web.Request) -> web.StreamResponse:
    return await handle_speech(request, _BODY.get(), _FAULT.get())


async def transcriptions(request: web.Request) -> web.Response:
    record = _RECORD.get()
    fields: dict[str, Any] = {}
    if record is not None:
        record.body = fields
    return await handle_transcription(request, fields)


def make_app(state: EmulatorState | None = None) -> web.Application:
    """The emulator as an aiohttp application; ``state`` lets a test inspect and script it."""
    app = web.Application(middlewares=[_middleware], client_max_size=64 * 1024 * 1024)
    app[STATE] = state or EmulatorState()
    app.router.add_get("/v1/models", list_models)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_post("/v1/audio/speech", speech)
    app.router.add_post("/v1/audio/transcriptions", transcriptions)
    return app
