"""Ask why a stage is skipped, left with open items, or closed early. Dismisses with the reason or None.

The reason is stored on the case and audited, so the modal refuses an empty one instead of letting a
blank slip through; Esc cancels and nothing changes.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from playbooks.progress import MIN_REASON
from workbench.context import Context
from workbench.i18n import t


class SkipReasonModal(ModalScreen[str | None]):
    """``prompt`` says what is being skipped; the agent types a reason and presses Enter."""

    CSS_PATH = "skip_reason_modal.tcss"
    BINDINGS = [Binding("escape", "cancel", t("playbook.reason.cancel"), id="skip_reason.cancel")]

    def __init__(self, ctx: Context, prompt: str, title: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.prompt = prompt
        self.title_text = title or t("playbook.reason.title")

    def compose(self) -> ComposeResult:
        with Vertical(id="skip-reason-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = t("playbook.reason.keys")
            yield Static(self.prompt, id="skip-reason-prompt", markup=False)
            yield Input(placeholder=t("playbook.reason.placeholder"), id="skip-reason-input", max_length=500)
            yield Label("", id="skip-reason-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#skip-reason-input")
    def _submit(self, event: Input.Submitted) -> None:
        reason = " ".join(event.value.split())
        if len(reason) < MIN_REASON:
            self.query_one("#skip-reason-error", Label).update(t("playbook.reason_empty"))
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
