"""The case conversation: every message rendered literally into one Text (fast to swap on case switch).

Mounting one widget per message cost tens of milliseconds per case switch; one Static holding one
``Text`` costs one layout. Long messages are truncated for display; ``v`` opens the full text.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from widgets.on_demand import show_block
from workbench import sanitize, timefmt
from workbench.i18n import t, t_or
from workbench.money import format_fen

AUTHOR_STYLE = {"customer": "bold cyan", "agent": "bold green", "system": "bold yellow"}


class ConversationView(VerticalScroll, can_focus=True):
    """Scrollable transcript of the selected case."""

    DEFAULT_CSS = """
    ConversationView { height: 1fr; padding: 0 1; }
    ConversationView > Static { width: 1fr; }
    ConversationView > #alerts { display: none; background: $error 35%; color: $text; padding: 0 1; margin-bottom: 1; }
    """

    BINDINGS = [Binding("v", "read_full", t("main.read_full"), id="conversation.read_full")]

    class ReadFull(Message):
        """The agent wants the untruncated text of the last long message."""

        def __init__(self, body: str) -> None:
            self.body = body
            super().__init__()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.truncated: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(t("main.no_case"), style="dim"), id="transcript")

    def show(self, view: Any, tz: str) -> None:
        """Render the case's messages; customer text is cleaned and never parsed as markup."""
        text = Text()
        self.truncated = []
        labels = {"customer": sanitize.one_line(view.customer.get("name"), 20),
                  "agent": t("main.author_agent"), "system": t("main.author_system")}
        for message in view.messages:
            author = message["author"]
            text.append(labels.get(author) or sanitize.one_line(author, 20), AUTHOR_STYLE.get(author, "bold"))
            text.append("  " + timefmt.short_local(message["at"], tz) + "\n", "dim")
            body, cut = sanitize.for_display(message["body"])
            text.append(body + "\n")
            if cut:
                self.truncated.append(message["body"])
                text.append(t("common.truncated") + "\n", "italic yellow")
            text.append("\n")
        self.query_one("#transcript", Static).update(text)
        self._show_alerts(view)
        self.scroll_end(animate=False)

    def _show_alerts(self, view: Any) -> None:
        """What the hub refused or flagged on this case, above the transcript where it cannot be missed.

        The alerts block is mounted the first time a case has any (most never do), then reused.
        """
        text = Text()
        flag = view.case.get("flag")
        if flag:
            text.append(t_or(f"main.flag_{flag}", sanitize.one_line(flag, 40)) + "\n", "bold")
        for item in view.rejections:
            text.append(t("main.hub_rejected", action=t(f"authority.action.{item['action']}"),
                          amount=format_fen(item["amount_fen"]),
                          reason=t_or(f"sync.reason.{item['code']}", t("sync.reason.other"))), "bold")
            text.append("\n  " + t("sync.next_step", step=t(item["next_step_key"])) + "\n")
        text.rstrip()
        show_block(self, "alerts", text if text.plain else None, before=self.query_one("#transcript"))

    def clear(self) -> None:
        self.truncated = []
        show_block(self, "alerts", None)
        self.query_one("#transcript", Static).update(Text(t("main.no_case"), style="dim"))

    def action_read_full(self) -> None:
        if self.truncated:
            self.post_message(self.ReadFull(self.truncated[-1]))
