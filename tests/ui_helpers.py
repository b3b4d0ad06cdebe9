"""Helpers for pilot and snapshot tests of the real app (built through the same factory as the CLI)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from workbench.app import WorkbenchApp, create_app
from workbench.context import Context


def make_app(ctx: Context) -> WorkbenchApp:
    return create_app(ctx, blink=False)


async def settle(pilot: Pilot[Any], rounds: int = 4) -> None:
    """Let thread workers finish and their messages be handled (no sleeps on wall-clock time)."""
    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # an exclusive worker replaced an older one: expected when keys arrive quickly
        await pilot.pause()


async def main_ready(pilot: Pilot[Any]) -> Any:
    """Wait until the queue and the first case are loaded; returns the main screen."""
    app = pilot.app
    for _ in range(50):
        await settle(pilot, 1)
        screen = app.screen
        if getattr(screen, "view", None) is not None:
            return screen
    raise AssertionError("main screen never loaded a case")
