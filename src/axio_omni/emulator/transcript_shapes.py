"""What every emulated transcription says besides its text, in OpenAI's shapes: the tokens it
streams in, their log-probabilities, and its usage (HTTP transcriptions and realtime captions alike)."""

from __future__ import annotations

from typing import Any

__all__ = ["logprob", "tokens", "usage"]

#: Audio tokens a second of input costs the gpt-4o transcription models here.
TOKENS_PER_SECOND = 10


def tokens(text: str) -> list[str]:
    """The transcript as the tokens it streams in: a word each, spaced as the text is."""
    words = [w for w in text.split(" ") if w]
    return [w if i == 0 else f" {w}" for i, w in enumerate(words)]


def logprob(token: str) -> dict[str, Any]:
    """A token's log-probability entry (``include=["logprobs"]``)."""
    return {"token": token, "logprob": round(-0.01 * len(token.strip()), 4), "bytes": list(token.encode())}


def usage(model: str, seconds: float, text: str, prompt: str | None = None) -> dict[str, Any]:
    """Seconds for whisper-1, tokens for the gpt-4o transcription models, as OpenAI bills them."""
    if model == "whisper-1":
        return {"type": "duration", "seconds": round(seconds)}
    audio = max(1, round(seconds * TOKENS_PER_SECOND))
    written = len(prompt or "") // 4
    output = max(1, len(text) // 4)
    return {
        "type": "tokens",
        "input_tokens": audio + written,
        "input_token_details": {"text_tokens": written, "audio_tokens": audio},
        "output_tokens": output,
        "total_tokens": audio + written + output,
    }
