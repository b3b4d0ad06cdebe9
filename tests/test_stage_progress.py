"""Stage progress service: reasons for skips and open items, the close gate, outbox + audit, restarts."""

from __future__ import annotations

import json

import pytest

from playbooks import loader, progress
from playbooks.progress import CloseBlocked, ProgressError, ReasonRequired
from tests.playbook_fixtures import audit_actions, make_case, outbox_count
from workbench import audit
from workbench.context import Context, open_context


def _row(ctx: Context, case_id: str) -> dict:
    return dict(ctx.store.one("SELECT * FROM cases WHERE id = ?", (case_id,)))


def test_fresh_case_gets_its_intents_playbook_without_writing(ctx: Context) -> None:
    case_id = make_case(ctx, intent="damaged_item")
    before = outbox_count(ctx)
    p = progress.load(ctx, case_id)
    assert p.playbook.id == "damaged_item" and p.stage == "empathize"
    assert outbox_count(ctx) == before
    assert _row(ctx, case_id)["playbook_id"] is None


@pytest.mark.parametrize("intent, expected", [("where_is_order", "logistics"), ("delivery_problem", "logistics"),
                                              ("other", "general"), ("complaint", "complaint")])
def test_intent_mapping(ctx: Context, intent: str, expected: str) -> None:
    case_id = make_case(ctx, intent=intent)
    assert progress.load(ctx, case_id).playbook.id == expected


def test_toggle_writes_row_and_outbox_and_bumps_version(ctx: Context) -> None:
    case_id = make_case(ctx)
    before, version = outbox_count(ctx), _row(ctx, case_id)["version"]
    p = progress.toggle_item(ctx, case_id, "ack")
    assert p.checked("empathize") == {"ack"}
    row = _row(ctx, case_id)
    assert row["playbook_id"] == "damaged_item" and row["version"] == version + 1
    assert json.loads(row["stage_state"])["stages"]["empathize"]["checked"] == ["ack"]
    assert outbox_count(ctx) == before + 1
    payload = json.loads(ctx.store.scalar("SELECT payload FROM outbox ORDER BY seq DESC LIMIT 1"))
    assert payload["id"] == case_id and "stage_state" in payload
    progress.toggle_item(ctx, case_id, "ack")
    assert progress.load(ctx, case_id).checked("empathize") == set()


def test_moving_on_with_open_items_needs_a_reason_which_is_stored_and_audited(ctx: Context) -> None:
    case_id = make_case(ctx)
    progress.toggle_item(ctx, case_id, "ack")
    before = outbox_count(ctx)
    with pytest.raises(ReasonRequired) as raised:
        progress.advance(ctx, case_id)
    assert raised.value.open_items == ["own"]
    assert outbox_count(ctx) == before and progress.load(ctx, case_id).stage == "empathize"
    with pytest.raises(ProgressError):
        progress.advance(ctx, case_id, reason=" ")
    p = progress.advance(ctx, case_id, reason="顾客情绪已平复,直接处理")
    assert p.stage == "locate"
    entry = p.state["stages"]["empathize"]
    assert entry["status"] == "done" and entry["reason"] == "顾客情绪已平复,直接处理" and entry["open_items"] == ["own"]
    action, data = audit_actions(ctx)[-1]
    assert action == "playbook.stage_incomplete" and data["reason"] == "顾客情绪已平复,直接处理"
    assert audit.verify(ctx.store.conn).ok


def test_complete_stage_moves_on_without_a_reason_or_audit(ctx: Context) -> None:
    case_id = make_case(ctx)
    for item in ("ack", "own"):
        progress.toggle_item(ctx, case_id, item)
    p = progress.advance(ctx, case_id)
    assert p.stage == "locate" and "reason" not in p.state["stages"]["empathize"]
    assert audit_actions(ctx) == []


def test_skip_needs_a_reason_and_is_audited(ctx: Context) -> None:
    case_id = make_case(ctx)
    with pytest.raises(ProgressError):
        progress.skip(ctx, case_id, "")
    p = progress.skip(ctx, case_id, "老顾客,已在上一单处理过情绪")
    assert p.stage == "locate" and p.status("empathize") == "skipped"
    assert audit_actions(ctx)[-1] == ("playbook.stage_skip", {"stage": "empathize", "reason": "老顾客,已在上一单处理过情绪",
                                                              "playbook": "damaged_item"})


def test_resolve_requires_an_option_and_records_it(ctx: Context) -> None:
    case_id = make_case(ctx)
    progress.skip(ctx, case_id, "跳过共情")
    progress.skip(ctx, case_id, "照片已在首条消息")
    p = progress.load(ctx, case_id)
    assert p.stage == "resolve" and progress.RESOLUTION_ITEM in p.open_items("resolve")
    with pytest.raises(ProgressError):
        progress.choose_resolution(ctx, case_id, "bribe")
    p = progress.choose_resolution(ctx, case_id, "refund", amount_fen=19900)
    assert p.resolution["action"] == "full_refund" and p.resolution["amount_fen"] == 19900
    assert p.resolution["label"]["zh"] == "全额退款" and "工作日" in p.resolution["time"]["zh"]
    assert progress.RESOLUTION_ITEM not in p.open_items("resolve")
    p = progress.choose_resolution(ctx, case_id, "reship", outcome={"id": "k1", "status": "issued", "amount_fen": 0,
                                                                     "extra": object()})
    assert p.resolution["result"] == {"id": "k1", "status": "issued", "amount_fen": 0}


