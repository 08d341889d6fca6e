"""The emulator's aiohttp application: OpenAI's API, offline, with scriptable faults.

Routes live under ``/v1``. Every request passes one middleware that records it, counts concurrent
requests and distinct client connections (for pool tests), checks the key when one is set, takes
its fault and applies the transport part (status, delay, disconnect), and hands the handler an
explicit :class:`~.state.Call` as ``request[CALL]``. Handlers write their answers through
``writer.py``, which applies the stream part of the fault the same way for every endpoint.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .chat_audio import audio_problem, spoken_deltas, spoken_message
from .client_secrets import ephemeral_refusal, handle_client_secret
from .embeddings import handle_embeddings
from .faults import FAULT_HEADER, Fault, TransportFault
from .images import handle_edit, handle_generation, handle_image_file
from .realtime import handle_realtime
from .replies import cut_to, reply_to
from .responses import handle_responses
from .shapes import completion, error_response
from .sound import handle_sound
from .speech import handle_speech
from .state import CALL, EMBEDDING_LIMITS, STATE, Call, EmbeddingLimits, EmulatorState, RecordedRequest
from .streaming import stream_reply
from .transcription import handle_transcription, handle_translation
from .videos import (
    handle_video_content,
    handle_video_create,
    handle_video_delete,
    handle_video_get,
    handle_video_localai,
    handle_video_remix,
)
from .writer import respond_json

__all__ = ["MODELS", "make_app"]

MODELS = (
    "emulator-1",
    "gpt-4.1-mini",
    "gpt-4o-mini",
    "gpt-4.1",
    "o4-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
)
#: Models that refuse ``reasoning_effort`` as OpenAI's do (400): a setting sent where it is not taken shows.
_NO_REASONING = ("gpt-4", "emulator-1")
_NO_FAULT = Fault()
#: Paths served without a key: generated files behind their URLs, as a storage host serves them.
_PUBLIC = "/v1/images/files/"


def _fault_status(fault: TransportFault) -> web.Response:
    headers: dict[str, str] = {}
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


def _track(request: web.Request, state: EmulatorState) -> None:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if peer:
        state.peers.add((str(peer[0]), int(peer[1])))
    state.active += 1
    state.max_active = max(state.max_active, state.active)


@web.middleware
async def _middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    state = request.app[STATE]
    _track(request, state)
    try:
        body: Any = None
        if request.can_read_body and request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return error_response(400, "We could not parse the JSON body of your request.")
        record = RecordedRequest(request.method, request.path, dict(request.headers), body)
        state.requests.append(record)
        keyed = not request.path.startswith(_PUBLIC)
        authorization = request.headers.get("Authorization")
        if keyed and (authorization or "").startswith("Bearer ek_"):
            refused = ephemeral_refusal(state, request.path, authorization)
            if refused is not None:
                await request.read()
                return refused
        elif keyed and state.api_key is not None and authorization != f"Bearer {state.api_key}":
            await request.read()  # as real servers do: the body is read (or the connection closed) first
            return error_response(401, "Incorrect API key provided.", code="invalid_api_key")
        if state.quota is not None and not state.quota.admit(state.clock.now()):
            await request.read()
            message = f"Rate limit reached for requests: limit {state.quota.limit}, used {state.quota.limit}."
            headers = state.quota.headers(state.clock.now())
            return error_response(429, message, type="requests", code="rate_limit_exceeded", headers=headers)
        try:
            fault = state.faults.take(request.path, request.headers.get(FAULT_HEADER)) or _NO_FAULT
        except ValueError as exc:
            return error_response(400, f"{FAULT_HEADER}: {exc}")
        scripted = fault.transport
        if scripted.delay:
            await state.clock.sleep(scripted.delay)
        if scripted.disconnect:
            # The server read every byte of the request, then the connection went: the client cannot
            # know whether it was processed.
            await request.read()
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        if scripted.status is not None:
            await request.read()
            return _fault_status(scripted)
        request[CALL] = Call(record, body, fault)
        return await handler(request)
    finally:
        state.active -= 1


async def list_models(request: web.Request) -> web.StreamResponse:
    created = 1_700_000_000
    data = [{"id": m, "object": "model", "created": created, "owned_by": "axio-omni"} for m in MODELS]
    return await respond_json(request, request[CALL], {"object": "list", "data": data})


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
    if "reasoning_effort" in body and body["model"].startswith(_NO_REASONING):
        return "Unsupported parameter: 'reasoning_effort' is not supported with this model."
    return None


async def chat_completions(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    body = call.body
    problem = _validate_chat(body)
    if problem:
        return error_response(400, problem, param="messages" if "messages" in problem else "model")
    state = request.app[STATE]
    refused = audio_problem(body, state)
    if refused:
        return error_response(400, refused[0], param=refused[1])
    reply = cut_to(reply_to(body), body.get("max_completion_tokens") or body.get("max_tokens"))
    ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    spoken = "audio" in (body.get("modalities") or ())
    if not body.get("stream"):
        answer = completion(reply, ident, created, body["model"])
        if spoken:
            audio, answer["usage"] = spoken_message(reply, body, state)
            if audio:
                answer["choices"][0]["message"].update(content=None, audio=audio)
        return await respond_json(request, call, answer)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    said = spoken_deltas(reply, body, state) if spoken else None
    return await stream_reply(request, call, reply, ident, created, body["model"], include_usage, said)


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer carries an ``x-request-id``, as OpenAI's do, and the quota's headers when there is
    one; ``connection_close``: the answer says ``Connection: close`` and the server closes after it."""
    state = request.app[STATE]
    if "x-request-id" not in response.headers and request.path.startswith("/v1/"):
        response.headers["x-request-id"] = f"req_{uuid.uuid4().hex[:16]}"
    if state.quota is not None and "x-ratelimit-limit-requests" not in response.headers:
        response.headers.update(state.quota.headers(state.clock.now()))
    call = request.get(CALL)
    if isinstance(call, Call) and call.fault.stream.connection_close:
        response.force_close()
        # Set as well: aiohttp may have written its own Connection header before this hook runs.
        response.headers["Connection"] = "close"


