"""Pilot and snapshots: an L1 agent gives ¥30 (allowed), then ¥80 (a request); the lead approves it on the
approvals screen; the agent sees the decision on the case and in a notification.

The modal and the screen run in a bare host App with the same Context the real App passes them, so
these tests do not depend on the main screen; one test also opens the modal from the real App.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input
from textual.worker import WorkerCancelled

from screens.approvals_screen import ApprovalsScreen
from screens.compensation_modal import CompensationModal
from tests.authority_world import as_agent, build_world, world_context, zh_language  # noqa: F401 (fixture)
from workbench.clock import FrozenClock
from workbench.context import Context
from workbench.services import compensation as comp
from workbench.store import Store
from workbench.store.migrate import migrate

HOSTILE_MESSAGE = "[@click=app.quit]查看物流[/] 还是没收到\x1b]52;c;ZXZpbA==\x07"

pytestmark = pytest.mark.usefixtures("zh_language")


class Host(App[None]):
    """Pushes one screen on mount; records dismiss results and notifications."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make = make
        self.results: list[Any] = []
        self.notes: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.results.append)

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append(str(message))
        super().notify(message, *args, **kwargs)


@pytest.fixture
def ctx(tmp_path: Path, clock: FrozenClock) -> Context:
    store = Store(tmp_path / "cache.db")
    migrate(store)
    build_world(store, clock.now())
    with store.write() as conn:
        conn.execute("INSERT INTO messages (id, case_id, author, body, at) VALUES ('m-x', 'ca-1-1', 'customer', ?, ?)",
                     (HOSTILE_MESSAGE, "2026-11-23T01:30:00Z"))
    store.close()
    return world_context(tmp_path / "cache.db", clock)


async def settle(pilot: Pilot[Any], rounds: int = 6) -> None:
    """Let thread workers finish and their messages be handled (an exclusive worker may cancel an older one)."""
    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()


def screen_text(app: App[Any]) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


