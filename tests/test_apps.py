"""What axio-tui and axio-repl ask of every transport: saved string settings, credentials, one-line
errors, thinking levels and the max-tokens alias, opening while the server is down."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import pytest
from axio.models import Capability, ModelSpec
from axio.transport import TransportEntry

from axio_omni import (
    ConfigurationError,
    OpenAIAudioGenTransport,
    OpenAIEmbeddingTransport,
    OpenAIImageTransport,
    OpenAIRealtimeTransport,
    OpenAISTTTransport,
    OpenAITransport,
    OpenAITTSTransport,
    OpenAIVideoTransport,
)
from axio_omni import errors as E
from axio_omni.describe import format_error
from axio_omni.emulator import Emulator
from axio_omni.hosts import is_keyless_host
from axio_omni.retry import RetryPolicy
from axio_omni.transports import chat

ALL = (
    OpenAITransport,
    OpenAIEmbeddingTransport,
    OpenAITTSTransport,
    OpenAISTTTransport,
    OpenAIImageTransport,
    OpenAIVideoTransport,
    OpenAIAudioGenTransport,
    OpenAIRealtimeTransport,
)


# ── settings saved as text ──────────────────────────────────────────────────────────────────────


def test_a_saved_config_of_strings_builds_the_chat_transport() -> None:
    saved: dict[str, Any] = dict(
        base_url="http://127.0.0.1:9/v1",
        temperature="0.5",
        max_tokens="1024",
        include_usage="false",
        parallel_tool_calls="true",
        seed="-3",
        stop="END",
        extra_body='{"top_k": 20}',
        headers='{"X-Trace": "1"}',
        timeouts='{"connect": 5}',
        retry='{"max_retries": 4}',
    )
    t = OpenAITransport(**saved)
    assert (t.temperature, t.max_tokens, t.include_usage, t.parallel_tool_calls, t.seed) == (0.5, 1024, False, True, -3)
    assert t.stop == ("END",) and dict(t.extra_body) == {"top_k": 20} and dict(t.headers) == {"X-Trace": "1"}
    assert t.timeouts.connect == 5 and t.retry.max_retries == 4


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_transport_reads_its_retry_and_timeouts_from_text(cls: Any) -> None:
    t = cls(retry='{"max_retries": "1"}', timeouts='{"read": "30"}', base_url="http://127.0.0.1:9/v1")
    assert t.retry.max_retries == 1 and t.timeouts.read == 30
    assert cls.from_dict(t.to_dict()).to_dict() == t.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"temperature": "warm"}, "OpenAITransport.temperature must be a number from 0 to 2 or None, got 'warm'"),
        ({"max_tokens": "1e3"}, "OpenAITransport.max_tokens must be an integer"),
        ({"include_usage": "maybe"}, "OpenAITransport.include_usage must be True or False, got 'maybe'"),
        ({"extra_body": "{not json"}, "OpenAITransport.extra_body must be a mapping of JSON data"),
        ({"retry": '{"max_retries": "lots"}'}, "RetryPolicy.max_retries must be an integer"),
    ],
)
def test_a_bad_saved_string_is_refused_by_name(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        OpenAITransport(**kwargs)
    assert named in str(info.value)


def test_a_setting_changed_later_is_checked_and_normalised() -> None:
    t = OpenAITransport(api_key="sk-test-0000")
    t.temperature = 1  # an int, as a caller may assign
    assert t.temperature == 1.0 and isinstance(t.temperature, float)
    with pytest.raises(ConfigurationError, match=r"OpenAITransport.temperature must be a number from 0 to 2"):
        t.temperature = 7.0
    assert t.temperature == 1.0
    with pytest.raises(ConfigurationError, match="api_key must be a non-empty string or None, got a int"):
        t.api_key = 5  # type: ignore[assignment]


def test_max_output_tokens_is_max_tokens() -> None:
    t = OpenAITransport(api_key="sk-test-0000")
    t.max_output_tokens = 1024
    assert t.max_tokens == 1024 and t.max_output_tokens == 1024
    assert t.build_payload([], [], "hi")["max_completion_tokens"] == 1024
    t.max_output_tokens = None
    assert "max_completion_tokens" not in t.build_payload([], [], "hi")
    with pytest.raises(ConfigurationError, match="max_tokens must be an integer from 1"):
        t.max_output_tokens = 0
    assert OpenAITransport.from_dict({"max_output_tokens": 64}).max_tokens == 64


# ── credentials ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("url", "keyless"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://10.1.2.3/v1", True),
        ("http://192.168.0.7:1234/v1", True),
        ("http://172.20.0.5/v1", True),
        ("http://169.254.1.1/v1", True),
        ("http://[fd00::5]/v1", True),
        ("http://ollama:11434/v1", True),
        ("http://gpu-box.lan/v1", True),
        ("http://vllm.internal:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://openrouter.ai/api/v1", False),
        ("http://8.8.8.8/v1", False),
        ("https://example.com/v1", False),
        ("not a url", False),
    ],
)
def test_keyless_hosts(url: str, keyless: bool) -> None:
    assert is_keyless_host(url) is keyless


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_has_credentials(cls: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not cls.has_credentials()
    assert not cls.has_credentials({"base_url": "https://example.com/v1"})
    assert cls.has_credentials({"base_url": "http://127.0.0.1:8080/v1"})
    assert cls.has_credentials({"api_key": "sk-typed-in"})
    monkeypatch.setenv("MY_KEY", "sk-from-env")
    assert cls.has_credentials({"api_key_env": "MY_KEY"}) and not cls.has_credentials({"api_key_env": "NONE_SET"})
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8080/v1")
    assert cls.has_credentials()  # the default base URL is now a loopback server
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert cls.has_credentials() and TransportEntry.from_target("x", cls).has_credentials()


# ── one line per error ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (
            E.RateLimitError("Rate limit reached\nfor gpt-4.1", status=429, request_id="req_1", retry_after=2.0),
            "Rate limited: Rate limit reached for gpt-4.1 (HTTP 429, retry in 2s, request req_1)",
        ),
        (
            E.AuthenticationError("Incorrect API key", status=401, code="invalid_api_key", request_id="req_2"),
            "API key refused: Incorrect API key (HTTP 401, code invalid_api_key, request req_2)",
        ),
        (E.NotFoundError("no such model", status=404), "Not found: no such model (HTTP 404)"),
        (E.InternalServerError("boom", status=503), "Server error: boom (HTTP 503)"),
        (E.ConnectError("Cannot connect to host 127.0.0.1:9"), "Cannot reach the server: Cannot connect to host"),
        (E.APITimeoutError("no response in 10s"), "Timed out: no response in 10s"),
        (E.StreamCutError("the stream ended early"), "Stream cut short: the stream ended early"),
        (E.ConfigurationError("OpenAITransport.temperature must be"), "Invalid setting: OpenAITransport.temperature"),
        (E.MalformedResponseError("bad JSON"), "Unreadable answer: bad JSON"),
        (E.ContentPolicyError("refused", status=400), "Refused by the content policy: refused (HTTP 400)"),
        (E.SessionClosedError("closed"), "Session closed: closed"),
        (RuntimeError("something else"), "RuntimeError: something else"),
        (TimeoutError(), "Timed out"),
        (aiohttp.ClientConnectionError("reset"), "Connection failed: reset"),
    ],
)
def test_format_error_gives_one_line(error: BaseException, line: str) -> None:
    shown = OpenAITransport.format_error(error)
    assert shown.startswith(line) and "\n" not in shown
    assert TransportEntry.from_target("omni", OpenAITransport).format_error(error) == shown


def test_format_error_counts_attempts_and_never_shows_a_key() -> None:
    key = "sk-secret-abcdef123456"
    E.register_secret(key)
    error = E.InternalServerError(f"upstream said {key}", status=500, request_id="req_9")
    error.attempts = 3
    assert format_error(error) == "Server error: upstream said *** (HTTP 500, 3 attempts, request req_9)"
    assert key not in format_error(ValueError(f"bad {key}"))
    assert len(format_error(E.OmniError("x" * 1000))) < 320


# ── thinking ───────────────────────────────────────────────────────────────────────────────────


def test_thinking_levels_follow_the_model() -> None:
    t = OpenAITransport(api_key="sk-test-0000", model="o4-mini")
    assert t.supported_thinking_levels() == ("low", "medium", "high")
    assert t.configure_thinking("high") == "Reasoning effort: high (levels: default, low, medium, high)"
    assert t.build_payload([], [], "hi")["reasoning_effort"] == "high"
    with pytest.raises(ValueError, match=r"o4-mini takes reasoning_effort low, medium, high \(or default\), not 'max'"):
        t.configure_thinking("max")
    assert t.reasoning_effort == "high"
    t.configure_thinking("default")
    assert "reasoning_effort" not in t.build_payload([], [], "hi")
    assert t.supported_thinking_levels(ModelSpec("gpt-5-mini", frozenset({Capability.reasoning})))[0] == "minimal"
    assert t.supported_thinking_levels(ModelSpec("gpt-5.1", frozenset({Capability.reasoning})))[0] == "none"


def test_thinking_is_refused_for_a_model_that_does_not_reason() -> None:
    t = OpenAITransport(api_key="sk-test-0000", model="gpt-4.1-mini")
    assert t.supported_thinking_levels() == ()
    assert "does not reason" in t.describe_thinking()
    with pytest.raises(ValueError, match="gpt-4.1-mini does not reason"):
        t.configure_thinking("high")
    assert t.reasoning_effort is None


def test_a_model_change_keeps_the_effort_only_where_it_is_taken() -> None:
    t = OpenAITransport(api_key="sk-test-0000", model="o3")
    t.configure_thinking("low")
    assert t.with_model("o4-mini").reasoning_effort == "low"
    assert t.with_model("gpt-4.1").reasoning_effort is None
    custom = OpenAITransport(api_key="sk-test-0000", model="my-local", reasoning_effort="high")
    assert custom.with_model("other-local").reasoning_effort == "high"  # set by the caller: kept


# ── opening from an app ────────────────────────────────────────────────────────────────────────


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_app_opens_us_with_saved_strings(emulator: Emulator) -> None:
    entry = TransportEntry.from_target("omni", OpenAITransport)
    saved: dict[str, Any] = {
        "base_url": emulator.base_url,
        "model": "emulator-1",
        "temperature": "0.2",
        "max_output_tokens": "99",
    }
    async with aiohttp.ClientSession() as session, entry.open(session=session, **saved) as t:
        assert (t.temperature, t.max_tokens, t.session) == (0.2, 99, session)
        assert "emulator-1" in t.models and t.models["emulator-1"].capabilities >= {Capability.tool_use}


async def test_an_unknown_saved_setting_is_refused_by_name() -> None:
    entry = TransportEntry.from_target("omni", OpenAITransport)
    with pytest.raises(ConfigurationError, match=r"OpenAITransport: unknown setting 'colour' \(known: api_key,"):
        async with entry.open(session=None, colour="blue"):
            pass


async def test_a_transport_opened_while_the_server_is_down_takes_the_list_when_it_comes_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No turn needed: the watcher asks again, waiting longer each time, until the server answers."""
    monkeypatch.setattr(chat, "WATCH_WAITS", (0.05, 0.1))
    port = free_port()
    entry = TransportEntry.from_target("omni", OpenAITransport)
    fast = RetryPolicy(max_retries=0)
    async with entry.open(session=None, base_url=f"http://127.0.0.1:{port}/v1", retry=fast) as t:
        assert t.models_pending and "emulator-1" not in t.models
        await asyncio.sleep(0.3)  # a few tries against nothing
        async with Emulator(port=port):
            for _ in range(100):
                if not t.models_pending:
                    break
                await asyncio.sleep(0.05)
            assert not t.models_pending and "emulator-1" in t.models
    assert not [task for task in asyncio.all_tasks() if "model list" in task.get_name()]


