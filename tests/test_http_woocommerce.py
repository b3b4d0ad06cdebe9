"""WooCommerce REST v3 adapter against the fake server replaying the WooCommerce API docs' examples."""

from __future__ import annotations

import pytest

from adapters import woocommerce
from adapters.apidata import RecordError
from fake_server import Reply
from http_fixtures import (  # noqa: F401  (fixtures)
    WOO, WOO_KEY, WOO_SECRET, fake_server, install_woo, make_source, payloads, woo_example,
)
from workbench.services import source_state

SECRETS = {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET}


@pytest.fixture
def woo(ctx, fake_server, payloads, monkeypatch):
    install_woo(fake_server, payloads)
    return make_source(ctx, monkeypatch, "wooshop", "woocommerce", fake_server.url, SECRETS)


def test_pull_walks_every_page_and_stores_orders_refunds_customers(ctx, woo, fake_server):
    result = woo.refresh_sync(ctx)
    assert result.ok, result.error
    assert [c.arg("page") for c in fake_server.calls(f"{WOO}/orders")] == ["1", "2"]  # X-WP-TotalPages = 2
    order = ctx.store.one("SELECT * FROM orders WHERE platform = 'woocommerce' AND order_no = '727'")
    assert (order["status"], order["total_fen"], order["paid_fen"]) == ("paid", 2935, 2935)
    assert order["created_at"] == "2017-03-22T19:28:02Z"  # date_created_gmt is UTC
    items = ctx.store.query("SELECT title, qty, price_fen, sku FROM order_items WHERE order_id = ?", (order["id"],))
    assert {(r["title"], r["qty"], r["price_fen"]) for r in items} >= {("Woo Single #1", 2, 300)}
    buyer = ctx.store.one("SELECT * FROM customers WHERE id = ?", (order["customer_id"],))
    assert buyer["email"] == "john.doe@example.com"  # guest order (customer_id 0): keyed by email
    assert buyer["external_id"] == "email:john.doe@example.com"
    assert ctx.store.scalar("SELECT count(*) FROM customers WHERE source = 'woocommerce' AND external_id = '26'") == 1


def test_embedded_refunds_and_tracking_meta(ctx, fake_server, payloads, monkeypatch):
    order = woo_example(payloads, "orders", "Retrieve an order")
    order["refunds"] = [{"id": 726, "reason": "", "total": "-10.00"}, {"id": 724, "reason": "", "total": "-9.00"}]
    order["status"] = "refunded"
    order["meta_data"].append({"id": 1, "key": "_wc_shipment_tracking_items", "value": [
        {"tracking_provider": "SF Express", "custom_tracking_provider": "顺丰速运",
         "tracking_number": "SF1234567890123", "date_shipped": "1490227200"}]})
    install_woo(fake_server, payloads, per_page_orders=[[order]])
    source = make_source(ctx, monkeypatch, "wooshop", "woocommerce", fake_server.url, SECRETS)
    assert source.refresh_sync(ctx).ok
    row = ctx.store.one("SELECT * FROM orders WHERE order_no = ?", (str(order["number"]),))
    assert (row["status"], row["refunded_fen"]) == ("refunded", 1900)
    ship = ctx.store.one("SELECT * FROM shipments WHERE order_id = ?", (row["id"],))
    assert (ship["carrier_code"], ship["tracking_no"], ship["shipped_at"]) == ("shunfeng", "SF1234567890123",
                                                                             "2017-03-23T00:00:00Z")


def test_empty_page_and_missing_total_pages_header_stop_paging(ctx, fake_server, payloads, monkeypatch):
    orders = woo_example(payloads, "orders", "List all orders")
    install_woo(fake_server, payloads, per_page_orders=[orders, []], total_pages_header=False)
    source = make_source(ctx, monkeypatch, "wooshop", "woocommerce", fake_server.url, SECRETS)
    assert source.refresh_sync(ctx).ok
    # 2 orders on page 1 is fewer than per_page: no header, so a short page is the last one
    assert [c.arg("page") for c in fake_server.calls(f"{WOO}/orders")] == ["1"]
    assert ctx.store.scalar("SELECT count(*) FROM orders WHERE platform = 'woocommerce'") == 2


def test_empty_first_page_is_not_an_error(ctx, fake_server, payloads, monkeypatch):
    install_woo(fake_server, payloads, per_page_orders=[[]])
    source = make_source(ctx, monkeypatch, "wooshop", "woocommerce", fake_server.url, SECRETS)
    result = source.refresh_sync(ctx)
    assert result.ok and ctx.store.scalar("SELECT count(*) FROM orders") == 0


def test_wrong_secret_is_refused_with_401_and_never_shown(ctx, woo, monkeypatch):
    monkeypatch.setenv("WORKBENCH_WOOSHOP_CONSUMER_SECRET", "cs_wrong_secret_value_123")
    result = woo.refresh_sync(ctx)
    assert not result.ok and "401" in result.error
    assert "cs_wrong_secret_value_123" not in result.error and WOO_KEY not in result.error


def test_unknown_status_and_missing_fields_are_per_record(ctx, fake_server, payloads, monkeypatch):
    orders = woo_example(payloads, "orders", "List all orders")
    custom = dict(orders[0], id=900, number="900", status="wc-awaiting-shipment")
    broken = dict(orders[1], id=901, number="901")
    del broken["total"]
    install_woo(fake_server, payloads, per_page_orders=[[custom, broken, orders[1]]])
    source = make_source(ctx, monkeypatch, "wooshop", "woocommerce", fake_server.url, SECRETS)
    result = source.refresh_sync(ctx)
    assert result.ok
    assert any("900" in e and "wc-awaiting-shipment" in e for e in result.errors)
    assert any("901" in e and "total" in e for e in result.errors)
    stored = {r[0] for r in ctx.store.query("SELECT order_no FROM orders")}
    assert stored == {"900", str(orders[1]["number"])}
    state = {s["name"]: s for s in source_state.all_states(ctx)}["wooshop"]
    assert len(state["record_errors"]) == 2


def test_not_a_list_is_a_clear_failure(ctx, woo, fake_server):
    fake_server.fail_next("GET", f"{WOO}/customers", Reply(body={"code": "rest_no_route", "message": "No route"}))
    result = woo.refresh_sync(ctx)
    assert not result.ok


def test_order_mapping_rejects_a_record_without_dates(payloads):
    order = woo_example(payloads, "orders", "Retrieve an order")
    order.pop("date_created_gmt")
    order.pop("date_created")
    with pytest.raises(RecordError) as raised:
        woocommerce.order(order, "woocommerce", [])
    assert raised.value.field == "date_created_gmt"
