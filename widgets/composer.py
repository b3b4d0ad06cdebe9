"""The reply composer: where the agent writes the answer the customer will read.

A multi-line box; ``ctrl+s`` sends. The main screen stores the reply through the case service (row +
outbox in one transaction) when it receives :class:`Composer.Submitted`.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import TextArea

from workbench.context import Context
from workbench.i18n import t


class Composer(Vertical):
    """Reply box. Posts ``Submitted(text)``; the screen decides what to do with it."""

    DEFAULT_CSS = """
    Composer { height: auto; }
    Composer TextArea { height: 5; }
    """

    BINDINGS = [Binding("ctrl+s", "send", t("main.send"), id="composer.send", priority=True)]

    class Submitted(Message):
        """The agent asked to send ``text``."""

        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def __init__(self, ctx: Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.case_id: str | None = None

    def compose(self) -> ComposeResult:
        area = TextArea(id="reply", soft_wrap=True, show_line_numbers=False)
        area.border_title = t("main.reply")
        yield area

    @property
    def area(self) -> TextArea:
        return self.query_one("#reply", TextArea)

    def set_case(self, view: Any) -> None:
        """Called on every case load; a draft for another case is not carried over."""
        new_id = view.case["id"] if view is not None else None
        if new_id != self.case_id:
            self.case_id = new_id
            self.area.text = ""

    def insert_text(self, text: str) -> None:
        """Insert text (a phrasing or snippet) at the cursor for the agent to edit before sending."""
        self.area.insert(text)
        self.area.focus()

    def clear(self) -> None:
        self.area.text = ""

    def action_send(self) -> None:
        text = self.area.text.strip()
        if text:
            self.post_message(self.Submitted(text))
