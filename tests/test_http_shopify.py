"""Shopify adapter against the local fake server replaying Shopify's own 2024-04 examples."""

from __future__ import annotations

import logging

import pytest

from adapters import shopify
from adapters.http import HttpClient, HttpError, RetryPolicy
from fake_server import Reply
from http_fixtures import (  # noqa: F401  (fixtures)
    SHOPIFY, SHOPIFY_TOKEN, fake_server, install_shopify, make_source, payloads, shopify_response,
)
from workbench.services import source_state

ORDERS = f"{SHOPIFY}/orders.json"


@pytest.fixture
def shop(ctx, fake_server, payloads, monkeypatch):
    install_shopify(fake_server, payloads)
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    source = make_source(ctx, monkeypatch, "myshop", "shopify", fake_server.url, {"token": SHOPIFY_TOKEN})
    source.sleep = no_wait
    source.waits = waits  # type: ignore[attr-defined]
    return source


def outbox_count(ctx) -> int:
    return ctx.store.scalar("SELECT count(*) FROM outbox")


def test_pull_stores_orders_customers_items_refunds_and_tracking(ctx, shop, fake_server):
    result = shop.refresh_sync(ctx)
    assert result.ok, result.error
    order = ctx.store.one("SELECT * FROM orders WHERE platform = 'shopify' AND order_no = '#1001'")
    assert (order["total_fen"], order["refunded_fen"], order["status"]) == (59894, 20900, "paid")
    assert order["receiver"] == "Bob Norman" and "Louisville" in order["address"]
    customer = ctx.store.one("SELECT * FROM customers WHERE id = ?", (order["customer_id"],))
    assert (customer["external_id"], customer["name"], customer["email"]) == ("207119551", "Bob Norman",
                                                                                "bob.norman@mail.example.com")
    titles = {r["title"] for r in ctx.store.query("SELECT title FROM order_items WHERE order_id = ?", (order["id"],))}
    assert "IPod Nano - 8gb - green" in titles
    ship = ctx.store.one("SELECT * FROM shipments WHERE order_id = ?", (order["id"],))
    assert (ship["carrier"], ship["tracking_no"]) == ("USPS", "1Z2345")
    events = ctx.store.query("SELECT * FROM shipment_events WHERE shipment_id = ?", (ship["id"],))
    assert [e["status"] for e in events] == ["in_transit"]  # from the fulfillment's events endpoint
    assert ship["status"] == "in_transit"
    guest = ctx.store.one("SELECT * FROM orders WHERE order_no = '#1002'")  # page 2, no customer object
    assert guest is not None and guest["status"] == "paid"
    buyer = ctx.store.one("SELECT * FROM customers WHERE id = ?", (guest["customer_id"],))
    assert buyer["external_id"] == "order:1073459972"  # a guest without email gets its own customer
    assert ctx.store.scalar("SELECT count(*) FROM customers WHERE source = 'shopify'") == 2
    state = {s["name"]: s for s in source_state.all_states(ctx)}["myshop"]
    assert state["ok"] == 1 and state["error"] is None and state["cursor"]


def test_link_cursor_is_followed_with_only_its_own_parameters(ctx, shop, fake_server):
    assert shop.refresh_sync(ctx).ok
    calls = fake_server.calls(ORDERS)
    assert [c.arg("page_info") for c in calls] == [None, "p2"]
    assert calls[0].arg("status") == "any" and calls[1].arg("status") is None


def test_second_pull_is_idempotent_and_uses_the_saved_cursor(ctx, shop, fake_server):
    assert shop.refresh_sync(ctx).ok
    orders, before = ctx.store.scalar("SELECT count(*) FROM orders"), outbox_count(ctx)
    again = shop.refresh_sync(ctx)
    assert again.ok and again.count > 0
    assert ctx.store.scalar("SELECT count(*) FROM orders") == orders
    assert outbox_count(ctx) == before  # nothing changed, nothing to sync
    first_call_of_second_pull = fake_server.calls(ORDERS)[2]
    assert first_call_of_second_pull.arg("updated_at_min") is not None


def test_429_retry_after_is_honoured(ctx, shop, fake_server):
    fake_server.fail_next("GET", ORDERS, Reply(429, {"errors": "Exceeded 2 calls per second for api client."},
                                               headers={"Retry-After": "2.0"}))
    result = shop.refresh_sync(ctx)
    assert result.ok
    assert shop.waits and 2.0 <= shop.waits[0] <= 2.25
    assert len(fake_server.calls(ORDERS)) == 3  # 429, then page 1, then page 2


def test_5xx_are_retried_with_backoff(ctx, shop, fake_server):
    fake_server.fail_next("GET", ORDERS, Reply(500, "oops", content_type="text/plain"),
                          Reply(502, "<html>Bad Gateway</html>", content_type="text/html"))
    assert shop.refresh_sync(ctx).ok
    assert len(shop.waits) == 2  # exponential backoff with jitter: [0.25, 0.5] then [0.5, 1.0]
    assert 0.25 <= shop.waits[0] <= 0.5 <= shop.waits[1] <= 1.0


def test_rejected_token_is_a_whole_source_failure_and_keeps_cached_data(ctx, shop, fake_server, monkeypatch):
    assert shop.refresh_sync(ctx).ok
    stored = ctx.store.scalar("SELECT count(*) FROM orders")
    monkeypatch.setenv("WORKBENCH_MYSHOP_TOKEN", "shpat_revoked_token_value")
    result = shop.refresh_sync(ctx)
    assert not result.ok and "401" in result.error
    assert "shpat_revoked_token_value" not in result.error
    assert ctx.store.scalar("SELECT count(*) FROM orders") == stored
    state = {s["name"]: s for s in source_state.all_states(ctx)}["myshop"]
    assert state["ok"] == 0 and state["last_success_at"] is not None and "401" in state["error"]


