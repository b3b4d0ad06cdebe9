"""The App factory wires injected data sources and the sync runner: banners, refreshes, sync-now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tests.ui_helpers import main_ready, settle
from workbench.app import create_app
from workbench.context import Context


@dataclass
class FakeResult:
    ok: bool
    count: int
    error: str | None = None


@dataclass
class FakeSource:
    """Stands in for adapters.sources.Source: same name/interval/refresh contract, no network."""

    name: str
    outcomes: list[FakeResult]
    interval: timedelta = timedelta(minutes=15)
    calls: int = 0

    async def refresh(self, ctx: Context) -> FakeResult:
        self.calls += 1
        return self.outcomes[min(self.calls - 1, len(self.outcomes) - 1)]


@dataclass
class FakeRunner:
    """Stands in for workbench.sync.runner.SyncRunner (start/stop/trigger, on_report callback)."""

    on_report: Any = None
    events: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")

    def trigger(self) -> None:
        self.events.append("trigger")


async def test_failing_source_shows_a_banner_and_keeps_cached_data(demo_ctx: Context) -> None:
    source = FakeSource("myshop", [FakeResult(False, 0, "401 token rejected [bold]x[/]"), FakeResult(True, 3)])
    app = create_app(demo_ctx, sources=[source], blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        rows_before = len(main.query_one("#queue").rows)
        app._refresh_source(source)
        await settle(pilot)
        banner = main.query_one("#banner")
        assert banner.display and "myshop" in str(banner.render()) and "[bold]x[/]" in str(banner.render())
        assert banner.region.y == 1 and banner.region.height >= 1  # right under the header
        assert len(main.query_one("#queue").rows) == rows_before  # cached data stays on screen
        app._refresh_source(source)
        await settle(pilot)
        assert not banner.display and source.calls == 2


async def test_sync_runner_is_started_triggered_and_stopped(demo_ctx: Context) -> None:
    runner = FakeRunner()
    app = create_app(demo_ctx, sync_runner=runner, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        assert runner.events == ["start"] and callable(runner.on_report)
        app.request_sync()
        assert runner.events[-1] == "trigger"
    assert runner.events[-1] == "stop"


async def test_sync_now_without_a_hub_says_so(demo_ctx: Context) -> None:
    app = create_app(demo_ctx, blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        app.request_sync()
        await pilot.pause()
        assert any("WORKBENCH_HUB_URL" in str(n.message) for n in app._notifications)


def test_english_ui_in_a_fresh_process(demo_db: Any) -> None:
    """Key labels come from the catalog when the screen modules load, so the CLI chooses the language
    first; checked in a fresh process the way `workbench --lang en` starts."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import asyncio
        from workbench import cli
        args = cli._app_only(["--db", {str(demo_db)!r}, "--agent", "a-lina", "--lang", "en"])
        ctx = cli.context_from(args)
        ctx.agent_id = "a-lina"
        from workbench.app import create_app
        app = create_app(ctx, blink=False)
        async def main():
            async with app.run_test(size=(160, 40)) as pilot:
                for _ in range(100):
                    await pilot.pause(0.02)
                    if getattr(app.screen, "view", None) is not None and str(
                            app.screen.query_one("#status").render()).strip():
                        break
                print(str(app.screen.query_one("#keys").render()))
                print(str(app.screen.query_one("#status").render()))
        asyncio.run(main())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Compensate" in result.stdout and "补偿" not in result.stdout
    assert "standalone" in result.stdout
