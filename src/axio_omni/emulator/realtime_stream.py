"""The streaming half of an emulated realtime response: output items, deltas, and what ends them.

A spoken reply is the emulator's tone voice (``voice.py``) at 24 kHz, or as 8 kHz G.711 when the
session's output format says so, 100 ms per audio delta, with
the transcript's words spread among the audio deltas; a text reply is one word per delta; a tool
call is its item, its arguments in two deltas, and the finished item. GA event order throughout:
``response.output_item.added`` before any delta of its item, a function call ``in_progress`` when
added and ``completed`` (with ``call_id``, ``name`` and ``arguments``) when done.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..audio.g711 import alaw_encode, ulaw_encode
from ..audio.pcm import float_to_pcm16
from .realtime_reply import Plan
from .voice import encode_speech

__all__ = ["ResponseState", "StreamContext", "error_event", "new_id", "stream_plan"]


@dataclass(slots=True)
class ResponseState:
    """A response being produced; ``cancel_reason`` set stops it at its next event."""

    id: str
    options: dict[str, Any]
    cancel_reason: str | None = None
    output: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


@dataclass(frozen=True, slots=True)
class StreamContext:
    """What a response writes to: the socket, the pace, and the conversation's state."""

    emit: Callable[[dict[str, Any]], Awaitable[bool]]
    pace: Callable[[], Awaitable[None]]
    session: dict[str, Any]
    items: list[dict[str, Any]]
    audio_ms: dict[str, int]
    seconds: dict[str, float]


