"""Shared test helpers: OpenAI's schema (vendored), recorded streams, event collection."""

from __future__ import annotations

import json
import pathlib
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any

from axio.events import StreamEvent
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

DATA = pathlib.Path(__file__).parent / "data"
STREAMS = DATA / "streams"


@cache
def _registry() -> Registry[Any]:
    doc = json.loads((DATA / "openai-schema.json").read_text())
    registry: Registry[Any] = Registry().with_resource(
        "urn:openai-spec", Resource.from_contents(doc, default_specification=_spec())
    )
    return registry


def _spec() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for ``components/schemas/<name>`` of OpenAI's published spec."""
    return Draft202012Validator({"$ref": f"urn:openai-spec#/components/schemas/{name}"}, registry=_registry())


def schema_errors(name: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks schema ``name`` (empty when it validates)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator(name).iter_errors(instance)]


@cache
def _realtime_names(side: str) -> dict[str, str]:
    """Event type to schema name, for the realtime ``client`` or ``server`` events of the spec."""
    prefix = "RealtimeClientEvent" if side == "client" else "RealtimeServerEvent"
    schemas = json.loads((DATA / "openai-schema.json").read_text())["components"]["schemas"]
    out = {}
    for name, schema in schemas.items():
        kinds = schema.get("properties", {}).get("type", {}).get("enum") if name.startswith(prefix) else None
        if kinds:
            out[kinds[0]] = name
    return out


def realtime_schema_errors(event: dict[str, Any], side: str) -> list[str]:
    """Every way a realtime ``client`` or ``server`` event breaks the spec's schema for its type."""
    name = _realtime_names(side).get(event.get("type", ""))
    if name is None:
        return [f"the spec has no {side} event of type {event.get('type')!r}"]
    return schema_errors(name, event)


def stream_files() -> list[pathlib.Path]:
    return sorted(p for p in STREAMS.rglob("*") if p.suffix == ".sse" or p.name.endswith(".chunks.txt"))


def stream_bytes(path: pathlib.Path) -> bytes:
    """A recording as the bytes of an SSE stream (``chunks.txt`` files are framed as ``data:`` events)."""
    raw = path.read_bytes()
    if path.name.endswith(".chunks.txt"):
        return b"".join(b"data: " + line + b"\n\n" for line in raw.splitlines() if line.strip())
    return raw


def sse_payloads(raw: bytes) -> Iterator[Any]:
    """The JSON payloads of a stream's ``data:`` lines (for schema checks of what a server sent)."""
    for line in raw.decode().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            yield json.loads(line[6:])


def split_at[T: (bytes, str)](data: T, cuts: list[int]) -> list[T]:
    """``data`` cut at the given positions (clamped, deduplicated): for chunk-boundary tests."""
    points: list[int] = sorted({min(max(c, 0), len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


class FakeTime:
    """A clock and a sleep that only move when slept on: loops run in microseconds, exactly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]
