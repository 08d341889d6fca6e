"""to_dict/from_dict: every setting round-trips, secrets stay out unless asked, bad input is named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axio.models import Capability, ModelSpec
from hypothesis import given
from hypothesis import strategies as st

import axio_omni
from axio_omni import ConfigurationError, OpenAITransport, RetryPolicy, Timeouts, from_dict
from axio_omni.serial import registered_types
from tests.helpers import DATA

KEY = "sk-test-SECRET-123456"


def full() -> OpenAITransport:
    return OpenAITransport(
        base_url="https://example.test/v1",
        api_key=KEY,
        api_key_env="MY_KEY",
        headers={"X-Trace": "1"},
        secret_headers={"X-Api-Key": "hidden-value"},
        query={"api-version": "2025-01-01"},
        timeouts=Timeouts(connect=3.0, read=None),
        retry=RetryPolicy(max_retries=4, deadline=None),
        model=ModelSpec("my-model", frozenset({Capability.text}), 100, 1000, 1.0, 2.0),
        temperature=0.5,
        max_tokens=99,
        stop=("x", "y"),
        tool_choice="required",
        extra_body={"logit_bias": {"1": 2}},
    )


def test_round_trip_is_exact_and_json_safe() -> None:
    t = full()
    d = t.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert from_dict(d).to_dict() == d
    assert OpenAITransport.from_dict(d).to_dict() == d


def test_secrets_are_written_only_when_asked() -> None:
    t = full()
    plain = json.dumps(t.to_dict())
    assert KEY not in plain and "hidden-value" not in plain and '"api_key_env": "MY_KEY"' in plain
    with_secrets = t.to_dict(include_secrets=True)
    assert with_secrets["api_key"] == KEY and with_secrets["secret_headers"] == {"X-Api-Key": "hidden-value"}
    assert OpenAITransport.from_dict(with_secrets).api_key == KEY


def test_repr_never_shows_a_secret() -> None:
    text = repr(full())
    assert KEY not in text and "hidden-value" not in text


def test_key_comes_from_the_named_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    restored = OpenAITransport.from_dict(full().to_dict())
    assert restored.api_key is None
    monkeypatch.setenv("MY_KEY", "from-env")
    assert restored.resolved_api_key() == "from-env"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"temperature": "hot"}, "temperature"),
        ({"bogus": 1}, "bogus"),
        ({"retry": {"max_retries": "three"}}, "max_retries"),
        ({"retry": {"unknown": 1}}, "unknown"),
        ({"timeouts": {"connect": True}}, "connect"),
        ({"stop": ["x", ""]}, "stop"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"model": 5}, "model"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"headers": {"a": 1}}, "headers"),
        ({"type": "dummy-tts"}, "type"),
    ],
)
def test_from_dict_names_the_bad_field(patch: dict[str, Any], field: str) -> None:
    d = full().to_dict() | patch
    with pytest.raises(ConfigurationError, match=field):
        OpenAITransport.from_dict(d)


def test_top_level_from_dict_needs_a_known_type() -> None:
    with pytest.raises(ConfigurationError, match="type"):
        from_dict({"base_url": "x"})
    with pytest.raises(ConfigurationError, match="unknown 'nope'"):
        from_dict({"type": "nope"})


#: What a type needs beyond its defaults (an Azure resource has no default).
REQUIRED = {"endpoint": "https://res.openai.azure.com", "deployment": "d"}


def test_every_registered_type_round_trips_with_defaults() -> None:
    for name, cls in registered_types().items():
        needed = {k: v for k, v in REQUIRED.items() if name.startswith("omni-azure")}
        obj = cls.from_dict({"type": name, **needed})
        assert from_dict(obj.to_dict()).to_dict() == obj.to_dict(), name


def test_reads_what_axio_transport_openai_writes() -> None:
    """The peer's to_dict() layout (no type, attempts count, extra_params, api) is accepted."""
    peer = {
        "name": "OpenAI",
        "base_url": "https://api.openai.com/v1",
        "api_key": KEY,
        "api": "responses",
        "model": "gpt-4.1",
        "max_retries": 10,
        "retry_base_delay": 5.0,
        "models": [
            {
                "id": "gpt-4.1",
                "context_window": 1047576,
                "max_output_tokens": 32768,
                "capabilities": ["text", "tool_use", "vision"],
                "input_cost": 2.0,
                "output_cost": 8.0,
            },
        ],
        "extra_params": {"service_tier": "flex"},
    }
    t = OpenAITransport.from_dict(peer)
    assert t.spec.id == "gpt-4.1" and t.retry.max_retries == 9 and t.retry.initial_delay == 5.0
    assert t.extra_body == {"service_tier": "flex"} and t.api_key == KEY
    assert Capability.tool_use in t.spec.capabilities


@given(
    temperature=st.none() | st.floats(0, 2),
    max_tokens=st.none() | st.integers(1, 10**6),
    retries=st.integers(0, 20),
    deadline=st.none() | st.floats(0.01, 1e6),
    headers=st.dictionaries(st.text("abcXYZ-", min_size=1, max_size=8), st.text("abc 123", max_size=8), max_size=3),
    stop=st.lists(st.text(min_size=1, max_size=5), max_size=4),
)
def test_round_trip_property(
    temperature: float | None,
    max_tokens: int | None,
    retries: int,
    deadline: float | None,
    headers: dict[str, str],
    stop: list[str],
) -> None:
    t = OpenAITransport(
        base_url="http://127.0.0.1:1/v1",
        temperature=temperature,
        max_tokens=max_tokens,
        headers=headers,
        retry=RetryPolicy(max_retries=retries, deadline=deadline),
        stop=tuple(stop),
    )
    d = t.to_dict()
    assert from_dict(json.loads(json.dumps(d))).to_dict() == d


def test_public_from_dict_is_exported() -> None:
    assert axio_omni.from_dict is from_dict


def test_settings_saved_before_the_reshape_still_read() -> None:
    """Dicts that the previous release's to_dict() wrote (recorded from it) rebuild the same settings."""
    saved = json.loads((DATA / "saved-before-reshape.json").read_text())

    def kept(old: Any, new: Any) -> Any:
        """``new`` restricted to the keys ``old`` has (new settings take their defaults)."""
        if isinstance(old, dict) and isinstance(new, dict):
            return {k: kept(v, new.get(k)) for k, v in old.items()}
        return new

    for old in saved:
        assert kept(old, from_dict(old).to_dict()) == old, old["type"]
    chat = from_dict(saved[0])
    assert isinstance(chat, OpenAITransport) and chat.retry.deadline == 120.0 and chat.timeouts.total is None
