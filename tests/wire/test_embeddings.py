"""Embedding inputs, batches and responses, without sockets."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.errors import BadRequestError, ConfigurationError, MalformedResponseError
from axio_omni.wire.embeddings import (
    check_inputs,
    embedding_request,
    estimate_tokens,
    is_too_large,
    plan_batches,
    read_embeddings,
)
from axio_omni.wire.error_body import error_for_status


def b64(vector: list[float]) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


def body(items: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"object": "list", "data": items, "model": "m", **extra}).encode()


@pytest.mark.parametrize(("texts", "where"), [(["ok", ""], r"texts\[1\] is empty"), (["ok", 3], r"texts\[1\] must be")])
def test_bad_inputs_are_named(texts: list[Any], where: str) -> None:
    with pytest.raises(ConfigurationError, match=where):
        check_inputs(texts)


def test_a_bare_string_is_not_a_list_of_texts() -> None:
    with pytest.raises(ConfigurationError, match="list of strings"):
        check_inputs("one text")


def test_token_estimate_errs_high_for_english() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 20
    assert estimate_tokens(text) >= len(text) / 4


@given(
    sizes=st.lists(st.integers(1, 400), min_size=0, max_size=60),
    max_inputs=st.integers(1, 10),
    max_tokens=st.integers(1, 500),
)
def test_batches_cover_every_input_in_order_within_limits(sizes: list[int], max_inputs: int, max_tokens: int) -> None:
    texts = ["x" * n for n in sizes]
    indices = list(range(len(texts)))
    batches = plan_batches(texts, indices, max_inputs=max_inputs, max_tokens=max_tokens)
    assert [i for b in batches for i in b] == indices
    for batch in batches:
        assert 1 <= len(batch) <= max_inputs
        if len(batch) > 1:
            assert sum(estimate_tokens(texts[i]) for i in batch) <= max_tokens


def test_request_body() -> None:
    assert embedding_request("m", ["a"], encoding_format="base64", dimensions=8, user="u", extra={"x": 1}) == {
        "model": "m",
        "input": ["a"],
        "encoding_format": "base64",
        "dimensions": 8,
        "user": "u",
        "x": 1,
    }


def test_base64_and_float_answers_in_index_order() -> None:
    items = [{"index": 1, "embedding": b64([3, 4])}, {"index": 0, "embedding": [1.0, 2.0]}]
    vectors, usage = read_embeddings(body(items, usage={"prompt_tokens": 5, "total_tokens": 5}), 2)
    assert vectors.dtype == np.float32 and vectors.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert (usage.prompt_tokens, usage.total_tokens) == (5, 5)


@pytest.mark.parametrize(
    ("items", "expected", "message"),
    [
        ([{"index": 0, "embedding": [[1.0, 2.0], [3.0, 4.0]]}], 1, "one vector per token"),
        ([{"index": 0, "embedding": [1.0]}], 2, "1 embeddings for 2 inputs"),
        ([{"embedding": [1.0]}, {"index": 1, "embedding": [1.0]}], 2, "index"),
        ([{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}], 2, "repeated"),
        ([{"index": 0, "embedding": [1.0]}, {"index": 5, "embedding": [1.0]}], 2, "out-of-range"),
        ([{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}], 2, "1 dimensions"),
        ([{"index": 0, "embedding": "not base64!"}], 1, "neither base64"),
        ([{"index": 0, "embedding": base64.b64encode(b"abc").decode()}], 1, "whole number"),
        ([{"index": 0, "embedding": ["a", "b"]}], 1, "not a list of numbers"),
        ([{"index": 0, "embedding": None}], 1, "expected base64"),
    ],
)
def test_answers_that_would_give_wrong_vectors_raise(items: list[dict[str, Any]], expected: int, message: str) -> None:
    with pytest.raises(MalformedResponseError, match=message):
        read_embeddings(body(items), expected)


def test_ignored_dimensions_are_reported() -> None:
    with pytest.raises(MalformedResponseError, match="dimensions=64.*576"):
        read_embeddings(body([{"index": 0, "embedding": [0.0] * 576}]), 1, dimensions=64)


def test_not_json_and_no_data() -> None:
    with pytest.raises(MalformedResponseError, match="not JSON"):
        read_embeddings(b"<html>", 1)
    with pytest.raises(MalformedResponseError, match="'data'"):
        read_embeddings(b'{"object": "list"}', 1)


@pytest.mark.parametrize(
    ("status", "message", "code", "too_large"),
    [
        (413, "Request Entity Too Large", None, True),
        (400, "Requested 350000 tokens, max 300000 tokens per request", "max_tokens_per_request", True),
        (400, "This model's maximum context length is 8192 tokens", None, True),
        (400, "Invalid 'input': maximum 2048 inputs per request, got 3000.", "invalid_value", True),
        (400, "'$.input' is invalid: an input cannot be an empty string", None, False),
        (401, "Incorrect API key", None, False),
    ],
)
def test_too_large_is_recognised(status: int, message: str, code: str | None, too_large: bool) -> None:
    error = error_for_status(status, json.dumps({"error": {"message": message, "code": code}}).encode())
    assert is_too_large(error) is too_large
    assert isinstance(error, BadRequestError) or status != 400


@given(
    rows=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=1, max_size=6), min_size=1, max_size=6
    ).filter(lambda rows: len({len(r) for r in rows}) == 1),
    encodings=st.lists(st.sampled_from(["base64", "float"]), min_size=6, max_size=6),
    compact=st.booleans(),
    order=st.randoms(use_true_random=False),
)
def test_reading_by_layout_equals_the_full_parse(
    rows: list[list[float]], encodings: list[str], compact: bool, order: Any
) -> None:
    """Vectors decoded straight from the bytes are exactly what json.loads then numpy gives, whatever
    the spacing, the item order and the mix of base64 and float values."""
    items = [
        {"object": "embedding", "index": i, "embedding": b64(row) if encodings[i] == "base64" else row}
        for i, row in enumerate(rows)
    ]
    order.shuffle(items)
    separators = (",", ":") if compact else (", ", ": ")
    raw = json.dumps({"object": "list", "data": items, "model": "m"}, separators=separators).encode()
    by_layout, _ = read_embeddings(raw, len(rows))
    parsed, _ = read_embeddings(raw, len(rows), by_layout=False)
    assert by_layout.tobytes() == parsed.tobytes()
    assert np.array_equal(by_layout, np.asarray(rows, dtype=np.float32))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"data": [{"index": 0, "embedding": [1.0, true]}]}',
        b'{"data": [{"index": 0, "embedding": "AACAPw\\u003d\\u003d"}]}',
        b'{"data": [{"index": 0, "embedding": [1.0, 2.0]}], "usage": {"embedding": [3.0]}}',
        b'{"data": [{"index": 0, "embedding": [1.0,, 2.0]}]}',
        b'{"data": [{"index": 0, "embedding": 7}], "x": {"embedding": [1.0]}}',
    ],
)
def test_unusual_layouts_are_parsed_in_full_with_the_same_verdict(raw: bytes) -> None:
    try:
        expected: Any = read_embeddings(raw, 1, by_layout=False)[0].tolist()
    except MalformedResponseError as error:
        expected = type(error)
    try:
        got: Any = read_embeddings(raw, 1)[0].tolist()
    except MalformedResponseError as error:
        got = type(error)
    assert got == expected
