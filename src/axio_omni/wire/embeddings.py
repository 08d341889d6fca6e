"""``POST /v1/embeddings``: inputs, batches, request bodies and responses (sans-I/O).

Responses are read strictly. An embedding is base64 (little-endian float32, what this package asks
for) or a list of numbers (what servers that ignore ``encoding_format`` send). Anything else is an
error rather than a wrong vector: one vector per token (a list of lists), a count that does not
match the inputs, a missing or repeated index, vectors of different lengths, or a length other
than the ``dimensions`` asked for.
"""

from __future__ import annotations

import base64
import binascii
import gc
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import APIStatusError, ConfigurationError, MalformedResponseError, OmniError
from .vector_layout import MARK, read_layout

__all__ = [
    "EmbeddingUsage",
    "check_inputs",
    "decode_vector",
    "embedding_request",
    "estimate_tokens",
    "is_too_large",
    "plan_batches",
    "read_embeddings",
    "rows_as_lists",
]

#: OpenAI's limits: inputs per request, and tokens per request summed over its inputs.
MAX_INPUTS = 2048
MAX_REQUEST_TOKENS = 300_000

type Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class EmbeddingUsage:
    """Tokens the server billed for the inputs it was sent (cache hits cost nothing)."""

    prompt_tokens: int = 0
    total_tokens: int = 0
    #: The model that served (and billed) them, as the answers name it.
    model: str | None = None

    def __add__(self, other: EmbeddingUsage) -> EmbeddingUsage:
        return EmbeddingUsage(
            self.prompt_tokens + other.prompt_tokens, self.total_tokens + other.total_tokens, self.model or other.model
        )


