"""``OpenAIResponsesTransport``: axio's ``CompletionTransport`` over ``POST /v1/responses``, streamed.

The second completion endpoint, for what chat completions cannot do: reasoning summaries, reasoning
kept across turns (encrypted, with ``store`` off), server-run tools whose items come back, and
server-side conversation state (``previous_response_id``). The wire mapping is in
``wire/responses_request.py`` and ``wire/responses_stream.py``; this layer adds the settings, the
request and the chaining.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from axio.events import IterationStart, StreamEvent
from axio.messages import Message
from axio.models import Capability
from axio.tool import Tool

from ..errors import ConfigurationError
from ..fields import setting
from ..rules import Choice, Flag, JsonMap, Text
from ..wire.responses_request import joined_items, message_items, response_tools
from ..wire.responses_stream import ResponsesStreamDecoder
from .chat import NOTHING_TO_SEND, OpenAITransport, check_arguments

__all__ = ["OpenAIResponsesTransport"]

#: Body fields this transport writes itself; ``extra_body`` may not replace them.
_OWN_FIELDS = ("input", "stream", "model", "instructions", "previous_response_id")


def _digest(items: list[list[dict[str, Any]]]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(slots=True, kw_only=True)
class OpenAIResponsesTransport(OpenAITransport):
    """Streams ``/v1/responses`` from OpenAI (or a server that speaks it) as axio events.

    ``store`` is off by default: OpenAI keeps nothing, and a reasoning model's reasoning comes back
    encrypted (``include: ["reasoning.encrypted_content"]``) to be sent with the next turn, which
    axio's Agent does by keeping it in the history. ``chain=True`` (with ``store=True``) sends
    ``previous_response_id`` and only the turns after the last answer, while the history still
    matches what was sent; otherwise the whole history goes out. ``max_tokens`` (axio-repl's
    ``max_output_tokens``) is sent as ``max_output_tokens``. A turn is a ``SAFE`` request, as for
    chat completions.
    """

    type_name = "openai-responses"
    display_name: ClassVar[str] = "OpenAI Responses (omni)"
    ignored: ClassVar[Mapping[str, str]] = {
        "seed": "the Responses API takes no seed",
        "stop": "the Responses API takes no stop sequences",
    }

    name: str = setting("OpenAI Responses (omni)", Text())
    #: Whether OpenAI keeps the response (needed for ``chain``).
    store: bool = setting(False, Flag())
    #: Send ``previous_response_id`` and only what is new since the last answer.
    chain: bool = setting(False, Flag())
    #: The reasoning summary a reasoning model writes for the reader (None: none asked for).
    reasoning_summary: Literal["auto", "concise", "detailed"] | None = setting(
        "auto", Choice("auto", "concise", "detailed", optional=True)
    )
    #: Ask for reasoning back, encrypted, to send with the next turn (only with ``store`` off).
    encrypted_reasoning: bool = setting(True, Flag())
    extra_body: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap(reserved=_OWN_FIELDS))
    #: The last answer read to its end: its id, how many messages it answered, their digest.
    _last: tuple[str, int, str] | None = field(
        default=None, init=False, repr=False, compare=False, metadata={"runtime": True}
    )

    def __post_init__(self) -> None:
        OpenAITransport.__post_init__(self)
        if self.chain and not self.store:
            raise ConfigurationError(
                f"{type(self).__name__}.chain needs store=True: a response OpenAI does not keep cannot be continued"
            )

    def build_payload(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> dict[str, Any]:
        """The request body for one turn; raises :class:`ConfigurationError` for a bad argument."""
        return self._payload(messages, tools, system)[0]

    def _payload(
        self, messages: list[Message], tools: list[Tool[Any]], system: str
    ) -> tuple[dict[str, Any], tuple[int, str] | None]:
        """The body, and what to remember of this turn for chaining (messages sent, their digest)."""
        check_arguments(messages, tools, system)
        per_message = message_items(messages)
        items = joined_items(per_message)
        body: dict[str, Any] = {"model": self.spec.id, "input": items, "stream": True, "store": self.store}
        if system:
            body["instructions"] = system
        if not items and not system:
            raise ConfigurationError(NOTHING_TO_SEND)
        if tools:
            self._add_tools(body, response_tools(tools))
        optional = {"temperature": self.temperature, "top_p": self.top_p, "max_output_tokens": self.max_tokens}
        body.update((k, v) for k, v in optional.items() if v is not None)
        reasons = Capability.reasoning in self.spec.capabilities
        reasoning = {"effort": self.reasoning_effort, "summary": self.reasoning_summary if reasons else None}
        if any(v is not None for v in reasoning.values()):
            body["reasoning"] = {k: v for k, v in reasoning.items() if v is not None}
        if reasons and not self.store and self.encrypted_reasoning:
            body["include"] = ["reasoning.encrypted_content"]
        pending = (len(messages), _digest(per_message)) if self.chain else None
        self._continue(body, messages, per_message)
        body.update(self.extra_body)
        return body, pending

    def _continue(self, body: dict[str, Any], messages: list[Message], per_message: list[list[dict[str, Any]]]) -> None:
        """With ``chain``: only what follows the last answer, after ``previous_response_id``."""
        last = self._last
        if last is None or not self.chain:
            return
        response_id, answered, digest = last
        if len(messages) <= answered + 1 or messages[answered].role != "assistant":
            return
        if _digest(per_message[:answered]) != digest:
            return  # the history changed since: send it whole
        body["previous_response_id"] = response_id
        body["input"] = joined_items(per_message[answered + 1 :])

    def stream(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> AsyncIterator[StreamEvent]:
        """Stream one turn. Arguments are checked now, before anything is sent."""
        body, pending = self._payload(messages, tools, system)
        # Only a chained transport needs the answer's id: others stream without the extra layer.
        then = None if pending is None else lambda events: self._chained(events, pending)
        return self._turn(
            "/responses", body, f"response ({self.spec.id})", ResponsesStreamDecoder(), messages, system, then
        )

    async def _chained(
        self, events: AsyncIterator[StreamEvent], pending: tuple[int, str]
    ) -> AsyncIterator[StreamEvent]:
        response_id = None
        async for event in events:
            if isinstance(event, IterationStart):
                response_id = event.id
            yield event
        if response_id:
            # The answer was read to its end: the next turn may continue from it.
            self._last = (response_id, *pending)
