"""What axio-tui and axio-repl ask of a transport class, answered once for every transport.

axio's loader (``axio.transport.TransportEntry``) reads plugin metadata off the class and opens it
with the settings an app saved, every value a string. :class:`AppPlugin` gives each transport:

- ``open_for_app(session=..., **settings)``: the settings parsed by the field rules (``"0.5"``,
  ``"1024"``, ``"true"``), an unknown one refused by name, the model list fetched, and, when the
  server is down, a watcher that takes the live list as soon as the server answers;
- ``has_credentials(config)``: a key in the environment or the config, or a server that takes none
  (loopback, a private network);
- ``format_error(error)``: one line with status, message and request id;
- ``auto_select`` and ``default_models`` (role to model id) for the apps' first choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

from ..describe import format_error
from ..errors import ConfigurationError
from ..hosts import is_keyless_host

__all__ = ["AppPlugin", "ListsModels", "app_settings"]


#: Names the apps use for our settings: axio-repl's ``max_output_tokens`` is our ``max_tokens``.
ALIASES = {"max_output_tokens": "max_tokens"}


@runtime_checkable
class ListsModels(Protocol):
    """A transport with a model list from its server (the chat transports)."""

    models_pending: bool

    async def fetch_models(self) -> Any: ...
    async def watch_models(self) -> None: ...


def _field_default(cls: type, name: str) -> Any:
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
    return None


def app_settings(cls: type, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` as an app saved them, as constructor keywords: aliases renamed, empty strings
    left to the defaults, an unknown name refused with the names that are known. Values stay as
    given; the constructor's rules parse the strings."""
    known = {f.name for f in dataclasses.fields(cls) if f.init and not f.metadata.get("runtime")}
    out: dict[str, Any] = {}
    for key, value in settings.items():
        name = key if key in known else ALIASES.get(key, key)
        if name not in known:
            raise ConfigurationError(f"{cls.__name__}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[name] = value
    return out


class AppPlugin:
    """The plugin API of axio's apps, mixed into every transport (a dataclass with ``base_url``,
    ``api_key_env`` and ``env_vars``)."""

    __slots__ = ()

    env_vars: ClassVar[tuple[str, ...]]
    #: Whether axio-repl may pick this transport on its own when it finds credentials.
    auto_select: ClassVar[bool] = True
    #: The model axio-tui takes for each role (chat, vision, reasoning, compact, guard, subagent)
    #: when the user has chosen none and the server lists it.
    default_models: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def has_credentials(cls, config: Mapping[str, str] | None = None) -> bool:
        """Whether this transport can authenticate as configured: a key in the config or the
        environment (``api_key_env`` or one of ``env_vars``), or a server that takes none (one on
        this machine or a private network)."""
        config = config or {}
        variables = {config.get("api_key_env") or _field_default(cls, "api_key_env"), *cls.env_vars}
        if config.get("api_key") or any(v and os.environ.get(v) for v in variables):
            return True
        base_url = config.get("base_url") or _field_default(cls, "base_url")
        return isinstance(base_url, str) and is_keyless_host(base_url)

    @staticmethod
    def format_error(error: BaseException) -> str:
        """One line for ``error``: kind, message, status, code and request id; never a key."""
        return format_error(error)

    @classmethod
    @contextlib.asynccontextmanager
    async def open_for_app(cls, *, session: Any = None, **settings: Any) -> AsyncIterator[Self]:
        """A ready transport built from an app's saved settings (strings are parsed by the field
        rules), with its model list loaded when it has one. A server that is down does not fail the
        opening: the packaged catalogue stands in and the live list is taken when the server answers."""
        build: Any = cls  # a transport dataclass, whose fields app_settings checked
        transport: Self = build(session=session, **app_settings(cls, settings))
        watcher: asyncio.Task[None] | None = None
        lister: object = transport  # a chat transport lists models; the others do not
        if isinstance(lister, ListsModels):
            await lister.fetch_models()
            if lister.models_pending:
                watcher = asyncio.create_task(lister.watch_models(), name=f"{cls.__name__} model list")
        try:
            yield transport
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
