"""A server that echoes the API key into every field of every error shape never gets it into an error:
not into str(), repr, vars, pickles, tracebacks or log lines, streams and in-band errors included."""

from __future__ import annotations

import json
import logging
import pickle
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from axio.blocks import TextBlock
from axio.messages import Message

from axio_omni import OmniError, OpenAIEmbeddingTransport, OpenAITransport, RetryPolicy
from axio_omni.errors import redact, register_secret
from tests.helpers import collect

KEY = "sk-proj-ECHOED-0123456789abcdef"
HI = [Message("user", [TextBlock("hi")])]


def echoed(key: str) -> dict[str, Any]:
    return {"message": f"Incorrect API key provided: {key}", "type": key, "code": key, "param": key}


def body_for(shape: str, key: str) -> tuple[str, str]:
    """The error body of ``shape`` with ``key`` in every field, and its content type."""
    bodies: dict[str, Any] = {
        "openai": {"error": echoed(key)},
        "string": {"error": f"bad key {key}", "type": key, "code": key},
        "detail": {"detail": {"error": echoed(key)}},
        "detail-list": {"detail": [{"loc": ["header", key], "msg": f"bad {key}", "type": key}]},
        "message": {"message": key, "code": key},
    }
    if shape == "text":
        return f"<html>forbidden for {key}</html>", "text/html"
    return json.dumps(bodies[shape]), "application/json"


async def echo(request: web.Request) -> web.StreamResponse:
    key = request.headers.get("Authorization", "").removeprefix("Bearer ")
    shape = request.match_info["shape"]
    headers = {"x-request-id": f"req_{key}"}
    if shape in ("in-band", "event-error"):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", **headers})
        await resp.prepare(request)
        start = {"id": "c", "object": "chat.completion.chunk", "model": key, "choices": [{"index": 0, "delta": {}}]}
        await resp.write(b"data: " + json.dumps(start).encode() + b"\n\n")
        prefix = b"event: error\n" if shape == "event-error" else b""
        await resp.write(prefix + b"data: " + json.dumps({"error": echoed(key)}).encode() + b"\n\n")
        await resp.write_eof()
        return resp
    status = 503 if shape == "openai-503" else 401
    text, content_type = body_for(shape.removesuffix("-503"), key)
    return web.Response(status=status, text=text, content_type=content_type, headers=headers)


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/{shape}/v1/chat/completions", echo)
    app.router.add_post("/{shape}/v1/embeddings", echo)
    async with TestServer(app, host="127.0.0.1") as srv:
        yield str(srv.make_url("")).rstrip("/")


def assert_clean(error: BaseException, caplog: pytest.LogCaptureFixture | None = None) -> None:
    texts = [
        str(error),
        repr(error),
        json.dumps(vars(error), default=str),
        "".join(traceback.format_exception(error)),
    ]
    for text in texts:
        assert KEY not in text, text
    assert KEY.encode() not in pickle.dumps(error)
    if caplog is not None:
        for record in caplog.records:
            assert KEY not in record.getMessage()


SHAPES = ["openai", "string", "detail", "detail-list", "message", "text"]


@pytest.mark.parametrize("shape", SHAPES)
async def test_status_errors_of_every_shape(server: str, shape: str) -> None:
    t = OpenAITransport(base_url=f"{server}/{shape}/v1", api_key=KEY, retry=RetryPolicy.none())
    with pytest.raises(OmniError) as info:
        await collect(t.stream(HI, [], ""))
    assert info.value.status == 401 and info.value.request_id == "req_***"
    assert_clean(info.value)


@pytest.mark.parametrize("shape", ["in-band", "event-error"])
async def test_in_band_errors_in_a_stream(server: str, shape: str) -> None:
    t = OpenAITransport(base_url=f"{server}/{shape}/v1", api_key=KEY, retry=RetryPolicy.none())
    with pytest.raises(OmniError) as info:
        await collect(t.stream(HI, [], ""))
    assert "***" in info.value.message and info.value.code == "***"
    assert_clean(info.value)


async def test_retry_warnings_and_embedding_errors(server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "axio_omni")
    policy = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.001)
    t = OpenAIEmbeddingTransport(base_url=f"{server}/openai-503/v1", api_key=KEY, retry=policy)
    with pytest.raises(OmniError) as info:
        await t.embed(["a", "b"])
    assert len([r for r in caplog.records if r.name == "axio_omni.retry"]) == 2 and info.value.inputs == (0, 1)
    assert_clean(info.value, caplog)


def test_redaction_covers_nested_values_and_short_keys_are_left_alone() -> None:
    register_secret(KEY)
    register_secret("short")
    assert redact({"a": [KEY, {"b": f"x{KEY}y"}], "c": ("short",)}) == {"a": ["***", {"b": "x***y"}], "c": ("short",)}
    error = OmniError("m")
    error.param = KEY
    error.body = {"echo": KEY}
    assert error.param == "***" and error.body == {"echo": "***"}
