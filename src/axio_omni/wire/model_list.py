"""``GET /models`` answers read into ``ModelSpec``s, with what each server says its models can do.

OpenAI lists ids only; the rest say more, each in its own words, and this reads all of them:

- OpenRouter: ``supported_parameters`` (``tools``, ``reasoning``, ``response_format``),
  ``architecture.input_modalities``/``output_modalities``, ``context_length``,
  ``top_provider.max_completion_tokens`` and ``pricing`` (dollars per token);
- Mistral: ``capabilities`` as flags (``completion_chat``, ``function_calling``, ``vision``) and
  ``max_context_length``;
- LM Studio (``/api/v0/models``): ``type`` (``llm``, ``vlm``, ``embeddings``) and ``max_context_length``;
- llama.cpp and others: ``capabilities`` as a list of words (``completion``, ``embedding``,
  ``vision``, ``thinking``);
- vLLM ``max_model_len``, Groq ``context_window``.

Each model is sorted into a :class:`Listed` kind: ``chat`` (offered to a chat transport),
``embedding`` or ``other`` (speech, images, moderation), by the server's word first and its id next.
What the server does not say comes from the packaged catalogue, else from the id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from axio.models import Capability as C
from axio.models import ModelSpec

__all__ = ["Listed", "kind_of_id", "read_model_list"]

Kind = Literal["chat", "embedding", "other"]

#: What an id names when nothing else says: embeddings (OpenAI's and the common open families),
#: reranking, speech, transcription, realtime sessions, images, video, moderation.
_EMBEDDING_ID = re.compile(
    r"embed|(^|[-_/.:])(bge|e5|gte|minilm|mpnet|nomic|mxbai|arctic-embed|rerank|reranker)([-_/.:]|$)", re.I
)
_OTHER_ID = re.compile(
    r"(^|[-_/])(tts|whisper|dall-e|gpt-image|sora|moderation|omni-moderation)([-_/]|$)|transcribe|-tts|realtime",
    re.I,
)
#: What a model can do when nothing says: text and tools (axio's Agent withholds every tool from a
#: model that does not declare tool use, and most served models call tools).
ASSUMED = frozenset({C.text, C.tool_use})


@dataclass(frozen=True, slots=True)
class Listed:
    """One model of a list: its kind and its spec (capabilities as said or assumed)."""

    kind: Kind
    spec: ModelSpec


def kind_of_id(model_id: str) -> Kind:
    """What ``model_id`` names, from the id alone."""
    if _EMBEDDING_ID.search(model_id):
        return "embedding"
    return "other" if _OTHER_ID.search(model_id) else "chat"


def read_model_list(raw: bytes | str, known: Callable[[str], ModelSpec | None] = lambda _: None) -> list[Listed]:
    """Every model of a ``/models`` answer; ``known`` gives the catalogue's spec of an id, which wins
    over what the server says. Raises ``ValueError`` for an answer that is not a model list."""
    data = json.loads(raw)
    entries = data.get("data", data.get("models")) if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise ValueError("no 'data' list")
    out = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ValueError(f"a model without an id: {str(entry)[:100]}")
        model_id = entry["id"]
        catalogued = known(model_id)
        said = _said(entry)
        kind = said.kind or kind_of_id(model_id)
        if catalogued is not None:
            out.append(Listed(kind, catalogued))
            continue
        caps = said.caps if said.caps is not None else (ASSUMED if kind == "chat" else frozenset())
        if kind == "embedding":
            caps = frozenset({C.embedding})
        out.append(Listed(kind, _spec(model_id, caps, entry)))
    return out


@dataclass(slots=True)
class _Said:
    kind: Kind | None = None
    caps: frozenset[C] | None = None


def _words(value: Any) -> set[str]:
    return {str(v).lower() for v in value} if isinstance(value, list) else set()


def _said(entry: Mapping[str, Any]) -> _Said:
    """The kind and capabilities the server states for one model, in whichever dialect it speaks."""
    said = _Said()
    caps: set[C] = set()
    params = _words(entry.get("supported_parameters"))
    arch = entry.get("architecture")
    if params or isinstance(arch, Mapping):  # OpenRouter
        inputs = _words(arch.get("input_modalities")) if isinstance(arch, Mapping) else {"text"}
        outputs = _words(arch.get("output_modalities")) if isinstance(arch, Mapping) else {"text"}
        caps |= {C.text} if "text" in outputs else set()
        caps |= {C.tool_use} if "tools" in params else set()
        caps |= {C.reasoning} if params & {"reasoning", "include_reasoning"} else set()
        caps |= {C.json_mode} if "response_format" in params else set()
        caps |= {C.structured_outputs} if "structured_outputs" in params else set()
        caps |= {C.vision} if "image" in inputs else set()
        caps |= {C.audio} if "audio" in inputs else set()
        caps |= {C.image_generation} if "image" in outputs else set()
        said.kind, said.caps = ("chat" if "text" in outputs else "other"), frozenset(caps)
        return said
    flags = entry.get("capabilities")
    if isinstance(flags, Mapping):  # Mistral
        chat = bool(flags.get("completion_chat"))
        caps |= {C.text} if chat else set()
        caps |= {C.tool_use} if flags.get("function_calling") else set()
        caps |= {C.vision} if flags.get("vision") else set()
        caps |= {C.reasoning} if flags.get("reasoning") else set()
        said.kind, said.caps = ("chat" if chat else None), frozenset(caps)
        return said
    words = _words(flags)
    kind_word = str(entry.get("type", "")).lower()
    if words or kind_word:  # llama.cpp, Ollama, LM Studio
        if "embedding" in words or kind_word in ("embedding", "embeddings"):
            said.kind = "embedding"
        elif words & {"completion", "chat"} or kind_word in ("llm", "vlm"):
            said.kind = "chat"
            # llama.cpp lists ``completion`` alone even when its chat template calls tools, so
            # the word list cannot say "no tools": tool use stays assumed.
            caps = {C.text, C.tool_use}
            caps |= {C.vision} if "vision" in words or kind_word == "vlm" else set()
            caps |= {C.reasoning} if words & {"thinking", "reasoning"} else set()
            said.caps = frozenset(caps)
    return said


def _int(*values: Any) -> int | None:
    return next((v for v in values if isinstance(v, int) and not isinstance(v, bool) and v > 0), None)


def _per_million(value: Any) -> float:
    try:
        cost = float(value) * 1_000_000
    except (TypeError, ValueError):
        return 0.0
    return round(cost, 6) if cost > 0 else 0.0


def _spec(model_id: str, caps: frozenset[C], entry: Mapping[str, Any]) -> ModelSpec:
    top = entry.get("top_provider") if isinstance(entry.get("top_provider"), Mapping) else {}
    meta = entry.get("meta") if isinstance(entry.get("meta"), Mapping) else {}
    pricing = entry.get("pricing") if isinstance(entry.get("pricing"), Mapping) else {}
    context = _int(
        entry.get("context_length"),
        entry.get("max_context_length"),
        entry.get("max_model_len"),
        entry.get("context_window"),
        meta.get("n_ctx_train") if meta else None,
    )
    output = _int(top.get("max_completion_tokens") if top else None)
    kwargs: dict[str, Any] = {"id": model_id, "capabilities": caps}
    if context is not None:
        kwargs["context_window"] = context
    if output is not None:
        kwargs["max_output_tokens"] = output
    if pricing:
        kwargs["input_cost"] = _per_million(pricing.get("prompt"))
        kwargs["output_cost"] = _per_million(pricing.get("completion"))
    return ModelSpec(**kwargs)
