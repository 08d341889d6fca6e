"""Prompts and completions in the GenAI semantic conventions' message shape, for the spans that record
content when the user opts in (``telemetry.py``). Pure: no OpenTelemetry here.

Messages are ``{"role", "parts": [...]}``; a part is ``text``, ``reasoning``, ``tool_call``,
``tool_call_response`` or, for media, ``blob`` with its type and size only (bytes are never recorded).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from axio.blocks import (
    AudioBlock,
    ContentBlock,
    ImageBlock,
    ReasoningBlock,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    VideoBlock,
)
from axio.events import IterationEnd, StreamEvent, TextDelta, ToolInputDelta, ToolUseStart
from axio.messages import Message

__all__ = ["input_messages", "output_messages"]


def _part(block: ContentBlock) -> dict[str, Any] | None:
    if isinstance(block, TextBlock):
        return {"type": "text", "content": block.text}
    if isinstance(block, ReasoningBlock):
        return {"type": "reasoning", "content": block.text} if block.text else None
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_call", "id": block.id, "name": block.name, "arguments": block.input}
    if isinstance(block, ToolResultBlock):
        content = block.content
        if not isinstance(content, str):
            content = "".join(b.text for b in content if isinstance(b, TextBlock))
        return {"type": "tool_call_response", "id": block.tool_use_id, "response": content}
    if isinstance(block, (ImageBlock, AudioBlock, VideoBlock)):
        modality = {ImageBlock: "image", AudioBlock: "audio", VideoBlock: "video"}[type(block)]
        return {"type": "blob", "modality": modality, "mime_type": block.media_type, "size": len(block.data)}
    return None


def input_messages(messages: Iterable[Message], system: str) -> dict[str, Any]:
    """The span attributes of a prompt: ``gen_ai.input.messages`` and ``gen_ai.system_instructions``."""
    out: list[dict[str, Any]] = []
    for message in messages:
        parts = [p for p in (_part(b) for b in message.content) if p is not None]
        tool_results = all(p["type"] == "tool_call_response" for p in parts) and parts
        out.append({"role": "tool" if tool_results else message.role, "parts": parts})
    attributes: dict[str, Any] = {"gen_ai.input.messages": out}
    if system:
        attributes["gen_ai.system_instructions"] = [{"type": "text", "content": system}]
    return attributes


def output_messages(events: Iterable[StreamEvent]) -> list[dict[str, Any]]:
    """The answer a stream gave, as ``gen_ai.output.messages``: its text, its calls, why it stopped."""
    parts: list[dict[str, Any]] = []
    calls: dict[str, dict[str, Any]] = {}
    arguments: dict[str, list[str]] = {}
    finish = ""
    for event in events:
        if isinstance(event, TextDelta):
            if parts and parts[-1]["type"] == "text":
                parts[-1]["content"] += event.delta
            else:
                parts.append({"type": "text", "content": event.delta})
        elif isinstance(event, ToolUseStart):
            calls[event.tool_use_id] = {"type": "tool_call", "id": event.tool_use_id, "name": event.name}
            arguments[event.tool_use_id] = []
            parts.append(calls[event.tool_use_id])
        elif isinstance(event, ToolInputDelta) and event.tool_use_id in arguments:
            arguments[event.tool_use_id].append(event.partial_json)
        elif isinstance(event, IterationEnd):
            finish = event.raw or event.stop_reason.value
    for call_id, pieces in arguments.items():
        text = "".join(pieces)
        try:
            calls[call_id]["arguments"] = json.loads(text) if text else {}
        except ValueError:
            calls[call_id]["arguments"] = text
    return [{"role": "assistant", "parts": parts, "finish_reason": finish}]
