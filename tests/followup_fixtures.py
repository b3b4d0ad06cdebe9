"""Small deterministic data for the follow-up, SLA and board tests (independent of the demo generator).

Rows are inserted directly as setup data (no outbox entries), so tests can count exactly the outbox
entries the follow-up service writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from workbench.clock import FrozenClock
from workbench.context import Context, open_context
from workbench.demo.agents import seed_agents
from workbench.timefmt import to_db

CUSTOMERS = (("cu-1", "王磊", 2), ("cu-2", "陈女士", 0), ("cu-3", "[bold]赵[/]\x1b[31m客", 0))


def make_ctx(tmp_path: Path, clock: FrozenClock, agent: str = "a-lina", tz: str | None = None) -> Context:
    """An empty migrated cache with the demo team, three customers, orders, shipments and cases."""
    if tz:
        config = tmp_path / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[shop]\ntimezone = "{tz}"\n', "utf-8")
        ctx = open_context(db=tmp_path / "fu.db", config=config, clock=clock)
    else:
        ctx = open_context(db=tmp_path / "fu.db", clock=clock)
    seed_agents(ctx.store, clock.now())
    seed(ctx, clock.now())
    ctx.agent_id = agent
    return ctx


def seed(ctx: Context, now: datetime) -> None:
    stamp = to_db(now - timedelta(days=5))
    with ctx.store.write() as conn:
        for cid, name, vip in CUSTOMERS:
            conn.execute("INSERT INTO customers (id, name, vip_level, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                         (cid, name, vip, stamp, stamp))
        for n, (cid, _, _) in enumerate(CUSTOMERS, start=1):
            conn.execute("INSERT INTO orders (id, order_no, platform, customer_id, status, total_fen, created_at, "
                         "updated_at) VALUES (?, ?, 'taobao', ?, 'paid', 19900, ?, ?)",
                         (f"o-{n}", f"J2311{n:04d}", cid, stamp, stamp))
        conn.execute("INSERT INTO shipments (id, order_id, carrier, carrier_code, tracking_no, status, shipped_at, "
                     "last_event_at, updated_at) VALUES ('s-1', 'o-1', '圆通速递', 'yuantong', 'YT1001', 'in_transit', "
                     "?, ?, ?)", (to_db(now - timedelta(days=2)), to_db(now - timedelta(days=2)), stamp))
        cases = (("c-1", "cu-1", "o-1", "水壶外壳裂了", "damaged_item", "open", "a-lina"),
                 ("c-2", "cu-2", "o-2", "物流三天没动", "delivery_problem", "open", "a-chenjie"),
                 ("c-3", "cu-3", "o-3", "[@click=app.quit]退款[/]", "refund_status", "closed", "a-lina"),
                 ("c-4", "cu-1", None, "发票抬头", "invoice", "open", "a-lina"),
                 ("c-5", "cu-2", "o-2", "重复咨询", "other", "open", "a-lina"))
        for cid, cust, order, subject, intent, status, owner in cases:
            conn.execute("INSERT INTO cases (id, customer_id, order_id, subject, intent, status, assignee_id, "
                         "sla_kind, sla_due_at, opened_at, updated_at, closed_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, 'after_sales', ?, ?, ?, ?)",
                         (cid, cust, order, subject, intent, status, owner, to_db(now + timedelta(minutes=5)),
                          to_db(now - timedelta(minutes=5)), stamp, stamp if status == "closed" else None))
        conn.execute("UPDATE cases SET flag = 'merged:c-2' WHERE id = 'c-5'")


def add_event(ctx: Context, shipment_id: str, event_id: str, at: datetime, status: str, description: str) -> None:
    """Store one shipment event the way an adapter would (setup data), then let follow-ups react."""
    from workbench.services import followups

    with ctx.store.write() as conn:
        conn.execute("INSERT INTO shipment_events (id, shipment_id, at, status, description) VALUES (?, ?, ?, ?, ?)",
                     (event_id, shipment_id, to_db(at), status, description))
    followups.on_shipment_events(ctx, shipment_id)


def outbox_rows(ctx: Context, entity: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM outbox" + (" WHERE entity = ?" if entity else "") + " ORDER BY seq"
    return [dict(r) for r in ctx.store.query(sql, (entity,) if entity else ())]
