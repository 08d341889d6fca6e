"""OpenRouter: one key for hundreds of models, routed across providers.

What it adds to the chat transport:

- ``app_url`` and ``app_title`` go out as ``HTTP-Referer`` and ``X-Title``, which OpenRouter uses
  to attribute usage to an app (its rankings);
- ``provider`` is OpenRouter's routing preferences object (``order``, ``allow_fallbacks``,
  ``only``, ``ignore``, ``sort``, ``data_collection``...), sent as given;
- thinking levels go out as OpenRouter's ``reasoning: {"effort": ...}``, which it translates for
  every provider; streamed ``reasoning`` deltas and its usage (cached and cache-written prompt
  tokens, reasoning tokens) are read by the chat decoder;
- the model list is OpenRouter's, which says per model whether it takes tools, sees images, reasons,
  its context length and prices (``wire/model_list.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from axio.messages import Message
from axio.models import ModelRegistry, ModelSpec
from axio.tool import Tool

from ..fields import setting
from ..rules import JsonMap, Text, Url
from ..transports.chat import MODEL, MODELS, OpenAITransport

__all__ = ["OPENROUTER_URL", "OmniOpenRouter"]

OPENROUTER_URL = "https://openrouter.ai/api/v1"


@dataclass(slots=True, kw_only=True)
class OmniOpenRouter(OpenAITransport):
    """OpenRouter's chat completions, keyed by ``OPENROUTER_API_KEY``."""

    type_name = "omni-openrouter"
    display_name: ClassVar[str] = "OpenRouter (omni)"
    env_vars: ClassVar[tuple[str, ...]] = ("OPENROUTER_API_KEY",)
    default_models: ClassVar[Mapping[str, str]] = {
        "chat": "openai/gpt-4.1-mini",
        "vision": "openai/gpt-4.1-mini",
        "subagent": "openai/gpt-4.1-mini",
        "reasoning": "openai/o4-mini",
        "compact": "openai/gpt-4.1-nano",
        "guard": "openai/gpt-4.1-nano",
    }

    name: str = setting("OpenRouter (omni)", Text())
    base_url: str = setting(OPENROUTER_URL, Url())
    api_key_env: str = setting("OPENROUTER_API_KEY", Text())
    model: ModelSpec | str = setting("openai/gpt-4.1-mini", MODEL)
    models: ModelRegistry = setting(default_factory=ModelRegistry, rule=MODELS)
    #: Your app's URL, sent as ``HTTP-Referer``.
    app_url: str | None = setting(None, Url(optional=True))
    #: Your app's name, sent as ``X-Title``.
    app_title: str | None = setting(None, Text(optional=True))
    #: OpenRouter's provider routing preferences, sent as the body's ``provider``.
    provider: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap())

    def _headers(self, key: str | None, accept: str | None, content_type: str | None) -> dict[str, str]:
        headers = OpenAITransport._headers(self, key, accept, content_type)
        if self.app_url is None and self.app_title is None:
            return headers
        attribution = {"HTTP-Referer": self.app_url, "X-Title": self.app_title}
        return {**headers, **{k: v for k, v in attribution.items() if v is not None}}

    def build_payload(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> dict[str, Any]:
        body = OpenAITransport.build_payload(self, messages, tools, system)
        effort = body.pop("reasoning_effort", None)
        if effort is not None and "reasoning" not in body:
            body["reasoning"] = {"effort": effort}
        if self.provider and "provider" not in body:
            body["provider"] = dict(self.provider)
        return body
