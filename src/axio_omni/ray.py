"""Corpus embedding on Ray Data (the ``ray`` extra: ``pip install 'axio-omni[ray]'``).

:func:`embed_dataset` adds a column of vectors to a Ray ``Dataset`` of texts::

    import ray
    from axio_omni import OpenAIEmbeddingTransport
    from axio_omni.ray import embed_dataset

    ds = ray.data.read_parquet("corpus/")                 # columns: id, text
    t = OpenAIEmbeddingTransport(model="text-embedding-3-small", rate_limit=RateLimits(rpm=3000, tpm=1_000_000))
    embed_dataset(ds, t, workers=8).select_columns(["id", "embedding"]).write_parquet("vectors/")

How it runs:

- Each worker is a ``map_batches`` actor with its own event loop and connection pool. The transport
  crosses to it as ``to_dict()`` and is rebuilt there, so no live session crosses a process; the key
  does not cross either: each worker reads ``api_key_env`` from its own environment (``ray.init``'s
  ``runtime_env={"env_vars": ...}`` sets it on a cluster). Inside a worker, the transport's own
  batching, concurrency, halving and retries apply unchanged.
- Rows keep their order (the dataset's ``preserve_order`` is set), and the vectors are those the
  local path gives for the same texts.
- A batch whose failure outlasts the transport's retries (the server's or the network's trouble,
  never a refused key or a bad request) runs again whole in its worker, ``task_retries`` times,
  through the project's one retry loop (``retry.call_with_retry``);
  a worker that dies has its batch run again by Ray on a new one (Ray Data's actor restarts). A
  batch is a pure function of its rows, so a rerun replaces its output and never duplicates a row.
- The account's rate limit is one budget: a :class:`BudgetKeeper` actor holds the pacer, and every
  worker books each request with it (one round trip per request, about a millisecond on one
  machine), so eight workers against 3,000 RPM stay under 3,000 RPM together. It follows the
  server's ``x-ratelimit-*`` headers as one process does.
- The embedding cache is the transport's: a SQLite file (``cache=``) is shared by every worker on a
  node (WAL journal); on a cluster, give each node its own file and merge them after with
  :func:`axio_omni.cache.merge_caches`.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import numpy as np

from .pacing import Pacer
from .pool import TransportPool
from .ratelimit import RateLimits, share_budget
from .retry import Repeat, RetryPolicy, call_with_retry
from .transports.embeddings import OpenAIEmbeddingTransport
from .wire.embeddings import Vectors
from .wire.rate_limits import RateHeaders

__all__ = ["BudgetKeeper", "RayBudget", "budget_actor", "embed_dataset", "embed_texts"]


class BudgetKeeper:
    """One account's pacer, kept in one Ray actor so that every worker draws from it."""

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.pacer = Pacer.static(rpm, tpm, time.monotonic())
        self.booked = 0
        self.waited = 0.0

    def reserve(self, tokens: float) -> float:
        """Book one request; the seconds its worker waits before sending it."""
        wait = self.pacer.reserve(tokens, time.monotonic())
        self.booked += 1
        self.waited += wait
        return wait

    def settle(self, tokens: float, headers: RateHeaders | None) -> None:
        self.pacer.answered(tokens)
        if headers is not None:
            self.pacer.observe(headers, time.monotonic())

    def stats(self) -> dict[str, float]:
        """Requests booked and seconds of waiting handed out, all workers together."""
        return {"booked": self.booked, "waited": self.waited}


class RayBudget:
    """A worker's side of a :class:`BudgetKeeper` actor (a ``ratelimit.SharedBudget``)."""

    def __init__(self, keeper: Any) -> None:
        self.keeper = keeper

    async def reserve(self, tokens: float) -> float:
        return float(await self.keeper.reserve.remote(tokens))

    def settle(self, tokens: float, headers: RateHeaders | None) -> None:
        self.keeper.settle.remote(tokens, headers)  # not awaited: the answer is already here


def budget_actor(limits: RateLimits) -> Any:
    """A new :class:`BudgetKeeper` actor for ``limits`` (it takes no CPU)."""
    import ray

    return ray.remote(num_cpus=0)(BudgetKeeper).remote(limits.rpm, limits.tpm)


