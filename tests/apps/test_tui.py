"""axio-tui (from PyPI) discovering, opening and reconfiguring axio-omni as it does at start-up and
after its settings screen is saved: saved settings in its own SQLite config, every value a string."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from axio.models import Capability
from axio_tui import transport_registry as registry_module
from axio_tui.sqlite_config import ProjectConfig, connect_config
from axio_tui.transport_registry import TransportRegistry

from axio_omni import tui
from axio_omni.emulator import Emulator

pytestmark = pytest.mark.apps


@pytest.fixture(autouse=True)
def only_ours(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """axio-tui sees only what axio-omni registers (not other transport packages a developer has
    installed, which may read their own files) and a home of its own."""
    monkeypatch.setenv("HOME", str(tmp_path))
    catalog = registry_module.discover_transports()
    # Not the hosted presets: they would look their hosts up (and wait on DNS where there is no network).
    hosted = ("omni-openrouter", "omni-azure")
    catalog.entries = {
        n: e for n, e in catalog.entries.items() if e.cls.__module__.startswith("axio_omni.") and n not in hosted
    }
    catalog.errors = {}
    screens = {
        n: s for n, s in registry_module.discover_transport_settings().items() if s.__module__.startswith("axio_omni.")
    }
    monkeypatch.setattr(registry_module, "discover_transports", lambda: catalog)
    monkeypatch.setattr(registry_module, "discover_transport_settings", lambda: screens)


@pytest.fixture
async def config(tmp_path: Path) -> AsyncIterator[ProjectConfig]:
    # One connection, opened here: ProjectConfig opens its own lazily, and axio-tui's concurrent
    # first reads then open one each and close one (the rest keep threads that outlive the test).
    connection = await connect_config(tmp_path / "config.db")
    yield ProjectConfig(connection, project=str(tmp_path))
    await connection.close()


async def test_axio_tui_opens_us_from_its_saved_strings(emulator: Emulator, config: ProjectConfig) -> None:
    for key, value in {"base_url": emulator.base_url, "temperature": "0.4", "max_output_tokens": "256"}.items():
        await config.set(f"transport.omni.{key}", value)
    registry = TransportRegistry()
    async with aiohttp.ClientSession() as session:
        await registry.init(session, config=config)
        try:
            assert "omni" in registry.available, registry.errors.get("omni")
            t = registry.get_transport("omni")
            assert (t.temperature, t.max_tokens, t.session) == (0.4, 256, session)
            assert registry.display_name("omni") == "OpenAI (omni)"
            assert registry.settings_screens()["omni"] is tui.ChatSettingsScreen
            ours = {m.id: m for name, m in registry.all_models() if name == "omni"}
            assert "emulator-1" in ours and not [i for i in ours if "embedding" in i]
            assert Capability.reasoning in ours["o4-mini"].capabilities
            reasoning = [m.id for name, m in registry.all_models(Capability.reasoning) if name == "omni"]
            assert reasoning == ["o4-mini"]
            chosen = registry.make_transport("omni", ours["o4-mini"])
            assert chosen.spec.id == "o4-mini" and chosen.temperature == 0.4 and chosen.session is session
        finally:
            await registry.close()


async def test_a_bad_saved_setting_shows_one_line_and_saving_a_good_one_recovers(
    emulator: Emulator, config: ProjectConfig
) -> None:
    registry = TransportRegistry()
    async with aiohttp.ClientSession() as session:
        await registry.init(session, config=config)
        try:
            await registry.save_settings("omni", {"base_url": emulator.base_url, "temperature": "hot"})
            assert "omni" not in registry.available
            error = registry.errors["omni"]
            assert (
                error.startswith("Invalid setting: OpenAITransport.temperature must be a number") and "\n" not in error
            )
            await registry.save_settings("omni", {"base_url": emulator.base_url, "temperature": "0.1"})
            assert "omni" in registry.available and "omni" not in registry.errors
            assert await config.get("transport.omni.temperature") == "0.1"
            assert registry.get_transport("omni").temperature == 0.1
        finally:
            await registry.close()


async def test_the_default_chat_model_is_ours_when_the_server_lists_it(
    emulator: Emulator, config: ProjectConfig
) -> None:
    await config.set("transport.omni.base_url", emulator.base_url)
    registry = TransportRegistry()
    async with aiohttp.ClientSession() as session:
        await registry.init(session, config=config)
        try:
            binding = registry.default_model("chat", Capability.text)
            assert binding is not None and binding.model.id == "gpt-4.1-mini"
            reasoning = registry.default_model("reasoning", Capability.reasoning)
            assert reasoning is not None and reasoning.model.id == "o4-mini"
        finally:
            await registry.close()
