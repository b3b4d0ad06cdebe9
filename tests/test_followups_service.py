"""Follow-up service: scheduling, states, history + outbox in one transaction, triggers, board, hand-off."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.followup_fixtures import add_event, make_ctx, outbox_rows
from workbench.clock import FrozenClock
from workbench.context import Context
from workbench.services import followup_board as board
from workbench.services import followup_model, followups, handoff
from workbench.services.followups import FollowUpError
from workbench.timefmt import from_db, to_db


@pytest.fixture
def fctx(tmp_path: Path, clock: FrozenClock) -> Context:
    return make_ctx(tmp_path, clock)


def test_schedule_writes_row_history_and_outbox_together(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-1", "call_back", when="明天下午3点", note="确认补发收到")
    assert row["owner_id"] == "a-lina" and row["created_by"] == "a-lina"
    assert row["due_at"] == "2026-11-24T07:00:00Z" and row["status"] == "scheduled"
    assert row["customer_id"] == "cu-1" and row["warnings"] == []
    stored = fctx.store.one("SELECT * FROM follow_ups WHERE id = ?", (row["id"],))
    assert stored["note"] == "确认补发收到" and stored["version"] == 1
    entries = outbox_rows(fctx)
    assert [(e["entity"], e["op"]) for e in entries] == [("follow_ups", "create"), ("follow_up_history", "create")]
    assert json.loads(entries[0]["payload"])["id"] == row["id"]
    [created] = followups.history(fctx, row["id"])
    assert (created["change"], created["actor"], created["at"]) == ("created", "a-lina", "2026-11-23T02:00:00Z")


def test_a_failed_history_write_leaves_nothing_behind(fctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(followup_model, "history_entry", boom)
    with pytest.raises(RuntimeError):
        followups.schedule(fctx, "c-1", "call_back", when="+2h")
    assert fctx.store.scalar("SELECT count(*) FROM follow_ups") == 0
    assert outbox_rows(fctx) == []


def test_owner_can_be_someone_else(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-1", "promised_action", when="plus_2h", owner_id="a-wangqiang")
    assert (row["owner_id"], row["created_by"]) == ("a-wangqiang", "a-lina")
    assert row["due_at"] == "2026-11-23T04:00:00Z"


@pytest.mark.parametrize("kwargs, code", [
    ({"case_id": "c-404", "kind": "call_back", "when": "+2h"}, "case_missing"),
    ({"case_id": "c-5", "kind": "call_back", "when": "+2h"}, "case_merged"),
    ({"case_id": "c-1", "kind": "coffee", "when": "+2h"}, "unknown_kind"),
    ({"case_id": "c-1", "kind": "call_back", "when": "+2h", "owner_id": "a-nobody"}, "unknown_agent"),
    ({"case_id": "c-1", "kind": "call_back", "when": "今天9点"}, "past"),
    ({"case_id": "c-1", "kind": "call_back", "when": None}, "no_time"),
    ({"case_id": "c-4", "kind": "check_satisfaction", "when": "after_delivery_3d"}, "no_order"),
    ({"case_id": "c-1", "kind": "call_back", "when": "+2h", "note": "很长" * 1001}, "note_too_long"),
])
def test_bad_requests_are_refused_clearly_and_write_nothing(fctx: Context, kwargs: dict, code: str) -> None:
    case_id = kwargs.pop("case_id")
    kind = kwargs.pop("kind")
    with pytest.raises(FollowUpError) as info:
        followups.schedule(fctx, case_id, kind, lang="zh", **kwargs)
    assert info.value.code == code
    assert str(info.value) and not str(info.value).startswith("followups.")
    assert fctx.store.scalar("SELECT count(*) FROM follow_ups") == 0 and outbox_rows(fctx) == []


def test_merged_case_message_names_the_target(fctx: Context) -> None:
    with pytest.raises(FollowUpError) as info:
        followups.schedule(fctx, "c-5", "call_back", when="+2h", lang="zh")
    assert info.value.fields["into"] == "c-2" and "c-2" in str(info.value)


def test_inactive_agent_cannot_take_follow_ups(fctx: Context) -> None:
    with fctx.store.write() as conn:
        conn.execute("UPDATE agents SET active = 0 WHERE id = 'a-chenjie'")
    with pytest.raises(FollowUpError) as info:
        followups.schedule(fctx, "c-1", "call_back", when="+2h", owner_id="a-chenjie")
    assert info.value.code == "inactive_agent"


def test_closed_case_is_allowed_with_a_warning(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-3", "check_satisfaction", when="+3d")
    assert row["warnings"] == ["case_closed"]


def test_past_time_is_saved_when_confirmed_and_is_due_at_once(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-1", "call_back", when="今天9点", allow_past=True)
    assert row["status"] == "due"
    assert followups.due_for_queue(fctx, "a-lina")[0]["display_status"] == "overdue"


def test_state_machine_scheduled_due_overdue_done(fctx: Context, clock: FrozenClock) -> None:
    row = followups.schedule(fctx, "c-1", "call_back", when="+2h")
    assert followups.refresh_states(fctx) == []
    clock.advance(hours=2)
    became = followups.refresh_states(fctx)
    assert [r["id"] for r in became] == [row["id"]]
    assert became[0]["customer_name"] == "王磊" and became[0]["case_subject"] == "水壶外壳裂了"
    assert followups.refresh_states(fctx) == []  # notified once only
    assert followups.due_message(became[0], "zh") == "跟进到期：回电 · 王磊 · 水壶外壳裂了"
    assert followups.get(fctx, row["id"])["display_status"] == "due"
    assert followups.overdue_count(fctx, "a-lina") == 0
    clock.advance(minutes=16)  # past the 15-minute grace of sla_policy.toml
    assert followups.get(fctx, row["id"])["display_status"] == "overdue"
    assert followups.overdue_count(fctx, "a-lina") == 1
    result = followups.mark_done(fctx, [row["id"]], note="顾客说已收到,很满意")
    assert result.changed == [row["id"]] and result.skipped == []
    assert result.summary("zh") == "已处理 1 条。" and result.summary("en") == "1 changed."  # no "skipped 0"
    done = followups.get(fctx, row["id"])
    assert (done["status"], done["done_note"], done["version"]) == ("done", "顾客说已收到,很满意", 3)
    assert followups.overdue_count(fctx, "a-lina") == 0
    again = followups.mark_done(fctx, [row["id"]])
    assert again.changed == [] and "已经完成" in again.skipped[0][1]
    assert again.summary() == f"已处理 0 条，跳过 1 条。{row['id']}：跟进 {row['id']} 已经完成了。"
    changes = [(h["change"], h["actor"]) for h in followups.history(fctx, row["id"])]
    assert changes == [("created", "a-lina"), ("became_due", "system"), ("done", "a-lina")]


def test_refresh_states_moves_only_my_follow_ups(fctx: Context, clock: FrozenClock) -> None:
    mine = followups.schedule(fctx, "c-1", "call_back", when="+1h")
    theirs = followups.schedule(fctx, "c-1", "call_back", when="+1h", owner_id="a-chenjie")
    clock.advance(hours=1)
    assert [r["id"] for r in followups.refresh_states(fctx)] == [mine["id"]]
    assert followups.get(fctx, theirs["id"])["status"] == "scheduled"
    assert followups.get(fctx, theirs["id"])["display_status"] == "due"  # derived the same everywhere
    assert [r["id"] for r in followups.refresh_states(fctx, agent_id="")] == [theirs["id"]]


def test_every_change_has_an_outbox_entry_and_history(fctx: Context, clock: FrozenClock) -> None:
    ids = [followups.schedule(fctx, "c-1", "call_back", when=f"+{n}h")["id"] for n in (1, 2, 3)]
    fctx.agent_id = "a-zhaomin"
    followups.reassign(fctx, ids, "a-chenjie", note="李娜下班")
    followups.cancel(fctx, ids[:1], reason="顾客已自行解决")
    rows = outbox_rows(fctx)
    assert sum(1 for r in rows if r["entity"] == "follow_ups") == 3 + 3 + 1
    assert sum(1 for r in rows if r["entity"] == "follow_up_history") == 3 + 3 + 1
    history = followups.history(fctx, ids[0])
    assert [(h["change"], h["actor"]) for h in history] == [
        ("created", "a-lina"), ("reassigned", "a-zhaomin"), ("cancelled", "a-zhaomin")]
    detail = json.loads(history[1]["detail"])
    assert detail["from"] == {"owner_id": "a-lina"} and detail["to"] == {"owner_id": "a-chenjie"}
    assert detail["note"] == "李娜下班"


def test_only_owner_creator_or_lead_may_change(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-1", "call_back", when="+2h")
    fctx.agent_id = "a-chenjie"
    result = followups.mark_done(fctx, [row["id"]])
    assert result.changed == [] and "组长" in result.skipped[0][1]
    fctx.agent_id = "a-zhaomin"
    assert followups.mark_done(fctx, [row["id"]]).changed == [row["id"]]


def test_reassign_validates_target_and_skips_same_owner(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-1", "call_back", when="+2h")
    with pytest.raises(FollowUpError) as info:
        followups.reassign(fctx, [row["id"]], "a-ghost")
    assert info.value.code == "unknown_agent"
    result = followups.reassign(fctx, [row["id"], "fu-missing"], "a-lina", lang="en")
    assert result.changed == [] and len(result.skipped) == 2
    assert result.summary("en") == (f"0 changed, 2 skipped. {row['id']}: a-lina already owns it. "
                                    "fu-missing: Follow-up fu-missing not found.")


def test_reschedule_replaces_trigger_and_goes_back_to_scheduled(fctx: Context, clock: FrozenClock) -> None:
    row = followups.schedule(fctx, "c-1", "check_delivery", when="物流停滞48小时")
    assert json.loads(row["trigger"])["type"] == "stalled"
    moved = followups.reschedule(fctx, row["id"], "后天上午")
    assert (moved["due_at"], moved["trigger"], moved["status"]) == ("2026-11-25T02:00:00Z", "{}", "scheduled")


def test_due_for_queue_lists_case_and_customer_oldest_first(fctx: Context, clock: FrozenClock) -> None:
    later = followups.schedule(fctx, "c-1", "call_back", when="+2h")
    first = followups.schedule(fctx, "c-3", "check_satisfaction", when="+1h")
    followups.schedule(fctx, "c-1", "call_back", when="+5h")
    clock.advance(hours=3)
    rows = followups.due_for_queue(fctx, "a-lina")
    assert [r["id"] for r in rows] == [first["id"], later["id"]]
    assert rows[0]["case_status"] == "closed" and rows[0]["customer_name"].startswith("[bold]")
    assert rows[0]["display_status"] == "overdue" and rows[0]["case_missing"] is False


def test_on_case_merged_moves_open_follow_ups(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-1", "call_back", when="+2h")
    assert followups.on_case_merged(fctx, "c-1", "c-2") == 1
    assert followups.get(fctx, row["id"])["case_id"] == "c-2"
    assert followups.history(fctx, row["id"])[-1]["change"] == "case_merged"


# ---- event triggers -------------------------------------------------------------------------
def _events(now: datetime) -> list[tuple[str, datetime, str, str]]:
    return [("e-collect", now - timedelta(hours=70), "collected", "【杭州】圆通速递 已揽收"),
            ("e-transit", now - timedelta(hours=40), "in_transit", "快件已到达【上海转运中心】"),
            ("e-deliver", now - timedelta(hours=20), "delivered", "快件已签收,签收人:本人")]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_after_delivery_due_is_the_same_whatever_the_event_order(tmp_path: Path, clock: FrozenClock,
                                                                 order: tuple[int, ...]) -> None:
    ctx = make_ctx(tmp_path, clock)
    row = followups.schedule(ctx, "c-1", "check_satisfaction", when="签收后3天")
    stall = followups.schedule(ctx, "c-1", "check_delivery", when="物流停滞48小时")
    events = _events(clock.now())
    for index in order:
        add_event(ctx, "s-1", *events[index])
    final = followups.get(ctx, row["id"])
    # delivered 2026-11-22 14:00 Shanghai -> three days later at 10:00
    assert final["due_at"] == "2026-11-25T02:00:00Z" and final["status"] == "scheduled"
    trigger = json.loads(final["trigger"])
    assert (trigger["basis"], trigger["shipment_id"]) == ("delivered", "s-1")
    stalled = followups.get(ctx, stall["id"])
    assert (stalled["status"], stalled["done_note"]) == ("cancelled", "delivered")


def test_before_delivery_a_stale_parcel_brings_the_follow_up_forward(fctx: Context, clock: FrozenClock) -> None:
    now = clock.now()
    add_event(fctx, "s-1", "e1", now - timedelta(hours=1), "in_transit", "快件已到达【上海转运中心】")
    row = followups.schedule(fctx, "c-1", "check_satisfaction", when="3 days after delivery")
    assert from_db(row["due_at"]) == now + timedelta(hours=47)  # 48 h after the last scan
    assert json.loads(row["trigger"])["basis"] == "tracking"
    add_event(fctx, "s-1", "e2", now - timedelta(minutes=10), "out_for_delivery", "快件派送中")
    assert from_db(followups.get(fctx, row["id"])["due_at"]) == now + timedelta(hours=47, minutes=50)


def test_a_late_scan_moves_a_due_follow_up_back_to_scheduled(fctx: Context, clock: FrozenClock) -> None:
    row = followups.schedule(fctx, "c-1", "check_delivery", when="parcel has not moved for 48h")
    assert row["status"] == "due"  # shipped two days ago, no scan since: already stalled
    add_event(fctx, "s-1", "e1", clock.now() - timedelta(hours=2), "in_transit", "快件已到达【上海转运中心】")
    moved = followups.get(fctx, row["id"])
    assert (moved["status"], moved["due_at"]) == ("scheduled", to_db(clock.now() + timedelta(hours=46)))
    assert [h["change"] for h in followups.history(fctx, row["id"])] == ["created", "rescheduled"]


def test_fallback_date_when_there_is_no_tracking(fctx: Context) -> None:
    with fctx.store.write() as conn:
        conn.execute("DELETE FROM shipments")
    row = followups.schedule(fctx, "c-1", "check_satisfaction", when="after_delivery_3d")
    trigger = json.loads(row["trigger"])
    assert trigger["basis"] == "fallback" and trigger["shipment_id"] is None
    assert row["due_at"] == trigger["fallback_at"] == "2026-12-03T02:00:00Z"  # 3 + 7 days, 10:00


def test_replacement_parcel_is_followed_not_the_old_one(fctx: Context, clock: FrozenClock) -> None:
    now = clock.now()
    add_event(fctx, "s-1", "e1", now - timedelta(hours=30), "delivered", "快件已签收")
    row = followups.schedule(fctx, "c-1", "check_satisfaction", when="补发签收后2天")
    assert json.loads(row["trigger"])["wait_for"] == "next"
    assert json.loads(row["trigger"])["shipment_id"] is None
    with fctx.store.write() as conn:
        conn.execute("INSERT INTO shipments (id, order_id, carrier, tracking_no, status, shipped_at, updated_at) "
                     "VALUES ('s-2', 'o-1', '顺丰速运', 'SF2002', 'in_transit', ?, ?)", (to_db(now), to_db(now)))
    add_event(fctx, "s-1", "e2", now - timedelta(hours=1), "delivered", "快件已签收")  # old parcel: ignored
    assert json.loads(followups.get(fctx, row["id"])["trigger"])["shipment_id"] is None
    clock.advance(days=1)
    add_event(fctx, "s-2", "e3", clock.now() - timedelta(hours=1), "delivered", "快件已签收,签收人:本人")
    final = followups.get(fctx, row["id"])
    assert json.loads(final["trigger"])["shipment_id"] == "s-2"
    assert final["due_at"] == "2026-11-26T02:00:00Z"


@pytest.mark.parametrize("when, days, wait_for", [
    ("2d_after_delivery", 2, "latest"), ("1d_after_next_delivery", 1, "next"), ("签收后5天", 5, "latest"),
    ("补发签收后两天", 2, "next"), ("4 days after the replacement delivery", 4, "next"),
])
def test_playbook_and_typed_delivery_forms(fctx: Context, when: str, days: int, wait_for: str) -> None:
    row = followups.schedule(fctx, "c-1", "check_satisfaction", when=when)
    trigger = json.loads(row["trigger"])
    assert (trigger["type"], trigger["days"], trigger["wait_for"]) == ("after_delivery", days, wait_for)


def test_readable_when_for_the_modal() -> None:
    assert followups.readable_when("3d_after_delivery") == "after_delivery_3d"
    assert followups.readable_when("2d_after_delivery", "zh") == "签收后2天"
    assert followups.readable_when("1d_after_next_delivery", "en") == "1 day after the replacement delivery"
    assert followups.readable_when("+2d") == "+2d"


def test_events_never_touch_done_follow_ups(fctx: Context) -> None:
    row = followups.schedule(fctx, "c-1", "check_satisfaction", when="签收后3天")
    followups.mark_done(fctx, [row["id"]], "提前回访过了")
    before = followups.get(fctx, row["id"])
    add_event(fctx, "s-1", "e1", fctx.clock.now(), "delivered", "快件已签收")
    assert followups.get(fctx, row["id"]) == before


def test_events_for_an_unknown_shipment_change_nothing(fctx: Context) -> None:
    assert followups.on_shipment_events(fctx, "s-ghost") == []


# ---- board ----------------------------------------------------------------------------------
def test_board_views_counts_pages_and_summary(fctx: Context, clock: FrozenClock) -> None:
    for when, owner in (("+1h", "a-lina"), ("今晚8点", "a-lina"), ("+2d", "a-chenjie"), ("+3h", "a-chenjie")):
        followups.schedule(fctx, "c-1", "call_back", when=when, owner_id=owner)
    clock.advance(hours=2)  # the +1h one is 1 h late: overdue
    assert board.count(fctx, board.BoardQuery(view="overdue")) == 1
    assert board.count(fctx, board.BoardQuery(view="today")) == 2
    assert board.count(fctx, board.BoardQuery(view="upcoming")) == 1
    assert board.count(fctx, board.BoardQuery(view="open", owner_id="a-chenjie")) == 2
    pages = [board.page_ids(fctx, board.BoardQuery(), offset, 3) for offset in (0, 3)]
    assert len(pages[0]) == 3 and len(pages[1]) == 1 and not set(pages[0]) & set(pages[1])
    rows = board.page(fctx, board.BoardQuery(sort="due_desc"))
    assert [r["due_at"] for r in rows] == sorted((r["due_at"] for r in rows), reverse=True)
    summary = {r["agent_id"]: r for r in board.summary(fctx)}
    assert (summary["a-lina"]["overdue"], summary["a-lina"]["due_today"], summary["a-lina"]["open"]) == (1, 1, 2)
    assert (summary["a-chenjie"]["due_today"], summary["a-chenjie"]["upcoming"]) == (1, 1)


def test_board_text_filter_is_literal(fctx: Context) -> None:
    followups.schedule(fctx, "c-1", "call_back", when="+1h", note="100% 退款_确认")
    followups.schedule(fctx, "c-1", "call_back", when="+1h", note="其他")
    followups.schedule(fctx, "c-2", "call_back", when="+1h", note="催物流")
    assert board.count(fctx, board.BoardQuery(text="100%")) == 1
    assert board.count(fctx, board.BoardQuery(text="%")) == 1
    assert board.count(fctx, board.BoardQuery(text="_")) == 1
    assert board.count(fctx, board.BoardQuery(text="王")) == 2  # customer name starts with it
    assert board.count(fctx, board.BoardQuery(text="王磊")) == 2
    assert board.count(fctx, board.BoardQuery(text="磊")) == 0  # names match by prefix only
    assert board.count(fctx, board.BoardQuery(text="c-2")) == 1  # case id
    assert board.count(fctx, board.BoardQuery(text="陈女士")) == 1


def test_board_rejects_unknown_view_and_kind(fctx: Context) -> None:
    with pytest.raises(ValueError):
        board.count(fctx, board.BoardQuery(view="someday"))
    with pytest.raises(ValueError):
        board.count(fctx, board.BoardQuery(kind="coffee"))


@pytest.mark.parametrize("query, index", [
    (board.BoardQuery(), "follow_ups_open_due"),
    (board.BoardQuery(view="overdue", kind="call_back", text="x"), "follow_ups_open_due"),
    (board.BoardQuery(owner_id="a-lina"), "follow_ups_open_owner_due"),
    (board.BoardQuery(sort="owner"), "follow_ups_open_owner_due"),
])
def test_board_pages_never_sort_all_open_rows(fctx: Context, query: board.BoardQuery, index: str) -> None:
    statements: list[str] = []
    fctx.store.conn.set_trace_callback(statements.append)
    board.page_ids(fctx, query)
    fctx.store.conn.set_trace_callback(None)
    plan = fctx.store.query("EXPLAIN QUERY PLAN " + statements[-1])
    details = " ".join(r["detail"] for r in plan)
    assert index in details and "TEMP B-TREE" not in details


# ---- hand-off -------------------------------------------------------------------------------
def test_handoff_moves_everything_open_in_one_go(fctx: Context, clock: FrozenClock) -> None:
    call = followups.schedule(fctx, "c-1", "call_back", when="+1h")
    promise = followups.schedule(fctx, "c-1", "promised_action", when="+3h", note="答应补发赠品")
    with fctx.store.write() as conn:
        conn.execute("INSERT INTO compensations (id, case_id, customer_id, agent_id, action, amount_fen, status, "
                     "created_at, updated_at) VALUES ('p-1', 'c-4', 'cu-1', 'a-lina', 'coupon', 8000, 'requested', "
                     "?, ?)", (to_db(clock.now()), to_db(clock.now())))
    items = handoff.open_items(fctx, "a-lina")
    assert [r["id"] for r in items.followups] == [call["id"]]
    assert [r["id"] for r in items.promised] == [promise["id"]]
    assert [r["id"] for r in items.approvals] == ["p-1"]
    assert {r["id"] for r in items.sla_risk} == {"c-1", "c-4", "c-5"}  # due within 10 minutes, unanswered
    result = handoff.reassign_all(fctx, "a-lina", "a-wangqiang", note="明早回来")
    assert sorted(result.followups.changed) == sorted([call["id"], promise["id"]])
    assert sorted(result.cases) == ["c-1", "c-4", "c-5"]
    assert fctx.store.scalar("SELECT assignee_id FROM cases WHERE id = 'c-4'") == "a-wangqiang"
    note = fctx.store.one("SELECT * FROM case_notes WHERE case_id = 'c-4'")
    assert note["kind"] == "handoff" and "王强" in note["body"] and "明早回来" in note["body"]
    assert handoff.open_items(fctx, "a-lina").counts["followups"] == 0


def seed_more_than_a_page(ctx: Context, clock: FrozenClock) -> None:
    """Five call-backs due before a promised action, three approval requests; then 5.5 hours pass, so
    every call-back is overdue and c-1, c-4, c-5 (unanswered) are past their SLA."""
    for hours in range(1, 6):
        followups.schedule(ctx, "c-1", "call_back", when=f"+{hours}h")
    followups.schedule(ctx, "c-1", "promised_action", when="+8h", note="答应补发赠品")
    stamp = to_db(clock.now())
    with ctx.store.write() as conn:
        for n in range(3):
            conn.execute("INSERT INTO compensations (id, case_id, customer_id, agent_id, action, amount_fen, status, "
                         "created_at, updated_at) VALUES (?, 'c-4', 'cu-1', 'a-lina', 'coupon', 8000, 'requested', "
                         "?, ?)", (f"p-{n}", stamp, stamp))
    clock.advance(hours=5, minutes=30)


def test_handoff_counts_are_true_totals_when_the_lists_are_cut(fctx: Context, clock: FrozenClock,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    seed_more_than_a_page(fctx, clock)
    monkeypatch.setattr(handoff, "LIMIT", 2)
    items = handoff.open_items(fctx, "a-lina")
    assert [len(items.followups), len(items.promised), len(items.approvals), len(items.sla_risk)] == [2, 1, 2, 2]
    assert items.counts == {"followups": 5, "promised": 1, "approvals": 3, "sla_risk": 3, "overdue": 5}
    assert [items.truncated(s) for s in ("followups", "promised", "approvals", "sla_risk")] == [True, False, True, True]
    assert items.promised[0]["note"] == "答应补发赠品"  # not crowded out by the earlier call-backs
    monkeypatch.setattr(handoff, "LIMIT", 500)
    whole = handoff.open_items(fctx, "a-lina")
    assert {k: len(getattr(whole, k)) for k in ("followups", "promised", "approvals", "sla_risk")} == {
        k: whole.counts[k] for k in ("followups", "promised", "approvals", "sla_risk")}
    assert not any(whole.truncated(s) for s in ("followups", "promised", "approvals", "sla_risk"))


def test_handoff_moves_what_the_lists_do_not_show(fctx: Context, clock: FrozenClock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seed_more_than_a_page(fctx, clock)
    monkeypatch.setattr(handoff, "LIMIT", 2)  # the screen lists two of each kind
    listed = handoff.open_items(fctx, "a-lina")
    assert listed.truncated("followups") and listed.truncated("sla_risk")
    late = followups.schedule(fctx, "c-1", "call_back", when="+1h")  # came in after the screen loaded
    result = handoff.reassign_all(fctx, "a-lina", "a-wangqiang")
    assert len(result.followups.changed) == 5 + 1 + 1
    assert late["id"] in result.followups.changed
    assert sorted(result.cases) == ["c-1", "c-4", "c-5"]
    left = handoff.open_items(fctx, "a-lina")
    assert {k: left.counts[k] for k in ("followups", "promised", "approvals", "sla_risk")} == {
        "followups": 0, "promised": 0, "approvals": 3, "sla_risk": 0}  # requests stay the requester's
    assert fctx.store.scalar("SELECT count(*) FROM follow_ups WHERE owner_id = 'a-wangqiang'") == 7
    assert fctx.store.scalar("SELECT count(*) FROM outbox WHERE entity = 'follow_ups'") >= 7


def test_handoff_needs_the_agent_or_a_lead(fctx: Context) -> None:
    fctx.agent_id = "a-chenjie"
    with pytest.raises(FollowUpError) as info:
        handoff.reassign_all(fctx, "a-lina", "a-chenjie")
    assert info.value.code == "not_allowed"


def test_cli_lists_and_adds(fctx: Context, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    db = fctx.store.path
    assert main(["followups", "add", "c-1", "--kind", "call_back", "--when", "+30d", "--db", db,
                 "--agent", "a-lina", "--note", "月底回访"]) == 0
    assert main(["followups", "--db", db, "--json"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index("["):])
    assert [r["note"] for r in listed] == ["月底回访"] and listed[0]["display_status"] == "scheduled"
    assert main(["followups", "add", "c-1", "--kind", "call_back", "--when", "whenever", "--db", db,
                 "--agent", "a-lina", "--lang", "en"]) == 2
    assert "Forms that work" in capsys.readouterr().err
    assert main(["followups", "done", listed[0]["id"], "--db", db, "--agent", "a-lina"]) == 0
    assert "已处理 1 条" in capsys.readouterr().out
    assert main(["followups", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
