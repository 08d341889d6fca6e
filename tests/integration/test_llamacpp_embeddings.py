"""OpenAIEmbeddingTransport against llama.cpp's /v1/embeddings (SmolLM2, mean pooling, 576 dims).

llama.cpp answers base64 when asked and floats otherwise, ignores ``dimensions``, and refuses
empty input with a 400; its vectors come from a chat model, so these tests check the format,
batching and order, not retrieval quality.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from axio_omni import MalformedResponseError, OpenAIEmbeddingTransport, RetryPolicy

from .conftest import API_KEY

pytestmark = pytest.mark.integration
TEXTS = [f"sentence {i}: the {'red' if i % 2 else 'blue'} fox number {i}" for i in range(12)]


def transport(url: str, **kw: Any) -> OpenAIEmbeddingTransport:
    return OpenAIEmbeddingTransport(
        base_url=url, api_key=API_KEY, model="smollm2", retry=RetryPolicy(max_retries=1), **kw
    )


async def test_base64_and_float_answers_agree(llamacpp_url: str) -> None:
    b64 = await transport(llamacpp_url).embed_array(TEXTS[:3])
    floats = await transport(llamacpp_url, encoding_format="float").embed_array(TEXTS[:3])
    assert b64.shape == (3, 576) and np.allclose(b64, floats, atol=1e-6)
    assert not np.allclose(b64[0], b64[1])


async def test_batches_over_several_requests_keep_the_order(llamacpp_url: str) -> None:
    one_by_one = np.stack([(await transport(llamacpp_url).embed_array([t]))[0] for t in TEXTS])
    batched = await transport(llamacpp_url, max_inputs=5, max_concurrency=2).embed_batch(TEXTS)
    assert batched.requests == 3 and batched.vectors.shape == (12, 576)
    assert batched.usage.prompt_tokens > 12
    assert np.allclose(batched.vectors, one_by_one, atol=1e-4)


async def test_ignored_dimensions_are_an_error_not_a_wrong_shape(llamacpp_url: str) -> None:
    with pytest.raises(MalformedResponseError, match="dimensions=64"):
        await transport(llamacpp_url, dimensions=64).embed(["hello"])