def new_id(prefix: str) -> str:
    """An id as OpenAI's look: ``item_…``, ``resp_…``, ``event_…``."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def error_event(
    code: str, message: str, *, type: str = "invalid_request_error", param: str | None = None, event_id: Any = None
) -> dict[str, Any]:
    """An ``error`` server event; ``event_id`` names the client event it answers."""
    error = {"type": type, "code": code, "message": message, "param": param, "event_id": event_id}
    return {"type": "error", "error": error}


async def _send(ctx: StreamContext, response: ResponseState, event: dict[str, Any]) -> bool:
    """Emit one event of the response; False once it is cancelled (or the socket is gone)."""
    await ctx.pace()
    if not await ctx.emit(event):
        return False
    await asyncio.sleep(0)  # let the socket reader see a cancel between any two events
    return response.cancel_reason is None


async def _open_item(ctx: StreamContext, response: ResponseState, item: dict[str, Any], index: int) -> bool:
    previous = ctx.items[-1]["id"] if ctx.items else None
    ctx.items.append(item)
    response.output.append(item)
    if not await _send(
        ctx,
        response,
        {"type": "response.output_item.added", "response_id": response.id, "output_index": index, "item": item},
    ):
        return False
    return await _send(ctx, response, {"type": "conversation.item.added", "previous_item_id": previous, "item": item})


async def _close_item(ctx: StreamContext, response: ResponseState, item: dict[str, Any], index: int) -> None:
    await ctx.emit(
        {"type": "response.output_item.done", "response_id": response.id, "output_index": index, "item": item}
    )
    await ctx.emit({"type": "conversation.item.done", "item": item})


async def _call(ctx: StreamContext, response: ResponseState, name: str, arguments: str, index: int) -> None:
    item: dict[str, Any] = {"id": new_id("item"), "object": "realtime.item", "type": "function_call"}
    item.update(status="in_progress", call_id=new_id("call"), name=name, arguments="")
    base = {"response_id": response.id, "item_id": item["id"], "output_index": index, "call_id": item["call_id"]}
    if await _open_item(ctx, response, item, index):
        half = len(arguments) // 2
        for piece in (arguments[:half], arguments[half:]):
            if not await _send(
                ctx, response, {"type": "response.function_call_arguments.delta", **base, "delta": piece}
            ):
                break
        else:
            await ctx.emit(
                {"type": "response.function_call_arguments.done", **base, "name": name, "arguments": arguments}
            )
            item.update(status="completed", arguments=arguments)
    if item["status"] != "completed":
        item["status"] = "incomplete"
    await _close_item(ctx, response, item, index)


async def _speak(ctx: StreamContext, response: ResponseState, words: list[str], audio: bool, index: int) -> str:
    """Stream one assistant message of ``words``; what it got to say."""
    item: dict[str, Any] = {"id": new_id("item"), "object": "realtime.item", "type": "message"}
    item.update(status="in_progress", role="assistant", content=[])
    base = {"response_id": response.id, "item_id": item["id"], "output_index": index, "content_index": 0}
    kind, delta = ("audio", "response.output_audio") if audio else ("text", "response.output_text")
    said: list[str] = []
    chunks: list[bytes] = []
    per_ms = 48  # bytes per ms of 24 kHz PCM16
    if audio:
        chunks, per_ms = _voice(" ".join(words), ctx.session["audio"]["output"]["format"]["type"])
        ctx.audio_ms[item["id"]] = 0
    part: dict[str, Any] = {"type": kind, "transcript": ""} if audio else {"type": "text", "text": ""}
    going = await _open_item(ctx, response, item, index) and await _send(
        ctx, response, {"type": "response.content_part.added", **base, "part": dict(part)}
    )
    steps = max(len(chunks), len(words))
    for step in range(steps if going else 0):
        w = step * len(words) // steps
        if w < len(words) and (step == 0 or w != (step - 1) * len(words) // steps):
            word = words[w] if not said else " " + words[w]
            said.append(word)
            name = f"{delta}_transcript.delta" if audio else f"{delta}.delta"
            if not await _send(ctx, response, {"type": name, **base, "delta": word}):
                break
        if step < len(chunks):
            ctx.audio_ms[item["id"]] += len(chunks[step]) // per_ms
            if not await _send(
                ctx, response, {"type": f"{delta}.delta", **base, "delta": base64.b64encode(chunks[step]).decode()}
            ):
                break
    text = "".join(said)
    if audio:
        await ctx.emit({"type": "response.output_audio.done", **base})
        await ctx.emit({"type": "response.output_audio_transcript.done", **base, "transcript": text})
        part["transcript"] = text
        item["content"] = [{"type": "output_audio", "transcript": text}]
    else:
        await ctx.emit({"type": "response.output_text.done", **base, "text": text})
        part["text"] = text
        item["content"] = [{"type": "output_text", "text": text}]
    await ctx.emit({"type": "response.content_part.done", **base, "part": part})
    item["status"] = "completed" if response.cancel_reason is None else "incomplete"
    await _close_item(ctx, response, item, index)
    return text


def _voice(text: str, kind: str) -> tuple[list[bytes], int]:
    """The tone voice saying ``text`` in 100 ms pieces (24 kHz PCM16, or 8 kHz G.711), and bytes per ms."""
    if kind == "audio/pcm":
        pcm, per_ms = float_to_pcm16(encode_speech(text)), 48
    else:
        samples = np.round(np.clip(encode_speech(text, 8000), -1, 1) * 32767)
        pcm, per_ms = (ulaw_encode if kind == "audio/pcmu" else alaw_encode)(samples), 8
    step = 100 * per_ms
    return [pcm[i : i + step] for i in range(0, len(pcm), step)], per_ms


def _usage(ctx: StreamContext, text_out: str, audio_ms: int) -> dict[str, Any]:
    text_in = sum(
        len(str(p.get("text") or p.get("transcript") or "").split()) for i in ctx.items for p in i.get("content") or ()
    )
    audio_in = int(sum(ctx.seconds.values()) * 10)
    text_tokens, audio_tokens = len(text_out.split()), audio_ms // 50
    return {
        "total_tokens": text_in + audio_in + text_tokens + audio_tokens,
        "input_tokens": text_in + audio_in,
        "output_tokens": text_tokens + audio_tokens,
        "input_token_details": {"cached_tokens": 0, "text_tokens": text_in, "audio_tokens": audio_in, "image_tokens": 0,
                                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0}},
        "output_token_details": {"text_tokens": text_tokens, "audio_tokens": audio_tokens},
    }  # fmt: skip


async def stream_plan(
    ctx: StreamContext, response: ResponseState, plan: Plan
) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
    """Stream ``plan``; the response's status, its ``status_details`` (None when completed) and usage."""
    limit = response.options.get("max_output_tokens", ctx.session.get("max_output_tokens", "inf"))
    modalities = response.options.get("output_modalities", ctx.session["output_modalities"])
    said, audio_ms, cut = "", 0, False
    if plan.calls:
        for index, (name, arguments) in enumerate(plan.calls):
            await _call(ctx, response, name, arguments, index)
            if response.cancel_reason is not None:
                break
    else:
        words = plan.text.split(" ")
        if isinstance(limit, int) and len(words) > limit:
            words, cut = words[:limit], True
        said = await _speak(ctx, response, words, "audio" in modalities, 0)
        audio_ms = sum(ctx.audio_ms.get(i["id"], 0) for i in response.output)
    usage = _usage(ctx, said, audio_ms)
    if response.cancel_reason is not None:
        return "cancelled", {"type": "cancelled", "reason": response.cancel_reason}, usage
    if cut:
        return "incomplete", {"type": "incomplete", "reason": "max_output_tokens"}, usage
    return "completed", None, usage
