"""Embedding caches keep vectors by key, in memory or in a SQLite file that outlives the process."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from axio_omni.cache import MemoryEmbeddingCache, SQLiteEmbeddingCache, cache_key, merge_caches, open_cache


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


async def test_per_node_caches_merge_into_one(tmp_path: pathlib.Path) -> None:
    one, two, merged = (SQLiteEmbeddingCache(tmp_path / f"{n}.sqlite") for n in ("one", "two", "merged"))
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    await one.put_many([b"a", b"b"], vectors[:2])
    await two.put_many([b"b", b"c"], vectors[1:])
    await merged.put_many([b"c"], vectors[2:])
    assert merge_caches(merged.path, one.path, two.path) == 2  # a and b; c was there
    got = await merged.get_many([b"a", b"b", b"c"])
    assert all(g is not None and np.array_equal(g, v) for g, v in zip(got, vectors, strict=True))
    assert merge_caches(merged.path, one.path) == 0
    with pytest.raises(FileNotFoundError, match="nowhere"):
        merge_caches(merged.path, tmp_path / "nowhere.sqlite")
