"""Provider presets against a recording server: the path, query, headers and body each one sends,
and what it reads back (model lists in each server's dialect, OpenRouter's reasoning and usage)."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from axio.blocks import TextBlock
from axio.events import IterationEnd, ReasoningDelta, TextDelta
from axio.messages import Message
from axio.models import Capability
from axio.transport import TransportEntry

from axio_omni import ConfigurationError, RetryPolicy
from axio_omni.presets import (
    OmniAzure,
    OmniAzureEmbedding,
    OmniAzureImages,
    OmniAzureSTT,
    OmniAzureTTS,
    OmniLlamaCpp,
    OmniLMStudio,
    OmniOllama,
    OmniOpenRouter,
    OmniVLLM,
)

from .helpers import collect

HI = [Message(role="user", content=[TextBlock(text="hi")])]
KEY = "sk-preset-test-000000"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Recorder:
    """A server that records each request and answers with what the path asks for."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=lambda: {"object": "list", "data": [{"id": "served-1"}]})
    chunks: list[dict[str, Any]] = field(default_factory=list)
    v0_models: dict[str, Any] | None = None

    @property
    def last(self) -> Seen:
        return self.seen[-1]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        ctype = request.headers.get("Content-Type", "")
        body: Any = json.loads(raw) if raw and "json" in ctype else raw
        self.seen.append(Seen(request.method, request.path, dict(request.query), dict(request.headers), body))
        path = request.path
        if path.endswith("/api/v0/models"):
            return web.json_response(self.v0_models) if self.v0_models else web.json_response({}, status=404)
        if path.endswith("/models"):
            return web.json_response(self.models)
        if path.endswith("/chat/completions"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            for chunk in self.chunks or [_text_chunk("ok"), _finish_chunk()]:
                await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await resp.write(b"data: [DONE]\n\n")
            return resp
        if path.endswith("/embeddings"):
            vector = base64.b64encode(struct.pack("<3f", 1, 2, 3)).decode()
            usage = {"prompt_tokens": 1, "total_tokens": 1}
            data = [{"object": "embedding", "index": 0, "embedding": vector}]
            return web.json_response({"object": "list", "data": data, "model": "x", "usage": usage})
        return web.json_response({"error": {"message": "not here"}}, status=404)


def _text_chunk(text: str, **delta: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": {"content": text, **delta}, "finish_reason": None}
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]}


def _finish_chunk(usage: dict[str, Any] | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": {}, "finish_reason": "stop"}
    chunk: dict[str, Any] = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    chunk["choices"] = [choice]
    chunk["usage"] = usage or {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    return chunk


@pytest.fixture
async def server() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    recorder.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield recorder
    await runner.cleanup()


FAST = RetryPolicy(max_retries=0)


# ── Azure ──────────────────────────────────────────────────────────────────────────────────────


async def test_azure_deployment_paths_and_the_api_key_header(server: Recorder) -> None:
    t = OmniAzure(endpoint=server.url, deployment="prod-chat", api_key=KEY, retry=FAST, temperature=0.2)
    events = await collect(t.stream(HI, [], "be brief"))
    assert isinstance(events[-1], IterationEnd)
    seen = server.last
    assert (seen.method, seen.path) == ("POST", "/openai/deployments/prod-chat/chat/completions")
    assert seen.query == {"api-version": "2024-10-21"}
    assert seen.headers["api-key"] == KEY and "Authorization" not in seen.headers
    assert seen.body["model"] == "prod-chat" and seen.body["temperature"] == 0.2 and seen.body["stream"] is True
    assert [m.id for m in (await t.fetch_models()).values()] == ["prod-chat"]
    assert len(server.seen) == 1  # no model list asked of Azure


async def test_azure_v1_paths_and_an_entra_id_token(server: Recorder) -> None:
    tokens = iter(["tok-first-0000000", "tok-second-000000"])
    t = OmniAzure(endpoint=server.url, deployment="gpt-4o", v1=True, token_provider=lambda: next(tokens), retry=FAST)
    await collect(t.stream(HI, [], ""))
    await collect(t.stream(HI, [], ""))
    first, second = server.seen
    assert (first.path, first.query) == ("/openai/v1/chat/completions", {})
    assert first.headers["Authorization"] == "Bearer tok-first-0000000" and "api-key" not in first.headers
    assert second.headers["Authorization"] == "Bearer tok-second-000000"  # asked per request
    assert first.body["model"] == "gpt-4o" and Capability.vision in t.spec.capabilities


def test_azure_refuses_an_async_token_provider_and_a_missing_endpoint() -> None:
    async def provider() -> str:
        return "tok"

    t = OmniAzure(endpoint="https://res.openai.azure.com", deployment="d", token_provider=provider)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="returned an awaitable"):
        t.stream(HI, [], "")
    with pytest.raises(ConfigurationError, match="token_provider must be a callable returning an Entra ID token"):
        OmniAzure(endpoint="https://res.openai.azure.com", deployment="d", token_provider="tok")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="OmniAzure.endpoint must be a http/https URL"):
        OmniAzure(deployment="d")
    with pytest.raises(ConfigurationError, match="OmniAzure.deployment must be a non-empty string"):
        OmniAzure(endpoint="https://res.openai.azure.com")


