"""Long jobs (a video render): a pure poll schedule and the thin loop that follows it.

The next poll time is a function of the :class:`PollPolicy`, the number of polls so far, the
server's hint and the clock (:func:`next_wait`), so a job's whole life is tested with a fake clock
in milliseconds. :func:`poll_until` only sleeps, asks, and hands the answer to that function.

- ``deadline`` bounds the whole job, from the first poll to the last (creation and download are
  the transport's own requests, each under its ``RetryPolicy``); None for no bound.
- Without a hint, waits start at ``interval`` and grow by ``multiplier`` up to ``max_interval``.
- A server's hint (OpenAI's ``openai-poll-after-ms`` header) is honoured, clamped between
  ``min_interval`` (a floor, so a server asking for 0 ms is not polled in a busy loop) and
  ``max_interval``.
- A wait that would end past the deadline is cut to end at it, for one last poll.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from .errors import APITimeoutError, ConfigurationError, Phase
from .fields import check_settings, setting
from .rules import Number
from .serial import Serializable

__all__ = ["PollPolicy", "next_wait", "parse_poll_after", "poll_until"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PollPolicy(Serializable):
    """How often a long job is polled and how long it may take. Frozen and serializable."""

    type_name = "poll-policy"

    #: Seconds the whole job may take, polls and waits included; None for no bound.
    deadline: float | None = setting(1800.0, Number(above=0, optional=True, unit="seconds"))
    #: The first wait, when the server gives no hint.
    interval: float = setting(2.0, Number(above=0, unit="seconds"))
    #: The shortest wait, whatever the server hints.
    min_interval: float = setting(0.5, Number(0, unit="seconds"))
    #: The longest wait, whatever the server hints.
    max_interval: float = setting(30.0, Number(above=0, unit="seconds"))
    #: How much each unhinted wait grows over the one before.
    multiplier: float = setting(1.5, Number(1))

    def __post_init__(self) -> None:
        check_settings(self)
        if self.min_interval > self.max_interval:
            raise ConfigurationError(
                f"PollPolicy.min_interval ({self.min_interval:g}) must not exceed max_interval ({self.max_interval:g})"
            )


def next_wait(policy: PollPolicy, polls: int, hint: float | None, elapsed: float) -> float | None:
    """Seconds to wait before the next poll, or None when the deadline has passed.

    ``polls`` is how many polls were made so far, ``hint`` the server's suggested wait in seconds
    (None for none), ``elapsed`` the seconds since the job's first poll.
    """
    if hint is not None and math.isfinite(hint) and hint >= 0:
        wait = hint
    else:
        wait = policy.interval * policy.multiplier ** max(0, polls - 1)
    wait = min(max(wait, policy.min_interval), policy.max_interval)
    if policy.deadline is None:
        return wait
    left = policy.deadline - elapsed
    if left <= 0:
        return None
    return min(wait, left)


def parse_poll_after(headers: Mapping[str, str]) -> float | None:
    """The server's hint in seconds: ``openai-poll-after-ms``, else None."""
    raw = headers.get("openai-poll-after-ms")
    if raw is None:
        return None
    try:
        ms = float(raw)
    except ValueError:
        return None
    return ms / 1000.0 if math.isfinite(ms) and ms >= 0 else None


async def poll_until[T](
    policy: PollPolicy,
    probe: Callable[[], Awaitable[tuple[T | None, float | None]]],
    *,
    what: str = "job",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Call ``probe()`` until it returns a result, waiting as :func:`next_wait` says.

    ``probe`` returns ``(result, hint)``: a result ends the loop, None asks to poll again after the
    hint (seconds, or None). Errors from ``probe`` propagate: each poll is a request under its own
    retry policy. Raises :class:`APITimeoutError` when the deadline passes first.
    """
    started = clock()
    polls = 0
    while True:
        result, hint = await probe()
        polls += 1
        if result is not None:
            return result
        wait = next_wait(policy, polls, hint, clock() - started)
        if wait is None:
            raise APITimeoutError(
                f"{what} did not finish within the PollPolicy.deadline of {policy.deadline:g}s ({polls} polls)",
                phase=Phase.RESPONSE_STARTED,
            )
        await sleep(wait)
