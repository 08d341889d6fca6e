"""Every settings screen, driven headless with Textual's pilot: what it shows, what it saves, what it
refuses (and where it says so)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input, Select, Static

from axio_omni import tui
from axio_omni.app_form import check_form, form_fields
from axio_omni.errors import ConfigurationError

SCREENS = [getattr(tui, name) for name in tui.__all__ if name != "TransportSettingsScreen"]
#: Screens whose transport has a setting without a default (Azure's endpoint and deployment).
NEEDS_INPUT = {tui.AzureSettingsScreen}
UNSET = object()


class Host(App[None]):
    """An app that opens one screen and keeps what it was dismissed with."""

    def __init__(self, screen: tui.TransportSettingsScreen) -> None:
        super().__init__()
        self.opened = screen
        self.result: Any = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.opened, self.done)

    def done(self, result: dict[str, str] | None) -> None:
        self.result = result


async def type_into(pilot: Any, field_id: str, text: str) -> None:
    widget = pilot.app.screen.query_one(f"#{field_id}", Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


@pytest.mark.parametrize("screen_cls", SCREENS, ids=lambda c: c.__name__)
async def test_every_screen_shows_its_fields_and_saves_nothing_when_left_blank(screen_cls: Any) -> None:
    app = Host(screen_cls({}))
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, screen_cls)
        names = [f.name for f in screen.fields]
        assert names[: len(screen_cls.common)] == [n for n in screen_cls.common if n in names]
        assert "api_key_env" in names and "timeouts.read" in names and "retry.max_retries" in names
        assert all(name in names for name in screen_cls.own)
        assert screen.query_one("#field-api-key", Input).password
        await pilot.click("#btn-save")
        await pilot.pause()
    assert app.result == (UNSET if screen_cls in NEEDS_INPUT else {})


async def test_the_azure_screen_names_what_it_needs_and_saves_the_deployment() -> None:
    app = Host(tui.AzureSettingsScreen({}))
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#field-base-url")  # it follows from the endpoint
        await pilot.click("#btn-save")
        await pilot.pause()
        assert "OmniAzure.endpoint must be" in str(app.screen.query_one("#form-error", Static).render())
        assert app.screen.query_one("#field-endpoint", Input).has_class("invalid")
        await type_into(pilot, "field-endpoint", "https://res.openai.azure.com")
        await type_into(pilot, "field-deployment", "prod-chat")
        app.screen.query_one("#field-v1", Select).value = "true"
        await pilot.click("#btn-save")
        await pilot.pause()
    assert app.result == {"endpoint": "https://res.openai.azure.com", "deployment": "prod-chat", "v1": "true"}


async def test_the_chat_screen_saves_strings_and_the_key_variable_not_the_key() -> None:
    app = Host(tui.ChatSettingsScreen({"extra_body": '{"top_k": 5}', "timeouts": '{"total": 900}'}))
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-base-url", "http://127.0.0.1:8080/v1")
        await type_into(pilot, "field-api-key-env", "LOCAL_KEY")
        await type_into(pilot, "field-temperature", "0.3")
        await type_into(pilot, "field-max-tokens", "1024")
        await type_into(pilot, "field-timeouts--read", "30")
        app.screen.query_one("#field-reasoning-effort", Select).value = "low"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result == {
        "base_url": "http://127.0.0.1:8080/v1",
        "api_key_env": "LOCAL_KEY",
        "temperature": "0.3",
        "max_tokens": "1024",
        "reasoning_effort": "low",
        "extra_body": '{"top_k": 5}',  # saved before, not on the form: kept
        "timeouts": json.dumps({"total": 900, "read": "30"}),
    }
    assert "api_key" not in app.result


async def test_a_refused_value_is_named_in_place_and_nothing_is_saved() -> None:
    app = Host(tui.ChatSettingsScreen({}))
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-temperature", "7")
        await pilot.click("#btn-save")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, tui.ChatSettingsScreen)  # still open
        error = str(screen.query_one("#form-error", Static).render())
        assert "OpenAITransport.temperature must be a number from 0 to 2 or None, got '7'" in error
        field = screen.query_one("#field-temperature", Input)
        assert field.has_class("invalid") and field.has_focus
        await type_into(pilot, "field-temperature", "0.7")
        await type_into(pilot, "field-timeouts--connect", "-1")
        await pilot.click("#btn-save")
        await pilot.pause()
        assert "Timeouts.connect must be" in str(screen.query_one("#form-error", Static).render())
        assert screen.query_one("#field-timeouts--connect", Input).has_class("invalid")
        assert not field.has_class("invalid")
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


async def test_the_screen_shows_why_opening_failed_and_the_saved_values() -> None:
    saved = {"base_url": "http://10.0.0.5:8000/v1", "model": "qwen3", "_error": "Cannot reach the server: refused"}
    app = Host(tui.ChatSettingsScreen(saved))
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "Cannot reach the server" in str(screen.query_one("#open-error", Static).render())
        assert screen.query_one("#field-base-url", Input).value == "http://10.0.0.5:8000/v1"
        assert screen.query_one("#field-model", Input).value == "qwen3"
        assert screen.query_one("#field-temperature", Input).placeholder == ""
        assert screen.query_one("#field-timeouts--read", Input).placeholder == "120"
        await pilot.click("#btn-save")
        await pilot.pause()
    assert app.result == {"base_url": "http://10.0.0.5:8000/v1", "model": "qwen3"}  # not the _error


async def test_a_typed_key_is_saved_and_never_shown() -> None:
    app = Host(tui.EmbeddingSettingsScreen({}))
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-api-key", "sk-typed-0000")
        assert "sk-typed-0000" not in app.export_screenshot()
        await pilot.click("#btn-save")
        await pilot.pause()
    assert app.result == {"api_key": "sk-typed-0000"}


def test_the_form_rules_are_the_transports() -> None:
    fields = form_fields(tui.ChatSettingsScreen.transport, tui.ChatSettingsScreen.own)
    effort = next(f for f in fields if f.name == "reasoning_effort")
    assert effort.widget == "choice" and "high" in effort.choices
    with pytest.raises(ConfigurationError, match="OpenAITransport: unknown setting 'colour'"):
        check_form(tui.ChatSettingsScreen.transport, {}, {"colour": "blue"})
    assert check_form(tui.ChatSettingsScreen.transport, {"timeouts.read": ""}, {"timeouts": '{"read": 5}'}) == {}
