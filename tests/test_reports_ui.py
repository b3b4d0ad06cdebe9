"""The lead's Reports screen: figures on screen, moving through days, stale loads dropped, failures shown,
hostile agent names shown literally, the lead-only F7 key in the real app, and snapshots at 80×24 and
120×40 (frozen clock, the hand-built day from test_reports)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import DataTable, Static

from tests.test_reports import DAY, seed
from tests.ui_helpers import main_ready, make_app, settle
from workbench.context import Context
from workbench.services import reports


class Host(App[Any]):
    """A bare app showing only the Reports screen (no main screen, no sync)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.animation_level = "none"

    def on_mount(self) -> None:
        from screens.reports_screen import ReportsScreen

        self.push_screen(ReportsScreen(self.ctx))


@pytest.fixture
def lead_ctx(ctx: Context) -> Context:
    seed(ctx)
    ctx.agent_id = "a-zhaomin"
    return ctx


def shown(app: App[Any], selector: str) -> str:
    return app.screen.query_one(selector, Static).render().plain  # type: ignore[union-attr]


def rows(app: App[Any]) -> list[list[str]]:
    table = app.screen.query_one("#rp-agents", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_day_on_screen(lead_ctx: Context) -> None:
    app = Host(lead_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "团队报表  2026-11-23（周一）  全组  数据截至 11-23 10:00" in shown(app, "#rp-title")
        assert shown(app, "#rp-card-sla").splitlines() == ["首响达标率", "50.0%", "超时 3·待回复 1"]
        assert shown(app, "#rp-card-fcr").splitlines() == ["一次解决率", "42.9%", "3 / 7 单"]
        assert shown(app, "#rp-card-response").splitlines()[1] == "9分45秒"
        assert shown(app, "#rp-card-spend").splitlines()[1:] == ["¥45", "3 笔"]
        assert shown(app, "#rp-card-approvals").splitlines()[1:] == ["待 1·批 1·驳 1", "当前待审 2"]
        assert shown(app, "#rp-card-followups").splitlines()[1:] == ["完成 2·逾期 2", "超时完成 1"]
        assert shown(app, "#rp-card-proactive").splitlines()[1:] == ["联系 2·回复 1", "回复率 50.0%"]
        table = rows(app)
        assert [r[0] for r in table] == ["陈杰", "李娜", "王强", "赵敏", "未分配", "合计"]
        assert table[1] == ["李娜", "3", "2", "66.7%", "1", "100.0%", "7分0秒", "¥10", "2", "1"]
        assert table[-1][1:6] == ["7", "7", "50.0%", "3", "42.9%"]
        reasons = shown(app, "#rp-reasons").splitlines()
        assert reasons[0] == "咨询原因 Top 10" and reasons[1].startswith("到货破损 ████████████ 3")
        assert shown(app, "#rp-spend").splitlines()[1:] == ["部分退款  1 笔  ¥30", "优惠券    2 笔  ¥15"]


async def test_keys_move_through_days_and_weeks(lead_ctx: Context) -> None:
    app = Host(lead_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("left")  # the agents table has focus; the screen's key still wins
        await settle(pilot)
        assert "2026-11-22（周日）" in shown(app, "#rp-title")
        assert shown(app, "#rp-card-cases").splitlines()[1] == "进 1·结 0"
        assert shown(app, "#rp-card-spend").splitlines()[1] == "¥5.50"
        await pilot.press("right")
        await settle(pilot)
        assert "2026-11-23（周一）" in shown(app, "#rp-title")
        await pilot.press("right")  # no later day than today
        await settle(pilot)
        assert "2026-11-23（周一）" in shown(app, "#rp-title")
        assert any("已经是今天了" in n.message for n in app._notifications)
        await pilot.press("w")
        await settle(pilot)
        assert "2026-11-17 至 2026-11-23（共 7 天）" in shown(app, "#rp-title")
        assert shown(app, "#rp-card-cases").splitlines()[1] == "进 10·结 7"
        await pilot.press("left", "left", "t")
        await settle(pilot)
        assert "2026-11-17 至 2026-11-23" in shown(app, "#rp-title")
        await pilot.press("w")
        await settle(pilot)
        assert "2026-11-23（周一）" in shown(app, "#rp-title")
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ != "ReportsScreen"


async def test_a_late_result_for_another_day_is_dropped(lead_ctx: Context) -> None:
    from screens.reports_screen import Failed, Loaded

    app = Host(lead_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        old = reports.build(lead_ctx, DAY.replace(day=20))
        screen.post_message(Loaded(old))
        screen.post_message(Failed(DAY.replace(day=20), 1, "boom"))
        await settle(pilot)
        assert screen.report is not None and screen.report.period.last == DAY  # type: ignore[attr-defined]
        assert shown(app, "#rp-card-cases").splitlines()[1] == "进 7·结 7"
        assert "boom" not in shown(app, "#rp-title")


async def test_a_failed_load_is_reported(lead_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> reports.Report:
        raise reports.ReportError("缓存读不出来")

    monkeypatch.setattr(reports, "build", broken)
    app = Host(lead_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "报表没算出来：缓存读不出来" in shown(app, "#rp-title")
        assert any("缓存读不出来" in n.message for n in app._notifications)


async def test_hostile_agent_names_are_literal(lead_ctx: Context, shared_data: Path) -> None:
    samples = [json.loads(line) for line in (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines()]
    by_id = {s["id"]: s["text"] for s in samples}
    with lead_ctx.store.write() as conn:
        conn.execute("UPDATE agents SET name = ? WHERE id = 'a-lina'", (by_id["markup_click_quit"],))
        conn.execute("UPDATE agents SET name = ? WHERE id = 'a-chenjie'", (by_id["markup_close"],))
        conn.execute("UPDATE agents SET name = ? WHERE id = 'a-wangqiang'", ("王\x1b]52;c;ZXZpbA==\x07强\u202e",))
    app = Host(lead_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = [r[0] for r in rows(app)]
        assert names[0] == "[/]" and names[1] == "[@click=app…"  # literal, cut to 12 characters
        assert names[2] == "王强⟨U+202E⟩"
        assert all("\x1b" not in name and "\x07" not in name for name in names)
        assert app.is_running  # the click markup did not become an action


async def test_lead_opens_reports_with_f7_in_the_real_app(demo_ctx: Context) -> None:
    demo_ctx.agent_id = "a-zhaomin"
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert type(app.screen).__name__ == "ReportsScreen"
        assert shown(app, "#rp-card-cases").splitlines()[1] == "进 40·结 0"
        bindings = {b.id for b in app.screen.BINDINGS if hasattr(b, "id")}  # type: ignore[union-attr]
        assert {"reports.prev_day", "reports.next_day", "reports.today", "reports.range", "reports.back"} <= bindings


async def test_an_agent_cannot_open_reports(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)  # signed in as 李娜 (L1 agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert type(app.screen).__name__ != "ReportsScreen"


# ----- snapshots ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare: Any, lead_ctx: Context, size: tuple[int, int]) -> None:
    async def ready(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(Host(lead_ctx), terminal_size=size, run_before=ready)
