"""Proactive service: who to contact before they write, what to say, and recording the contact."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from screens.proactive_screen import ProactiveScreen, detail
from workbench import changes, i18n
from workbench.services import ingest, kb, proactive, source_state
from workbench.timefmt import to_db


def _order(ctx, number: str, name: str, events: list[tuple[float, str]], *, guide: bool = False,
           carrier: str = "圆通速递", title: str = "家用电热水壶 1.7L 304不锈钢 自动断电") -> ingest.OrderIn:
    now = ctx.clock.now()
    return ingest.OrderIn(
        "taobao", number, ingest.CustomerIn("taobao", name, f"nick-{number}"), "shipped", now - timedelta(days=6),
        19900, 19900, items=[ingest.ItemIn(title, 1, 19900, "KT-1517", needs_guide=guide)],
        shipments=[ingest.ShipmentIn(f"YT{number}", carrier, events=[
            ingest.EventIn(now - timedelta(hours=h), text) for h, text in events])])


MOVING = [(100, "【杭州市余杭区】圆通速递 已揽收"), (90, "快件已到达【杭州转运中心】")]


def seed(ctx) -> None:
    """Four parcels in trouble, one already asked about, one returned long ago, two guides (one due),
    one plain delivery."""
    ingest.upsert_orders(ctx, [
        _order(ctx, "1001", "王磊", [*MOVING, (52, "快件已到达【北京转运中心】")]),
        _order(ctx, "1002", "陈静", [*MOVING, (20, "快件已退回,正在返回寄件人途中")], carrier="中通快递"),
        _order(ctx, "1003", "刘洋", [*MOVING, (30, "快件已投递至【菜鸟驿站】,请凭取件码 3-2-1234 及时取件")]),
        _order(ctx, "1004", "杨雨", [*MOVING, (6, "问题件:收件地址不详,无法派送")]),
        _order(ctx, "1005", "周敏", [*MOVING, (60, "快件已到达【郑州转运中心】")]),
        _order(ctx, "1006", "马丁", [(500, "快件已揽收"), (480, "快件已退回,正在返回寄件人途中")]),  # 20 days: history
        _order(ctx, "2001", "孙悦", [*MOVING, (26, "已签收,签收人:本人")], guide=True),
        _order(ctx, "2002", "吴可", [*MOVING, (3, "已签收,签收人:本人")], guide=True),
        _order(ctx, "2003", "郑华", [*MOVING, (26, "已签收,签收人:本人")], title="每日坚果 750g"),
    ])
    asked = ctx.store.one("SELECT id, customer_id FROM orders WHERE order_no = '1005'")
    stamp = to_db(ctx.clock.now())
    with ctx.store.write() as conn:  # 周敏 already wrote: her case is in the queue, no proactive contact
        changes.insert(conn, ctx.clock, "cases", {"id": "c-asked", "customer_id": asked["customer_id"],
                                                  "order_id": asked["id"], "intent": "where_is_order",
                                                  "opened_at": stamp, "updated_at": stamp})
        conn.execute("INSERT INTO kb_articles (id, title, body, tags, intents, lang, source, updated_at) VALUES "
                     "('kb-kettle', '电热水壶使用指南', '首次使用先烧两壶水倒掉,水位不要超过MAX线', '电热水壶 使用', "
                     "'product_usage', 'zh', 'kb', ?)", (stamp,))
        rowid = conn.execute("SELECT rowid FROM kb_articles WHERE id = 'kb-kettle'").fetchone()[0]
        kb.index_article(conn, rowid, "电热水壶使用指南", "首次使用先烧两壶水倒掉", "电热水壶 使用", "product_usage")


def test_trouble_list_before_the_customer_writes(ctx):
    seed(ctx)
    found = proactive.trouble(ctx)
    assert [(s.order_no, s.anomaly) for s in found] == [
        ("1002", "returned"), ("1004", "address"), ("1003", "locker_uncollected"), ("1001", "stalled")]
    stalled = found[-1]
    assert (stalled.hours, stalled.options, stalled.customer_name) == (52, ("wait", "reroute", "refund"), "王磊")
    text = proactive.message(ctx, stalled)
    assert "王磊" in text and "1001" in text and "52 小时" in text and "圆通速递" in text
    assert "回复 1：继续等待" in text and "回复 2：为您改派" in text and "回复 3：直接为您办理退款" in text
    assert "尽快" not in text  # a promise needs a time: "明天 18:00 前"
    assert "明天 18:00 前" in text
    assert "回复 2" not in proactive.message(ctx, stalled, ("wait", "refund")).replace("回复 2：直接", "")


def test_usage_guides_on_day_two(ctx):
    seed(ctx)
    found = proactive.guides(ctx)
    assert [s.order_no for s in found] == ["2001"]  # 2002 was delivered today, 2003 needs no guide
    assert found[0].guide == "电热水壶使用指南"
    assert "《电热水壶使用指南》" in proactive.message(ctx, found[0])


def test_contact_creates_a_measurable_proactive_case(ctx):
    seed(ctx)
    stalled = proactive.trouble(ctx)[-1]
    outbox_before = ctx.store.scalar("SELECT count(*) FROM outbox")
    case_id = proactive.contact(ctx, stalled, options=("wait", "refund"))
    case = ctx.store.one("SELECT * FROM cases WHERE id = ?", (case_id,))
    assert (case["proactive"], case["status"], case["intent"], case["channel"]) == (1, "pending", "delivery_problem",
                                                                                   "proactive")
    assert case["assignee_id"] == "a-lina" and "offer:refund" in case["cues"] and "offer:reroute" not in case["cues"]
    body = ctx.store.scalar("SELECT body FROM messages WHERE case_id = ?", (case_id,))
    assert body == proactive.message(ctx, stalled, ("wait", "refund"))
    entities = {r[0] for r in ctx.store.query("SELECT entity FROM outbox WHERE seq > ?", (outbox_before,))}
    assert entities == {"cases", "messages"}
    assert "1001" not in [s.order_no for s in proactive.trouble(ctx)]
    with pytest.raises(ValueError):
        proactive.contact(ctx, stalled)


def test_one_key_follow_up_and_effect(ctx):
    seed(ctx)
    stalled = proactive.trouble(ctx)[-1]
    case_id = proactive.contact(ctx, stalled)
    row = proactive.follow_up(ctx, case_id, stalled)
    assert row is not None and row["kind"] == "check_delivery" and row["case_id"] == case_id
    assert row["due_at"] == "2026-11-24T02:00:00Z"  # tomorrow 10:00 shop time
    order_id = stalled.order_id
    later = to_db(ctx.clock.now() + timedelta(hours=3))
    with ctx.store.write() as conn:
        changes.insert(conn, ctx.clock, "cases", {"id": "c-later", "customer_id": stalled.customer_id,
                                                  "order_id": order_id, "intent": "complaint",
                                                  "opened_at": later, "updated_at": later})
    figures = proactive.effect(ctx)
    assert (figures["contacted"], figures["contacted_then_wrote"]) == (1, 1)
    assert figures["uncontacted"] == 5 and figures["uncontacted_wrote"] == 1  # 周敏 wrote on her own


def test_english_messages(ctx):
    seed(ctx)
    i18n.set_language("en")
    try:
        text = proactive.message(ctx, proactive.trouble(ctx)[-1])
    finally:
        i18n.set_language("zh")
    assert text.startswith("Hello 王磊") and "Reply 1: keep waiting" in text and "52 hours" in text


def counting_refresh(monkeypatch) -> list[int]:
    """Count the stall re-assessments (the expensive part) while still running the real one."""
    calls: list[int] = []
    real = proactive.refresh

    def refresh(ctx) -> int:
        calls.append(1)
        return real(ctx)

    monkeypatch.setattr(proactive, "refresh", refresh)
    return calls


def test_scan_is_reused_until_the_data_changes_or_it_gets_old(ctx, monkeypatch):
    seed(ctx)
    calls = counting_refresh(monkeypatch)
    first = proactive.scan(ctx)
    assert not first.reused and len(calls) == 1 and first.at == ctx.clock.now()
    assert [s.order_no for s in first.items] == ["1002", "1004", "1003", "1001", "2001"]

    ctx.clock.advance(minutes=2)
    again = proactive.scan(ctx)
    assert again.reused and again.items == first.items and again.at == first.at and len(calls) == 1

    # A customer writes about 1001: the order leaves the list at once, without re-assessing stalls.
    stalled = first.items[3]
    stamp = to_db(ctx.clock.now())
    with ctx.store.write() as conn:
        changes.insert(conn, ctx.clock, "cases", {"id": "c-wrote", "customer_id": stalled.customer_id,
                                                  "order_id": stalled.order_id, "intent": "where_is_order",
                                                  "opened_at": stamp, "updated_at": stamp})
    changed = proactive.scan(ctx)
    assert not changed.reused and len(calls) == 1
    assert "1001" not in [s.order_no for s in changed.items]

    # A new parcel in trouble arrives (ingest assesses it): it shows without waiting for the interval.
    ingest.upsert_orders(ctx, [_order(ctx, "1007", "黄河", [*MOVING, (8, "问题件:收件地址不详,无法派送")])])
    assert "1007" in [s.order_no for s in proactive.scan(ctx).items] and len(calls) == 1
    assert proactive.scan(ctx).reused

    # A parcel that stalls with time alone (48 h in a minute) only turns up once the stalls were last
    # re-assessed longer than RESCAN_AFTER ago: here 4 minutes, then 6.
    ingest.upsert_orders(ctx, [_order(ctx, "1008", "林木", [*MOVING, (47.99, "快件已到达【武汉转运中心】")])])
    ctx.clock.advance(minutes=2)
    assert "1008" not in [s.order_no for s in proactive.scan(ctx).items] and len(calls) == 1
    ctx.clock.advance(minutes=2)
    aged = proactive.scan(ctx)
    assert not aged.reused and len(calls) == 2 and aged.rescanned_at == ctx.clock.now()
    assert "1008" in [s.order_no for s in aged.items]
    assert proactive.scan(ctx).reused  # the re-assessment's own writes do not invalidate it


def test_forced_scan_always_reassesses(ctx, monkeypatch):
    seed(ctx)
    calls = counting_refresh(monkeypatch)
    proactive.scan(ctx)
    assert proactive.scan(ctx).reused
    forced = proactive.scan(ctx, force=True)
    assert not forced.reused and len(calls) == 2


def test_a_clock_that_went_back_does_not_keep_a_scan_forever(ctx, monkeypatch):
    seed(ctx)
    calls = counting_refresh(monkeypatch)
    proactive.scan(ctx)
    ctx.clock.advance(hours=-1)
    assert not proactive.scan(ctx).reused and len(calls) == 2


# ----- screen --------------------------------------------------------------------------------------
class Host(App[None]):
    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx

    def on_mount(self) -> None:
        self.push_screen(ProactiveScreen(self.ctx))


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def with_failed_source(ctx) -> None:
    source_state.record(ctx, "myshop", "shopify", ok=True, count=12)
    ctx.clock.advance(minutes=5)
    source_state.record(ctx, "kd100", "kuaidi100", ok=False, count=0,
                        error="快递100 返回错误 601:POLL:KEY已过期")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_snapshot(ctx, snap_compare, size):
    seed(ctx)
    with_failed_source(ctx)
    assert snap_compare(Host(ctx), terminal_size=size, run_before=settle)


async def test_pilot_toggle_send_and_follow_up(ctx):
    seed(ctx)
    async with Host(ctx).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ProactiveScreen) and len(screen.items) == 5
        await pilot.press("1")  # drop 改派 for the first customer (陈静, returned: reroute, refund)
        await pilot.press("s")
        await settle(pilot)
        first = ctx.store.one("SELECT * FROM cases WHERE proactive = 1")
        assert "offer:reroute" not in first["cues"] and "offer:refund" in first["cues"]
        assert len(screen.items) == 4
        await pilot.press("f")
        await settle(pilot)
        assert ctx.store.scalar("SELECT count(*) FROM cases WHERE proactive = 1") == 2
        assert ctx.store.scalar("SELECT count(*) FROM follow_ups WHERE kind = 'check_delivery'") == 1


async def test_pilot_reopening_reuses_the_scan_and_ctrl_r_rescans(ctx, monkeypatch):
    seed(ctx)
    calls = counting_refresh(monkeypatch)
    async with Host(ctx).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(calls) == 1 and len(pilot.app.screen.items) == 5
        title = str(pilot.app.screen.query_one("#pr-title", Static).render())
        assert "扫描于 10:00" in title
        pilot.app.pop_screen()
        ctx.clock.advance(minutes=3)
        pilot.app.push_screen(ProactiveScreen(ctx))
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ProactiveScreen) and len(screen.items) == 5 and len(calls) == 1
        assert "扫描于 10:00" in str(screen.query_one("#pr-title", Static).render())
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(calls) == 2 and "扫描于 10:03" in str(screen.query_one("#pr-title", Static).render())
        await pilot.press("s")  # a contact changes the data: the list is read again, stalls are not re-assessed
        await settle(pilot)
        assert len(screen.items) == 4 and len(calls) == 2


def test_hostile_names_are_shown_literally(ctx, shared_data):
    import json

    lines = (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines()
    samples = [json.loads(line) for line in lines if line.strip()][:40]
    for sample in samples:
        value = sample.get("text") if isinstance(sample, dict) else str(sample)
        if not isinstance(value, str):
            continue
        s = proactive.Suggestion("trouble", "o", value, "cu", value, "sh", value, value, "stalled", 50, value,
                                 options=proactive.OPTIONS["stalled"])
        plain = detail(ctx, s, s.options).plain
        assert "\x1b" not in plain and "\x9b" not in plain and "\u202e" not in plain