async def test_azure_embeddings_speech_and_images_use_their_deployment_paths(server: Recorder) -> None:
    common: dict[str, Any] = {"endpoint": server.url, "api_key": KEY, "retry": FAST, "api_version": "2025-01-01"}
    assert await OmniAzureEmbedding(deployment="emb", **common).embed(["a"]) == [[1.0, 2.0, 3.0]]
    seen = server.last
    assert (seen.path, seen.query) == ("/openai/deployments/emb/embeddings", {"api-version": "2025-01-01"})
    assert seen.body["model"] == "emb" and seen.headers["api-key"] == KEY
    urls = {
        OmniAzureTTS(deployment="speech", **common)._url("/audio/speech"),
        OmniAzureSTT(deployment="whisper", **common)._url("/audio/transcriptions"),
        OmniAzureImages(deployment="img", **common)._url("/images/generations"),
    }
    assert urls == {
        f"{server.url}/openai/deployments/speech/audio/speech?api-version=2025-01-01",
        f"{server.url}/openai/deployments/whisper/audio/transcriptions?api-version=2025-01-01",
        f"{server.url}/openai/deployments/img/images/generations?api-version=2025-01-01",
    }
    v1 = OmniAzureEmbedding(deployment="emb", v1=True, **common)
    assert v1._url("/embeddings") == f"{server.url}/openai/v1/embeddings"


def test_azure_round_trips_without_its_key() -> None:
    t = OmniAzure(endpoint="https://res.openai.azure.com", deployment="d", api_key=KEY)
    data = t.to_dict()
    assert KEY not in json.dumps(data) and data["type"] == "omni-azure"
    assert OmniAzure.from_dict(data).to_dict() == data


# ── OpenRouter ─────────────────────────────────────────────────────────────────────────────────


async def test_openrouter_attribution_routing_and_reasoning(server: Recorder) -> None:
    t = OmniOpenRouter(
        base_url=server.url + "/api/v1",
        api_key=KEY,
        model="deepseek/deepseek-r1",
        app_url="https://example.com/app",
        app_title="Example App",
        provider={"order": ["deepinfra"], "allow_fallbacks": False},
        reasoning_effort="high",
        retry=FAST,
    )
    server.chunks = [
        _text_chunk("", reasoning="Let me think."),
        _text_chunk("Done."),
        _finish_chunk(
            {
                "prompt_tokens": 10,
                "completion_tokens": 8,
                "total_tokens": 18,
                "cost": 0.0001,
                "prompt_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 2},
                "completion_tokens_details": {"reasoning_tokens": 5},
            }
        ),
    ]
    events = await collect(t.stream(HI, [], ""))
    seen = server.last
    assert seen.path == "/api/v1/chat/completions" and seen.headers["Authorization"] == f"Bearer {KEY}"
    assert seen.headers["HTTP-Referer"] == "https://example.com/app" and seen.headers["X-Title"] == "Example App"
    assert seen.body["provider"] == {"order": ["deepinfra"], "allow_fallbacks": False}
    assert seen.body["reasoning"] == {"effort": "high"} and "reasoning_effort" not in seen.body
    assert [e.delta for e in events if isinstance(e, ReasoningDelta)] == ["Let me think."]
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "Done."
    end = events[-1]
    assert isinstance(end, IterationEnd)
    usage = end.usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens, usage.reasoning_tokens) == (
        10,
        4,
        2,
        5,
    )


async def test_openrouter_reads_its_model_list(server: Recorder) -> None:
    server.models = {
        "data": [
            {
                "id": "openai/gpt-4.1-mini",
                "context_length": 1047576,
                "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
                "supported_parameters": ["tools", "response_format"],
            },
            {"id": "openai/text-embedding-3-small", "architecture": {"output_modalities": ["embeddings"]}},
        ]
    }
    t = OmniOpenRouter(base_url=server.url + "/api/v1", api_key=KEY, retry=FAST)
    models = await t.fetch_models()
    assert list(models.keys()) == ["openai/gpt-4.1-mini"]
    assert models["openai/gpt-4.1-mini"].capabilities == {
        Capability.text,
        Capability.tool_use,
        Capability.vision,
        Capability.json_mode,
    }
    assert OmniOpenRouter.default_models["chat"] in models


def test_openrouter_needs_its_key() -> None:
    with pytest.raises(ConfigurationError, match="OPENROUTER_API_KEY"):
        OmniOpenRouter().stream(HI, [], "")


# ── local servers ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("cls", "url", "field"),
    [
        (OmniOllama, "http://127.0.0.1:11434/v1", "max_tokens"),
        (OmniLMStudio, "http://127.0.0.1:1234/v1", "max_tokens"),
        (OmniLlamaCpp, "http://127.0.0.1:8080/v1", "max_completion_tokens"),
        (OmniVLLM, "http://127.0.0.1:8000/v1", "max_completion_tokens"),
    ],
)
def test_local_presets_know_their_address_and_need_no_key(cls: Any, url: str, field: str) -> None:
    t = cls(max_tokens=64)
    assert t.base_url == url and t.resolved_api_key() is None
    assert t.build_payload(HI, [], "")[field] == 64
    assert cls.has_credentials() and not TransportEntry.from_target("x", cls).auto_select
    assert t.spec.id == "auto" and not len(t.models)


