"""A ``/v1/responses`` request read as the emulator's chat request (sans-I/O): ``instructions`` and
``input`` items become chat messages, function tools chat tools, so one reply logic answers both.

What OpenAI refuses is refused here, with its words: an assistant message with ``input_text``
content, an unknown item type, a ``function_call_output`` with no call before it, a reasoning item
whose ``encrypted_content`` this server did not issue (or that was changed), a
``previous_response_id`` it does not keep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

__all__ = ["InputError", "chat_body", "reasoning_token"]

_SECRET = b"axio-omni emulator reasoning"
#: Models that reason: they answer with a reasoning item first.
REASONING_MODELS = ("o1", "o3", "o4", "gpt-5")


class InputError(ValueError):
    """A request OpenAI would refuse; ``param`` names the field."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def reasoning_token(item_id: str, summary: str) -> str:
    """The ``encrypted_content`` of a reasoning item: opaque to a client, checkable by this server."""
    mac = hmac.new(_SECRET, f"{item_id}\0{summary}".encode(), hashlib.sha256).digest()
    return "gAAAAA" + base64.urlsafe_b64encode(mac + summary.encode()).decode()


def _verify(item: Mapping[str, Any], where: str) -> None:
    token = item.get("encrypted_content")
    if token is None:
        return
    try:
        raw = base64.urlsafe_b64decode(str(token).removeprefix("gAAAAA"))
        summary = raw[32:].decode()
    except (ValueError, UnicodeDecodeError):
        raise InputError("The encrypted content could not be verified.", f"{where}.encrypted_content") from None
    if not isinstance(item.get("id"), str) or reasoning_token(item["id"], summary) != token:
        raise InputError("The encrypted content could not be verified.", f"{where}.encrypted_content")


def _text(content: Any, where: str, role: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise InputError(f"Invalid type for '{where}.content': expected a string or an array.", f"{where}.content")
    allowed = ("output_text", "refusal") if role == "assistant" else ("input_text", "input_image", "input_file")
    texts = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind not in allowed:
            raise InputError(
                f"Invalid value: '{kind}'. Supported values are: {' and '.join(repr(a) for a in allowed)}.",
                f"{where}.content[{j}]",
            )
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
    return " ".join(texts)


def _item(item: Any, where: str, messages: list[dict[str, Any]], calls: set[str]) -> None:
    if not isinstance(item, Mapping):
        raise InputError(f"Invalid type for '{where}': expected an object.", where)
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role")
        if role not in ("user", "assistant", "system", "developer"):
            raise InputError(f"Invalid value for '{where}.role'.", f"{where}.role")
        messages.append({"role": role, "content": _text(item.get("content"), where, str(role))})
    elif kind == "function_call":
        call_id, name = item.get("call_id"), item.get("name")
        if not isinstance(call_id, str) or not call_id or not isinstance(name, str):
            raise InputError(f"Missing required parameter: '{where}.call_id'.", f"{where}.call_id")
        calls.add(call_id)
        function = {"name": name, "arguments": str(item.get("arguments", ""))}
        messages.append(
            {"role": "assistant", "tool_calls": [{"id": call_id, "type": "function", "function": function}]}
        )
    elif kind == "function_call_output":
        call_id = item.get("call_id")
        if call_id not in calls:
            raise InputError(f"No tool call found for function call output with call_id {call_id}.", where)
        output = item.get("output")
        text = output if isinstance(output, str) else _text(output, where, "user")
        messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
    elif kind == "reasoning":
        _verify(item, where)
    elif kind not in ("web_search_call", "file_search_call", "image_generation_call", "code_interpreter_call"):
        raise InputError(f"Invalid value: '{kind}'.", f"{where}.type")


def chat_body(body: Mapping[str, Any], earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """The chat request the emulator's reply logic reads; ``earlier`` holds the messages of the
    response named by ``previous_response_id``. Raises :class:`InputError`."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise InputError("Missing required parameter: 'model'.", "model")
    messages: list[dict[str, Any]] = list(earlier)
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        messages.insert(0, {"role": "system", "content": body["instructions"]})
    raw = body.get("input")
    items = [{"type": "message", "role": "user", "content": raw}] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise InputError("Missing required parameter: 'input'.", "input")
    calls = {c["id"] for m in earlier for c in m.get("tool_calls", ())}
    for i, item in enumerate(items):
        _item(item, f"input[{i}]", messages, calls)
    if not any(m["role"] != "system" for m in messages):
        raise InputError("Missing required parameter: 'input'.", "input")
    tools = []
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, Mapping) or tool.get("type") != "function" or not isinstance(tool.get("name"), str):
            raise InputError(f"Invalid value for 'tools[{i}]': function tools only here.", f"tools[{i}]")
        tools.append({"type": "function", "function": {"name": tool["name"], "parameters": tool.get("parameters")}})
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping):
        choice = {"type": "function", "function": {"name": choice.get("name")}}
    return {
        "model": body["model"],
        "messages": messages,
        "tools": tools,
        "tool_choice": choice,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
    }
