"""A shortcut for the commonest chunks: text only, or a tool call's argument fragment only, each shaped
like the previous one.

Within one stream a server writes every such chunk the same way: the same id, model, timestamp and
fingerprint, in the same order, with only one string changing (the content, or the arguments).
Once a chunk has been parsed in full and proved to be ``prefix + <string literal> + suffix``, a later
chunk with the same prefix and suffix and one JSON string between them is the same document with
another string. That string is read with the C string scanner, without ``json.loads`` or a walk
through the dicts: about a fifth of the cost of a full parse.

The shortcut is sound because a JSON string token replaced by another string token leaves the rest
of the document unchanged, and because a template is adopted only after a probe: the prefix and
suffix around another literal must parse to the original chunk with only that string changed.
Anything else (usage, a finish reason, a new call, one more field) does not match and is parsed
in full. A tool call's index is part of the prefix, so a matching fragment continues the same call.

Streams of one endpoint share their layout but for a few values: the completion's ``id``, its
``created`` time and OpenAI's per-chunk ``obfuscation`` padding. :class:`Layouts` keeps the text
layouts proved so far with those values masked, so a later stream of the same shape reads even its
first text chunk by the layout, with no full parse and no probe: masking replaces a string token by
a string token and a number by a number, which leaves the proof standing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple, cast

#: The JSON string scanner (C-accelerated in CPython); typeshed does not declare it.
scanstring = cast(Callable[[str, int], tuple[str, int]], json.decoder.scanstring)  # type: ignore[attr-defined]

__all__ = ["ARGUMENTS", "TEXT", "ChunkTemplate", "Layout", "Layouts", "arguments_only", "text_only"]

_PROBE = "axio-omni probe \u00e9"
#: The values that differ between streams of one layout: plain strings (no quote, no escape) and a number.
_VARYING = re.compile(r'("(?:id|obfuscation)":)"[^"\\]*"|("created":)\d+')


def _single_choice(chunk: dict[str, Any]) -> dict[str, Any] | None:
    """The one plain choice of a chunk that carries nothing else to read, else None."""
    if chunk.get("usage") is not None or "error" in chunk or "x_groq" in chunk:
        return None
    choices = chunk.get("choices")
    if type(choices) is not list or len(choices) != 1 or type(choices[0]) is not dict:
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if (
        choice.get("index", 0) != 0
        or choice.get("finish_reason") is not None
        or choice.get("logprobs") is not None
        or type(delta) is not dict
        or len(delta) != 1
    ):
        return None
    return delta


def text_only(chunk: dict[str, Any]) -> str | None:
    """The content of a chunk that carries text and nothing else to read, else None."""
    delta = _single_choice(chunk)
    content = delta.get("content") if delta is not None else None
    return content if type(content) is str else None


def arguments_only(chunk: dict[str, Any]) -> tuple[int, str] | None:
    """The call index and argument fragment of a chunk that carries only that, else None.

    A fragment may repeat the call's ``id`` and ``type`` (some servers do): the reader takes them
    from a call's first fragment only, so a repeat is nothing to read.
    """
    delta = _single_choice(chunk)
    calls = delta.get("tool_calls") if delta is not None else None
    if type(calls) is not list or len(calls) != 1 or type(calls[0]) is not dict:
        return None
    call = calls[0]
    function = call.get("function")
    index = call.get("index")
    if type(index) is not int or type(function) is not dict or len(function) != 1 or not set(call) <= _FRAGMENT:
        return None
    arguments = function.get("arguments")
    return (index, arguments) if type(arguments) is str else None


_FRAGMENT = frozenset({"index", "function", "id", "type"})


def _put_text(chunk: dict[str, Any], value: str) -> None:
    chunk["choices"][0]["delta"]["content"] = value


def _put_arguments(chunk: dict[str, Any], value: str) -> None:
    chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] = value


class Layout(NamedTuple):
    """Which string of a chunk a template reads: the JSON key before it, how to find it in a parsed
    chunk (with a key that the prefix fixes, such as the call index) and how to set it."""

    key: str
    read: Callable[[dict[str, Any]], tuple[Any, str] | None]
    put: Callable[[dict[str, Any], str], None]


TEXT = Layout('"content"', lambda c: (None, t) if (t := text_only(c)) is not None else None, _put_text)
ARGUMENTS = Layout('"arguments"', arguments_only, _put_arguments)


def _masked(text: str) -> str:
    return _VARYING.sub(lambda m: f'{m.group(1)}""' if m.group(1) else f"{m.group(2)}0", text)


class Layouts:
    """The text layouts proved by earlier streams of one endpoint, with their varying values masked
    (one per transport; sans-I/O). Bounded: a server whose chunks never repeat a shape stops adding."""

    __slots__ = ("_shapes",)

    MAX = 32

    def __init__(self) -> None:
        self._shapes: set[tuple[str, str]] = set()

    def add(self, prefix: str, suffix: str) -> None:
        if len(self._shapes) < self.MAX:
            self._shapes.add((_masked(prefix), _masked(suffix)))

    def knows(self, prefix: str, suffix: str) -> bool:
        return bool(self._shapes) and (_masked(prefix), _masked(suffix)) in self._shapes


class ChunkTemplate:
    """Learns a stream's layout for one kind of chunk and reads later chunks by it; see the module docstring."""

    __slots__ = ("layout", "prefix", "suffix", "key", "_tries", "shared")

    #: How many times one stream may try to learn a layout before it stops trying.
    MAX_TRIES = 4

    def __init__(self, layout: Layout = TEXT, shared: Layouts | None = None) -> None:
        self.layout = layout
        self.prefix = ""
        self.suffix = ""
        #: What the prefix fixes: the call index for arguments, None for text.
        self.key: Any = None
        self._tries = 0
        #: Text layouts proved by earlier streams of the same endpoint (text only: a call's index is
        #: fixed by its stream).
        self.shared = shared if layout is TEXT else None

    def match(self, data: str) -> str | None:
        """The string of ``data`` if it has the learned layout (before one is learned, a layout an
        earlier stream proved: :meth:`adopt`), else None."""
        prefix = self.prefix
        if not prefix:
            return self.adopt(data) if self.shared is not None else None
        if not data.startswith(prefix):
            return None
        try:
            content, end = scanstring(data, len(prefix))
        except ValueError:
            return None
        if len(data) - end != len(self.suffix) or not data.endswith(self.suffix):
            return None
        return content

    def adopt(self, data: str) -> str | None:
        """The text of ``data``, read by a layout an earlier stream proved (then this stream's own),
        or None: tried on the first few chunks of a stream only."""
        shared = self.shared
        if shared is None or self.prefix or self._tries >= self.MAX_TRIES:
            return None
        self._tries += 1
        at = data.rfind(self.layout.key)
        opening = _value_start(data, at + len(self.layout.key)) if at >= 0 else None
        if opening is None:
            return None
        try:
            content, end = scanstring(data, opening)
        except ValueError:
            return None
        if not shared.knows(data[:opening], data[end:]):
            return None
        self.prefix, self.suffix = data[:opening], data[end:]
        return content

    def learn(self, data: str, chunk: dict[str, Any], key: Any, content: str) -> None:
        """Adopt the layout of ``data``, parsed as ``chunk`` whose string is ``content``, if a probe proves it."""
        if self._tries >= self.MAX_TRIES:
            return
        self._tries += 1
        name = self.layout.key
        at = data.find(name)
        while at >= 0:
            opening = _value_start(data, at + len(name))
            if opening is not None:
                try:
                    value, end = scanstring(data, opening)
                except ValueError:
                    value, end = None, 0
                if value == content and self._proves(data[:opening], data[end:], chunk, key):
                    self.prefix, self.suffix, self.key = data[:opening], data[end:], key
                    if self.shared is not None:
                        self.shared.add(self.prefix, self.suffix)
                    return
            at = data.find(name, at + 1)

    def _proves(self, prefix: str, suffix: str, chunk: dict[str, Any], key: Any) -> bool:
        try:
            probe = json.loads(prefix + json.dumps(_PROBE)[1:] + suffix)
        except ValueError:
            return False
        if type(probe) is not dict or self.layout.read(probe) != (key, _PROBE):
            return False
        found = self.layout.read(chunk)
        if found is None:
            return False
        self.layout.put(probe, found[1])
        return bool(probe == chunk)


def _value_start(data: str, at: int) -> int | None:
    """Index just after the opening quote of the string value following a key ending at ``at``."""
    n = len(data)
    while at < n and data[at] in " \t\r\n":
        at += 1
    if at >= n or data[at] != ":":
        return None
    at += 1
    while at < n and data[at] in " \t\r\n":
        at += 1
    return at + 1 if at < n and data[at] == '"' else None