async def test_the_watcher_stops_when_the_app_closes_the_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "WATCH_WAITS", (0.02,))
    entry = TransportEntry.from_target("omni", OpenAITransport)
    url = f"http://127.0.0.1:{free_port()}/v1"
    async with entry.open(session=None, base_url=url, retry=RetryPolicy(max_retries=0)) as t:
        assert t.models_pending
        await asyncio.sleep(0.1)
        assert [task for task in asyncio.all_tasks() if "model list" in task.get_name()]
    assert not [task for task in asyncio.all_tasks() if "model list" in task.get_name()]


async def test_model_selection_error_says_what_the_server_serves(emulator: Emulator) -> None:
    t = OpenAITransport(base_url=emulator.base_url)
    await t.fetch_models()
    assert t.model_selection_error("gpt-9").startswith(f"OpenAI (omni) ({emulator.base_url}) does not list 'gpt-9'")
    assert "emulator-1" in t.model_selection_error("gpt-9")
    assert "not a chat model" in t.model_selection_error("text-embedding-3-small")


def test_names_tell_us_apart_from_the_peer() -> None:
    assert OpenAITransport(api_key="sk-test-0000").name == "OpenAI (omni)"
    assert all(cls.display_name.endswith("(omni)") for cls in ALL)  # as the apps show them
    peer = {"name": "OpenAI", "base_url": "https://api.openai.com/v1", "api_key": "", "extra_params": {}}
    assert OpenAITransport.from_dict(peer).name == "OpenAI (omni)"
    assert OpenAITransport.from_dict({"name": "OpenAI"}).name == "OpenAI"  # ours, named by its user


def test_default_models_are_in_the_catalogue() -> None:
    models = OpenAITransport(api_key="sk-test-0000").models
    assert {"chat", "vision", "reasoning"} <= set(OpenAITransport.default_models)
    for role, model_id in OpenAITransport.default_models.items():
        assert model_id in models, role
    assert Capability.reasoning in models[OpenAITransport.default_models["reasoning"]].capabilities
    assert Capability.vision in models[OpenAITransport.default_models["vision"]].capabilities
