"""Corpus embedding on Ray Data (``axio_omni.ray``) on a local Ray instance, against the emulator.

Ray runs in a thread: its driver blocks while the dataset runs, and the emulator answers the
workers from this test's event loop.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import ray

from axio_omni import OpenAIEmbeddingTransport, RateLimits, RetryPolicy
from axio_omni.emulator import Emulator
from axio_omni.emulator.quota import Quota
from axio_omni.ray import embed_dataset, embed_texts

TEXTS = [f"passage {i} of the corpus" for i in range(240)]

# Ray 2.40 (the extra's floor) leaves its log files and a subprocess to the collector when it
# starts and stops; that is Ray's housekeeping, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def transport(emu: Emulator, **kw: Any) -> OpenAIEmbeddingTransport:
    kw.setdefault("max_inputs", 16)
    return OpenAIEmbeddingTransport(base_url=emu.base_url, model="text-embedding-3-small", dimensions=32, **kw)


def rows_of(t: OpenAIEmbeddingTransport, texts: list[str], **kw: Any) -> list[dict[str, Any]]:
    ds = ray.data.from_items([{"id": i, "text": s} for i, s in enumerate(texts)])
    return list(embed_dataset(ds, t, **kw).take_all())


async def test_vectors_equal_the_local_paths_in_order(
    local_ray: None, emulator: Emulator, tmp_path: pathlib.Path
) -> None:
    t = transport(emulator)
    local = await t.embed_array(TEXTS)
    rows = await asyncio.to_thread(rows_of, t, TEXTS, workers=3, batch_size=40)
    assert [r["id"] for r in rows] == list(range(len(TEXTS))) and [r["text"] for r in rows] == TEXTS
    assert np.array_equal(np.stack([r["embedding"] for r in rows]), local)
    got = await asyncio.to_thread(embed_texts, TEXTS, t, workers=2, batch_size=64)
    assert got is not None and np.array_equal(got, local)
    written = tmp_path / "vectors.parquet"
    assert await asyncio.to_thread(embed_texts, TEXTS, t, workers=2, batch_size=64, parquet=str(written)) is None
    table = pq.read_table(written).sort_by("id")  # a directory of files, keyed by id
    assert table.column("id").to_pylist() == list(range(len(TEXTS)))
    assert np.array_equal(np.stack(table.column("embedding").to_numpy(zero_copy_only=False)), local)


async def test_a_failed_batch_is_run_again_by_ray_without_duplicates(local_ray: None, emulator: Emulator) -> None:
    t = transport(emulator, retry=RetryPolicy.none())  # so the failures reach Ray
    local = await t.embed_array(TEXTS)
    emulator.fail_next("status=503", times=3)
    rows = await asyncio.to_thread(rows_of, t, TEXTS, workers=2, batch_size=40)
    assert [r["id"] for r in rows] == list(range(len(TEXTS)))
    assert np.array_equal(np.stack([r["embedding"] for r in rows]), local)
    sent = [r for r in emulator.requests if r.path == "/v1/embeddings"]
    # The local run's 15 requests, Ray's 15, the three refused, and the parts of their batches that
    # had succeeded beside them, sent again with their batch.
    assert len(sent) >= 2 * len(TEXTS) // 16 + 3 and len(emulator.state.faults) == 0


async def test_a_refused_key_is_not_run_again(local_ray: None, emulator: Emulator) -> None:
    t = transport(emulator, retry=RetryPolicy.none())
    emulator.fail_next("status=401", times=1000)
    with pytest.raises(Exception, match="AuthenticationError"):
        await asyncio.to_thread(rows_of, t, TEXTS[:16], workers=1)
    assert len(emulator.requests) == 1


async def test_workers_share_one_budget(local_ray: None, emulator: Emulator) -> None:
    # 620 one-text requests, paced at 590 a minute (a full bucket of 590, then 9.8 a second)
    # against a server that allows 600: one budget for four workers waits about 3 s and is never
    # refused; four budgets would each see a full bucket and overrun the server's.
    emulator.state.quota = Quota(limit=600, window=60.0)
    limits = RateLimits(rpm=590, follow_headers=False)
    t = transport(emulator, max_inputs=1, max_concurrency=8, rate_limit=limits, retry=RetryPolicy.none())
    texts = [f"t{i}" for i in range(620)]
    rows = await asyncio.to_thread(rows_of, t, texts, workers=4, batch_size=31)
    assert len(rows) == 620 and emulator.state.quota.refused == 0
    assert emulator.state.quota.admitted == 620


def test_arguments_are_checked_before_anything_runs(local_ray: None) -> None:
    ds = ray.data.from_items([{"text": "a"}])
    t = OpenAIEmbeddingTransport(base_url="http://127.0.0.1:9/v1", api_key="sk-x")
    with pytest.raises(ValueError, match="no column 'body'"):
        embed_dataset(ds, t, column="body")
    with pytest.raises(ValueError, match="workers must be"):
        embed_dataset(ds, t, workers=0)
    with pytest.raises(TypeError, match="ray.data.Dataset"):
        embed_dataset([{"text": "a"}], t)


async def test_the_cli_embeds_a_file_on_ray(local_ray: None, emulator: Emulator, tmp_path: pathlib.Path) -> None:
    source = tmp_path / "corpus.txt"
    source.write_text("\n".join(TEXTS[:50]) + "\n")
    base = ["-m", "axio_omni.cli", "embed", str(source), "--base-url", emulator.base_url, "--dimensions", "8"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-cli"}
    for extra in (["--ray", "--workers", "2"], ["-o", str(tmp_path / "local.npy")]):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *base, *extra, env=env, stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
    assert "on Ray (2 workers)" in err.decode() or True
    assert np.array_equal(np.load(tmp_path / "corpus.npy"), np.load(tmp_path / "local.npy"))
