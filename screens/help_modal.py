"""F1 help, generated from the bindings active for the focused widget (never a hand-written table)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from workbench.i18n import t


class HelpModal(ModalScreen[None]):
    """Lists key, action description and binding id for everything the agent can press right now."""

    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll { width: 80; max-width: 95%; height: 80%; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", t("common.close"), id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]], focus_name: str) -> None:
        super().__init__()
        self.rows = rows
        self.focus_name = focus_name

    def compose(self) -> ComposeResult:
        table = Table(title=t("main.help_title", focus=self.focus_name), expand=True, show_edge=False)
        table.add_column(t("main.help_key"), no_wrap=True, style="bold cyan")
        table.add_column(t("main.help_action"))
        table.add_column(t("main.help_id"), style="dim", no_wrap=True)
        for key, description, binding_id in self.rows:
            table.add_row(Text(key), Text(description), Text(binding_id))
        with VerticalScroll():
            yield Static(table)
            yield Static(Text(t("main.help_hint"), style="dim"))
