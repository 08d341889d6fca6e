"""``OpenAITransport``: axio's ``CompletionTransport`` over ``POST /v1/chat/completions``, streamed.

A drop-in for ``axio-transport-openai``'s class of the same name: the same constructor keywords
axio's plugin loader passes (``session=``), ``model`` as a ``ModelSpec`` or an id, ``models``,
``fetch_models()``, the ``display_name``/``env_vars`` plugin metadata; ``from_dict`` also reads what
that package's ``to_dict()`` writes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, cast

from axio.events import StreamEvent
from axio.messages import Message
from axio.models import ModelRegistry, ModelSpec
from axio.tool import Tool
from axio.transport import CompletionTransport

from ..errors import ConfigurationError, MalformedResponseError
from ..models import DEFAULT_CHAT_MODEL, chat_catalogue, model_spec
from ..wire.chat_request import chat_messages, chat_tools
from ..wire.chat_stream import ChatStreamDecoder
from .base import HTTPTransport, json_fields, require_positive
from .http import Request, finish, open_response, read_all, read_chunk

__all__ = ["OpenAITransport"]

log = logging.getLogger("axio_omni.chat")

#: Body fields this transport writes itself; ``extra_body`` may not replace them.
_OWN_FIELDS = ("messages", "stream", "model")


@dataclass(slots=True, kw_only=True)
class OpenAITransport(HTTPTransport, CompletionTransport):
    """Streams chat completions from any OpenAI-compatible server as axio events.

    Optional request fields are sent only when set, so servers that do not know them are not
    confused. ``max_tokens`` goes out as ``max_completion_tokens`` (OpenAI's current name) unless
    ``max_tokens_field="max_tokens"`` for servers that only know the old one. ``extra_body`` is
    merged into every request for anything else a server takes.
    """

    type_name = "openai"
    display_name: ClassVar[str] = "OpenAI (axio-omni)"
    supports_temperature: ClassVar[bool] = True
    supports_max_tokens: ClassVar[bool] = True
    supports_debug: ClassVar[bool] = False
    supports_thinking: ClassVar[bool] = True
    #: axio's loader reads ``auth`` for account sign-in; an API-key transport has none.
    auth: ClassVar[None] = None

    name: str = "OpenAI"
    #: An id or a ``ModelSpec``; always a ``ModelSpec`` after construction (``spec`` types it so).
    model: ModelSpec | str = field(default_factory=lambda: model_spec(DEFAULT_CHAT_MODEL))
    models: ModelRegistry = field(default_factory=chat_catalogue)
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"
    seed: int | None = None
    stop: tuple[str, ...] = ()
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    tool_choice: Literal["auto", "required", "none"] | None = None
    parallel_tool_calls: bool | None = None
    #: Ask for a usage chunk at the end of the stream (``stream_options.include_usage``).
    include_usage: bool = True
    #: Read ``<think>...</think>`` in the content as reasoning.
    think_tags: bool = True
    extra_body: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._validate_common()
        if not isinstance(self.models, ModelRegistry):
            raise ConfigurationError(f"models must be a ModelRegistry, got {type(self.models).__name__}")
        model: object = self.model
        if isinstance(model, str):
            if not model:
                raise ConfigurationError("model: an id cannot be empty")
            model = self.models.get(model) or model_spec(model)
        if not isinstance(model, ModelSpec):
            raise ConfigurationError(f"model must be a ModelSpec or an id, got {type(model).__name__}")
        self.model = model
        _check_number("temperature", self.temperature, 0, 2)
        _check_number("top_p", self.top_p, 0, 1)
        require_positive("max_tokens", self.max_tokens, optional=True)
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)):
            raise ConfigurationError(f"seed must be an integer or None, got {self.seed!r}")
        stop: object = self.stop
        self.stop = (stop,) if isinstance(stop, str) else tuple(self.stop)
        if len(self.stop) > 4 or not all(isinstance(s, str) and s for s in self.stop):
            raise ConfigurationError(f"stop must be up to 4 non-empty strings, got {self.stop!r}")
        _check_choice("max_tokens_field", self.max_tokens_field, ("max_completion_tokens", "max_tokens"))
        _check_choice(
            "reasoning_effort",
            self.reasoning_effort,
            (None, "none", "minimal", "low", "medium", "high", "xhigh", "max"),
        )
        _check_choice("tool_choice", self.tool_choice, (None, "auto", "required", "none"))
        self.extra_body = json_fields(self.extra_body, "extra_body", reserved=_OWN_FIELDS)

    @property
    def spec(self) -> ModelSpec:
        """The model as a ``ModelSpec`` (``model`` holds the same object, typed loosely for the constructor)."""
        return cast(ModelSpec, self.model)  # __post_init__ made it one

    # ── the axio protocol ───────────────────────────────────────────────────────────────────────

    def build_payload(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> dict[str, Any]:
        """The request body for one turn; raises :class:`ConfigurationError` for a bad argument."""
        if not isinstance(messages, list):
            raise ConfigurationError(f"messages must be a list of axio Messages, got {type(messages).__name__}")
        if not isinstance(tools, list):
            raise ConfigurationError(f"tools must be a list of axio Tools, got {type(tools).__name__}")
        if not isinstance(system, str):
            raise ConfigurationError(f"system must be a string, got {type(system).__name__}")
        wire_messages = chat_messages(messages, system)
        if not wire_messages:
            raise ConfigurationError("messages: nothing to send (no system prompt and no message with content)")
        body: dict[str, Any] = {"model": self.spec.id, "messages": wire_messages, "stream": True}
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        if tools:
            body["tools"] = chat_tools(tools)
            if self.tool_choice is not None:
                body["tool_choice"] = self.tool_choice
            if self.parallel_tool_calls is not None:
                body["parallel_tool_calls"] = self.parallel_tool_calls
        optional = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            self.max_tokens_field: self.max_tokens,
            "seed": self.seed,
            "stop": list(self.stop) or None,
            "reasoning_effort": self.reasoning_effort,
        }
        body.update((k, v) for k, v in optional.items() if v is not None)
        body.update(self.extra_body)
        return body

    def stream(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> AsyncIterator[StreamEvent]:
        """Stream one turn. Arguments are checked now, before anything is sent."""
        body = self.build_payload(messages, tools, system)
        request = self._request("POST", "/chat/completions", json_body=body, accept="text/event-stream")
        return self._stream(request)

    async def _stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        session = self._session()
        resp = await open_response(session, request, self.retry, what=f"chat completion ({self.spec.id})")
        decoder = ChatStreamDecoder(think_tags=self.think_tags)
        complete = False
        try:
            content_type = resp.headers.get("Content-Type", "")
            if "json" in content_type and "event-stream" not in content_type:
                raise MalformedResponseError(
                    "the server answered with JSON instead of an event stream (does it support stream=true?)",
                    status=resp.status,
                    request_id=resp.headers.get("x-request-id"),
                )
            while chunk := await read_chunk(resp, request.secret):
                for event in decoder.feed(chunk):
                    yield event
            for event in decoder.close():
                yield event
            complete = True
        finally:
            finish(resp, complete)

    # ── model catalogue and plugin API ─────────────────────────────────────────────────────────

    async def fetch_models(self) -> ModelRegistry:
        """Replace ``models`` with what the server's ``GET /models`` lists, and return it."""
        request = self._request("GET", "/models", idempotent=True)
        raw = (await read_all(self._session(), request, self.retry, what="list models")).data
        try:
            data = json.loads(raw)
            ids = [str(m["id"]) for m in data["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponseError(f"GET /models did not return a model list: {exc}", body=raw[:500]) from None
        self.models = ModelRegistry(self.models.get(i) or model_spec(i) for i in ids)
        return self.models

    def with_model(self, model: str | ModelSpec) -> Self:
        """A copy using ``model``, sharing this one's session or pool."""
        spec = model if isinstance(model, ModelSpec) else (self.models.get(model) or model_spec(model))
        return dataclasses.replace(self, model=spec)

    @classmethod
    def _upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Read ``axio-transport-openai``'s ``to_dict()`` layout as well as our own."""
        data.pop("api", None)  # that package may use /v1/responses; this transport speaks chat only
        retry = dict(data.get("retry") or {})
        if "max_retries" in data:
            # There it counts attempts; here, attempts after the first.
            retry["max_retries"] = max(0, int(data.pop("max_retries")) - 1)
        if "retry_base_delay" in data:
            retry["initial_delay"] = float(data.pop("retry_base_delay"))
        if retry:
            data["retry"] = retry
        if "extra_params" in data:
            data["extra_body"] = data.pop("extra_params")
        if data.get("api_key") == "":
            data["api_key"] = None
        return data


def _check_number(name: str, value: float | None, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a number or None, got {value!r}")
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}, got {value!r}")


def _check_choice(name: str, value: object, allowed: tuple[object, ...]) -> None:
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {[a for a in allowed if a is not None]}, got {value!r}")
