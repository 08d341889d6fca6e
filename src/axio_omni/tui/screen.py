"""The settings screen axio-tui opens for a transport: one Textual ``ModalScreen`` drawn from the
transport's form (``app_form``), checked on save by the transport's own rules.

axio-tui builds it as ``screen_cls(settings)`` with the saved settings (every value a string, plus
``_error`` when opening failed) and takes what it dismisses with: the settings to save, or None.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ..app_form import COMMON, FormField, check_form, field_named, form_fields, form_values
from ..errors import ConfigurationError

__all__ = ["TransportSettingsScreen", "settings_screen"]


class TransportSettingsScreen(ModalScreen[dict[str, str] | None]):
    """A settings form for ``transport``: ``own`` names its settings shown between the common ones
    (base URL, key variable, key, model) and the timeouts. Save (or Ctrl+S) checks the form and
    names the refused field in place; Escape cancels."""

    transport: ClassVar[type[Any]]
    title_text: ClassVar[str]
    own: ClassVar[tuple[str, ...]] = ()
    common: ClassVar[tuple[str, ...]] = COMMON

    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]
    DEFAULT_CSS = """
    TransportSettingsScreen { align: center middle; }
    TransportSettingsScreen #omni-settings {
        width: 84; height: auto; max-height: 95%; border: heavy $accent; background: $panel; padding: 0 2;
    }
    TransportSettingsScreen #omni-fields { height: auto; max-height: 60vh; }
    TransportSettingsScreen .field-label { margin-top: 1; color: $text-muted; }
    TransportSettingsScreen .invalid { border: tall $error; }
    TransportSettingsScreen #form-error { color: $error; margin-top: 1; }
    TransportSettingsScreen #open-error { color: $warning; }
    TransportSettingsScreen .settings-buttons { height: auto; margin-top: 1; }
    TransportSettingsScreen .settings-buttons Button { margin: 0 1; }
    """

    def __init__(self, settings: dict[str, str]) -> None:
        super().__init__()
        self.settings = dict(settings)
        self.fields = form_fields(self.transport, self.own, self.common)

    def compose(self) -> ComposeResult:
        values = form_values(self.fields, self.settings)
        with Vertical(id="omni-settings"):
            yield Static(f"[bold]{escape(self.title_text)}[/]")
            if self.settings.get("_error"):
                yield Static(f"Opening failed: {escape(self.settings['_error'])}", id="open-error")
            # The fields scroll; the error line and the buttons stay in sight.
            with VerticalScroll(id="omni-fields"):
                for f in self.fields:
                    yield Label(f.label, classes="field-label")
                    yield _widget(f, values[f.name])
            yield Static("", id="form-error")
            with Horizontal(classes="settings-buttons"):
                yield Button("Save", id="btn-save", variant="primary")
                yield Button("Cancel", id="btn-cancel")

    def on_mount(self) -> None:
        self.query_one(f"#{self.fields[0].id}").focus()

    def values(self) -> dict[str, str]:
        """What the form holds now, by setting name."""
        out = {}
        for f in self.fields:
            widget = self.query_one(f"#{f.id}")
            value = widget.value if isinstance(widget, (Input, Select)) else ""
            out[f.name] = value if isinstance(value, str) else ""
        return out

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "btn-save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        """Dismiss with the settings to save, or name the refused field and stay open."""
        for widget in self.query(".invalid"):
            widget.remove_class("invalid")
        shown = {f.name for f in self.fields}
        keep = {k: v for k, v in self.settings.items() if k not in shown}
        try:
            result = check_form(self.transport, self.values(), keep)
        except ConfigurationError as error:
            self.query_one("#form-error", Static).update(escape(error.message))
            bad = field_named(self.transport, self.fields, error.message)
            if bad is not None:
                widget = self.query_one(f"#{bad.id}")
                widget.add_class("invalid")
                widget.focus()
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


def settings_screen(
    name: str, transport: type[Any], title: str, own: tuple[str, ...] = (), common: tuple[str, ...] = COMMON
) -> type[TransportSettingsScreen]:
    """A settings screen class for ``transport`` (what an ``axio.transport.settings`` entry point names)."""
    attributes = {"transport": transport, "title_text": title, "own": own, "common": common}
    screen = type(name, (TransportSettingsScreen,), attributes)
    screen.__module__ = "axio_omni.tui"
    screen.__doc__ = f"axio-tui's settings screen for {transport.__name__}."
    return screen


def _widget(f: FormField, value: str) -> Input | Select[str]:
    if f.widget in ("text", "secret"):
        return Input(value=value, placeholder=f.default, password=f.widget == "secret", id=f.id)
    choices = f.choices or ("true", "false")
    default = f"default ({f.default})" if f.default else "default"
    # A plain "" option stands for "unset": Select's own blank value differs across Textual versions.
    options = [(default, ""), *((c, c) for c in choices)]
    return Select(options, allow_blank=False, value=value if value in choices else "", id=f.id)