def test_ollama_host_and_what_ollama_ignores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:9999")
    assert OmniOllama().base_url == "http://127.0.0.1:9999/v1"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box")
    assert OmniOllama().base_url == "http://gpu-box:11434/v1"
    monkeypatch.setenv("OLLAMA_HOST", "https://ollama.example.com")
    assert OmniOllama().base_url == "https://ollama.example.com/v1"
    with pytest.raises(ConfigurationError, match="OmniOllama.tool_choice cannot be set: Ollama ignores tool_choice"):
        OmniOllama(tool_choice="required")
    with pytest.raises(ConfigurationError, match="OmniLlamaCpp.reasoning_effort cannot be set"):
        OmniLlamaCpp(reasoning_effort="high")
    assert OmniLlamaCpp().supported_thinking_levels(OmniLlamaCpp().spec) == ()


async def test_a_local_preset_takes_the_first_model_the_server_lists(server: Recorder) -> None:
    server.models = {"data": [{"id": "nomic-embed-text"}, {"id": "qwen3:8b"}, {"id": "llama3.2"}]}
    t = OmniOllama(base_url=server.url + "/v1", retry=FAST)
    await t.fetch_models()
    assert t.spec.id == "qwen3:8b" and list(t.models.keys()) == ["qwen3:8b", "llama3.2"]
    await collect(t.stream(HI, [], ""))
    assert server.last.body["model"] == "qwen3:8b" and "Authorization" not in server.last.headers
    named = OmniOllama(base_url=server.url + "/v1", model="llama3.2", retry=FAST)
    await named.fetch_models()
    assert named.spec.id == "llama3.2"


async def test_a_local_preset_used_directly_resolves_its_model_on_first_use(server: Recorder) -> None:
    """No fetch_models() first: the first turn asks the server for its models, then uses the first
    chat model, never sending "auto"; a server that lists none is refused, saying how."""
    server.models = {"data": [{"id": "nomic-embed-text"}, {"id": "qwen3:8b"}]}
    t = OmniOllama(base_url=server.url + "/v1", retry=FAST)
    await collect(t.stream(HI, [], ""))
    assert [s.path for s in server.seen] == ["/v1/models", "/v1/chat/completions"]
    assert server.last.body["model"] == "qwen3:8b" and t.spec.id == "qwen3:8b"
    await collect(t.stream(HI, [], ""))
    assert [s.path for s in server.seen][-1] == "/v1/chat/completions" and len(server.seen) == 3  # asked once
    server.models = {"data": [{"id": "nomic-embed-text"}]}
    with pytest.raises(ConfigurationError, match="lists none: name one with model="):
        await collect(OmniOllama(base_url=server.url + "/v1", retry=FAST).stream(HI, [], ""))
    assert server.last.path == "/v1/models"


async def test_lm_studio_reads_its_richer_list_and_falls_back(server: Recorder) -> None:
    server.v0_models = {
        "data": [
            {"id": "qwen2-vl-7b", "type": "vlm", "max_context_length": 32768},
            {"id": "my-vectors", "type": "embeddings"},
        ]
    }
    t = OmniLMStudio(base_url=server.url + "/v1", retry=FAST)
    models = await t.fetch_models()
    assert list(models.keys()) == ["qwen2-vl-7b"] and Capability.vision in models["qwen2-vl-7b"].capabilities
    assert server.last.path == "/api/v0/models"
    server.v0_models = None
    models = await OmniLMStudio(base_url=server.url + "/v1", retry=FAST).fetch_models()
    assert list(models.keys()) == ["served-1"] and server.last.path == "/v1/models"


async def test_vllm_reads_context_lengths(server: Recorder) -> None:
    server.models = {"data": [{"id": "Qwen/Qwen3-8B", "max_model_len": 40960}]}
    models = await OmniVLLM(base_url=server.url + "/v1", retry=FAST).fetch_models()
    assert models["Qwen/Qwen3-8B"].context_window == 40960


def test_every_preset_round_trips() -> None:
    for t in (
        OmniOllama(temperature=0.1),
        OmniLMStudio(),
        OmniLlamaCpp(),
        OmniVLLM(),
        OmniOpenRouter(app_title="x", provider={"sort": "price"}),
        OmniAzure(endpoint="https://r.openai.azure.com", deployment="d"),
    ):
        assert type(t).from_dict(t.to_dict()).to_dict() == t.to_dict()


async def test_a_hosted_preset_without_its_key_fails_to_open_and_says_which_variable() -> None:
    entry = TransportEntry.from_target("omni-openrouter", OmniOpenRouter)
    with pytest.raises(
        ConfigurationError, match="no API key for openrouter.ai: pass api_key= or set the OPENROUTER_API_KEY"
    ):
        async with entry.open(session=None):
            pass
