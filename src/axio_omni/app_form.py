"""The settings form of each transport, as data: which settings an app shows, how, and how a filled
form is checked. The Textual screens (``axio_omni.tui``, the ``tui`` extra) draw it; this module
needs no UI library, so the form and its checks are tested without one.

A form's values are strings, as axio-tui saves them. A nested setting is shown as its parts
(``timeouts.read``) and saved whole, as the JSON text its rule reads (``timeouts='{"read": 30}'``).
Checking a form builds the transport from it, offline: the field rules, the cross-field checks and
the messages are the constructor's own, so a form can never save what the transport would refuse.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ConfigurationError
from .fields import rule_of
from .rules import Choice, Flag, Rule, Text
from .transports.plugin import app_settings

__all__ = ["COMMON", "FormField", "check_form", "field_named", "form_fields", "form_values"]

Widget = Literal["text", "secret", "choice", "flag"]

#: Shown for every transport, in this order, before its own settings.
COMMON = ("base_url", "api_key_env", "api_key", "model")
#: Parts of nested settings shown for every transport, after its own settings.
NESTED = ("timeouts.connect", "timeouts.read", "retry.max_retries")

_LABELS = {
    "base_url": "Base URL",
    "api_key_env": "Environment variable that holds the API key",
    "api_key": "API key (blank: use that variable; typed here, it is saved in the config)",
    "timeouts.connect": "Connect timeout (seconds)",
    "timeouts.read": "Read timeout (seconds between bytes)",
    "retry.max_retries": "Retries after a failure that may succeed",
    "max_tokens": "Max output tokens",
}


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of a settings form: the setting's name (``timeouts.read`` for a part), its label,
    the kind of widget, the choices of a ``choice``, and the default shown as a placeholder."""

    name: str
    label: str
    widget: Widget
    default: str
    choices: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A widget id for the field (dots are not allowed in Textual ids)."""
        return "field-" + self.name.replace(".", "--").replace("_", "-")


def _rules(cls: type) -> dict[str, tuple[Rule, Any]]:
    out = {}
    for f in dataclasses.fields(cls):
        rule = rule_of(f)
        if rule is not None and f.init and not f.metadata.get("runtime"):
            default = f.default if f.default is not dataclasses.MISSING else None
            if f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            out[f.name] = (rule, default)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    spec_id = getattr(value, "id", None)
    return spec_id if isinstance(spec_id, str) else str(value)


def _field(name: str, rule: Rule, default: Any) -> FormField:
    label = _LABELS.get(name, name.replace("_", " ").capitalize())
    if isinstance(rule, Flag):
        return FormField(name, label, "flag", _text(default))
    if isinstance(rule, Choice):
        return FormField(name, label, "choice", _text(default), rule.options)
    widget: Widget = "secret" if isinstance(rule, Text) and rule.secret else "text"
    return FormField(name, label, widget, _text(default))


def form_fields(cls: type, own: tuple[str, ...] = (), common: tuple[str, ...] = COMMON) -> list[FormField]:
    """The form of transport class ``cls``: the ``common`` settings it has, then ``own``, then the
    timeouts and retries."""
    rules = _rules(cls)
    out = [_field(n, *rules[n]) for n in (*common, *own) if n in rules]
    for name in NESTED:
        outer, inner = name.split(".")
        if outer in rules:
            nested_rules = _rules(type(rules[outer][1]))
            rule, _ = nested_rules[inner]
            out.append(_field(name, rule, getattr(rules[outer][1], inner)))
    return out


def form_values(fields: list[FormField], settings: Mapping[str, str]) -> dict[str, str]:
    """What each field shows for saved ``settings`` (a nested part is read out of its JSON)."""
    out = {}
    for f in fields:
        if "." in f.name:
            outer, inner = f.name.split(".")
            try:
                whole = json.loads(settings.get(outer) or "{}")
            except ValueError:
                whole = {}
            out[f.name] = _text(whole.get(inner)) if isinstance(whole, dict) else ""
        else:
            out[f.name] = settings.get(f.name, "")
    return out


def check_form(cls: type, values: Mapping[str, str], keep: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings to save for a filled form: blank fields left out (the default applies), parts
    joined into their setting's JSON, and saved settings the form does not show (``keep``) kept.
    Raises :class:`ConfigurationError` naming the field when the transport would refuse them."""
    out: dict[str, str] = {k: v for k, v in (keep or {}).items() if not k.startswith("_")}
    nested: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        value = value.strip()
        if "." in name:
            outer, inner = name.split(".")
            nested.setdefault(outer, {})
            if value:
                nested[outer][inner] = value
        elif value:
            out[name] = value
        else:
            out.pop(name, None)
    for outer, parts in nested.items():
        # Parts the form does not show (``timeouts.total``) keep their saved value.
        try:
            whole = json.loads(out.get(outer) or "{}")
        except ValueError:
            whole = {}
        whole = {k: v for k, v in (whole if isinstance(whole, dict) else {}).items() if f"{outer}.{k}" not in values}
        whole.update(parts)
        if whole:
            out[outer] = json.dumps(whole)
        else:
            out.pop(outer, None)
    try:
        cls(**app_settings(cls, out))
    except ConfigurationError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{cls.__name__}: {exc}") from None
    return out


def field_named(cls: type, fields: list[FormField], message: str) -> FormField | None:
    """The field a refusal from :func:`check_form` names (``OpenAITransport.temperature must ...``,
    ``Timeouts.read must ...``), to mark it in the form."""
    rules = _rules(cls)
    for f in fields:
        outer, _, inner = f.name.partition(".")
        owner = type(rules[outer][1]).__name__ if inner else cls.__name__
        if f"{owner}.{inner or outer} " in message or f"setting {f.name!r}" in message:
            return f
    return None
