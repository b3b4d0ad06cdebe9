"""Bringing outside orders, customers, parcels and scans into the cache (CSV and HTTP alike).

Adapters turn platform data into the plain records of ``ingest_records``; everything after that is
here, once: matching (orders by platform + order number, customers by platform buyer id, else name +
phone, items by sku + title, shipments by tracking number, events by time + text), idempotent upserts
that write an outbox entry only for rows that really changed, one transaction per batch (stored rows
matched with one query per table: ``ingest_match``), tried whole first and, only when the database
refuses a record, redone with a savepoint per record (a bad record is reported, its neighbours are
kept), then the logistics verdict and the follow-up hook for every shipment that received new scans.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from workbench import changes, logistics, outbox
from workbench.context import Context
from workbench.i18n import t
from workbench.ids import new_id
from workbench.services.ingest_match import Snapshot
from workbench.services.ingest_records import (ORDER_STATUSES, CustomerIn, EventIn, IngestResult, ItemIn, OrderIn,
                                               Problem, ShipmentIn)
from workbench.timefmt import to_db

__all__ = ["ORDER_STATUSES", "CustomerIn", "EventIn", "IngestResult", "ItemIn", "OrderIn", "Problem",
           "ShipmentIn", "guide_skus", "notify_followups", "record_scans", "upsert_customers", "upsert_orders"]


def _db(moment: datetime | None) -> str | None:
    return to_db(moment) if moment else None


def _masks(stored: str | None, new: str | None) -> bool:
    """Whether ``new`` is a masked form of ``stored`` (138****1234 vs 13812341234): keep the full one."""
    if not stored or not new or "*" not in new or len(stored) != len(new):
        return False
    return all(n == "*" or n == s for n, s in zip(new, stored))


def _diff(row: sqlite3.Row, wanted: dict[str, Any]) -> dict[str, Any]:
    """Columns whose new value is known and differs; masked phones never replace full ones."""
    return {key: value for key, value in wanted.items() if value is not None and value != ""
            and row[key] != value and not (key == "phone" and _masks(row[key], value))}


class _Batch:
    """State of one batch transaction: caches, customer figure deltas and the result."""

    def __init__(self, ctx: Context, conn: sqlite3.Connection, guide_skus: set[str]):
        self.ctx, self.conn, self.guide_skus = ctx, conn, guide_skus
        self.now = to_db(ctx.clock.now())
        self.customers: dict[tuple[str, str], str] = {}
        self.deltas: dict[str, list[int]] = {}  # customer id -> [orders, fen]
        self.result = IngestResult()
        self.touched: list[str] = []
        self.customer_changed = False  # whether the last customer() call wrote anything
        self.snapshot = Snapshot(conn)

    def load(self, orders: Sequence[OrderIn]) -> None:
        """Match the batch's orders and buyers to stored rows in a few queries (see ``ingest_match``)."""
        self.snapshot.load(((o.platform, o.order_no) for o in orders),
                           ((o.customer.source, o.customer.external_id) for o in orders if o.customer.external_id))

    def write(self, table: str, row_id: str | None, values: dict[str, Any]) -> None:
        if row_id is None:
            changes.insert(self.conn, self.ctx.clock, table, values, self.ctx.agent_id)
        elif values:
            changes.update(self.conn, self.ctx.clock, table, row_id, values, self.ctx.agent_id)
        else:
            return
        if table == "customers":
            self.snapshot.forget_customer(row_id or values["id"])

    def customer(self, c: CustomerIn) -> str:
        key = (c.source, c.external_id or f"{c.name}|{c.phone or ''}")
        self.customer_changed = False
        if key in self.customers:
            return self.customers[key]
        if c.external_id:
            row = self.snapshot.customer(c.source, c.external_id)
        else:
            row = self.conn.execute(
                "SELECT * FROM customers WHERE name = ? AND source = ? AND coalesce(phone, '') = ? LIMIT 1",
                (c.name, c.source, c.phone or "")).fetchone()
        wanted = {"name": c.name, "nick": c.nick, "phone": c.phone, "email": c.email, "region": c.region}
        if row is None:
            customer_id = new_id("cu")
            self.write("customers", None, {
                "id": customer_id, **wanted, "source": c.source, "external_id": c.external_id,
                "created_at": self.now, "updated_at": self.now})
            self.customer_changed = True
        else:
            customer_id = row["id"]
            values = _diff(row, wanted)
            if values:
                self.write("customers", customer_id, {**values, "updated_at": self.now})
                self.customer_changed = True
        self.customers[key] = customer_id
        return customer_id

    def order(self, o: OrderIn) -> None:
        row = self.snapshot.order(o.platform, o.order_no)
        wanted = {"status": o.status, "total_fen": o.total_fen, "paid_fen": o.paid_fen,
                  "refunded_fen": o.refunded_fen, "receiver": o.receiver, "phone": o.phone,
                  "address": o.address, "region": o.region, "created_at": _db(o.created_at),
                  "paid_at": _db(o.paid_at)}
        customer_id = self.customer(o.customer)
        if row is None:
            order_id = new_id("o")
            self.write("orders", None, {"id": order_id, "order_no": o.order_no, "platform": o.platform,
                                        "customer_id": customer_id, **{k: v for k, v in wanted.items()
                                                                       if v is not None},
                                        "updated_at": self.now})
            delta = [1, o.paid_fen - (o.refunded_fen or 0)]
            changed = True
        else:
            order_id = row["id"]
            values = _diff(row, wanted)
            if values:
                self.write("orders", order_id, {**values, "updated_at": self.now})
            refunded = row["refunded_fen"] if o.refunded_fen is None else o.refunded_fen
            delta = [0, (o.paid_fen - refunded) - (row["paid_fen"] - row["refunded_fen"])]
            customer_id, changed = row["customer_id"], bool(values)
        changed |= self.items(order_id, o.items, fresh=row is None)
        for shipment in o.shipments:
            changed |= self.shipment(order_id, shipment, fresh=row is None)
        self.count(row is None, changed)
        if row is None or changed:
            self.snapshot.forget_order(o.platform, o.order_no, order_id)
        self.result.order_ids.append(order_id)
        totals = self.deltas.setdefault(customer_id, [0, 0])
        totals[0] += delta[0]
        totals[1] += delta[1]

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.result.created += 1
        elif changed:
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def items(self, order_id: str, items: list[ItemIn], fresh: bool) -> bool:
        merged: dict[tuple[str, str], ItemIn] = {}
        for item in items:
            key = (item.sku or "", item.title)
            if key in merged:
                merged[key].qty += item.qty
            else:
                merged[key] = ItemIn(item.title, item.qty, item.price_fen, item.sku, item.category,
                                     item.needs_guide)
        stored = {} if fresh else {(r["sku"] or "", r["title"]): r for r in self.snapshot.order_items(order_id)}
        changed = False
        for key, item in merged.items():
            guide = item.needs_guide if item.needs_guide is not None else (item.sku or "") in self.guide_skus
            wanted = {"qty": item.qty, "price_fen": item.price_fen, "category": item.category,
                      "needs_guide": int(guide)}
            row = stored.get(key)
            if row is None:
                self.write("order_items", None, {"id": new_id("oi"), "order_id": order_id, "sku": item.sku,
                                                 "title": item.title, **wanted})
                changed = True
            else:
                values = _diff(row, wanted)
                self.write("order_items", row["id"], values)
                changed |= bool(values)
        return changed

    def shipment(self, order_id: str, s: ShipmentIn, fresh: bool) -> bool:
        row = None if fresh else self.snapshot.shipment(order_id, s.tracking_no)
        code = s.carrier_code or logistics.carrier_code(s.carrier, s.tracking_no)
        wanted = {"carrier": s.carrier, "carrier_code": code, "shipped_at": _db(s.shipped_at)}
        if row is None:
            shipment_id = new_id("sh")
            self.write("shipments", None, {"id": shipment_id, "order_id": order_id, "tracking_no": s.tracking_no,
                                           **wanted, "status": "pending", "updated_at": self.now})
            changed = True
        else:
            shipment_id = row["id"]
            values = _diff(row, wanted)
            self.write("shipments", shipment_id, {**values, "updated_at": self.now} if values else {})
            changed = bool(values)
        if self.events(shipment_id, s.events, fresh=row is None):
            self.touched.append(shipment_id)
            changed = True
        return changed

    def events(self, shipment_id: str, events: Sequence[EventIn], fresh: bool) -> int:
        """Insert the scans not stored yet (same time and text = same scan); returns how many."""
        if not events:
            return 0
        seen = set() if fresh else {(r[0], r[1]) for r in self.conn.execute(
            "SELECT at, description FROM shipment_events WHERE shipment_id = ?", (shipment_id,))}
        added = 0
        for event in events:
            key = (to_db(event.at), event.description)
            if key in seen:
                continue
            seen.add(key)
            status = logistics.classify(event.description, event.status).status
            self.write("shipment_events", None, {"id": new_id("ev"), "shipment_id": shipment_id, "at": key[0],
                                                 "status": status, "location": event.location,
                                                 "description": event.description})
            added += 1
        return added

    def finish(self) -> None:
        """Apply customer figure deltas and the logistics verdicts, still inside the transaction."""
        for customer_id, (orders, fen) in self.deltas.items():
            if orders or fen:
                row = self.conn.execute(
                    "UPDATE customers SET order_count = order_count + ?, lifetime_value_fen = "
                    "max(0, lifetime_value_fen + ?) WHERE id = ? RETURNING order_count, lifetime_value_fen",
                    (orders, fen, customer_id)).fetchall()[0]
                outbox.record(self.conn, self.ctx.clock, entity="customers", entity_id=customer_id,
                              op="update", payload={"id": customer_id, **dict(row)}, agent_id=self.ctx.agent_id)
        for shipment_id in dict.fromkeys(self.touched):
            logistics.recompute(self.ctx, shipment_id)
        self.result.shipments_with_events = list(dict.fromkeys(self.touched))


