"""Keyboard-only pilots: the stepper (stages, reasons, close gate), the composer (quick replies, field
prompts, lint), the quick-reply and playbook-switch modals, and one demo case walked on the real app."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input

from playbooks import loader, progress
from screens.quick_reply_modal import QuickReplyModal
from screens.skip_reason_modal import SkipReasonModal
from tests.playbook_fixtures import CUSTOMER_NAME, ORDER_NO, PRODUCT, make_case
from widgets.composer import Composer
from widgets.stepper import Stepper
from workbench.context import Context
from workbench.services import cases


class Host(App[None]):
    """The stepper and the composer wired the way the main screen wires them."""

    def __init__(self, ctx: Context, case_id: str) -> None:
        super().__init__()
        self.ctx, self.case_id = ctx, case_id
        self.blink = False
        self.sent: list[str] = []
        self.stage_changes = 0

    def compose(self) -> ComposeResult:
        yield Stepper(self.ctx, id="stepper")
        yield Composer(self.ctx, id="composer")

    def on_mount(self) -> None:
        self.reload()
        self.query_one(Stepper).focus()

    def reload(self) -> None:
        view = cases.load(self.ctx, self.case_id, with_kb=False)
        self.query_one(Stepper).show_case(view)
        self.query_one(Composer).set_case(view)

    def on_stepper_insert_phrase(self, message: Stepper.InsertPhrase) -> None:
        self.query_one(Composer).insert_text(message.text)

    def on_stepper_stage_changed(self, message: Stepper.StageChanged) -> None:
        self.stage_changes += 1
        self.reload()

    def on_composer_submitted(self, message: Composer.Submitted) -> None:
        self.sent.append(message.text)

    def on_stepper_open_compensation(self, message: Stepper.OpenCompensation) -> None:
        from screens.compensation_modal import CompensationModal

        self.push_screen(CompensationModal(self.ctx, message.case_id, action=message.action,
                                           amount_fen=message.amount_fen), message.on_done)

    def on_stepper_ask_reason(self, message: Stepper.AskReason) -> None:
        self.push_screen(SkipReasonModal(self.ctx, message.prompt), message.on_done)

    def on_stepper_choose_playbook(self, message: Stepper.ChoosePlaybook) -> None:
        from screens.playbook_switch_modal import PlaybookSwitchModal

        self.push_screen(PlaybookSwitchModal(self.ctx, message.current_id), message.on_done)

    def on_stepper_open_follow_up(self, message: Stepper.OpenFollowUp) -> None:
        from screens.followup_modal import FollowUpModal

        self.push_screen(FollowUpModal(self.ctx, message.case_id, kind=message.kind, when=message.when,
                                       note=message.note), message.on_done)


async def settle(pilot: Any, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def db_progress(ctx: Context, case_id: str) -> progress.Progress:
    return progress.load(ctx, case_id)


@pytest.fixture
def no_feature_modals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stepper without the compensation and follow-up flows: it records choices itself."""
    monkeypatch.setattr(Stepper, "flows", False)


async def type_reason(pilot: Any, reason: str) -> None:
    assert isinstance(pilot.app.screen, SkipReasonModal)
    await pilot.press(*reason, "enter")
    await settle(pilot)


async def test_walk_all_stages_with_reasons_and_close_gate(ctx: Context, no_feature_modals: None) -> None:
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        stepper = app.query_one(Stepper)
        assert "① 共情 ●" in str(stepper.query_one("#stepper-head").render())
        await pilot.press("space")  # tick 先回应情绪
        await settle(pilot)
        assert db_progress(ctx, case_id).checked("empathize") == {"ack"}
        await pilot.press("n")  # one item still open → asks why
        await settle(pilot)
        await type_reason(pilot, "ok")
        assert db_progress(ctx, case_id).stage == "locate"
        await pilot.press("i")  # the locate phrasing goes into the reply box
        await settle(pilot)
        composer = app.query_one(Composer)
        assert ORDER_NO in composer.area.text and "拍两张照片" in composer.area.text
        stepper.focus()
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("escape")  # cancelled skip: nothing changes
        await settle(pilot)
        assert db_progress(ctx, case_id).stage == "locate"
        await pilot.press("s")
        await settle(pilot)
        await type_reason(pilot, "照片已在首条消息")
        p = db_progress(ctx, case_id)
        assert p.stage == "resolve" and p.state["stages"]["locate"]["reason"] == "照片已在首条消息"
        await pilot.press("2")  # 全额退款 (recorded: no compensation flow in this host)
        await settle(pilot)
        p = db_progress(ctx, case_id)
        assert p.resolution["option"] == "refund" and p.resolution["amount_fen"] == 19900
        assert "¥199" in str(stepper.query_one("#stepper-say").render())
        await pilot.press("space", "n")
        await settle(pilot)
        p = db_progress(ctx, case_id)
        assert p.stage == "close" and p.followup["kind"] == "check_satisfaction"
        assert p.followup["status"] == "recorded"
        await pilot.press("c")  # 闭环 still open → the close gate asks for a reason
        await settle(pilot)
        assert isinstance(app.screen, SkipReasonModal)
        await pilot.press("escape")
        await settle(pilot)
        assert ctx.store.scalar("SELECT status FROM cases WHERE id = ?", (case_id,)) == "open"
        await pilot.press("c")
        await settle(pilot)
        await type_reason(pilot, "顾客已确认收到退款,不需要回访")
        assert ctx.store.scalar("SELECT status FROM cases WHERE id = ?", (case_id,)) == "closed"
        assert "工单已关闭" in str(stepper.query_one("#stepper-head").render())
        assert app.stage_changes >= 6
    actions = [r[0] for r in ctx.store.query("SELECT action FROM audit_log ORDER BY seq")]
    assert actions == ["playbook.stage_incomplete", "playbook.stage_skip", "playbook.close_skip", "case.close"]


