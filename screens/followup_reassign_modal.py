"""Pick the agent who takes over one or many follow-ups (the board's and the hand-off's "改派")."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from workbench.i18n import t


class ReassignModal(ModalScreen[str | None]):
    """Choose from ``agents`` ((id, name, role) tuples, loaded by the caller); dismisses with an id or None."""

    CSS_PATH = "followup_reassign_modal.tcss"
    BINDINGS = [Binding("escape", "cancel", t("followups.ui.cancel"), id="followups.reassign_cancel")]

    def __init__(self, agents: list[tuple[str, str, str]], count: int) -> None:
        super().__init__()
        self.agents, self.count = agents, count

    def compose(self) -> ComposeResult:
        with Vertical(id="ra-dialog"):
            yield Static(Text(t("followups.ui.reassign_prompt", n=self.count)), id="ra-prompt")
            yield OptionList(*[Option(Text(f"{name}  {agent_id}  " + t(f"followups.ui.role_{role}")), id=agent_id)
                               for agent_id, name, role in self.agents], id="ra-agents")

    def on_mount(self) -> None:
        dialog = self.query_one("#ra-dialog")
        dialog.border_title = t("followups.ui.reassign_title")
        dialog.border_subtitle = t("followups.ui.reassign_keys")
        self.query_one("#ra-agents", OptionList).focus()

    @on(OptionList.OptionSelected, "#ra-agents")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
