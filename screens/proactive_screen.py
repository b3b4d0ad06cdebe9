"""Proactive service screen: customers to contact before they write, and what to say.

Left, the list (parcels in trouble first, then "day 2" usage guides); right (below at 80 columns), the
selected customer's parcel, the suggested message and the reply options offered to the customer
(number keys add or drop an option). ``s`` records the contact as a proactive case; ``f`` does the same
and schedules the follow-up in one key. The top lines show when each order/courier source last
refreshed, and a banner when one failed; the list keeps showing the cached data either way.
All SQLite work runs in thread workers that post messages back.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from workbench import sanitize
from workbench.context import Context
from workbench.i18n import t
from workbench.services import proactive, source_state
from workbench.store import StoreError
from workbench.timefmt import local, short_local


class Loaded(Message):
    """The scan (lists, effect figures, when) and the sources' refresh state, read in a worker."""

    def __init__(self, scan: proactive.Scan, sources: list[dict[str, Any]]):
        self.scan, self.sources = scan, sources
        super().__init__()


class Contacted(Message):
    def __init__(self, name: str, follow_up: dict[str, Any] | None, wanted_follow_up: bool, error: str = ""):
        self.name, self.follow_up, self.wanted_follow_up, self.error = name, follow_up, wanted_follow_up, error
        super().__init__()


def source_line(rows: list[dict[str, Any]], tz: str) -> tuple[Text, bool]:
    """One line per source state: "myshop 11-23 10:42 已更新", failures in red; (text, any failed)."""
    if not rows:
        return Text(t("data.screen.sources_none"), style="dim"), False
    text, failed = Text(), False
    for row in rows:
        if text.plain:
            text.append("  ·  ")
        name = sanitize.one_line(row["name"], 24)
        if row["ok"] == 0:
            failed = True
            text.append(t("data.screen.source_failed", name=name, time=short_local(row["last_attempt_at"], tz),
                          error=sanitize.one_line(row["error"], 160)), style="bold red")
        elif row["last_success_at"]:
            text.append(t("data.screen.source_ok", name=name, time=short_local(row["last_success_at"], tz)), style="dim")
        else:
            text.append(t("data.screen.source_never", name=name), style="dim")
    return text, failed


def detail(ctx: Context, s: proactive.Suggestion, chosen: tuple[str, ...]) -> Text:
    """The selected customer's parcel, the message that would be sent, and the options offered."""
    text = Text()
    text.append(t("data.screen.parcel") + "  ", style="bold")
    text.append(f"{sanitize.one_line(s.customer_name, 16)} · {sanitize.one_line(s.order_no, 28)} · "
                f"{sanitize.one_line(s.carrier, 12)} {sanitize.one_line(s.tracking_no, 24)}")
    if s.anomaly:
        text.append("  ⚠ " + t(f"data.anomaly.{s.anomaly}", hours=s.hours), style="bold yellow")
    text.append("\n\n" + t("data.screen.suggested") + "\n", style="bold")
    body, _cut = sanitize.for_display(proactive.message(ctx, s, chosen), limit=2000)
    text.append(body)
    if s.options:
        text.append("\n\n" + t("data.screen.offers") + "\n", style="bold")
        for number, option in enumerate(s.options, 1):
            mark = "☑" if option in chosen else "☐"
            text.append(f" {mark} {number} {t(f'data.proactive.offer_{option}')}\n",
                        style="" if option in chosen else "dim strike")
    return text


