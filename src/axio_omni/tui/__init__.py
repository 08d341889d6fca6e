"""Settings screens for axio-tui, one per transport axio-omni registers (the ``tui`` extra: Textual).

Each is an ``axio.transport.settings`` entry point under the name of its transport's entry point
(``omni``, ``omni-azure``, ...; ``omni.embedding`` and so on for the other kinds), so axio-tui's
"Configure ..." command opens it. The core package never imports this one.
"""

from __future__ import annotations

from ..presets import OmniAzure, OmniLlamaCpp, OmniLMStudio, OmniOllama, OmniOpenRouter, OmniVLLM
from ..transports.chat import OpenAITransport
from ..transports.embeddings import OpenAIEmbeddingTransport
from ..transports.images import OpenAIImageTransport
from ..transports.realtime import OpenAIRealtimeTransport
from ..transports.responses import OpenAIResponsesTransport
from ..transports.sound import OpenAIAudioGenTransport
from ..transports.stt import OpenAISTTTransport
from ..transports.tts import OpenAITTSTransport
from ..transports.videos import OpenAIVideoTransport
from .screen import TransportSettingsScreen, settings_screen

__all__ = [
    "AudioGenSettingsScreen",
    "AzureSettingsScreen",
    "ChatSettingsScreen",
    "EmbeddingSettingsScreen",
    "ImageSettingsScreen",
    "LMStudioSettingsScreen",
    "LlamaCppSettingsScreen",
    "OllamaSettingsScreen",
    "OpenRouterSettingsScreen",
    "RealtimeSettingsScreen",
    "ResponsesSettingsScreen",
    "STTSettingsScreen",
    "TTSSettingsScreen",
    "TransportSettingsScreen",
    "VLLMSettingsScreen",
    "VideoSettingsScreen",
]

SAMPLING = ("temperature", "max_tokens", "reasoning_effort")

# ── every kind of transport ────────────────────────────────────────────────────────────────────
ChatSettingsScreen = settings_screen(
    "ChatSettingsScreen", OpenAITransport, "axio-omni: OpenAI-compatible chat", ("name", *SAMPLING)
)
ResponsesSettingsScreen = settings_screen(
    "ResponsesSettingsScreen",
    OpenAIResponsesTransport,
    "axio-omni: OpenAI Responses API",
    ("name", *SAMPLING, "reasoning_summary", "store", "chain"),
)
EmbeddingSettingsScreen = settings_screen(
    "EmbeddingSettingsScreen",
    OpenAIEmbeddingTransport,
    "axio-omni: embeddings",
    ("dimensions", "max_concurrency", "cache"),
)
TTSSettingsScreen = settings_screen(
    "TTSSettingsScreen",
    OpenAITTSTransport,
    "axio-omni: text to speech",
    ("voice", "response_format", "speed", "instructions"),
)
STTSettingsScreen = settings_screen(
    "STTSettingsScreen", OpenAISTTTransport, "axio-omni: speech to text", ("language", "temperature", "response_format")
)
ImageSettingsScreen = settings_screen(
    "ImageSettingsScreen",
    OpenAIImageTransport,
    "axio-omni: images",
    ("size", "quality", "output_format", "background", "moderation"),
)
VideoSettingsScreen = settings_screen(
    "VideoSettingsScreen",
    OpenAIVideoTransport,
    "axio-omni: video",
    ("size", "seconds", "dialect", "delete_after_download"),
)
AudioGenSettingsScreen = settings_screen(
    "AudioGenSettingsScreen",
    OpenAIAudioGenTransport,
    "axio-omni: sound generation",
    ("duration_seconds", "prompt_influence"),
)
RealtimeSettingsScreen = settings_screen(
    "RealtimeSettingsScreen",
    OpenAIRealtimeTransport,
    "axio-omni: realtime voice",
    ("voice", "modality", "vad_type", "eagerness", "transcription_model", "max_output_tokens", "temperature"),
)

# ── the provider presets ───────────────────────────────────────────────────────────────────────
AzureSettingsScreen = settings_screen(
    "AzureSettingsScreen",
    OmniAzure,
    "axio-omni: Azure OpenAI",
    ("endpoint", "deployment", "api_version", "v1", "model", *SAMPLING),
    common=("api_key_env", "api_key"),  # the base URL follows from the endpoint
)
OpenRouterSettingsScreen = settings_screen(
    "OpenRouterSettingsScreen", OmniOpenRouter, "axio-omni: OpenRouter", ("app_url", "app_title", "provider", *SAMPLING)
)
OllamaSettingsScreen = settings_screen("OllamaSettingsScreen", OmniOllama, "axio-omni: Ollama", SAMPLING)
LMStudioSettingsScreen = settings_screen("LMStudioSettingsScreen", OmniLMStudio, "axio-omni: LM Studio", SAMPLING)
LlamaCppSettingsScreen = settings_screen(
    "LlamaCppSettingsScreen", OmniLlamaCpp, "axio-omni: llama.cpp", ("temperature", "max_tokens")
)
VLLMSettingsScreen = settings_screen("VLLMSettingsScreen", OmniVLLM, "axio-omni: vLLM", SAMPLING)
