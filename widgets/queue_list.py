"""The case queue: two lines per case, sorted by urgency, with a live SLA countdown.

It is a line-API ScrollView (only visible rows are rendered), so ticking every second costs a repaint
of what is on screen and no database query: rows are loaded by a worker, the countdown is computed
from ``sla_due_at`` in memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench import sanitize, sla
from workbench.i18n import t

ROW_HEIGHT = 2
STATE_STYLE = {"breached": Style.parse("bold white on red"), "due_soon": Style.parse("bold black on yellow"),
               "ok": Style(color="green"), "met": Style.parse("dim green"), "met_late": Style.parse("dim yellow")}
BOLD, URGENT, VIP = Style(bold=True), Style(bold=True, color="red"), Style(bold=True, color="magenta")
DUE, INTENT, DIM = Style(color="yellow"), Style(color="cyan"), Style(dim=True)

Piece = tuple[str, Style | None]


def fit(pieces: list[Piece], width: int) -> list[Piece]:
    """``pieces`` cut or padded to exactly ``width`` cells.

    Cut as Rich's ``overflow="ellipsis"`` cuts a line: the last cell becomes "…" in the style of the
    piece it falls in, and a wide (CJK) character split by the edge becomes a space.
    """
    if width <= 0:
        return []
    total = sum(cell_len(text) for text, _ in pieces)
    if total <= width:
        return pieces + [(" " * (width - total), None)] if total < width else pieces
    out: list[Piece] = []
    used, budget = 0, width - 1
    for text, style in pieces:
        cells = cell_len(text)
        if used + cells <= budget:
            out.append((text, style))
            used += cells
            continue
        out.append((set_cell_size(text, budget - used) + "…", style))
        break
    return out


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
        self._pass: tuple[int, int, Style] | None = None  # width, scroll y, base style of this paint

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

    def _countdown(self, row: dict[str, Any]) -> tuple[str, Style | None]:
        if self.now is None:
            return "", None
        met_at = sla.due_moment(row.get("first_response_at"))  # cached parse: this runs every second
        tick = sla.countdown(row.get("sla_due_at"), self.now, met=met_at is not None, met_at=met_at)
        if tick.state in ("met", "met_late"):
            return t("main.replied"), STATE_STYLE[tick.state]
        return tick.text, STATE_STYLE.get(tick.state)

    def _row_pieces(self, row: dict[str, Any], line: int, width: int, selected: bool) -> list[Piece]:
        """One screen line of a case as (text, style) pieces, exactly ``width`` cells wide."""
        if line == 0:
            head: list[Piece] = [("▶ " if selected else "  ", BOLD)]
            if row.get("urgent"):
                head.append(("!! ", URGENT))
            if row.get("vip_level"):
                head.append((f"V{row['vip_level']} ", VIP))
            head.append((sanitize.one_line(row.get("customer_name"), 10), BOLD))
            clock, style = self._countdown(row)
            pieces = fit(head, max(width - cell_len(clock) - 1, 1)) + [(" ", None), (clock, style)]
            return fit(pieces, width)
        pieces = [("   ", None)]
        if row["id"] in self.due_followups:
            pieces.append(("⏰", DUE))
        if row.get("proactive"):
            pieces.append(("主 ", INTENT))
        pieces.append((t(f"main.intent_{row.get('intent', 'other')}"), INTENT))
        pieces.append((" · ", None))
        pieces.append((sanitize.one_line(row.get("subject"), 60), DIM))
        return fit(pieces, width)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Width, scroll offset and base style are looked up once per paint, not once per line.

        The base style walks up the widget tree each time it is asked for; a paint of the queue asks
        for it on every visible line, every second.
        """
        self._pass = (self.scrollable_content_region.width, self.scroll_offset.y, self.rich_style)
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    def render_line(self, y: int) -> Strip:
        """Segments straight from the pieces: no Rich ``Text`` to lay out, as this runs every second."""
        width, scroll_y, base = self._pass or (
            self.scrollable_content_region.width, self.scroll_offset.y, self.rich_style)
        index, line = divmod(y + scroll_y, ROW_HEIGHT)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        selected = index == self.cursor
        if selected:
            base = base + Style(bgcolor="grey23" if not self.has_focus else "dark_blue")
        segments = [Segment(text, base + style if style else base)
                    for text, style in self._row_pieces(row, line, width, selected) if text]
        return Strip(segments, width)
