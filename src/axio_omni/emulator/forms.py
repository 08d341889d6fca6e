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
    """A form's text fields, and its file parts by field name (in order)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)

    def file(self, *names: str) -> Upload | None:
        """The first file under any of ``names``."""
        return next((u for n in names for u in self.files.get(n, ())), None)


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
            form.fields[part.name] = await part.text()
    return form
