"""OpenAIEmbeddingTransport against the emulator: batching, order, halving, failures, cache."""

from __future__ import annotations

import base64
import json
import pathlib
from typing import Any

import numpy as np
import pytest
from axio.transport import EmbeddingTransport

from axio_omni import (
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    MalformedResponseError,
    OpenAIEmbeddingTransport,
    RetryPolicy,
    from_dict,
)
from axio_omni.emulator import Emulator
from axio_omni.emulator.embeddings import embedding_vector
from tests.helpers import schema_errors

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retries=2)
CORPUS = [f"document number {i} about {'cats' if i % 2 else 'stocks'}" for i in range(50)]


def transport(emu: Emulator, **kw: Any) -> OpenAIEmbeddingTransport:
    kw.setdefault("retry", FAST)
    return OpenAIEmbeddingTransport(base_url=emu.base_url, **kw)


def expected(texts: list[str], dims: int = 1536) -> np.ndarray[Any, Any]:
    return np.stack([embedding_vector(t, dims) for t in texts])


async def test_embed_array_in_order_across_concurrent_batches(emulator: Emulator) -> None:
    t = transport(emulator, max_inputs=7, max_concurrency=3, dimensions=32)
    result = await t.embed_batch(CORPUS)
    assert result.vectors.shape == (50, 32) and result.vectors.dtype == np.float32
    assert np.allclose(result.vectors, expected(CORPUS, 32))
    assert result.requests == 8 and result.cached == 0
    sent = [r.body for r in emulator.requests]
    assert sorted(len(b["input"]) for b in sent) == [1] + [7] * 7
    assert all(b["encoding_format"] == "base64" and b["dimensions"] == 32 for b in sent)
    assert result.usage.prompt_tokens == sum(len(t.split()) for t in CORPUS)


async def test_embed_is_the_axio_protocol_and_gives_python_floats(emulator: Emulator) -> None:
    t = transport(emulator)
    assert isinstance(t, EmbeddingTransport)
    vectors = await t.embed(["a cat", "a dog"])
    assert isinstance(vectors[0][0], float) and len(vectors) == 2 and len(vectors[0]) == 1536
    assert t.model == "text-embedding-3-small"


async def test_empty_list_sends_nothing(emulator: Emulator) -> None:
    assert (await transport(emulator, dimensions=8).embed_array([])).shape == (0, 8)
    assert await transport(emulator).embed([]) == []
    assert emulator.requests == []


@pytest.mark.parametrize(("texts", "where"), [(["a", ""], r"texts\[1\]"), (["a", None], r"texts\[1\]")])
async def test_bad_input_fails_before_any_request(emulator: Emulator, texts: list[Any], where: str) -> None:
    with pytest.raises(ConfigurationError, match=where):
        await transport(emulator).embed(texts)
    assert emulator.requests == []


async def test_float_answers_are_read_too(emulator: Emulator) -> None:
    t = transport(emulator, encoding_format="float", dimensions=16)
    assert np.allclose(await t.embed_array(["x y"]), expected(["x y"], 16))
    assert emulator.requests[0].body["encoding_format"] == "float"


async def test_requests_and_responses_follow_the_schema(emulator: Emulator) -> None:
    import aiohttp

    await transport(emulator, dimensions=8, user="u1").embed(["one", "two"])
    assert schema_errors("CreateEmbeddingRequest", emulator.requests[0].body) == []
    async with aiohttp.ClientSession() as s:
        for fmt in ("float", "base64"):
            async with s.post(
                emulator.base_url + "/embeddings",
                json={"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": fmt},
            ) as r:
                answer = await r.json()
            if fmt == "base64":
                # The strict schema types embeddings as numbers; the decoded base64 must satisfy it.
                for item in answer["data"]:
                    item["embedding"] = np.frombuffer(base64.b64decode(item["embedding"]), "<f4").tolist()
            assert schema_errors("CreateEmbeddingResponse", answer) == []


async def test_a_batch_refused_as_too_large_is_halved(emulator: Emulator) -> None:
    emulator.embedding_limits.request_tokens = 40
    t = transport(emulator, max_tokens_per_request=10_000, dimensions=8)
    texts = [f"word{i} another word here" for i in range(20)]
    result = await t.embed_batch(texts)
    assert np.allclose(result.vectors, expected(texts, 8))
    assert result.requests > 1 and len(emulator.requests) > result.requests  # refusals, then halves


async def test_one_input_too_large_for_the_model_names_its_index(emulator: Emulator) -> None:
    emulator.embedding_limits.input_tokens = 50
    texts = ["short"] * 5 + ["long " * 80] + ["short"] * 5
    with pytest.raises(BadRequestError) as info:
        await transport(emulator).embed(texts)
    assert info.value.inputs == (5,) and "input 5" in str(info.value)