def check_inputs(texts: Sequence[str]) -> None:
    """Raise :class:`ConfigurationError` naming the first input OpenAI would refuse."""
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
        raise ConfigurationError(f"texts must be a list of strings, got {texts!r:.60}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ConfigurationError(f"texts[{i}] must be a string, got {text!r:.60}")
        if not text:
            raise ConfigurationError(f"texts[{i}] is empty; the embeddings endpoint refuses empty strings")


def estimate_tokens(text: str) -> int:
    """An upper estimate of ``text``'s tokens without a tokenizer: one per 3 UTF-8 bytes, plus one.

    BPE tokenizers average about 4 bytes a token on English, so this errs towards smaller
    batches; a batch the server still finds too large is halved by the transport.
    """
    return len(text.encode("utf-8")) // 3 + 1


def plan_batches(
    texts: Sequence[str], indices: Sequence[int], *, max_inputs: int = MAX_INPUTS, max_tokens: int = MAX_REQUEST_TOKENS
) -> list[list[int]]:
    """``indices`` (into ``texts``) cut into consecutive batches within both limits.

    A single input larger than ``max_tokens`` gets a batch of its own: the server decides.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for i in indices:
        cost = estimate_tokens(texts[i])
        if current and (len(current) >= max_inputs or tokens + cost > max_tokens):
            batches.append(current)
            current, tokens = [], 0
        current.append(i)
        tokens += cost
    if current:
        batches.append(current)
    return batches


def embedding_request(
    model: str,
    inputs: list[str],
    *,
    encoding_format: str,
    dimensions: int | None,
    user: str | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The request body for one batch."""
    body: dict[str, Any] = {"model": model, "input": inputs, "encoding_format": encoding_format}
    if dimensions is not None:
        body["dimensions"] = dimensions
    if user is not None:
        body["user"] = user
    body.update(extra)
    return body


_TOO_LARGE = re.compile(
    r"too (large|long|many)|maximum|exceed|context length|max(imum)?[ _]?(tokens|inputs|batch)|limit", re.I
)


def is_too_large(error: OmniError) -> bool:
    """Whether the server refused a batch for its size (413, or a 400 that says so)."""
    if not isinstance(error, APIStatusError):
        return False
    if error.status == 413:
        return True
    return error.status == 400 and bool(_TOO_LARGE.search(f"{error.message} {error.code or ''}"))


def decode_vector(value: Any, where: str) -> npt.NDArray[np.float32]:
    """One embedding, base64 float32 or a list of numbers, as a 1-D float32 array."""
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponseError(f"{where}: the embedding is neither base64 nor a list of numbers") from None
        if len(raw) % 4:
            raise MalformedResponseError(f"{where}: {len(raw)} bytes of base64 are not a whole number of float32s")
        return np.frombuffer(raw, dtype="<f4").astype(np.float32, copy=False)
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            raise MalformedResponseError(
                f"{where}: one vector per token (a list of {len(value)} lists); the server did not pool the "
                "embeddings (llama.cpp: start it with a pooling type other than none)"
            )
        try:
            array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise MalformedResponseError(f"{where}: the embedding is not a list of numbers") from None
        if array.ndim != 1:
            raise MalformedResponseError(f"{where}: the embedding is not a flat list of numbers")
        return array
    raise MalformedResponseError(f"{where}: expected base64 or a list of numbers, got {type(value).__name__}")


type _RowReader = Callable[[int, dict[str, Any]], npt.NDArray[np.float32]]


def read_embeddings(
    body: bytes, expected: int, *, dimensions: int | None = None, by_layout: bool = True
) -> tuple[Vectors, EmbeddingUsage]:
    """The ``(expected, dims)`` float32 matrix of one response, rows in input order, and its usage.

    Read by its layout where it is the plain one (``vector_layout.py``: vectors decoded straight from
    the bytes), else (or with ``by_layout=False``) parsed in full; either way every check applies.
    """
    data, row = _parse(body, expected, by_layout)
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MalformedResponseError("the embeddings response has no 'data' list", body=str(body[:500]))
    if len(items) != expected:
        raise MalformedResponseError(f"the server returned {len(items)} embeddings for {expected} inputs")
    out = _assemble(items, row, expected, dimensions)
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    model = data.get("model")
    served = model if isinstance(model, str) and model else None
    return out, EmbeddingUsage(_count(usage.get("prompt_tokens")), _count(usage.get("total_tokens")), served)


def _parse(body: bytes, expected: int, by_layout: bool) -> tuple[Any, _RowReader]:
    """The parsed answer and how to get an item's vector from it: by layout where it is plain, else in full."""
    layout = read_layout(body) if by_layout else None
    if layout is not None and len(layout[1]) == expected:
        skeleton, found = layout

        def marked(n: int, item: dict[str, Any]) -> npt.NDArray[np.float32]:
            mark = item.get("embedding")
            ordinal = mark.get(MARK) if type(mark) is dict and len(mark) == 1 else None
            if type(ordinal) is not int:
                raise MalformedResponseError(f"data[{n}]: the embedding is neither base64 nor a list of numbers")
            return found[ordinal]

        return skeleton, marked
    # Not the plain layout, or another count than expected: the full parse says precisely what is wrong.
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedResponseError(f"the embeddings response is not JSON: {body[:200]!r}") from None
    return data, lambda n, item: decode_vector(item.get("embedding"), f"data[{n}]")


def _assemble(items: list[Any], row: _RowReader, expected: int, dimensions: int | None) -> Vectors:
    """Every item's vector in its index's row, each index once, every row the same length."""
    out: Vectors | None = None
    seen = np.zeros(expected, dtype=bool)
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedResponseError(f"data[{n}] is not an object")
        index = item.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < expected or seen[index]:
            raise MalformedResponseError(f"data[{n}] has a missing, repeated or out-of-range index {index!r}")
        seen[index] = True
        vector = row(n, item)
        if out is None:
            if dimensions is not None and vector.shape[0] != dimensions:
                raise MalformedResponseError(
                    f"asked for dimensions={dimensions}, the server answered {vector.shape[0]} (it ignores the setting)"
                )
            out = np.empty((expected, vector.shape[0]), dtype=np.float32)
        elif vector.shape[0] != out.shape[1]:
            raise MalformedResponseError(f"data[{n}] has {vector.shape[0]} dimensions, data[0] had {out.shape[1]}")
        out[index] = vector
    return out if out is not None else np.empty((0, dimensions or 0), dtype=np.float32)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def rows_as_lists(vectors: Vectors) -> list[list[float]]:
    """``vectors`` as lists of Python floats (axio's ``EmbeddingTransport`` returns those).

    Millions of floats are made here, and the collector, set off by the row lists, would walk the
    whole heap several times for nothing: every object made is reachable and none forms a cycle.
    It is paused for this synchronous step only, and resumed as it was.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        rows: list[list[float]] = vectors.tolist()
    finally:
        if paused:
            gc.enable()
    return rows