def test_token_echoed_by_a_failing_server_never_reaches_messages_or_logs(ctx, shop, fake_server, caplog):
    echo = Reply(503, f"upstream said: bad token {SHOPIFY_TOKEN} for ?access_token={SHOPIFY_TOKEN}",
                 content_type="text/plain")
    fake_server.fail_next("GET", f"{SHOPIFY}/customers.json", echo, echo, echo, echo)
    with caplog.at_level(logging.DEBUG):
        result = shop.refresh_sync(ctx)
    assert not result.ok and "503" in result.error
    assert SHOPIFY_TOKEN not in result.error
    assert SHOPIFY_TOKEN not in caplog.text and caplog.text  # retries were logged, redacted
    assert SHOPIFY_TOKEN not in str(source_state.all_states(ctx))


@pytest.mark.parametrize("reply, kind_text", [
    (Reply(200, '{"orders": [{"id": 1, "name": "#1"', content_type="application/json"), "JSON"),
    (Reply(200, "<html><body>Please log in</body></html>", content_type="text/html"), "text/html"),
])
def test_malformed_json_and_wrong_content_type_fail_clearly(ctx, shop, fake_server, reply, kind_text):
    fake_server.fail_next("GET", ORDERS, reply)
    result = shop.refresh_sync(ctx)
    assert not result.ok and kind_text in result.error


def test_truncated_body_is_retried(ctx, shop, fake_server, payloads):
    full = {"orders": shopify_response(payloads, "order", "test_1")["orders"]}
    fake_server.fail_next("GET", ORDERS, Reply(200, full, truncate=300))
    assert shop.refresh_sync(ctx).ok
    assert len(shop.waits) == 1


def test_bad_records_are_reported_and_the_rest_stored(ctx, shop, fake_server, payloads):
    good = shopify_response(payloads, "order", "test_6")["orders"][0]
    no_total = dict(good, id=42, name="#2042")
    del no_total["total_price"]
    no_id = dict(good, name="#2043")
    del no_id["id"]
    odd_status = dict(good, id=44, name="#2044", financial_status="pending_review")
    odd_shape = dict(good, id=45, name="#2045", line_items=[{"name": "x", "quantity": "lots", "price": "1.00"}])
    fake_server.fail_next("GET", ORDERS, Reply(body={"orders": [no_total, no_id, odd_status, "junk", odd_shape, good]}))
    result = shop.refresh_sync(ctx)
    assert result.ok
    assert any("#2042" in e and "total_price" in e for e in result.errors)
    assert any("[id]" in e for e in result.errors)
    assert any("pending_review" in e for e in result.errors)
    assert any("#2045" in e and "ValueError" in e for e in result.errors)
    assert any("Shopify ?" in e and "AttributeError" in e for e in result.errors)
    numbers = {r[0] for r in ctx.store.query("SELECT order_no FROM orders")}
    assert {"#1002", "#2044"} <= numbers and "#2042" not in numbers


def test_next_link_to_another_host_is_not_followed(ctx, shop, fake_server):
    fake_server.fail_next("GET", ORDERS, Reply(body={"orders": []},
                                               headers={"Link": '<https://evil.example/steal?page_info=x>; rel="next"'}))
    result = shop.refresh_sync(ctx)
    assert not result.ok
    assert all(c.path.startswith("/admin") for c in fake_server.requests)


def test_dripping_server_is_cut_off_by_the_overall_deadline(ctx, fake_server, payloads, monkeypatch):
    install_shopify(fake_server, payloads)
    body = {"customers": [], "padding": "x" * 40}
    fake_server.fail_next("GET", f"{SHOPIFY}/customers.json", *[Reply(200, body, drip=0.05)] * 4)
    source = make_source(ctx, monkeypatch, "slow", "shopify", fake_server.url, {"token": SHOPIFY_TOKEN},
                         timeout_seconds=1)
    result = source.refresh_sync(ctx)  # each read returns within httpx's read timeout; only the deadline stops it
    assert not result.ok and "1 " in result.error


async def test_async_refresh_and_call_limit_header(ctx, shop, fake_server, payloads):
    page = shopify_response(payloads, "order", "test_6")["orders"]
    fake_server.fail_next("GET", ORDERS, Reply(body={"orders": page}, headers={
        "X-Shopify-Shop-Api-Call-Limit": "38/40",
        "Link": f'<{fake_server.url}{ORDERS}?limit=250&page_info=p2>; rel="next"'}))
    result = await shop.refresh(ctx)
    assert result.ok
    assert 9.0 in shop.waits  # (38 - 20) / 2 s: let the bucket drain to half before the next page


def test_pure_helpers():
    assert shopify.next_link('<https://a/x?page_info=1>; rel="previous", <https://a/x?page_info=2>; rel="next"') \
        == "https://a/x?page_info=2"
    assert shopify.next_link(None) is None
    assert shopify.call_limit_pause("10/40") == 0.0 and shopify.call_limit_pause("40/40") == 10.0


async def test_client_retry_exhaustion_reports_last_status(fake_server):
    fake_server.route("GET", "/x", Reply(503, "busy", content_type="text/plain"))
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async with HttpClient(fake_server.url, policy=RetryPolicy(attempts=3), sleep=no_wait, rand=lambda: 1.0) as http:
        with pytest.raises(HttpError) as raised:
            await http.get_json("/x")
    assert raised.value.kind == "server" and raised.value.status == 503
    assert waits == [0.5, 1.0] and len(fake_server.calls("/x")) == 3
