"""The plain records adapters (CSV, Shopify, WooCommerce, Kuaidi100) turn platform data into.

Kept apart from ``ingest`` so the writing logic stays small; ``ingest`` re-exports every name here,
and adapters keep importing them from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ORDER_STATUSES = ("unpaid", "paid", "shipped", "delivered", "completed", "closed", "refunding", "refunded")


@dataclass
class CustomerIn:
    """A buyer as a platform knows them. ``external_id`` is the platform's buyer id or member name."""

    source: str
    name: str
    external_id: str | None = None
    nick: str | None = None
    phone: str | None = None
    email: str | None = None
    region: str | None = None


@dataclass
class ItemIn:
    title: str
    qty: int = 1
    price_fen: int = 0
    sku: str | None = None
    category: str | None = None
    needs_guide: bool | None = None  # None: known guide SKUs decide


@dataclass
class EventIn:
    at: datetime
    description: str
    status: str | None = None  # the source's own word for it (a hint for logistics.classify)
    location: str | None = None


@dataclass
class ShipmentIn:
    tracking_no: str
    carrier: str
    carrier_code: str | None = None
    shipped_at: datetime | None = None
    events: list[EventIn] = field(default_factory=list)


@dataclass
class OrderIn:
    platform: str
    order_no: str
    customer: CustomerIn
    status: str
    created_at: datetime
    total_fen: int = 0
    paid_fen: int = 0
    refunded_fen: int | None = None  # None: the source does not say, keep what is stored
    receiver: str | None = None
    phone: str | None = None
    address: str | None = None
    region: str | None = None
    paid_at: datetime | None = None
    items: list[ItemIn] = field(default_factory=list)
    shipments: list[ShipmentIn] = field(default_factory=list)
    ref: str = ""  # where the record came from, for messages ("第 12 行", "Shopify #1001")


@dataclass
class Problem:
    """One record that could not be (fully) stored: where, which field, and why."""

    ref: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.ref} [{self.field}]: {self.reason}" if self.field else f"{self.ref}: {self.reason}"


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    shipments_with_events: list[str] = field(default_factory=list)
