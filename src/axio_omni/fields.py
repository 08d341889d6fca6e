"""Settings as dataclass fields: each declared with a rule (``rules.py``) that checks it wherever it is set.

``setting(default, rule)`` declares a field; :func:`check_settings` runs every rule of an object at
construction, :func:`check_setting` one rule when a setting is changed later, and
:func:`parse_setting` reads a setting's text form (a command line, a saved config). Every refusal
is a :class:`~axio_omni.errors.ConfigurationError` naming the setting and the value, never a secret's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import ConfigurationError
from .rules import Refused, Rule, shown

__all__ = ["check_setting", "check_settings", "parse_setting", "refusal", "rule_of", "setting"]


def setting(
    default: Any = dataclasses.MISSING,
    rule: Rule | None = None,
    *,
    default_factory: Any = dataclasses.MISSING,
    secret: bool = False,
    runtime: bool = False,
) -> Any:
    """A dataclass field checked by ``rule``; ``secret`` keeps it out of ``repr`` and ``to_dict``,
    ``runtime`` marks a live object that is never serialized."""
    if rule is None:
        raise TypeError("setting() needs a rule")
    return dataclasses.field(
        default=default,
        default_factory=default_factory,
        repr=not (secret or runtime),
        compare=not runtime,
        metadata={"rule": rule, "secret": secret, "runtime": runtime},
    )


def rule_of(f: dataclasses.Field[Any]) -> Rule | None:
    return f.metadata.get("rule")


_RULED: dict[type, tuple[tuple[str, Rule, bool], ...]] = {}


def _ruled(cls: type) -> tuple[tuple[str, Rule, bool], ...]:
    """The ruled fields of ``cls`` as (name, rule, secret), computed once per class."""
    found = _RULED.get(cls)
    if found is None:
        found = _RULED[cls] = tuple(
            (f.name, rule, bool(f.metadata.get("secret")) or getattr(rule, "secret", False))
            for f in dataclasses.fields(cls)
            if (rule := rule_of(f)) is not None
        )
    return found


def refusal(owner: str, name: str, rule: Rule, value: Any, refused: Refused, *, secret: bool = False) -> str:
    """The message for ``value`` refused by ``rule`` as setting ``owner.name``."""
    what = f"a {type(value).__name__}" if secret else shown(value)
    return f"{owner}.{name} must be {refused.detail or rule.what}, got {what}"


_BY_NAME: dict[type, dict[str, tuple[Rule, bool]]] = {}


def check_setting(obj: Any, name: str, value: Any) -> Any:
    """``value`` in its normal form for setting ``name`` of ``obj`` (unchanged for a field without a
    rule); raises naming the setting. Settings changed after construction are checked by this."""
    cls = type(obj)
    rules = _BY_NAME.get(cls)
    if rules is None:
        rules = _BY_NAME[cls] = {n: (r, s) for n, r, s in _ruled(cls)}
    found = rules.get(name)
    if found is None:
        return value
    rule, secret = found
    try:
        return rule.check(value)
    except Refused as refused:
        raise ConfigurationError(refusal(cls.__name__, name, rule, value, refused, secret=secret)) from None


def check_settings(obj: Any) -> None:
    """Run every field rule of ``obj`` on its value and store the normal form; raise naming the first refused."""
    owner = type(obj).__name__
    for name, rule, secret in _ruled(type(obj)):
        value = getattr(obj, name)
        try:
            normal = rule.check(value)
        except Refused as refused:
            raise ConfigurationError(refusal(owner, name, rule, value, refused, secret=secret)) from None
        if normal is not value:
            object.__setattr__(obj, name, normal)


def parse_setting(cls: type, name: str, text: str) -> Any:
    """``text`` as the value of setting ``name`` of ``cls`` (for a command line or a saved text config)."""
    field = {f.name: f for f in dataclasses.fields(cls)}.get(name)
    rule = rule_of(field) if field is not None else None
    if rule is None:
        raise ConfigurationError(f"{cls.__name__} has no setting {name!r}")
    try:
        return rule.check(rule.parse(text))
    except Refused as refused:
        raise ConfigurationError(refusal(cls.__name__, name, rule, text, refused)) from None
