"""Ask for one line of text before a bulk change: the note for "mark done", the reason for "cancel"."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from workbench.i18n import t
from workbench.services.followup_model import NOTE_LIMIT


class NoteModal(ModalScreen[str | None]):
    """Dismisses with the typed text ('' allowed unless ``required``) or None when cancelled."""

    CSS_PATH = "followup_note_modal.tcss"
    BINDINGS = [Binding("escape", "cancel", t("followups.ui.cancel"), id="followups.note_cancel")]

    def __init__(self, title: str, prompt: str, placeholder: str = "", required: bool = False) -> None:
        super().__init__()
        self.title_text, self.prompt, self.placeholder, self.required = title, prompt, placeholder, required

    def compose(self) -> ComposeResult:
        with Vertical(id="nm-dialog"):
            yield Static(Text(self.prompt), id="nm-prompt")
            yield Input(placeholder=self.placeholder, max_length=NOTE_LIMIT, compact=True, id="nm-text")
            yield Static(id="nm-error")
            with Horizontal(id="nm-buttons"):
                yield Button(t("followups.ui.confirm"), variant="primary", compact=True, id="nm-ok")
                yield Button(t("followups.ui.cancel"), compact=True, id="nm-cancel")

    def on_mount(self) -> None:
        dialog = self.query_one("#nm-dialog")
        dialog.border_title = self.title_text
        dialog.border_subtitle = t("followups.ui.note_keys")
        self.query_one("#nm-text", Input).focus()

    @on(Input.Submitted, "#nm-text")
    @on(Button.Pressed, "#nm-ok")
    def _ok(self) -> None:
        text = self.query_one("#nm-text", Input).value.strip()
        if self.required and not text:
            self.query_one("#nm-error", Static).update(Text(t("followups.ui.note_required"), style="bold red"))
            return
        self.dismiss(text)

    @on(Button.Pressed, "#nm-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
