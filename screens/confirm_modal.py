"""Ask before an action that moves a lot of work at once and cannot be undone with one key.

The question is shown literally (it may carry agent names from the cache); Enter confirms, Esc cancels.
Dismisses with True or False.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from workbench.i18n import t


class ConfirmModal(ModalScreen[bool]):
    """``question`` with a title; the keys line says what Enter does (``confirm``, e.g. 「确认交接」)."""

    CSS_PATH = "confirm_modal.tcss"
    BINDINGS = [
        Binding("enter", "confirm", t("common.confirm"), id="confirm.yes", priority=True),
        Binding("escape", "cancel", t("common.cancel"), id="confirm.no"),
    ]

    def __init__(self, title: str, question: str, confirm: str) -> None:
        super().__init__()
        self.title_text, self.question, self.confirm = title, question, confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Text(self.question), id="confirm-question")

    def on_mount(self) -> None:
        dialog = self.query_one("#confirm-dialog")
        dialog.border_title = self.title_text
        dialog.border_subtitle = t("common.confirm_keys", confirm=self.confirm)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
