"""Which ``reasoning_effort`` values a model takes: the thinking levels axio-repl offers for it.

Only reasoning models take the field; the others refuse it with a 400, so they get no levels and
``/thinking`` is refused for them rather than sent. The sets follow OpenAI's reference: the o-series
takes low to high, GPT-5 adds ``minimal``, GPT-5.1 and later take ``none`` instead of ``minimal``
(and the codex-max models ``xhigh``). A reasoning model the table does not know (served by
OpenRouter, Ollama, vLLM) gets low to high, which every server that takes the field knows.
"""

from __future__ import annotations

import re

from axio.models import Capability, ModelSpec

__all__ = ["EFFORTS", "thinking_levels"]

#: Every value of ``reasoning_effort`` any model takes, weakest first.
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_BASIC = ("low", "medium", "high")
_BY_ID: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(^|/)gpt-5\.\d.*codex-max"), ("none", "low", "medium", "high", "xhigh")),
    (re.compile(r"(^|/)gpt-5\.\d"), ("none", "low", "medium", "high")),
    (re.compile(r"(^|/)gpt-5"), ("minimal", "low", "medium", "high")),
)


def thinking_levels(model: ModelSpec) -> tuple[str, ...]:
    """The ``reasoning_effort`` values ``model`` takes, weakest first; none for a model that does
    not reason."""
    if Capability.reasoning not in model.capabilities:
        return ()
    return next((levels for pattern, levels in _BY_ID if pattern.search(model.id)), _BASIC)
