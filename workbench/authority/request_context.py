"""The context an approval request carries, so the lead decides without opening the case.

Order, shipment, a transcript excerpt, the customer's compensation history, the abuse signals and the
decision with its reasons are copied into ``compensations.context`` when the request is made. It is a
snapshot on purpose: the lead (possibly on another device, via the hub) sees what the agent saw.
Text is stored as written and cleaned at display time (``workbench.sanitize``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from workbench.authority.decide import Decision
from workbench.authority.signals import Signal

TRANSCRIPT_MESSAGES = 6
MESSAGE_CHARS = 300
ITEMS = 5


def build(conn: sqlite3.Connection, case: dict[str, Any], order_id: str | None, history: dict[str, Any],
          signals: list[Signal], decision: Decision) -> dict[str, Any]:
    """A JSON-ready snapshot of everything the lead needs for this request."""
    customer = conn.execute("SELECT name, vip_level, lifetime_value_fen, order_count FROM customers WHERE id = ?",
                            (case["customer_id"],)).fetchone()
    context: dict[str, Any] = {
        "case": {"subject": case.get("subject", ""), "intent": case.get("intent", ""),
                 "emotion": case.get("emotion", "")},
        "customer": dict(customer) if customer else {},
        "order": None,
        "shipment": None,
        "transcript": [],
        "history": {k: v for k, v in history.items() if k != "recent"},
        "signals": [s.to_dict() for s in signals],
        "decision": {"outcome": decision.outcome, "tier": decision.tier, "limit_fen": decision.limit_fen,
                     "item_by_item": decision.item_by_item, "policy_version": decision.policy_version,
                     "reasons": [{"code": r.code, "fields": dict(r.fields)} for r in decision.reasons]},
    }
    if order_id:
        order = conn.execute("SELECT order_no, platform, status, total_fen, paid_fen, refunded_fen, created_at "
                             "FROM orders WHERE id = ?", (order_id,)).fetchone()
        if order is not None:
            items = conn.execute("SELECT title, qty, price_fen, category FROM order_items WHERE order_id = ? "
                                 "LIMIT ?", (order_id, ITEMS)).fetchall()
            context["order"] = {**dict(order), "items": [dict(i) for i in items]}
        shipment = conn.execute("SELECT id, carrier, tracking_no, status, anomaly, shipped_at, delivered_at "
                                "FROM shipments WHERE order_id = ? ORDER BY shipped_at DESC LIMIT 1",
                                (order_id,)).fetchone()
        if shipment is not None:
            last = conn.execute("SELECT at, status, location, description FROM shipment_events "
                                "WHERE shipment_id = ? ORDER BY at DESC LIMIT 1", (shipment["id"],)).fetchone()
            info = dict(shipment)
            info.pop("id")
            info["last_event"] = dict(last) if last else None
            context["shipment"] = info
    messages = conn.execute(
        "SELECT author, body, at FROM (SELECT author, body, at FROM messages WHERE case_id = ? "
        "ORDER BY at DESC LIMIT ?) ORDER BY at", (case["id"], TRANSCRIPT_MESSAGES),
    ).fetchall()
    context["transcript"] = [{"author": m["author"], "at": m["at"], "body": m["body"][:MESSAGE_CHARS]}
                             for m in messages]
    return context
