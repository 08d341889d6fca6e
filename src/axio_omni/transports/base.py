"""What every HTTP transport shares: endpoint, credentials, headers, timeouts, retry, sessions.

Each transport is a keyword-only dataclass inheriting :class:`HTTPTransport`; its own settings are
more fields. Validation runs at construction (``__post_init__``), so a bad value fails where it was
written, not at the first request.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode, urlsplit

import aiohttp

from ..errors import ConfigurationError
from ..pool import TransportPool, default_pool
from ..retry import RetryPolicy
from ..serial import Serializable
from .http import Request

__all__ = [
    "DEFAULT_BASE_URL",
    "HTTPTransport",
    "Timeouts",
    "default_base_url",
    "json_fields",
    "require_positive",
    "require_text",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Header names that carry credentials; they belong in ``secret_headers``, which is never written
#: by ``to_dict()`` unless asked.
_SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "cookie", "proxy-authorization")
#: Hosts that never answer without a key, so a missing key fails before the request.
_KEYED_HOSTS = ("api.openai.com", ".openai.azure.com", "openrouter.ai")


@functools.lru_cache(maxsize=64)
def _needs_key(base_url: str) -> bool:
    """Whether ``base_url`` is a host that never answers without a key (cached: asked per request)."""
    host = urlsplit(base_url).hostname or ""
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in _KEYED_HOSTS)


def default_base_url() -> str:
    """``OPENAI_BASE_URL`` from the environment, else OpenAI's own."""
    return os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts(Serializable):
    """Per-request I/O bounds in seconds (None for none); the whole call's bound is ``RetryPolicy.deadline``."""

    type_name = "timeouts"

    #: Establishing a connection, including DNS and TLS.
    connect: float | None = 10.0
    #: The longest silence between two pieces of a response, the first byte included.
    read: float | None = 120.0

    def __post_init__(self) -> None:
        for name in ("connect", "read"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise ConfigurationError(f"Timeouts.{name} must be a positive number or None, got {value!r}")


def require_text(name: str, value: object) -> None:
    """Raise naming ``name`` unless ``value`` is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string, got {value!r}")


def require_positive(name: str, value: object, *, optional: bool = False, minimum: int = 1) -> None:
    """Raise naming ``name`` unless ``value`` is an integer of at least ``minimum`` (or None, if ``optional``)."""
    if optional and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
        raise ConfigurationError(f"{name} must be {what}{' or None' if optional else ''}, got {value!r}")


def json_fields(value: object, name: str, *, reserved: tuple[str, ...]) -> Mapping[str, Any]:
    """``value`` checked as extra JSON body fields that set none of ``reserved``, and frozen."""
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{name} must be a mapping, got {type(value).__name__}")
    clash = sorted(set(reserved) & set(value))
    if clash:
        raise ConfigurationError(f"{name}[{clash[0]!r}] is set by the transport itself")
    try:
        json.dumps(dict(value), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name} is not JSON data: {exc}") from None
    return MappingProxyType(dict(value))


def _frozen_map(value: Mapping[str, str], name: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{name} must be a mapping of strings, got {type(value).__name__}")
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ConfigurationError(f"{name}[{k!r}]: keys and values must be strings")
        if any(c in k + v for c in "\r\n\0"):
            raise ConfigurationError(f"{name}[{k!r}]: line breaks are not allowed in headers")
    return MappingProxyType(dict(value))


@dataclass(slots=True, kw_only=True)
class HTTPTransport(Serializable):
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

    base_url: str = field(default_factory=default_base_url)
    api_key: str | None = field(default=None, repr=False, metadata={"secret": True})
    api_key_env: str = "OPENAI_API_KEY"
    #: How the key is sent: ``bearer`` (``Authorization: Bearer``) or ``api-key`` (Azure's header).
    auth_scheme: Literal["bearer", "api-key"] = "bearer"
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Headers that carry credentials; written by ``to_dict`` only with ``include_secrets=True``.
    secret_headers: Mapping[str, str] = field(default_factory=dict, repr=False, metadata={"secret": True})
    #: Query parameters for every request, such as Azure's ``api-version``.
    query: Mapping[str, str] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pool: TransportPool | None = field(default=None, repr=False, compare=False, metadata={"runtime": True})
    session: aiohttp.ClientSession | None = field(default=None, repr=False, compare=False, metadata={"runtime": True})

    def __post_init__(self) -> None:
        self._validate_common()

    def _validate_common(self) -> None:
        if not isinstance(self.base_url, str):
            raise ConfigurationError(f"base_url must be a string, got {type(self.base_url).__name__}")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"base_url must be an http(s) URL with a host, got {self.base_url!r}")
        if parts.query or parts.fragment:
            raise ConfigurationError(f"base_url must not carry a query or fragment (use query=), got {self.base_url!r}")
        self.base_url = self.base_url.rstrip("/")
        if self.api_key is not None and (not isinstance(self.api_key, str) or not self.api_key.strip()):
            raise ConfigurationError("api_key must be a non-empty string or None")
        if not isinstance(self.api_key_env, str) or not self.api_key_env:
            raise ConfigurationError(f"api_key_env must name an environment variable, got {self.api_key_env!r}")
        if self.auth_scheme not in ("bearer", "api-key"):
            raise ConfigurationError(f"auth_scheme must be 'bearer' or 'api-key', got {self.auth_scheme!r}")
        self.headers = _frozen_map(self.headers, "headers")
        self.secret_headers = _frozen_map(self.secret_headers, "secret_headers")
        self.query = _frozen_map(self.query, "query")
        for name in self.headers:
            if name.lower() in _SECRET_HEADERS:
                raise ConfigurationError(
                    f"headers[{name!r}] carries a credential: pass it as api_key= or secret_headers= "
                    "so that to_dict() and repr() do not expose it"
                )
        if not isinstance(self.timeouts, Timeouts):
            raise ConfigurationError(f"timeouts must be a Timeouts, got {type(self.timeouts).__name__}")
        if not isinstance(self.retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, got {type(self.retry).__name__}")
        if self.pool is not None and self.session is not None:
            raise ConfigurationError("pass pool= or session=, not both")
        if self.pool is not None and not isinstance(self.pool, TransportPool):
            raise ConfigurationError(f"pool must be a TransportPool, got {type(self.pool).__name__}")
        if self.session is not None and not isinstance(self.session, aiohttp.ClientSession):
            raise ConfigurationError(f"session must be an aiohttp.ClientSession, got {type(self.session).__name__}")

    # ── plumbing ────────────────────────────────────────────────────────────────────────────────

    def resolved_api_key(self) -> str | None:
        """The key this transport sends: ``api_key``, else the environment variable, else None."""
        return self.api_key or os.environ.get(self.api_key_env) or None

    def _require_key(self) -> str | None:
        key = self.resolved_api_key()
        if key is None and _needs_key(self.base_url):
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
        json_body: Any = None,
        body: bytes | Callable[[], aiohttp.FormData] | None = None,
        accept: str = "application/json",
        idempotent: bool = False,
    ) -> Request:
        """A prepared request to ``base_url + path``, with credentials and this transport's headers."""
        key = self._require_key()
        headers = {"Accept": accept, "User-Agent": "axio-omni/0.1", **self.headers, **self.secret_headers}
        if key is not None:
            if self.auth_scheme == "bearer":
                headers["Authorization"] = f"Bearer {key}"
            else:
                headers["api-key"] = key
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
        url = self.base_url + path
        if self.query:
            url += "?" + urlencode(dict(self.query))
        return Request(
            method=method,
            url=url,
            headers=headers,
            body=body,
            connect_timeout=self.timeouts.connect,
            read_timeout=self.timeouts.read,
            secret=key,
            idempotent=idempotent,
        )

    @classmethod
    def has_credentials(cls, config: Mapping[str, str] | None = None) -> bool:
        """axio's loader asks this: whether a key is configured for this transport."""
        return any(os.environ.get(k) or (config or {}).get(k) for k in cls.env_vars)