def _guarded(batch: _Batch, ref: str, work: Callable[[], None]) -> bool:
    """Run one record's writes in a savepoint: a database error drops that record only (and what the
    batch remembered about it: the customer ids it cached, matched rows, shipments to re-assess).
    Returns whether the record was kept.

    Customers cached by earlier records stay cached: forgetting them made the next record of the same
    buyer write the buyer again, so re-importing a file with a refused row was never "unchanged".
    """
    touched, ids, known = len(batch.touched), len(batch.result.order_ids), len(batch.customers)
    batch.conn.execute("SAVEPOINT ingest_record")
    try:
        work()
    except sqlite3.Error as exc:
        batch.conn.execute("ROLLBACK TO ingest_record")
        del batch.touched[touched:], batch.result.order_ids[ids:]
        for key in list(batch.customers)[known:]:  # cached by this record (dicts keep insertion order)
            del batch.customers[key]
        batch.snapshot.clear()
        batch.result.problems.append(Problem(ref, "", t("data.ingest.refused", detail=str(exc))))
        return False
    finally:
        batch.conn.execute("RELEASE ingest_record")
    return True


def _run(make: Callable[[], _Batch], records: Sequence[Any], refs: Sequence[str],
         work: Callable[[_Batch, Any], None], load: Callable[[_Batch, Sequence[Any]], None]) -> _Batch:
    """Write all records under one savepoint; only if the database refuses one, undo that attempt and
    write them again one savepoint per record, so exactly the refused records are dropped.

    Why: two extra statements per record (SAVEPOINT/RELEASE) cost time on every import, while a
    refusal is rare; the retry gives the same outcome as savepoints from the start.
    """
    batch = make()
    load(batch, records)
    batch.conn.execute("SAVEPOINT ingest_batch")
    try:
        for record in records:
            work(batch, record)
    except sqlite3.Error:
        batch.conn.execute("ROLLBACK TO ingest_batch")
    except BaseException:
        batch.conn.execute("ROLLBACK TO ingest_batch")
        batch.conn.execute("RELEASE ingest_batch")
        raise
    else:
        batch.conn.execute("RELEASE ingest_batch")
        return batch
    batch.conn.execute("RELEASE ingest_batch")
    batch = make()
    load(batch, records)
    for index, record in enumerate(records):
        if not _guarded(batch, refs[index], lambda r=record: work(batch, r)):
            load(batch, records[index + 1:])
    return batch


