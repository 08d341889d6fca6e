"""``POST /v1/responses``: the emulator's answers on the Responses API, streamed or whole.

The same deterministic reply as chat completions (``replies.py``), in the Responses shape: a
reasoning item first for a reasoning model (its summary when ``reasoning.summary`` asks, its
``encrypted_content`` when ``include`` asks), then a message or function calls. Every event has its
``sequence_number``; text events carry ``logprobs``; ``response.created`` leaves ``usage`` out
rather than sending it null; an in-band error is ``{"type": "error", "code", "message", "param"}``.
All of it validates against OpenAI's published schemas (tested). With ``store`` on, the
conversation is kept for ``previous_response_id``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from aiohttp import web

from .replies import STAMP, Reply, count_tokens, cut_to, reply_to
from .responses_input import REASONING_MODELS, InputError, chat_body, reasoning_token
from .shapes import error_response
from .state import CALL, STATE, Call
from .writer import BodyWriter, dumps, respond_json

__all__ = ["handle_responses"]


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _response(body: Mapping[str, Any], ident: str, status: str, output: list[Any]) -> dict[str, Any]:
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), Mapping) else None
    return {
        "id": ident,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": body["model"],
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": (reasoning or {}).get("effort"), "summary": (reasoning or {}).get("summary")},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "metadata": body.get("metadata") or {},
    }


class _Events:
    """Numbers each event as it is made."""

    def __init__(self) -> None:
        self.n = -1

    def __call__(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.n += 1
        return {"type": kind, "sequence_number": self.n, **fields}


def _thought(chat: Mapping[str, Any]) -> str:
    """What the emulated model "thinks" before answering: about the question, or the tool's answer."""
    last = chat["messages"][-1]
    if last["role"] == "tool":
        return "The tool has answered; now to put its result into words."
    question = STAMP.sub("", str(last.get("content") or ""), count=1)
    return f"The user asks: {question[:80].rstrip('.')}. Is there a tool for this, or can I answer directly?"


