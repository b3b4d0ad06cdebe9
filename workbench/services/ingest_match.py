"""Matching one ingest batch to the rows already stored, with one query per table instead of per record.

Profiling a 淘宝 export showed the per-record look-ups (order by number, customer by buyer id, the
order's items, its parcels) as most of a re-import's database time. :class:`Snapshot` loads them
for a whole batch with ``IN (...)`` queries, inside the batch's own write transaction, so no other
connection can change them meanwhile. What the batch itself writes is forgotten again (``forget_*``):
the next record that needs such a row reads it from the database, exactly as it did before.

Ties are broken the way the single-row queries broke them (the lowest rowid for customers and
parcels, the highest one for an order's item lines), so matching does not depend on the batch size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

#: Host parameters per ``IN (...)`` query (SQLite allows 32766; smaller statements cache better).
CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


class Snapshot:
    """Stored orders/customers/items/parcels for one batch, keyed the way ingest matches them."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.clear()

    def clear(self) -> None:
        """Forget everything (after a rollback: what was loaded or written may no longer be true)."""
        self.orders: dict[tuple[str, str], sqlite3.Row | None] = {}
        self.customers: dict[tuple[str, str], sqlite3.Row | None] = {}
        self.items: dict[str, list[sqlite3.Row]] = {}
        self.shipments: dict[tuple[str, str], sqlite3.Row | None] = {}
        self.shipment_orders: set[str] = set()
        self.written_customers: set[str] = set()

    def load(self, orders: Iterable[tuple[str, str]], customers: Iterable[tuple[str, str]]) -> None:
        """Load the orders (platform, order_no) and customers (source, external_id) a batch refers to,
        plus the items and parcels of the orders that exist."""
        by_platform: dict[str, list[str]] = {}
        for platform, number in dict.fromkeys(orders):
            if (platform, number) not in self.orders:
                by_platform.setdefault(platform, []).append(number)
        found: list[str] = []
        for platform, numbers in by_platform.items():
            for part in _chunks(numbers):
                for number in part:
                    self.orders[(platform, number)] = None
                for row in self.conn.execute(
                        f"SELECT * FROM orders WHERE platform = ? AND order_no IN ({_marks(part)})", (platform, *part)):
                    self.orders[(platform, row["order_no"])] = row
                    found.append(row["id"])
        self._load_lines(found)
        self._load_customers(customers)

    def _load_lines(self, order_ids: list[str]) -> None:
        for part in _chunks(order_ids):
            for order_id in part:
                self.items.setdefault(order_id, [])
                self.shipment_orders.add(order_id)
            for row in self.conn.execute(
                    f"SELECT * FROM order_items WHERE order_id IN ({_marks(part)}) ORDER BY order_id, rowid", part):
                self.items[row["order_id"]].append(row)
            for row in self.conn.execute(
                    f"SELECT * FROM shipments WHERE order_id IN ({_marks(part)}) ORDER BY order_id, rowid", part):
                self.shipments.setdefault((row["order_id"], row["tracking_no"]), row)

    def _load_customers(self, keys: Iterable[tuple[str, str]]) -> None:
        by_source: dict[str, list[str]] = {}
        for source, external in dict.fromkeys(keys):
            if (source, external) not in self.customers:
                by_source.setdefault(source, []).append(external)
        for source, externals in by_source.items():
            for part in _chunks(externals):
                for external in part:
                    self.customers[(source, external)] = None
                for row in self.conn.execute(
                        f"SELECT * FROM customers WHERE source = ? AND external_id IN ({_marks(part)}) "
                        "ORDER BY source, external_id, rowid", (source, *part)):
                    key = (source, row["external_id"])
                    if self.customers[key] is None:
                        self.customers[key] = row

    def order(self, platform: str, number: str) -> sqlite3.Row | None:
        key = (platform, number)
        if key in self.orders:
            return self.orders[key]
        return self.conn.execute("SELECT * FROM orders WHERE platform = ? AND order_no = ?", key).fetchone()

    def customer(self, source: str, external: str) -> sqlite3.Row | None:
        key = (source, external)
        if key in self.customers:
            row = self.customers[key]
            if row is None or row["id"] not in self.written_customers:
                return row
        return self.conn.execute("SELECT * FROM customers WHERE source = ? AND external_id = ? LIMIT 1",
                                 key).fetchone()

    def order_items(self, order_id: str) -> list[sqlite3.Row]:
        if order_id in self.items:
            return self.items[order_id]
        return self.conn.execute("SELECT * FROM order_items WHERE order_id = ?", (order_id,)).fetchall()

    def shipment(self, order_id: str, tracking_no: str) -> sqlite3.Row | None:
        if order_id in self.shipment_orders:
            return self.shipments.get((order_id, tracking_no))
        return self.conn.execute("SELECT * FROM shipments WHERE order_id = ? AND tracking_no = ?",
                                 (order_id, tracking_no)).fetchone()

    def forget_order(self, platform: str, number: str, order_id: str) -> None:
        """The batch wrote this order, its lines or parcels: read them from the database from now on."""
        self.orders.pop((platform, number), None)
        self.items.pop(order_id, None)
        self.shipment_orders.discard(order_id)

    def forget_customer(self, customer_id: str) -> None:
        """The batch wrote this customer: a later record reads it from the database."""
        self.written_customers.add(customer_id)