class ProactiveScreen(Screen[None]):
    """Contact customers whose parcel is in trouble, or who should get a usage guide today."""

    CSS_PATH = "proactive_screen.tcss"
    # Side by side only when the list (about 70 cells with a 19-digit order number) and the message both fit.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("s", "send", t("data.screen.send"), id="proactive.send"),
        Binding("f", "send_follow_up", t("data.screen.follow_up"), id="proactive.follow_up"),
        *[Binding(str(n), f"toggle({n})", t("data.screen.option", n=n), id=f"proactive.option_{n}", show=False)
          for n in range(1, 4)],
        Binding("ctrl+r", "reload", t("data.screen.refresh"), id="proactive.refresh"),
        Binding("escape", "back", t("data.screen.back"), id="proactive.back"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.items: list[proactive.Suggestion] = []
        self.chosen: dict[str, tuple[str, ...]] = {}
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(Text(t("data.screen.title"), style="bold"), id="pr-title")
        yield Static(id="pr-sources")
        with Horizontal(id="pr-body"):
            yield DataTable(cursor_type="row", zebra_stripes=True, id="pr-table")
            with VerticalScroll(id="pr-detail"):
                yield Static(id="pr-info")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#pr-table", DataTable)
        for key in ("col_kind", "col_customer", "col_order", "col_issue", "col_since"):
            table.add_column(t(f"data.screen.{key}"), key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="proactive-load")
    def load(self, force: bool = False) -> None:
        """The lists, from the last scan when nothing changed (a worker thread: SQLite never blocks the screen).

        Opening the screen again within a few minutes reuses the scan instead of re-assessing up to
        ~1,000 parcels; ``force`` (ctrl+r) always re-assesses. The sources' state is always read fresh.
        """
        try:
            found = proactive.scan(self.ctx, force=force)
            self.post_message(Loaded(found, source_state.all_states(self.ctx)))
        except (StoreError, sqlite3.Error) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")

    def on_loaded(self, message: Loaded) -> None:
        self.items = list(message.scan.items)
        tz = self.ctx.tz
        line, failed = source_line(message.sources, tz)
        sources = self.query_one("#pr-sources", Static)
        sources.update(line)
        sources.set_class(failed, "-failed")
        self.query_one("#pr-title", Static).update(
            Text(t("data.screen.title"), style="bold")
            + Text("   " + t("data.screen.scanned", time=local(message.scan.at, tz).strftime("%H:%M")), style="dim")
            + Text("   " + t("data.screen.effect", **message.scan.effect), style="dim"))
        table = self.query_one("#pr-table", DataTable)
        table.clear()
        for s in self.items:
            # The hours have their own column: 「停滞」 here, not 「停滞 330 小时」 twice.
            issue = (t("data.screen.issue_stalled") if s.anomaly == "stalled"
                     else t(f"data.anomaly.{s.anomaly}", hours=s.hours) if s.anomaly else t("data.screen.issue_guide"))
            table.add_row(Text(t(f"data.screen.kind_{s.kind}")), Text(sanitize.one_line(s.customer_name, 10)),
                          Text(sanitize.one_line(s.order_no, 22)), Text(issue, style="yellow" if s.anomaly else "green"),
                          Text(t("data.screen.hours", hours=s.hours)), key=s.key)
        self._show_current()

    def _current(self) -> proactive.Suggestion | None:
        table = self.query_one("#pr-table", DataTable)
        if not self.items or table.row_count == 0:
            return None
        return self.items[min(table.cursor_row, len(self.items) - 1)]

    def _show_current(self) -> None:
        info = self.query_one("#pr-info", Static)
        current = self._current()
        if current is None:
            info.update(Text(t("data.screen.empty"), style="dim"))
            return
        info.update(detail(self.ctx, current, self.chosen.get(current.key, current.options)))

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_current()

    def action_toggle(self, number: int) -> None:
        current = self._current()
        if current is None or number > len(current.options):
            return
        option = current.options[number - 1]
        chosen = set(self.chosen.get(current.key, current.options)) ^ {option}
        self.chosen[current.key] = tuple(o for o in current.options if o in chosen)
        if not self.chosen[current.key]:
            self.notify(t("data.screen.no_offers"), severity="warning")
        self._show_current()

    def action_send(self) -> None:
        self._contact(False)

    def action_send_follow_up(self) -> None:
        self._contact(True)

    def _contact(self, with_follow_up: bool) -> None:
        current = self._current()
        if current is None or self.busy:
            return
        self.busy = True
        self.contact(current, self.chosen.get(current.key, current.options), with_follow_up)

    @work(thread=True, group="proactive-contact")
    def contact(self, s: proactive.Suggestion, chosen: tuple[str, ...], with_follow_up: bool) -> None:
        try:
            case_id = proactive.contact(self.ctx, s, options=chosen)
            done = proactive.follow_up(self.ctx, case_id, s) if with_follow_up else None
            self.post_message(Contacted(s.customer_name, done, with_follow_up))
        except (ValueError, StoreError, sqlite3.Error) as exc:
            self.post_message(Contacted(s.customer_name, None, with_follow_up, str(exc)))

    def on_contacted(self, message: Contacted) -> None:
        self.busy = False
        if message.error:
            self.notify(sanitize.one_line(message.error, 200), severity="error")
        else:
            self.notify(t("data.screen.sent", name=sanitize.one_line(message.name, 16)))
            if message.follow_up:
                self.notify(t("data.screen.followed", when=short_local(message.follow_up["due_at"], self.ctx.tz)))
            elif message.wanted_follow_up:
                self.notify(t("data.screen.no_followups"), severity="warning")
        self.load()

    def action_reload(self) -> None:
        self.load(force=True)

    def action_back(self) -> None:
        self.app.pop_screen()
