"""The packaged catalogue of chat models (``models.json``) and how an unknown id becomes a ``ModelSpec``."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files

from axio.models import Capability, ModelRegistry, ModelSpec

from .serial import model_from_json

__all__ = ["DEFAULT_CHAT_MODEL", "chat_catalogue", "is_chat_model", "model_spec"]

DEFAULT_CHAT_MODEL = "gpt-4.1-mini"
#: What an id the catalogue does not know is assumed to do. Tool use is included because axio's
#: Agent withholds every tool from a model that does not declare it, and most served models call tools.
_ASSUMED = frozenset({Capability.text, Capability.tool_use})
#: Ids that name models for other endpoints: embeddings (OpenAI's and the common open families),
#: speech, transcription, realtime sessions, images, video, moderation, reranking. A server's ``/models`` lists them
#: beside its chat models; offered as chat models with tools, they fail on the first turn.
_NOT_CHAT = re.compile(
    r"embed|(^|[-_/.])(bge|e5|gte|minilm|mpnet|nomic|mxbai|arctic-embed|rerank|reranker)([-_/.]|$)"
    r"|(^|[-_/])(tts|whisper|dall-e|gpt-image|sora|moderation|omni-moderation)([-_/]|$)|transcribe|-tts|realtime",
    re.I,
)


@cache
def _catalogue() -> tuple[ModelSpec, ...]:
    raw = json.loads(files(__package__).joinpath("models.json").read_text("utf-8"))
    return tuple(model_from_json(m, f"models.json[{i}]") for i, m in enumerate(raw["models"]))


def chat_catalogue() -> ModelRegistry:
    """A fresh registry of the packaged chat models."""
    return ModelRegistry(_catalogue())


def is_chat_model(model_id: str) -> bool:
    """Whether ``model_id`` looks like a chat model rather than one for embeddings, speech or images."""
    return not _NOT_CHAT.search(model_id)


def model_spec(model: str | ModelSpec) -> ModelSpec:
    """``model`` as a ``ModelSpec``: the catalogue's entry for a known id, else text and tool use."""
    if isinstance(model, ModelSpec):
        return model
    for spec in _catalogue():
        if spec.id == model:
            return spec
    return ModelSpec(id=model, capabilities=_ASSUMED)
