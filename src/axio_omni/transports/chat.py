"""``OpenAITransport``: axio's ``CompletionTransport`` over ``POST /v1/chat/completions``, streamed.

A drop-in for ``axio-transport-openai``'s class of the same name: the same constructor keywords
axio's plugin loader passes (``session=``), ``model`` as a ``ModelSpec`` or an id, ``models``,
``fetch_models()``, the ``display_name``/``env_vars`` plugin metadata; ``from_dict`` also reads what
that package's ``to_dict()`` writes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, cast
from urllib.parse import urlsplit

from axio.events import IterationEnd, ProviderEvent, StreamEvent
from axio.messages import Message
from axio.models import ModelRegistry, ModelSpec
from axio.tool import Tool
from axio.transport import CompletionTransport

from .. import telemetry
from ..calls import CallRecord, start_call
from ..errors import AuthenticationError, ConfigurationError, MalformedResponseError, OmniError, PermissionDeniedError
from ..fields import setting
from ..models import DEFAULT_CHAT_MODEL, catalogued, chat_catalogue, is_chat_model, model_spec
from ..retry import Repeat, RetryPolicy
from ..rules import Choice, Flag, JsonMap, Number, Text, Texts
from ..thinking import EFFORTS, thinking_levels
from ..timeouts import Budget
from ..wire.chat_audio import CHAT_AUDIO_FORMATS, OPENAI_HOST, audio_request
from ..wire.chat_request import chat_messages, chat_tools
from ..wire.chat_stream import ChatStreamDecoder
from ..wire.chunk_template import Layouts
from ..wire.model_list import read_model_list
from ..wire.sse import StreamDecoder
from .base import HTTPTransport
from .chat_fields import AUTO_MODEL, MODEL, MODELS, NOTHING_TO_SEND, OWN_FIELDS, WATCH_WAITS, check_arguments
from .http import finish, open_response, read_all, read_chunk
from .peer_layout import from_peer_layout
from .request import Request

__all__ = ["AUTO_MODEL", "MODEL", "MODELS", "NOTHING_TO_SEND", "OpenAITransport", "check_arguments"]

log = logging.getLogger("axio_omni.chat")


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
    display_name: ClassVar[str] = "OpenAI (omni)"
    supports_temperature: ClassVar[bool] = True
    supports_max_tokens: ClassVar[bool] = True
    supports_debug: ClassVar[bool] = False
    supports_thinking: ClassVar[bool] = True
    #: axio's loader reads ``auth`` for account sign-in; an API-key transport has none.
    auth: ClassVar[None] = None
    default_models: ClassVar[Mapping[str, str]] = {
        "chat": DEFAULT_CHAT_MODEL,
        "vision": DEFAULT_CHAT_MODEL,
        "subagent": DEFAULT_CHAT_MODEL,
        "reasoning": "o4-mini",
        "compact": "gpt-4.1-nano",
        "guard": "gpt-4.1-nano",
    }

    #: Shown by axio-tui and axio-repl as this transport's label; apart from the peer's "OpenAI".
    name: str = setting("OpenAI (omni)", Text())
    #: An id or a ``ModelSpec``; always a ``ModelSpec`` after construction (``spec`` types it so).
    model: ModelSpec | str = setting(default_factory=lambda: model_spec(DEFAULT_CHAT_MODEL), rule=MODEL)
    models: ModelRegistry = setting(default_factory=chat_catalogue, rule=MODELS)
    temperature: float | None = setting(None, Number(0, 2, optional=True))
    top_p: float | None = setting(None, Number(0, 1, optional=True))
    max_tokens: int | None = setting(None, Number(1, integer=True, optional=True))
    max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = setting(
        "max_completion_tokens", Choice("max_completion_tokens", "max_tokens")
    )
    seed: int | None = setting(None, Number(-(2**63), 2**63 - 1, integer=True, optional=True))
    stop: tuple[str, ...] = setting((), Texts(most=4))
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = setting(
        None, Choice(*EFFORTS, optional=True)
    )
    tool_choice: Literal["auto", "required", "none"] | None = setting(
        None, Choice("auto", "required", "none", optional=True)
    )
    parallel_tool_calls: bool | None = setting(None, Flag(optional=True))
    #: Ask for a usage chunk at the end of the stream (``stream_options.include_usage``).
    include_usage: bool = setting(True, Flag())
    #: Read ``<think>...</think>`` in the content as reasoning.
    think_tags: bool = setting(True, Flag())
    #: ``("text", "audio")`` with ``audio={"voice": "alloy", "format": "pcm16"}`` for spoken replies
    #: (the gpt-4o-audio-preview family): the transcript as text, the audio as ``AudioOutput``.
    modalities: tuple[str, ...] = setting((), Texts(most=2))
    audio: Mapping[str, Any] | None = setting(None, JsonMap(optional=True))
    extra_body: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap(reserved=OWN_FIELDS))
    #: Set when ``fetch_models`` could not reach the server: the list is fetched again after the next
    #: turn that succeeds.
    models_pending: bool = field(default=False, init=False, repr=False, compare=False, metadata={"runtime": True})
    #: The text layouts this endpoint's streams proved, so later streams read by them from their first chunk.
    _layouts: Layouts = field(
        default_factory=Layouts, init=False, repr=False, compare=False, metadata={"runtime": True}
    )

    #: Settings the server behind a preset ignores, with why: set, they are refused, not sent to be
    #: dropped (see ``axio_omni.presets``).
    ignored: ClassVar[Mapping[str, str]] = {}

    def __post_init__(self) -> None:
        self._validate_common()
        if isinstance(self.model, str):
            self.model = self.models.get(self.model) or model_spec(self.model)
        for name, why in self.ignored.items():
            if getattr(self, name) not in (None, ()):
                raise ConfigurationError(f"{type(self).__name__}.{name} cannot be set: {why}")
        self._spoken()

    @property
    def spec(self) -> ModelSpec:
        """The model as a ``ModelSpec`` (``model`` holds the same object, typed loosely for the constructor)."""
        return cast(ModelSpec, self.model)  # __post_init__ made it one

    # ── the axio protocol ───────────────────────────────────────────────────────────────────────

    def build_payload(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> dict[str, Any]:
        """The request body for one turn; raises :class:`ConfigurationError` for a bad argument."""
        check_arguments(messages, tools, system)
        wire_messages = chat_messages(messages, system, time.time())
        if not wire_messages:
            raise ConfigurationError(NOTHING_TO_SEND)
        body: dict[str, Any] = {"model": self.spec.id, "messages": wire_messages, "stream": True}
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        if tools:
            self._add_tools(body, chat_tools(tools))
        optional = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            self.max_tokens_field: self.max_tokens,
            "seed": self.seed,
            "stop": list(self.stop) or None,
            "reasoning_effort": self.reasoning_effort,
        }
        body.update((k, v) for k, v in optional.items() if v is not None)
        body.update(self._spoken() or ())
        body.update(self.extra_body)
        return body

    def _spoken(self) -> dict[str, Any] | None:
        """The ``modalities`` and ``audio`` of a spoken reply, checked (``wire/chat_audio.py``)."""
        if not self.modalities and self.audio is None:
            return None  # the common turn asks for text only, and pays nothing here
        return audio_request(self.modalities, self.audio, openai_host=urlsplit(self.base_url).hostname == OPENAI_HOST)

    def _add_tools(self, body: dict[str, Any], declared: list[dict[str, Any]]) -> None:
        """The declared tools, and how the model may call them, into ``body``."""
        body["tools"] = declared
        if self.tool_choice is not None:
            body["tool_choice"] = self.tool_choice
        if self.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = self.parallel_tool_calls

    def stream(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> AsyncIterator[StreamEvent]:
        """Stream one turn. Arguments are checked now, before anything is sent."""
        body = self.build_payload(messages, tools, system)
        spoken = CHAT_AUDIO_FORMATS[self.audio["format"]] if "audio" in body and self.audio else None
        decoder = ChatStreamDecoder(think_tags=self.think_tags, spoken=spoken, layouts=self._layouts)
        return self._turn("/chat/completions", body, f"chat completion ({self.spec.id})", decoder, messages, system)

    def _turn(
        self,
        path: str,
        body: dict[str, Any],
        what: str,
        decoder: StreamDecoder,
        messages: list[Message],
        system: str,
        then: Callable[[AsyncIterator[StreamEvent]], AsyncIterator[StreamEvent]] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """One streamed turn to ``path``: its request, its call record, its events (through ``then``
        when given), in a span when tracing is on. Nothing is sent until the first event is asked for.
        A model left to the server (``AUTO_MODEL``) is resolved first, from its list."""
        if body.get("model") == AUTO_MODEL:

            def resolved() -> AsyncIterator[StreamEvent]:
                named = what.replace(f"({AUTO_MODEL})", f"({self.spec.id})")
                return self._turn(path, {**body, "model": self.spec.id}, named, decoder, messages, system, then)

            return self._after_model(resolved)
        request = self._request("POST", path, json_body=body, accept="text/event-stream", repeat=Repeat.SAFE, what=what)
        record = start_call(what)
        events = self._stream(request, decoder, record)
        return self._traced(events if then is None else then(events), record, messages, system)

    async def _after_model(self, turn: Callable[[], AsyncIterator[StreamEvent]]) -> AsyncIterator[StreamEvent]:
        """``turn``, once the model left to the server is known: its first chat model, asked for once
        (``GET /models``). A server that lists none is refused, saying how."""
        if self.spec.id == AUTO_MODEL:
            self._take_models(await self._live_models(self.retry))
        if self.spec.id == AUTO_MODEL:
            raise ConfigurationError(
                f"model={AUTO_MODEL!r} takes the first chat model {self.base_url} lists, and it lists none: "
                "name one with model=... (or pull one into the server)"
            )
        async for event in turn():
            yield event

    def _traced(
        self, events: AsyncIterator[StreamEvent], record: CallRecord, messages: list[Message], system: str
    ) -> AsyncIterator[StreamEvent]:
        """``events`` in an OpenTelemetry span when tracing is on (``telemetry.py``), else as they are."""
        if telemetry.tracer() is None:
            return events
        asked = {
            "gen_ai.request.temperature": self.temperature,
            "gen_ai.request.top_p": self.top_p,
            "gen_ai.request.max_tokens": self.max_tokens,
            "gen_ai.request.seed": self.seed,
        }
        call = telemetry.Call("chat", self.spec.id, self.base_url, asked, record)
        return telemetry.traced_stream(events, call, lambda: telemetry.input_messages(messages, system))

    async def _stream(self, request: Request, decoder: StreamDecoder, record: CallRecord) -> AsyncIterator[StreamEvent]:
        """The events of one streamed answer: ``decoder`` reads the endpoint's own stream; the call's
        record (``calls.py``), ``ProviderEvent("axio-omni", "call", ...)``, comes right before the
        turn's ``IterationEnd``, once the body is read to its end."""
        session = self._session()
        budget = Budget.start(self.timeouts.total)
        resp = await open_response(session, request, self.retry, budget=budget, record=record)
        complete = False
        try:
            content_type = resp.headers.get("Content-Type", "")
            if "json" in content_type and "event-stream" not in content_type:
                raise MalformedResponseError(
                    "the server answered with JSON instead of an event stream (does it support stream=true?)",
                    status=resp.status,
                    request_id=resp.headers.get("x-request-id"),
                )
            held = None  # the turn's IterationEnd, given after the call's record
            while True:
                chunk = await read_chunk(resp, budget)
                events = decoder.feed(chunk) if chunk else decoder.close()
                if events and type(events[-1]) is IterationEnd:
                    held = events.pop()
                for event in events:
                    yield event
                if not chunk:
                    break
            complete = True
        except OmniError as error:
            record.finished(error)
            raise
        finally:
            finish(resp, complete, record)
        yield ProviderEvent("axio-omni", "call", record.as_dict())
        if held is not None:
            yield held
        if self.models_pending:
            await self._refresh_models()

    # ── model catalogue and plugin API ─────────────────────────────────────────────────────────

    async def fetch_models(self) -> ModelRegistry:
        """Replace ``models`` with the chat models the server's ``GET /models`` lists, and return them.

        Models for other endpoints (embeddings, speech, images) are left out. A server that cannot
        be reached or has no such list keeps the packaged catalogue, with a warning, and the list
        is fetched again after the next turn that succeeds; only a refused or missing key raises. So axio's
        loader, which calls this on open, opens a transport whose server is down.
        """
        try:
            self._take_models(await self._live_models(self.retry))
        except (AuthenticationError, PermissionDeniedError, ConfigurationError):
            raise
        except OmniError as error:
            log.warning(
                "%s: no model list (%s); using the packaged catalogue (%d models) until the server answers",
                self.name,
                error,
                len(self.models),
            )
            self.models_pending = True
        return self.models

    async def watch_models(self) -> None:
        """Ask for the model list again, waiting longer each time, until the server answers (what
        ``open_for_app`` runs while the server that was down at opening stays down)."""
        for attempt in itertools.count():
            await asyncio.sleep(WATCH_WAITS[min(attempt, len(WATCH_WAITS) - 1)])
            await self._refresh_models()
            if not self.models_pending:
                log.info("%s: the server answers; model list loaded", self.name)
                return

    async def _refresh_models(self) -> None:
        """The live list, once the server has answered a turn; a failure leaves the catalogue quietly."""
        try:
            self._take_models(await self._live_models(dataclasses.replace(self.retry, max_retries=0)))
        except OmniError as error:
            log.debug("%s: model list still unavailable (%s)", self.name, error)

    def _take_models(self, models: ModelRegistry) -> None:
        """Use the server's list; a model left to the server (``AUTO_MODEL``) becomes its first."""
        self.models = models
        if self.spec.id == AUTO_MODEL and len(models):
            self.model = next(iter(models.values()))

    async def _live_models(self, policy: RetryPolicy, request: Request | None = None) -> ModelRegistry:
        """The chat models of the server's list (``GET /models``, or ``request``), read in any dialect."""
        request = request or self._request("GET", "/models", repeat=Repeat.SAFE, what="list models")
        raw = (await read_all(self._session(), request, policy)).data
        try:
            listed = read_model_list(raw, lambda i: self.models.get(i) or catalogued(i))
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponseError(f"GET /models did not return a model list: {exc}", body=raw[:500]) from None
        self.models_pending = False
        return ModelRegistry(m.spec for m in listed if m.kind == "chat")

    def model_selection_error(self, model_id: str) -> str:
        """Why ``model_id`` cannot be chosen, in one line for axio-tui and axio-repl."""
        where = f"{self.name} ({self.base_url})"
        if self.models_pending:
            return f"{model_id!r} is not known to {where}: the server did not answer for its model list"
        if not is_chat_model(model_id):
            return f"{model_id!r} is not a chat model (embeddings, speech or images): use its own transport"
        ids = list(self.models.keys())
        shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
        return f"{where} does not list {model_id!r}; it serves {shown or 'no chat model'}"

    # ── knobs axio-repl sets ────────────────────────────────────────────────────────────────────

    @property
    def max_output_tokens(self) -> int | None:
        """axio-repl's name for ``max_tokens`` (``/max-tokens 1024``); None for the model's default."""
        return self.max_tokens

    @max_output_tokens.setter
    def max_output_tokens(self, value: int | None) -> None:
        self.max_tokens = value

    def supported_thinking_levels(self, model: ModelSpec | str | None = None) -> tuple[str, ...]:
        """The ``reasoning_effort`` values ``model`` (this transport's by default) takes; none when it
        does not reason."""
        spec = self.spec if model is None else model_spec(model) if isinstance(model, str) else model
        return thinking_levels(spec)

    def describe_thinking(self) -> str:
        """The thinking setting in one line, with the levels the model takes."""
        levels = self.supported_thinking_levels()
        if not levels:
            return f"{self.spec.id} does not reason: thinking cannot be set (reasoning_effort is not sent)"
        return f"Reasoning effort: {self.reasoning_effort or 'default'} (levels: default, {', '.join(levels)})"

    def configure_thinking(self, value: str) -> str:
        """Set ``reasoning_effort`` from axio-repl's ``/thinking <level>`` (``default`` unsets it).
        Raises :class:`ConfigurationError` (a ``ValueError``) for a level the model does not take,
        and for any level on a model that does not reason: never a setting silently dropped."""
        level = value.strip().lower()
        levels = self.supported_thinking_levels()
        if level == "default":
            self.reasoning_effort = None
        elif not levels:
            raise ConfigurationError(
                f"{self.spec.id} does not reason, so it takes no thinking level; declare "
                "Capability.reasoning in its ModelSpec (models=) if it does"
            )
        elif level not in levels:
            raise ConfigurationError(
                f"{self.spec.id} takes reasoning_effort {', '.join(levels)} (or default), not {value!r}"
            )
        else:
            self.reasoning_effort = level  # type: ignore[assignment]  # one of the levels, checked
        return self.describe_thinking()

    def with_model(self, model: str | ModelSpec) -> Self:
        """A copy using ``model``, sharing this one's session or pool. ``reasoning_effort`` is kept
        when the new model takes it and reset to the default otherwise (axio-repl says so)."""
        spec = model if isinstance(model, ModelSpec) else (self.models.get(model) or model_spec(model))
        effort = self.reasoning_effort
        if effort is not None and effort not in thinking_levels(spec) and effort in self.supported_thinking_levels():
            effort = None
        return dataclasses.replace(self, model=spec, reasoning_effort=effort)

    @classmethod
    def _upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Read ``axio-transport-openai``'s ``to_dict()`` layout as well as our own."""
        return from_peer_layout(data)
