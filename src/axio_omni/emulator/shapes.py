"""The JSON shapes the emulator answers with, as OpenAI's published schema has them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .replies import Reply

__all__ = ["chunk", "completion", "error_response", "usage_of"]


def chunk(ident: str, created: int, model: str, choices: list[dict[str, Any]], usage: Any = None) -> dict[str, Any]:
    """A ``chat.completion.chunk``; ``usage`` is written only when given (or explicitly null)."""
    out: dict[str, Any] = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_emulator",
        "choices": choices,
    }
    if usage is not None:
        out["usage"] = usage
    return out


def usage_of(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def completion(reply: Reply, ident: str, created: int, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None, "annotations": []}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in reply.tool_calls
        ]
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}],
        "usage": usage_of(reply),
        "system_fingerprint": "fp_emulator",
    }


def error_response(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    shape: str = "openai",
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An error in OpenAI's shape, or in one of the variants compatible servers send; with a request id,
    as OpenAI's every answer has."""
    headers = {"x-request-id": f"req_{uuid.uuid4().hex[:16]}", **(headers or {})}
    if shape == "text":
        return web.Response(status=status, text=message, headers=headers)
    body: Any
    if shape == "string":
        body = {"error": message}
    else:
        body = {"error": {"message": message, "type": type, "param": param, "code": code}}
        if shape == "detail":
            body = {"detail": body}
    return web.json_response(body, status=status, headers=headers)