async def test_a_batch_that_fails_for_good_names_its_inputs_and_returns_nothing(emulator: Emulator) -> None:
    emulator.fail_next("status=500;message=boom", times=3)
    t = transport(emulator, max_inputs=10, max_concurrency=1)
    with pytest.raises(InternalServerError) as info:
        await t.embed_array(CORPUS[:30])
    assert info.value.inputs == tuple(range(10)) and "inputs 0..9 (10 texts)" in str(info.value)


async def test_transient_failures_are_retried(emulator: Emulator) -> None:
    emulator.fail_next("status=503;retry_after_ms=5", times=2)
    vectors = await transport(emulator, dimensions=8).embed_array(["a", "b"])
    assert vectors.shape == (2, 8) and len(emulator.requests) == 3


async def test_a_server_that_ignores_dimensions_is_an_error(emulator: Emulator) -> None:
    t = transport(emulator, dimensions=8, extra_body={"dimensions": 16})
    with pytest.raises(MalformedResponseError, match="dimensions=8"):
        await t.embed(["a"])


async def test_progress_reports_every_input(emulator: Emulator) -> None:
    seen: list[tuple[int, int]] = []
    await transport(emulator, max_inputs=20, dimensions=8).embed_array(
        CORPUS, progress=lambda d, n: seen.append((d, n))
    )
    assert [n for _, n in seen] == [50] * 3 and sorted(d for d, _ in seen) == [20, 40, 50]


async def test_memory_cache_sends_only_misses_in_order(emulator: Emulator) -> None:
    t = transport(emulator, cache=":memory:", dimensions=8)
    await t.embed_array(CORPUS[:10])
    mixed = [CORPUS[12], CORPUS[3], CORPUS[11], CORPUS[0]]
    result = await t.embed_batch(mixed)
    assert result.cached == 2 and emulator.requests[-1].body["input"] == [CORPUS[12], CORPUS[11]]
    assert np.allclose(result.vectors, expected(mixed, 8))
    assert result.usage.prompt_tokens == sum(len(x.split()) for x in (CORPUS[12], CORPUS[11]))


async def test_sqlite_cache_resumes_a_crashed_job(emulator: Emulator, tmp_path: pathlib.Path) -> None:
    """The first run dies on its third batch; the second pays only for what was not stored."""
    path = str(tmp_path / "embeddings.sqlite")
    first = transport(emulator, cache=path, max_inputs=10, max_concurrency=1, retry=RetryPolicy.none())
    await first.embed_array(CORPUS[:20])  # two batches stored
    emulator.fail_next("status=500")
    with pytest.raises(InternalServerError):
        await first.embed_array(CORPUS)  # 20 hits, then the next batch fails for good
    sent_before = sum(len(r.body["input"]) for r in emulator.requests if isinstance(r.body, dict))
    restarted = from_dict(first.to_dict(), session=None)
    assert isinstance(restarted, OpenAIEmbeddingTransport) and restarted.cache == path
    result = await restarted.embed_batch(CORPUS)
    assert result.cached == 20 and np.allclose(result.vectors, expected(CORPUS))
    sent_after = sum(len(r.body["input"]) for r in emulator.requests if isinstance(r.body, dict))
    assert sent_after - sent_before == 30


def test_round_trip_and_validation() -> None:
    t = OpenAIEmbeddingTransport(
        base_url="http://127.0.0.1:1/v1",
        model="m",
        dimensions=64,
        cache="/tmp/x.db",
        encoding_format="float",
        max_concurrency=2,
        extra_body={"k": 1},
    )
    d = t.to_dict()
    assert json.loads(json.dumps(d)) == d and from_dict(d).to_dict() == d and d["cache"] == "/tmp/x.db"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"dimensions": 0}, "dimensions"),
        ({"encoding_format": "int8"}, "encoding_format"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"model": ""}, "model"),
        ({"extra_body": {"input": []}}, "extra_body"),
        ({"cache": ""}, "cache"),
    ]
    for bad, field in cases:
        with pytest.raises(ConfigurationError, match=field):
            OpenAIEmbeddingTransport(base_url="http://127.0.0.1:1/v1", **bad)


async def test_large_batches_are_sent_as_streams_without_warnings(emulator: Emulator) -> None:
    """A request body over 1 MiB goes out as a stream (aiohttp warns about large bytes), retries included."""
    texts = [f"{i} " + "lorem ipsum dolor sit amet " * 40 for i in range(1000)]
    emulator.fail_next("status=503")
    vectors = await transport(emulator, dimensions=4, max_tokens_per_request=10**7).embed_array(texts)
    assert vectors.shape == (1000, 4) and len(emulator.requests) == 2
    assert len(json.dumps(emulator.requests[-1].body)) > 2**20
