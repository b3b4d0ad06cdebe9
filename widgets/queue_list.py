"""The case queue: two lines per case, sorted by urgency, with a live SLA countdown.

It is a line-API ScrollView (only visible rows are rendered), so ticking every second costs a repaint
of what is on screen and no database query: rows are loaded by a worker, the countdown is computed
from ``sla_due_at`` in memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench import sanitize, sla
from workbench.i18n import t

ROW_HEIGHT = 2
STATE_STYLE = {"breached": "bold white on red", "due_soon": "bold black on yellow", "ok": "green"}


class QueueList(ScrollView, can_focus=True):
    """Open cases; posts ``Highlighted(case_id)`` when the cursor lands on a case."""

    DEFAULT_CSS = """
    QueueList { background: $surface; scrollbar-size-vertical: 1; }
    QueueList:focus { background: $surface-lighten-1; }
    """

    BINDINGS = [
        Binding("down,j", "cursor(1)", t("main.next_case"), id="queue.next", show=False),
        Binding("up,k", "cursor(-1)", t("main.prev_case"), id="queue.prev", show=False),
        Binding("pagedown", "cursor(5)", "PgDn", id="queue.page_down", show=False),
        Binding("pageup", "cursor(-5)", "PgUp", id="queue.page_up", show=False),
        Binding("enter", "open", t("main.open_case"), id="queue.open"),
    ]

    cursor: reactive[int] = reactive(0)

    class Highlighted(Message):
        def __init__(self, case_id: str) -> None:
            self.case_id = case_id
            super().__init__()

    class Opened(Message):
        """Enter on a case: the screen moves focus to the reply box."""

        def __init__(self, case_id: str) -> None:
            self.case_id = case_id
            super().__init__()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[dict[str, Any]] = []
        self.now: datetime | None = None
        self.due_followups: set[str] = set()

    def set_rows(self, rows: list[dict[str, Any]], now: datetime, keep: str | None = None) -> None:
        """Replace the rows; the cursor stays on ``keep`` (the open case) if it is still queued."""
        self.rows = rows
        self.now = now
        self.virtual_size = Size(self.size.width, len(rows) * ROW_HEIGHT)
        index = next((i for i, r in enumerate(rows) if r["id"] == keep), None)
        if index is None:
            index = min(self.cursor, max(len(rows) - 1, 0))
        self.set_reactive(QueueList.cursor, index)
        self.refresh()
        if rows and keep != rows[index]["id"]:
            self.post_message(self.Highlighted(rows[index]["id"]))

    def tick(self, now: datetime) -> None:
        """Advance the countdowns (called every second by the screen)."""
        self.now = now
        self.refresh()

    @property
    def current_id(self) -> str | None:
        return self.rows[self.cursor]["id"] if 0 <= self.cursor < len(self.rows) else None

    def select_case(self, case_id: str) -> bool:
        for index, row in enumerate(self.rows):
            if row["id"] == case_id:
                self.cursor = index
                return True
        return False

    def action_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_open(self) -> None:
        if self.current_id:
            self.post_message(self.Opened(self.current_id))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        top, bottom = new * ROW_HEIGHT, new * ROW_HEIGHT + ROW_HEIGHT
        if top < self.scroll_offset.y:
            self.scroll_to(y=top, animate=False)
        elif bottom > self.scroll_offset.y + self.size.height:
            self.scroll_to(y=bottom - self.size.height, animate=False)
        if self.current_id:
            self.post_message(self.Highlighted(self.current_id))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) * ROW_HEIGHT)

    def _countdown(self, row: dict[str, Any]) -> tuple[str, str]:
        if self.now is None:
            return "", ""
        met_at = sla.due_moment(row.get("first_response_at"))  # cached parse: this runs every second
        tick = sla.countdown(row.get("sla_due_at"), self.now, met=met_at is not None, met_at=met_at)
        if tick.state in ("met", "met_late"):
            return t("main.replied"), "dim green" if tick.state == "met" else "dim yellow"
        return tick.text, STATE_STYLE.get(tick.state, "")

    def _row_text(self, row: dict[str, Any], line: int, width: int, selected: bool) -> Text:
        if line == 0:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append("▶ " if selected else "  ", "bold")
            if row.get("urgent"):
                text.append("!! ", "bold red")
            if row.get("vip_level"):
                text.append(f"V{row['vip_level']} ", "bold magenta")
            text.append(sanitize.one_line(row.get("customer_name"), 10), "bold")
            clock, style = self._countdown(row)
            text.truncate(max(width - cell_len(clock) - 1, 1), overflow="ellipsis", pad=True)
            text.append(" ")
            text.append(clock, style)
            return text
        text = Text("   ", no_wrap=True, overflow="ellipsis")
        if row["id"] in self.due_followups:
            text.append("⏰", "yellow")
        if row.get("proactive"):
            text.append("主 ", "cyan")
        text.append(t(f"main.intent_{row.get('intent', 'other')}"), "cyan")
        text.append(" · ")
        text.append(sanitize.one_line(row.get("subject"), 60), "dim")
        return text

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        absolute = y + self.scroll_offset.y
        index, line = divmod(absolute, ROW_HEIGHT)
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        selected = index == self.cursor
        text = self._row_text(row, line, width, selected)
        text.truncate(width, overflow="ellipsis", pad=True)
        base = self.rich_style
        if selected:
            base = base + Style(bgcolor="grey23" if not self.has_focus else "dark_blue")
        segments = [Segment(s.text, base + s.style if s.style else base)
                    for s in text.render(self.app.console)]
        return Strip(segments, width).crop(0, width)
