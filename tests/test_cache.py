"""Embedding caches keep vectors by key, in memory or in a SQLite file that outlives the process."""

from __future__ import annotations

import pathlib

import numpy as np

from axio_omni.cache import MemoryEmbeddingCache, SQLiteEmbeddingCache, cache_key, open_cache


def test_keys_separate_url_model_dimensions_and_text() -> None:
    base = cache_key("u", "m", 8, "t")
    assert len(base) == 32
    assert (
        len(
            {
                base,
                cache_key("u2", "m", 8, "t"),
                cache_key("u", "m2", 8, "t"),
                cache_key("u", "m", 16, "t"),
                cache_key("u", "m", None, "t"),
                cache_key("u", "m", 8, "t2"),
            }
        )
        == 6
    )


async def test_memory_cache() -> None:
    cache = MemoryEmbeddingCache()
    keys = [cache_key("u", "m", None, str(i)) for i in range(3)]
    await cache.put_many(keys[:2], np.eye(2, dtype=np.float32))
    got = await cache.get_many(keys)
    assert got[0] is not None and got[0].tolist() == [1.0, 0.0] and got[2] is None and len(cache) == 2


async def test_sqlite_cache_persists_across_instances(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "sub" / "cache.sqlite"
    keys = [cache_key("u", "m", None, str(i)) for i in range(1200)]
    vectors = np.random.default_rng(1).standard_normal((1200, 8)).astype(np.float32)
    await SQLiteEmbeddingCache(path).put_many(keys, vectors)
    again = await SQLiteEmbeddingCache(path).get_many([*keys, cache_key("u", "m", None, "missing")])
    assert again[-1] is None
    assert np.array_equal(np.stack([v for v in again[:-1] if v is not None]), vectors)


def test_open_cache_by_setting(tmp_path: pathlib.Path) -> None:
    assert open_cache(None) is None
    assert isinstance(open_cache(":memory:"), MemoryEmbeddingCache)
    sqlite = open_cache(str(tmp_path / "c.db"))
    assert isinstance(sqlite, SQLiteEmbeddingCache) and sqlite.path == tmp_path / "c.db"
