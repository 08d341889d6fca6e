"""The emulator's answers validate against OpenAI's schema, and its faults do what they say."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

import aiohttp
import pytest

from axio_omni.emulator import FAULT_HEADER, Emulator, Fault
from tests.helpers import schema_errors, sse_payloads

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    }
]


async def post(emu: Emulator, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as s,
        s.post(emu.base_url + "/chat/completions", json=body, headers=headers or {}) as r,
    ):
        return r.status, await r.read()


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "emulator-1", "messages": [{"role": "user", "content": text}], **extra}


async def test_models_list_validates(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as s, s.get(emulator.base_url + "/models") as r:
        body = await r.json()
    assert schema_errors("ListModelsResponse", body) == []
    assert "emulator-1" in [m["id"] for m in body["data"]]


@pytest.mark.parametrize("tools", [False, True])
async def test_non_streamed_answers_validate(emulator: Emulator, tools: bool) -> None:
    body = chat("Weather in Oslo? use get_weather", **({"tools": TOOLS} if tools else {}))
    status, raw = await post(emulator, body)
    answer = json.loads(raw)
    assert status == 200 and schema_errors("CreateChatCompletionResponse", answer) == []
    message = answer["choices"][0]["message"]
    if tools:
        call = message["tool_calls"][0]["function"]
        assert call["name"] == "get_weather" and json.loads(call["arguments"]) == {"city": "Oslo", "days": 1}
        assert answer["choices"][0]["finish_reason"] == "tool_calls"
    else:
        assert message["content"] == "You said: Weather in Oslo? use get_weather"


@pytest.mark.parametrize("tools", [False, True])
async def test_stream_chunks_validate(emulator: Emulator, tools: bool) -> None:
    body = chat(
        "Weather in Oslo? use get_weather",
        stream=True,
        stream_options={"include_usage": True},
        **({"tools": TOOLS} if tools else {}),
    )
    status, raw = await post(emulator, body)
    chunks = list(sse_payloads(raw))
    assert status == 200 and raw.endswith(b"data: [DONE]\n\n") and len(chunks) > 3
    for c in chunks:
        assert schema_errors("CreateChatCompletionStreamResponse", c) == []
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


async def test_final_answer_after_tool_result(emulator: Emulator) -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "weather? use get_weather"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ],
        "tools": TOOLS,
    }
    _, raw = await post(emulator, body)
    assert json.loads(raw)["choices"][0]["message"]["content"] == "The get_weather tool returned: sunny"


async def test_max_tokens_cuts_with_length(emulator: Emulator) -> None:
    _, raw = await post(emulator, chat("one two three four five", max_completion_tokens=2))
    answer = json.loads(raw)
    assert (
        answer["choices"][0]["finish_reason"] == "length" and answer["choices"][0]["message"]["content"] == "You said: "
    )


@pytest.mark.parametrize("shape", ["openai", "string", "detail"])
async def test_error_shapes(emulator: Emulator, shape: str) -> None:
    status, raw = await post(emulator, chat("x"), {FAULT_HEADER: f"status=429;body={shape};retry_after=1"})
    body = json.loads(raw)
    assert status == 429
    if shape == "openai":
        assert schema_errors("ErrorResponse", body) == []
    elif shape == "detail":
        assert body["detail"]["error"]["message"] == "scripted failure"
    else:
        assert body == {"error": "scripted failure"}


async def test_invalid_request_is_a_400_in_openai_shape(emulator: Emulator) -> None:
    status, raw = await post(emulator, {"model": "m", "messages": []})
    assert status == 400 and schema_errors("ErrorResponse", json.loads(raw)) == []


async def test_header_fault_times_counts_requests(emulator: Emulator) -> None:
    headers = {FAULT_HEADER: "status=500;times=2"}
    statuses = [(await post(emulator, chat("x"), headers))[0] for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_bad_fault_header_is_a_400(emulator: Emulator) -> None:
    status, raw = await post(emulator, chat("x"), {FAULT_HEADER: "explode=yes"})
    assert status == 400 and b"explode" in raw


async def test_queued_faults_apply_in_order_and_by_path(emulator: Emulator) -> None:
    emulator.fail_next(Fault.of(status=404, path="/v1/models"))
    emulator.fail_next("status=502")
    assert (await post(emulator, chat("x")))[0] == 502
    assert (await post(emulator, chat("x")))[0] == 200
    async with aiohttp.ClientSession() as s, s.get(emulator.base_url + "/models") as r:
        assert r.status == 404
    assert len(emulator.faults) == 0


def test_fault_parsing_names_bad_settings() -> None:
    parsed = Fault.parse("status=503; retry_after_ms=20; should_retry=false; drop_after=2; ws_close_after=1; times=3")
    assert parsed == Fault.of(
        status=503, retry_after_ms=20, should_retry=False, drop_after=2, ws_close_after=1, times=3
    )
    assert parsed.transport.status == 503 and parsed.stream.drop_after == 2 and parsed.socket.ws_close_after == 1
    for bad in ("nope=1", "status=abc", "body=xml", "error_event=maybe"):
        with pytest.raises(ValueError, match=bad.split("=")[0]):
            Fault.parse(bad)


async def test_cli_serves_the_emulator() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "axio_omni.cli",
        "serve",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/v1/models") as r:
                    assert r.status == 200
                    assert "emulator-1" in [m["id"] for m in (await r.json())["data"]]
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the emulator CLI did not start")
    finally:
        proc.terminate()
        await proc.wait()


async def test_serve_on_port_0_says_the_port_it_bound_and_a_busy_port_is_one_line() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "axio_omni.cli", "serve", "--port", "0", stderr=asyncio.subprocess.PIPE
    )
    assert proc.stderr is not None
    try:
        banner = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
        port = int(banner.split("http://127.0.0.1:")[1].split("/")[0])
        assert port > 0 and banner.endswith("/v1 (Ctrl-C to stop)\n")
        async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/v1/models") as r:
            assert r.status == 200
        busy = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "axio_omni.cli", "serve", "--port", str(port), stderr=asyncio.subprocess.PIPE
        )
        _, err = await asyncio.wait_for(busy.communicate(), 30)
        lines = err.decode().strip().splitlines()
        assert busy.returncode == 1 and len(lines) == 1, lines
        assert (
            lines[0].startswith(f"axio-omni serve: cannot listen on 127.0.0.1:{port}") and "Traceback" not in lines[0]
        )
    finally:
        proc.terminate()
        assert await proc.wait() == 0  # SIGTERM: a clean stop


async def test_a_manual_clock_holds_a_stall_until_the_test_moves_time() -> None:
    """Scripted waits run on the emulator's clock: a 60 s stall passes in no time when advanced."""
    from axio_omni.emulator import ManualClock

    clock = ManualClock()
    async with Emulator(clock=clock) as emu, aiohttp.ClientSession() as s:
        headers = {FAULT_HEADER: "stall_after=2;stall=60"}
        async with s.post(
            emu.base_url + "/chat/completions", json=chat("one two three", stream=True), headers=headers
        ) as r:
            before = await r.content.readuntil(b"\n\n") + await r.content.readuntil(b"\n\n")
            assert before.count(b"data: ") == 2
            await clock.until_sleeping()
            await clock.advance(60)
            rest = await r.read()
    assert rest.endswith(b"data: [DONE]\n\n") and clock.now() == 60


async def test_every_endpoint_reads_the_stream_fault_the_same_way(emulator: Emulator) -> None:
    """drop_after_bytes cuts a JSON answer as it cuts a stream: the client sees a cut body."""
    async with aiohttp.ClientSession() as s:
        for path, body in (("/models", None), ("/embeddings", {"model": "m", "input": ["a", "b"]})):
            method = s.get if body is None else s.post
            async with method(
                emulator.base_url + path, json=body, headers={FAULT_HEADER: "drop_after_bytes=10;times=2"}
            ) as r:
                assert r.status == 200
                with pytest.raises(aiohttp.ClientPayloadError):
                    await r.read()
