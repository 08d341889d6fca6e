"""Settings saved by ``axio-transport-openai`` (the peer), read as ours: a user who switches keeps
their saved chat transport. Pure: a dict in, a dict out."""

from __future__ import annotations

from typing import Any

__all__ = ["from_peer_layout"]


def from_peer_layout(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (changed in place and returned) with the peer's names and units made ours; our own
    layout passes unchanged."""

    foreign = set(data)
    data.pop("api", None)  # that package may use /v1/responses; this transport speaks chat only
    retry = dict(data.get("retry") or {})
    if "max_retries" in data:
        # There it counts attempts; here, attempts after the first.
        retry["max_retries"] = max(0, int(data.pop("max_retries")) - 1)
    if "retry_base_delay" in data:
        retry["initial_delay"] = float(data.pop("retry_base_delay"))
    if retry:
        data["retry"] = retry
    if "extra_params" in data:
        data["extra_body"] = data.pop("extra_params")
    if data.get("api_key") == "":
        data["api_key"] = None
    if "max_output_tokens" in data:
        data["max_tokens"] = data.pop("max_output_tokens")
    if data.get("name") == "OpenAI" and "extra_params" in foreign:
        data.pop("name")  # that package's default label; ours tells the two apart
    return data
