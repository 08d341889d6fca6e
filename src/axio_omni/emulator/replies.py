"""What the emulator answers to a chat request: deterministic, offline, no model (sans-I/O).

- When the last message is a tool result, the answer reports it: ``The get_weather tool returned: ...``.
- When the request offers tools and the prompt asks for one (names it, says "use a tool", or
  ``tool_choice`` requires one), the answer is a call whose arguments are built from the tool's JSON
  schema, taking values from the prompt where it can (a quoted phrase or a capitalised word for
  strings, the first number for numbers).
- Otherwise the answer echoes the prompt, so a test can tell requests apart.

Token counts are words and punctuation, which is close enough for usage to be plausible.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STAMP", "Reply", "ToolCall", "arguments_for", "count_tokens", "cut_to", "reply_to"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_QUOTED = re.compile(r"[\"“']([^\"”']{1,80})[\"”']")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+)*)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
STAMP = re.compile(r"^\s*\[[^\]]{0,40}\]\s*")
_ASKS_FOR_TOOL = re.compile(r"\b(use|call|run|invoke)\b.*\btools?\b|\btools?\b.*\b(use|call)\b", re.I | re.S)


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: text or tool calls, with the usage it would bill."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    chunks: tuple[str, ...] = field(default=())


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return ""


def _string_value(name: str, prompt: str, used: set[str]) -> str:
    for match in _QUOTED.finditer(prompt):
        if match.group(1) not in used:
            return match.group(1)
    for match in _CAPITALISED.finditer(prompt):
        value = match.group(1)
        if value not in used and value.lower() not in ("i", "use", "call", "please"):
            return value
    return f"example {name}".strip()


def _value(schema: Mapping[str, Any], name: str, prompt: str, used: set[str]) -> Any:
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None:
        for key in ("anyOf", "oneOf"):
            options = [o for o in schema.get(key, []) if isinstance(o, Mapping) and o.get("type") != "null"]
            if options:
                return _value(options[0], name, prompt, used)
    if kind in ("integer", "number"):
        match = _NUMBER.search(prompt)
        number = float(match.group()) if match else 1
        return int(number) if kind == "integer" else number
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items")
        return [_value(items if isinstance(items, Mapping) else {}, name, prompt, used)]
    if kind == "object":
        return arguments_for(schema, prompt)
    value = _string_value(name, prompt, used)
    used.add(value)
    return value


def arguments_for(schema: Mapping[str, Any], prompt: str) -> dict[str, Any]:
    """Arguments that satisfy ``schema``'s required properties (and its others), taken from ``prompt``."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    used: set[str] = set()
    return {
        name: _value(sub if isinstance(sub, Mapping) else {}, name, prompt, used) for name, sub in properties.items()
    }


def _wanted_tools(tools: Sequence[Mapping[str, Any]], prompt: str, tool_choice: Any) -> list[Mapping[str, Any]]:
    functions = [t["function"] for t in tools if isinstance(t, Mapping) and isinstance(t.get("function"), Mapping)]
    if not functions or tool_choice == "none":
        return []
    if isinstance(tool_choice, Mapping):
        named = (tool_choice.get("function") or {}).get("name")
        return [f for f in functions if f.get("name") == named]
    lowered = prompt.lower()
    named_in_prompt = [
        f
        for f in functions
        if str(f.get("name", "")).lower() in lowered or str(f.get("name", "")).lower().replace("_", " ") in lowered
    ]
    if named_in_prompt:
        return named_in_prompt
    if tool_choice == "required" or _ASKS_FOR_TOOL.search(prompt):
        return functions[:1]
    return []


def _call_id(name: str, prompt: str, n: int) -> str:
    return "call_" + hashlib.sha256(f"{name}\0{prompt}\0{n}".encode()).hexdigest()[:24]


def reply_to(request: Mapping[str, Any]) -> Reply:
    """The emulator's deterministic answer to a validated chat request body."""
    messages: list[Mapping[str, Any]] = list(request["messages"])
    prompt_tokens = sum(count_tokens(_text_of(m.get("content"))) + 3 for m in messages)
    last = messages[-1]
    if last.get("role") == "tool":
        names = {
            c.get("id"): (c.get("function") or {}).get("name", "tool")
            for m in messages
            if m.get("role") == "assistant"
            for c in m.get("tool_calls") or []
        }
        results = []
        for m in reversed(messages):
            if m.get("role") != "tool":
                break
            results.append(
                f"The {names.get(m.get('tool_call_id'), 'tool')} tool returned: {_text_of(m.get('content'))}"
            )
        return _text_reply(" ".join(reversed(results)), prompt_tokens)
    # axio's Agent stamps each user message with "[2026-01-01 12:00:00 UTC] "; it is not the question.
    prompt = STAMP.sub("", _text_of(last.get("content")), count=1)
    tools = request.get("tools") or []
    wanted = _wanted_tools(tools, prompt, request.get("tool_choice"))
    if not request.get("parallel_tool_calls", True):
        wanted = wanted[:1]
    if wanted:
        calls = tuple(
            ToolCall(
                id=_call_id(str(f.get("name")), prompt, i),
                name=str(f.get("name")),
                arguments=json.dumps(arguments_for(f.get("parameters") or {}, prompt)),
            )
            for i, f in enumerate(wanted)
        )
        completion = sum(count_tokens(c.name) + count_tokens(c.arguments) for c in calls)
        return Reply(
            tool_calls=calls, prompt_tokens=prompt_tokens, completion_tokens=completion, finish_reason="tool_calls"
        )
    text = f"You said: {prompt}" if prompt else "Hello from the axio-omni emulator."
    return _text_reply(text, prompt_tokens)


def _text_reply(text: str, prompt_tokens: int) -> Reply:
    chunks = tuple(re.findall(r"\S+\s*|\s+", text)) or (text,)
    return Reply(text=text, prompt_tokens=prompt_tokens, completion_tokens=count_tokens(text), chunks=chunks)


def cut_to(reply: Reply, limit: Any) -> Reply:
    """``reply`` cut to ``limit`` output tokens (its chunks), finishing with ``length``; a reply of
    tool calls, or one within the limit, as it is."""
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
