"""Tool schemas are checked against JSON Schema's metaschema, agreeing with jsonschema's own check."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from axio_omni.wire.schema_check import schema_problem

# Values of every JSON kind, some valid for a keyword and many not.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.floats(-2.5, 4.0, allow_nan=False),
    st.sampled_from(["string", "object", "integer", "bogus", "frobnicate", "", "x"]),
)
KEYWORDS = [
    "type",
    "enum",
    "required",
    "multipleOf",
    "uniqueItems",
    "maximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "minItems",
    "maxProperties",
    "title",
    "description",
    "default",
    "readOnly",
    "examples",
    "dependentRequired",
    "items",
    "additionalProperties",
    "not",
    "properties",
    "$defs",
    "anyOf",
    "allOf",
    "prefixItems",
    "x-custom",
]


def schemas() -> st.SearchStrategy[Any]:
    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        values = st.one_of(
            SCALARS,
            children,
            st.lists(st.one_of(SCALARS, children), max_size=3),
            st.lists(st.sampled_from(["string", "object", "integer", "string"]), max_size=3),
            st.dictionaries(st.sampled_from(["a", "b", "c"]), st.one_of(children, SCALARS), max_size=3),
        )
        return st.dictionaries(st.sampled_from(KEYWORDS), values, max_size=4)

    return st.recursive(st.one_of(st.booleans(), st.just({})), extend, max_leaves=12)


def metaschema_accepts(schema: Any) -> bool:
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError:
        return False
    return True


@given(schemas())
def test_agrees_with_the_metaschema(schema: Any) -> None:
    assert (schema_problem(schema) is None) == metaschema_accepts(schema), schema_problem(schema)


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "bogus"}, "$.type"),
        ({"type": "object", "properties": {"city": {"type": "frobnicate"}}}, "$.properties.city.type"),
        ({"properties": {"n": {"type": "integer", "minimum": "0"}}}, "$.properties.n.minimum"),
        ({"items": {"anyOf": []}}, "$.items.anyOf"),
        ({"required": "city"}, "$.required"),
        ({"patternProperties": {"(": {}}}, "$.patternProperties"),
        ("object", "$"),
    ],
)
def test_a_broken_schema_is_named_by_its_path(schema: Any, where: str) -> None:
    problem = schema_problem(schema)
    assert problem is not None and problem.startswith(where), problem
    assert not metaschema_accepts(schema) or where == "$.patternProperties"


def test_real_tool_schemas_pass() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "A city"},
            "days": {"type": ["integer", "null"], "minimum": 1, "maximum": 14},
            "units": {"enum": ["metric", "imperial"]},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        },
        "required": ["city"],
        "additionalProperties": False,
        "$defs": {"Unit": {"type": "string"}},
    }
    assert schema_problem(schema) is None and metaschema_accepts(schema)
