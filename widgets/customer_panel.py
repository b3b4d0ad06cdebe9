"""Customer 360: profile, compensation history, previous cases, orders → items, shipment, KB.

Orders are a small DataTable (≤ 50 rows per customer, loaded with LIMIT); choosing another order asks the
screen to load that order's items and shipment in a worker (``OrderChosen``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from widgets.kb_suggestions import KbSuggestions
from widgets.shipment_timeline import ShipmentTimeline
from workbench import sanitize, timefmt
from workbench.i18n import t, t_or
from workbench.money import format_fen
from workbench.services import cases


def order_status_label(status: str) -> str:
    """Order status in the agent's language (unknown platform statuses are shown as they came)."""
    return t_or(f"data.order_status.{status}", sanitize.one_line(status, 10))


class CustomerPanel(VerticalScroll):
    """The right-hand pane of the main screen."""

    DEFAULT_CSS = """
    CustomerPanel { padding: 0 1; }
    CustomerPanel Label.section { color: $accent; text-style: bold; margin-top: 1; }
    CustomerPanel DataTable { height: auto; max-height: 8; }
    CustomerPanel KbSuggestions { height: auto; max-height: 7; }
    """

    class OrderChosen(Message):
        def __init__(self, order_id: str) -> None:
            self.order_id = order_id
            super().__init__()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loading_rows = False

    def compose(self) -> ComposeResult:
        yield Static(id="profile")
        yield Label(t("main.orders"), classes="section")
        table: DataTable[Any] = DataTable(id="orders", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="items")
        yield Label(t("main.timeline"), classes="section")
        yield ShipmentTimeline(id="timeline")
        yield Label(t("main.kb"), classes="section")
        yield KbSuggestions(id="kb-suggestions")
        yield Label(t("main.previous_cases"), classes="section")
        yield Static(id="previous")

    def on_mount(self) -> None:
        table = self.query_one("#orders", DataTable)
        table.add_columns(t("main.col_order_no"), t("main.col_status"), t("main.col_paid"))

    def show(self, view: Any, now: datetime, tz: str) -> None:
        self._show_profile(view)
        self._show_orders(view, tz)
        self.show_order(view.items, view.shipments, view.events, now, tz)
        suggestions = self.query_one("#kb-suggestions", KbSuggestions)
        if view.kb_hits:
            suggestions.show(view.kb_hits)
        else:
            suggestions.show_loading()
        previous = Text()
        for case in view.previous_cases[:5]:
            previous.append(timefmt.short_local(case["opened_at"], tz, "%Y-%m-%d") + " ", "dim")
            previous.append(t(f"main.intent_{case['intent']}") + " ", "cyan")
            previous.append(sanitize.one_line(case["subject"], 40) + "\n")
        self.query_one("#previous", Static).update(previous or Text(t("main.no_previous"), style="dim"))

    def _show_profile(self, view: Any) -> None:
        customer = view.customer
        text = Text()
        text.append(sanitize.one_line(customer.get("name"), 16), "bold")
        if customer.get("vip_level"):
            text.append("  " + t("main.vip", level=customer["vip_level"]), "bold magenta")
        text.append("\n" + t("main.lifetime", amount=format_fen(customer.get("lifetime_value_fen", 0)),
                             count=customer.get("order_count", 0)))
        text.append("\n" + t("main.comp_history", d30=format_fen(view.compensation_30d_fen),
                             d90=format_fen(view.compensation_90d_fen)))
        try:
            flags = json.loads(customer.get("flags") or "[]")
        except json.JSONDecodeError:
            flags = []
        text.append("\n")
        if flags:
            text.append(t("main.flags", flags=", ".join(sanitize.one_line(str(f), 20) for f in flags)), "yellow")
        else:
            text.append(t("main.no_flags"), "dim")
        case = view.case
        text.append("\n" + t(f"main.intent_{case['intent']}") + " · " + t(f"main.emotion_{case['emotion']}"),
                    "red" if case["emotion"] == "angry" else "cyan")
        cues = cases.cues(case)
        if cues:
            text.append("  " + t("main.why", cues=", ".join(sanitize.one_line(str(c), 12) for c in cues[:4])),
                        "dim")
        self.query_one("#profile", Static).update(text)

    def _show_orders(self, view: Any, tz: str) -> None:
        table = self.query_one("#orders", DataTable)
        table.clear()
        focus = view.case.get("order_id")
        focus_row = 0
        for index, order in enumerate(view.orders):
            if order["id"] == focus:
                focus_row = index
            table.add_row(
                Text(sanitize.one_line(order["order_no"], 22)),
                Text(order_status_label(order["status"])),
                Text(format_fen(order["paid_fen"]), justify="right"),
                key=order["id"],
            )
        if view.orders:
            self._loading_rows = True
            table.move_cursor(row=focus_row, animate=False)
            self.call_after_refresh(self._done_loading)

    def _done_loading(self) -> None:
        self._loading_rows = False

    def show_order(self, items: list[dict[str, Any]], shipments: list[dict[str, Any]],
                   events: list[dict[str, Any]], now: datetime, tz: str) -> None:
        text = Text()
        for item in items[:6]:
            text.append("· " + sanitize.one_line(item["title"], 30))
            text.append(f" ×{item['qty']} {format_fen(item['price_fen'])}\n", "dim")
        self.query_one("#items", Static).update(text)
        self.query_one("#timeline", ShipmentTimeline).show(shipments, events, now, tz)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if not self._loading_rows and event.row_key.value:
            self.post_message(self.OrderChosen(str(event.row_key.value)))
