"""Chinese text in a notification that lies over the edge between two panes stays whole
(widgets/wide_chars.py), and screens without floating widgets draw exactly as Textual draws them."""

from __future__ import annotations

from typing import Any

import pytest
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from widgets import wide_chars
from workbench.app import create_app
from workbench.context import Context
from tests.ui_helpers import main_ready

MESSAGE = "只有组长可以打开这个页面，请联系组长审批"
ORIGINAL = Compositor.__dict__["_render_chops"]


class TwoPanes(App[None]):
    """Two panes side by side; a notification is drawn over both, across the edge between them."""

    CSS = "#left { width: 1fr; } #right { width: 22; }"  # puts the edge under the 9th character

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("左侧" * 200, id="left")
            yield Static("右侧" * 200, id="right")


def _lines(app: App[Any]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _styled(app: App[Any]) -> list[list[tuple[str, Any]]]:
    return [[(segment.text, segment.style) for segment in strip] for strip in app.screen._compositor.render_strips()]


@pytest.fixture
def patched() -> None:
    assert wide_chars.install()
    assert Compositor.__dict__["_render_chops"] is not ORIGINAL


async def test_a_notification_over_the_edge_keeps_every_character(patched: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    app = TwoPanes()
    async with app.run_test(size=(80, 12), notifications=True) as pilot:
        app.notify(MESSAGE, timeout=30)
        await pilot.pause(0.6)  # the toast has faded in
        assert any(MESSAGE[:12] in line for line in _lines(app))
        # The same frame drawn the way Textual does it loses the characters on the edge: what this fixes.
        monkeypatch.setattr(Compositor, "_render_chops", ORIGINAL)
        assert not any(MESSAGE[:12] in line for line in _lines(app))


def _partial_update_text(app: App[Any], pane: str) -> str:
    """What Textual writes to the terminal when only ``pane`` (under the notification) changed."""
    import re

    from rich.console import Console

    compositor = app.screen._compositor
    region = compositor.visible_widgets[app.query_one(pane)][0].intersection(compositor.size.region)
    compositor._dirty_regions.add(region)
    update = compositor.render_partial_update()
    assert update is not None
    console = Console(width=80, force_terminal=True, color_system=None)
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "|", update.render_segments(console))


async def test_a_pane_redrawn_under_the_notification_does_not_break_it(patched: None,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    app = TwoPanes()
    async with app.run_test(size=(80, 12), notifications=True) as pilot:
        await pilot.pause()
        app.notify(MESSAGE, timeout=30)
        await pilot.pause(0.6)
        assert MESSAGE[:12] in _partial_update_text(app, "#left")  # written whole, over both panes
        assert "组长" not in _partial_update_text(app, "#right")  # covered by the toast: nothing to redo
        monkeypatch.setattr(Compositor, "_render_chops", ORIGINAL)
        assert MESSAGE[:12] not in _partial_update_text(app, "#left")


async def test_the_workbench_draws_exactly_as_textual_where_nothing_floats(demo_ctx: Context,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(demo_ctx, blink=False)
    assert wide_chars.installed()
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        ours = _styled(app)
        monkeypatch.setattr(Compositor, "_render_chops", ORIGINAL)
        assert _styled(app) == ours


async def test_a_dropdown_over_the_edge_keeps_its_options_whole(patched: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Select

    class WithSelect(App[None]):
        CSS = "#left { width: 10; } #right { width: 1fr; } Select { width: 50; }"  # edge under an option

        def compose(self) -> ComposeResult:
            yield Select([("交给王强（晚班组长）处理", 1), ("交给陈杰", 2)], id="pick")
            with Horizontal():
                yield Static("左侧" * 200, id="left")
                yield Static("右侧" * 200, id="right")

    app = WithSelect()
    async with app.run_test(size=(80, 16)) as pilot:
        await pilot.click("#pick")
        await pilot.pause(0.3)
        assert app.query_one("#pick", Select).expanded
        assert any("交给王强（晚班组长）处理" in line for line in _lines(app))
        monkeypatch.setattr(Compositor, "_render_chops", ORIGINAL)
        assert not any("交给王强（晚班组长）处理" in line for line in _lines(app))
