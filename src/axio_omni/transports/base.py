"""What every HTTP transport shares: endpoint, credentials, headers, timeouts, retry, sessions.

Each transport is a keyword-only dataclass inheriting :class:`HTTPTransport`; its own settings are
more fields, each declared with a rule (``rules.py``). Validation runs at construction
(``__post_init__``), so a bad value fails where it was written, not at the first request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import aiohttp

from ..errors import ConfigurationError, register_secret
from ..fields import check_setting, setting
from ..hosts import needs_key
from ..pool import TransportPool, default_pool
from ..ratelimit import RateLimiter, RateLimits, limiter_for
from ..retry import Repeat, RetryPolicy
from ..rules import Choice, Instance, Nested, StringMap, Text, Url
from ..serial import Serializable
from ..timeouts import Timeouts
from .plugin import AppPlugin
from .request import Request, endpoint_headers, endpoint_url

__all__ = ["DEFAULT_BASE_URL", "HTTPTransport", "default_base_url", "dumps"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Header names that carry credentials; they belong in ``secret_headers``, which is never written
#: by ``to_dict()`` unless asked.
_CREDENTIAL = "carries a credential: pass it as api_key= or secret_headers= so that to_dict() and repr() hide it"
_SECRET_HEADERS = {
    name: _CREDENTIAL for name in ("authorization", "api-key", "x-api-key", "cookie", "proxy-authorization")
}


def default_base_url() -> str:
    """``OPENAI_BASE_URL`` from the environment, else OpenAI's own."""
    return os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


#: Made once: ``json.dumps`` with any option builds a new encoder per call, which costs more than encoding.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(data: Any) -> bytes:
    """A JSON request body: compact, UTF-8, non-finite numbers refused."""
    return _ENCODER.encode(data).encode()