async def test_empty_reason_is_refused_in_the_modal(ctx: Context) -> None:
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("space", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SkipReasonModal)
        assert "至少两个字" in str(app.screen.query_one("#skip-reason-error").render())
        assert db_progress(ctx, case_id).stage == "empathize"


async def test_option_opens_the_compensation_flow_when_present(ctx: Context) -> None:
    case_id = make_case(ctx)
    progress.skip(ctx, case_id, "跳过")
    progress.skip(ctx, case_id, "跳过")
    app = Host(ctx, case_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")  # this playbook has three options: a message, nothing opens
        await settle(pilot)
        assert type(app.screen).__name__ == "Screen"
        assert any("没有第 4 个方案" in n.message for n in app._notifications)
        await pilot.press("2")
        await settle(pilot)
        assert type(app.screen).__name__ == "CompensationModal"
        assert app.screen.case_id == case_id
        await pilot.press("escape")  # cancelled: no option recorded
        await settle(pilot)
        assert db_progress(ctx, case_id).resolution is None


async def test_switch_playbook_with_the_keyboard(ctx: Context) -> None:
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert type(app.screen).__name__ == "PlaybookSwitchModal"
        await pilot.press("up", "enter")  # the list is sorted by id: complaint sits before damaged_item
        await settle(pilot)
        assert db_progress(ctx, case_id).playbook.id == "complaint"
        assert "投诉" in str(app.query_one(Stepper).query_one("#stepper-head").render())


# ----- composer --------------------------------------------------------------------------------------

async def test_shortcut_expands_filled_from_the_case(ctx: Context) -> None:
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        composer = app.query_one(Composer)
        composer.area.focus()
        await pilot.press(*"/bf ")
        await settle(pilot)
        text = composer.area.text
        assert text.startswith(f"{CUSTOMER_NAME}您好，给您补发的{PRODUCT}会在 48 小时内发出")
        assert "/bf" not in text and composer.prompting is None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.sent == [text.strip()]


async def test_missing_field_is_prompted_and_blocks_sending(ctx: Context) -> None:
    case_id = make_case(ctx, shipment_status="in_transit")
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        composer = app.query_one(Composer)
        composer.area.focus()
        await pilot.press(*"/wl ")
        await settle(pilot)
        assert "{eta}" in composer.area.text and composer.prompting == "eta"
        assert app.focused is composer.query_one("#composer-field", Input)
        await pilot.press("escape")  # later…
        await settle(pilot)
        assert composer.prompting is None and app.focused is composer.area
        await pilot.press("ctrl+s")  # …but it is not sent with {eta} in it
        await settle(pilot)
        assert app.sent == [] and composer.prompting == "eta"
        await pilot.press(*"明天18点前", "enter")
        await settle(pilot)
        assert "预计 明天18点前 送达" in composer.area.text and "{eta}" not in composer.area.text
        assert app.focused is composer.area
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(app.sent) == 1 and "{" not in app.sent[0]


async def test_lint_shows_the_reason_while_typing(ctx: Context) -> None:
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        composer = app.query_one(Composer)
        composer.area.focus()
        await pilot.press(*"亲,不好意思哦,会尽快处理")
        await settle(pilot)
        shown = str(composer.query_one("#composer-lint").render())
        assert composer.query_one("#composer-lint").display
        assert "只有套话" in shown and "承诺没有时间" in shown
        assert {f.rule_id for f in composer.findings} == {"zh.cliche.qin", "zh.promise.no_time"}
        await pilot.press(*",今天18:00前补发")
        await settle(pilot)
        assert composer.findings == [] and not composer.query_one("#composer-lint").display


async def test_hostile_customer_name_stays_literal_in_stepper_and_composer(ctx: Context) -> None:
    name = "[@click=app.quit]王[/]\x1b]52;c;ZWNobw==\x07"
    case_id = make_case(ctx, customer_name=name)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        say = str(app.query_one(Stepper).query_one("#stepper-say").render())
        assert "[@click=app.quit]王[/]您好" in say and "\x1b" not in say
        await pilot.press("i")
        await settle(pilot)
        assert app.query_one(Composer).area.text.startswith("[@click=app.quit]王[/]您好")
        assert app.is_running


# ----- quick reply modal -----------------------------------------------------------------------------

class ModalHost(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.modal, self.result = screen, "unset"

    def on_mount(self) -> None:
        self.push_screen(self.modal, lambda result: setattr(self, "result", result))


async def test_quick_reply_modal_searches_pinyin_and_returns_filled_text(ctx: Context) -> None:
    case_id = make_case(ctx)
    app = ModalHost(QuickReplyModal(ctx, case_id))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"tkyb")
        await settle(pilot)
        assert "退款" in str(app.screen.query_one("#qr-preview").render())
        await pilot.press("enter")
        await settle(pilot)
    assert app.result.startswith(f"{CUSTOMER_NAME}您好，退款 ")


async def test_quick_reply_modal_escape_returns_none(ctx: Context) -> None:
    app = ModalHost(QuickReplyModal(ctx, make_case(ctx)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"bf", "down", "escape")
        await settle(pilot)
    assert app.result is None


# ----- the real app ----------------------------------------------------------------------------------

async def test_demo_case_through_four_stages_on_the_real_app(demo_ctx: Context) -> None:
    """Keyboard only: pick a fresh case in the queue, then 共情 → 定位 (skipped) → 解决 → 闭环 → close gate."""
    from tests.ui_helpers import main_ready, make_app

    registry = loader.registry(demo_ctx)

    def suitable(case: dict[str, Any]) -> bool:
        playbook = registry.for_intent(case["intent"])
        return case["stage"] == "empathize" and case["status"] == "open" and any(
            o.action == "none" for o in playbook.stage("resolve").options)

    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        for _ in range(30):  # walk down the queue to a fresh case whose playbook has a no-money option
            if suitable(main.view.case):
                break
            await pilot.press("down")
            await settle(pilot)
        assert suitable(main.view.case)
        await settle(pilot)
        stepper = main.query_one(Stepper)
        case_id = main.view.case["id"]
        for _ in range(20):
            if app.focused is stepper:
                break
            await pilot.press("tab")
        assert app.focused is stepper and stepper.case_id == case_id
        options = stepper.progress.playbook.stage("resolve").options
        await pilot.press("space", "n")  # 共情: tick the first item, move on
        await settle(pilot)
        if isinstance(app.screen, SkipReasonModal):
            await type_reason(pilot, "其余几项已口头完成")
        assert progress.load(demo_ctx, case_id).stage == "locate"
        await pilot.press("s")  # 定位: skipped, with a reason
        await settle(pilot)
        await type_reason(pilot, "单号已在历史工单里")
        number = next(n for n, o in enumerate(options, start=1) if o.action == "none")
        await pilot.press(str(number))  # 解决: the option that needs no authority
        await settle(pilot)
        assert progress.load(demo_ctx, case_id).resolution["option"] == options[number - 1].id
        await pilot.press("n")  # into 闭环: the default follow-up is proposed
        await settle(pilot)
        if isinstance(app.screen, SkipReasonModal):
            await type_reason(pilot, "方案已执行")
        spec = stepper.progress.playbook.stage("close").followup
        assert type(app.screen).__name__ == "FollowUpModal"
        await settle(pilot)
        await pilot.press("ctrl+s")  # accept the proposed follow-up as it is
        await settle(pilot)
        recorded = progress.load(demo_ctx, case_id).followup
        assert recorded is not None and recorded["status"] == "scheduled"
        fu = demo_ctx.store.one("SELECT case_id, kind FROM follow_ups WHERE id = ?", (recorded["id"],))
        assert fu is not None and (fu["case_id"], fu["kind"]) == (case_id, spec.kind)
        p = progress.load(demo_ctx, case_id)
        assert p.stage == "close" and p.followup is not None and p.followup["kind"] == spec.kind
        assert app.screen is main
        await pilot.press("c")  # 闭环 items still open: the close gate asks why
        await settle(pilot)
        await type_reason(pilot, "顾客确认已解决")
        row = demo_ctx.store.one("SELECT status, stage, playbook_id FROM cases WHERE id = ?", (case_id,))
        assert (row["status"], row["stage"], row["playbook_id"]) == ("closed", "close", p.playbook.id)
        reasons = [r[0] for r in demo_ctx.store.query(
            "SELECT json_extract(data, '$.reason') FROM audit_log WHERE entity_id = ? ORDER BY seq", (case_id,))]
        assert "单号已在历史工单里" in reasons and "顾客确认已解决" in reasons


async def test_broken_team_playbook_is_announced_and_builtins_keep_working(ctx: Context) -> None:
    team = ctx.paths.playbooks_dir
    team.mkdir(parents=True)
    (team / "damaged_item.toml").write_text('id = "damaged_item"\nintents = ["damaged_item"]\n', "utf-8")
    case_id = make_case(ctx)
    app = Host(ctx, case_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("damaged_item.toml" in m and "missing required field" in m for m in messages), messages
        stepper = app.query_one(Stepper)
        assert stepper.progress.playbook.builtin and stepper.progress.playbook.id == "damaged_item"
        await pilot.press("space")
        await settle(pilot)
        assert db_progress(ctx, case_id).checked("empathize") == {"ack"}
