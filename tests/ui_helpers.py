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


async def main_ready(pilot: Pilot[Any], editor: bool = True) -> Any:
    """Wait until the queue and the first case are loaded and the work that waits for the first frame
    (widgets.first_frame: reply editor, KB suggestions, notices) has run; returns the main screen.
    ``editor=False`` returns once the case is shown (for tests that hold the reply editor back)."""
    app = pilot.app
    for _ in range(200):
        await settle(pilot, 1)
        screen = app.screen
        if getattr(screen, "view", None) is None:
            continue
        if not editor:
            return screen  # pausing now would wait on the held-back editor
        if screen.started and screen.query("#reply"):
            await settle(pilot)
            return screen
        await pilot.pause(0.01)
    raise AssertionError("main screen never loaded a case")
