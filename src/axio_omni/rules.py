"""Field rules: one description of each setting that checks it, reads its JSON form and parses its text.

A setting is a dataclass field declared with :func:`setting`::

    temperature: float | None = setting(None, Number(0, 2, optional=True))

The one set of rules serves every way a value arrives:

- the constructor and later changes: each rule runs on the value given and stores its normal form
  (a list of stop words becomes a tuple, a mapping a read-only one), as each field is assigned
  (transports, ``fields.check_setting``) or in ``__post_init__`` (frozen settings,
  ``fields.check_settings``); a string is parsed first where the rule's values are not strings;
- ``from_dict``: :meth:`Rule.read` turns JSON into what the constructor takes (an object into a
  nested ``Timeouts``), and the constructor then checks it as above;
- the command line and saved text configs: :meth:`Rule.parse` reads ``"0.5"``, ``"1024"``, ``"true"``.

Every refusal is a :class:`~axio_omni.errors.ConfigurationError` that names the setting and the value:
``OpenAITransport.temperature must be a number from 0 to 2, got 3``. A secret's value is never shown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "Choice",
    "Custom",
    "Flag",
    "Function",
    "Instance",
    "JsonMap",
    "Nested",
    "Number",
    "Refused",
    "Rule",
    "StringMap",
    "Text",
    "Texts",
    "Url",
    "shown",
]

#: The largest integer a setting takes unless its rule says otherwise: what servers store in 32 bits.
INT_MAX = 2**31 - 1
_NONE_WORDS = ("", "none", "null")


class Refused(Exception):
    """Raised by a rule; its argument, when given, replaces the rule's description in the message."""

    @property
    def detail(self) -> str | None:
        return self.args[0] if self.args else None


class Rule:
    """How one setting is checked, read from JSON and parsed from text.

    Subclasses describe what they take (``describe``) and normalise a value that is not None
    (``accept``, raising :class:`Refused`); ``optional`` rules also take None.
    """

    optional: bool = False
    #: Whether a string is this rule's own kind of value. A rule whose values are not strings
    #: (numbers, flags, mappings) parses a string it is given, as a saved config holds every value
    #: as text: ``temperature="0.5"`` is 0.5, ``stream="false"`` is False.
    native_text: bool = True

    @property
    def what(self) -> str:
        return self.describe() + (" or None" if self.optional else "")

    def describe(self) -> str:
        raise NotImplementedError

    def accept(self, value: Any) -> Any:
        raise NotImplementedError

    def check(self, value: Any) -> Any:
        """``value`` in its normal form; raises :class:`Refused` when the rule does not take it."""
        if value is None and self.optional:
            return None
        if isinstance(value, str) and not self.native_text:
            value = self.parse(value)
            if value is None:
                return None
        return self.accept(value)

    def read(self, value: Any) -> Any:
        """What the constructor takes for a JSON ``value``; by default the value itself."""
        return value

    def parse(self, text: str) -> Any:
        """What the constructor takes for ``text`` (a command-line argument, a saved config)."""
        if self.optional and text.strip().lower() in _NONE_WORDS:
            return None
        return self.parse_text(text.strip())

    def parse_text(self, text: str) -> Any:
        return text


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bound(value: float) -> str:
    """A bound as a reader writes it: whole numbers in full (2147483647, not 2.14748e+09)."""
    if float(value).is_integer() and abs(value) < 1e18:
        return str(int(value))
    return f"{value:g}"


class Number(Rule):
    """An integer (up to ``INT_MAX`` unless ``high`` says) or a finite number within bounds; not a bool."""

    native_text = False

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        *,
        above: float | None = None,
        integer: bool = False,
        optional: bool = False,
        unit: str = "",
    ) -> None:
        self.low, self.above, self.integer, self.optional, self.unit = low, above, integer, optional, unit
        self.high = INT_MAX if integer and high is None else high

    def describe(self) -> str:
        kind = ("an integer" if self.integer else "a number") + (f" of {self.unit}" if self.unit else "")
        if self.above is not None:
            return (
                kind
                + f" above {_bound(self.above)}"
                + (f" and at most {_bound(self.high)}" if self.high is not None else "")
            )
        if self.low is not None and self.high is not None:
            return kind + f" from {_bound(self.low)} to {_bound(self.high)}"
        return kind + (f" of at least {_bound(self.low)}" if self.low is not None else "")

    def accept(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int if self.integer else (int, float)):
            raise Refused
        if not self.integer:
            if not math.isfinite(value):
                raise Refused
            value = float(value)
        if self.above is not None and not value > self.above:
            raise Refused
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise Refused
        return value

    def parse_text(self, text: str) -> Any:
        try:
            return int(text) if self.integer else float(text)
        except ValueError:
            raise Refused from None


