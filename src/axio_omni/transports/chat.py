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
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, cast

from axio.events import StreamEvent
from axio.messages import Message
from axio.models import ModelRegistry, ModelSpec
from axio.tool import Tool
from axio.transport import CompletionTransport

from ..errors import AuthenticationError, ConfigurationError, MalformedResponseError, OmniError, PermissionDeniedError
from ..models import DEFAULT_CHAT_MODEL, chat_catalogue, is_chat_model, model_spec
from ..retry import Repeat, RetryPolicy
from ..rules import Choice, Custom, Flag, JsonMap, Number, Refused, Text, Texts, setting
from ..serial import model_from_json, registry_from_json
from ..timeouts import Budget
from ..wire.chat_request import chat_messages, chat_tools
from ..wire.chat_stream import ChatStreamDecoder
from .base import HTTPTransport
from .http import finish, open_response, read_all, read_chunk
from .request import Request

__all__ = ["OpenAITransport"]

log = logging.getLogger("axio_omni.chat")

#: Body fields this transport writes itself; ``extra_body`` may not replace them.
_OWN_FIELDS = ("messages", "stream", "model")
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


def _model(value: Any) -> Any:
    if isinstance(value, ModelSpec) or (isinstance(value, str) and value):
        return value
    raise Refused


def _registry(value: Any) -> Any:
    if not isinstance(value, ModelRegistry):
        raise Refused
    return value


_MODEL = Custom(
    "a ModelSpec or a non-empty model id",
    _model,
    lambda v: v if isinstance(v, str) and v else model_from_json(v, "model"),
)
_MODELS = Custom("a ModelRegistry", _registry, lambda v: registry_from_json(v, "models"))


@dataclass(slots=True, kw_only=True)
class OpenAITransport(HTTPTransport, CompletionTransport):
    """Streams chat completions from any OpenAI-compatible server as axio events.

    Optional request fields are sent only when set, so servers that do not know them are not
    confused. ``max_tokens`` goes out as ``max_completion_tokens`` (OpenAI's current name) unless
    ``max_tokens_field="max_tokens"`` for servers that only know the old one. ``extra_body`` is
    merged into every request for anything else a server takes. A turn is a ``SAFE`` request
    (``retry.Repeat``): a failure before its response starts is retried as the official SDK does;
    once events flow, nothing is.
    """

    type_name = "openai"
    display_name: ClassVar[str] = "OpenAI (axio-omni)"
    supports_temperature: ClassVar[bool] = True
    supports_max_tokens: ClassVar[bool] = True
    supports_debug: ClassVar[bool] = False
    supports_thinking: ClassVar[bool] = True
    #: axio's loader reads ``auth`` for account sign-in; an API-key transport has none.
    auth: ClassVar[None] = None

    name: str = setting("OpenAI", Text())
    #: An id or a ``ModelSpec``; always a ``ModelSpec`` after construction (``spec`` types it so).
    model: ModelSpec | str = setting(default_factory=lambda: model_spec(DEFAULT_CHAT_MODEL), rule=_MODEL)
    models: ModelRegistry = setting(default_factory=chat_catalogue, rule=_MODELS)
    temperature: float | None = setting(None, Number(0, 2, optional=True))
    top_p: float | None = setting(None, Number(0, 1, optional=True))
    max_tokens: int | None = setting(None, Number(1, integer=True, optional=True))
    max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = setting(
        "max_completion_tokens", Choice("max_completion_tokens", "max_tokens")
    )
    seed: int | None = setting(None, Number(-(2**63), 2**63 - 1, integer=True, optional=True))
    stop: tuple[str, ...] = setting((), Texts(most=4))
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = setting(
        None, Choice(*_EFFORTS, optional=True)
    )
    tool_choice: Literal["auto", "required", "none"] | None = setting(
        None, Choice("auto", "required", "none", optional=True)
    )
    parallel_tool_calls: bool | None = setting(None, Flag(optional=True))
    #: Ask for a usage chunk at the end of the stream (``stream_options.include_usage``).
    include_usage: bool = setting(True, Flag())
    #: Read ``<think>...</think>`` in the content as reasoning.
    think_tags: bool = setting(True, Flag())
    extra_body: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap(reserved=_OWN_FIELDS))
    #: Set when ``fetch_models`` could not reach the server: the list is fetched again after the next
    #: turn that succeeds.
    _models_pending: bool = field(default=False, init=False, repr=False, compare=False, metadata={"runtime": True})

    def __post_init__(self) -> None:
        self._validate_common()
        if isinstance(self.model, str):
            self.model = self.models.get(self.model) or model_spec(self.model)

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
        request = self._request(
            "POST",
            "/chat/completions",
            json_body=body,
            accept="text/event-stream",
            repeat=Repeat.SAFE,
            what=f"chat completion ({self.spec.id})",
        )
        return self._stream(request)

    async def _stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        session = self._session()
        budget = Budget.start(self.timeouts.total)
        resp = await open_response(session, request, self.retry, budget=budget)
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
            while chunk := await read_chunk(resp, budget):
                for event in decoder.feed(chunk):
                    yield event
            for event in decoder.close():
                yield event
            complete = True
        finally:
            finish(resp, complete)
        if self._models_pending:
            await self._refresh_models()

    # ── model catalogue and plugin API ─────────────────────────────────────────────────────────

    async def fetch_models(self) -> ModelRegistry:
        """Replace ``models`` with the chat models the server's ``GET /models`` lists, and return them.

        Models for other endpoints (embeddings, speech, images) are left out. A server that cannot
        be reached or has no such list keeps the packaged catalogue, with a warning, and the list
        is fetched again after the next turn that succeeds; only a refused key raises. So axio's
        loader, which calls this on open, opens a transport whose server is down.
        """
        try:
            self.models = await self._live_models(self.retry)
        except (AuthenticationError, PermissionDeniedError):
            raise
        except OmniError as error:
            log.warning(
                "%s: no model list (%s); using the packaged catalogue until the server answers", self.name, error
            )
            self._models_pending = True
        return self.models

    async def _refresh_models(self) -> None:
        """The live list, once the server has answered a turn; a failure leaves the catalogue quietly."""
        try:
            self.models = await self._live_models(dataclasses.replace(self.retry, max_retries=0))
        except OmniError as error:
            log.debug("%s: model list still unavailable (%s)", self.name, error)

    async def _live_models(self, policy: RetryPolicy) -> ModelRegistry:
        request = self._request("GET", "/models", repeat=Repeat.SAFE, what="list models")
        raw = (await read_all(self._session(), request, policy)).data
        try:
            data = json.loads(raw)
            ids = [str(m["id"]) for m in data["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponseError(f"GET /models did not return a model list: {exc}", body=raw[:500]) from None
        self._models_pending = False
        return ModelRegistry(self.models.get(i) or model_spec(i) for i in ids if is_chat_model(i))

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
