"""axio messages and tools as a ``POST /v1/chat/completions`` body (sans-I/O).

The mapping, per OpenAI's ``CreateChatCompletionRequest``:

- the system prompt and ``system`` messages become ``system`` messages;
- user text and images become a user message (a plain string when it is text only, else content
  parts with images as ``data:`` URIs);
- assistant text and tool calls become one assistant message; reasoning and provider blocks have no
  place on this endpoint and are left out, but for a spoken reply's audio (``chat_audio.py``), sent
  back by id while the server keeps it (its transcript, the message's text, goes only after);
- each tool result becomes a ``tool`` message; the chat API takes no images there, so images from
  results follow in one user message that names the call they came from;
- tools become ``function`` declarations with their JSON schema.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from axio.blocks import (
    AudioBlock,
    ContentBlock,
    ImageBlock,
    ProviderBlock,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    VideoBlock,
)
from axio.messages import Message
from axio.tool import Tool

from ..errors import ConfigurationError
from .chat_audio import AUDIO_KIND, assistant_audio
from .schema_check import schema_problem

__all__ = ["chat_messages", "chat_tools", "data_uri"]

#: What OpenAI's function names allow; checked here so a bad name fails before the request.
_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_AUDIO_FORMATS = {"audio/wav": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"}


def data_uri(media_type: str, data: bytes) -> str:
    """``data:<media type>;base64,<data>``."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _image_part(block: ImageBlock) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_uri(block.media_type, block.data)}}


def _user_part(block: ContentBlock, at: tuple[int, int]) -> dict[str, Any] | None:
    """The content part of one block of a user message; ``at`` (message, block) names it in errors."""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text} if block.text else None
    if isinstance(block, ImageBlock):
        return _image_part(block)
    if isinstance(block, AudioBlock):
        fmt = _AUDIO_FORMATS.get(block.media_type)
        if fmt is None:
            raise ConfigurationError(
                f"{_place(at)}: chat completions takes audio as wav or mp3 only, got {block.media_type!r}"
            )
        data = base64.b64encode(block.data).decode("ascii")
        return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}
    if isinstance(block, VideoBlock):
        raise ConfigurationError(f"{_place(at)}: chat completions has no video input ({block.media_type})")
    return None


def _result_text(result: ToolResultBlock) -> str:
    if isinstance(result.content, str):
        return result.content
    return "\n".join(b.text for b in result.content if isinstance(b, TextBlock))


def _place(at: tuple[int, int]) -> str:
    # Made only for an error: a long conversation is converted every turn.
    return f"messages[{at[0]}].content[{at[1]}]"


def _user_messages(msg: Message, index: int) -> Iterable[dict[str, Any]]:
    results = [b for b in msg.content if isinstance(b, ToolResultBlock)]
    for result in results:
        yield {"role": "tool", "tool_call_id": result.tool_use_id, "content": _result_text(result)}
    parts: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result.content, list):
            images = [b for b in result.content if isinstance(b, ImageBlock)]
            if images:
                parts.append({"type": "text", "text": f"[Images returned by tool call {result.tool_use_id}]"})
                parts.extend(_image_part(b) for b in images)
    for i, block in enumerate(msg.content):
        if not isinstance(block, ToolResultBlock):
            part = _user_part(block, (index, i))
            if part is not None:
                parts.append(part)
    if not parts:
        return
    if all(p["type"] == "text" for p in parts):
        yield {"role": "user", "content": "".join(p["text"] for p in parts)}
    else:
        yield {"role": "user", "content": parts}


def _assistant_message(msg: Message, now: float) -> dict[str, Any] | None:
    text: list[str] = []
    calls: list[dict[str, Any]] = []
    audio: dict[str, str] | None = None
    for block in msg.content:
        if isinstance(block, TextBlock):
            text.append(block.text)
        elif isinstance(block, ToolUseBlock):
            arguments = json.dumps(block.input, ensure_ascii=False, separators=(",", ":"))
            calls.append({"id": block.id, "type": "function", "function": {"name": block.name, "arguments": arguments}})
        elif isinstance(block, ProviderBlock) and block.provider == "openai" and block.kind == AUDIO_KIND:
            audio = assistant_audio(block.data, now)
    if not text and not calls and audio is None:
        return None
    out: dict[str, Any] = {"role": "assistant"}
    if audio is not None:
        out["audio"] = audio  # the reply itself, which the server keeps: its transcript would say it twice
    elif text:
        out["content"] = "".join(text)
    if calls:
        out["tool_calls"] = calls
    return out


def chat_messages(messages: list[Message], system: str, now: float = 0.0) -> list[dict[str, Any]]:
    """The ``messages`` array for ``system`` followed by ``messages``; ``now`` (seconds since the
    epoch) tells which spoken replies the server still keeps."""
    out: list[dict[str, Any]] = []
    if system:
        out.append({"role": "system", "content": system})
    for i, msg in enumerate(messages):
        if not isinstance(msg, Message):
            raise ConfigurationError(f"messages[{i}]: expected an axio Message, got {type(msg).__name__}")
        if not isinstance(msg.content, list):
            raise ConfigurationError(
                f"messages[{i}].content must be a list of axio content blocks, got {msg.content!r:.60}"
            )
        for j, block in enumerate(msg.content):
            if not isinstance(block, ContentBlock):
                raise ConfigurationError(f"messages[{i}].content[{j}] must be an axio content block, got {block!r:.60}")
        if msg.role == "user":
            content = msg.content
            if len(content) == 1 and type(content[0]) is TextBlock:
                # The commonest message, a line of text, skips the general path: every turn resends them all.
                if content[0].text:
                    out.append({"role": "user", "content": content[0].text})
                continue
            out.extend(_user_messages(msg, i))
        elif msg.role == "assistant":
            entry = _assistant_message(msg, now)
            if entry is not None:
                out.append(entry)
        elif msg.role == "system":
            text = "".join(b.text for b in msg.content if isinstance(b, TextBlock))
            if text:
                out.append({"role": "system", "content": text})
        else:
            raise ConfigurationError(f"messages[{i}].role: expected user, assistant or system, got {msg.role!r}")
    return out


def _strip_titles(schema: Any) -> Any:
    """The schema without pydantic-style ``title`` keys, which only cost prompt tokens."""
    if isinstance(schema, Mapping):
        return {k: _strip_titles(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def chat_tools(tools: list[Tool[Any]]) -> list[dict[str, Any]]:
    """``function`` declarations for ``tools``; raises on a name OpenAI would refuse or a duplicate."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, tool in enumerate(tools):
        name = getattr(tool, "name", None)
        if not isinstance(name, str) or not name or len(name) > 64 or not set(name) <= _NAME_OK:
            raise ConfigurationError(
                f"tools[{i}].name: {name!r} must be 1-64 characters of letters, digits, '_' or '-'"
            )
        if name in seen:
            raise ConfigurationError(f"tools[{i}].name: {name!r} is declared twice")
        seen.add(name)
        schema = _strip_titles(tool.input_schema) or {"type": "object", "properties": {}}
        problem = schema_problem(schema)
        if problem is None and schema.get("type", "object") != "object":
            problem = f"$.type must be 'object' (function parameters are an object), got {schema['type']!r}"
        if problem is not None:
            raise ConfigurationError(f"tools[{i}].input_schema ({name}): {problem}")
        function: dict[str, Any] = {"name": name, "parameters": schema}
        if tool.description:
            function["description"] = tool.description
        out.append({"type": "function", "function": function})
    return out
