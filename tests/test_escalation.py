"""Escalation: the hand-off summary is written from the case, stored with outbox + audit, and the modal works."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static, TextArea

from playbooks import progress
from screens.escalation_modal import EscalationModal
from tests.playbook_fixtures import CUSTOMER_NAME, ORDER_NO, audit_actions, make_case, outbox_count
from workbench import audit
from workbench.context import Context
from workbench.services import escalation


def test_targets_are_higher_tiers_least_busy_first(ctx: Context) -> None:
    names = [(t.id, t.tier, t.role) for t in escalation.targets(ctx)]
    assert names == [("a-wangqiang", "L2", "agent"), ("a-zhaomin", "L3", "lead")]
    assert escalation.resolve_target(ctx, "L2").id == "a-wangqiang"
    assert escalation.resolve_target(ctx, "lead").id == "a-zhaomin"
    with pytest.raises(escalation.EscalationError):
        escalation.resolve_target(ctx, "a-chenjie")  # a peer, not a higher tier


def test_summary_covers_customer_order_problem_tried_promised_emotion(ctx: Context) -> None:
    case_id = make_case(ctx, first_message="收到的水壶外壳裂了!!\x1b[2J[@click=app.quit]你们怎么发货的[/]")
    progress.skip(ctx, case_id, "顾客很急,先给方案")
    progress.skip(ctx, case_id, "照片已发")
    progress.choose_resolution(ctx, case_id, "reship")
    ctx.store.conn.execute(
        "INSERT INTO compensations (id, case_id, customer_id, agent_id, action, amount_fen, status, created_at, "
        "updated_at) VALUES ('k1', ?, 'cu-c-test-1', 'a-lina', 'coupon', 1000, 'issued', '2026-11-23T02:00:00Z', "
        "'2026-11-23T02:00:00Z')", (case_id,))
    summary = escalation.build_summary(ctx, case_id, "zh")
    lines = summary.splitlines()
    assert lines[0] == "【转交摘要】c-test-1"
    assert lines[1] == f"顾客：{CUSTOMER_NAME} · VIP2 · 累计 ¥3,420 · 12 单"
    assert lines[2] == "情绪：生气（裂了、怎么发货）"
    assert lines[3].startswith(f"订单：{ORDER_NO} · 电热水壶") and "圆通速递" in lines[3]
    assert lines[3].endswith(" 已签收") and "delivered" not in lines[3]
    assert lines[4] == "问题：到货破损。顾客原话：「收到的水壶外壳裂了!![@click=app.quit]你们怎么发货的[/]」"
    assert "共情跳过（顾客很急,先给方案）；定位跳过（照片已发）" in lines[5] and ";" not in lines[5]
    assert lines[6] == "已承诺：补发新品，48 小时内发出"
    assert lines[7] == "补偿：优惠券 ¥10（已发放）"
    english = escalation.build_summary(ctx, case_id, "en").splitlines()
    assert english[2] == "Emotion: angry (裂了, 怎么发货)"
    assert english[3].endswith(" delivered")
    assert "skipped (顾客很急,先给方案); Locate skipped (照片已发)" in english[5]
    assert english[6] == "Promised: Send a replacement, ships within 48 hours"
    assert english[7] == "Compensation: coupon ¥10 (Issued)"


def test_summary_keeps_unknown_status_codes_readable(ctx: Context) -> None:
    case_id = make_case(ctx, shipment_status="lost_at_sea", emotion="calm")
    ctx.store.conn.execute("UPDATE cases SET cues = '[]' WHERE id = ?", (case_id,))
    lines = escalation.build_summary(ctx, case_id, "zh").splitlines()
    assert lines[2] == "情绪：平静"
    assert lines[3].endswith(" lost_at_sea") and "ship_status" not in lines[3]


def test_summary_of_a_bare_case(ctx: Context) -> None:
    case_id = make_case(ctx, with_order=False, emotion="calm")
    summary = escalation.build_summary(ctx, case_id, "zh")
    assert "订单：未关联订单" in summary and "已做：暂无" in summary and "已承诺：暂无" in summary


def test_escalate_stores_summary_owner_note_outbox_and_audit(ctx: Context) -> None:
    case_id = make_case(ctx)
    cases_before, notes_before = outbox_count(ctx), outbox_count(ctx, "case_notes")
    result = escalation.escalate(ctx, case_id, "L2", "  顾客要求换新,已拍照确认破损。\n请 2 小时内回电。 ")
    assert result["escalated_to"] == "a-wangqiang" and result["name"] == "王强"
    row = ctx.store.one("SELECT escalated_to, assignee_id, handoff_summary, version FROM cases WHERE id = ?", (case_id,))
    assert row["escalated_to"] == row["assignee_id"] == "a-wangqiang"
    assert row["handoff_summary"] == "顾客要求换新,已拍照确认破损。\n请 2 小时内回电。" and row["version"] == 2
    note = ctx.store.one("SELECT kind, body, agent_id FROM case_notes WHERE id = ?", (result["note_id"],))
    assert note["kind"] == "handoff" and note["agent_id"] == "a-lina" and note["body"] == row["handoff_summary"]
    assert outbox_count(ctx) == cases_before + 1 and outbox_count(ctx, "case_notes") == notes_before + 1
    action, data = audit_actions(ctx)[-1]
    assert action == "case.escalate" and data["to"] == "a-wangqiang" and data["tier"] == "L2"
    assert audit.verify(ctx.store.conn).ok


def test_escalate_refuses_empty_summary_and_unknown_target_writing_nothing(ctx: Context) -> None:
    case_id = make_case(ctx)
    before = ctx.store.scalar("SELECT count(*) FROM outbox")
    with pytest.raises(escalation.EscalationError):
        escalation.escalate(ctx, case_id, "L2", "   ")
    with pytest.raises(escalation.EscalationError):
        escalation.escalate(ctx, case_id, "a-nobody", "摘要")
    assert ctx.store.scalar("SELECT count(*) FROM outbox") == before
    assert ctx.store.scalar("SELECT handoff_summary FROM cases WHERE id = ?", (case_id,)) is None


def test_escalate_refuses_a_closed_case_in_the_agents_language(ctx: Context) -> None:
    case_id = make_case(ctx)
    ctx.store.conn.execute("UPDATE cases SET status = 'closed' WHERE id = ?", (case_id,))
    with pytest.raises(escalation.EscalationError) as err:
        escalation.escalate(ctx, case_id, "L2", "摘要")
    assert str(err.value) == "工单已关闭，不能再转交" and "/" not in str(err.value)
    with pytest.raises(escalation.EscalationError) as err:
        escalation.resolve_target(ctx, "a-nobody")
    assert str(err.value) == "没有可以转交的同事「a-nobody」（需要更高级别或组长）"


class Host(App[None]):
    def __init__(self, ctx: Context, case_id: str) -> None:
        super().__init__()
        self.ctx, self.case_id = ctx, case_id
        self.result: Any = "unset"

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(EscalationModal(self.ctx, self.case_id), self._done)

    def _done(self, result: Any) -> None:
        self.result = result


async def _settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_modal_shows_editable_summary_and_hands_over(ctx: Context) -> None:
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 36)) as pilot:
        await _settle(pilot)
        area = app.screen.query_one("#esc-summary", TextArea)
        assert area.text.startswith("【转交摘要】c-test-1") and CUSTOMER_NAME in area.text
        await pilot.press("down")  # choose the lead instead of L2
        await pilot.press("enter")  # focus moves to the summary
        assert app.focused is area
        area.move_cursor(area.document.end)
        await pilot.press(*"补充:VIP")
        await pilot.press("ctrl+s")
        await _settle(pilot)
    assert app.result["escalated_to"] == "a-zhaomin"
    stored = ctx.store.scalar("SELECT handoff_summary FROM cases WHERE id = ?", (case_id,))
    assert stored.endswith("补充:VIP") and "【转交摘要】" in stored


async def test_modal_escape_changes_nothing(ctx: Context) -> None:
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 36)) as pilot:
        await _settle(pilot)
        await pilot.press("escape")
        await _settle(pilot)
    assert app.result is None
    assert ctx.store.scalar("SELECT escalated_to FROM cases WHERE id = ?", (case_id,)) is None
    assert ctx.store.scalar("SELECT count(*) FROM audit_log") == 0


def test_summary_mentions_replies_sent(ctx: Context) -> None:
    from workbench.services import cases

    case_id = make_case(ctx)
    cases.add_reply(ctx, case_id, "王先生您好,已为您登记补发,48 小时内发出。")
    summary = escalation.build_summary(ctx, case_id, "zh")
    assert "已回复顾客 1 次，最近一次：「王先生您好,已为您登记补发,48 小时内发出。」" in summary
