"""The chat transport's argument checks and model settings, shared with its presets and the
Responses transport."""

from __future__ import annotations

from typing import Any

from axio.models import ModelRegistry, ModelSpec

from ..errors import ConfigurationError
from ..rules import Custom, Refused
from ..serial import model_from_json, registry_from_json

__all__ = ["AUTO_MODEL", "MODEL", "MODELS", "NOTHING_TO_SEND", "OWN_FIELDS", "WATCH_WAITS", "check_arguments"]


NOTHING_TO_SEND = "messages: nothing to send (no system prompt and no message with content)"


def check_arguments(messages: Any, tools: Any, system: Any) -> None:
    """Refuse arguments of the wrong type before anything is built, naming the argument."""
    if not isinstance(messages, list):
        raise ConfigurationError(f"messages must be a list of axio Messages, got {type(messages).__name__}")
    if not isinstance(tools, list):
        raise ConfigurationError(f"tools must be a list of axio Tools, got {type(tools).__name__}")
    if not isinstance(system, str):
        raise ConfigurationError(f"system must be a string, got {type(system).__name__}")


#: Body fields this transport writes itself; ``extra_body`` may not replace them.
OWN_FIELDS = ("messages", "stream", "model")
#: Seconds between tries of a server that was down when the transport opened, doubling to the last.
WATCH_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
#: The model id that means "the first chat model the server lists" (the local presets' default).
AUTO_MODEL = "auto"


def _model(value: Any) -> Any:
    if isinstance(value, ModelSpec) or (isinstance(value, str) and value):
        return value
    raise Refused


def _registry(value: Any) -> Any:
    if not isinstance(value, ModelRegistry):
        raise Refused
    return value


MODEL = Custom(
    "a ModelSpec or a non-empty model id",
    _model,
    lambda v: v if isinstance(v, str) and v else model_from_json(v, "model"),
)
MODELS = Custom("a ModelRegistry", _registry, lambda v: registry_from_json(v, "models"))
