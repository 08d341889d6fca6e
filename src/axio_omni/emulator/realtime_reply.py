"""What the emulator's realtime model answers, decided from the conversation alone (sans-I/O, deterministic).

- After tool outputs: a reply that reads them back ("Here is what I found: sunny.").
- When tools are offered (``tool_choice`` not ``none``) and the user's words name them
  (``get_weather`` is named by "weather"), or ``tool_choice`` requires one: one call per tool named,
  in parallel, with arguments made from the tool's JSON schema and the user's words (a capitalised
  word fills a string: "weather in Paris" gives ``{"city": "Paris"}``).
- Otherwise: "You said: ..." with what the user typed, or said in the emulator's tone voice
  (``voice.py``), which the emulator can hear; speech it cannot read is "I heard 1.2 seconds of audio."
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Plan", "plan_reply", "tool_arguments"]

_COMMON = frozenset({"get", "set", "list", "find", "make", "create", "the", "tool", "function", "lookup", "fetch"})
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@dataclass(frozen=True, slots=True)
class Plan:
    """A reply: either function calls (``name``, JSON ``arguments``) or ``text`` to speak or write."""

    text: str = ""
    calls: list[tuple[str, str]] = field(default_factory=list)


def _said(item: Mapping[str, Any], heard: Mapping[str, str]) -> str:
    """What a user message says: its text parts, or what was heard of its audio."""
    texts = [p.get("text") or p.get("transcript") or "" for p in item.get("content") or ()]
    return " ".join(t for t in texts if t).strip() or heard.get(item.get("id", ""), "")


def _names(tool: Mapping[str, Any]) -> list[str]:
    return [
        w for w in str(tool.get("name", "")).lower().replace("-", "_").split("_") if len(w) > 2 and w not in _COMMON
    ]


def tool_arguments(schema: Any, words: str) -> str:
    """Arguments for a tool with JSON schema ``schema``: every property filled from ``words`` or a placeholder."""
    props = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    capitals = [w for w in _WORD.findall(words)[1:] if w[0].isupper()]
    out: dict[str, Any] = {}
    for name, spec in props.items():
        spec = spec if isinstance(spec, Mapping) else {}
        kind = spec.get("type")
        if "enum" in spec and spec["enum"]:
            out[name] = spec["enum"][0]
        elif kind == "string":
            out[name] = capitals.pop(0) if capitals else "example"
        elif kind in ("integer", "number"):
            out[name] = 1
        elif kind == "boolean":
            out[name] = True
        elif kind == "array":
            out[name] = []
        elif kind == "object":
            out[name] = {}
    return json.dumps(out)


def _wanted(tools: Sequence[Mapping[str, Any]], choice: Any, words: str) -> list[Mapping[str, Any]]:
    if not tools or choice == "none":
        return []
    if isinstance(choice, Mapping):
        return [t for t in tools if t.get("name") == choice.get("name")][:1]
    lowered = words.lower()
    named = [t for t in tools if any(re.search(rf"\b{re.escape(w)}", lowered) for w in _names(t))]
    if not named and choice == "required":
        return [tools[0]]
    return named


def plan_reply(
    items: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]],
    tool_choice: Any,
    heard: Mapping[str, str],
    seconds: Mapping[str, float],
) -> Plan:
    """The reply to ``items`` (the conversation, oldest first)."""
    outputs: list[str] = []
    for item in reversed(items):
        if item.get("type") == "function_call_output":
            outputs.append(str(item.get("output", "")))
        elif item.get("type") != "function_call":
            break
    if outputs:
        return Plan(text="Here is what I found: " + "; ".join(reversed(outputs)) + ".")
    last = next((i for i in reversed(items) if i.get("type") == "message" and i.get("role") == "user"), None)
    if last is None:
        return Plan(text="Hello! How can I help?")
    words = _said(last, heard)
    wanted = _wanted(tools, tool_choice, words)
    if wanted:
        return Plan(calls=[(str(t["name"]), tool_arguments(t.get("parameters"), words)) for t in wanted])
    if words:
        return Plan(text=f"You said: {words.rstrip('.?!')}.")
    return Plan(text=f"I heard {seconds.get(last.get('id', ''), 0.0):.1f} seconds of audio.")