def guide_skus(ctx: Context) -> set[str]:
    """SKUs already known to need a usage guide (so imported lines of the same product get one too)."""
    return {r[0] for r in ctx.store.query(
        "SELECT DISTINCT sku FROM order_items WHERE needs_guide = 1 AND sku IS NOT NULL")}


def upsert_orders(ctx: Context, orders: Sequence[OrderIn], *, guides: set[str] | None = None) -> IngestResult:
    """Create or update a batch of orders in ONE transaction; then run the follow-up hook.

    Re-sending the same batch changes nothing and writes no outbox entry. A record the database
    refuses is rolled back alone and reported in ``problems``.
    """
    with ctx.store.write() as conn:
        batch = _run(lambda: _Batch(ctx, conn, guides if guides is not None else set()), orders,
                     [o.ref or o.order_no for o in orders], _Batch.order, _Batch.load)
        batch.finish()
    notify_followups(ctx, batch.result.shipments_with_events, batch.result)
    return batch.result


def upsert_customers(ctx: Context, customers: Sequence[CustomerIn], refs: Sequence[str] = ()) -> IngestResult:
    """Create or update customers that may have no order yet (Shopify/WooCommerce customer lists)."""
    def work(batch: _Batch, c: CustomerIn) -> None:
        known = (c.source, c.external_id or f"{c.name}|{c.phone or ''}") in batch.customers
        batch.customer(c)
        if not known:
            batch.count(False, batch.customer_changed)

    def load(batch: _Batch, records: Sequence[CustomerIn]) -> None:
        batch.snapshot.load((), ((c.source, c.external_id) for c in records if c.external_id))

    names = [refs[i] if i < len(refs) else c.external_id or c.name for i, c in enumerate(customers)]
    with ctx.store.write() as conn:
        batch = _run(lambda: _Batch(ctx, conn, set()), customers, names, work, load)
    return batch.result


