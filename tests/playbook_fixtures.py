"""Hand-made cases for the playbook, stepper, composer and escalation tests.

Each test gets a case whose every field is known (Chinese names, a real-looking order, a parcel), so
filled phrasing and snapshots are exact and deterministic. Rows are written with plain SQL: these are
fixtures standing in for imported data, not changes the agent makes.
"""

from __future__ import annotations

from typing import Any

from workbench.context import Context
from workbench.timefmt import to_db

CUSTOMER_NAME = "王磊"
ORDER_NO = "J231120884512"
PRODUCT = "电热水壶 1.7L 不锈钢"
TRACKING = "YT7362632198043"


def make_case(ctx: Context, *, case_id: str = "c-test-1", intent: str = "damaged_item", emotion: str = "angry",
              customer_name: str = CUSTOMER_NAME, product: str = PRODUCT, first_message: str | None = None,
              shipment_status: str = "delivered", with_order: bool = True, lang_message: str = "zh") -> str:
    """Insert a customer, an order with one item and a parcel, and an open case; returns the case id."""
    now = to_db(ctx.clock.now())
    conn = ctx.store.conn
    cust_id, order_id = f"cu-{case_id}", f"o-{case_id}"
    conn.execute(
        "INSERT INTO customers (id, name, vip_level, lifetime_value_fen, order_count, created_at, updated_at) "
        "VALUES (?, ?, 2, 342000, 12, ?, ?)", (cust_id, customer_name, now, now))
    if with_order:
        conn.execute(
            "INSERT INTO orders (id, order_no, platform, customer_id, status, total_fen, paid_fen, created_at, "
            "updated_at) VALUES (?, ?, 'taobao', ?, 'completed', 19900, 19900, ?, ?)",
            (order_id, ORDER_NO if case_id == "c-test-1" else f"{ORDER_NO}-{case_id}", cust_id, now, now))
        conn.execute("INSERT INTO order_items (id, order_id, title, qty, price_fen) VALUES (?, ?, ?, 1, 19900)",
                     (f"oi-{case_id}", order_id, product))
        conn.execute(
            "INSERT INTO shipments (id, order_id, carrier, tracking_no, status, delivered_at, updated_at) "
            "VALUES (?, ?, '圆通速递', ?, ?, ?, ?)",
            (f"s-{case_id}", order_id, TRACKING, shipment_status,
             "2026-11-20T06:30:00Z" if shipment_status == "delivered" else None, now))
        conn.execute(
            "INSERT INTO shipment_events (id, shipment_id, at, status, description) VALUES (?, ?, ?, ?, ?)",
            (f"se-{case_id}", f"s-{case_id}", "2026-11-20T06:30:00Z", shipment_status, "已签收,签收人:本人"))
    body = first_message if first_message is not None else (
        "收到的水壶外壳裂了,刚拆开就这样,你们怎么发货的?" if lang_message == "zh"
        else "The kettle arrived with a cracked shell. What are you going to do about it?")
    conn.execute(
        "INSERT INTO cases (id, customer_id, order_id, subject, intent, emotion, cues, opened_at, updated_at, "
        "assignee_id) VALUES (?, ?, ?, ?, ?, ?, '[\"裂了\", \"怎么发货\"]', ?, ?, ?)",
        (case_id, cust_id, order_id if with_order else None, "水壶外壳破裂", intent, emotion, now, now, ctx.agent_id))
    conn.execute("INSERT INTO messages (id, case_id, author, body, at) VALUES (?, ?, 'customer', ?, ?)",
                 (f"m-{case_id}", case_id, body, now))
    return case_id


def outbox_count(ctx: Context, entity: str = "cases") -> int:
    return int(ctx.store.scalar("SELECT count(*) FROM outbox WHERE entity = ?", (entity,)))


def audit_actions(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    import json

    return [(r["action"], json.loads(r["data"])) for r in
            ctx.store.query("SELECT action, data FROM audit_log ORDER BY seq")]
