"""The emulator's realtime session: OpenAI's GA defaults, and ``session.update`` checked as strictly.

:func:`apply_update` takes every field of the GA session (tracing, prompt, truncation ...), refuses
what OpenAI refuses with the same codes (``unknown_parameter``, ``invalid_value``,
``invalid_type``, ``missing_required_parameter``) and the parameter's path, and merges the rest:
``audio.input`` and ``audio.output`` field by field, ``turn_detection`` whole, filled with its
defaults so the echo states the effective session (``interrupt_response`` included). Optional
fields that are off are left out of the echo rather than sent as null where the schema has no null.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LOGPROBS",
    "Problem",
    "apply_transcription_update",
    "apply_update",
    "default_session",
    "default_transcription_session",
]

_SESSION_KEYS = frozenset(
    {
        "type", "output_modalities", "model", "instructions", "audio", "include", "tracing", "tools",
        "tool_choice", "parallel_tool_calls", "reasoning", "max_output_tokens", "truncation", "prompt",
    }
)  # fmt: skip
_INPUT_KEYS = frozenset({"format", "transcription", "noise_reduction", "turn_detection"})
_OUTPUT_KEYS = frozenset({"format", "voice", "speed"})
_VAD_KEYS = {
    "server_vad": {"type", "threshold", "prefix_padding_ms", "silence_duration_ms", "create_response",
                   "interrupt_response", "idle_timeout_ms"},
    "semantic_vad": {"type", "eagerness", "create_response", "interrupt_response"},
}  # fmt: skip
_VAD_DEFAULTS: dict[str, dict[str, Any]] = {
    "server_vad": {"threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 200, "idle_timeout_ms": None},
    "semantic_vad": {"eagerness": "auto"},
}


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an update is refused: the ``error`` event's code, message and param."""

    code: str
    message: str
    param: str


