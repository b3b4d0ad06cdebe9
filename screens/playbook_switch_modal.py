"""Choose another playbook for the case (triage guessed the intent wrong, or the case changed nature).

Dismisses with the chosen playbook id, or None on Esc. The current one is marked and preselected.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from playbooks import loader
from workbench.context import Context
from workbench.i18n import t


class PlaybookSwitchModal(ModalScreen[str | None]):
    CSS_PATH = "playbook_switch_modal.tcss"
    BINDINGS = [Binding("escape", "cancel", t("playbook.reason.cancel"), id="playbook_switch.cancel")]

    def __init__(self, ctx: Context, current_id: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.current_id = current_id

    def compose(self) -> ComposeResult:
        lang = self.ctx.lang
        options = []
        for playbook in loader.registry(self.ctx).ordered():
            intents = "、".join(t(f"playbook.intent.{i}", lang) for i in playbook.intents)
            # The catalog carries its own spacing: 「（当前）」 in Chinese, " (current)" in English.
            mark = t("playbook.switch.current") if playbook.id == self.current_id else ""
            label = Content(f"{playbook.title.get(lang)}{mark}\n") + Content.styled(
                t("playbook.switch.intents", lang, intents=intents), "dim")
            options.append(Option(label, id=playbook.id))
        with Vertical(id="playbook-switch-box") as box:
            box.border_title = t("playbook.switch.title")
            box.border_subtitle = t("playbook.switch.keys")
            yield OptionList(*options, id="playbook-switch-list")

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.focus()
        if self.current_id:
            try:
                listing.highlighted = listing.get_option_index(self.current_id)
            except KeyError:
                listing.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
