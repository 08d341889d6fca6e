"""The events of streams that name each event by its ``type`` (speech, transcription), read alike
(sans-I/O): one JSON object per SSE event, an in-band ``error`` raised typed."""

from __future__ import annotations

import json
from typing import Any

from ..errors import MalformedResponseError
from .chat_values import in_band_error
from .sse import SSEEvent

__all__ = ["typed_event"]


def typed_event(event: SSEEvent, stream: str) -> tuple[str, dict[str, Any]] | None:
    """The type and object of one event of a ``stream`` ("speech", "transcription"), or None for an
    empty event or ``[DONE]``. Raises :class:`~axio_omni.errors.MalformedResponseError` for what is
    not a JSON object, and :class:`~axio_omni.errors.InBandError` for an error event."""
    data = event.data.strip()
    if not data or data == "[DONE]":
        return None
    try:
        payload = json.loads(data)
    except ValueError:
        raise MalformedResponseError(f"a {stream} stream event that is not JSON: {data[:200]!r}") from None
    if not isinstance(payload, dict):
        raise MalformedResponseError(f"a {stream} stream event that is not an object: {data[:200]!r}")
    kind = payload.get("type") or event.event
    if kind == "error" or "error" in payload:
        raise in_band_error(payload.get("error", payload), f"in the {stream} stream")
    return str(kind), payload
