"""Multipart forms read in memory, part by part, for every endpoint that takes one.

aiohttp 3.10's ``request.post()`` leaves temporary files open; the emulator reads the parts itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

__all__ = ["Form", "Upload", "read_form"]


@dataclass(frozen=True, slots=True)
class Upload:
    """One file part."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class Form:
    """A form's text fields (the last value of each name; ``repeated`` keeps them all), and its file
    parts by field name (in order)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)
    repeated: dict[str, list[str]] = field(default_factory=dict)

    def file(self, *names: str) -> Upload | None:
        """The first file under any of ``names``."""
        return next((u for n in names for u in self.files.get(n, ())), None)

    def values(self, name: str) -> list[str]:
        """An array field, sent as ``name[]`` (OpenAI's SDK) or as ``name`` repeated."""
        return self.repeated.get(f"{name}[]") or self.repeated.get(name) or []

    def object(self, name: str) -> dict[str, str] | None:
        """An object field sent as ``name[key]`` parts, or None when there is none."""
        prefix = f"{name}["
        found = {k[len(prefix) : -1]: v for k, v in self.fields.items() if k.startswith(prefix) and k.endswith("]")}
        return found or None


async def read_form(request: web.Request, file_fields: frozenset[str]) -> Form:
    """The form; parts named in ``file_fields`` are kept as files, the others read as text."""
    form = Form()
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.name in file_fields:
            upload = Upload(part.filename, part.headers.get("Content-Type"), bytes(await part.read()))
            form.files.setdefault(part.name, []).append(upload)
        else:
            value = await part.text()
            form.fields[part.name] = value
            form.repeated.setdefault(part.name, []).append(value)
    return form
