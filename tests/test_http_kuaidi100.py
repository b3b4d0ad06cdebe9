"""Kuaidi100 tracking against the fake server replaying real 快递100 answers (see PROVENANCE.md 5c)."""

from __future__ import annotations

import sys
import types
from datetime import datetime, timezone

import pytest

from adapters import kuaidi100
from adapters.apidata import RecordError
from fake_server import Reply
from http_fixtures import (  # noqa: F401  (fixtures)
    KD_CUSTOMER, KD_KEY, KD_PATH, fake_server, install_kuaidi100, kd_sign, load, make_source, payloads,
)
from workbench.services import ingest, source_state

SECRETS = {"customer": KD_CUSTOMER, "key": KD_KEY}
SIGNED = "803131****92530823"  # the real 实时查询 answer (state 3, 8 scans)
MAPTRACK = "YT5555508965056"  # the real resultv2 answer (per-scan status words, 代收 then 取货码签收)


def add_parcels(ctx, numbers: list[tuple[str, str]]) -> dict[str, str]:
    """One order per parcel; returns tracking no -> shipment id."""
    orders = [ingest.OrderIn("taobao", f"T{i}", ingest.CustomerIn("taobao", f"买家{i}", f"buyer{i}"), "shipped",
                             datetime(2026, 11, 20, tzinfo=timezone.utc), 19900, 19900, phone="138****1234",
                             shipments=[ingest.ShipmentIn(number, carrier)])
              for i, (carrier, number) in enumerate(numbers)]
    ingest.upsert_orders(ctx, orders)
    return {r["tracking_no"]: r["id"] for r in ctx.store.query("SELECT id, tracking_no FROM shipments")}


@pytest.fixture
def kd(ctx, fake_server, payloads, monkeypatch):
    traces = {SIGNED: load(payloads, "kuaidi100/query_response_yuantong_signed.json"),
              MAPTRACK: load(payloads, "kuaidi100/maptrack_response_yuantong_resultv2.json")}
    install_kuaidi100(fake_server, traces)
    source = make_source(ctx, monkeypatch, "kd100", "kuaidi100", fake_server.url, SECRETS)
    source.traces = traces  # type: ignore[attr-defined]
    return source


def test_signed_query_stores_scans_and_maps_state_to_delivered(ctx, kd, fake_server):
    ids = add_parcels(ctx, [("圆通速递", SIGNED), ("圆通速递", MAPTRACK)])
    result = kd.refresh_sync(ctx)
    assert result.ok and result.count == 2 and result.errors == []
    call = fake_server.calls(KD_PATH)[0]
    assert call.form["sign"] == kd_sign(call.form["param"])  # MD5(param + key + customer), upper case
    assert '"com":"yuantong"' in call.form["param"] and '"phone":"1234"' in call.form["param"]
    ship = ctx.store.one("SELECT * FROM shipments WHERE id = ?", (ids[SIGNED],))
    assert ship["status"] == "delivered" and ship["anomaly"] is None
    assert ship["delivered_at"] == "2018-12-05T03:29:01Z"  # 11:29:01 Beijing time
    assert ship["refreshed_at"] is not None
    statuses = [r[0] for r in ctx.store.query(
        "SELECT status FROM shipment_events WHERE shipment_id = ? ORDER BY at", (ids[SIGNED],))]
    assert statuses[0] == "collected" and statuses[-2:] == ["out_for_delivery", "delivered"] and len(statuses) == 8


def test_real_resultv2_answer_with_result_false_and_null_return_code_is_a_success(ctx, kd):
    ids = add_parcels(ctx, [("圆通速递", MAPTRACK)])
    assert kd.refresh_sync(ctx).errors == []
    ship = ctx.store.one("SELECT * FROM shipments WHERE id = ?", (ids[MAPTRACK],))
    # 13:53 代收 at a station, 17:31 signed with the pickup code: delivered, and collected (no locker anomaly)
    assert (ship["status"], ship["anomaly"]) == ("delivered", None)
    assert ctx.store.scalar("SELECT count(*) FROM shipment_events WHERE shipment_id = ?", (ids[MAPTRACK],)) == 9


def test_refresh_is_idempotent_and_respects_the_minimum_interval(ctx, kd, fake_server, clock):
    add_parcels(ctx, [("中通快递", "73500000000001")])
    kd.traces["73500000000001"] = {"message": "ok", "status": "200", "state": "0", "com": "zhongtong",
                                   "data": [{"time": "2026-11-22 08:00:00", "context": "快件已到达【杭州转运中心】"}]}
    assert kd.refresh_sync(ctx).count == 1
    assert kd.refresh_sync(ctx).count == 0  # checked less than 30 minutes ago
    clock.advance(minutes=31)
    events_before = ctx.store.scalar("SELECT count(*) FROM shipment_events")
    assert kd.refresh_sync(ctx).count == 1
    assert ctx.store.scalar("SELECT count(*) FROM shipment_events") == events_before  # same scans, not duplicated
    assert len(fake_server.calls(KD_PATH)) == 2


