"""Pilots for scheduling, becoming due and the lead's bulk actions; snapshots of the board (frozen clock)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import DataTable, Input, OptionList, RadioButton, Select, Static
from textual.worker import WorkerCancelled

from tests.followup_fixtures import make_ctx
from workbench.clock import FrozenClock
from workbench.context import Context
from workbench.services import followups


async def settle(pilot: Any, rounds: int = 4) -> None:
    """Let thread workers finish and their messages be handled. An exclusive worker replaced by a newer
    one ends as cancelled, which ``wait_for_complete`` raises; that is expected here, not a failure."""
    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
        await pilot.pause()


async def main_ready(pilot: Any) -> Any:
    """The real app's main screen once it shows a case."""
    for _ in range(60):
        await settle(pilot, 1)
        if getattr(pilot.app.screen, "view", None) is not None:
            return pilot.app.screen
    raise AssertionError("main screen never loaded a case")


class Host(App[Any]):
    """A bare app that shows one of our screens or modals (so tests do not depend on the main screen)."""

    def __init__(self, ctx: Context, make: Any) -> None:
        super().__init__()
        self.ctx, self.make = ctx, make
        self.result: Any = "not dismissed"
        self.opened: list[str] = []
        self.animation_level = "none"

    def on_mount(self) -> None:
        self.push_screen(self.make(self.ctx), self._done)

    def _done(self, result: Any) -> None:
        self.result = result

    def open_case(self, case_id: str) -> None:  # what WorkbenchApp.open_case does, recorded
        self.opened.append(case_id)


def modal(case_id: str, **kwargs: Any) -> Any:
    from screens.followup_modal import FollowUpModal

    return lambda ctx: FollowUpModal(ctx, case_id, **kwargs)


def board_screen(ctx: Context) -> Any:
    from screens.followups_screen import FollowUpsScreen

    return FollowUpsScreen(ctx)


def plain(widget: Static) -> str:
    return str(widget.render())


