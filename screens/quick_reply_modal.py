"""The quick-reply library (话术库): search by shortcut (``/bf``), words, or pinyin initials (``bfap``).

Dismisses with the chosen reply filled from the case, in the customer's language, or None. Fields the
case has no value for stay as ``{eta}``; the composer then asks for them before anything is sent.
"""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from playbooks import fill, quick_replies
from workbench.context import Context
from workbench.i18n import t
from workbench.services import cases
from workbench.store import StoreError

PREVIEW_CHARS = 300


class CaseReady(Message):
    """The case's fill values, read in a worker: the customer's language and the field values."""

    def __init__(self, lang: str, values: dict[str, str]) -> None:
        self.lang, self.values = lang, values
        super().__init__()


class QuickReplyModal(ModalScreen[str | None]):
    CSS_PATH = "quick_reply_modal.tcss"
    BINDINGS = [
        Binding("escape", "cancel", t("playbook.reason.cancel"), id="quick_reply.cancel"),
        Binding("down", "move(1)", show=False, id="quick_reply.down"),
        Binding("up", "move(-1)", show=False, id="quick_reply.up"),
    ]

    def __init__(self, ctx: Context, case_id: str) -> None:
        super().__init__()
        self.ctx, self.case_id = ctx, case_id
        self.lang = ctx.lang
        # Filled once from the case (in a worker), not per keystroke: until then fields show as {name}.
        self.values: dict[str, str] = {}
        self.library = quick_replies.library(ctx)
        self.shown: list[quick_replies.QuickReply] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="qr-box") as box:
            box.border_title = t("playbook.qr.title")
            box.border_subtitle = t("playbook.qr.hint")
            yield Input(placeholder=t("playbook.qr.search"), id="qr-search")
            yield OptionList(id="qr-list")
            yield Static("", id="qr-preview", markup=False)

    def on_mount(self) -> None:
        self.query_one("#qr-search", Input).focus()
        self._show("")
        self._load_case()

    @work(thread=True, exclusive=True, group="quick_reply")
    def _load_case(self) -> None:
        try:
            view = cases.load(self.ctx, self.case_id, with_kb=False)
        except (StoreError, LookupError, sqlite3.Error):
            view = None  # no case data: replies stay unfilled and the composer asks for the fields
        lang = fill.customer_lang(view, self.ctx.lang) if view is not None else self.ctx.lang
        try:
            values = quick_replies.reply_values(self.ctx, view, lang)
        except (StoreError, sqlite3.Error):
            values = {}
        self.post_message(CaseReady(lang, values))

    def on_case_ready(self, message: CaseReady) -> None:
        self.lang, self.values = message.lang, message.values
        self._preview()

    def _show(self, query: str) -> None:
        self.shown = self.library.search(query)
        listing = self.query_one("#qr-list", OptionList)
        listing.clear_options()
        lang = self.ctx.lang
        listing.add_options([
            Option(Content.styled(f"/{r.code:<4}", "bold $accent") + Content(f" {r.title.get(lang)}"), id=r.code)
            for r in self.shown
        ])
        if self.shown:
            listing.highlighted = 0
        self._preview()

    def _filled(self) -> fill.Filled | None:
        listing = self.query_one("#qr-list", OptionList)
        if listing.highlighted is None or not self.shown:
            return None
        reply = self.shown[listing.highlighted]
        return fill.fill(reply.text.get(self.lang), self.values)

    def _preview(self) -> None:
        preview = self.query_one("#qr-preview", Static)
        filled = self._filled()
        if filled is None:
            preview.update(t("playbook.qr.empty"))
            return
        text = Text(filled.text[:PREVIEW_CHARS])
        if filled.missing:
            names = "、".join(t(f"playbook.field.{m}") for m in filled.missing)
            text.append("\n" + t("playbook.qr.missing", fields=names), style="yellow")
        preview.update(text)

    @on(Input.Changed, "#qr-search")
    def _search(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(OptionList.OptionHighlighted, "#qr-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._preview()

    def action_move(self, delta: int) -> None:
        listing = self.query_one("#qr-list", OptionList)
        if self.shown:
            current = listing.highlighted or 0
            listing.highlighted = max(0, min(len(self.shown) - 1, current + delta))

    @on(Input.Submitted, "#qr-search")
    @on(OptionList.OptionSelected, "#qr-list")
    def _choose(self, event: Message) -> None:
        filled = self._filled()
        if filled is not None:
            self.dismiss(filled.text)

    def action_cancel(self) -> None:
        self.dismiss(None)