@dataclass(slots=True, kw_only=True)
class HTTPTransport(AppPlugin, Serializable):
    """Settings and plumbing shared by every OpenAI-compatible HTTP transport.

    ``api_key`` is used when given, else the environment variable named by ``api_key_env`` is read
    at each request; ``to_dict()`` writes the variable's name, and the key only with
    ``include_secrets=True``. ``pool=`` shares a :class:`TransportPool`; ``session=`` uses the
    caller's own ``aiohttp.ClientSession``, which is never closed here; with neither, the
    process-wide default pool is used.
    """

    #: The plugin metadata axio's transport loader reads.
    display_name: ClassVar[str] = "OpenAI-compatible"
    env_vars: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)

    base_url: str = setting(default_factory=default_base_url, rule=Url())
    api_key: str | None = setting(None, Text(optional=True, secret=True), secret=True)
    api_key_env: str = setting("OPENAI_API_KEY", Text())
    #: How the key is sent: ``bearer`` (``Authorization: Bearer``) or ``api-key`` (Azure's header).
    auth_scheme: Literal["bearer", "api-key"] = setting("bearer", Choice("bearer", "api-key"))
    headers: Mapping[str, str] = setting(default_factory=dict, rule=StringMap(header=True, refuse=_SECRET_HEADERS))
    #: Headers that carry credentials; written by ``to_dict`` only with ``include_secrets=True``.
    secret_headers: Mapping[str, str] = setting(default_factory=dict, rule=StringMap(header=True), secret=True)
    #: Query parameters for every request, such as Azure's ``api-version``.
    query: Mapping[str, str] = setting(default_factory=dict, rule=StringMap())
    timeouts: Timeouts = setting(default_factory=Timeouts, rule=Nested(Timeouts))
    retry: RetryPolicy = setting(default_factory=RetryPolicy, rule=Nested(RetryPolicy))
    #: Pacing under the account's rate limits: static ``rpm``/``tpm``, and the server's own headers.
    rate_limit: RateLimits = setting(default_factory=RateLimits, rule=Nested(RateLimits))
    pool: TransportPool | None = setting(None, Instance(TransportPool), runtime=True)
    session: aiohttp.ClientSession | None = setting(None, Instance(aiohttp.ClientSession), runtime=True)
    #: The account's shared limiter, by what it was looked up with (looked up once, not per request).
    _limiter: tuple[tuple[Any, ...], RateLimiter | None] | None = field(
        default=None, init=False, repr=False, compare=False, metadata={"runtime": True}
    )
    #: Request headers already built, by everything they depend on: built once, not per request.
    _header_cache: dict[tuple[Any, ...], dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False, metadata={"runtime": True}
    )

    def __post_init__(self) -> None:
        self._validate_common()

    def __setattr__(self, name: str, value: Any) -> None:
        # Every setting passes its rule here, once: the dataclass constructor assigns each field
        # through this, and so does a change after construction (axio-repl's ``/temperature 0.7``).
        object.__setattr__(self, name, check_setting(self, name, value))

    def _validate_common(self) -> None:
        """Checks across settings; each setting alone was checked as it was assigned."""
        if self.pool is not None and self.session is not None:
            raise ConfigurationError(f"{type(self).__name__}: pass pool= or session=, not both")

    # ── plumbing ────────────────────────────────────────────────────────────────────────────────

    def resolved_api_key(self) -> str | None:
        """The key this transport sends: ``api_key``, else the environment variable, else None."""
        return self.api_key or os.environ.get(self.api_key_env) or None

    def _require_key(self) -> str | None:
        key = self.resolved_api_key()
        if key is None and needs_key(self.base_url):
            raise ConfigurationError(
                f"no API key for {urlsplit(self.base_url).hostname}: pass api_key= or set the "
                f"{self.api_key_env} environment variable"
            )
        return key

    def _session(self) -> aiohttp.ClientSession:
        if self.session is not None:
            return self.session
        return (self.pool or default_pool()).session()

    def _request(
        self,
        method: str,
        path: str,
        *,
        repeat: Repeat,
        what: str,
        json_body: Any = None,
        body: bytes | Callable[[], aiohttp.FormData | aiohttp.MultipartWriter] | None = None,
        accept: str = "application/json",
    ) -> Request:
        """A prepared request to ``base_url + path``, with credentials and this transport's headers."""
        key = self._require_key()
        content_type = None
        if json_body is not None:
            content_type = "application/json"
            body = dumps(json_body)
        headers = self._headers(key, accept, content_type)
        return Request(method, self._url(path), headers, body, repeat, self.timeouts, what, self._pace(key, body))

    def _pace(self, key: str | None, body: Any) -> tuple[RateLimiter, float] | None:
        """The account's limiter and this request's estimated tokens (a JSON body's bytes / 4)."""
        looked_up = (key, self.base_url, self.rate_limit)
        cached = self._limiter
        if cached is None or cached[0] != looked_up:
            cached = (looked_up, limiter_for(self.base_url, key, self.rate_limit))
            object.__setattr__(self, "_limiter", cached)
        limiter = cached[1]
        if limiter is None:
            return None
        return limiter, len(body) / 4 if isinstance(body, bytes) else 0.0

    def _headers(self, key: str | None, accept: str | None, content_type: str | None) -> dict[str, str]:
        """The headers of a request (never mutated by the caller), built once per distinct set of inputs."""
        # The mappings are read-only (rules.py), so their identity stands for their content.
        cache_key = (key, accept, content_type, self.auth_scheme, id(self.headers), id(self.secret_headers))
        headers = self._header_cache.get(cache_key)
        if headers is None:
            # Every credential these headers carry is redacted from errors from now on (errors.py).
            register_secret(key)
            for value in self.secret_headers.values():
                register_secret(value)
            if len(self._header_cache) > 32:
                self._header_cache.clear()
            headers = self._header_cache[cache_key] = endpoint_headers(
                key=key,
                auth_scheme=self.auth_scheme,
                headers=self.headers,
                secret_headers=self.secret_headers,
                accept=accept,
                content_type=content_type,
            )
        return headers

    def _url(self, path: str) -> str:
        return endpoint_url(self.base_url, path, self.query)

    def _websocket_request(self, path: str, *, what: str, query: Mapping[str, str] | None = None) -> Request:
        """The opening handshake of a WebSocket at ``base_url + path`` (``ws(s)://``), with the same
        credentials, headers and query as an HTTP request; safe to repeat (nothing is billed yet)."""
        headers = self._headers(self._require_key(), None, None)
        url = endpoint_url(self.base_url, path, {**self.query, **(query or {})}, websocket=True)
        return Request("GET", url, headers, None, Repeat.SAFE, self.timeouts, what)

    def _url_request(self, url: str, *, accept: str, what: str) -> Request:
        """A ``GET`` of a URL an answer points to (a generated file). The key goes only to the server it
        belongs to; a storage host's URL is signed on its own and never sees it."""
        same_server = urlsplit(url).netloc == urlsplit(self.base_url).netloc
        headers = self._headers(self._require_key(), accept, None) if same_server else {"Accept": accept}
        return Request("GET", url, headers, None, Repeat.SAFE, self.timeouts, what)
