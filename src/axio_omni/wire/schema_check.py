"""Tool schemas checked against JSON Schema's 2020-12 metaschema before they are sent (sans-I/O).

A tool whose ``input_schema`` says ``"type": "bogus"`` is refused by the server after the request is
paid for, or worse, accepted and ignored. :func:`schema_problem` walks a schema with the metaschema's
own rules for every keyword it defines (what each keyword's value must be, and which values are
schemas in turn) and returns the first problem with its path, or None. Keywords the metaschema does
not define are allowed, as it allows them. A test checks this against ``jsonschema``'s
``check_schema`` on generated schemas.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["schema_problem"]

_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_count(v: Any) -> bool:
    """JSON Schema's nonNegativeInteger: an integer (1.0 counts) of at least 0."""
    return _is_number(v) and float(v).is_integer() and v >= 0


def _unique_strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v) and len(set(v)) == len(v)


def _type_ok(v: Any) -> bool:
    if isinstance(v, str):
        return v in _TYPES
    # A list: distinct type names, at least one.
    return _unique_strings(v) and bool(v) and all(t in _TYPES for t in v)


def _regex_ok(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        re.compile(v)
    except re.error:
        return False
    return True


#: Keywords whose value is checked by a predicate, with what the value must be.
_VALUES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "type": (_type_ok, "one of the seven JSON types, or a non-empty list of distinct ones"),
    "enum": (lambda v: isinstance(v, list), "an array"),
    "required": (_unique_strings, "an array of distinct strings"),
    "multipleOf": (lambda v: _is_number(v) and v > 0, "a number above 0"),
    "pattern": (_regex_ok, "a regular expression"),
    "uniqueItems": (lambda v: isinstance(v, bool), "true or false"),
    "format": (lambda v: isinstance(v, str), "a string"),
    "examples": (lambda v: isinstance(v, list), "an array"),
    "dependentRequired": (
        lambda v: isinstance(v, dict) and all(_unique_strings(x) for x in v.values()),
        "an object of arrays of distinct strings",
    ),
    "$vocabulary": (
        lambda v: isinstance(v, dict) and all(isinstance(x, bool) for x in v.values()),
        "an object of true/false",
    ),
}
for _name in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"):
    _VALUES[_name] = (_is_number, "a number")
for _name in (
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
):
    _VALUES[_name] = (_is_count, "an integer of at least 0")
for _name in ("deprecated", "readOnly", "writeOnly"):
    _VALUES[_name] = (lambda v: isinstance(v, bool), "true or false")
for _name in (
    "title",
    "description",
    "$comment",
    "$ref",
    "$dynamicRef",
    "$id",
    "$schema",
    "$anchor",
    "$dynamicAnchor",
    "contentEncoding",
    "contentMediaType",
):
    _VALUES[_name] = (lambda v: isinstance(v, str), "a string")

#: Keywords whose value is one schema.
_ONE = frozenset(
    {
        "items",
        "contains",
        "additionalProperties",
        "propertyNames",
        "if",
        "then",
        "else",
        "not",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    }
)
#: Keywords whose value is a non-empty array of schemas.
_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
#: Keywords whose value is an object of schemas.
_MAP = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})


def schema_problem(schema: Any, path: str = "$") -> str | None:
    """The first way ``schema`` breaks JSON Schema's 2020-12 metaschema, as ``path: problem``, or None."""
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return f"{path}: a schema must be an object or a boolean, got {type(schema).__name__}"
    for key, value in schema.items():
        where = f"{path}.{key}"
        check = _VALUES.get(key)
        if check is not None:
            if not check[0](value):
                return f"{where} must be {check[1]}, got {value!r:.60}"
        elif key in _ONE:
            problem = schema_problem(value, where)
            if problem:
                return problem
        elif key in _LIST:
            if not isinstance(value, list) or not value:
                return f"{where} must be a non-empty array of schemas, got {value!r:.60}"
            for i, item in enumerate(value):
                if problem := schema_problem(item, f"{where}[{i}]"):
                    return problem
        elif key in _MAP:
            if not isinstance(value, dict):
                return f"{where} must be an object of schemas, got {value!r:.60}"
            if key == "patternProperties" and (bad := next((k for k in value if not _regex_ok(k)), None)):
                return f"{where}: {bad!r} is not a regular expression"
            for name, item in value.items():
                if problem := schema_problem(item, f"{where}.{name}"):
                    return problem
        elif key == "dependencies" and isinstance(value, dict):
            for name, item in value.items():
                if not _unique_strings(item) and (problem := schema_problem(item, f"{where}.{name}")):
                    return problem
    return None
