"""Fixtures for the adapter tests: the fake server, and Shopify/WooCommerce/Kuaidi100 routes on it that
replay the verbatim payloads from ``shared/data/payloads`` (see its PROVENANCE.md).

Import the fixtures into a test module with ``from http_fixtures import fake_server, payloads``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.sources import Source, build_sources
from fake_server import FakeServer, Reply, Seen
from workbench.context import Context

SHOPIFY = "/admin/api/2024-04"
SHOPIFY_TOKEN = "shpat_0123456789abcdef0123456789abcdef"
WOO_KEY, WOO_SECRET = "ck_4f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6", "cs_0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
KD_CUSTOMER, KD_KEY = "CUST0123456789ABCDEF0123456789AB", "kuaidiKeySecret42"


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def payloads(shared_data: Path) -> Path:
    return shared_data / "payloads"


def load(payloads: Path, rel: str) -> Any:
    return json.loads((payloads / rel).read_text("utf-8"))


def shopify_response(payloads: Path, resource: str, test: str) -> dict[str, Any]:
    examples = load(payloads, f"shopify/admin_rest_2024-04/{resource}_examples.json")["examples"]
    return copy.deepcopy(next(e["response"] for e in examples if e["test"] == test))


def woo_example(payloads: Path, resource: str, section: str) -> Any:
    examples = load(payloads, f"woocommerce/wp-api-v3/{resource}_examples.json")["examples"]
    return copy.deepcopy(next(e["json"] for e in examples if e["section"] == section))


def make_source(ctx: Context, monkeypatch: pytest.MonkeyPatch, name: str, kind: str, base_url: str,
                secrets: dict[str, str], **options: Any) -> Source:
    """A Source built from a [sources.NAME] table, secrets in the default environment variables."""
    ctx.settings.sources = {name: {"kind": kind, "base_url": base_url, **options}}
    for key, value in secrets.items():
        monkeypatch.setenv(f"WORKBENCH_{name}_{key}".upper(), value)
    return build_sources(ctx.settings)[0]


# ----- Shopify ------------------------------------------------------------------------------------
def install_shopify(server: FakeServer, payloads: Path) -> dict[str, Any]:
    """Orders in two cursor pages (#1001 with customer, fulfillment, refunds; #1002 a guest order),
    customers, and the fulfillment's events; the token is checked like Shopify does."""
    page1 = shopify_response(payloads, "order", "test_1")["orders"]
    page2 = shopify_response(payloads, "order", "test_6")["orders"]
    customers = shopify_response(payloads, "customer", "test_4")["customers"]
    events = shopify_response(payloads, "fulfillment_event", "test_1")
    denied = Reply(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})

    def guarded(handler: Any) -> Any:
        def serve(seen: Seen) -> Reply:
            if seen.headers.get("x-shopify-access-token") != SHOPIFY_TOKEN:
                return denied
            reply = handler(seen)
            reply.headers.setdefault("X-Shopify-Shop-Api-Call-Limit", "1/40")
            return reply
        return serve

    def orders(seen: Seen) -> Reply:
        if seen.arg("page_info") == "p2":
            return Reply(body={"orders": page2})
        link = f'<{server.url}{SHOPIFY}/orders.json?limit=250&page_info=p2>; rel="next"'
        return Reply(body={"orders": page1}, headers={"Link": link})

    server.route("GET", f"{SHOPIFY}/orders.json", guarded(orders))
    server.route("GET", f"{SHOPIFY}/customers.json", guarded(lambda _s: Reply(body={"customers": customers})))
    server.route("GET", f"{SHOPIFY}/orders/450789469/fulfillments/255858046/events.json",
                 guarded(lambda _s: Reply(body=events)))
    return {"page1": page1, "page2": page2, "customers": customers}


# ----- WooCommerce --------------------------------------------------------------------------------
WOO = "/wp-json/wc/v3"


def install_woo(server: FakeServer, payloads: Path, per_page_orders: list[list[dict[str, Any]]] | None = None,
                total_pages_header: bool = True) -> dict[str, Any]:
    """Customers (one page) and orders one per page with X-WP-Total/X-WP-TotalPages; Basic auth checked."""
    orders = woo_example(payloads, "orders", "List all orders")
    customers = woo_example(payloads, "customers", "List all customers")
    pages = per_page_orders if per_page_orders is not None else [[o] for o in orders]
    expected = "Basic " + base64.b64encode(f"{WOO_KEY}:{WOO_SECRET}".encode()).decode()
    denied = Reply(401, {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
                         "data": {"status": 401}})

    def paged(rows_by_page: list[list[dict[str, Any]]]) -> Any:
        def serve(seen: Seen) -> Reply:
            if seen.headers.get("authorization") != expected:
                return denied
            page = int(seen.arg("page", "1") or 1)
            rows = rows_by_page[page - 1] if page <= len(rows_by_page) else []
            headers = {"X-WP-Total": str(sum(len(p) for p in rows_by_page)),
                       "X-WP-TotalPages": str(len(rows_by_page))} if total_pages_header else {}
            return Reply(body=rows, headers=headers)
        return serve

    server.route("GET", f"{WOO}/orders", paged(pages))
    server.route("GET", f"{WOO}/customers", paged([customers]))
    return {"orders": orders, "customers": customers}


# ----- Kuaidi100 ----------------------------------------------------------------------------------
KD_PATH = "/poll/query.do"


def kd_sign(param: str) -> str:
    return hashlib.md5((param + KD_KEY + KD_CUSTOMER).encode()).hexdigest().upper()


def install_kuaidi100(server: FakeServer, traces: dict[str, Any]) -> None:
    """Answers like Kuaidi100: verifies customer + sign, then the trace for ``param.num`` (or 500)."""

    def serve(seen: Seen) -> Reply:
        form = seen.form
        if form.get("customer") != KD_CUSTOMER or form.get("sign") != kd_sign(form.get("param", "")):
            return Reply(body={"result": False, "returnCode": "503", "message": "验证签名失败"})
        number = json.loads(form["param"])["num"]
        body = traces.get(number)
        if body is None:
            return Reply(body={"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"})
        return body if isinstance(body, Reply) else Reply(body=body)

    server.route("POST", KD_PATH, serve)
