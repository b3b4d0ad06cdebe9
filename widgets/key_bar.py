"""The bottom key bar: the keys that work right now, as one line of text.

Textual's Footer builds one widget per key and recomposes on every focus change; measured on the main
screen that was ~100 ms of the first paint. This bar renders the same information (the active bindings
marked ``show``) into a single ``Text`` and just redraws it when the bindings change.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from workbench.i18n import t


class KeyBar(Static):
    """One-line hint of the active keys; the command palette key is always last."""

    DEFAULT_CSS = """
    KeyBar { height: 1; dock: bottom; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._render_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen:
            self._render_keys()

    def _render_keys(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            style = "bold" if active.enabled else "dim"
            text.append(self.app.get_key_display(binding), f"{style} cyan")
            text.append(" " + (binding.description or binding.action) + "  ", "" if active.enabled else "dim")
        text.append("^p", "bold cyan")
        text.append(" " + t("main.palette"))
        self.update(text)
