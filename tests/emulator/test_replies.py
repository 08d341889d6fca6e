"""Deterministic replies: tool arguments follow the schema and come from the prompt."""

from __future__ import annotations

import json

from axio_omni.emulator.replies import arguments_for, reply_to


def test_arguments_cover_every_schema_kind() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "unit": {"enum": ["c", "f"]},
            "exact": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "where": {"type": "object", "properties": {"lat": {"type": "number"}}},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
        },
    }
    args = arguments_for(schema, "Forecast for Bergen over 3 days")
    assert args == {
        "city": "Bergen",
        "days": 3,
        "unit": "c",
        "exact": True,
        "tags": ["example tags"],
        "where": {"lat": 3.0},
        "maybe": 3,
    }


def test_quoted_phrase_wins() -> None:
    assert arguments_for({"properties": {"q": {"type": "string"}}}, 'search for "red shoes" please') == {
        "q": "red shoes"
    }


def test_same_request_same_reply() -> None:
    request = {
        "messages": [{"role": "user", "content": "[2026-01-01 10:00:00 UTC] Weather in Rome? use lookup"}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "lookup",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
    }
    first, second = reply_to(request), reply_to(request)
    assert first == second and first.tool_calls[0].id == second.tool_calls[0].id
    assert json.loads(first.tool_calls[0].arguments) == {"city": "Rome"}


def test_no_tool_when_not_asked() -> None:
    request = {
        "messages": [{"role": "user", "content": "hello"}],
        "tools": [{"type": "function", "function": {"name": "lookup"}}],
    }
    assert reply_to(request).tool_calls == () and reply_to(request).text == "You said: hello"


def test_tool_choice_required_and_none() -> None:
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    base = {"messages": [{"role": "user", "content": "hi"}], "tools": tools}
    assert reply_to(base | {"tool_choice": "required"}).tool_calls[0].name == "lookup"
    assert (
        reply_to(base | {"tool_choice": "none", "messages": [{"role": "user", "content": "use lookup"}]}).tool_calls
        == ()
    )
