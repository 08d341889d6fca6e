"""Regenerates the screenshots in docs/images/ (a developer step, not a test): axio-tui itself, headless,
talking to the emulator through axio-omni, and our settings screens.

    .venv/bin/python scripts/screenshots.py

axio-tui runs in a throwaway home and working directory, and sees only the transports axio-omni
registers (not other transport packages installed beside it), so the pictures are the same anywhere.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
import tempfile
from typing import Any

from textual.app import App

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "images"
SIZE = (110, 34)


class Host(App[None]):
    """Opens one settings screen, as axio-tui does."""

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.opened = screen

    def on_mount(self) -> None:
        self.push_screen(self.opened)


async def settings_screens() -> None:
    from axio_omni import tui

    shots = {
        "settings-chat.svg": tui.ChatSettingsScreen({"base_url": "http://127.0.0.1:8080/v1", "temperature": "0.3"}),
        "settings-azure.svg": tui.AzureSettingsScreen(
            {"endpoint": "https://contoso.openai.azure.com", "deployment": "gpt-4o", "v1": "true"}
        ),
    }
    for name, screen in shots.items():
        app = Host(screen)
        async with app.run_test(size=(100, 44)) as pilot:
            await pilot.pause()
            app.save_screenshot(name, str(IMAGES))
    app = Host(tui.ChatSettingsScreen({}))
    async with app.run_test(size=(100, 44)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#field-temperature")
        field.value = "7"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.save_screenshot("settings-refused.svg", str(IMAGES))


def only_ours() -> None:
    from axio_tui import transport_registry as registry

    catalog = registry.discover_transports()
    catalog.entries = {n: e for n, e in catalog.entries.items() if n in ("omni", "omni-responses")}
    catalog.errors = {}
    screens = {n: s for n, s in registry.discover_transport_settings().items() if n.startswith("omni")}
    registry.discover_transports = lambda: catalog
    registry.discover_transport_settings = lambda: screens


async def axio_tui(emulator_url: str) -> None:
    from axio_tui.app import AgentApp
    from axio_tui.options import StartupOptions
    from axio_tui.paths import ConfigPaths

    from axio_omni.tui import ChatSettingsScreen

    os.environ["OPENAI_BASE_URL"] = emulator_url
    only_ours()
    app = AgentApp(paths=ConfigPaths.discover(pathlib.Path.cwd(), None, []), options=StartupOptions(isolated=True))
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.ready.wait(), 60)
        await pilot.pause(0.5)
        await pilot.press(*"What is the weather in Paris?", "enter")
        await pilot.pause(2.0)
        app.save_screenshot("axio-tui-chat.svg", str(IMAGES))
        await app._show_transport_settings("omni", ChatSettingsScreen)
        await pilot.pause(0.5)
        app.save_screenshot("axio-tui-settings.svg", str(IMAGES))


async def main() -> None:
    from axio_omni.emulator import Emulator

    IMAGES.mkdir(parents=True, exist_ok=True)
    await settings_screens()
    with tempfile.TemporaryDirectory() as home:
        os.environ["HOME"] = home
        os.chdir(home)
        async with Emulator() as emulator:
            await axio_tui(emulator.base_url)
    print("screenshots written to", IMAGES, file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
