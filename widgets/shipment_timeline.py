"""The selected order's items, then its shipment timeline with anomaly badges (stalled, returned, …).

One block rather than an items widget above a timeline widget: both change together when another
order is chosen, and each widget costs the main screen's first frame about a millisecond and a half.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from workbench import sanitize, timefmt
from workbench.i18n import t


def anomaly_badge(shipment: dict[str, Any], now: datetime) -> str:
    """The badge text for a shipment's anomaly ('' when none)."""
    anomaly = shipment.get("anomaly")
    if not anomaly:
        return ""
    if anomaly == "stalled":
        last = shipment.get("last_event_at")
        hours = int((now - timefmt.from_db(last)).total_seconds() // 3600) if last else 0
        return t("main.anomaly_stalled", hours=hours)
    return t(f"main.anomaly_{anomaly}")


def timeline_text(shipments: list[dict[str, Any]], events: list[dict[str, Any]], now: datetime, tz: str,
                  max_events: int = 8) -> Text:
    """Carrier, tracking number, badge, then the latest events newest first (customer data: plain text)."""
    if not shipments:
        return Text(t("main.no_shipment"), style="dim")
    ship = shipments[0]
    text = Text(no_wrap=False)
    text.append(sanitize.one_line(ship.get("carrier"), 12), "bold")
    text.append(" " + sanitize.one_line(ship.get("tracking_no"), 24))
    badge = anomaly_badge(ship, now)
    if badge:
        text.append("  " + badge, "bold red")
    if ship.get("refreshed_at"):
        text.append("\n" + t("main.refreshed_at", time=timefmt.short_local(ship["refreshed_at"], tz)), "dim")
    for event in events[:max_events]:
        text.append("\n")
        text.append(timefmt.short_local(event["at"], tz), "dim")
        text.append(" " + sanitize.one_line(event.get("description") or event.get("status"), 60))
    if len(events) > max_events:
        text.append(f"\n… +{len(events) - max_events}", "dim")
    return text


class ShipmentTimeline(Static):
    """``lead`` (the order's items and the section title), then the shipment's timeline."""

    def show(self, shipments: list[dict[str, Any]], events: list[dict[str, Any]], now: datetime,
             tz: str, lead: Content | None = None, max_events: int = 8) -> None:
        body = Content.from_rich_text(timeline_text(shipments, events, now, tz, max_events))
        self.update(lead + "\n" + body if lead is not None else body)
