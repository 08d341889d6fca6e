"""``POST /v1/realtime/client_secrets`` in the emulator: short-lived keys for browsers and phones.

A secret (``ek_...``) is bound to the session it was made for: the realtime handshake it opens
starts with that session (``session.created`` shows it). It opens ``/v1/realtime`` only, until it
expires on the emulator's clock; an expired or unknown one is refused at the handshake with a 401
in OpenAI's shape (:func:`ephemeral_refusal`), as any other endpoint refuses it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .realtime_config import apply_transcription_update, apply_update, default_session, default_transcription_session
from .shapes import error_response
from .state import CALL, STATE, Call, EmulatorState
from .writer import respond_json

__all__ = ["Secret", "ephemeral_refusal", "handle_client_secret"]

_SECONDS = (10, 7200)


@dataclass(frozen=True, slots=True)
class Secret:
    """A client secret: when it expires on the emulator's clock, and the session it opens."""

    expires: float
    session: dict[str, Any]


def _session(request_session: Any) -> dict[str, Any] | tuple[str, str]:
    """The effective session a secret is bound to, or why the requested one is refused."""
    if request_session is None:
        return default_session("gpt-realtime")
    if not isinstance(request_session, dict):
        return "session must be an object.", "session"
    if request_session.get("type") == "transcription":
        session = default_transcription_session()
        problem = apply_transcription_update(session, request_session)
    else:
        update = {k: v for k, v in request_session.items() if k != "model"}
        session = default_session(str(request_session.get("model") or "gpt-realtime"))
        problem = apply_update(session, update)
    return session if problem is None else (problem.message, problem.param)


async def handle_client_secret(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    state = request.app[STATE]
    body = call.body if call.body is not None else {}
    if not isinstance(body, dict):
        return error_response(400, "The request body must be a JSON object.")
    expires = body.get("expires_after") or {}
    seconds = expires.get("seconds", 600) if isinstance(expires, dict) else None
    if not isinstance(expires, dict) or expires.get("anchor", "created_at") != "created_at":
        return error_response(400, "expires_after.anchor must be 'created_at'.", param="expires_after.anchor")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not _SECONDS[0] <= seconds <= _SECONDS[1]:
        message = f"expires_after.seconds must be an integer from {_SECONDS[0]} to {_SECONDS[1]}."
        return error_response(400, message, param="expires_after.seconds")
    session = _session(body.get("session"))
    if isinstance(session, tuple):
        return error_response(400, session[0], param=session[1])
    value = f"ek_{secrets.token_hex(16)}"
    state.client_secrets[value] = Secret(state.clock.now() + seconds, session)
    answer = {"value": value, "expires_at": int(time.time()) + seconds, "session": session}
    return await respond_json(request, call, answer)


def ephemeral_refusal(state: EmulatorState, path: str, authorization: str | None) -> web.Response | None:
    """The 401 for a request that carries an ephemeral key it may not use: unknown, expired, or sent
    to another endpoint than the realtime handshake; None for a key that opens this handshake."""
    token = (authorization or "").removeprefix("Bearer ")
    secret = state.client_secrets.get(token)
    if secret is None:
        return error_response(401, "Incorrect API key provided: an unknown ephemeral key.", code="invalid_api_key")
    if state.clock.now() >= secret.expires:
        return error_response(401, "The ephemeral key has expired.", code="invalid_api_key")
    if path != "/v1/realtime":
        return error_response(401, "An ephemeral key opens realtime sessions only.", code="invalid_api_key")
    return None
