"""Media types as protocols write them: ``audio/pcm;rate=16000`` parsed into a type and parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MediaType", "parse_media_type"]


@dataclass(frozen=True, slots=True)
class MediaType:
    """A parsed media type: ``type`` in lower case and its parameters (keys in lower case)."""

    type: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> int | None:
        """The ``rate`` parameter as an integer, where there is a valid one."""
        raw = self.params.get("rate")
        return int(raw) if raw is not None and raw.isdigit() and int(raw) > 0 else None


def parse_media_type(value: str) -> MediaType:
    """``"Audio/PCM ; Rate = 16000"`` as ``MediaType("audio/pcm", {"rate": "16000"})``.

    Tolerant of spacing and case; quotes around a value are removed. Raises ValueError for a value
    that is not ``type/subtype``.
    """
    head, *rest = value.split(";")
    kind = head.strip().lower()
    if kind.count("/") != 1 or not all(kind.split("/")):
        raise ValueError(f"not a media type: {value!r}")
    params: dict[str, str] = {}
    for part in rest:
        name, sep, raw = part.partition("=")
        if sep and name.strip():
            params[name.strip().lower()] = raw.strip().strip('"')
    return MediaType(kind, params)
