"""``GET /v1/realtime`` (WebSocket) in the emulator: the session's opening, with socket faults.

What is here is the part every realtime client starts with: the handshake (refused with the
scripted status like any request, through the middleware), ``session.created``, and
``session.update`` answered with ``session.updated``, in the GA shape. The conversation itself
(input audio, responses, tools) is not emulated yet: any other client event gets an ``error`` event
that says so, in OpenAI's shape. Socket faults close the socket with a code, or send an ``error``
event, after a number of server events.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from .shapes import error_response
from .state import CALL, Call

__all__ = ["handle_realtime"]

#: Larger than any event a client sends (a 15 MiB base64 audio append).
_MAX_MESSAGE = 16 * 1024 * 1024


def _event_id() -> str:
    return f"event_{uuid.uuid4().hex[:20]}"


class _SocketWriter:
    """Sends server events, applying the call's socket fault before each one."""

    def __init__(self, ws: web.WebSocketResponse, call: Call) -> None:
        self.ws, self.fault, self.sent = ws, call.fault.socket, 0

    async def send(self, event: dict[str, Any]) -> bool:
        """False once the fault has closed the socket (right after its Nth event)."""
        if await self._closed():
            return False
        if self.fault.ws_error_after == self.sent:
            self.sent += 1
            await self.ws.send_json(_error("server_error", "scripted failure", type_="server_error"))
        self.sent += 1
        await self.ws.send_json({"event_id": _event_id(), **event})
        return not await self._closed()

    async def _closed(self) -> bool:
        """Close the socket if the fault says so after the events sent so far; whether it did."""
        if self.sent != self.fault.ws_close_after:
            return False
        await self.ws.close(code=self.fault.ws_close_code, message=b"scripted close")
        return True


def _error(code: str, message: str, *, type_: str = "invalid_request_error", event_id: Any = None) -> dict[str, Any]:
    error = {"type": type_, "code": code, "message": message, "param": None, "event_id": event_id}
    return {"type": "error", "event_id": _event_id(), "error": error}


def _session(model: str) -> dict[str, Any]:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": f"sess_{uuid.uuid4().hex[:20]}",
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 200,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
        },
    }


async def handle_realtime(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    ws = web.WebSocketResponse(max_msg_size=_MAX_MESSAGE)
    if not ws.can_prepare(request).ok:
        return error_response(400, "this endpoint speaks WebSocket only (an Upgrade: websocket request)")
    await ws.prepare(request)
    out = _SocketWriter(ws, call)
    session = _session(request.query.get("model", "gpt-realtime"))
    if not await out.send({"type": "session.created", "session": session}):
        return ws
    async for message in ws:
        if message.type is not WSMsgType.TEXT:
            continue
        try:
            event = json.loads(message.data)
            kind = event["type"]
        except (ValueError, KeyError, TypeError):
            await ws.send_json(_error("invalid_json", "The event is not a JSON object with a type."))
            continue
        if kind == "session.update" and isinstance(event.get("session"), dict):
            update = event["session"]
            if update.get("type", "realtime") != "realtime":
                reply = _error("invalid_value", "session.type must be 'realtime'", event_id=event.get("event_id"))
                await ws.send_json(reply)
                continue
            session.update({k: v for k, v in update.items() if k != "type"})
            if not await out.send({"type": "session.updated", "session": session}):
                break
        else:
            note = f"the emulator's realtime endpoint handles session setup only; {kind!r} is not emulated yet"
            await ws.send_json(_error("unsupported_event", note, event_id=event.get("event_id")))
    return ws