def make_app(state: EmulatorState | None = None, *, embedding_limits: EmbeddingLimits | None = None) -> web.Application:
    """The emulator as an aiohttp application; ``state`` lets a test inspect and script it."""
    app = web.Application(middlewares=[_middleware], client_max_size=64 * 1024 * 1024)
    app.on_response_prepare.append(_on_prepare)
    app[STATE] = state or EmulatorState()
    app[EMBEDDING_LIMITS] = embedding_limits or EmbeddingLimits()
    app.router.add_get("/v1/models", list_models)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/responses", handle_responses)
    app.router.add_post("/v1/embeddings", handle_embeddings)
    app.router.add_post("/v1/audio/speech", handle_speech)
    app.router.add_post("/v1/audio/transcriptions", handle_transcription)
    app.router.add_post("/v1/audio/translations", handle_translation)
    app.router.add_get("/v1/realtime", handle_realtime)
    app.router.add_post("/v1/realtime/client_secrets", handle_client_secret)
    app.router.add_post("/v1/images/generations", handle_generation)
    app.router.add_post("/v1/images/edits", handle_edit)
    app.router.add_get("/v1/images/files/{ident}", handle_image_file)
    app.router.add_post("/v1/sound-generation", handle_sound)
    app.router.add_post("/v1/videos", handle_video_create)
    app.router.add_get("/v1/videos/{video_id}", handle_video_get)
    app.router.add_get("/v1/videos/{video_id}/content", handle_video_content)
    app.router.add_delete("/v1/videos/{video_id}", handle_video_delete)
    app.router.add_post("/v1/videos/{video_id}/remix", handle_video_remix)
    app.router.add_post("/v1/video", handle_video_localai)
    return app