async def give(ctx: Context, amount: str, reason: str) -> tuple[Host, str, str, Any]:
    """Open the modal as the agent, type amount and reason, submit; returns label, preview and result."""
    app = Host(lambda: CompensationModal(ctx, "ca-1-1"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        modal = app.screen
        await pilot.press(*amount)
        modal.query_one("#comp-reason", Input).value = reason
        await settle(pilot)
        label = str(modal.query_one("#comp-submit", Button).label)
        preview = screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
    return app, label, preview, app.results[-1] if app.results else None


async def test_agent_gives_30_then_80_becomes_a_request_the_lead_approves_the_agent_sees(ctx: Context) -> None:
    _, label, preview, result = await give(ctx, "30", "外壳破损,补偿安抚")
    assert label == "发放" and "在权限内，可直接发放" in preview and "单次权限 ¥50" in preview
    assert result["status"] == "issued" and result["amount_fen"] == 3000

    _, label, preview, result = await give(ctx, "80", "外壳裂得厉害,顾客很生气")
    assert label == "提交审批"
    assert "超出单次权限 ¥50" in preview and "今日余额 ¥470/¥500" in preview
    assert result["status"] == "requested"
    request_id = result["id"]

    lead = as_agent(ctx, "a-zhaomin")
    app = Host(lambda: ApprovalsScreen(lead))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#ap-table", DataTable)
        assert table.row_count == 1
        text = screen_text(app)
        assert "外壳裂得厉害" in text and "收到的水壶外壳裂了" in text and "超出单次权限 ¥50" in text
        assert "[@click=app.quit]查看物流[/]" in text and "\x1b" not in text  # literal, no escape reaches us
        await pilot.press("n", *"同意", "enter")
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one("#ap-table", DataTable).row_count == 0
        assert any("已批准优惠券 ¥80" in note for note in app.notes)
    assert ctx.store.scalar("SELECT status FROM compensations WHERE id = ?", (request_id,)) == "approved"

    # The agent: the decision is on the case, and a notification announces it once.
    body = ctx.store.scalar("SELECT body FROM messages WHERE case_id = 'ca-1-1' AND author = 'system'")
    assert body == "【系统】组长赵敏已批准优惠券 ¥80。备注：同意"
    app = Host(lambda: ApprovalsScreen(ctx))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any("你的申请有新结果" in note and "已批准" in note for note in app.notes)
        assert "已批准" in screen_text(app) and "我的补偿申请" in screen_text(app)
        await pilot.press("a")  # an agent cannot approve anything here
        await settle(pilot)
        assert any("只有组长可以审批" in note for note in app.notes)
    assert comp.unseen_decisions(ctx) == []


async def test_lead_batch_approves_small_requests_only_and_sees_stale_ones(ctx: Context, clock: FrozenClock) -> None:
    small_1 = comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳破损")
    small_2 = comp.issue(as_agent(ctx, "a-chenjie"), "ca-2-1", "coupon", 6000, "物流慢")
    large = comp.issue(as_agent(ctx, "a-wangqiang"), "ca-2-4", "exchange", 159900, "手表换新")
    clock.advance(minutes=31)
    app = Host(lambda: ApprovalsScreen(as_agent(ctx, "a-zhaomin")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert text.count("超时") == 3 + 1 and "逐条" in text  # three overdue rows + the summary line
        await pilot.press("space", "down", "space", "down", "space", "b")
        await settle(pilot)
        assert any("需逐条审批" in n and "¥1,599" in n for n in app.notes)
        assert any("通过 2 条" in n for n in app.notes)
        assert app.screen.query_one("#ap-table", DataTable).row_count == 1
    status = dict(ctx.store.query("SELECT id, status FROM compensations"))
    assert status[small_1.compensation_id] == status[small_2.compensation_id] == "approved"
    assert status[large.compensation_id] == "requested"


async def test_modal_refuses_bad_amounts_and_requires_a_reason(ctx: Context) -> None:
    app = Host(lambda: CompensationModal(ctx, "ca-1-1"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        modal = app.screen
        for bad in ("50.005", "-1", "1e9", "NaN", "五十"):
            modal.query_one("#comp-amount", Input).value = bad
            await settle(pilot)
            assert modal.query_one("#comp-submit", Button).disabled, bad
            assert "金额" in screen_text(app)
        modal.query_one("#comp-amount", Input).value = "20"
        await settle(pilot)
        assert not modal.query_one("#comp-submit", Button).disabled
        await pilot.press("ctrl+s")  # no reason yet
        await settle(pilot)
        assert app.results == [] and any("请填写补偿原因" in n for n in app.notes)
        await pilot.press("escape")
        await settle(pilot)
    assert app.results == [None]
    assert ctx.store.scalar("SELECT count(*) FROM compensations") == 0


async def test_denied_action_disables_the_button(ctx: Context) -> None:
    app = Host(lambda: CompensationModal(ctx, "ca-1-2", action="full_refund"))  # 生鲜: excluded goods
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#comp-amount", Input).value == "88"  # prefilled with the refundable
        assert app.screen.query_one("#comp-submit", Button).disabled
        assert "生鲜类商品不适用七天无理由" in screen_text(app)


async def test_modal_opens_from_the_real_app(demo_ctx: Context) -> None:
    from tests.ui_helpers import main_ready, make_app

    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(app.screen, CompensationModal)
        assert "单次权限 ¥50" in screen_text(app)


# ----- snapshots ------------------------------------------------------------------------------

def _snapshot_data(ctx: Context, clock: FrozenClock) -> None:
    with ctx.store.write() as conn:
        conn.execute("INSERT INTO messages (id, case_id, author, body, at) VALUES ('m-nr', 'ca-1-2', 'customer', "
                     "'快递显示签收但我没收到', '2026-11-22T01:00:00Z')")
    comp.issue(ctx, "ca-1-1", "coupon", 3000, "外壳破损,补偿安抚")
    comp.issue(as_agent(ctx, "a-chenjie"), "ca-1-1", "return_shipping", 1200, "退货运费")


def _quiet(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_compensation_modal(ctx: Context, clock: FrozenClock, size: tuple[int, int], snap_compare: Any) -> None:
    _snapshot_data(ctx, clock)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*"80")
        pilot.app.screen.query_one("#comp-reason", Input).value = "外壳裂得厉害,顾客很生气"
        _quiet(pilot)
        await settle(pilot)

    assert snap_compare(Host(lambda: CompensationModal(ctx, "ca-1-1")), terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_approvals_screen(ctx: Context, clock: FrozenClock, size: tuple[int, int], snap_compare: Any) -> None:
    _snapshot_data(ctx, clock)
    comp.issue(ctx, "ca-1-1", "coupon", 8000, "外壳裂得厉害,顾客很生气")
    clock.advance(minutes=20)
    comp.issue(as_agent(ctx, "a-chenjie"), "ca-2-4", "coupon", 60000, "[red]大额[/red] 投诉升级")
    clock.advance(minutes=15)
    comp.issue(as_agent(ctx, "a-wangqiang"), "ca-3-1", "goodwill_payment", 20000, "物流延误,小额打款")

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        _quiet(pilot)
        await settle(pilot)

    lead = as_agent(ctx, "a-zhaomin")
    assert snap_compare(Host(lambda: ApprovalsScreen(lead)), terminal_size=size, run_before=before)


def _hostile(shared_data: Path) -> list[str]:
    import json

    rows = [json.loads(line) for line in (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines()]
    return [row["text"] * row.get("repeat", 1) for row in rows]


async def test_hostile_text_is_shown_literally_everywhere(ctx: Context, shared_data: Path) -> None:
    """Customer names, messages and reasons from the hostile corpus: no action fires, no escape gets out."""
    texts = _hostile(shared_data)
    with ctx.store.write() as conn:
        conn.execute("UPDATE customers SET name = ? WHERE id = 'cu-1'", ("[@click=app.quit]王磊[/]\x1b[2J",))
        for i, text in enumerate(texts):
            conn.execute("INSERT INTO messages (id, case_id, author, body, at) VALUES (?, 'ca-1-1', 'customer', ?, ?)",
                         (f"h-{i}", text, f"2026-11-23T01:{i:02d}:00Z"))
    for text in texts:
        assert comp.issue(ctx, "ca-1-1", "coupon", 8000, "原因:" + text[:600]).status == "requested"
    app = Host(lambda: ApprovalsScreen(as_agent(ctx, "a-zhaomin")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        seen = ""
        for _ in texts:
            seen += screen_text(app)
            await pilot.press("down")
            await pilot.pause()
        assert app.is_running and isinstance(app.screen, ApprovalsScreen)
        assert "\x1b" not in seen and "\x9b" not in seen and "\u202e" not in seen
        assert "[@click=app.quit]查看物流[/]" in seen and "[link=https://evil.example]退款[/link]" in seen
        assert "⟨U+202E⟩" in seen
    app = Host(lambda: CompensationModal(ctx, "ca-1-1"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert app.is_running and "[@click=app.quit]王磊[/]" in text and "\x1b" not in text
