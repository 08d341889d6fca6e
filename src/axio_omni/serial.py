"""One ``to_dict`` / ``from_dict`` scheme for every transport and settings value.

A :class:`Serializable` dataclass writes every field that is not runtime-only (a session, a pool) as
JSON-safe values under its field names, plus ``"type"``; secrets are written only when asked.
``from_dict`` rejects keys it does not know, lets each field's rule (``rules.py``) read its JSON form,
and builds the object, whose constructor then checks every value with the same rules: one set of
field rules for the constructors, ``from_dict`` and the command line, and every error names the
field. :func:`from_dict` rebuilds any registered class from its ``"type"``.

Field metadata understood here (set by ``fields.setting``):

- ``secret=True``: written only by ``to_dict(include_secrets=True)``, never shown by ``repr``.
- ``runtime=True``: never written or read (live objects such as sessions); passed to ``from_dict``
  as keyword arguments instead.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from axio.models import Capability, ModelRegistry, ModelSpec

from .errors import ConfigurationError
from .fields import rule_of

__all__ = ["Serializable", "from_dict", "model_from_json", "model_to_json", "registered_types", "registry_from_json"]

_REGISTRY: dict[str, type[Serializable]] = {}


class Serializable:
    """Mixin for dataclasses that round-trip through plain JSON-safe dicts.

    Subclasses set ``type_name``; the class is then registered for :func:`from_dict`.
    ``from_dict(cls.to_dict(x)).to_dict() == x.to_dict()`` holds for every instance.
    """

    __slots__ = ()
    type_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type_name")
        if isinstance(name, str):
            # dataclass(slots=True) builds the class twice; the last (slotted) one wins.
            _REGISTRY[name] = cls

    def to_dict(self, *, include_secrets: bool = False) -> dict[str, Any]:
        """Every setting as JSON-safe values; secrets only when ``include_secrets`` is true."""
        out: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.metadata.get("runtime"):
                continue
            value = getattr(self, f.name)
            if f.metadata.get("secret") and not include_secrets:
                continue
            out[f.name] = _encode(value, f.name)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **runtime: Any) -> Self:
        """Rebuild from ``to_dict`` output; ``runtime`` supplies live objects (``session=``, ``pool=``).

        Raises :class:`ConfigurationError` naming the field for an unknown key or a wrong type.
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{cls.__name__}.from_dict expects a mapping, got {type(data).__name__}")
        data = cls._upgrade(dict(data))
        kind = data.pop("type", cls.type_name)
        if kind != cls.type_name:
            raise ConfigurationError(f"type: expected {cls.type_name!r}, got {kind!r}")
        known = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            f = known.get(key)
            if f is None or f.metadata.get("runtime"):
                allowed = ", ".join(sorted(k for k, v in known.items() if not v.metadata.get("runtime")))
                raise ConfigurationError(f"{cls.__name__}: unknown field {key!r} (known: {allowed})")
            rule = rule_of(f)
            kwargs[key] = rule.read(value) if rule is not None else value
        for key, value in runtime.items():
            if key not in known:
                raise ConfigurationError(f"{cls.__name__}: unknown runtime argument {key!r}")
            kwargs[key] = value
        return cls(**kwargs)

    @classmethod
    def _upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Rewrite an older or foreign layout into this class's own; the default changes nothing."""
        return data


def registered_types() -> dict[str, type[Serializable]]:
    """Every registered ``type`` name and its class."""
    return dict(_REGISTRY)


def from_dict(data: Mapping[str, Any], **runtime: Any) -> Serializable:
    """Rebuild any registered transport or settings value from its ``"type"``."""
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"from_dict expects a mapping, got {type(data).__name__}")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ConfigurationError(f"type: a string naming the class is required, got {kind!r}")
    cls = _REGISTRY.get(kind)
    if cls is None:
        raise ConfigurationError(f"type: unknown {kind!r} (known: {', '.join(sorted(_REGISTRY))})")
    return cls.from_dict(data, **runtime)


# ── value codecs ────────────────────────────────────────────────────────────────────────────────


def model_to_json(spec: ModelSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "capabilities": sorted(c.value for c in spec.capabilities),
        "max_output_tokens": spec.max_output_tokens,
        "context_window": spec.context_window,
        "input_cost": spec.input_cost,
        "output_cost": spec.output_cost,
    }


def model_from_json(value: Any, path: str) -> ModelSpec:
    """A ``ModelSpec`` from a model id or the object :func:`model_to_json` writes; raises naming ``path``."""
    if isinstance(value, str):
        if not value:
            raise ConfigurationError(f"{path}: a model id cannot be empty")
        return ModelSpec(id=value)
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{path}: expected a model id or a model object, got {type(value).__name__}")
    extra = set(value) - {"id", "capabilities", "max_output_tokens", "context_window", "input_cost", "output_cost"}
    if extra:
        raise ConfigurationError(f"{path}: unknown field {sorted(extra)[0]!r}")
    caps = value.get("capabilities", [])
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise ConfigurationError(f"{path}.capabilities: expected a list of names, got {caps!r}")
    unknown = [c for c in caps if c not in Capability.__members__]
    if unknown:
        raise ConfigurationError(f"{path}.capabilities: unknown capability {unknown[0]!r}")
    ident = value.get("id")
    if not isinstance(ident, str) or not ident:
        raise ConfigurationError(f"{path}.id: expected a non-empty string, got {ident!r}")
    return ModelSpec(
        id=ident,
        capabilities=frozenset(Capability(c) for c in caps),
        max_output_tokens=_count(value.get("max_output_tokens", 8192), f"{path}.max_output_tokens"),
        context_window=_count(value.get("context_window", 128000), f"{path}.context_window"),
        input_cost=_cost(value.get("input_cost", 0.0), f"{path}.input_cost"),
        output_cost=_cost(value.get("output_cost", 0.0), f"{path}.output_cost"),
    )


def _count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{path}: expected an integer >= 0, got {value!r}")
    return value


def _cost(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigurationError(f"{path}: expected a number >= 0, got {value!r}")
    return float(value)


def registry_from_json(value: Any, path: str) -> ModelRegistry:
    """A ``ModelRegistry`` from the list ``to_dict`` writes."""
    if not isinstance(value, list):
        raise ConfigurationError(f"{path}: expected a list of models, got {type(value).__name__}")
    return ModelRegistry(model_from_json(v, f"{path}[{i}]") for i, v in enumerate(value))


_CODECS: dict[type, Callable[[Any], Any]] = {
    ModelSpec: model_to_json,
    ModelRegistry: lambda reg: [model_to_json(m) for m in reg.values()],
}


def _encode(value: Any, path: str) -> Any:
    """``value`` as JSON-safe data; ``path`` names it in errors."""
    if value is None:
        return None
    codec = _CODECS.get(type(value))
    if codec is not None:
        return codec(value)
    if isinstance(value, Serializable):
        out = value.to_dict()
        out.pop("type", None)
        return out
    if isinstance(value, Mapping):
        return {str(k): _encode(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset)):
        return [_encode(v, f"{path}[]") for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigurationError(f"{path}: {value!r} has no JSON form")
    if isinstance(value, (str, int, float, bool)):
        return value
    raise ConfigurationError(f"{path}: {type(value).__name__} is not serializable")
