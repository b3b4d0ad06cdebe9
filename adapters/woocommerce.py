"""WooCommerce REST API v3 (``/wp-json/wc/v3``): orders (with their refunds), customers.

Pagination is page-based: ``page=1..X-WP-TotalPages`` (``X-WP-Total`` counts the records). A page
missing the header is followed until an empty or short page, and a hard page cap stops a server that
never ends. Authentication is HTTP Basic with the consumer key/secret (only over HTTPS, or to a
loopback test server). Tracking numbers come from the WooCommerce Shipment Tracking extension's
``_wc_shipment_tracking_items`` order meta, when the shop uses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from adapters.apidata import (
    BAD_RECORD, PullOutcome, RecordError, joined, money, problem, store_customers, store_orders, when,
)
from adapters.http import HttpClient, HttpError
from workbench import logistics
from workbench.context import Context
from workbench.i18n import t
from workbench.services import ingest
from workbench.services.ingest import CustomerIn, ItemIn, OrderIn, Problem, ShipmentIn

PER_PAGE = 100
MAX_PAGES = 2000
STATUSES = {"pending": "unpaid", "on-hold": "unpaid", "checkout-draft": "unpaid", "processing": "paid",
            "completed": "completed", "cancelled": "closed", "failed": "closed", "trash": "closed",
            "refunded": "refunded", "shipped": "shipped", "delivered": "completed"}


def _gmt(value: Any, field: str) -> datetime:
    """WooCommerce ``*_gmt`` fields are UTC without an offset."""
    return when(value, field, naive_tz="UTC")


def customer(c: dict[str, Any], platform: str) -> CustomerIn:
    if c.get("id") is None:
        raise RecordError("id", t("data.api.missing", field="id"))
    billing = c.get("billing") or {}
    name = joined(c.get("first_name"), c.get("last_name")) or joined(billing.get("first_name"),
                                                                      billing.get("last_name"))
    return CustomerIn(platform, name or c.get("username") or c.get("email") or f"WooCommerce {c['id']}", str(c["id"]),
                      c.get("username") or None, billing.get("phone") or None, c.get("email") or None,
                      billing.get("state") or billing.get("country") or None)


def _tracking(o: dict[str, Any]) -> list[ShipmentIn]:
    out = []
    for meta in o.get("meta_data") or []:
        if meta.get("key") != "_wc_shipment_tracking_items" or not isinstance(meta.get("value"), list):
            continue
        for item in meta["value"]:
            number = str(item.get("tracking_number") or "").strip()
            if not number:
                continue
            company = item.get("custom_tracking_provider") or item.get("tracking_provider") or ""
            shipped = None
            if str(item.get("date_shipped") or "").isdigit():
                shipped = datetime.fromtimestamp(int(item["date_shipped"]), tz=timezone.utc)
            out.append(ShipmentIn(number, company, logistics.carrier_code(company, number), shipped))
    return out


def order(o: dict[str, Any], platform: str, problems: list[Problem]) -> OrderIn:
    """One WooCommerce order as our record. Raises RecordError naming the missing/wrong field."""
    if o.get("id") is None:
        raise RecordError("id", t("data.api.missing", field="id"))
    ref = f"WooCommerce #{o.get('number') or o['id']}"
    raw_status = o.get("status")
    state = STATUSES.get(str(raw_status))
    if state is None:
        problems.append(Problem(ref, "status", t("data.api.unknown_status", value=raw_status)))
        state = "paid"
    total = money(o.get("total"), "total")
    refunded = sum(money(r.get("total"), "refunds.total", 0, absolute=True) for r in o.get("refunds") or [])
    billing, shipping = o.get("billing") or {}, o.get("shipping") or {}
    email = billing.get("email") or None
    name = joined(billing.get("first_name"), billing.get("last_name")) or email or t("data.csv.anonymous")
    if o.get("customer_id"):
        buyer = CustomerIn(platform, name, str(o["customer_id"]), None, billing.get("phone") or None, email)
    else:
        buyer = CustomerIn(platform, name, f"email:{email}" if email else f"order:{o['id']}", None,
                           billing.get("phone") or None, email)
    place = shipping if shipping.get("address_1") else billing
    address = joined(place.get("address_1"), place.get("address_2"), place.get("city"), place.get("state"),
                     place.get("postcode"), place.get("country")) or None
    items = [ItemIn(str(li.get("name") or "?"), int(li.get("quantity") or 1),
                    money(li.get("price"), "line_items.price", 0, absolute=True), li.get("sku") or None)
             for li in o.get("line_items") or []]
    paid_at = _gmt(o["date_paid_gmt"], "date_paid_gmt") if o.get("date_paid_gmt") else None
    return OrderIn(platform, str(o.get("number") or o["id"]), buyer, state,
                   _gmt(o.get("date_created_gmt") or o.get("date_created"), "date_created_gmt"),
                   total, total if paid_at or state in ("completed", "refunded") else 0, refunded,
                   joined(place.get("first_name"), place.get("last_name")) or None, billing.get("phone") or None,
                   address, place.get("state") or place.get("country") or None, paid_at, items, _tracking(o), ref=ref)


@dataclass
class WooApi:
    http: HttpClient
    prefix: str = "/wp-json/wc/v3"

    async def pages(self, resource: str, params: dict[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages 1..X-WP-TotalPages of a list endpoint."""
        page, total_pages = 1, None
        while page <= MAX_PAGES:
            response = await self.http.get_json(f"{self.prefix}/{resource}",
                                                {**params, "page": page, "per_page": PER_PAGE})
            if not isinstance(response.data, list):
                raise HttpError("malformed", response.url, t("data.api.not_a_list"), response.status)
            header = response.headers.get("x-wp-totalpages")
            if header is not None and header.strip().isdigit():
                total_pages = int(header)
            if response.data:
                yield response.data
            if not response.data or (total_pages is not None and page >= total_pages) or \
                    (total_pages is None and len(response.data) < PER_PAGE):
                return
            page += 1


async def pull(ctx: Context, api: WooApi, platform: str, cursor: str | None) -> PullOutcome:
    """Customers, then orders modified after ``cursor``. Raises HttpError for whole-source failures."""
    outcome, newest = PullOutcome(), cursor
    guides = await asyncio.to_thread(ingest.guide_skus, ctx)
    async for page in api.pages("customers", {"orderby": "id", "order": "asc"}):
        await store_customers(ctx, page, customer, "WooCommerce customer", platform, outcome)
    params = {"orderby": "id", "order": "asc", "modified_after": cursor, "dates_are_gmt": "true" if cursor else None}
    async for page in api.pages("orders", params):
        orders = []
        for row in page:
            ref = f"WooCommerce #{row.get('number') or row.get('id', '?')}" if isinstance(row, dict) else "WooCommerce ?"
            try:
                orders.append(order(row, platform, outcome.problems))
            except BAD_RECORD as exc:
                outcome.problems.append(problem(ref, exc))
                continue
            stamp = row.get("date_modified_gmt")
            if isinstance(stamp, str) and (newest is None or stamp > newest):
                newest = stamp
        await store_orders(ctx, orders, outcome, guides)
    outcome.cursor = newest
    return outcome
