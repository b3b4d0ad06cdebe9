"""Shopify Admin REST (2024-04): orders with line items, customers, fulfillments with tracking, refunds.

Pagination is by cursor: the ``Link`` header's ``rel="next"`` URL (``page_info=…``), followed only to
the same host. Shopify's REST API is a leaky bucket (2 requests/s on standard plans): 429 answers are
retried after ``Retry-After`` by :mod:`adapters.http`, and the ``X-Shopify-Shop-Api-Call-Limit``
header ("32/40") is read after every call to slow down *before* the bucket overflows.

Amounts are the shop currency's minor units (cents for USD), stored in the ``*_fen`` columns.
Each order that cannot be read is reported by id with the missing field; the others are stored.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from adapters.apidata import (
    BAD_RECORD, PullOutcome, RecordError, joined, money, problem, store_customers, store_orders, when,
)
from adapters.http import HttpClient, HttpError, same_origin
from workbench import logistics
from workbench.context import Context
from workbench.i18n import t
from workbench.services import ingest
from workbench.services.ingest import CustomerIn, EventIn, ItemIn, OrderIn, Problem, ShipmentIn

API_VERSION = "2024-04"
PAGE_SIZE = 250
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a Link header, if any."""
    match = _NEXT.search(header or "")
    return match.group(1) if match else None


def call_limit_pause(header: str | None) -> float:
    """Seconds to wait so the leaky bucket (2/s) drains back to half full once it is 80 % used."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", header or "")
    if not match:
        return 0.0
    used, size = int(match.group(1)), int(match.group(2))
    return (used - size / 2) / 2 if size and used >= 0.8 * size else 0.0


def _address(a: dict[str, Any] | None) -> tuple[str | None, str | None]:
    if not a:
        return None, None
    text = joined(a.get("address1"), a.get("address2"), a.get("city"), a.get("province"), a.get("zip"), a.get("country"))
    return text or None, a.get("province") or a.get("country") or None


def customer(c: dict[str, Any], platform: str) -> CustomerIn:
    if c.get("id") is None:
        raise RecordError("customer.id", t("data.api.missing", field="customer.id"))
    default = c.get("default_address") or {}
    name = joined(c.get("first_name"), c.get("last_name")) or c.get("email") or f"Shopify {c['id']}"
    return CustomerIn(platform, name, str(c["id"]), None, c.get("phone") or default.get("phone") or None,
                      c.get("email") or None, default.get("province") or default.get("country") or None)


_FINANCIAL = {"pending": "unpaid", "authorized": "paid", "partially_paid": "paid", "paid": "paid",
              "partially_refunded": "paid", "refunded": "refunded", "voided": "closed"}


def status(o: dict[str, Any], problems: list[Problem], ref: str) -> str:
    """Our order status from Shopify's financial/fulfillment status, cancellation and closing."""
    financial = o.get("financial_status")
    base = _FINANCIAL.get(financial or "paid")
    if base is None:
        problems.append(Problem(ref, "financial_status", t("data.api.unknown_status", value=financial)))
        base = "paid"
    if o.get("cancelled_at"):
        return "refunded" if base == "refunded" else "closed"
    if base in ("refunded", "unpaid"):
        return base
    if o.get("fulfillment_status") in ("fulfilled", "partial"):
        return "completed" if o.get("closed_at") else "shipped"
    return base


def refunded(o: dict[str, Any]) -> int:
    """Money actually returned: successful refund transactions of every refund."""
    total = 0
    for refund in o.get("refunds") or []:
        for tx in refund.get("transactions") or []:
            if tx.get("kind") == "refund" and tx.get("status") == "success":
                total += money(tx.get("amount"), "refunds.transactions.amount", 0)
    return total


def shipments(o: dict[str, Any], problems: list[Problem], ref: str) -> list[ShipmentIn]:
    out = []
    for f in o.get("fulfillments") or []:
        if f.get("status") == "cancelled":
            continue
        number = f.get("tracking_number") or next(iter(f.get("tracking_numbers") or []), None)
        if not number:
            problems.append(Problem(ref, "fulfillments.tracking_number", t("data.api.no_tracking", id=f.get("id"))))
            continue
        company = f.get("tracking_company") or ""
        shipped = when(f["created_at"], "fulfillments.created_at") if f.get("created_at") else None
        events = []
        if f.get("shipment_status") and f.get("updated_at"):
            events.append(EventIn(when(f["updated_at"], "fulfillments.updated_at"),
                                  str(f["shipment_status"]).replace("_", " "), f["shipment_status"]))
        out.append(ShipmentIn(str(number), company, logistics.carrier_code(company, str(number)), shipped, events))
    return out