def _to_close(ctx: Context, case_id: str) -> None:
    for _ in range(3):
        progress.skip(ctx, case_id, "测试快速推进")


def test_close_gate_blocks_until_a_reason_is_given(ctx: Context) -> None:
    case_id = make_case(ctx)
    _to_close(ctx, case_id)
    before = outbox_count(ctx)
    with pytest.raises(CloseBlocked) as raised:
        progress.close_case(ctx, case_id)
    assert raised.value.open_stages == ["close"]
    assert _row(ctx, case_id)["status"] == "open" and outbox_count(ctx) == before
    p = progress.close_case(ctx, case_id, reason="顾客明确表示不需要回访")
    row = _row(ctx, case_id)
    assert row["status"] == "closed" and row["closed_at"] == "2026-11-23T02:00:00Z" and p.closed
    assert p.status("close") == "skipped" and p.state["stages"]["close"]["reason"] == "顾客明确表示不需要回访"
    actions = [a for a, _ in audit_actions(ctx)]
    assert actions[-2:] == ["playbook.close_skip", "case.close"]
    with pytest.raises(ProgressError):
        progress.toggle_item(ctx, case_id, "confirm")


def test_close_gate_also_blocks_a_case_never_started(ctx: Context) -> None:
    case_id = make_case(ctx)
    with pytest.raises(CloseBlocked) as raised:
        progress.close_case(ctx, case_id)
    assert raised.value.open_stages == ["empathize", "locate", "resolve", "close"]


def test_finished_playbook_closes_without_a_reason(ctx: Context) -> None:
    case_id = make_case(ctx)
    _to_close(ctx, case_id)
    for item in ("confirm", "feedback"):
        progress.toggle_item(ctx, case_id, item)
    with pytest.raises(ReasonRequired) as raised:
        progress.advance(ctx, case_id)
    assert raised.value.open_items == [progress.FOLLOWUP_ITEM]
    progress.record_followup(ctx, case_id, "check_satisfaction", "3d_after_delivery", note="回访")
    p = progress.advance(ctx, case_id)
    assert p.complete and p.stage == "close"
    p = progress.close_case(ctx, case_id)
    assert p.closed and audit_actions(ctx)[-1][0] == "case.close"


def test_progress_survives_a_restart(ctx: Context, tmp_path) -> None:
    case_id = make_case(ctx)
    progress.toggle_item(ctx, case_id, "ack")
    progress.skip(ctx, case_id, "已共情")
    ctx.store.close()
    again = open_context(db=tmp_path / "cache.db", agent="a-lina", clock=ctx.clock)
    p = progress.load(again, case_id)
    assert p.stage == "locate" and p.checked("empathize") == {"ack"} and p.status("empathize") == "skipped"


def test_switch_playbook_keeps_statuses_and_drops_foreign_ticks(ctx: Context) -> None:
    case_id = make_case(ctx)
    progress.toggle_item(ctx, case_id, "own")
    progress.skip(ctx, case_id, "跳过")
    p = progress.switch_playbook(ctx, case_id, "complaint")
    assert p.playbook.id == "complaint" and p.stage == "locate" and p.status("empathize") == "skipped"
    assert p.checked("empathize") == set()
    assert _row(ctx, case_id)["playbook_id"] == "complaint"
    with pytest.raises(ProgressError):
        progress.switch_playbook(ctx, case_id, "nope")


def test_back_reopens_the_previous_stage(ctx: Context) -> None:
    case_id = make_case(ctx)
    with pytest.raises(ProgressError):
        progress.back(ctx, case_id)
    progress.skip(ctx, case_id, "跳过共情")
    p = progress.back(ctx, case_id)
    assert p.stage == "empathize" and p.status("empathize") == "open"


def test_corrupt_state_is_kept_not_lost(ctx: Context) -> None:
    case_id = make_case(ctx)
    ctx.store.conn.execute("UPDATE cases SET stage_state = '{broken', stage = 'bogus' WHERE id = ?", (case_id,))
    p = progress.load(ctx, case_id)
    assert p.stage == "empathize"
    p = progress.toggle_item(ctx, case_id, "ack")
    assert p.state["previous_raw"] == "{broken"


def test_unknown_item_is_refused(ctx: Context) -> None:
    case_id = make_case(ctx)
    with pytest.raises(ProgressError) as raised:
        progress.toggle_item(ctx, case_id, "nope")
    assert raised.value.code == "unknown_item"


def test_missing_team_playbook_falls_back_to_intent(ctx: Context) -> None:
    case_id = make_case(ctx, intent="invoice")
    ctx.store.conn.execute("UPDATE cases SET playbook_id = 'team_gone' WHERE id = ?", (case_id,))
    loader.reload(ctx)
    p = progress.load(ctx, case_id)
    assert p.playbook.id == "invoice" and p.playbook_missing == "team_gone"