def default_session(model: str) -> dict[str, Any]:
    """A fresh session as ``session.created`` shows it."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": f"sess_{uuid.uuid4().hex[:20]}",
        "model": model,
        "expires_at": int(time.time()) + 3600,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": _vad({"type": "server_vad"}),
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
        },
    }


def _vad(detection: dict[str, Any]) -> dict[str, Any]:
    base = {"create_response": True, "interrupt_response": True, **_VAD_DEFAULTS[detection["type"]]}
    return {**base, **detection}


def _format(value: Any, param: str) -> Problem | None:
    if not isinstance(value, dict) or value.get("type") not in ("audio/pcm", "audio/pcmu", "audio/pcma"):
        kind = value.get("type") if isinstance(value, dict) else value
        message = f"Invalid value: '{kind}'. Supported values are: 'audio/pcm', 'audio/pcmu', and 'audio/pcma'."
        return Problem("invalid_value", message, f"{param}.type")
    if value["type"] == "audio/pcm" and value.get("rate", 24000) != 24000:
        return Problem(
            "invalid_value", f"Invalid value: {value.get('rate')}. Supported values are: 24000.", f"{param}.rate"
        )
    return None


def _turn_detection(value: Any, param: str) -> Problem | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in _VAD_KEYS:
        return Problem("invalid_value", "turn_detection.type must be 'server_vad' or 'semantic_vad'.", f"{param}.type")
    for key in value:
        if key not in _VAD_KEYS[value["type"]]:
            return Problem("unknown_parameter", f"Unknown parameter: '{param}.{key}'.", f"{param}.{key}")
    threshold = value.get("threshold", 0.5)
    if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        return Problem("invalid_value", "threshold must be a number from 0 to 1.", f"{param}.threshold")
    idle = value.get("idle_timeout_ms")
    if idle is not None and (not isinstance(idle, int) or not 5000 <= idle <= 30000):
        return Problem("invalid_value", "idle_timeout_ms must be from 5000 to 30000.", f"{param}.idle_timeout_ms")
    if value.get("eagerness", "auto") not in ("low", "medium", "high", "auto"):
        return Problem("invalid_value", "eagerness must be low, medium, high or auto.", f"{param}.eagerness")
    return None


def _audio(audio: Any) -> Problem | None:
    if not isinstance(audio, dict):
        return Problem("invalid_type", "session.audio must be an object.", "session.audio")
    for side, keys in (("input", _INPUT_KEYS), ("output", _OUTPUT_KEYS)):
        part = audio.get(side, {})
        param = f"session.audio.{side}"
        if not isinstance(part, dict):
            return Problem("invalid_type", f"{param} must be an object.", param)
        for key in part:
            if key not in keys:
                return Problem("unknown_parameter", f"Unknown parameter: '{param}.{key}'.", f"{param}.{key}")
        if "format" in part and (problem := _format(part["format"], f"{param}.format")):
            return problem
    audio_in, audio_out = audio.get("input", {}), audio.get("output", {})
    if "turn_detection" in audio_in and (
        problem := _turn_detection(audio_in["turn_detection"], "session.audio.input.turn_detection")
    ):
        return problem
    reduction = audio_in.get("noise_reduction")
    if reduction is not None and (
        not isinstance(reduction, dict) or reduction.get("type") not in ("near_field", "far_field")
    ):
        return Problem(
            "invalid_value",
            "noise_reduction.type must be near_field or far_field.",
            "session.audio.input.noise_reduction.type",
        )
    speed = audio_out.get("speed", 1.0)
    if not isinstance(speed, (int, float)) or not 0.25 <= speed <= 1.5:
        return Problem("invalid_value", "speed must be from 0.25 to 1.5.", "session.audio.output.speed")
    return None


def _check(update: dict[str, Any]) -> Problem | None:
    if update.get("type") == "transcription":
        return Problem(
            "invalid_value",
            "A realtime session cannot become a transcription session: open one with ?intent=transcription.",
            "session.type",
        )
    if update.get("type") != "realtime":
        if "type" not in update:
            return Problem("missing_required_parameter", "Missing required parameter: 'session.type'.", "session.type")
        return Problem(
            "invalid_value", f"Invalid value: '{update['type']}'. Supported values are: 'realtime'.", "session.type"
        )
    for key in update:
        if key not in _SESSION_KEYS:
            return Problem("unknown_parameter", f"Unknown parameter: 'session.{key}'.", f"session.{key}")
    modalities = update.get("output_modalities", ["audio"])
    if modalities not in (["audio"], ["text"]):
        return Problem("invalid_value", "output_modalities must be ['audio'] or ['text'].", "session.output_modalities")
    if not isinstance(update.get("instructions", ""), str):
        return Problem("invalid_type", "session.instructions must be a string.", "session.instructions")
    tools = update.get("tools", [])
    if not isinstance(tools, list) or any(not isinstance(t, dict) or not isinstance(t.get("name"), str) for t in tools):
        return Problem("invalid_type", "session.tools must be a list of tools with names.", "session.tools")
    limit = update.get("max_output_tokens", "inf")
    if limit != "inf" and (not isinstance(limit, int) or not 1 <= limit <= 4096):
        return Problem(
            "invalid_value", "max_output_tokens must be from 1 to 4096, or 'inf'.", "session.max_output_tokens"
        )
    choice = update.get("tool_choice", "auto")
    if choice not in ("auto", "none", "required") and not (
        isinstance(choice, dict) and isinstance(choice.get("name"), str)
    ):
        return Problem(
            "invalid_value", "tool_choice must be auto, none, required or a function.", "session.tool_choice"
        )
    return _audio(update["audio"]) if "audio" in update else None


def apply_update(session: dict[str, Any], update: Any) -> Problem | None:
    """Merge ``update`` into ``session`` (in place) or leave it untouched and say why not."""
    if not isinstance(update, dict):
        return Problem("invalid_type", "session must be an object.", "session")
    if problem := _check(update):
        return problem
    audio = copy.deepcopy(update.get("audio") or {})
    for key, value in update.items():
        if key not in ("audio", "type"):
            session[key] = value
    for side in ("input", "output"):
        part = audio.get(side) or {}
        target = session["audio"][side]
        for key, value in part.items():
            if key == "turn_detection" and value is not None:
                value = _vad(value)
            if value is None and key in ("noise_reduction", "transcription"):
                target.pop(key, None)  # off: left out, since the schema has no null for it
            else:
                target[key] = value
    return None


_TRANSCRIPTION_KEYS = frozenset({"type", "audio", "include"})
_TRANSCRIPTION_INPUT_KEYS = frozenset({"format", "transcription", "noise_reduction", "turn_detection"})
_TRANSCRIBER_KEYS = frozenset({"model", "language", "languages", "keywords", "prompt", "delay"})
#: What ``include`` takes in a transcription session.
LOGPROBS = "item.input_audio_transcription.logprobs"


def default_transcription_session() -> dict[str, Any]:
    """A fresh transcription session (``?intent=transcription``) as ``session.created`` shows it."""
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": f"sess_{uuid.uuid4().hex[:20]}",
        "expires_at": int(time.time()) + 3600,
        "include": [],
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": "gpt-4o-transcribe"},
                "turn_detection": {"type": "server_vad", **_VAD_DEFAULTS["server_vad"], "idle_timeout_ms": None},
            }
        },
    }


def _transcription_check(update: dict[str, Any]) -> Problem | None:
    if update.get("type") != "transcription":
        return Problem(
            "invalid_value",
            f"Invalid value: '{update.get('type')}'. A transcription session takes only 'transcription'.",
            "session.type",
        )
    for key in update:
        if key not in _TRANSCRIPTION_KEYS:
            return Problem("unknown_parameter", f"Unknown parameter: 'session.{key}'.", f"session.{key}")
    include = update.get("include", [])
    if not isinstance(include, list) or any(i != LOGPROBS for i in include):
        return Problem("invalid_value", f"include takes only '{LOGPROBS}'.", "session.include")
    audio = update.get("audio", {})
    if not isinstance(audio, dict) or set(audio) - {"input"}:
        return Problem("unknown_parameter", "A transcription session has audio.input only.", "session.audio")
    part = audio.get("input", {})
    if not isinstance(part, dict):
        return Problem("invalid_type", "session.audio.input must be an object.", "session.audio.input")
    for key in part:
        if key not in _TRANSCRIPTION_INPUT_KEYS:
            param = f"session.audio.input.{key}"
            return Problem("unknown_parameter", f"Unknown parameter: '{param}'.", param)
    if "format" in part and (problem := _format(part["format"], "session.audio.input.format")):
        return problem
    transcriber = part.get("transcription", {})
    if not isinstance(transcriber, dict) or set(transcriber) - _TRANSCRIBER_KEYS or not transcriber.get("model"):
        param = "session.audio.input.transcription"
        return Problem("invalid_value", "transcription must be an object with a model.", param)
    return _turn_detection(part.get("turn_detection"), "session.audio.input.turn_detection")


def apply_transcription_update(session: dict[str, Any], update: Any) -> Problem | None:
    """Merge ``update`` into a transcription ``session`` (in place) or leave it untouched and say why not."""
    if not isinstance(update, dict):
        return Problem("invalid_type", "session must be an object.", "session")
    if problem := _transcription_check(update):
        return problem
    if "include" in update:
        session["include"] = list(update["include"])
    target = session["audio"]["input"]
    for key, value in copy.deepcopy((update.get("audio") or {}).get("input") or {}).items():
        if key == "turn_detection" and value is not None:
            # The shared turn_detection schema allows create_response and interrupt_response; a
            # transcription session makes no responses, so they are dropped, not echoed.
            value = {"type": value["type"], **_VAD_DEFAULTS[value["type"]], **value}
            value = {k: v for k, v in value.items() if k not in ("create_response", "interrupt_response")}
        if value is None and key == "noise_reduction":
            target.pop(key, None)
        else:
            target[key] = value
    return None