def table_text(table: DataTable) -> list[str]:
    return [" ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


@pytest.fixture
def fctx(tmp_path: Path, clock: FrozenClock) -> Context:
    return make_ctx(tmp_path, clock)


def seed_board(ctx: Context) -> None:
    """Follow-ups for the whole team with distinct due times (stable order in snapshots)."""
    plan = [("c-1", "call_back", "+1h", "a-lina", "回电确认补发的水壶收到没有"),
            ("c-2", "check_delivery", "+2h", "a-chenjie", "物流三天没动,催圆通"),
            ("c-4", "confirm_refund", "+3h", "a-lina", "确认 ¥20 退款到账"),
            ("c-3", "check_satisfaction", "今晚8点", "a-wangqiang", "满意度回访"),
            ("c-1", "promised_action", "明天上午", "a-lina", "答应顾客寄说明书"),
            ("c-2", "call_back", "后天下午3点", "a-chenjie", "[bold]不要解析[/] 的备注"),
            ("c-3", "check_satisfaction", "下周一 10:00", "a-wangqiang", "七天回访")]
    for case_id, kind, when, owner, note in plan:
        followups.schedule(ctx, case_id, kind, when=when, owner_id=owner, note=note)
    ctx.clock.advance(hours=2, minutes=10)  # +1h is overdue, +2h due within the grace, +3h later today


# ---- scheduling ---------------------------------------------------------------------------------
async def test_schedule_from_a_case_in_the_real_app(demo_ctx: Context) -> None:
    from tests.ui_helpers import make_app

    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        case_id = main.view.case["id"]
        await pilot.press("ctrl+f")
        await settle(pilot)
        when = app.screen.query_one("#fu-when", Input)
        when.focus()
        await pilot.press(*"明天下午3点")
        await settle(pilot)
        assert "2026-11-24 周二 15:00（Asia/Shanghai）" in plain(app.screen.query_one("#fu-preview", Static))
        app.screen.query_one("#fu-note", Input).value = "回电确认补发"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is main
    rows = followups.for_case(demo_ctx, case_id)
    mine = [r for r in rows if r["note"] == "回电确认补发"]
    assert len(mine) == 1 and mine[0]["due_at"] == "2026-11-24T07:00:00Z" and mine[0]["owner_id"] == "a-lina"


async def test_unreadable_time_lists_formats_and_blocks_saving(fctx: Context) -> None:
    app = Host(fctx, modal("c-1", when="等会儿"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        preview = plain(app.screen.query_one("#fu-preview", Static))
        assert "看不懂「等会儿」" in preview and "明天下午3点" in preview
        assert app.screen.query_one("#fu-save").disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert app.result == "not dismissed" and fctx.store.scalar("SELECT count(*) FROM follow_ups") == 0


async def test_past_time_asks_before_saving(fctx: Context) -> None:
    app = Host(fctx, modal("c-1", when="今天9点", kind="call_back"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "已经过去了" in plain(app.screen.query_one("#fu-message", Static))
        assert fctx.store.scalar("SELECT count(*) FROM follow_ups") == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert isinstance(app.result, dict) and app.result["status"] == "due"


async def test_quick_choice_after_delivery_and_merged_case(fctx: Context) -> None:
    app = Host(fctx, modal("c-1", when="after_delivery_3d", kind="check_satisfaction", note="三天后回访"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "签收后 3 天" in plain(app.screen.query_one("#fu-preview", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert json.loads(app.result["trigger"])["type"] == "after_delivery"
    merged = Host(fctx, modal("c-5"))
    async with merged.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "已合并到 c-2" in plain(merged.screen.query_one("#fu-case", Static))
        assert merged.screen.query_one("#fu-save").disabled
    no_order = Host(fctx, modal("c-4"))
    async with no_order.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert no_order.screen.query_one("#fu-quick-after_delivery_3d", RadioButton).disabled


async def test_delivery_preview_uses_parcels_read_once_off_the_ui_thread(fctx: Context, monkeypatch: Any) -> None:
    """The parcels are read once by the opening worker; until then the preview says so; typing a
    delivery trigger then runs no SQL on the UI thread, and what is saved matches the preview."""
    import threading

    from screens import followup_modal
    from tests.followup_fixtures import add_event

    now = fctx.clock.now()
    add_event(fctx, "s-1", "e-deliver", now - timedelta(hours=20), "delivered", "快件已签收,签收人:本人")
    gate, reads = threading.Event(), []
    real = followup_modal.read_parcels

    def held(ctx: Context, order_id: str | None) -> Any:
        reads.append(order_id)
        gate.wait(10)
        return real(ctx, order_id)

    monkeypatch.setattr(followup_modal, "read_parcels", held)
    app = Host(fctx, modal("c-1", kind="check_satisfaction"))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(50):
                await pilot.pause()
                if getattr(app.screen, "ready", False):
                    break
            screen = app.screen
            preview = screen.query_one("#fu-preview", Static)
            screen.query_one("#fu-when", Input).focus()
            await pilot.press(*"签收后5天")
            await pilot.pause()
            assert plain(preview) == "正在读取包裹信息，马上按签收时间算出提醒时间…"
            assert screen.query_one("#fu-save").disabled
            gate.set()
            await settle(pilot)
            # delivered 2026-11-22 14:00 shop time -> five days later at 10:00
            assert "2026-11-27 周五 10:00" in plain(preview) and "签收后 5 天 · 按签收时间" in plain(preview)

            statements: list[str] = []
            fctx.store.conn.set_trace_callback(statements.append)  # this thread is the UI thread
            try:
                await pilot.press("backspace", "backspace", *"3天")
                await pilot.pause()
            finally:
                fctx.store.conn.set_trace_callback(None)
            assert statements == [] and reads == ["o-1"]
            assert "2026-11-25 周三 10:00" in plain(preview) and "签收后 3 天" in plain(preview)
            await pilot.press("ctrl+s")
            await settle(pilot)
    finally:
        gate.set()
    assert app.result["due_at"] == "2026-11-25T02:00:00Z"
    assert json.loads(app.result["trigger"])["basis"] == "delivered"


async def test_time_preview_needs_no_parcels_and_a_missing_order_is_explained(fctx: Context) -> None:
    no_order = Host(fctx, modal("c-4"))
    async with no_order.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        when = no_order.screen.query_one("#fu-when", Input)
        when.focus()
        await pilot.press(*"签收后3天")
        await settle(pilot)
        assert "没有关联订单" in plain(no_order.screen.query_one("#fu-preview", Static))
        when.value = ""
        await pilot.press(*"明天下午3点")
        await settle(pilot)
        assert "2026-11-24 周二 15:00（Asia/Shanghai）" in plain(no_order.screen.query_one("#fu-preview", Static))


# ---- becoming due -------------------------------------------------------------------------------
async def test_a_follow_up_becomes_due_as_the_clock_moves(fctx: Context, clock: FrozenClock) -> None:
    row = followups.schedule(fctx, "c-1", "call_back", when="+1h", note="回电")
    app = Host(fctx, board_screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#fu-table", DataTable)
        assert table.row_count == 0  # "到期/逾期" view: nothing due yet
        clock.advance(minutes=61)
        newly_due = followups.refresh_states(fctx)  # what the app's 30-second timer does
        assert [r["id"] for r in newly_due] == [row["id"]]
        for due in newly_due:
            app.notify(f"到期:{due['note']}")
        app.screen.action_reload()
        await settle(pilot)
        assert table.row_count == 1 and "到期" in table_text(table)[0]
        clock.advance(minutes=20)
        app.screen.action_reload()
        await settle(pilot)
        assert "逾期" in table_text(table)[0]
        assert followups.refresh_states(fctx) == []  # notified only once


# ---- the lead's board ---------------------------------------------------------------------------
async def test_lead_reassigns_in_bulk(fctx: Context) -> None:
    seed_board(fctx)
    fctx.agent_id = "a-zhaomin"
    app = Host(fctx, board_screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")  # 全部未完成
        await settle(pilot)
        table = app.screen.query_one("#fu-table", DataTable)
        assert table.row_count == 7
        await pilot.press("space", "space", "space")
        await settle(pilot)
        chosen = sorted(app.screen.selected)
        assert len(chosen) == 3
        await pilot.press("r")
        await settle(pilot)
        options = app.screen.query_one("#ra-agents", OptionList)
        target = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == "a-wangqiang")
        options.highlighted = target
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.selected == set()
        assert [n.message for n in app._notifications][-1] == "已处理 3 条。"  # nothing skipped: not said
    for fu_id in chosen:
        row = followups.get(fctx, fu_id)
        assert row["owner_id"] == "a-wangqiang"
        assert followups.history(fctx, fu_id)[-1]["actor"] == "a-zhaomin"


async def test_lead_marks_done_in_bulk_with_a_note_and_opens_a_case(fctx: Context) -> None:
    seed_board(fctx)
    fctx.agent_id = "a-zhaomin"
    app = Host(fctx, board_screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#fu-table", DataTable)
        assert table.row_count == 1  # overdue view
        await pilot.press("enter")
        assert app.opened == ["c-1"]
        await pilot.press("a", "d")
        await settle(pilot)
        await pilot.press(*"已回电,顾客满意", "enter")
        await settle(pilot)
        assert table.row_count == 0
    done = fctx.store.query("SELECT done_note, updated_by FROM follow_ups WHERE status = 'done'")
    assert [tuple(r) for r in done] == [("已回电,顾客满意", "a-zhaomin")]


async def test_agent_sees_only_their_own_and_filters(fctx: Context) -> None:
    seed_board(fctx)
    app = Host(fctx, board_screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        table = app.screen.query_one("#fu-table", DataTable)
        assert table.row_count == 3  # 李娜's three
        app.screen.query_one("#fu-kind-filter", Select).value = "promised_action"
        await settle(pilot)
        assert table.row_count == 1 and "寄说明书" in table_text(table)[0]
        app.screen.query_one("#fu-kind-filter", Select).clear()
        await pilot.press("slash", *"退款")
        await settle(pilot)
        assert table.row_count == 1 and "¥20" in table_text(table)[0]


async def test_hostile_notes_are_shown_literally(fctx: Context, shared_data: Path) -> None:
    lines = (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines()
    hostile = [json.loads(line)["text"] for line in lines if line.strip()][:40]
    for n, text in enumerate(hostile):
        followups.schedule(fctx, "c-1", "call_back", when=f"+{n + 1}m", note=text[:2000])
    fctx.clock.advance(hours=2)
    app = Host(fctx, board_screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#fu-table", DataTable)
        assert table.row_count == len(hostile)
        text = "\n".join(table_text(table))
        assert "\x1b" not in text and "\x9b" not in text
        assert "[@click=app.quit]" in text or "[link=" in text
    assert app.return_code in (None, 0)


async def test_handoff_moves_everything_to_a_colleague(fctx: Context) -> None:
    from screens.confirm_modal import ConfirmModal
    from screens.handoff_screen import HandoffScreen

    seed_board(fctx)
    fctx.agent_id = "a-zhaomin"
    app = Host(fctx, lambda ctx: HandoffScreen(ctx, "a-lina"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#ho-followups", DataTable).row_count == 2
        assert app.screen.query_one("#ho-promised", DataTable).row_count == 1
        app.screen.query_one("#ho-target", Select).value = "a-chenjie"
        await pilot.press("ctrl+s")  # first the totals, to be confirmed
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        question = plain(confirm.query_one("#confirm-question", Static))
        assert question.startswith("把 李娜 手上没办完的全部交给 陈杰：跟进 2 条，答应顾客的事 1 件")
        await pilot.press("escape")  # changed their mind: nothing moves
        await settle(pilot)
        assert app.screen.query_one("#ho-followups", DataTable).row_count == 2
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#ho-followups", DataTable).row_count == 0
        done = [n.message for n in app._notifications][-1]
        assert done == "已交接：跟进 3 条，工单 3 个。"  # nothing skipped: "跳过 0 项" is left out
    owners = {r[0] for r in fctx.store.query("SELECT owner_id FROM follow_ups WHERE status IN ('scheduled', 'due')")}
    assert "a-lina" not in owners


async def test_handoff_says_how_many_there_are_when_the_lists_are_cut(fctx: Context, clock: FrozenClock,
                                                                       monkeypatch: Any) -> None:
    from screens.handoff_screen import HandoffScreen
    from tests.test_followups_service import seed_more_than_a_page
    from workbench.services import handoff

    seed_more_than_a_page(fctx, clock)
    monkeypatch.setattr(handoff, "LIMIT", 2)
    app = Host(fctx, lambda ctx: HandoffScreen(ctx, "a-lina"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        heads = {s: plain(screen.query_one(f"#ho-head-{s}", Static))
                 for s in ("followups", "promised", "approvals", "sla_risk")}
        assert heads == {"followups": "跟进 · 显示前 2 条，共 5 条", "promised": "答应顾客的事 · 1 件",
                         "approvals": "等组长审批的补偿 · 显示前 2 笔，共 3 笔",
                         "sla_risk": "SLA 快到或已超时 · 显示前 2 单，共 3 单"}
        assert screen.query_one("#ho-followups", DataTable).row_count == 2
        counts = plain(screen.query_one("#ho-counts", Static))
        assert "跟进 5 条（逾期 5 条）" in counts and "待审批补偿 3 笔" in counts and "SLA 快超时 3 单" in counts
        assert "每类最多列出 2 项" in counts and "没列出来的也一起交出去" in counts
        screen.query_one("#ho-target", Select).value = "a-wangqiang"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "跟进 5 条，答应顾客的事 1 件，待审批补偿 3 笔和 SLA 快到的 3 单" in plain(
            app.screen.query_one("#confirm-question", Static))  # the totals, not the two listed
        await pilot.press("enter")
        await settle(pilot)
        done = [n.message for n in app._notifications][-1]
        assert done == "已交接：跟进 6 条，工单 3 个。"  # all of them, not the two listed of each
        assert plain(screen.query_one("#ho-counts", Static)).startswith("跟进 0 条")


def test_trigger_plan_preview_uses_the_catalog_brackets(fctx: Context) -> None:
    from screens.followup_format import plan_text
    from workbench.i18n import set_language

    now = fctx.clock.now()
    plan = followups.Plan(now + timedelta(days=3), "trigger", trigger={"type": "after_delivery", "days": 3})
    assert plan_text(plan, now, "Asia/Shanghai").plain == "→ 2026-11-26 周四 10:00（Asia/Shanghai） · 3 天后 · 签收后 3 天"
    set_language("en")
    try:
        assert plan_text(plan, now, "Asia/Shanghai").plain.startswith("→ 2026-11-26 Thu 10:00 (Asia/Shanghai) · in 3 d")
    finally:
        set_language("zh")


# ---- snapshots ----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_lead_board_snapshot(snap_compare: Any, fctx: Context, size: tuple[int, int]) -> None:
    seed_board(fctx)
    fctx.agent_id = "a-zhaomin"

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)

    assert snap_compare(Host(fctx, board_screen), terminal_size=size, run_before=ready)


def test_lead_board_by_agent_snapshot(snap_compare: Any, fctx: Context) -> None:
    seed_board(fctx)
    fctx.agent_id = "a-zhaomin"

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)

    assert snap_compare(Host(fctx, board_screen), terminal_size=(120, 40), run_before=ready)
