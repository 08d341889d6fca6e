"""Regenerates tests/data/openai-schema.json from OpenAI's published spec (a developer step, not a test).

    python scripts/vendor_schema.py ../shared/openai-openapi

Runs the spec's own normalize.py in strict mode, keeps the component schemas reachable from ROOTS,
and drops prose (descriptions, examples) so the file stays small. Tests read only the output.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys
from typing import Any

ROOTS = [
    "CreateChatCompletionRequest",
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "ListModelsResponse",
    "ErrorResponse",
    "CreateEmbeddingRequest",
    "CreateEmbeddingResponse",
    "CreateSpeechRequest",
    "CreateTranscriptionRequest",
    "CreateTranscriptionResponseJson",
    "CreateTranscriptionResponseVerboseJson",
    "CreateTranscriptionResponseDiarizedJson",
    "CreateTranscriptionResponseStreamEvent",
    "CreateTranslationRequest",
    "CreateTranslationResponseJson",
    "CreateTranslationResponseVerboseJson",
    "CreateSpeechResponseStreamEvent",
    "RealtimeCreateClientSecretRequest",
    "RealtimeCreateClientSecretResponse",
    "CreateImageRequest",
    "CreateImageEditRequest",
    "ImagesResponse",
    "ImageGenStreamEvent",
    "ImageEditStreamEvent",
    "VideoResource",
    "DeletedVideoResource",
    # Every realtime event: the session's client events and the emulator's server events.
    "RealtimeClientEvent",
    "RealtimeServerEvent",
    # The Responses API: the request, and every streamed event the emulator sends or we read.
    "CreateResponse",
    "ResponseCreatedEvent",
    "ResponseInProgressEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseCompletedEvent",
    "ResponseIncompleteEvent",
    "ResponseFailedEvent",
    "ResponseErrorEvent",
]
_PROSE = {"description", "example", "examples", "x-oaiMeta", "title", "x-stainless-const", "deprecated"}


def _strip(node: Any, names: bool = False) -> Any:
    """``node`` without prose keys; ``names`` says its keys are property names, which are kept."""
    if isinstance(node, dict):
        return {
            k: _strip(v, names=(k in ("properties", "patternProperties") and not names))
            for k, v in node.items()
            if names or k not in _PROSE
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            out.add(ref.rsplit("/", 1)[1])
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


def main(source: str) -> None:
    folder = pathlib.Path(source)
    spec_mod = importlib.util.spec_from_file_location("normalize", folder / "normalize.py")
    assert spec_mod is not None and spec_mod.loader is not None
    normalize = importlib.util.module_from_spec(spec_mod)
    spec_mod.loader.exec_module(normalize)
    spec = normalize.normalize(json.loads((folder / "openapi.json").read_text()))
    schemas = spec["components"]["schemas"]
    keep: set[str] = set()
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        found: set[str] = set()
        _refs(schemas[name], found)
        todo.extend(found - keep)
    out = {
        "$id": "urn:openai-spec",
        "info": {
            "source": "github.com/openai/openai-openapi openapi.json (info.version "
            f"{spec['info']['version']}), strict normalization, MIT licensed",
            "roots": ROOTS,
        },
        "components": {"schemas": {k: _strip(schemas[k]) for k in sorted(keep)}},
    }
    target = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "openai-schema.json"
    target.write_text(json.dumps(out, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{len(keep)} schemas, {target.stat().st_size} bytes -> {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/openai-openapi")