class _Embedder:
    """A ``map_batches`` actor: its own loop, pool and transport, rebuilt from ``to_dict()``."""

    def __init__(self, config: dict[str, Any], column: str, output: str, keeper: Any, retries: int) -> None:
        self.loop = asyncio.new_event_loop()
        # A batch's reruns go through the project's one retry loop: transient failures only (never a
        # refused key), after the transport's own retries, so they start slower.
        self.reruns = RetryPolicy(max_retries=retries, initial_delay=0.5, max_delay=30.0, deadline=None)
        self.pool = TransportPool()
        self.transport = OpenAIEmbeddingTransport.from_dict(config, pool=self.pool)
        self.column, self.output = column, output
        if keeper is not None:
            t = self.transport
            share_budget(t.base_url, t.resolved_api_key(), t.rate_limit, RayBudget(keeper))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(text) for text in batch[self.column]]

        async def embed(_left: float | None) -> Vectors:
            return await self.transport.embed_array(texts)

        # Rerun whole: no row of the batch is written until it succeeds, so nothing is duplicated.
        what = f"a batch of {len(texts)} texts"
        batch[self.output] = self.loop.run_until_complete(
            call_with_retry(self.reruns, embed, repeat=Repeat.SAFE, what=what)
        )
        return batch

    def __del__(self) -> None:
        if not self.loop.is_closed():
            self.loop.run_until_complete(self.pool.close())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


def embed_dataset(
    dataset: Any,
    transport: OpenAIEmbeddingTransport,
    *,
    column: str = "text",
    output_column: str = "embedding",
    workers: int = 4,
    batch_size: int | None = None,
    cpus_per_worker: float = 0.25,
    share_limits: bool = True,
    task_retries: int = 2,
) -> Any:
    """``dataset`` with ``output_column`` added: a float32 vector per row's ``column`` text, rows in order.

    ``workers`` actors embed ``batch_size`` rows at a time (by default what one transport sends at
    once: ``max_inputs * max_concurrency``). They wait on the network, not the CPU, so each asks for
    only ``cpus_per_worker``. ``share_limits`` puts the account's pacing in one actor shared by
    every worker. Lazy, as Ray datasets are: nothing runs until the result is consumed.
    """
    import ray.data

    if not isinstance(transport, OpenAIEmbeddingTransport):
        raise TypeError(f"transport must be an OpenAIEmbeddingTransport, got {type(transport).__name__}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number of at least 1, got {workers!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a whole number of at least 1 or None, got {batch_size!r}")
    if not isinstance(dataset, ray.data.Dataset):
        raise TypeError(f"dataset must be a ray.data.Dataset, got {type(dataset).__name__}")
    if column not in dataset.schema().names:
        raise ValueError(f"the dataset has no column {column!r}; it has {dataset.schema().names}")
    transport._require_key()  # a missing key fails here, not in every worker
    dataset.context.execution_options.preserve_order = True
    keeper = budget_actor(transport.rate_limit) if share_limits else None
    return dataset.map_batches(
        _Embedder,
        fn_constructor_kwargs={
            "config": transport.to_dict(),
            "column": column,
            "output": output_column,
            "keeper": keeper,
            "retries": task_retries,
        },
        batch_size=batch_size or transport.max_inputs * transport.max_concurrency,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=cpus_per_worker,
    )


def embed_texts(
    texts: list[str],
    transport: OpenAIEmbeddingTransport,
    *,
    address: str | None = None,
    workers: int = 4,
    batch_size: int | None = None,
    parquet: str | None = None,
) -> np.ndarray | None:
    """``texts`` embedded on Ray: a ``(len(texts), dims)`` float32 array in input order, or, with
    ``parquet``, rows of ``id`` (the text's index) and ``embedding`` written there instead.

    Joins the running Ray instance, else starts one (``address`` None: on this machine; or a
    cluster's address, to which the key's variable is passed as the workers' environment).
    """
    import pyarrow as pa
    import ray

    started = not ray.is_initialized()
    if started:
        env = {}
        key = os.environ.get(transport.api_key_env)
        if address is not None and key and transport.api_key is None:
            env[transport.api_key_env] = key  # a cluster's workers do not share this machine's environment
        ray.init(address=address, runtime_env={"env_vars": env} if env else None, include_dashboard=False)
    try:
        table = pa.table({"id": pa.array(range(len(texts)), pa.int64()), "text": pa.array(texts, pa.string())})
        batch = batch_size or transport.max_inputs * transport.max_concurrency
        # A block per batch (at least one per worker), so that every worker has work from the start.
        blocks = max(workers, -(-len(texts) // batch))
        step = max(1, -(-len(texts) // blocks))
        parts = [table.slice(at, step) for at in range(0, max(len(texts), 1), step)]
        out = embed_dataset(ray.data.from_arrow(parts), transport, workers=workers, batch_size=batch)
        out = out.select_columns(["id", "embedding"])
        if parquet is not None:
            out.write_parquet(parquet)
            return None
        vectors: np.ndarray | None = None
        for batch in out.iter_batches(batch_format="numpy", batch_size=None):
            rows = np.asarray(batch["embedding"], dtype=np.float32)
            if vectors is None:
                vectors = np.empty((len(texts), rows.shape[1]), np.float32)
            vectors[batch["id"]] = rows  # keyed by id: right whatever order batches arrive in
        return vectors if vectors is not None else np.empty((0, transport.dimensions or 0), np.float32)
    finally:
        if started:
            ray.shutdown()
