"""Settings screens for axio-tui, one per transport axio-omni registers (the ``tui`` extra: Textual).

Each is an ``axio.transport.settings`` entry point under the name of its transport's entry point,
so axio-tui's "Configure ..." command opens it. The core package never imports this one.
"""

from __future__ import annotations

from typing import ClassVar

from ..transports.chat import OpenAITransport
from ..transports.embeddings import OpenAIEmbeddingTransport
from ..transports.images import OpenAIImageTransport
from ..transports.realtime import OpenAIRealtimeTransport
from ..transports.responses import OpenAIResponsesTransport
from ..transports.sound import OpenAIAudioGenTransport
from ..transports.stt import OpenAISTTTransport
from ..transports.tts import OpenAITTSTransport
from ..transports.videos import OpenAIVideoTransport
from .presets import (
    AzureSettingsScreen,
    LlamaCppSettingsScreen,
    LMStudioSettingsScreen,
    OllamaSettingsScreen,
    OpenRouterSettingsScreen,
    VLLMSettingsScreen,
)
from .screen import TransportSettingsScreen

__all__ = [
    "AudioGenSettingsScreen",
    "AzureSettingsScreen",
    "LMStudioSettingsScreen",
    "LlamaCppSettingsScreen",
    "OllamaSettingsScreen",
    "OpenRouterSettingsScreen",
    "VLLMSettingsScreen",
    "ChatSettingsScreen",
    "EmbeddingSettingsScreen",
    "ImageSettingsScreen",
    "RealtimeSettingsScreen",
    "ResponsesSettingsScreen",
    "STTSettingsScreen",
    "TTSSettingsScreen",
    "TransportSettingsScreen",
    "VideoSettingsScreen",
]

_SAMPLING = ("temperature", "max_tokens", "reasoning_effort")


class ChatSettingsScreen(TransportSettingsScreen):
    transport = OpenAITransport
    title_text: ClassVar[str] = "axio-omni: OpenAI-compatible chat"
    own = ("name", *_SAMPLING)


class ResponsesSettingsScreen(TransportSettingsScreen):
    transport = OpenAIResponsesTransport
    title_text: ClassVar[str] = "axio-omni: OpenAI Responses API"
    own = ("name", *_SAMPLING, "reasoning_summary", "store", "chain")


class EmbeddingSettingsScreen(TransportSettingsScreen):
    transport = OpenAIEmbeddingTransport
    title_text: ClassVar[str] = "axio-omni: embeddings"
    own = ("dimensions", "max_concurrency", "cache")


class TTSSettingsScreen(TransportSettingsScreen):
    transport = OpenAITTSTransport
    title_text: ClassVar[str] = "axio-omni: text to speech"
    own = ("voice", "response_format", "speed", "instructions")


class STTSettingsScreen(TransportSettingsScreen):
    transport = OpenAISTTTransport
    title_text: ClassVar[str] = "axio-omni: speech to text"
    own = ("language", "temperature", "response_format")


class ImageSettingsScreen(TransportSettingsScreen):
    transport = OpenAIImageTransport
    title_text: ClassVar[str] = "axio-omni: images"
    own = ("size", "quality", "output_format", "background", "moderation")


class VideoSettingsScreen(TransportSettingsScreen):
    transport = OpenAIVideoTransport
    title_text: ClassVar[str] = "axio-omni: video"
    own = ("size", "seconds", "dialect", "delete_after_download")


class AudioGenSettingsScreen(TransportSettingsScreen):
    transport = OpenAIAudioGenTransport
    title_text: ClassVar[str] = "axio-omni: sound generation"
    own = ("duration_seconds", "prompt_influence")


class RealtimeSettingsScreen(TransportSettingsScreen):
    transport = OpenAIRealtimeTransport
    title_text: ClassVar[str] = "axio-omni: realtime voice"
    own = ("voice", "modality", "vad_type", "eagerness", "transcription_model", "max_output_tokens", "temperature")
