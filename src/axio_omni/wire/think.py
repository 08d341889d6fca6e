"""Splits streamed text into reasoning inside ``<think>...</think>`` and answer text outside it.

Open-weight reasoning models served by llama.cpp, vLLM or Ollama without a reasoning parser write
their thoughts into ``content`` between these tags, and a tag may be cut across chunks anywhere.
Only the tail that could still become a tag is held back; all other text is released at once.
"""

from __future__ import annotations

__all__ = ["ThinkSplitter"]

_OPEN = "<think>"
_CLOSE = "</think>"


class ThinkSplitter:
    """``feed(text)`` returns ``(is_reasoning, text)`` pieces in order; ``flush()`` releases what is held.

    ``idle`` is true while outside a think block with nothing held: then text without ``<`` is all
    answer text, which lets a caller skip ``feed`` on the hot path.
    """

    __slots__ = ("_inside", "_held", "idle")

    def __init__(self) -> None:
        self._inside = False
        self._held = ""
        self.idle = True

    def feed(self, text: str) -> list[tuple[bool, str]]:
        out = self._feed(text)
        self.idle = not self._inside and not self._held
        return out

    def _feed(self, text: str) -> list[tuple[bool, str]]:
        if not self._held and "<" not in text:
            return [(self._inside, text)] if text else []
        text = self._held + text
        self._held = ""
        out: list[tuple[bool, str]] = []
        while text:
            tag = _CLOSE if self._inside else _OPEN
            at = text.find(tag)
            if at >= 0:
                if at:
                    out.append((self._inside, text[:at]))
                text = text[at + len(tag) :]
                self._inside = not self._inside
                continue
            keep = _partial_tail(text, tag)
            if keep < len(text):
                out.append((self._inside, text[: len(text) - keep]))
            self._held = text[len(text) - keep :]
            break
        return out

    def flush(self) -> list[tuple[bool, str]]:
        held, self._held = self._held, ""
        self.idle = not self._inside
        return [(self._inside, held)] if held else []


def _partial_tail(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    start = text.rfind("<", max(0, len(text) - len(tag) + 1))
    while start >= 0:
        tail = text[start:]
        if tag.startswith(tail):
            return len(tail)
        start = text.find("<", start + 1)
    return 0
