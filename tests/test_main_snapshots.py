"""SVG snapshots of the main screen with Chinese demo data at 80×24, 120×40 and 200×50 (frozen clock)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui_helpers import main_ready, make_app
from workbench.context import Context


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)], ids=["80x24", "120x40", "200x50"])
def test_main_screen_snapshot(snap_compare: Any, demo_ctx: Context, size: tuple[int, int]) -> None:
    async def ready(pilot: Any) -> None:
        await main_ready(pilot)

    assert snap_compare(make_app(demo_ctx), terminal_size=size, run_before=ready)
