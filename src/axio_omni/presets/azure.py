"""Azure OpenAI: a deployment of a model in an Azure resource, for chat, embeddings, speech and images.

Two ways to reach it, as Azure offers them:

- the deployment paths (the default): ``{endpoint}/openai/deployments/{deployment}/chat/completions
  ?api-version=2024-10-21``, and the same for ``/embeddings``, ``/audio/speech``,
  ``/audio/transcriptions`` and ``/images/generations``;
- the v1 GA paths (``v1=True``): ``{endpoint}/openai/v1/chat/completions``, no ``api-version``,
  the deployment named in the body's ``model``.

The key goes in an ``api-key`` header (never ``Authorization``), from ``AZURE_OPENAI_API_KEY`` by
default. With Entra ID, ``token_provider`` is called for each request and its token goes out as
``Authorization: Bearer`` (``azure.identity.get_bearer_token_provider(credential,
"https://cognitiveservices.azure.com/.default")`` returns one; it caches and refreshes the token).
It must return the token itself: an async provider is refused, as a request cannot wait for it.

``deployment`` is what Azure serves; ``model`` (chat) says which model it is, for its capabilities,
and defaults to the deployment's own name. Azure cannot list deployments with a key, so the model
list is the deployment alone.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from axio.messages import Message
from axio.models import ModelRegistry, ModelSpec
from axio.tool import Tool

from ..errors import ConfigurationError
from ..fields import setting
from ..models import model_spec
from ..rules import Custom, Flag, Function, Refused, Text, Url
from ..transports.base import HTTPTransport
from ..transports.chat import MODEL, OpenAITransport
from ..transports.embeddings import OpenAIEmbeddingTransport
from ..transports.images import OpenAIImageTransport
from ..transports.request import endpoint_url
from ..transports.stt import OpenAISTTTransport
from ..transports.tts import OpenAITTSTransport

__all__ = [
    "AZURE_API_VERSION",
    "AzureEndpoint",
    "OmniAzure",
    "OmniAzureEmbedding",
    "OmniAzureImages",
    "OmniAzureSTT",
    "OmniAzureTTS",
]

#: The latest GA data-plane version of the deployment paths.
AZURE_API_VERSION = "2024-10-21"


def _model(value: Any) -> Any:
    if value == "" or isinstance(value, (str, ModelSpec)):
        return value
    raise Refused


_AZURE_MODEL = Custom("a ModelSpec, a model id, or empty for the deployment's name", _model, MODEL.read)


@dataclass(kw_only=True)
class AzureEndpoint:
    """The Azure settings every Azure preset adds, and the URLs and credentials they lead to."""

    __slots__ = ()

    env_vars: ClassVar[tuple[str, ...]] = ("AZURE_OPENAI_API_KEY",)
    #: Whether the deployment is also the body's ``model`` (embeddings, speech, images); chat names
    #: the model it serves on its own, for its capabilities.
    deployment_is_model: ClassVar[bool] = True

    # A factory, not a default: a plain default would be a class attribute of this mixin, which
    # hides the transport's own slot for the field.
    api_key_env: str = setting(default_factory=lambda: "AZURE_OPENAI_API_KEY", rule=Text())
    #: ``https://<resource>.openai.azure.com`` (or ``.cognitiveservices.azure.com``).
    endpoint: str = setting(default_factory=lambda: os.environ.get("AZURE_OPENAI_ENDPOINT", ""), rule=Url())
    #: The deployment's name, as created in the Azure portal or CLI.
    deployment: str = setting(default_factory=lambda: os.environ.get("AZURE_OPENAI_DEPLOYMENT", ""), rule=Text())
    api_version: str = setting(
        default_factory=lambda: os.environ.get("OPENAI_API_VERSION", AZURE_API_VERSION), rule=Text()
    )
    #: Use the v1 GA paths (``/openai/v1/...``, no ``api-version``).
    v1: bool = setting(False, Flag())
    #: Entra ID: returns a bearer token for each request (instead of a key).
    token_provider: Callable[[], str] | None = setting(
        None, Function("a callable returning an Entra ID token"), runtime=True
    )

    def __post_init__(self) -> None:
        # base_url follows the resource, so that its key goes to it and nowhere else; a token goes
        # in Authorization: Bearer, a key in api-key.
        object.__setattr__(self, "base_url", self.endpoint.rstrip("/") + "/openai")
        object.__setattr__(self, "auth_scheme", "bearer" if self.token_provider is not None else "api-key")
        if self.deployment_is_model:
            object.__setattr__(self, "model", self.deployment)
        super().__post_init__()  # type: ignore[misc]  # the transport's own checks

    def _url(self, path: str) -> str:
        query: Mapping[str, str] = getattr(self, "query", {})
        if self.v1:
            return endpoint_url(f"{self.endpoint}/openai/v1", path, query)
        base = f"{self.endpoint}/openai/deployments/{quote(self.deployment, safe='')}"
        return endpoint_url(base, path, {"api-version": self.api_version, **query})

    def _require_key(self) -> str | None:
        if self.token_provider is None:
            return HTTPTransport._require_key(self)  # type: ignore[arg-type]  # mixed into one
        token = self.token_provider()
        if inspect.isawaitable(token):
            close = getattr(token, "close", None)
            if callable(close):
                close()
            raise ConfigurationError(
                f"{type(self).__name__}.token_provider returned an awaitable: pass a provider that "
                "returns the token (azure.identity.get_bearer_token_provider, not the .aio one)"
            )
        if not isinstance(token, str) or not token:
            raise ConfigurationError(f"{type(self).__name__}.token_provider returned no token")
        return token


@dataclass(slots=True, kw_only=True)
class OmniAzure(AzureEndpoint, OpenAITransport):
    """Chat completions from an Azure OpenAI deployment."""

    type_name = "omni-azure"
    display_name: ClassVar[str] = "Azure OpenAI (omni)"
    default_models: ClassVar[Mapping[str, str]] = {}
    deployment_is_model: ClassVar[bool] = False

    name: str = setting("Azure OpenAI (omni)", Text())
    #: The model the deployment serves, for its capabilities; empty for the deployment's own name.
    model: ModelSpec | str = setting("", _AZURE_MODEL)

    def __post_init__(self) -> None:
        if self.model == "":
            object.__setattr__(self, "model", self.deployment)
        AzureEndpoint.__post_init__(self)
        self.models = ModelRegistry([self.spec])

    async def fetch_models(self) -> ModelRegistry:
        """The deployment alone: Azure lists no deployments to a key."""
        return self.models

    def build_payload(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> dict[str, Any]:
        body = OpenAITransport.build_payload(self, messages, tools, system)
        body["model"] = self.deployment  # the v1 paths route by it; the deployment paths ignore it
        return body

    def with_model(self, model: str | ModelSpec) -> OmniAzure:
        spec = model if isinstance(model, ModelSpec) else model_spec(model)
        return OpenAITransport.with_model(self, spec)


@dataclass(slots=True, kw_only=True)
class OmniAzureEmbedding(AzureEndpoint, OpenAIEmbeddingTransport):
    """Embeddings from an Azure OpenAI deployment."""

    type_name = "omni-azure-embedding"
    display_name: ClassVar[str] = "Azure OpenAI embeddings (omni)"


@dataclass(slots=True, kw_only=True)
class OmniAzureTTS(AzureEndpoint, OpenAITTSTransport):
    """Speech from an Azure OpenAI deployment (``/audio/speech``)."""

    type_name = "omni-azure-tts"
    display_name: ClassVar[str] = "Azure OpenAI speech (omni)"


@dataclass(slots=True, kw_only=True)
class OmniAzureSTT(AzureEndpoint, OpenAISTTTransport):
    """Transcription from an Azure OpenAI deployment (``/audio/transcriptions``)."""

    type_name = "omni-azure-stt"
    display_name: ClassVar[str] = "Azure OpenAI transcription (omni)"


@dataclass(slots=True, kw_only=True)
class OmniAzureImages(AzureEndpoint, OpenAIImageTransport):
    """Images from an Azure OpenAI deployment (``/images/generations``, ``/images/edits``)."""

    type_name = "omni-azure-images"
    display_name: ClassVar[str] = "Azure OpenAI images (omni)"
