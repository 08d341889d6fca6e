"""Settings screens of the provider presets (``axio_omni.presets``)."""

from __future__ import annotations

from typing import ClassVar

from ..presets import OmniAzure, OmniLlamaCpp, OmniLMStudio, OmniOllama, OmniOpenRouter, OmniVLLM
from .screen import TransportSettingsScreen

__all__ = [
    "AzureSettingsScreen",
    "LMStudioSettingsScreen",
    "LlamaCppSettingsScreen",
    "OllamaSettingsScreen",
    "OpenRouterSettingsScreen",
    "VLLMSettingsScreen",
]

SAMPLING = ("temperature", "max_tokens", "reasoning_effort")


class AzureSettingsScreen(TransportSettingsScreen):
    transport = OmniAzure
    title_text: ClassVar[str] = "axio-omni: Azure OpenAI"
    # The base URL follows from the endpoint.
    common = ("api_key_env", "api_key")
    own = ("endpoint", "deployment", "api_version", "v1", "model", *SAMPLING)


class OpenRouterSettingsScreen(TransportSettingsScreen):
    transport = OmniOpenRouter
    title_text: ClassVar[str] = "axio-omni: OpenRouter"
    own = ("app_url", "app_title", "provider", *SAMPLING)


class OllamaSettingsScreen(TransportSettingsScreen):
    transport = OmniOllama
    title_text: ClassVar[str] = "axio-omni: Ollama"
    own = ("temperature", "max_tokens", "reasoning_effort")


class LMStudioSettingsScreen(TransportSettingsScreen):
    transport = OmniLMStudio
    title_text: ClassVar[str] = "axio-omni: LM Studio"
    own = SAMPLING


class LlamaCppSettingsScreen(TransportSettingsScreen):
    transport = OmniLlamaCpp
    title_text: ClassVar[str] = "axio-omni: llama.cpp"
    own = ("temperature", "max_tokens")


class VLLMSettingsScreen(TransportSettingsScreen):
    transport = OmniVLLM
    title_text: ClassVar[str] = "axio-omni: vLLM"
    own = SAMPLING
