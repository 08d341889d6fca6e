"""The WebSocket boundary: the realtime handshake is built like an HTTP request and refused like one."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosedError

from axio_omni import (
    AuthenticationError,
    ConnectError,
    InternalServerError,
    NotFoundError,
    OpenAITransport,
    PermissionDeniedError,
    Phase,
    RetryPolicy,
    RetryWaitTooLongError,
)
from axio_omni.emulator import Emulator
from axio_omni.transports.websocket import open_websocket
from tests.helpers import schema_errors

KEY = "sk-realtime-handshake-KEY-1234"
FAST = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.002)
OPEN: dict[str, Any] = {"max_size": 16 * 2**20, "ping_interval": 20.0, "ping_timeout": 20.0}


def handshake(base_url: str, *, fault: str | None = None, path: str = "/realtime", **kw: Any) -> Any:
    headers = {"X-Emulator-Fault": fault} if fault else {}
    t = OpenAITransport(base_url=base_url, api_key=kw.pop("api_key", KEY), headers=headers, **kw)
    return t._websocket_request(path, what="realtime session", query={"model": "gpt-realtime"})


async def test_the_handshake_carries_the_transports_url_headers_and_key(emulator: Emulator) -> None:
    t = OpenAITransport(base_url=emulator.base_url, api_key=KEY, headers={"OpenAI-Beta": "x"}, query={"v": "1"})
    req = t._websocket_request("/realtime", what="realtime session", query={"model": "gpt-realtime"})
    assert req.url.startswith("ws://") and req.url.endswith("/v1/realtime?v=1&model=gpt-realtime")
    async with await open_websocket(req, FAST, **OPEN) as ws:
        created = json.loads(await ws.recv())
        assert created["type"] == "session.created" and created["session"]["model"] == "gpt-realtime"
        await ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "instructions": "Hi"}}))
        updated = json.loads(await ws.recv())
        assert updated["type"] == "session.updated" and updated["session"]["instructions"] == "Hi"
    sent = emulator.requests[0].headers
    assert sent["Authorization"] == f"Bearer {KEY}" and sent["OpenAI-Beta"] == "x" and "Accept" not in sent


@pytest.mark.parametrize(
    ("fault", "error", "tries"),
    [
        ("status=403", PermissionDeniedError, 1),
        ("status=404", NotFoundError, 1),
        ("status=500;times=5", InternalServerError, 3),
        ("status=429;retry_after=3600", RetryWaitTooLongError, 1),
    ],
)
async def test_a_refused_handshake_is_the_typed_error_an_http_call_gets(
    emulator: Emulator, fault: str, error: type[Exception], tries: int
) -> None:
    with pytest.raises(error) as info:
        await open_websocket(handshake(emulator.base_url, fault=f"{fault};message=refused {KEY}"), FAST, **OPEN)
    value: Any = info.value
    assert value.request_id and value.request_id.startswith("req_") and value.phase is Phase.RESPONSE_STARTED
    assert len(emulator.requests) == tries and KEY not in str(value) and KEY not in repr(vars(value))


async def test_a_refused_handshake_raises_at_once(emulator: Emulator) -> None:
    """The server keeps the refused connection open; the client does not wait for it to close
    (websockets 13.0 waited its 10 s close timeout, hence the 13.1 floor)."""
    started = time.monotonic()
    with pytest.raises(PermissionDeniedError):
        await open_websocket(handshake(emulator.base_url, fault="status=403"), FAST, **OPEN)
    # A hang, not a speed: the answer is there in milliseconds, the old wait was 10 s.
    assert time.monotonic() - started < 5


async def test_a_rate_limited_handshake_waits_and_opens(emulator: Emulator) -> None:
    req = handshake(emulator.base_url, fault="status=429;retry_after_ms=5;times=1")
    async with await open_websocket(req, FAST, **OPEN) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
    assert len(emulator.requests) == 2


async def test_a_wrong_key_is_an_authentication_error() -> None:
    async with Emulator(api_key="sk-the-right-key-000") as emu:
        with pytest.raises(AuthenticationError) as info:
            await open_websocket(handshake(emu.base_url, api_key=KEY), FAST, **OPEN)
    assert info.value.status == 401 and KEY not in str(info.value)


async def test_no_server_is_a_connect_error_retried_as_the_policy_says() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError) as info:
        await open_websocket(handshake(f"http://127.0.0.1:{port}/v1"), FAST, **OPEN)
    assert info.value.attempts == 3 and info.value.phase is Phase.BEFORE_SENDING


async def test_socket_faults_close_with_a_code_or_send_an_error(emulator: Emulator) -> None:
    async with await open_websocket(handshake(emulator.base_url, fault="ws_error_after=0"), FAST, **OPEN) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "error" and first["error"]["type"] == "server_error"
        assert json.loads(await ws.recv())["type"] == "session.created"
    req = handshake(emulator.base_url, fault="ws_close_after=1;ws_close_code=1011")
    async with await open_websocket(req, FAST, **OPEN) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011


async def test_an_unknown_event_type_gets_an_error_event_naming_it(emulator: Emulator) -> None:
    async with await open_websocket(handshake(emulator.base_url), FAST, **OPEN) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "bogus.event", "event_id": "e1"}))
        error = json.loads(await ws.recv())
    assert error["type"] == "error" and error["error"]["code"] == "invalid_value"
    assert error["error"]["event_id"] == "e1" and error["error"]["param"] == "type"
    assert "bogus.event" in error["error"]["message"]


async def test_the_session_events_follow_openais_schema(emulator: Emulator) -> None:
    update = {
        "type": "session.update",
        "session": {"type": "realtime", "instructions": "Be brief.", "output_modalities": ["audio"]},
    }
    assert schema_errors("RealtimeClientEventSessionUpdate", update) == []
    async with await open_websocket(handshake(emulator.base_url), FAST, **OPEN) as ws:
        created = json.loads(await ws.recv())
        await ws.send(json.dumps(update))
        updated = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "bogus.event", "event_id": "e1"}))
        error = json.loads(await ws.recv())
    assert schema_errors("RealtimeServerEventSessionCreated", created) == []
    assert schema_errors("RealtimeServerEventSessionUpdated", updated) == []
    assert schema_errors("RealtimeServerEventError", error) == []
