"""Provider presets: the transports set up for one provider each, with its address, its key, its
headers and what its server ignores. Each is an ``axio.transport`` entry point (chat) of the same
name in kebab case (``OmniOllama`` is ``omni-ollama``), with a settings screen for axio-tui."""

from __future__ import annotations

from .azure import (
    AZURE_API_VERSION,
    OmniAzure,
    OmniAzureEmbedding,
    OmniAzureImages,
    OmniAzureSTT,
    OmniAzureTTS,
)
from .local import OmniLlamaCpp, OmniLMStudio, OmniOllama, OmniVLLM
from .openrouter import OPENROUTER_URL, OmniOpenRouter

__all__ = [
    "AZURE_API_VERSION",
    "OPENROUTER_URL",
    "OmniAzure",
    "OmniAzureEmbedding",
    "OmniAzureImages",
    "OmniAzureSTT",
    "OmniAzureTTS",
    "OmniLMStudio",
    "OmniLlamaCpp",
    "OmniOllama",
    "OmniOpenRouter",
    "OmniVLLM",
]