def test_in_body_errors_are_per_parcel(ctx, kd):
    ids = add_parcels(ctx, [("圆通速递", SIGNED), ("中通快递", "73511111111111"), ("顺丰速运", "SF1000000000001"),
                            ("韵达快递", "4312345678901")])
    kd.traces["73511111111111"] = {"result": False, "returnCode": "400", "message": "找不到对应公司"}
    kd.traces["SF1000000000001"] = {"result": False, "returnCode": "408", "message": "请输入正确的手机号"}
    result = kd.refresh_sync(ctx)  # 4312345678901: no trace yet (500) is not an error
    assert result.ok
    assert any("73511111111111" in e and "400" in e and "找不到对应公司" in e for e in result.errors)
    assert any("SF1000000000001" in e and "408" in e for e in result.errors)
    assert len(result.errors) == 2
    assert ctx.store.one("SELECT status FROM shipments WHERE id = ?", (ids[SIGNED],))["status"] == "delivered"
    no_trace = ctx.store.one("SELECT * FROM shipments WHERE id = ?", (ids["4312345678901"],))
    assert no_trace["refreshed_at"] is not None and no_trace["status"] == "pending"


def test_rejected_signature_fails_the_whole_source(ctx, kd, monkeypatch):
    add_parcels(ctx, [("圆通速递", SIGNED)])
    monkeypatch.setenv("WORKBENCH_KD100_KEY", "not-the-key")
    result = kd.refresh_sync(ctx)
    assert not result.ok and "503" in result.error and "not-the-key" not in result.error
    assert source_state.all_states(ctx)[0]["ok"] == 0


def test_unknown_state_and_wrapped_envelopes_are_reported(ctx, kd, payloads):
    add_parcels(ctx, [("圆通速递", "YT1000000000001"), ("圆通速递", "YT1000000000002")])
    kd.traces["YT1000000000001"] = {"message": "ok", "status": "200", "state": "99", "data": [
        {"time": "2026-11-22 08:00:00", "context": "快件已到达【北京转运中心】"}]}
    kd.traces["YT1000000000002"] = load(payloads, "kuaidi100/maptrack_response_wrapped_by_thirdparty_backend.json")
    result = kd.refresh_sync(ctx)
    assert result.ok
    assert any("YT1000000000001" in e and "99" in e for e in result.errors)
    assert any("YT1000000000002" in e and "status" in e for e in result.errors)


def test_wrong_content_type_is_a_whole_source_failure(ctx, kd, fake_server):
    add_parcels(ctx, [("圆通速递", SIGNED)])
    fake_server.fail_next("POST", KD_PATH, Reply(200, "<html>维护中</html>", content_type="text/html; charset=utf-8"))
    result = kd.refresh_sync(ctx)
    assert not result.ok and "text/html" in result.error


def test_unknown_carrier_is_reported_without_a_call(ctx, kd, fake_server):
    add_parcels(ctx, [("某某物流", "ABC123")])
    result = kd.refresh_sync(ctx)
    assert result.ok and len(result.errors) == 1 and fake_server.calls(KD_PATH) == []


def test_new_scans_move_event_triggered_follow_ups(ctx, kd, monkeypatch):
    ids = add_parcels(ctx, [("圆通速递", SIGNED)])
    seen: list[str] = []
    try:
        from workbench.services import followups
    except ModuleNotFoundError:
        followups = types.ModuleType("workbench.services.followups")
        monkeypatch.setitem(sys.modules, "workbench.services.followups", followups)
    monkeypatch.setattr(followups, "on_shipment_events", lambda _ctx, sid: seen.append(sid), raising=False)
    kd.refresh_sync(ctx)
    assert seen == [ids[SIGNED]]
    kd.refresh_sync(ctx)
    assert seen == [ids[SIGNED]]  # no new scans: no call


def test_parse_rejects_answers_missing_times():
    with pytest.raises(RecordError):
        kuaidi100.parse({"message": "ok", "status": "200", "state": "0", "data": [{"context": "到达"}]})
    with pytest.raises(kuaidi100.TrackingError) as raised:
        kuaidi100.parse({"result": False, "returnCode": "601", "message": "POLL:KEY已过期"})
    assert raised.value.whole_source
