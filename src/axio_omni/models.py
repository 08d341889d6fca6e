"""The packaged catalogue of chat models (``models.json``) and how an unknown id becomes a ``ModelSpec``."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from axio.models import ModelRegistry, ModelSpec

from .serial import model_from_json
from .wire.model_list import ASSUMED, kind_of_id

__all__ = ["DEFAULT_CHAT_MODEL", "catalogued", "chat_catalogue", "is_chat_model", "model_spec"]

DEFAULT_CHAT_MODEL = "gpt-4.1-mini"


@cache
def _catalogue() -> tuple[ModelSpec, ...]:
    raw = json.loads(files(__package__).joinpath("models.json").read_text("utf-8"))
    return tuple(model_from_json(m, f"models.json[{i}]") for i, m in enumerate(raw["models"]))


def chat_catalogue() -> ModelRegistry:
    """A fresh registry of the packaged chat models."""
    return ModelRegistry(_catalogue())


def is_chat_model(model_id: str) -> bool:
    """Whether ``model_id`` looks like a chat model rather than one for embeddings, speech or images."""
    return kind_of_id(model_id) == "chat"


def model_spec(model: str | ModelSpec) -> ModelSpec:
    """``model`` as a ``ModelSpec``: the catalogue's entry for a known id, else text and tool use."""
    if isinstance(model, ModelSpec):
        return model
    return catalogued(model) or ModelSpec(id=model, capabilities=ASSUMED)


def catalogued(model_id: str) -> ModelSpec | None:
    """The packaged catalogue's spec of ``model_id``, if it has one."""
    return next((spec for spec in _catalogue() if spec.id == model_id), None)
