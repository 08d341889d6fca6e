"""``GET /models`` in each server's dialect: what a model can do, and which models are for chat."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axio.models import Capability as C
from axio.models import ModelSpec
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.models import catalogued
from axio_omni.wire.model_list import ASSUMED, kind_of_id, read_model_list


def listed(*entries: dict[str, Any], known: Any = catalogued) -> dict[str, tuple[str, ModelSpec]]:
    raw = json.dumps({"object": "list", "data": list(entries)})
    return {m.spec.id: (m.kind, m.spec) for m in read_model_list(raw, known)}


def test_openai_lists_ids_and_the_catalogue_fills_in() -> None:
    out = listed({"id": "gpt-4.1-mini"}, {"id": "text-embedding-3-small"}, {"id": "whisper-1"}, {"id": "ft:x"})
    assert out["gpt-4.1-mini"] == ("chat", catalogued("gpt-4.1-mini"))
    assert out["text-embedding-3-small"][0] == "embedding"
    assert out["text-embedding-3-small"][1].capabilities == {C.embedding}
    assert out["whisper-1"][0] == "other"
    assert out["ft:x"] == ("chat", ModelSpec("ft:x", ASSUMED))


def test_openrouter_says_tools_vision_reasoning_limits_and_prices() -> None:
    out = listed(
        {
            "id": "deepseek/deepseek-r1",
            "context_length": 163840,
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
            "supported_parameters": ["reasoning", "include_reasoning", "max_tokens", "temperature"],
            "top_provider": {"max_completion_tokens": 32768},
            "pricing": {"prompt": "0.00000055", "completion": "0.00000219"},
        },
        {
            "id": "openai/gpt-4o",
            "architecture": {"input_modalities": ["text", "image", "file"], "output_modalities": ["text"]},
            "supported_parameters": ["tools", "tool_choice", "response_format", "structured_outputs"],
        },
        {
            "id": "google/gemini-2.5-flash-image",
            "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["image"]},
            "supported_parameters": [],
        },
    )
    kind, r1 = out["deepseek/deepseek-r1"]
    assert kind == "chat" and r1.capabilities == {C.text, C.reasoning}  # no "tools": no tool use
    assert (r1.context_window, r1.max_output_tokens, r1.input_cost, r1.output_cost) == (163840, 32768, 0.55, 2.19)
    assert out["openai/gpt-4o"][1].capabilities == {C.text, C.tool_use, C.vision, C.json_mode, C.structured_outputs}
    assert out["google/gemini-2.5-flash-image"][0] == "other"


def test_mistral_flags() -> None:
    out = listed(
        {
            "id": "mistral-small-latest",
            "max_context_length": 32768,
            "capabilities": {"completion_chat": True, "function_calling": True, "vision": True},
        },
        {"id": "mistral-embed", "capabilities": {"completion_chat": False, "function_calling": False}},
        {"id": "codestral-mamba", "capabilities": {"completion_chat": True, "function_calling": False}},
    )
    assert out["mistral-small-latest"][1].capabilities == {C.text, C.tool_use, C.vision}
    assert out["mistral-small-latest"][1].context_window == 32768
    assert out["mistral-embed"][0] == "embedding"
    assert out["codestral-mamba"][1].capabilities == {C.text}


def test_lm_studio_types_and_llamacpp_words() -> None:
    out = listed(
        {"id": "qwen2.5-7b-instruct", "type": "llm", "max_context_length": 32768},
        {"id": "qwen2-vl-7b", "type": "vlm"},
        {"id": "my-vectors", "type": "embeddings"},
        {"id": "local.gguf", "capabilities": ["completion"], "meta": {"n_ctx_train": 4096}},
        {"id": "served-embedder", "capabilities": ["embedding"]},
        {"id": "qwen3", "capabilities": ["completion", "thinking", "vision"]},
    )
    assert out["qwen2.5-7b-instruct"] == ("chat", ModelSpec("qwen2.5-7b-instruct", ASSUMED, context_window=32768))
    assert C.vision in out["qwen2-vl-7b"][1].capabilities
    assert out["my-vectors"][0] == out["served-embedder"][0] == "embedding"
    assert out["local.gguf"][1].capabilities == ASSUMED and out["local.gguf"][1].context_window == 4096
    assert out["qwen3"][1].capabilities == {C.text, C.tool_use, C.reasoning, C.vision}


def test_vllm_and_groq_context_lengths() -> None:
    out = listed({"id": "meta-llama/Llama-3.1-8B", "max_model_len": 8192}, {"id": "llama-3.3", "context_window": 1})
    assert out["meta-llama/Llama-3.1-8B"][1].context_window == 8192 and out["llama-3.3"][1].context_window == 1


def test_the_catalogue_and_the_callers_registry_win() -> None:
    mine = ModelSpec("o3", frozenset({C.text}))
    out = listed({"id": "o3", "supported_parameters": ["tools"]}, known=lambda i: mine if i == "o3" else None)
    assert out["o3"] == ("chat", mine)


@pytest.mark.parametrize(
    "raw", ['{"data": "x"}', "[1]", '{"data": [{"name": "x"}]}', '{"data": [{"id": ""}]}', "nope", '"x"']
)
def test_not_a_model_list(raw: str) -> None:
    with pytest.raises(ValueError):
        read_model_list(raw)


@pytest.mark.parametrize(
    "model_id",
    [
        "text-embedding-3-large",
        "nomic-embed-text",
        "BAAI/bge-m3",
        "intfloat/e5-large-v2",
        "mxbai-embed-large:latest",
        "jina-reranker-v2",
        "all-minilm:l6-v2",
    ],
)
def test_embedding_ids(model_id: str) -> None:
    assert kind_of_id(model_id) == "embedding"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    ["capabilities", "type", "architecture", "supported_parameters", "context_length", "pricing", "meta", "x"]
)


_SAYS_KIND = {"capabilities", "type", "architecture", "supported_parameters"}


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.dictionaries(_KEYS, _JSON, max_size=5), max_size=6))
def test_any_entries_read_without_a_crash(entries: dict[str, dict[str, Any]]) -> None:
    """Whatever a server adds to its entries, each model is read, and an embedding model is never
    offered for chat unless the server itself says it chats."""
    raw = json.dumps({"data": [{**extra, "id": model_id} for model_id, extra in entries.items()]})
    models = read_model_list(raw)
    assert [m.spec.id for m in models] == list(entries)
    for m in models:
        if m.kind == "embedding":
            assert m.spec.capabilities == {C.embedding}
        if kind_of_id(m.spec.id) == "embedding" and not _SAYS_KIND & set(entries[m.spec.id]):
            assert m.kind == "embedding"
