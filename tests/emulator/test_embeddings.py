"""The emulator's embeddings: deterministic unit vectors in which shared words mean closeness."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.emulator import Emulator
from axio_omni.emulator.embeddings import embedding_vector
from tests.helpers import schema_errors


@given(st.text(min_size=1, max_size=200), st.integers(1, 3072))
def test_vectors_are_unit_length_and_deterministic(text: str, dims: int) -> None:
    v = embedding_vector(text, dims)
    assert v.shape == (dims,) and v.dtype == np.float32
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    assert np.array_equal(v, embedding_vector(text, dims))


def test_shared_words_are_closer_than_none() -> None:
    a = embedding_vector("the cat sat on the warm mat", 1536)
    b = embedding_vector("a cat on a mat", 1536)
    c = embedding_vector("quarterly revenue grew strongly", 1536)
    assert float(a @ b) > 0.3 > abs(float(a @ c))


async def post(emu: Emulator, body: dict[str, Any]) -> tuple[int, Any]:
    data = io.BytesIO(json.dumps(body).encode())  # a stream: aiohttp warns about large bytes bodies
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as s, s.post(emu.base_url + "/embeddings", data=data, headers=headers) as r:
        return r.status, await r.json()


async def test_dimensions_usage_and_token_arrays(emulator: Emulator) -> None:
    status, answer = await post(
        emulator, {"model": "text-embedding-3-small", "input": [[1, 2, 3], "hi there"], "dimensions": 12}
    )
    assert status == 200 and [len(d["embedding"]) for d in answer["data"]] == [12, 12]
    assert answer["usage"] == {"prompt_tokens": 5, "total_tokens": 5}
    assert schema_errors("CreateEmbeddingResponse", answer) == []
    status, answer = await post(emulator, {"model": "text-embedding-3-large", "input": "x"})
    assert len(answer["data"][0]["embedding"]) == 3072


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "m", "input": ""}, "empty string"),
        ({"model": "m", "input": ["x"] * 2049}, "maximum 2048 inputs"),
        ({"model": "m", "input": ["word " * 9000]}, "maximum context length"),
        ({"model": "m", "input": ["word " * 8000] * 40}, "max 300000 tokens per request"),
        ({"model": "m", "input": "x", "dimensions": 0}, "dimensions"),
        ({"model": "m", "input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"input": "x"}, "model"),
    ],
)
async def test_refusals_use_openai_error_shape(emulator: Emulator, body: dict[str, Any], message: str) -> None:
    status, answer = await post(emulator, body)
    assert status == 400 and message in answer["error"]["message"]
    assert schema_errors("ErrorResponse", answer) == []


async def test_faults_apply_to_embeddings(emulator: Emulator) -> None:
    emulator.fail_next("status=429;retry_after=1")
    status, answer = await post(emulator, {"model": "m", "input": "x"})
    assert status == 429 and answer["error"]["code"] == "rate_limit_exceeded"
