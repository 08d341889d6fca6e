"""Embedding caches: vectors kept by (base URL, model, dimensions, text), in memory or in SQLite.

A pipeline that re-embeds a corpus after a crash then pays only for what is new. The SQLite cache
opens a connection per operation and runs it in a worker thread, so it holds no resource between
calls, never blocks the event loop, and may be shared by several processes (WAL journal).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["EmbeddingCache", "MemoryEmbeddingCache", "SQLiteEmbeddingCache", "cache_key", "merge_caches", "open_cache"]

MEMORY = ":memory:"
#: Keys per SQL statement; well under SQLite's bound on variables.
_BATCH = 500


def cache_key(base_url: str, model: str, dimensions: int | None, text: str) -> bytes:
    """A fixed-size key for one embedding; the text itself is not stored."""
    return hashlib.sha256(f"{base_url}\0{model}\0{dimensions}\0{text}".encode()).digest()


class EmbeddingCache(Protocol):
    """Where vectors are kept between calls."""

    async def get_many(self, keys: Sequence[bytes]) -> list[npt.NDArray[np.float32] | None]: ...

    async def put_many(self, keys: Sequence[bytes], vectors: npt.NDArray[np.float32]) -> None: ...


class MemoryEmbeddingCache:
    """Vectors in a dict, for the life of the process."""

    def __init__(self) -> None:
        self._rows: dict[bytes, npt.NDArray[np.float32]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    async def get_many(self, keys: Sequence[bytes]) -> list[npt.NDArray[np.float32] | None]:
        return [self._rows.get(k) for k in keys]

    async def put_many(self, keys: Sequence[bytes], vectors: npt.NDArray[np.float32]) -> None:
        for key, row in zip(keys, vectors, strict=True):
            self._rows[key] = row.copy()


class SQLiteEmbeddingCache:
    """Vectors in a SQLite file, created on first use; survives the process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        return db

    def _get(self, keys: Sequence[bytes]) -> list[npt.NDArray[np.float32] | None]:
        found: dict[bytes, bytes] = {}
        with closing(self._connect()) as db:
            for at in range(0, len(keys), _BATCH):
                part = list(keys[at : at + _BATCH])
                marks = ",".join("?" * len(part))
                found.update(db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", part))
        return [np.frombuffer(found[k], dtype="<f4") if k in found else None for k in keys]

    def _put(self, keys: Sequence[bytes], vectors: npt.NDArray[np.float32]) -> None:
        rows = [(k, np.asarray(v, dtype="<f4").tobytes()) for k, v in zip(keys, vectors, strict=True)]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)", rows)

    async def get_many(self, keys: Sequence[bytes]) -> list[npt.NDArray[np.float32] | None]:
        return await asyncio.to_thread(self._get, keys)

    async def put_many(self, keys: Sequence[bytes], vectors: npt.NDArray[np.float32]) -> None:
        await asyncio.to_thread(self._put, keys, vectors)


def open_cache(spec: str | None) -> EmbeddingCache | None:
    """The cache a transport setting names: None, ``":memory:"``, or a SQLite file path."""
    if spec is None:
        return None
    if spec == MEMORY:
        return MemoryEmbeddingCache()
    return SQLiteEmbeddingCache(spec)


def merge_caches(into: str | Path, *sources: str | Path) -> int:
    """Copy into the SQLite cache ``into`` every vector of ``sources`` it lacks (per-node caches of a
    cluster, merged after a run); returns how many were added. Keys name the server, model,
    dimensions and text, so vectors from different models never mix."""
    target = SQLiteEmbeddingCache(into)
    added = 0
    with closing(target._connect()) as db:
        for source in sources:
            if not Path(source).is_file():
                raise FileNotFoundError(f"no embedding cache at {source}")
            db.execute("ATTACH DATABASE ? AS source", (str(source),))
            try:
                with db:
                    added += db.execute(
                        "INSERT OR IGNORE INTO embeddings (key, vector) SELECT key, vector FROM source.embeddings"
                    ).rowcount
            finally:
                db.execute("DETACH DATABASE source")
    return added