def order(o: dict[str, Any], platform: str, problems: list[Problem]) -> OrderIn:
    """One Shopify order as our record. Raises RecordError naming the field that is missing/wrong."""
    if o.get("id") is None:
        raise RecordError("id", t("data.api.missing", field="id"))
    ref = f"Shopify {o.get('name') or o['id']}"
    number = o.get("name") or (f"#{o['order_number']}" if o.get("order_number") else None)
    if not number:
        raise RecordError("name", t("data.api.missing", field="name"))
    created = when(o.get("created_at") or o.get("processed_at"), "created_at")
    total = money(o.get("total_price"), "total_price")
    outstanding = money(o.get("total_outstanding"), "total_outstanding", 0)
    state = status(o, problems, ref)
    if o.get("customer"):
        buyer = customer(o["customer"], platform)
    else:
        email = o.get("email") or o.get("contact_email")
        buyer = CustomerIn(platform, email or t("data.csv.anonymous"), f"email:{email}" if email else f"order:{o['id']}",
                           email=email or None)
    ship_to = o.get("shipping_address") or o.get("billing_address") or {}
    address, region = _address(ship_to)
    items = [ItemIn(str(li.get("name") or li.get("title") or "?"), int(li.get("quantity") or 1),
                    money(li.get("price"), "line_items.price", 0), li.get("sku") or None)
             for li in o.get("line_items") or []]
    paid = 0 if state == "unpaid" else max(total - outstanding, 0)
    return OrderIn(platform, str(number), buyer, state, created, total, paid, refunded(o),
                   ship_to.get("name") or None, ship_to.get("phone") or o.get("phone") or None, address, region,
                   when(o["processed_at"], "processed_at") if o.get("processed_at") and state != "unpaid" else None,
                   items, shipments(o, problems, ref), ref=ref)


@dataclass
class ShopifyApi:
    """Paged reads from one shop. ``http`` carries the token header and the retry policy."""

    http: HttpClient
    version: str = API_VERSION

    async def pages(self, resource: str, key: str, params: dict[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list endpoint, following Link cursors; waits when the bucket runs full."""
        url: str | None = f"/admin/api/{self.version}/{resource}.json"
        query: dict[str, Any] | None = params
        while url:
            response = await self.http.get_json(url, query)
            items = response.data.get(key) if isinstance(response.data, dict) else None
            if not isinstance(items, list):
                raise HttpError("malformed", response.url, t("data.api.missing", field=key), response.status)
            yield items
            link = next_link(response.headers.get("link"))
            if link and not same_origin(link, self.http.base_url):
                raise HttpError("client", response.url, t("data.api.foreign_link"), response.status)
            pause = call_limit_pause(response.headers.get("x-shopify-shop-api-call-limit"))
            if pause and link:
                await self.http.sleep(pause)
            url, query = link, None

    async def events(self, order_id: Any, fulfillment_id: Any) -> list[EventIn]:
        """A fulfillment's tracking events (happened_at, status, message, city)."""
        path = f"/admin/api/{self.version}/orders/{order_id}/fulfillments/{fulfillment_id}/events.json"
        response = await self.http.get_json(path)
        rows = response.data.get("fulfillment_events") if isinstance(response.data, dict) else None
        if not isinstance(rows, list):
            raise HttpError("malformed", response.url, t("data.api.missing", field="fulfillment_events"))
        out = []
        for e in rows:
            if not e.get("happened_at") or not e.get("status"):
                continue
            place = joined(e.get("city"), e.get("province"), e.get("country")) or None
            out.append(EventIn(when(e["happened_at"], "happened_at"),
                               e.get("message") or str(e["status"]).replace("_", " "), e["status"], place))
        return out


async def pull(ctx: Context, api: ShopifyApi, platform: str, cursor: str | None, max_event_calls: int) -> PullOutcome:
    """Customers, then orders updated since ``cursor`` (with refunds and fulfillments), then the
    tracking events of up to ``max_event_calls`` fulfillments still on their way. Raises HttpError
    for a whole-source failure; pages already stored stay stored and the cursor does not move.
    """
    outcome, newest = PullOutcome(), cursor
    guides = await asyncio.to_thread(ingest.guide_skus, ctx)
    async for page in api.pages("customers", "customers", {"limit": PAGE_SIZE, "updated_at_min": cursor}):
        await store_customers(ctx, page, customer, "Shopify customer", platform, outcome)
    budget = [max_event_calls]
    async for page in api.pages("orders", "orders", {"status": "any", "limit": PAGE_SIZE, "updated_at_min": cursor}):
        orders = []
        for row in page:
            ref = f"Shopify {row.get('name') or row.get('id', '?')}" if isinstance(row, dict) else "Shopify ?"
            try:
                record = order(row, platform, outcome.problems)
                await _add_events(api, row, record, budget, outcome, ref)
                orders.append(record)
            except BAD_RECORD as exc:
                outcome.problems.append(problem(ref, exc))
                continue
            newest = _later(newest, row.get("updated_at"))
        await store_orders(ctx, orders, outcome, guides)
    outcome.cursor = newest
    return outcome


def _later(current: str | None, stamp: Any) -> str | None:
    """The later of two ISO times, compared as instants (offsets may differ)."""
    try:
        candidate = when(stamp, "updated_at")
    except RecordError:
        return current
    if current is None or candidate > when(current, "cursor"):
        return candidate.isoformat()
    return current


async def _add_events(api: ShopifyApi, row: dict[str, Any], record: OrderIn, budget: list[int], outcome: PullOutcome,
                      ref: str) -> None:
    """Replace the one-line shipment status by the carrier's events while the call budget lasts."""
    by_number = {s.tracking_no: s for s in record.shipments}
    for f in row.get("fulfillments") or []:
        target = by_number.get(str(f.get("tracking_number")))
        if target is None or f.get("shipment_status") == "delivered" or budget[0] <= 0:
            continue
        budget[0] -= 1
        try:
            events = await api.events(row["id"], f.get("id"))
        except HttpError as exc:
            if exc.kind in ("auth", "deadline", "network", "timeout"):
                raise
            outcome.problems.append(Problem(ref, "fulfillment_events", str(exc)))
            continue
        if events:
            target.events = events
