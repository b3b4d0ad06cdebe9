"""Logistics rules: reading courier scans, anomaly verdicts, and applying them to stored shipments."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from workbench import logistics
from workbench.logistics import Scan, assess, classify
from workbench.services import ingest

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def trail(*texts: tuple[float, str]) -> list[Scan]:
    return [Scan(ago(h), classify(text).status, text) for h, text in texts]


@pytest.mark.parametrize("text, hint, status, flag", [
    ("[上海市虹口区坤铭公司] 王紫 (182****7476) 已收件", None, "collected", None),
    ("快件已到达 [北京转运中心]", None, "in_transit", None),
    ("[北京市朝阳区欢乐谷公司] 吉晓帅 (180****0355) 正在派件 ", None, "out_for_delivery", None),
    ("快件已签收 签收人: 王阳 感谢使用圆通速递，期待再次为您服务", None, "delivered", None),
    ("快件已由济南历城区翡翠雅郡北区西门店代收，请及时取件", "在途", "delivered", "locker"),
    ("客户签收人: 已签收，签收人凭取货码签收。 已签收 感谢使用圆通速递", "签收", "delivered", "picked_up"),
    ("已签收,签收人:快递柜。如有疑问请联系派件员", None, "delivered", "locker"),
    ("派件异常后签收", None, "delivered", None),
    ("派送不成功:收件人拒收", None, "exception", "returned"),
    ("快件已退回,正在返回寄件人途中", None, "returned", "returned"),
    ("问题件:收件地址不详,无法派送,已联系寄件人核实地址", None, "exception", "address"),
    ("问题件:外包装破损,已转至问题件处理", None, "exception", None),
    ("In transit", "in_transit", "in_transit", None),
    ("ready for pickup", "ready_for_pickup", "delivered", "locker"),
])
def test_classify_reads_real_traces(text, hint, status, flag):
    got = classify(text, hint)
    assert got.status == status
    for name in ("locker", "picked_up", "address", "returned"):
        assert getattr(got, name) == (name == flag), name


def test_stall_threshold_and_per_carrier_hours(ctx):
    scans = trail((60, "快件已揽收"), (50, "快件已到达【杭州转运中心】"))
    assert assess(scans, NOW, 48).anomaly == "stalled"
    assert assess(scans, NOW, 72).anomaly is None
    ctx.settings.logistics.per_carrier_stall_hours = {"shunfeng": 24, "圆通速递": 96}
    assert logistics.stall_hours_for(ctx.settings, "shunfeng", "顺丰速运") == 24
    assert logistics.stall_hours_for(ctx.settings, None, "圆通速递") == 96
    assert logistics.stall_hours_for(ctx.settings, "yunda", "韵达快递") == 48


def test_each_anomaly():
    moving = [(90, "快件已揽收"), (80, "快件已到达【杭州转运中心】")]
    assert assess(trail(*moving, (70, "快件已退回,正在返回寄件人途中")), NOW, 48).anomaly == "returned"
    refused = assess(trail(*moving, (70, "派送不成功:收件人拒收")), NOW, 48)
    assert (refused.status, refused.anomaly) == ("exception", "returned")
    assert assess(trail(*moving, (5, "问题件:外包装破损")), NOW, 48).anomaly == "exception"
    assert assess(trail(*moving, (5, "问题件:收件地址不详,无法派送")), NOW, 48).anomaly == "address"
    locker = [*moving, (30, "快件已投递至【菜鸟驿站】,请凭取件码 3-2-1234 及时取件")]
    assert assess(trail(*locker), NOW, 48).anomaly == "locker_uncollected"
    assert assess(trail(*locker, (2, "您的快件已取件,感谢使用菜鸟驿站")), NOW, 48).anomaly is None
    fresh = [*moving, (10, "快件已投递至【菜鸟驿站】,请凭取件码 3-2-1234 及时取件")]
    assert assess(trail(*fresh), NOW, 48).anomaly is None
    signed = trail(*moving, (70, "已签收,签收人:本人"))
    assert assess(signed, NOW, 48).anomaly is None  # delivered long ago is not "stalled"
    assert assess(signed, NOW, 48, customer_says_not_received=True).anomaly == "not_received"
    resumed = trail(*moving, (40, "问题件:快件滞留,因天气原因暂停派送"), (5, "快件已到达【北京转运中心】"))
    assert assess(resumed, NOW, 48).anomaly is None


def test_no_scans_stall_from_the_shipping_time():
    assert assess([], NOW, 48, shipped_at=ago(60)).anomaly == "stalled"
    assert assess([], NOW, 48, shipped_at=ago(10)).anomaly is None
    assert assess([], NOW, 48).status == "pending"


def test_verdict_does_not_depend_on_arrival_order():
    scans = trail((90, "快件已揽收"), (80, "快件已到达【杭州转运中心】"), (30, "【杭州】快递员 正在派送中"),
                  (29, "快件已投递至【丰巢智能快递柜】,请凭取件码 1-2-3456 及时取件"))
    expected = assess(scans, NOW, 48)
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(scans)
        assert assess(scans, NOW, 48) == expected
    assert expected.delivered_at == ago(29) and expected.anomaly == "locker_uncollected"


def test_carrier_codes():
    assert logistics.carrier_code("圆通速递") == "yuantong"
    assert logistics.carrier_code("中通快递") == "zhongtong"
    assert logistics.carrier_code("", "SF1402938475610") == "shunfeng"
    assert logistics.carrier_code("EMS") == "ems"
    assert logistics.carrier_code("某某物流", "ABC") is None


def _shipment(ctx, events: list[tuple[float, str]]) -> str:
    order = ingest.OrderIn("taobao", "T1", ingest.CustomerIn("taobao", "王磊", "wl"), "shipped", ago(100), 100, 100,
                           shipments=[ingest.ShipmentIn("YT7384920183746", "圆通速递", events=[
                               ingest.EventIn(ago(h), text) for h, text in events])])
    ingest.upsert_orders(ctx, [order])
    return ctx.store.scalar("SELECT id FROM shipments")


def test_recompute_writes_only_changes_with_outbox(ctx):
    shipment_id = _shipment(ctx, [(90, "快件已揽收"), (50, "快件已到达【杭州转运中心】")])
    row = ctx.store.one("SELECT * FROM shipments WHERE id = ?", (shipment_id,))
    assert (row["status"], row["anomaly"], row["last_event_at"]) == ("in_transit", "stalled", "2026-11-21T00:00:00Z")
    updates = ctx.store.scalar("SELECT count(*) FROM outbox WHERE entity = 'shipments' AND op = 'update'")
    assert updates >= 1
    logistics.recompute(ctx, shipment_id)
    assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE entity = 'shipments' AND op = 'update'") == updates
    with pytest.raises(LookupError):
        logistics.recompute(ctx, "sh-missing")


def test_customer_saying_not_received_flags_a_signed_parcel(ctx):
    from workbench import changes
    from workbench.timefmt import to_db

    shipment_id = _shipment(ctx, [(90, "快件已揽收"), (20, "已签收,签收人:门卫")])
    assert ctx.store.scalar("SELECT anomaly FROM shipments WHERE id = ?", (shipment_id,)) is None
    order = ctx.store.one("SELECT id, customer_id FROM orders")
    with ctx.store.write() as conn:
        changes.insert(conn, ctx.clock, "cases", {"id": "c-1", "customer_id": order["customer_id"],
                                                  "order_id": order["id"], "intent": "where_is_order",
                                                  "opened_at": to_db(ago(1)), "updated_at": to_db(ago(1))})
        changes.insert(conn, ctx.clock, "messages", {"id": "m-1", "case_id": "c-1", "author": "customer",
                                                     "body": "显示签收了,可是我根本没收到啊", "at": to_db(ago(1))})
    assert logistics.recompute(ctx, shipment_id).anomaly == "not_received"
    assert ctx.store.scalar("SELECT anomaly FROM shipments WHERE id = ?", (shipment_id,)) == "not_received"


def test_rescan_catches_parcels_that_simply_stopped(ctx, clock):
    shipment_id = _shipment(ctx, [(30, "快件已揽收"), (20, "快件已到达【杭州转运中心】")])
    assert ctx.store.scalar("SELECT anomaly FROM shipments WHERE id = ?", (shipment_id,)) is None
    assert logistics.rescan(ctx) == 0
    clock.advance(hours=30)
    assert logistics.rescan(ctx) == 1
    assert ctx.store.scalar("SELECT anomaly FROM shipments WHERE id = ?", (shipment_id,)) == "stalled"
