"""Bad input, in settings and in calls, fails before any request with an error naming the field and the value."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from axio.blocks import TextBlock
from axio.messages import Message
from axio.tool import Tool

from axio_omni import (
    ConfigurationError,
    DummyTTS,
    OpenAIEmbeddingTransport,
    OpenAISTTTransport,
    OpenAITransport,
    OpenAITTSTransport,
    PollPolicy,
    PoolSettings,
    RetryPolicy,
    Timeouts,
    TransportPool,
)
from axio_omni.emulator import Emulator
from tests.helpers import collect

URL: dict[str, Any] = {"base_url": "http://127.0.0.1:9/v1"}
CHAT, EMB, TTS, STT = OpenAITransport, OpenAIEmbeddingTransport, OpenAITTSTransport, OpenAISTTTransport


async def noop(**kw: Any) -> str:
    return ""


SETTINGS: list[tuple[Any, str, Any]] = [
    (CHAT, "temperature", 3),
    (CHAT, "temperature", "hot"),
    (CHAT, "temperature", True),
    (CHAT, "temperature", math.nan),
    (CHAT, "top_p", -1),
    (CHAT, "max_tokens", 0),
    (CHAT, "max_tokens", 2**70),
    (CHAT, "max_tokens", "1024.5"),
    (CHAT, "max_tokens", 1.5),
    (CHAT, "max_tokens", True),
    (CHAT, "seed", "one"),
    (CHAT, "seed", 2**64),
    (CHAT, "stop", ("a", "")),
    (CHAT, "stop", ("a", "b", "c", "d", "e")),
    (CHAT, "stop", [1]),
    (CHAT, "reasoning_effort", "extreme"),
    (CHAT, "tool_choice", "sometimes"),
    (CHAT, "parallel_tool_calls", "sometimes"),
    (CHAT, "parallel_tool_calls", 1),
    (CHAT, "include_usage", "none"),
    (CHAT, "include_usage", None),
    (CHAT, "think_tags", "nope"),
    (CHAT, "extra_body", {"messages": []}),
    (CHAT, "extra_body", {"x": object()}),
    (CHAT, "extra_body", "x=1"),
    (CHAT, "model", ""),
    (CHAT, "model", 5),
    (CHAT, "models", "gpt-4.1"),
    (CHAT, "name", ""),
    (CHAT, "max_tokens_field", "tokens"),
    (CHAT, "base_url", "ftp://x"),
    (CHAT, "base_url", "http://h/v1?x=1"),
    (CHAT, "base_url", "http://[::1/v1"),
    (CHAT, "base_url", 5),
    (CHAT, "api_key_env", ""),
    (CHAT, "auth_scheme", "basic"),
    (CHAT, "headers", {"Authorization": "Bearer x"}),
    (CHAT, "headers", {"a": 1}),
    (CHAT, "headers", {"X-Trace": "a\r\nInjected: b"}),
    (CHAT, "headers", ["X-Trace"]),
    (CHAT, "query", {"v": 1}),
    (CHAT, "timeouts", {"connect": 1}),
    (CHAT, "retry", "fast"),
    (CHAT, "pool", object()),
    (CHAT, "session", object()),
    (EMB, "dimensions", 0),
    (EMB, "dimensions", "0"),
    (EMB, "dimensions", 2**40),
    (EMB, "encoding_format", "hex"),
    (EMB, "max_inputs", 0),
    (EMB, "max_concurrency", "four"),
    (EMB, "max_tokens_per_request", -5),
    (EMB, "cache", ""),
    (EMB, "user", 5),
    (EMB, "model", " "),
    (TTS, "speed", 5),
    (TTS, "speed", "9"),
    (TTS, "response_format", "ogg"),
    (TTS, "voice", ""),
    (TTS, "max_chars", 5000),
    (TTS, "instructions", 5),
    (TTS, "extra_body", {"input": "x"}),
    (STT, "language", 5),
    (STT, "temperature", 2),
    (STT, "response_format", "srt"),
    (STT, "max_upload_bytes", 10),
    (STT, "max_concurrency", 0),
    (STT, "extra_fields", {"a": 1}),
    (STT, "prompt", 7),
    (Timeouts, "connect", "-10"),
    (Timeouts, "connect", -1),
    (Timeouts, "read", 0),
    (Timeouts, "read", True),
    (Timeouts, "total", math.inf),
    (RetryPolicy, "max_retries", "2.5"),
    (RetryPolicy, "max_retries", -1),
    (RetryPolicy, "deadline", 0),
    (RetryPolicy, "jitter", 2),
    (RetryPolicy, "max_wait", "a minute"),
    (PoolSettings, "limit", "sixteen"),
    (PoolSettings, "limit", -1),
    (PoolSettings, "keepalive_timeout", -1),
    (PoolSettings, "dns_cache_ttl", 1.5),
    (TransportPool, "limit", "sixteen"),
    (PollPolicy, "interval", 0),
    (PollPolicy, "deadline", -1),
    (PollPolicy, "multiplier", 0.5),
    (DummyTTS, "purpose", 5),
]


@pytest.mark.parametrize(("cls", "name", "value"), SETTINGS, ids=lambda v: repr(v)[:30])
def test_a_bad_setting_names_itself_and_its_value(cls: Any, name: str, value: Any) -> None:
    kwargs = {name: value}
    if cls in (CHAT, EMB, TTS, STT):
        kwargs = {**URL, **kwargs}
    with pytest.raises(ConfigurationError) as info:
        cls(**kwargs)
    message = str(info.value)
    owner = "PoolSettings" if cls is TransportPool else cls.__name__
    assert f"{owner}.{name}" in message and repr(value)[:60] in message, message


def test_a_bad_secret_is_named_but_never_shown() -> None:
    for name, value in (("api_key", ""), ("api_key", "   "), ("api_key", 5), ("secret_headers", {"X-Key": 5})):
        with pytest.raises(ConfigurationError) as info:
            OpenAITransport(**{name: value}, **URL)  # type: ignore[arg-type]
        assert f"OpenAITransport.{name}" in str(info.value) and "got a " in str(info.value)


def test_cross_field_rules() -> None:
    with pytest.raises(ConfigurationError, match="min_interval"):
        PollPolicy(min_interval=10, max_interval=5)
    with pytest.raises(ConfigurationError, match="pool= or session="):
        import aiohttp

        OpenAITransport(pool=TransportPool(), session=aiohttp.ClientSession.__new__(aiohttp.ClientSession), **URL)


def tool(schema: dict[str, Any], name: str = "lookup") -> Tool[Any]:
    class Lookup(Tool[Any]):  # a tool whose schema is given as is
        @property
        def input_schema(self) -> dict[str, Any]:
            return schema

    return Lookup(name=name, handler=noop, description="d")


HI = [Message("user", [TextBlock("hi")])]
GOOD = {"type": "object", "properties": {"q": {"type": "string"}}}
CHAT_CALLS: list[tuple[tuple[Any, ...], str]] = [
    (("hi", [], ""), "messages"),
    (([1], [], ""), "messages[0]"),
    (([Message("user", None)], [], ""), "messages[0].content"),  # type: ignore[arg-type]
    (([Message("user", ["hi"])], [], ""), "messages[0].content[0]"),  # type: ignore[list-item]
    (([], [], ""), "messages"),
    ((HI, "tools", ""), "tools"),
    ((HI, [], None), "system"),
    ((HI, [tool({"type": "bogus"})], ""), "$.type"),
    ((HI, [tool({"type": "object", "properties": {"q": {"type": "frobnicate"}}})], ""), "$.properties.q.type"),
    ((HI, [tool({"type": "object", "required": "q"})], ""), "$.required"),
    ((HI, [tool({"type": "string"})], ""), "'object'"),
    ((HI, [tool(GOOD), tool(GOOD)], ""), "declared twice"),
    ((HI, [tool(GOOD, name="bad name!")], ""), "tools[0].name"),
]


@pytest.mark.parametrize(("args", "named"), CHAT_CALLS, ids=lambda v: repr(v)[:40])
async def test_bad_chat_arguments_fail_before_any_request(
    emulator: Emulator, args: tuple[Any, ...], named: str
) -> None:
    t = OpenAITransport(base_url=emulator.base_url, model="m")
    with pytest.raises(ConfigurationError, match=named.replace("[", r"\[").replace("$", r"\$")):
        await collect(t.stream(*args))
    assert emulator.requests == []


async def test_bad_speech_and_embedding_arguments_fail_before_any_request(emulator: Emulator) -> None:
    # Typed loosely: these calls pass what the signatures refuse, as untyped callers do.
    emb: Any = OpenAIEmbeddingTransport(base_url=emulator.base_url)
    tts: Any = OpenAITTSTransport(base_url=emulator.base_url)
    stt: Any = OpenAISTTTransport(base_url=emulator.base_url)
    cases: list[tuple[Any, str]] = [
        (lambda: emb.embed("abc"), "texts"),
        (lambda: emb.embed([1]), "texts[0]"),
        (lambda: emb.embed(["a", ""]), "texts[1]"),
        (lambda: tts.synthesize(""), "text"),
        (lambda: tts.synthesize(5), "text"),
        (lambda: tts.synthesize("hi", voice=" "), "voice"),
        (lambda: stt.transcribe(b""), "audio"),
        (lambda: stt.transcribe("x"), "audio"),
        (lambda: stt.transcribe(b"RIFF1234WAVEfmt ", "audio/wav"), "WAV"),
        (lambda: stt.transcribe(b"\x00" * 64, 5), "media_type"),
        (lambda: stt.transcribe(b"\x00" * 64, "wav"), "media_type"),
        (lambda: stt.transcribe(b"\x00" * 64, "audio/pcm"), "rate"),
        (lambda: stt.transcribe(b"\x00" * 64, "audio/pcm;rate=16000;channels=0"), "channels"),
        (lambda: stt.transcribe_array(np.zeros(100, np.float32), "16000"), "rate"),
        (lambda: stt.transcribe_array(np.array([math.nan], np.float32), 16000), "NaN"),
    ]
    for call, named in cases:
        with pytest.raises(ConfigurationError, match=re.escape(named)):
            result = call()  # synthesize checks when called; the coroutines when awaited
            if not hasattr(result, "__anext__"):
                await result
    assert emulator.requests == []


def test_range_errors_print_whole_bounds_in_full() -> None:
    from axio_omni import ConfigurationError, OpenAITransport

    with pytest.raises(ConfigurationError) as info:
        OpenAITransport(base_url="http://127.0.0.1:1/v1", max_tokens=0)
    assert "from 1 to 2147483647" in str(info.value) and "e+" not in str(info.value)