class Flag(Rule):
    """``True`` or ``False``, not a truthy value: ``"no"`` is refused here, never read as true."""

    native_text = False

    _WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}

    def __init__(self, *, optional: bool = False) -> None:
        self.optional = optional

    def describe(self) -> str:
        return "True or False"

    def accept(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise Refused
        return value

    def parse_text(self, text: str) -> Any:
        try:
            return self._WORDS[text.lower()]
        except KeyError:
            raise Refused from None


class Choice(Rule):
    """One of a fixed set of strings."""

    def __init__(self, *options: str, optional: bool = False) -> None:
        self.options, self.optional = options, optional

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.options))

    def accept(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.options:
            raise Refused
        return value


class Text(Rule):
    """A string: non-empty (not only spaces) unless ``empty``; ``secret`` keeps the value out of messages."""

    def __init__(self, *, optional: bool = False, empty: bool = False, secret: bool = False) -> None:
        self.optional, self.empty, self.secret = optional, empty, secret

    def describe(self) -> str:
        return "a string" if self.empty else "a non-empty string"

    def accept(self, value: Any) -> Any:
        if not isinstance(value, str) or (not self.empty and not value.strip()):
            raise Refused
        return value


class Texts(Rule):
    """Up to ``most`` non-empty strings, kept as a tuple; one string alone counts as one item."""

    def __init__(self, *, most: int | None = None) -> None:
        self.most = most

    def describe(self) -> str:
        return f"up to {self.most} non-empty strings" if self.most else "a list of non-empty strings"

    def accept(self, value: Any) -> Any:
        if isinstance(value, str):
            value = (value,)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise Refused
        if self.most is not None and len(value) > self.most:
            raise Refused
        return tuple(value)

    def parse_text(self, text: str) -> Any:
        return tuple(t for t in text.split(",") if t)


class StringMap(Rule):
    """A mapping of strings to strings, kept read-only. ``header`` refuses line breaks (header injection);
    ``refuse`` maps keys (in lower case) that belong elsewhere to the reason."""

    def __init__(self, *, header: bool = False, refuse: Mapping[str, str] | None = None) -> None:
        self.header, self.refuse = header, dict(refuse or {})

    native_text = False

    def describe(self) -> str:
        return "a mapping of strings to strings"

    def accept(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise Refused
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise Refused(f"a mapping of strings to strings (the entry {k!r} is not)")
            if self.header and any(c in k + v for c in "\r\n\0"):
                raise Refused(f"free of line breaks (the entry {k!r} has one)")
            if k.lower() in self.refuse:
                raise Refused(f"free of {k!r}, which {self.refuse[k.lower()]}")
        return MappingProxyType(dict(value))

    def parse_text(self, text: str) -> Any:
        return _json_text(text)


class JsonMap(Rule):
    """A mapping of JSON data whose keys are none of ``reserved``, kept read-only (extra body fields)."""

    native_text = False

    def __init__(self, *, reserved: tuple[str, ...] = (), optional: bool = False) -> None:
        self.reserved, self.optional = reserved, optional

    def describe(self) -> str:
        return "a mapping of JSON data"

    def accept(self, value: Any) -> Any:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise Refused
        clash = sorted(set(self.reserved) & set(value))
        if clash:
            raise Refused(f"free of {clash[0]!r}, which the transport sets itself")
        try:
            json.dumps(dict(value), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise Refused(f"JSON data ({exc})") from None
        return MappingProxyType(dict(value))

    def parse_text(self, text: str) -> Any:
        return _json_text(text)


def _json_text(text: str) -> Any:
    """A mapping written as JSON text (a saved config, a command-line argument)."""
    try:
        return json.loads(text)
    except ValueError:
        raise Refused from None


class Url(Rule):
    """An ``http(s)`` URL with a host and neither query nor fragment, kept without a trailing slash."""

    def __init__(self, *schemes: str, optional: bool = False) -> None:
        self.schemes, self.optional = schemes or ("http", "https"), optional

    def describe(self) -> str:
        return f"a {'/'.join(self.schemes)} URL with a host and no query or fragment"

    def accept(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Refused
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            raise Refused from None
        if parts.scheme not in self.schemes or not host or parts.query or parts.fragment:
            raise Refused
        return value.rstrip("/")


class Instance(Rule):
    """A live object of class ``cls`` (a session, a pool): checked, never written or read as JSON."""

    def __init__(self, cls: type[Any], *, optional: bool = True) -> None:
        self.cls, self.optional = cls, optional

    def describe(self) -> str:
        return f"a {self.cls.__name__}"

    def accept(self, value: Any) -> Any:
        if not isinstance(value, self.cls):
            raise Refused
        return value


class Function(Rule):
    """A callable (a hook: a progress callback, a token provider), checked, never written or read as
    JSON; None unless ``optional`` is false."""

    def __init__(self, what: str = "a callable", *, optional: bool = True) -> None:
        self._what, self.optional = what, optional

    def describe(self) -> str:
        return self._what

    def accept(self, value: Any) -> Any:
        if not callable(value):
            raise Refused
        return value


class Nested(Instance):
    """A settings object of class ``cls``, read from its ``to_dict`` form."""

    native_text = False

    def __init__(self, cls: type[Any]) -> None:
        super().__init__(cls, optional=False)

    def read(self, value: Any) -> Any:
        return self.cls.from_dict(value) if isinstance(value, Mapping) else value

    def parse_text(self, text: str) -> Any:
        return self.read(_json_text(text))


class Custom(Rule):
    """A rule made of functions, for values with a codec of their own (model ids and specs)."""

    def __init__(
        self,
        what: str,
        accept: Callable[[Any], Any],
        read: Callable[[Any], Any] | None = None,
        *,
        optional: bool = False,
    ) -> None:
        self._what, self._accept, self._read, self.optional = what, accept, read, optional

    def describe(self) -> str:
        return self._what

    def accept(self, value: Any) -> Any:
        return self._accept(value)

    def read(self, value: Any) -> Any:
        return self._read(value) if self._read is not None else value
