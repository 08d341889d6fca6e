"""axio messages and tools as a ``POST /v1/responses`` body's ``input`` and ``tools`` (sans-I/O).

The mapping, per OpenAI's ``CreateResponse`` (and what its servers accept, which is narrower):

- the system prompt goes in ``instructions``; a ``system`` message in the history stays a message;
- user text becomes a user message with string content; with images, ``input_text`` and
  ``input_image`` parts;
- an earlier assistant turn's text is a message whose content is a plain string: the API refuses
  ``input_text`` there, and an ``output_text`` part needs the id and status of an output message;
- tool calls become ``function_call`` items keyed by ``call_id`` (the id the model gave the call,
  not the item's own id); results become ``function_call_output`` items, images included as parts;
- reasoning this protocol signed (``ReasoningBlock`` with ``provider="openai"``) goes back as a
  ``reasoning`` item with its ``encrypted_content``, so a reasoning model keeps its chain of thought
  across turns with ``store`` off; other output items it produced (``ProviderBlock``) go back as
  they came;
- tools become ``function`` tools with ``strict``: true where the schema meets strict mode's rules
  (every object closed, every property required), false otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from axio.blocks import (
    AudioBlock,
    ImageBlock,
    ProviderBlock,
    ReasoningBlock,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    VideoBlock,
    proof,
    replayable,
)
from axio.messages import Message
from axio.tool import Tool

from ..errors import ConfigurationError
from .chat_request import chat_messages, chat_tools, data_uri

__all__ = ["PROVIDER", "joined_items", "message_items", "response_input", "response_tools", "strict_schema"]

#: The protocol's name on the proofs and items it issues; shared with the Codex transport's turns.
PROVIDER: Final = "openai"


def _image(block: ImageBlock) -> dict[str, Any]:
    return {"type": "input_image", "image_url": data_uri(block.media_type, block.data), "detail": "auto"}


def _output(result: ToolResultBlock) -> str | list[dict[str, Any]]:
    """A tool's result as this API takes it: a string, or text and image parts."""
    if isinstance(result.content, str):
        return result.content
    parts: list[dict[str, Any]] = []
    for block in result.content:
        if isinstance(block, TextBlock):
            parts.append({"type": "input_text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(_image(block))
        elif isinstance(block, (AudioBlock, VideoBlock)):
            # No part for them here: the model is told what the tool made rather than handed a gap.
            parts.append({"type": "input_text", "text": f"[{block.media_type} output, which this API cannot take]"})
    return parts or ""


def _user(msg: Message, where: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for j, block in enumerate(msg.content):
        if isinstance(block, ToolResultBlock):
            items.append({"type": "function_call_output", "call_id": block.tool_use_id, "output": _output(block)})
        elif isinstance(block, TextBlock):
            if block.text:
                parts.append({"type": "input_text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(_image(block))
        elif isinstance(block, (AudioBlock, VideoBlock)):
            raise ConfigurationError(f"{where}.content[{j}]: the Responses API takes no {block.media_type} input")
    if len(parts) == 1 and parts[0]["type"] == "input_text":
        # One text as a plain string: the spec's input union takes a list of parts as two of its
        # members at once, so only the string form is unambiguous (and it is shorter).
        items.append({"type": "message", "role": "user", "content": parts[0]["text"]})
    elif parts:
        items.append({"type": "message", "role": "user", "content": parts})
    return items


def _assistant(msg: Message) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            items.append({"type": "message", "role": "assistant", "content": "".join(text)})
            text.clear()

    for block in msg.content:
        if isinstance(block, TextBlock):
            text.append(block.text)
            continue
        if isinstance(block, ToolUseBlock):
            flush()
            arguments = json.dumps(block.input, ensure_ascii=False, separators=(",", ":"))
            items.append({"type": "function_call", "call_id": block.id, "name": block.name, "arguments": arguments})
        elif isinstance(block, ReasoningBlock):
            encrypted = proof(block, PROVIDER)
            if block.id and encrypted:
                flush()
                summary = [{"type": "summary_text", "text": block.text}] if block.text else []
                items.append({"type": "reasoning", "id": block.id, "encrypted_content": encrypted, "summary": summary})
        elif isinstance(block, ProviderBlock) and replayable(block, PROVIDER):
            flush()
            items.append(dict(block.data))
    flush()
    return items


def message_items(messages: list[Message]) -> list[list[dict[str, Any]]]:
    """The ``input`` items of each message, one list per message (a message's items depend on it
    alone, so a prefix of the conversation maps to a prefix of these)."""
    chat_messages(messages, "")  # the same checks of the messages' shape, naming the bad one
    out: list[list[dict[str, Any]]] = []
    for i, msg in enumerate(messages):
        if msg.role == "user":
            out.append(_user(msg, f"messages[{i}]"))
        elif msg.role == "assistant":
            out.append(_assistant(msg))
        else:
            text = "".join(b.text for b in msg.content if isinstance(b, TextBlock))
            out.append([{"type": "message", "role": "system", "content": text}] if text else [])
    return out


def joined_items(per_message: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Messages' items as one ``input`` list; a reasoning item with nothing after it is dropped, as
    the API refuses one."""
    items = [item for items in per_message for item in items]
    while items and items[-1].get("type") == "reasoning":
        items.pop()
    return items


def response_input(messages: list[Message]) -> list[dict[str, Any]]:
    """The ``input`` items for ``messages`` (the system prompt goes in ``instructions``)."""
    return joined_items(message_items(messages))


def strict_schema(schema: Any) -> bool:
    """Whether ``schema`` meets strict mode: every object has ``additionalProperties: false`` and
    lists every property as required, all the way down."""
    if isinstance(schema, list):
        return all(strict_schema(s) for s in schema)
    if not isinstance(schema, Mapping):
        return True
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False or set(schema.get("required", ())) != set(props):
            return False
    return all(strict_schema(v) for k, v in schema.items() if k not in ("required", "enum", "const", "default"))


def response_tools(tools: list[Tool[Any]]) -> list[dict[str, Any]]:
    """``function`` tools for ``tools``, checked as for chat completions, each with ``strict``."""
    out = []
    for declared in chat_tools(tools):
        function = declared["function"]
        tool: dict[str, Any] = {"type": "function", "name": function["name"], "parameters": function["parameters"]}
        if "description" in function:
            tool["description"] = function["description"]
        tool["strict"] = strict_schema(function["parameters"])
        out.append(tool)
    return out
