"""Escalate the case to L2/L3 or a lead with a hand-off summary the next person can act on.

The summary is written from the case (customer, order, problem in one sentence, what was tried, what
was promised, emotion) and is editable here; on ctrl+s it is stored on the case with the new owner, in
one transaction with its outbox entries and an audit entry. Dismisses with the result dict or None.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, TextArea
from textual.widgets.option_list import Option

from workbench.context import Context
from workbench.i18n import t
from workbench.services import escalation
from workbench.store import StoreError


class Prepared(Message):
    def __init__(self, targets: list[escalation.Target], summary: str, error: str = "") -> None:
        self.targets, self.summary, self.error = targets, summary, error
        super().__init__()


class Done(Message):
    def __init__(self, result: dict[str, Any] | None, error: str = "") -> None:
        self.result, self.error = result, error
        super().__init__()


class EscalationModal(ModalScreen[dict[str, Any] | None]):
    CSS_PATH = "escalation_modal.tcss"
    BINDINGS = [
        Binding("escape", "cancel", t("playbook.esc.cancel"), id="escalation.cancel"),
        Binding("ctrl+s", "submit", t("playbook.esc.submit"), id="escalation.submit", priority=True),
    ]

    def __init__(self, ctx: Context, case_id: str) -> None:
        super().__init__()
        self.ctx, self.case_id = ctx, case_id
        self.targets: list[escalation.Target] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="esc-box") as box:
            box.border_title = t("playbook.esc.title")
            box.border_subtitle = f"Ctrl+S {t('playbook.esc.submit')} · Esc {t('playbook.esc.cancel')}"
            yield Label(t("playbook.esc.target"), classes="esc-label")
            yield OptionList(id="esc-targets")
            yield Label(t("playbook.esc.summary"), classes="esc-label")
            yield TextArea(id="esc-summary", soft_wrap=True, show_line_numbers=False)
            yield Label("", id="esc-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#esc-summary", TextArea).cursor_blink = bool(getattr(self.app, "blink", True))
        self._prepare()

    @work(thread=True, exclusive=True, group="escalation")
    def _prepare(self) -> None:
        try:
            targets = escalation.targets(self.ctx)
            summary = escalation.build_summary(self.ctx, self.case_id)
        except (StoreError, LookupError, sqlite3.Error) as exc:
            self.post_message(Prepared([], "", str(exc)))
            return
        self.post_message(Prepared(targets, summary))

    def on_prepared(self, message: Prepared) -> None:
        self.targets = message.targets
        listing = self.query_one("#esc-targets", OptionList)
        for target in self.targets:
            role = t("playbook.esc.target_row", name=target.name, tier=target.tier,
                     role=t(f"playbook.esc.role_{target.role}"), load=target.load)
            listing.add_option(Option(Content(role), id=target.id))
        if self.targets:
            listing.highlighted = 0
        self.query_one("#esc-summary", TextArea).text = message.summary
        error = message.error or ("" if self.targets else t("playbook.esc.no_targets"))
        self.query_one("#esc-error", Label).update(error)
        listing.focus()

    def action_submit(self) -> None:
        listing = self.query_one("#esc-targets", OptionList)
        summary = self.query_one("#esc-summary", TextArea).text
        if self.busy:
            return  # already being handed over; a second ctrl+s must not say "no colleague"
        if listing.highlighted is None or not self.targets:
            self.query_one("#esc-error", Label).update(t("playbook.esc.no_targets"))
            return
        if not summary.strip():
            self.query_one("#esc-error", Label).update(t("playbook.esc.empty_summary"))
            return
        self.busy = True
        self._submit(self.targets[listing.highlighted].id, summary)

    @work(thread=True, exclusive=True, group="escalation")
    def _submit(self, target_id: str, summary: str) -> None:
        try:
            result = escalation.escalate(self.ctx, self.case_id, target_id, summary)
        except (escalation.EscalationError, StoreError, LookupError, sqlite3.Error) as exc:
            self.post_message(Done(None, str(exc)))
            return
        self.post_message(Done(result))

    def on_done(self, message: Done) -> None:
        self.busy = False
        if message.result is None:
            self.query_one("#esc-error", Label).update(t("playbook.esc.failed", error=message.error))
            return
        self.app.notify(t("playbook.esc.done", name=message.result["name"]), markup=False)
        self.dismiss(message.result)

    @on(OptionList.OptionSelected, "#esc-targets")
    def _target_chosen(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#esc-summary", TextArea).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
