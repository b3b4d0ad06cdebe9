"""Customer 360: profile, compensation history, previous cases, orders → items, shipment, KB.

Orders (≤ 50 per customer, loaded with LIMIT) are one line each in a compact OptionList under a fixed
column header: three short columns need no table machinery, and the list class is the one the KB
suggestions use. Moving the highlight to another order asks the screen to load that order's items and
shipment (``OrderChosen``). The KB list itself is mounted when the first suggestions arrive, just after
the first frame.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from widgets.kb_suggestions import KbSuggestions
from widgets.shipment_timeline import ShipmentTimeline
from workbench import sanitize, timefmt
from workbench.i18n import t, t_or
from workbench.money import format_fen
from workbench.services import cases


# Column widths of the orders list, in terminal cells (CJK characters take two).
# 19 + 1 + 9 + 1 + 8 = 38: fits the pane at 120 columns beside a one-cell scrollbar.
ORDER_NO_CELLS, STATUS_CELLS, PAID_CELLS = 19, 9, 8


def order_status_label(status: str) -> str:
    """Order status in the agent's language (unknown platform statuses are shown as they came)."""
    return t_or(f"data.order_status.{status}", sanitize.one_line(status, 10))


def _cells(text: str, width: int, justify: str = "left") -> str:
    """``text`` cut or padded to exactly ``width`` cells, so the columns line up with CJK text too.

    Plain strings rather than Rich ``Text``: a row has no styles of its own, and building three Text
    objects per order was a visible part of opening a case with many orders. Cut as Rich cuts with
    ``overflow="ellipsis"``: the last cell becomes "…" (a wide character split by the edge, a space).
    """
    used = cell_len(text)
    if used > width:
        text, used = set_cell_size(text, width - 1) + "…", width
    padding = " " * (width - used)
    return padding + text if justify == "right" else text + padding


def order_row(order: dict[str, Any]) -> str:
    """One order as a line of the list: number, status, amount paid."""
    return " ".join((
        _cells(sanitize.one_line(order["order_no"], 40), ORDER_NO_CELLS),
        _cells(order_status_label(order["status"]), STATUS_CELLS),
        _cells(format_fen(order["paid_fen"]), PAID_CELLS, "right"),
    ))


def section(title: str) -> Content:
    """A section title after a blank line, in the theme's accent colour.

    Titles are drawn inside the content block above them rather than as widgets of their own: each
    widget costs the main screen's first frame about a millisecond and a half.
    """
    return Content("\n") + Content.styled(title, "bold $accent")


def orders_heading() -> Content:
    """The orders section title and, under it, the column header aligned with ``order_row``."""
    columns = " ".join((_cells(t("main.col_order_no"), ORDER_NO_CELLS), _cells(t("main.col_status"), STATUS_CELLS),
                        _cells(t("main.col_paid"), PAID_CELLS, "right")))
    return section(t("main.orders")) + "\n" + Content.styled(columns, "dim")


def literal(text: Text) -> Content:
    """Rich ``text`` as Content without its trailing line breaks (customer data: never read as markup)."""
    trimmed = text.copy()
    trimmed.rstrip()
    return Content.from_rich_text(trimmed)


def with_section(text: Text, title: str | Content) -> Content:
    """``text`` followed by the next section's title."""
    heading = title if isinstance(title, Content) else section(title)
    return literal(text) + "\n" + heading if text.plain else heading


class CustomerPanel(VerticalScroll):
    """The right-hand pane of the main screen."""

    DEFAULT_CSS = """
    CustomerPanel { padding: 0 1; }
    CustomerPanel #orders {
        height: auto; max-height: 7; scrollbar-size-vertical: 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    CustomerPanel KbSuggestions {
        height: auto; max-height: 7; margin-top: 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    class OrderChosen(Message):
        def __init__(self, order_id: str) -> None:
            self.order_id = order_id
            super().__init__()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown_order: str | None = None  # the order whose items and shipment are on screen

    def compose(self) -> ComposeResult:
        yield Static(orders_heading(), id="profile")
        yield OptionList(id="orders", compact=True, markup=False)
        yield ShipmentTimeline(section(t("main.timeline")), id="timeline")
        # The KB list (between the timeline and the previous cases) is mounted by show_suggestions.
        yield Static(section(t("main.previous_cases")), id="previous")

    def show(self, view: Any, now: datetime, tz: str) -> None:
        self._show_profile(view)
        self._show_orders(view, tz)
        self.show_order(view.items, view.shipments, view.events, now, tz)
        if view.kb_hits:
            self.show_suggestions(view.kb_hits)
        elif self.query("#kb-suggestions"):
            self.show_suggestions(None)  # the last case's articles must not stay up while ranking
        previous = Text()
        for case in view.previous_cases[:5]:
            previous.append(timefmt.short_local(case["opened_at"], tz, "%Y-%m-%d") + " ", "dim")
            previous.append(t(f"main.intent_{case['intent']}") + " ", "cyan")
            previous.append(sanitize.one_line(case["subject"], 40) + "\n")
        body = literal(previous) if previous.plain else Content.styled(t("main.no_previous"), "dim")
        self.query_one("#previous", Static).update(section(t("main.previous_cases")) + "\n" + body)

    def show_suggestions(self, hits: list[Any] | None) -> None:
        """The case's KB suggestions, or "loading" for ``None``.

        The list is mounted the first time it has something to show: the first case's suggestions are
        ranked after the first frame, so an empty "loading" list would only cost that frame a widget.
        """
        found = self.query("#kb-suggestions")
        if found:
            found.first(KbSuggestions).show(hits)
            return
        suggestions = KbSuggestions(*KbSuggestions.options_for(hits), id="kb-suggestions")
        suggestions.border_title = t("main.kb")
        self.mount(suggestions, before=self.query_one("#previous"))

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
        self.query_one("#profile", Static).update(with_section(text, orders_heading()))

    def _show_orders(self, view: Any, tz: str) -> None:
        """List the customer's orders with the case's order (else the newest) highlighted.

        The highlighted order is the one whose items and shipment the view already holds (as
        ``cases.load`` chose it), so the highlight message this causes is recognised as "already shown"
        and loads nothing. A case order older than the listed ones is shown with no row highlighted.
        """
        orders = self.query_one("#orders", OptionList)
        ids = [order["id"] for order in view.orders]
        self._shown_order = view.case.get("order_id") or (ids[0] if ids else None)
        orders.set_options(Option(order_row(order), id=order["id"]) for order in view.orders)
        orders.highlighted = ids.index(self._shown_order) if self._shown_order in ids else None

    def show_order(self, items: list[dict[str, Any]], shipments: list[dict[str, Any]],
                   events: list[dict[str, Any]], now: datetime, tz: str) -> None:
        text = Text()
        for item in items[:6]:
            text.append("· " + sanitize.one_line(item["title"], 30))
            text.append(f" ×{item['qty']} {format_fen(item['price_fen'])}\n", "dim")
        lead = with_section(text, t("main.timeline"))
        self.query_one("#timeline", ShipmentTimeline).show(shipments, events, now, tz, lead=lead)

    @on(OptionList.OptionHighlighted, "#orders")
    def _order_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_id and event.option_id != self._shown_order:
            self._shown_order = event.option_id
            self.post_message(self.OrderChosen(event.option_id))

    @on(OptionList.OptionSelected, "#orders")
    def _order_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # Enter on an order: it is already shown; the screen's Enter means "open case"
