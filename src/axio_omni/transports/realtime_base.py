"""What both realtime transports share: the realtime URL, the WebSocket's settings, and keys for
browsers and phones (``client_secret``).

``base_url`` is either the realtime URL itself (``wss://api.openai.com/v1/realtime``, the form
``OPENAI_REALTIME_URL`` holds) or an HTTP API base (``https://api.openai.com/v1``, as
``OPENAI_BASE_URL``), from which ``/realtime`` is derived; ``/realtime/client_secrets`` is the HTTP
sibling of the realtime URL.

A voice app must not ship its API key to the client: the server asks for a short-lived key
(``ek_...``) bound to the session's configuration, and hands only that over. A transport built
with such a key (``api_key="ek_..."``) connects with it, and is refused at the handshake once it
expires.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError, MalformedResponseError, register_secret
from ..fields import setting
from ..retry import Repeat
from ..rules import Choice, Flag, Number, Text, Url
from ..timeouts import Budget
from ..wire.realtime_session import turn_detection
from .base import HTTPTransport, dumps
from .http import read_all
from .live_session import Link
from .request import Request, endpoint_url

__all__ = ["DEFAULT_REALTIME_URL", "ClientSecret", "RealtimeEndpoint", "default_realtime_url", "http_base"]

DEFAULT_REALTIME_URL = "wss://api.openai.com/v1/realtime"
#: How long a client secret may live, in seconds (OpenAI takes 10 to 7,200).
SECRET_SECONDS = (10, 7200)


def default_realtime_url() -> str:
    """``OPENAI_REALTIME_URL``, else ``OPENAI_BASE_URL`` (an HTTP API base), else OpenAI's own."""
    return os.environ.get("OPENAI_REALTIME_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_REALTIME_URL


def http_base(url: str) -> str:
    """The HTTP API base a realtime URL belongs to: ``wss://host/v1/realtime`` -> ``https://host/v1``."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/")
    if path.endswith("/realtime"):
        path = path[: -len("/realtime")]
    return urlunsplit((scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True, slots=True)
class ClientSecret:
    """A short-lived key for a browser or phone to open this session with, in place of the API key.

    ``value`` (``ek_...``) is a credential: it is left out of ``repr``. ``session`` is the effective
    configuration the server bound to it.
    """

    value: str = field(repr=False)
    #: When the key stops opening sessions, in seconds since the epoch.
    expires_at: int
    session: Mapping[str, Any]

    @property
    def expires_in(self) -> float:
        """Seconds until the key expires (negative once it has)."""
        return self.expires_at - time.time()


@dataclass(slots=True, kw_only=True)
class RealtimeEndpoint(HTTPTransport):
    """Settings of a realtime WebSocket and of how its server hears the caller (turns, noise), and
    the client secrets of its sessions."""

    base_url: str = setting(default_factory=default_realtime_url, rule=Url("http", "https", "ws", "wss"))
    organization: str | None = setting(None, Text(optional=True))
    project: str | None = setting(None, Text(optional=True))
    #: Send ``OpenAI-Beta: realtime=v1`` for servers that still speak only the beta protocol.
    beta_header: bool = setting(False, Flag())
    #: Reconnections tried after a recoverable close (1001, 1006, 1011-1013, ``session_expired``); 0 for none.
    reconnect_attempts: int = setting(5, Number(0, 100, integer=True))
    #: Open a fresh session between turns after this long (OpenAI ends sessions at 60 minutes); None for never.
    recycle_after_s: float | None = setting(55 * 60.0, Number(above=0, optional=True, unit="seconds"))
    #: The largest server event taken, in bytes.
    max_message_bytes: int = setting(16 * 1024 * 1024, Number(1024, integer=True))
    #: Keep-alive pings while idle; a connection that answers none within ``ping_timeout`` is dead.
    ping_interval: float | None = setting(20.0, Number(above=0, optional=True, unit="seconds"))
    ping_timeout: float | None = setting(20.0, Number(above=0, optional=True, unit="seconds"))
    #: The server detects the end of each turn; False for manual turns, ended by ``commit()``.
    server_vad: bool = setting(True, Flag())
    #: ``server_vad`` (energy, tuned below) or ``semantic_vad`` (the model judges the end of a turn).
    vad_type: Literal["server_vad", "semantic_vad"] = setting("server_vad", Choice("server_vad", "semantic_vad"))
    vad_threshold: float = setting(0.5, Number(0, 1))
    vad_prefix_padding_ms: int = setting(300, Number(0, 10_000, integer=True))
    vad_silence_duration_ms: int = setting(500, Number(0, 10_000, integer=True))
    #: Semantic VAD's readiness to end a turn.
    eagerness: Literal["low", "medium", "high", "auto"] = setting("auto", Choice("low", "medium", "high", "auto"))
    input_noise_reduction: Literal["near_field", "far_field"] | None = setting(
        "near_field", Choice("near_field", "far_field", optional=True)
    )

    def _extra_headers(self) -> dict[str, str]:
        extra = {}
        if self.organization:
            extra["OpenAI-Organization"] = self.organization
        if self.project:
            extra["OpenAI-Project"] = self.project
        if self.beta_header:
            extra["OpenAI-Beta"] = "realtime=v1"
        return extra

    def _turn_detection(
        self,
        *,
        create_response: bool | None = None,
        interrupt_response: bool | None = None,
        idle_timeout_ms: int | None = None,
    ) -> dict[str, Any] | None:
        """The session's ``turn_detection``; a conversation adds what ends a turn with a reply
        (a transcription session makes none, so leaves them out)."""
        return turn_detection(
            server_vad=self.server_vad,
            kind=self.vad_type,
            threshold=self.vad_threshold,
            prefix_padding_ms=self.vad_prefix_padding_ms,
            silence_duration_ms=self.vad_silence_duration_ms,
            create_response=create_response,
            interrupt_response=interrupt_response,
            idle_timeout_ms=idle_timeout_ms,
            eagerness=self.eagerness,
        )

    def _link_for(self, what: str, query: Mapping[str, str]) -> Link:
        """How to open (and reopen) this transport's WebSocket."""
        path = "" if self.base_url.rstrip("/").endswith("/realtime") else "/realtime"
        request = self._websocket_request(path, what=what, query=query)
        if extra := self._extra_headers():
            request = request._replace(headers={**request.headers, **extra})
        return Link(
            request=request,
            retry=self.retry,
            reconnect_attempts=self.reconnect_attempts,
            recycle_after_s=self.recycle_after_s,
            max_size=self.max_message_bytes,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
        )

    async def _client_secret(self, session: Mapping[str, Any], expires_after_s: int) -> ClientSecret:
        """``POST /realtime/client_secrets`` for ``session``; the key lives ``expires_after_s`` seconds."""
        low, high = SECRET_SECONDS
        seconds = expires_after_s
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not low <= seconds <= high:
            raise ConfigurationError(
                f"expires_after_s must be a whole number of seconds from {low} to {high}, got {seconds!r}"
            )
        key = self._require_key()
        if key is not None and key.startswith("ek_"):
            raise ConfigurationError("a client secret is made with the API key, not with a client secret (ek_...)")
        body = {"expires_after": {"anchor": "created_at", "seconds": expires_after_s}, "session": dict(session)}
        headers = {**self._headers(key, "application/json", "application/json"), **self._extra_headers()}
        url = endpoint_url(http_base(self.base_url), "/realtime/client_secrets", self.query)
        request = Request("POST", url, headers, dumps(body), Repeat.SAFE, self.timeouts, "client secret")
        answer = await read_all(self._session(), request, self.retry, budget=Budget.start(self.timeouts.total))
        return read_client_secret(answer.data)


def read_client_secret(body: bytes) -> ClientSecret:
    """A ``/realtime/client_secrets`` answer, read strictly; the key is redacted from errors from now on."""
    try:
        data = json.loads(body)
        value, expires_at, session = data["value"], data["expires_at"], data["session"]
    except (ValueError, KeyError, TypeError):
        raise MalformedResponseError(
            f"a client secret answer without value, expires_at and session: {body[:200]!r}"
        ) from None
    if not isinstance(value, str) or not value or not isinstance(expires_at, int) or not isinstance(session, dict):
        raise MalformedResponseError("a client secret answer whose value, expires_at or session has the wrong type")
    register_secret(value)
    return ClientSecret(value, expires_at, session)
