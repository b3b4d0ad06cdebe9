"""The compensation service on a real cache: rows, outbox, audit, requests, approvals, the day, offline."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.authority_world import World, as_agent, build_world, world_context, zh_language  # noqa: F401 (fixture)
from workbench import audit
from workbench.authority import PolicyError
from workbench.authority.policy import builtin_text
from workbench.clock import FrozenClock
from workbench.context import Context
from workbench.money import MoneyError
from workbench.services import compensation as comp
from workbench.store import Store
from workbench.store.migrate import migrate
from workbench.timefmt import to_db

pytestmark = pytest.mark.usefixtures("zh_language")


@pytest.fixture
def world(tmp_path: Path, clock: FrozenClock) -> tuple[Context, World]:
    store = Store(tmp_path / "cache.db")
    migrate(store)
    built = build_world(store, clock.now(), customers=3, cases_per_customer=4)
    store.close()
    return world_context(tmp_path / "cache.db", clock), built


def count(ctx: Context, sql: str, *params: object) -> int:
    return int(ctx.store.scalar(sql, params))


def test_issue_within_authority_writes_row_outbox_and_audit(world: tuple[Context, World]) -> None:
    ctx, _ = world
    result = comp.issue(ctx, "ca-1-1", "coupon", 3000, "外壳破损,补偿安抚")
    assert result.status == "issued" and result.decision is not None and result.decision.allowed
    row = ctx.store.one("SELECT * FROM compensations WHERE id = ?", (result.compensation_id,))
    assert row["amount_fen"] == 3000 and row["agent_id"] == "a-lina" and row["decided_by"] == "a-lina"
    assert row["order_id"] == "o-1-kettle" and row["customer_id"] == "cu-1" and row["offline"] == 0
    assert count(ctx, "SELECT count(*) FROM outbox WHERE entity = 'compensations' AND entity_id = ?",
                 result.compensation_id) == 1
    entry = ctx.store.one("SELECT * FROM audit_log WHERE entity_id = ?", (result.compensation_id,))
    assert entry["action"] == "compensation.issue" and entry["actor"] == "a-lina"
    assert json.loads(entry["data"])["amount_fen"] == 3000
    assert audit.verify(ctx.store.conn).ok
    assert result.message("zh") == "已发放优惠券 ¥30"


def test_over_the_limit_becomes_a_request_with_context(world: tuple[Context, World]) -> None:
    ctx, _ = world
    result = comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损")
    assert result.status == "requested"
    row = ctx.store.one("SELECT * FROM compensations WHERE id = ?", (result.compensation_id,))
    context = json.loads(row["context"])
    assert context["order"]["order_no"] and context["order"]["items"][0]["title"].startswith("家用电热水壶")
    assert context["shipment"]["carrier"] == "圆通" and context["shipment"]["delivered_at"]
    assert context["transcript"][0]["body"] == "收到的水壶外壳裂了,怎么处理?"
    assert context["history"]["d30_fen"] == 0 and context["signals"] == []
    assert [r["code"] for r in context["decision"]["reasons"]] == ["case_limit"]
    assert row["decided_by"] is None and row["decision_reason"] == "case_limit"
    assert count(ctx, "SELECT count(*) FROM audit_log WHERE action = 'compensation.request'") == 1


def test_denied_writes_nothing_but_the_audit_entry(world: tuple[Context, World]) -> None:
    ctx, _ = world
    result = comp.issue(ctx, "ca-1-2", "full_refund", 8800, "不想要了")  # 生鲜: excluded goods
    assert result.status == "refused" and result.decision.codes == ("excluded_goods",)
    assert count(ctx, "SELECT count(*) FROM compensations") == 0
    assert count(ctx, "SELECT count(*) FROM outbox") == 0
    assert count(ctx, "SELECT count(*) FROM audit_log WHERE action = 'compensation.refuse'") == 1


def test_bad_input_is_refused_clearly(world: tuple[Context, World]) -> None:
    ctx, _ = world
    with pytest.raises(comp.AuthorityError) as err:
        comp.issue(ctx, "ca-1-1", "coupon", 3000, "   ")
    assert err.value.message("zh") == "请填写补偿原因"
    with pytest.raises(MoneyError):
        comp.issue(ctx, "ca-1-1", "coupon", 30.0, "x")  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        comp.issue(ctx, "no-such-case", "coupon", 3000, "x")
    assert comp.issue(ctx, "ca-1-1", "coupon", 0, "x").status == "refused"
    with pytest.raises(comp.AuthorityError) as err:  # another customer's order
        comp.issue(ctx, "ca-1-1", "partial_refund", 1000, "x", order_id="o-2-kettle")
    assert err.value.code == "order_mismatch"
    assert comp.issue(ctx, "ca-1-1", "partial_refund", 1000, "同一顾客的另一单", order_id="o-1-jacket").status == "issued"


def test_splitting_counts_as_one(world: tuple[Context, World]) -> None:
    ctx, _ = world
    assert comp.issue(ctx, "ca-1-1", "coupon", 3000, "安抚").status == "issued"
    second = comp.issue(ctx, "ca-1-1", "coupon", 3000, "再补一点")
    assert second.status == "requested" and "split_sum" in second.decision.codes
    assert comp.issue(ctx, "ca-1-1", "coupon", 2000, "凑满").status == "issued"  # exactly ¥50 in total


def test_approval_flow_and_the_counting_rule(world: tuple[Context, World]) -> None:
    ctx, _ = world
    lead = as_agent(ctx, "a-zhaomin")
    comp.issue(ctx, "ca-1-1", "coupon", 3000, "安抚")
    request = comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损严重")
    agent_before = comp.authority_summary(ctx)
    lead_before = comp.authority_summary(lead)
    assert lead_before["pending_approvals"] == 1
    result = comp.approve(lead, request.compensation_id, "同意,下次注意包装")
    assert result.status == "approved"
    row = ctx.store.one("SELECT * FROM compensations WHERE id = ?", (request.compensation_id,))
    assert row["status"] == "approved" and row["decided_by"] == "a-zhaomin" and row["decision_note"]
    # Not the agent's spend; the lead's approval spend; the customer's cap.
    assert comp.authority_summary(ctx)["budget_left_fen"] == agent_before["budget_left_fen"] == 47000
    assert comp.authority_summary(lead)["approval_left_fen"] == lead_before["approval_left_fen"] - 8000
    assert comp.customer_history(ctx, "cu-1")["d30_fen"] == 11000
    note = ctx.store.one("SELECT * FROM messages WHERE case_id = 'ca-1-1' AND author = 'system'")
    assert note["body"] == "【系统】组长赵敏已批准优惠券 ¥80。备注：同意,下次注意包装"
    assert count(ctx, "SELECT count(*) FROM outbox WHERE entity = 'messages' AND entity_id = ?", note["id"]) == 1
    unseen = comp.unseen_decisions(ctx)
    assert [u["id"] for u in unseen] == [request.compensation_id]
    comp.mark_decisions_seen(ctx, [request.compensation_id])
    assert comp.unseen_decisions(ctx) == []
    with pytest.raises(comp.AuthorityError) as err:
        comp.approve(lead, request.compensation_id)
    assert err.value.code == "not_pending"
    assert audit.verify(ctx.store.conn).ok


def test_approval_rechecks_the_customer_cap_at_approval_time(world: tuple[Context, World]) -> None:
    ctx, _ = world
    lead, l2 = as_agent(ctx, "a-zhaomin"), as_agent(ctx, "a-wangqiang")
    request = comp.issue(ctx, "ca-1-1", "goodwill_payment", 20000, "物流延误")
    # Meanwhile another agent gives this customer ¥899 of cap actions (cap ¥1,000; ¥200 no longer fits).
    for case, action, amount in (("ca-1-1", "reship", 19900), ("ca-1-4", "reship", 50000),
                                 ("ca-1-2", "coupon", 10000), ("ca-1-3", "coupon", 10000)):
        assert comp.issue(l2, case, action, amount, "补发/安抚").status == "issued"
    refused = comp.approve(lead, request.compensation_id, "ok")
    assert refused.status == "approval_refused" and "customer_cap" in refused.decision.codes
    assert ctx.store.scalar("SELECT status FROM compensations WHERE id = ?", (request.compensation_id,)) == "requested"
    assert count(ctx, "SELECT count(*) FROM audit_log WHERE action = 'compensation.approve_refused'") == 1


def test_only_leads_decide_and_never_their_own(world: tuple[Context, World]) -> None:
    ctx, _ = world
    lead, peer = as_agent(ctx, "a-zhaomin"), as_agent(ctx, "a-chenjie")
    request = comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损")
    assert comp.approve(peer, request.compensation_id).decision.codes == ("approver_is_lead",)
    with pytest.raises(comp.AuthorityError):
        comp.reject(peer, request.compensation_id, "不行")
    own = comp.issue(lead, "ca-2-1", "coupon", 40000, "大客户投诉")  # over the lead's own ¥300
    assert own.status == "requested"
    assert comp.approve(lead, own.compensation_id).decision.codes == ("not_self",)


def test_reject_needs_a_note_and_tells_the_case(world: tuple[Context, World]) -> None:
    ctx, _ = world
    lead = as_agent(ctx, "a-zhaomin")
    request = comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损")
    with pytest.raises(comp.AuthorityError) as err:
        comp.reject(lead, request.compensation_id, " ")
    assert err.value.code == "note_required"
    assert comp.reject(lead, request.compensation_id, "先补发新品").status == "rejected"
    body = ctx.store.scalar("SELECT body FROM messages WHERE case_id = 'ca-1-1' AND author = 'system'")
    assert "驳回" in body and "先补发新品" in body
    assert [u["status"] for u in comp.unseen_decisions(ctx)] == ["rejected"]


def test_cancel_only_own_requests(world: tuple[Context, World]) -> None:
    ctx, _ = world
    request = comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损")
    with pytest.raises(comp.AuthorityError) as err:
        comp.cancel(as_agent(ctx, "a-chenjie"), request.compensation_id)
    assert err.value.code == "not_yours"
    assert comp.cancel(ctx, request.compensation_id, "顾客不要了").status == "cancelled"
    assert comp.pending(as_agent(ctx, "a-zhaomin")) == []


def test_batch_approval_refuses_above_the_second_threshold(world: tuple[Context, World]) -> None:
    ctx, _ = world
    lead, l2 = as_agent(ctx, "a-zhaomin"), as_agent(ctx, "a-wangqiang")
    small = comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损")
    late = comp.issue(l2, "ca-2-3", "full_refund", 69900, "破损退货")
    assert late.status == "refused"  # the jacket was delivered 10 days ago: not an eligible return
    large = comp.issue(l2, "ca-2-4", "exchange", 159900, "手表换新")  # ¥1,599 > L2 ¥800 → request
    assert large.status == "requested"
    results = comp.approve_many(lead, [small.compensation_id, large.compensation_id], "批量")
    assert [r.status for r in results] == ["approved", "approval_refused"]
    assert results[1].decision.codes == ("batch_threshold",)
    assert comp.approve(lead, large.compensation_id, "逐条看过").status == "approved"


def test_stale_requests_are_flagged(world: tuple[Context, World], clock: FrozenClock) -> None:
    ctx, _ = world
    lead = as_agent(ctx, "a-zhaomin")
    comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损")
    clock.advance(minutes=29)
    assert [r["stale"] for r in comp.pending(lead)] == [False]
    clock.advance(minutes=1)
    row = comp.pending(lead)[0]
    assert row["stale"] and row["waited_minutes"] == 30
    ctx.settings.approvals.stale_after_minutes = 45
    assert not comp.pending(lead)[0]["stale"]


def test_daily_budget_follows_the_shop_timezone_day(world: tuple[Context, World], clock: FrozenClock) -> None:
    ctx, built = world
    clock.current = clock.current.replace(hour=15, minute=59, second=0)  # 23:59 in Shanghai
    cases = built.all_cases()
    for case in cases[:10]:
        assert comp.issue(ctx, case, "coupon", 5000, "安抚").status == "issued"
    assert comp.authority_summary(ctx)["budget_left_fen"] == 0
    assert comp.issue(ctx, cases[10], "coupon", 100, "安抚").decision.codes == ("daily_budget",)
    clock.advance(minutes=1)  # 00:00 the next day in Shanghai, still 11-23 in UTC
    assert comp.authority_summary(ctx)["budget_left_fen"] == 50000
    assert comp.issue(ctx, cases[10], "coupon", 100, "新的一天").status == "issued"


def _grant(ctx: Context, agent: str, fen: int, granted_at: str, expires_at: str) -> None:
    with ctx.store.write() as conn:
        conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES ('offline_allowance', ?)",
                     (json.dumps({"agent_id": agent, "granted_fen": fen, "granted_at": granted_at,
                                  "expires_at": expires_at}),))


def test_offline_allowance_when_a_hub_is_configured(world: tuple[Context, World], clock: FrozenClock) -> None:
    ctx, _ = world
    ctx.settings.hub.url = "http://127.0.0.1:9"
    never_synced = comp.issue(ctx, "ca-1-1", "coupon", 1000, "安抚")
    assert never_synced.status == "requested" and never_synced.decision.codes == ("offline_no_allowance",)
    assert comp.issue(ctx, "ca-1-2", "reship", 8800, "补发").status == "issued"  # goods: no allowance needed
    now = clock.now()
    _grant(ctx, "a-lina", 5000, to_db(now - timedelta(minutes=5)), to_db(now + timedelta(hours=2)))
    first = comp.issue(ctx, "ca-1-3", "coupon", 3000, "安抚")
    assert first.status == "issued"
    assert ctx.store.scalar("SELECT offline FROM compensations WHERE id = ?", (first.compensation_id,)) == 1
    assert comp.authority_summary(ctx)["budget_left_fen"] == 2000
    over = comp.issue(ctx, "ca-1-4", "coupon", 2001, "安抚")
    assert over.decision.codes == ("offline_allowance",)
    assert comp.issue(ctx, "ca-1-4", "coupon", 2000, "安抚").status == "issued"
    _grant(ctx, "a-chenjie", 50000, to_db(now), to_db(now + timedelta(hours=2)))
    assert comp.issue(ctx, "ca-2-1", "coupon", 100, "安抚").decision.codes == ("offline_no_allowance",)
    _grant(ctx, "a-lina", 50000, to_db(now - timedelta(hours=3)), to_db(now))
    assert comp.issue(ctx, "ca-2-1", "coupon", 100, "安抚").decision.codes == ("offline_expired",)
    with ctx.store.write() as conn:
        conn.execute("UPDATE sync_state SET value = 'not json' WHERE key = 'offline_allowance'")
    assert comp.issue(ctx, "ca-2-1", "coupon", 100, "安抚").decision.codes == ("offline_unreadable",)


def test_signals_are_shown_but_never_block(world: tuple[Context, World]) -> None:
    ctx, _ = world
    with ctx.store.write() as conn:
        for i, case in enumerate(("ca-3-1", "ca-3-2")):
            conn.execute("INSERT INTO messages (id, case_id, author, body, at) VALUES (?, ?, 'customer', ?, ?)",
                         (f"nr-{i}", case, "快递显示签收了但我没收到", "2026-11-23T01:00:00Z"))
    comp.issue(as_agent(ctx, "a-chenjie"), "ca-3-1", "coupon", 5000, "安抚")
    found = {s.code: s for s in comp.signals(ctx, "cu-3", "o-3-kettle")}
    assert set(found) == {"not_received", "same_order_other_agents"}  # ¥50 of ¥200 lifetime: 25% < 30%
    comp.issue(as_agent(ctx, "a-wangqiang"), "ca-3-2", "coupon", 1000, "安抚")
    found = {s.code: s for s in comp.signals(ctx, "cu-3", "o-3-kettle")}
    assert set(found) == {"not_received", "same_order_other_agents", "payout_ratio"}
    assert found["not_received"].fields["count"] == 2
    assert "陈杰" in found["same_order_other_agents"].message("zh")
    assert found["payout_ratio"].fields["percent"] == 30
    assert found["payout_ratio"].message("en") == "Compensation so far ¥60 is 30% of lifetime spend ¥200"
    assert comp.issue(ctx, "ca-3-1", "reship", 19900, "补发").status == "issued"  # signals never block
    assert comp.signals(ctx, "cu-1", "o-1-kettle") == []


def test_history_windows(world: tuple[Context, World], clock: FrozenClock) -> None:
    ctx, _ = world
    start = clock.now()
    clock.current = start - timedelta(days=40)
    comp.issue(ctx, "ca-1-1", "coupon", 2000, "旧的")
    clock.current = start - timedelta(days=10)
    comp.issue(ctx, "ca-1-2", "coupon", 1000, "近的")
    clock.current = start
    hist = comp.customer_history(ctx, "cu-1")
    assert (hist["d30_fen"], hist["d30_count"], hist["d90_fen"], hist["d90_count"]) == (1000, 1, 3000, 2)


def test_team_policy_override_and_a_broken_one(world: tuple[Context, World]) -> None:
    ctx, _ = world
    ctx.paths.policy_file.parent.mkdir(parents=True, exist_ok=True)
    ctx.paths.policy_file.write_text(builtin_text().replace("coupon = 50\n", "coupon = 20\n"), "utf-8")
    assert comp.authority_summary(ctx)["per_case_limit_fen"] == 2000
    assert comp.issue(ctx, "ca-1-1", "coupon", 3000, "安抚").status == "requested"
    ctx.paths.policy_file.write_text("format = 1\nversion = [\n", "utf-8")
    with pytest.raises(PolicyError):
        comp.issue(ctx, "ca-1-1", "coupon", 1000, "安抚")
    summary = comp.authority_summary(ctx)
    assert summary["budget_left_fen"] == 0 and "policy.toml" in summary["error"]


def test_authority_summary_for_the_header(world: tuple[Context, World]) -> None:
    ctx, _ = world
    assert comp.authority_summary(ctx) == {
        "per_case_limit_fen": 5000, "budget_fen": 50000, "budget_left_fen": 50000, "budget_used_fen": 0,
        "action": "coupon", "tier": "L1", "policy_version": 1, "offline_left_fen": None,
    }
    comp.issue(ctx, "ca-1-1", "coupon", 3000, "安抚")
    assert comp.authority_summary(ctx)["budget_left_fen"] == 47000
    ctx.agent_id = ""
    assert comp.authority_summary(ctx) == {"per_case_limit_fen": 0, "budget_fen": 0, "budget_left_fen": 0}
