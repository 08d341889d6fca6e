"""axio messages and tools become chat messages that validate against OpenAI's schema."""

from __future__ import annotations

from typing import Any

import pytest
from axio.blocks import AudioBlock, ImageBlock, ReasoningBlock, TextBlock, ToolResultBlock, ToolUseBlock, VideoBlock
from axio.messages import Message
from axio.tool import Tool

from axio_omni import ConfigurationError, OpenAITransport
from axio_omni.wire.chat_request import chat_messages, chat_tools
from tests.helpers import schema_errors

PNG = b"\x89PNG\r\n\x1a\nfake"


async def lookup(city: str, days: int = 1) -> str:
    """Weather for a city."""
    return city


TOOL: Tool[Any] = Tool(name="lookup", handler=lookup, description="Weather for a city.")


def conversation() -> list[Message]:
    return [
        Message("system", [TextBlock("Extra rules.")]),
        Message("user", [TextBlock("Look at "), ImageBlock("image/png", PNG), TextBlock("this.")]),
        Message(
            "assistant",
            [ReasoningBlock("thinking"), TextBlock("Checking."), ToolUseBlock("c1", "lookup", {"city": "Oslo"})],
        ),
        Message("user", [ToolResultBlock("c1", [TextBlock("cold"), ImageBlock("image/png", PNG)]), TextBlock("And?")]),
        Message("assistant", [TextBlock("It is cold.")]),
        Message("user", [TextBlock("Thanks")]),
    ]


def test_conversation_maps_to_chat_messages() -> None:
    out = chat_messages(conversation(), "Be brief.")
    assert [m["role"] for m in out] == ["system", "system", "user", "assistant", "tool", "user", "assistant", "user"]
    assert out[2]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert out[3] == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"city":"Oslo"}'}}
        ],
    }
    assert out[4] == {"role": "tool", "tool_call_id": "c1", "content": "cold"}
    # Images from a tool result follow in a user message that names the call.
    assert "c1" in out[5]["content"][0]["text"] and out[5]["content"][1]["type"] == "image_url"
    assert out[5]["content"][-1] == {"type": "text", "text": "And?"}
    assert out[7] == {"role": "user", "content": "Thanks"}


def test_reasoning_only_turn_is_left_out() -> None:
    assert chat_messages([Message("assistant", [ReasoningBlock("x")])], "") == []


def test_tools_become_functions_without_titles() -> None:
    (decl,) = chat_tools([TOOL])
    assert decl["type"] == "function" and decl["function"]["name"] == "lookup"
    assert "title" not in str(decl["function"]["parameters"])
    assert decl["function"]["parameters"]["required"] == ["city"]


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "ünï"])
def test_bad_tool_names_fail_before_sending(name: str) -> None:
    with pytest.raises(ConfigurationError, match="tools\\[0\\].name"):
        chat_tools([Tool(name=name, handler=lookup)])


def test_duplicate_tool_names_fail() -> None:
    with pytest.raises(ConfigurationError, match="declared twice"):
        chat_tools([TOOL, TOOL])


def test_video_input_is_refused_with_the_index() -> None:
    with pytest.raises(ConfigurationError, match=r"messages\[0\].content\[0\]"):
        chat_messages([Message("user", [VideoBlock("video/mp4", b"x")])], "")


def test_wav_audio_is_sent_as_input_audio() -> None:
    (msg,) = chat_messages([Message("user", [AudioBlock("audio/wav", b"RIFF")])], "")
    assert msg["content"][0]["input_audio"]["format"] == "wav"


def full_transport(**kw: Any) -> OpenAITransport:
    return OpenAITransport(
        base_url="http://127.0.0.1:9/v1",
        model="gpt-4.1-mini",
        temperature=0.2,
        top_p=0.9,
        max_tokens=64,
        seed=7,
        stop=("END",),
        reasoning_effort="low",
        tool_choice="auto",
        parallel_tool_calls=False,
        **kw,
    )


def test_every_request_validates_against_the_published_schema() -> None:
    body = full_transport().build_payload(conversation(), [TOOL], "Be brief.")
    assert schema_errors("CreateChatCompletionRequest", body) == []
    minimal = OpenAITransport(base_url="http://127.0.0.1:9/v1").build_payload(
        [Message("user", [TextBlock("hi")])], [], ""
    )
    assert schema_errors("CreateChatCompletionRequest", minimal) == []
    legacy = full_transport(max_tokens_field="max_tokens").build_payload(conversation(), [TOOL], "")
    assert legacy["max_tokens"] == 64 and schema_errors("CreateChatCompletionRequest", legacy) == []


def test_schema_check_catches_a_bad_request() -> None:
    """The validator is live: a broken body is reported."""
    body = full_transport().build_payload(conversation(), [TOOL], "")
    body["messages"][0]["role"] = "narrator"
    assert schema_errors("CreateChatCompletionRequest", body)
