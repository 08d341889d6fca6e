"""One ``to_dict`` / ``from_dict`` scheme for every transport and settings value.

A :class:`Serializable` dataclass writes every field that is not runtime-only (a session, a pool) as
JSON-safe values under its field names, plus ``"type"``; secrets (fields with ``secret`` metadata)
are written only when asked. ``from_dict`` checks each value against the field's annotation and
names the field it refuses, rejects keys it does not know, and takes the class default for keys it
is not given. :func:`from_dict` rebuilds any registered class from its ``"type"``.

Field metadata understood here:

- ``secret=True``: written only by ``to_dict(include_secrets=True)``, never shown by ``repr``.
- ``runtime=True``: never written or read (live objects such as sessions); passed to ``from_dict``
  as keyword arguments instead.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, Self, get_args, get_origin

from axio.models import Capability, ModelRegistry, ModelSpec

from .errors import ConfigurationError

__all__ = ["Serializable", "from_dict", "model_from_json", "model_to_json", "registered_types"]

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
        hints = _hints(cls)
        known = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            f = known.get(key)
            if f is None or f.metadata.get("runtime"):
                allowed = ", ".join(sorted(k for k, v in known.items() if not v.metadata.get("runtime")))
                raise ConfigurationError(f"{cls.__name__}: unknown field {key!r} (known: {allowed})")
            kwargs[key] = _decode(value, hints[key], key)
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


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


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
    if isinstance(value, str):
        if not value:
            raise ConfigurationError(f"{path}: a model id cannot be empty")
        return ModelSpec(id=value)
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{path}: expected a model id or a model object, got {type(value).__name__}")
    extra = set(value) - {"id", "capabilities", "max_output_tokens", "context_window", "input_cost", "output_cost"}
    if extra:
        raise ConfigurationError(f"{path}: unknown field {sorted(extra)[0]!r}")
    caps = _decode(value.get("capabilities", []), list[str], f"{path}.capabilities")
    unknown = [c for c in caps if c not in Capability.__members__]
    if unknown:
        raise ConfigurationError(f"{path}.capabilities: unknown capability {unknown[0]!r}")
    return ModelSpec(
        id=_decode(value.get("id"), str, f"{path}.id"),
        capabilities=frozenset(Capability(c) for c in caps),
        max_output_tokens=_decode(value.get("max_output_tokens", 8192), int, f"{path}.max_output_tokens"),
        context_window=_decode(value.get("context_window", 128000), int, f"{path}.context_window"),
        input_cost=_decode(value.get("input_cost", 0.0), float, f"{path}.input_cost"),
        output_cost=_decode(value.get("output_cost", 0.0), float, f"{path}.output_cost"),
    )


def _registry_from_json(value: Any, path: str) -> ModelRegistry:
    if not isinstance(value, list):
        raise ConfigurationError(f"{path}: expected a list of models, got {type(value).__name__}")
    return ModelRegistry(model_from_json(v, f"{path}[{i}]") for i, v in enumerate(value))


def _model_field_from_json(value: Any, path: str) -> ModelSpec | str:
    """A model field: a bare id stays an id, for the transport to look up in its own registry."""
    if isinstance(value, str) and value:
        return value
    return model_from_json(value, path)


_CODECS: dict[type, tuple[Callable[[Any], Any], Callable[[Any, str], Any]]] = {
    ModelSpec: (model_to_json, _model_field_from_json),
    ModelRegistry: (lambda reg: [model_to_json(m) for m in reg.values()], _registry_from_json),
}


def _encode(value: Any, path: str) -> Any:
    """``value`` as JSON-safe data; ``path`` names it in errors."""
    if value is None:
        return None
    codec = _CODECS.get(type(value))
    if codec is not None:
        return codec[0](value)
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


def _decode(value: Any, hint: Any, path: str) -> Any:
    """``value`` checked against ``hint`` and converted back; raises naming ``path``."""
    origin = get_origin(hint)
    if hint is Any:
        _check_json(value, path)
        return value
    if origin in (types.UnionType, typing.Union):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(value, option, path)
            except ConfigurationError as exc:
                errors.append(str(exc))
        raise ConfigurationError(errors[0] if len(errors) == 1 else f"{path}: {value!r} fits none of {hint}")
    if origin is Literal:
        if value not in get_args(hint):
            raise ConfigurationError(f"{path}: expected one of {list(get_args(hint))}, got {value!r}")
        return value
    if hint in _CODECS:
        return _CODECS[hint][1](value, path)
    if isinstance(hint, type) and issubclass(hint, Serializable):
        if not isinstance(value, Mapping):
            raise ConfigurationError(f"{path}: expected an object, got {type(value).__name__}")
        try:
            return hint.from_dict(value)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{path}: {exc}") from None
    if origin in (dict, Mapping, typing.Mapping) or hint in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigurationError(f"{path}: expected an object, got {type(value).__name__}")
        args = get_args(hint) or (str, Any)
        return {_decode(k, args[0], f"{path} key"): _decode(v, args[1], f"{path}.{k}") for k, v in value.items()}
    if origin in (tuple, list, frozenset):
        if not isinstance(value, (list, tuple)):
            raise ConfigurationError(f"{path}: expected a list, got {type(value).__name__}")
        item = get_args(hint)[0] if get_args(hint) else Any
        items = [_decode(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
        return origin(items)
    scalar = _SCALARS.get(hint)
    if scalar is None:
        raise ConfigurationError(f"{path}: cannot read a value for annotation {hint!r}")
    accepts, expected = scalar
    if not accepts(value):
        raise ConfigurationError(f"{path}: expected {expected}, got {value!r}")
    return float(value) if hint is float else value


#: For each scalar annotation: what it accepts (bools are not numbers here) and how to say so.
_SCALARS: dict[Any, tuple[Callable[[Any], bool], str]] = {
    bool: (lambda v: isinstance(v, bool), "true or false"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    float: (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
        "a number",
    ),
    str: (lambda v: isinstance(v, str), "a string"),
}


def _check_json(value: Any, path: str) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{path}: not JSON data ({exc})") from None
