"""A requests limit, as OpenAI enforces and reports it: ``x-ratelimit-*`` headers on every answer,
and 429 ``rate_limit_exceeded`` (with the same headers) past the limit. Off unless a test or a
benchmark sets ``EmulatorState.quota``.

OpenAI replenishes a limit continuously rather than all at once at the end of a minute (a limit of
60 a minute is a request a second), and says in ``x-ratelimit-reset-requests`` how long until the
limit is whole again. This quota is that token bucket: ``limit`` requests, refilled at ``limit``
per ``window`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Quota"]


def _go_duration(seconds: float) -> str:
    """``seconds`` as OpenAI writes a reset: ``20ms``, ``1.5s``, ``6m0s``."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:.3f}s" if minutes else f"{rest:.3f}s"


@dataclass(slots=True)
class Quota:
    """``limit`` requests, refilled at ``limit`` per ``window`` seconds; ``refused`` counts the 429s."""

    limit: int
    window: float = 60.0
    refused: int = 0
    admitted: int = 0
    _level: float = -1.0
    _at: float = 0.0

    def _refill(self, now: float) -> None:
        if self._level < 0:
            self._level, self._at = float(self.limit), now
        self._level = min(float(self.limit), self._level + (now - self._at) * self.limit / self.window)
        self._at = now

    def admit(self, now: float) -> bool:
        """Whether a request arriving ``now`` is within the limit (and, if so, counts it)."""
        self._refill(now)
        if self._level < 1:
            self.refused += 1
            return False
        self._level -= 1
        self.admitted += 1
        return True

    def headers(self, now: float) -> dict[str, str]:
        self._refill(now)
        reset = (self.limit - self._level) * self.window / self.limit
        return {
            "x-ratelimit-limit-requests": str(self.limit),
            "x-ratelimit-remaining-requests": str(int(self._level)),
            "x-ratelimit-reset-requests": _go_duration(reset),
        }
