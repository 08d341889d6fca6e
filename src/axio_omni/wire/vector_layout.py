"""Embedding answers read by their layout: vectors decoded straight from the bytes, the rest parsed small.

An embeddings answer is a few hundred bytes of structure around megabytes of vectors. ``json.loads``
turns a float answer into millions of Python floats and a base64 answer into thousands of large
strings that are then decoded again. Here each embedding's value is found in the bytes
(``"embedding": "<base64>"`` or ``"embedding": [<numbers>]``) and decoded by binascii or numpy
directly, without a Python object per number; the answer with each value replaced by a marker
holding its ordinal is then parsed as JSON, which proves every value found belongs to exactly one
item.

Anything unexpected (an escape inside base64, a nested list, a number numpy cannot read, a value
that is not where an item's embedding is) returns None, and the caller parses the answer in full,
with its strict errors.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MARK", "read_layout"]

#: The key of the object that stands in for each embedding in the parsed skeleton: no genuine
#: embedding value is an object with this key, so a value in its place is one that was found.
MARK = "axio-omni ordinal"

_VALUE = re.compile(rb'"embedding"\s*:\s*(["\[])')
#: The bytes JSON numbers, their separators and whitespace are made of.
_NUMBER_BYTES = b"0123456789+-.eE, \t\r\n"


def _decode(body: bytes, start: int, end: int, base64: bool) -> npt.NDArray[np.float32] | None:
    if base64:
        try:
            raw = binascii.a2b_base64(body[start:end], strict_mode=True)
        except (binascii.Error, ValueError):
            return None
        return np.frombuffer(raw, dtype="<f4") if len(raw) % 4 == 0 else None
    text = body[start:end]
    if not text.strip():
        return np.empty(0, dtype=np.float32)
    if text.translate(None, _NUMBER_BYTES):
        return None  # something other than JSON numbers: the full parse says what
    try:
        # numpy parses each decimal to a double and rounds it to float32, as json.loads then numpy do.
        return np.array(text.split(b","), dtype=np.float32)
    except ValueError:
        return None


def read_layout(body: bytes) -> tuple[Any, list[npt.NDArray[np.float32]]] | None:
    """The answer parsed with each embedding replaced by its ordinal, and the decoded vectors in
    order of appearance; None when the layout is not the plain one (the caller then parses in full)."""
    spans: list[tuple[int, int, int, int, bool]] = []
    for match in _VALUE.finditer(body):
        opening = match.start(1)
        start = match.end(1)
        if match.group(1) == b'"':
            end = body.find(b'"', start)
            if end < 0 or body.find(b"\\", start, end) >= 0:
                return None
        else:
            end = body.find(b"]", start)
            if end < 0 or body.find(b"[", start, end) >= 0:
                return None
        spans.append((opening, end + 1, start, end, match.group(1) == b'"'))
    if not spans:
        return None
    parts: list[bytes] = []
    previous = 0
    vectors = []
    for ordinal, (opening, closing, start, end, base64) in enumerate(spans):
        vector = _decode(body, start, end, base64)
        if vector is None:
            return None
        vectors.append(vector)
        parts += (body[previous:opening], b'{"' + MARK.encode() + b'":' + str(ordinal).encode() + b"}")
        previous = closing
    parts.append(body[previous:])
    try:
        skeleton = json.loads(b"".join(parts))
    except ValueError:
        return None
    return skeleton, vectors