def _reasoning(ev: _Events, at: int, thought: str, body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    ident = _id("rs")
    asked = (body.get("reasoning") or {}).get("summary") if isinstance(body.get("reasoning"), Mapping) else None
    summary = thought if asked else ""
    item: dict[str, Any] = {"type": "reasoning", "id": ident, "summary": []}
    yield ev("response.output_item.added", output_index=at, item=item)
    if summary:
        part = {"type": "summary_text", "text": ""}
        yield ev("response.reasoning_summary_part.added", item_id=ident, output_index=at, summary_index=0, part=part)
        for word in summary.split(" "):
            delta = word + " " if not summary.endswith(word) else word
            yield ev(
                "response.reasoning_summary_text.delta", item_id=ident, output_index=at, summary_index=0, delta=delta
            )
        yield ev("response.reasoning_summary_text.done", item_id=ident, output_index=at, summary_index=0, text=summary)
        done_part = {"type": "summary_text", "text": summary}
        yield ev(
            "response.reasoning_summary_part.done", item_id=ident, output_index=at, summary_index=0, part=done_part
        )
        item = {**item, "summary": [done_part]}
    if "reasoning.encrypted_content" in (body.get("include") or ()):
        item = {**item, "encrypted_content": reasoning_token(ident, summary)}
    yield ev("response.output_item.done", output_index=at, item=item)


def _message(ev: _Events, at: int, reply: Reply) -> Iterator[dict[str, Any]]:
    ident = _id("msg")
    head = {"type": "message", "id": ident, "status": "in_progress", "role": "assistant", "content": []}
    yield ev("response.output_item.added", output_index=at, item=head)
    empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    where = {"item_id": ident, "output_index": at, "content_index": 0}
    yield ev("response.content_part.added", **where, part=empty)
    for piece in reply.chunks:
        yield ev("response.output_text.delta", **where, delta=piece, logprobs=[])
    yield ev("response.output_text.done", **where, text=reply.text, logprobs=[])
    part = {**empty, "text": reply.text}
    yield ev("response.content_part.done", **where, part=part)
    yield ev("response.output_item.done", output_index=at, item={**head, "status": "completed", "content": [part]})


def _calls(ev: _Events, at: int, reply: Reply) -> Iterator[dict[str, Any]]:
    for k, call in enumerate(reply.tool_calls):
        ident, index = _id("fc"), at + k
        item = {"type": "function_call", "id": ident, "call_id": call.id, "name": call.name, "arguments": ""}
        yield ev("response.output_item.added", output_index=index, item={**item, "status": "in_progress"})
        for cut in range(0, len(call.arguments), 8):
            delta = call.arguments[cut : cut + 8]
            yield ev("response.function_call_arguments.delta", item_id=ident, output_index=index, delta=delta)
        yield ev(
            "response.function_call_arguments.done",
            item_id=ident,
            output_index=index,
            name=call.name,
            arguments=call.arguments,
        )
        done = {**item, "arguments": call.arguments, "status": "completed"}
        yield ev("response.output_item.done", output_index=index, item=done)


def _usage(reply: Reply, reasoning: int) -> dict[str, Any]:
    output = reply.completion_tokens + reasoning
    return {
        "input_tokens": reply.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": reply.prompt_tokens + output,
    }


def answer_events(body: Mapping[str, Any], chat: Mapping[str, Any], ident: str) -> list[dict[str, Any]]:
    """Every event of the answer to ``body`` (read as the chat request ``chat``), in order."""
    reply = cut_to(reply_to(chat), body.get("max_output_tokens"))
    cut = reply.finish_reason == "length"
    ev = _Events()
    created = _response(body, ident, "in_progress", [])
    events = [ev("response.created", response=created), ev("response.in_progress", response=created)]
    output: list[Any] = []
    reasoning = 0
    if str(body["model"]).startswith(REASONING_MODELS):
        thought = _thought(chat)
        events += _reasoning(ev, 0, thought, body)
        reasoning = 8 + count_tokens(thought)
    at = len([e for e in events if e["type"] == "response.output_item.done"])
    events += _calls(ev, at, reply) if reply.tool_calls else _message(ev, at, reply)
    output = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    final = _response(body, ident, "incomplete" if cut else "completed", output)
    final["usage"] = _usage(reply, reasoning)
    if cut:
        final["incomplete_details"] = {"reason": "max_output_tokens"}
        events.append(ev("response.incomplete", response=final))
    else:
        final["completed_at"] = int(time.time())
        events.append(ev("response.completed", response=final))
    return events


def _in_band(message: str) -> bytes:
    error = {"type": "error", "code": "server_error", "message": message, "param": None, "sequence_number": 0}
    return b"event: error\ndata: " + dumps(error) + b"\n\n"


async def handle_responses(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    body = call.body
    state = request.app[STATE]
    if not isinstance(body, dict):
        return error_response(400, "The request body must be a JSON object.")
    earlier: list[dict[str, Any]] = []
    previous = body.get("previous_response_id")
    if previous is not None:
        if previous not in state.conversations:
            message = f"Previous response with id '{previous}' not found."
            return error_response(400, message, param="previous_response_id", code="previous_response_not_found")
        earlier = state.conversations[previous]
    try:
        chat = chat_body(body, earlier)
    except InputError as error:
        return error_response(400, str(error), param=error.param)
    ident = _id("resp")
    events = answer_events(body, chat, ident)
    final = events[-1]["response"]
    if body.get("store", True):
        state.conversations[ident] = _remembered(chat, final["output"])
    if not body.get("stream"):
        return await respond_json(request, call, final)
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "x-request-id": f"req_{ident[-16:]}"})
    await resp.prepare(request)
    writer = BodyWriter(request, resp, call, sse=True, in_band=_in_band)
    for event in events:
        if not await writer.send(b"event: " + event["type"].encode() + b"\ndata: " + dumps(event) + b"\n\n"):
            return resp
    await writer.end()
    return resp


def _remembered(chat: Mapping[str, Any], output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as chat messages, with this answer, for a later ``previous_response_id``."""
    messages = [m for m in chat["messages"] if m["role"] != "system"]
    for item in output:
        if item["type"] == "message":
            messages.append({"role": "assistant", "content": item["content"][0]["text"]})
        elif item["type"] == "function_call":
            function = {"name": item["name"], "arguments": item["arguments"]}
            call = {"id": item["call_id"], "type": "function", "function": function}
            messages.append({"role": "assistant", "tool_calls": [call]})
    return messages
