"""Video generation jobs, sans-I/O: what a create request carries, and a job read strictly.

OpenAI's video API (``/v1/videos``, which proxies and open servers keep speaking though OpenAI has
deprecated its own) runs a job: create, poll until ``completed`` or ``failed``, download the content.
Sizes and lengths are checked against what sora models take (a size per aspect ratio; 4, 8 or 12
seconds, sent as a string); other models get what the caller asks for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError, MalformedResponseError

__all__ = ["STATUSES", "VideoJob", "read_job", "video_seconds", "video_size"]

STATUSES = ("queued", "in_progress", "completed", "failed")
_ASPECTS = {"16:9": "1280x720", "9:16": "720x1280", "landscape": "1280x720", "portrait": "720x1280"}
_PRO_ASPECTS = {"16:9": "1792x1024", "9:16": "1024x1792"}
_SORA_SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
_SORA_SECONDS = (4, 8, 12)


def _sora(model: str) -> bool:
    return model.startswith("sora")


def video_size(model: str, size: str | None, aspect_ratio: str | None) -> str | None:
    """The ``size`` to send: the setting, else the aspect ratio's size, else none (the server's default)."""
    if aspect_ratio is not None:
        table = _PRO_ASPECTS if model.startswith("sora-2-pro") and size in _PRO_ASPECTS.values() else _ASPECTS
        if aspect_ratio not in table:
            raise ConfigurationError(f"aspect_ratio={aspect_ratio!r}: take one of {', '.join(_ASPECTS)}")
        return table[aspect_ratio]
    if size is not None and _sora(model) and size not in _SORA_SIZES:
        raise ConfigurationError(f"size={size!r} is not a size {model} makes ({', '.join(_SORA_SIZES)})")
    return size


def video_seconds(model: str, seconds: int | None) -> str | None:
    """The length to send, as the string the API takes; sora models make 4, 8 or 12 seconds."""
    if seconds is None:
        return None
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
        raise ConfigurationError(f"duration_seconds must be a whole number of seconds >= 1, got {seconds!r}")
    if _sora(model) and seconds not in _SORA_SECONDS:
        raise ConfigurationError(f"duration_seconds={seconds}: {model} makes videos of 4, 8 or 12 seconds")
    return str(seconds)


@dataclass(frozen=True, slots=True)
class VideoJob:
    """A video job as the server reports it."""

    id: str
    status: str
    progress: int
    error_code: str | None
    error_message: str | None
    raw: dict[str, Any]


def read_job(body: bytes) -> VideoJob:
    """A video object, read strictly: an id and a known status, or :class:`MalformedResponseError`."""
    try:
        data = json.loads(body)
        ident, status = data["id"], data["status"]
        if not isinstance(ident, str) or status not in STATUSES:
            raise ValueError(f"id {ident!r}, status {status!r}")
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedResponseError(f"not a video job: {body[:200]!r} ({exc})") from None
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    progress = data.get("progress") if isinstance(data.get("progress"), int) else 0
    code, message = error.get("code"), error.get("message")
    return VideoJob(ident, status, progress, None if code is None else str(code), message, data)
