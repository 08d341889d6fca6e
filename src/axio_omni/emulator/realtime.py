"""``GET /v1/realtime`` (WebSocket) in the emulator: OpenAI's realtime API, GA event shapes, offline.

The handshake passes the middleware like any request (key check, refusal with a scripted status).
Then ``session.created`` (a transcription session with ``?intent=transcription``, or the session
an ephemeral key was made for); each client event is handled by :class:`~.realtime_turns.Conversation`
(``session.update``, the input buffer with server VAD, items, responses, cancel, truncate), which
answers as strictly as OpenAI, with the same error codes. Every server event gets an ``event_id``.

Socket faults, counted in server events sent: close with a code (``ws_close_after``,
``ws_close_code``), an ``error`` event (``ws_error_after``), ``session_expired`` and a close
(``ws_expire_after``), and a slow server (``ws_pace`` seconds before each response event).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from typing import Any

from aiohttp import WSMsgType, web

from .realtime_config import default_session, default_transcription_session
from .realtime_stream import error_event, new_id
from .realtime_turns import Conversation
from .shapes import error_response
from .state import CALL, STATE, Call, EmulatorState

__all__ = ["handle_realtime"]

#: Larger than any event a client sends (a 15 MiB base64 audio append).
_MAX_MESSAGE = 16 * 1024 * 1024


class _SocketWriter:
    """Sends server events in order (one at a time), applying the call's socket fault before each one."""

    def __init__(self, ws: web.WebSocketResponse, call: Call) -> None:
        self.ws, self.fault, self.sent = ws, call.fault.socket, 0
        self.closed = False
        self._lock = asyncio.Lock()

    async def send(self, event: dict[str, Any]) -> bool:
        """False once the socket is closed (by a fault right after its Nth event, or by the client)."""
        async with self._lock:
            if self.closed or self.ws.closed:
                return False
            if self.fault.ws_error_after == self.sent:
                self.sent += 1
                await self._write(error_event("server_error", "scripted failure", type="server_error"))
            if self.fault.ws_expire_after == self.sent:
                message = "Your session hit the maximum duration of 60 minutes."
                await self._write(error_event("session_expired", message))
                await self._close(1000, b"session expired")
                return False
            self.sent += 1
            await self._write(event)
            if self.sent == self.fault.ws_close_after:
                await self._close(self.fault.ws_close_code, b"scripted close")
                return False
            return True

    async def _write(self, event: dict[str, Any]) -> None:
        await self.ws.send_json({"event_id": new_id("event"), **event})

    async def _close(self, code: int, message: bytes) -> None:
        self.closed = True
        await self.ws.close(code=code, message=message)


#: What a long-running emulator (``axio-omni serve``) keeps of its sessions: the newest only.
_KEEP_AUDIO = 32 * 1024 * 1024
_KEEP_EVENTS = 20_000


def _record(state: EmulatorState, event: dict[str, Any]) -> None:
    if event.get("type") == "input_audio_buffer.append" and isinstance(event.get("audio"), str):
        try:
            state.realtime_audio += base64.b64decode(event["audio"])
        except ValueError:
            pass  # the conversation answers it with an error
        if len(state.realtime_audio) > _KEEP_AUDIO:
            del state.realtime_audio[: len(state.realtime_audio) - _KEEP_AUDIO]
        event = {**event, "audio": len(event["audio"])}
    state.realtime_events.append(event)
    if len(state.realtime_events) > _KEEP_EVENTS:
        del state.realtime_events[: _KEEP_EVENTS // 10]


def _opening_session(request: web.Request) -> dict[str, Any]:
    """The session a handshake opens: the one an ephemeral key was made for, a transcription session
    (``?intent=transcription``), or a conversation with the model asked for."""
    secret = request.app[STATE].client_secrets.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
    if secret is not None:
        session: dict[str, Any] = copy.deepcopy(secret.session)
        session["id"] = new_id("sess")
        return session
    if request.query.get("intent") == "transcription":
        return default_transcription_session()
    return default_session(request.query.get("model", "gpt-realtime"))


async def handle_realtime(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    state = request.app[STATE]
    ws = web.WebSocketResponse(max_msg_size=_MAX_MESSAGE)
    if not ws.can_prepare(request).ok:
        return error_response(400, "this endpoint speaks WebSocket only (an Upgrade: websocket request)")
    await ws.prepare(request)
    out = _SocketWriter(ws, call)
    pace = call.fault.socket.ws_pace

    async def wait() -> None:
        if pace:
            await state.clock.sleep(pace)

    conversation = Conversation(_opening_session(request), out.send, pace=wait)
    session = conversation.session
    if not await out.send({"type": "session.created", "session": session}):
        return ws
    try:
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            try:
                event = json.loads(message.data)
                if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                    raise ValueError
            except ValueError:
                await out.send(error_event("invalid_json", "The event is not a JSON object with a type."))
                continue
            _record(state, event)
            await conversation.handle(event)
            if out.closed:
                break
    finally:
        await conversation.stop(finish=out.closed)
    return ws
