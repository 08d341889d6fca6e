"""Chat presets for the servers people run on their own machines: Ollama, LM Studio, llama.cpp, vLLM.

Each one is the chat transport with the server's usual loopback address (or its own environment
variable), no key needed (a key variable is read if the server was started with one), the field
for the output limit the server reads, and the settings it ignores refused rather than sent to be
dropped. The model is the first one the server lists unless one is named (``model="auto"``, the
default); the model list comes from the server; LM Studio's richer list (``/api/v0/models``: which
models are for embeddings, which see images) is read when it has one.

None is picked by axio-repl on its own (``auto_select`` is off): a loopback address needs no key, so
each would always claim credentials. Choose one with ``--transport omni-ollama``, or in axio-tui.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from axio.models import ModelRegistry, ModelSpec

from ..errors import NotFoundError
from ..fields import setting
from ..retry import RetryPolicy
from ..rules import Choice, Text, Url
from ..transports.chat import AUTO_MODEL, MODEL, MODELS, OpenAITransport
from ..transports.request import Request

__all__ = ["LocalServer", "OmniLMStudio", "OmniLlamaCpp", "OmniOllama", "OmniVLLM"]


def _ollama_url() -> str:
    """``OLLAMA_HOST`` as Ollama reads it, else its default: a bare ``host`` or ``host:port`` is
    plain HTTP on port 11434 unless it says otherwise; a URL with a scheme keeps that scheme's port."""
    host = os.environ.get("OLLAMA_HOST", "").strip().rstrip("/")
    if not host:
        return "http://127.0.0.1:11434/v1"
    if "://" not in host:
        host = "http://" + host
        if urlsplit(host).port is None:
            host += ":11434"
    if urlsplit(host).hostname == "0.0.0.0":
        # The address a server listens on for every interface; a client reaches it on loopback.
        host = host.replace("0.0.0.0", "127.0.0.1", 1)
    return host + "/v1"


@dataclass(kw_only=True)
class LocalServer:
    """What the local presets share: not picked by axio-repl on its own, no default models by role,
    and the model left to the server (``AUTO_MODEL``) until one is named."""

    __slots__ = ()

    auto_select: ClassVar[bool] = False
    default_models: ClassVar[Mapping[str, str]] = {}

    # Factories, not defaults: a plain default would be a class attribute of this mixin, which
    # hides the transport's own slot for the field.
    model: ModelSpec | str = setting(default_factory=lambda: AUTO_MODEL, rule=MODEL)
    models: ModelRegistry = setting(default_factory=ModelRegistry, rule=MODELS)


@dataclass(slots=True, kw_only=True)
class OmniOllama(LocalServer, OpenAITransport):
    """Ollama's OpenAI-compatible API (``ollama serve``): ``OLLAMA_HOST`` or ``127.0.0.1:11434``.

    Ollama reads ``max_tokens``, not ``max_completion_tokens``, and ignores ``tool_choice``,
    ``parallel_tool_calls`` and ``user``; thinking models stream their reasoning as ``reasoning``.
    """

    type_name = "omni-ollama"
    display_name: ClassVar[str] = "Ollama (omni)"
    env_vars: ClassVar[tuple[str, ...]] = ("OLLAMA_API_KEY",)
    ignored: ClassVar[Mapping[str, str]] = {
        "tool_choice": "Ollama ignores tool_choice (its OpenAI API does not implement it)",
        "parallel_tool_calls": "Ollama ignores parallel_tool_calls",
    }

    name: str = setting("Ollama (omni)", Text())
    base_url: str = setting(default_factory=_ollama_url, rule=Url())
    api_key_env: str = setting("OLLAMA_API_KEY", Text())
    max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = setting(
        "max_tokens", Choice("max_completion_tokens", "max_tokens")
    )


@dataclass(slots=True, kw_only=True)
class OmniLMStudio(LocalServer, OpenAITransport):
    """LM Studio's local server (``lms server start``): ``127.0.0.1:1234``.

    LM Studio reads ``max_tokens``; its ``/api/v0/models`` says which loaded models are for
    embeddings and which see images, and is read before the plain ``/v1/models``.
    """

    type_name = "omni-lmstudio"
    display_name: ClassVar[str] = "LM Studio (omni)"
    env_vars: ClassVar[tuple[str, ...]] = ("LM_API_TOKEN",)

    name: str = setting("LM Studio (omni)", Text())
    base_url: str = setting("http://127.0.0.1:1234/v1", Url())
    api_key_env: str = setting("LM_API_TOKEN", Text())
    max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = setting(
        "max_tokens", Choice("max_completion_tokens", "max_tokens")
    )

    async def _live_models(self, policy: RetryPolicy, request: Request | None = None) -> ModelRegistry:
        root = self.base_url.removesuffix("/v1")
        try:
            v0 = self._url_request(root + "/api/v0/models", accept="application/json", what="list models (v0)")
            return await OpenAITransport._live_models(self, policy, v0)
        except NotFoundError:
            return await OpenAITransport._live_models(self, policy)


@dataclass(slots=True, kw_only=True)
class OmniLlamaCpp(LocalServer, OpenAITransport):
    """llama.cpp's ``llama-server``: ``127.0.0.1:8080``.

    Tool calls need the server started with ``--jinja`` (and a template that knows tools); it
    answers with its own model alias whatever ``model`` says, and closes the connection after each
    streamed answer (handled: such connections are not reused). ``reasoning_effort`` is ignored:
    llama.cpp takes reasoning settings when it starts (``--reasoning-format``, ``--reasoning-budget``).
    """

    type_name = "omni-llamacpp"
    display_name: ClassVar[str] = "llama.cpp (omni)"
    env_vars: ClassVar[tuple[str, ...]] = ("LLAMA_API_KEY",)
    ignored: ClassVar[Mapping[str, str]] = {
        "reasoning_effort": "llama.cpp takes reasoning settings at start-up (--reasoning-budget), not per request",
    }

    name: str = setting("llama.cpp (omni)", Text())
    base_url: str = setting("http://127.0.0.1:8080/v1", Url())
    api_key_env: str = setting("LLAMA_API_KEY", Text())

    def supported_thinking_levels(self, model: ModelSpec | str | None = None) -> tuple[str, ...]:
        """None: see ``ignored``."""
        return ()


@dataclass(slots=True, kw_only=True)
class OmniVLLM(LocalServer, OpenAITransport):
    """vLLM's OpenAI-compatible server (``vllm serve``): ``127.0.0.1:8000``.

    ``tool_choice="auto"`` needs the server started with ``--enable-auto-tool-choice`` and a
    ``--tool-call-parser``; reasoning models stream ``reasoning_content`` when started with a
    ``--reasoning-parser``. ``/v1/models`` gives each model's context length (``max_model_len``).
    """

    type_name = "omni-vllm"
    display_name: ClassVar[str] = "vLLM (omni)"
    env_vars: ClassVar[tuple[str, ...]] = ("VLLM_API_KEY",)

    name: str = setting("vLLM (omni)", Text())
    base_url: str = setting("http://127.0.0.1:8000/v1", Url())
    api_key_env: str = setting("VLLM_API_KEY", Text())
