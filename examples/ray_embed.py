"""A corpus embedded on Ray Data, offline: a local Ray instance, the emulator as the server, and the
result checked against the local path (the ``ray`` extra)::

    python examples/ray_embed.py

Four workers share one rate budget (the account's 3,000 requests and a million tokens a minute),
kept by one actor, rather than four budgets of that size.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import ray

from axio_omni import OpenAIEmbeddingTransport, RateLimits
from axio_omni.emulator import Emulator
from axio_omni.ray import embed_dataset

CORPUS = [f"Paragraph {i}: notes on sourdough, starters and patience." for i in range(2000)]


def on_ray(embedder: OpenAIEmbeddingTransport) -> list[dict[str, object]]:
    """The blocking part: Ray's driver waits while the workers embed."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        corpus = ray.data.from_items([{"id": i, "text": text} for i, text in enumerate(CORPUS)])
        return list(embed_dataset(corpus, embedder, workers=4, batch_size=100).take_all())
    finally:
        ray.shutdown()


async def main() -> None:
    async with Emulator() as emu:
        embedder = OpenAIEmbeddingTransport(
            base_url=emu.base_url,
            model="text-embedding-3-small",
            dimensions=256,
            max_inputs=50,
            rate_limit=RateLimits(rpm=3000, tpm=1_000_000),
        )
        started = time.monotonic()
        rows = await asyncio.to_thread(on_ray, embedder)  # the emulator answers from this loop meanwhile
        seconds = time.monotonic() - started
        vectors = np.stack([np.asarray(row["embedding"]) for row in rows])
        in_order = [row["id"] for row in rows] == list(range(len(CORPUS)))
        print(f"ray>    {len(rows)} rows in {seconds:.1f}s (Ray's start included), ids in order: {in_order}")
        local = await OpenAIEmbeddingTransport(
            base_url=emu.base_url, model="text-embedding-3-small", dimensions=256, max_inputs=50
        ).embed_array(CORPUS)
        print(f"check>  {vectors.shape} equal to the local path's: {np.array_equal(vectors, local)}")


if __name__ == "__main__":
    asyncio.run(main())