def record_scans(ctx: Context, shipment_id: str, events: Sequence[EventIn], ref: str = "") -> IngestResult:
    """Store a courier's scans for one shipment, stamp ``refreshed_at``, re-assess, run the hook."""
    with ctx.store.write() as conn:
        batch = _Batch(ctx, conn, set())

        def work() -> None:
            added = batch.events(shipment_id, events, fresh=False)
            batch.write("shipments", shipment_id, {"refreshed_at": batch.now})
            if added:
                batch.touched.append(shipment_id)
            batch.count(False, bool(added))

        _guarded(batch, ref or shipment_id, work)
        batch.finish()
    notify_followups(ctx, batch.result.shipments_with_events, batch.result)
    return batch.result


def notify_followups(ctx: Context, shipment_ids: Sequence[str], result: IngestResult) -> None:
    """Let event-triggered follow-ups move (:func:`workbench.services.followups.on_shipment_events`).

    A follow-up that cannot be moved (its case merged, a database error) is reported on the result per
    shipment and never undoes the scans already stored.
    """
    if not shipment_ids:
        return
    from workbench.services import followups
    from workbench.services.followup_model import FollowUpError

    for shipment_id in shipment_ids:
        try:
            followups.on_shipment_events(ctx, shipment_id)
        except (FollowUpError, LookupError, sqlite3.Error) as exc:
            result.problems.append(Problem(shipment_id, "follow_ups", f"{type(exc).__name__}: {exc}"))