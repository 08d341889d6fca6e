"""``OpenAIEmbeddingTransport``: axio's ``EmbeddingTransport`` for whole corpora.

A call takes any number of texts. Cache hits are taken first. The misses are cut into batches
within the input and token limits and sent with bounded concurrency over the shared pool, and
each batch's rows go back in input order. A batch the server refuses as too large is halved and
sent again. A batch that fails for good raises an error naming the inputs it held, and nothing is
returned as if complete. Vectors are asked for in base64 and decoded with numpy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import aiohttp
import numpy as np
from axio.transport import EmbeddingTransport

from .. import telemetry
from ..cache import EmbeddingCache, cache_key, open_cache
from ..errors import ConfigurationError, OmniError
from ..fields import setting
from ..retry import Repeat
from ..rules import Choice, JsonMap, Number, Text
from ..timeouts import Budget
from ..wire.embeddings import (
    MAX_INPUTS,
    MAX_REQUEST_TOKENS,
    EmbeddingUsage,
    Vectors,
    check_inputs,
    embedding_request,
    is_too_large,
    plan_batches,
    read_embeddings,
    rows_as_lists,
)
from .base import HTTPTransport
from .concurrency import all_or_nothing
from .http import read_all

__all__ = ["EmbeddingResult", "OpenAIEmbeddingTransport", "Progress"]

#: ``progress(done, total)``: inputs resolved so far (cache hits included) out of all of them.
type Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """What one call produced: the vectors in input order, and what it cost."""

    vectors: Vectors
    usage: EmbeddingUsage
    #: HTTP requests that succeeded (a halved batch counts each half).
    requests: int
    #: Inputs answered from the cache, without a request.
    cached: int


@dataclass(slots=True, kw_only=True)
class OpenAIEmbeddingTransport(HTTPTransport, EmbeddingTransport):
    """Embeddings from any OpenAI-compatible ``/embeddings`` endpoint, batched, concurrent and cached.

    ``cache`` is ``None`` (no cache), ``":memory:"`` (for the life of this transport) or the path
    of a SQLite file shared by every transport and process that names it.
    """

    type_name = "openai-embedding"
    display_name: ClassVar[str] = "OpenAI embeddings (omni)"

    model: str = setting("text-embedding-3-small", Text())
    dimensions: int | None = setting(None, Number(1, integer=True, optional=True))
    encoding_format: Literal["base64", "float"] = setting("base64", Choice("base64", "float"))
    user: str | None = setting(None, Text(optional=True))
    extra_body: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap(reserved=("input",)))
    max_inputs: int = setting(MAX_INPUTS, Number(1, integer=True))
    max_tokens_per_request: int = setting(MAX_REQUEST_TOKENS, Number(1, integer=True))
    max_concurrency: int = setting(4, Number(1, integer=True))
    #: None, ``":memory:"`` or the path of a SQLite file.
    cache: str | None = setting(None, Text(optional=True))
    _cache: EmbeddingCache | None = field(
        default=None, init=False, repr=False, compare=False, metadata={"runtime": True}
    )

    def __post_init__(self) -> None:
        self._validate_common()
        self._cache = open_cache(self.cache)

    # ── the axio protocol and its array form ───────────────────────────────────────────────────

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order, as Python floats (axio's ``EmbeddingTransport``)."""
        return rows_as_lists((await self.embed_batch(texts)).vectors)

    async def embed_array(self, texts: Sequence[str], *, progress: Progress | None = None) -> Vectors:
        """A float32 array of shape ``(len(texts), dims)``, rows in input order."""
        return (await self.embed_batch(texts, progress=progress)).vectors

    async def embed_batch(self, texts: Sequence[str], *, progress: Progress | None = None) -> EmbeddingResult:
        """Vectors with the usage, request count and cache hits of this call. Inputs are checked first."""
        if telemetry.tracer() is None:
            return await self._embed_batch(texts, progress)
        asked: dict[str, Any] = {"gen_ai.request.encoding_formats": [self.encoding_format]}
        if self.dimensions is not None:
            asked["gen_ai.embeddings.dimension.count"] = self.dimensions
        with telemetry.traced_call(telemetry.Call("embeddings", self.model, self.base_url, asked)) as traced:
            result = await self._embed_batch(texts, progress)
            traced.used(result.usage.prompt_tokens)
            traced.response_model(result.usage.model)
            traced.set("axio_omni.requests", result.requests)
            traced.set("axio_omni.cache_hits", result.cached)
            return result

    async def _embed_batch(self, texts: Sequence[str], progress: Progress | None) -> EmbeddingResult:
        check_inputs(texts)
        self._require_key()
        total = len(texts)
        job = _Job(total, progress)
        if not total:
            return EmbeddingResult(np.empty((0, self.dimensions or 0), np.float32), EmbeddingUsage(), 0, 0)
        keys = (
            [cache_key(self.base_url, self.model, self.dimensions, t) for t in texts] if self._cache is not None else []
        )
        misses = list(range(total))
        if self._cache is not None:
            hits = await self._cache.get_many(keys)
            misses = [i for i, row in enumerate(hits) if row is None]
            found = [i for i, row in enumerate(hits) if row is not None]
            rows = [row for row in hits if row is not None]
            if rows:
                job.store(found, np.stack(rows))
                job.cached = len(rows)
        batches = plan_batches(texts, misses, max_inputs=self.max_inputs, max_tokens=self.max_tokens_per_request)
        session = self._session()
        budget = Budget.start(self.timeouts.total)
        limit = asyncio.Semaphore(self.max_concurrency)

        async def run(batch: list[int]) -> None:
            async with limit:
                vectors, usage, requests = await self._send(session, texts, batch, budget)
            if self._cache is not None:
                await self._cache.put_many([keys[i] for i in batch], vectors)
            job.usage += usage
            job.requests += requests
            job.store(batch, vectors)

        await all_or_nothing(run(b) for b in batches)
        return job.result(self.dimensions)

    async def _send(
        self, session: aiohttp.ClientSession, texts: Sequence[str], batch: list[int], budget: Budget | None
    ) -> tuple[Vectors, EmbeddingUsage, int]:
        """One batch's vectors; halved and sent again while the server finds it too large."""
        body = embedding_request(
            self.model,
            [texts[i] for i in batch],
            encoding_format=self.encoding_format,
            dimensions=self.dimensions,
            user=self.user,
            extra=self.extra_body,
        )
        try:
            request = self._request(
                "POST", "/embeddings", json_body=body, repeat=Repeat.SAFE, what=f"embeddings ({len(batch)} inputs)"
            )
            raw = (await read_all(session, request, self.retry, budget=budget)).data
            vectors, usage = read_embeddings(raw, len(batch), dimensions=self.dimensions)
        except OmniError as error:
            if len(batch) > 1 and is_too_large(error):
                half = len(batch) // 2
                first, second = batch[:half], batch[half:]
                v1, u1, r1 = await self._send(session, texts, first, budget)
                v2, u2, r2 = await self._send(session, texts, second, budget)
                return np.concatenate([v1, v2]), u1 + u2, r1 + r2
            _naming_inputs(error, batch)
            raise
        return vectors, usage, 1


