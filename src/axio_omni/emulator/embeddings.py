"""``POST /v1/embeddings`` in the emulator: deterministic vectors that make retrieval work.

Each text is a hashed bag of its lowercase words: every word adds +1 or -1 at a position chosen by
its hash, and the vector is scaled to unit length. Texts that share words therefore have a higher
cosine similarity than texts that share none, so a retrieval demo really retrieves, offline.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from aiohttp import web

from .replies import count_tokens
from .shapes import error_response
from .state import CALL, EMBEDDING_LIMITS, Call, EmbeddingLimits
from .writer import respond_json

__all__ = ["DEFAULT_DIMENSIONS", "embedding_vector", "handle_embeddings"]

DEFAULT_DIMENSIONS = {"text-embedding-3-large": 3072}
_DIMENSIONS = 1536
_MAX_DIMENSIONS = 3072
_WORD = re.compile(r"\w+")


def embedding_vector(text: str, dimensions: int) -> npt.NDArray[np.float32]:
    """The emulator's unit-length embedding of ``text``."""
    vector = np.zeros(dimensions, dtype=np.float64)
    words = _WORD.findall(text.lower()) or [text]
    for word in words:
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vector[h % dimensions] += 1.0 if (h >> 40) & 1 else -1.0
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector[0] = 1.0
        norm = 1.0
    return (vector / norm).astype(np.float32)


def _inputs(raw: Any) -> list[str] | str:
    """The inputs of a request as texts, or the reason they are refused."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        return "'input' must be a string or a non-empty array"
    if all(isinstance(x, int) and not isinstance(x, bool) for x in raw):
        raw = [raw]  # one array of token ids
    texts: list[str] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            if not item:
                return f"'$.input[{i}]' is invalid: an input cannot be an empty string"
            texts.append(item)
        elif isinstance(item, list) and item and all(isinstance(t, int) for t in item):
            texts.append(" ".join(f"tok{t}" for t in item))
        else:
            return f"'$.input[{i}]' is invalid: expected a string or an array of token ids"
    return texts


@dataclass(frozen=True, slots=True)
class _Job:
    """An embeddings request that passed every check."""

    model: str
    texts: list[str]
    tokens: int
    dimensions: int
    fmt: str


def _check(body: Any, limits: EmbeddingLimits) -> _Job | web.Response:
    """The request as a job, or OpenAI's 400 for the first thing it gets wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
        return error_response(400, "you must provide a model parameter", param="model")
    texts = _inputs(body.get("input"))
    if isinstance(texts, str):
        return error_response(400, texts, param="input")
    if len(texts) > limits.inputs:
        return error_response(
            400,
            f"Invalid 'input': maximum {limits.inputs} inputs per request, got {len(texts)}.",
            param="input",
            code="invalid_value",
        )
    counts = [count_tokens(t) for t in texts]
    for i, n in enumerate(counts):
        if n > limits.input_tokens:
            return error_response(
                400,
                f"This model's maximum context length is {limits.input_tokens} tokens, however you "
                f"requested {n} tokens (input {i}). Please reduce your prompt.",
                param="input",
            )
    if sum(counts) > limits.request_tokens:
        return error_response(
            400,
            f"Requested {sum(counts)} tokens, max {limits.request_tokens} tokens per request",
            code="max_tokens_per_request",
        )
    dimensions = body.get("dimensions", DEFAULT_DIMENSIONS.get(body["model"], _DIMENSIONS))
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or not 1 <= dimensions <= _MAX_DIMENSIONS:
        return error_response(400, f"Invalid 'dimensions': {dimensions!r}", param="dimensions")
    fmt = body.get("encoding_format", "float")
    if fmt not in ("float", "base64"):
        return error_response(400, f"Invalid 'encoding_format': {fmt!r}", param="encoding_format")
    return _Job(body["model"], texts, sum(counts), dimensions, fmt)


async def handle_embeddings(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    job = _check(call.body, request.app[EMBEDDING_LIMITS])
    if isinstance(job, web.Response):
        return job
    data = []
    for i, text in enumerate(job.texts):
        vector = embedding_vector(text, job.dimensions)
        value: Any = (
            base64.b64encode(vector.astype("<f4").tobytes()).decode() if job.fmt == "base64" else vector.tolist()
        )
        data.append({"object": "embedding", "index": i, "embedding": value})
    usage = {"prompt_tokens": job.tokens, "total_tokens": job.tokens}
    return await respond_json(request, call, {"object": "list", "data": data, "model": job.model, "usage": usage})
