"""The Sync screen: pending, rejections with reason and next step, conflicts with both versions, errors;
hostile text shown literally; the sync key asks the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Static

from adapters.hub_sqlite import SqliteHub
from screens.sync_screen import SyncScreen, diff_lines
from workbench.clock import FrozenClock
from workbench.i18n import set_language, t
from workbench.sync.engine import record_error, sync_once
from workbench.sync.protocol import HubUnavailable
from tests.sync_support import NOW, insert, make_cache, seed_world, update


class Host(App[None]):
    def __init__(self, screen: SyncScreen) -> None:
        super().__init__()
        self.start, self.sync_requests = screen, 0

    def on_mount(self) -> None:
        self.push_screen(self.start)

    def request_sync(self) -> None:
        self.sync_requests += 1


def text_of(app: App[Any], widget_id: str) -> str:
    return str(app.screen.query_one(widget_id, Static).content)


async def test_sync_screen_shows_what_the_agent_must_know(tmp_path: Path, shared_data: Path) -> None:
    set_language("zh")
    hostile = [json.loads(line) for line in (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines()
               if line.strip()]
    nasty_text = next(h["text"] for h in hostile if h["id"] == "markup_click_quit")
    clock = FrozenClock()
    ctx = make_cache(tmp_path / "c.db", "a-lina", clock, f"sqlite:///{tmp_path / 'hub.db'}")
    seed_world(ctx)
    hub = SqliteHub(tmp_path / "hub.db", "a-lina", clock=clock)
    from workbench.authority.policy import builtin_text

    hub.set_policy(builtin_text())
    update(ctx, "cases", "c-kettle", {"stage": "resolve"})
    sync_once(ctx, hub)
    update(ctx, "cases", "c-kettle", {"stage": "locate", "subject": nasty_text})
    insert(ctx, "compensations", {"id": "k-" + nasty_text, "case_id": "c-kettle", "customer_id": "cu-wang", "agent_id": "a-lina",
                                  "action": "coupon", "amount_fen": 9000, "status": "issued", "created_at": NOW,
                                  "updated_at": NOW})
    sync_once(ctx, hub)
    insert(ctx, "case_notes", {"id": "n-wait", "case_id": "c-kettle", "agent_id": "a-lina", "body": "待发", "at": NOW})
    record_error(ctx, "sqlite:///hub", str(HubUnavailable("连接被重置 [red]x[/]")), online=False)

    app = Host(SyncScreen(ctx))
    async with app.run_test(size=(120, 50)) as pilot:
        for _ in range(5):
            await app.workers.wait_for_complete()
            await pilot.pause()
        rejected = text_of(app, "#sync-rejected")
        assert t("sync.reason.case_limit") in rejected and "limit_fen=5000" in rejected
        assert t("sync.next.case_limit") in rejected and "¥90" in rejected
        conflicts = text_of(app, "#sync-conflict")
        assert t("sync.reason.stage_backwards") in conflicts and "stage: locate → resolve" in conflicts
        assert nasty_text in rejected  # shown literally: no action link, no MarkupError
        assert "n-wait" in text_of(app, "#sync-pending")
        assert "[red]x[/]" in text_of(app, "#sync-errors")  # literal, not styled
        assert t("sync.offline") in text_of(app, "#sync-status")
        await pilot.press("s")
        assert app.sync_requests == 1
        await pilot.press("escape")


def test_diff_lines_lists_only_disagreeing_fields() -> None:
    assert diff_lines({"a": 1, "b": "x", "version": 2}, {"a": 1, "b": "y", "c": 3, "version": 5}) == [("b", "x", "y")]