@dataclass(slots=True)
class _Job:
    """What one call has gathered so far; lives only for that call."""

    total: int
    progress: Progress | None
    out: Vectors | None = None
    done: int = 0
    usage: EmbeddingUsage = field(default_factory=EmbeddingUsage)
    requests: int = 0
    cached: int = 0

    def store(self, indices: list[int], vectors: Vectors) -> None:
        if self.out is None:
            self.out = np.empty((self.total, vectors.shape[1]), dtype=np.float32)
        elif vectors.shape[1] != self.out.shape[1]:
            raise ConfigurationError(
                f"vectors of {vectors.shape[1]} dimensions beside {self.out.shape[1]}: the cache holds vectors "
                "from another model configuration under the same key"
            )
        self.out[indices] = vectors
        self.done += len(indices)
        if self.progress is not None:
            self.progress(self.done, self.total)

    def result(self, dimensions: int | None) -> EmbeddingResult:
        out = self.out if self.out is not None else np.empty((0, dimensions or 0), np.float32)
        return EmbeddingResult(out, self.usage, self.requests, self.cached)


def _naming_inputs(error: OmniError, batch: list[int]) -> None:
    """Put the inputs of the batch that failed into ``error``'s message and ``inputs``."""
    span = f"input {batch[0]}" if len(batch) == 1 else f"inputs {batch[0]}..{batch[-1]} ({len(batch)} texts)"
    error.message = f"{span}: {error.message}"
    error.inputs = tuple(batch)
