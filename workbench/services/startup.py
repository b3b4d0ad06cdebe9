"""What the main screen shows first (queue, first case, header figures), loaded in one go.

The workbench opens on the agent's queue with its most urgent case already open. Loading that is a few
indexed queries; starting them in a thread while the UI toolkit is still being imported means the first
frame the agent sees is the complete one, not an empty frame followed by the data a moment later.
The same function backs the main screen's queue worker, so there is one definition of "the first screen".

Threads only overlap where SQLite releases the interpreter lock, and the importing UI thread holds it
most of the time, so the main screen waits briefly for the preload before its first frame
(:func:`wait_for`) instead of drawing an empty frame and the data a moment later.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

import threading
from concurrent.futures import Future
from typing import Any, NamedTuple

from workbench.context import Context
from workbench.store import StoreError
from workbench.services import cases
from workbench.services.status import HeaderStatus, header_status


# The start-up preload lists this many queue rows: more than the tallest supported terminal shows
# (50 lines, two per case), so the first frame is complete. The screen loads the full queue
# (cases.QUEUE_LIMIT) right after that frame; converting 500 rows before it would only delay it.
FIRST_PAGE = 60


class QueueData(NamedTuple):
    """The queue rows, the cases with a due follow-up, and (when asked) the first case's view.

    ``partial`` says the rows filled a page smaller than the full queue's limit, so more may follow.
    """

    rows: list[dict[str, Any]]
    due: set[str]
    first: cases.CaseView | None = None
    partial: bool = False


class FirstScreen(NamedTuple):
    queue: QueueData
    status: HeaderStatus


def queue_data(ctx: Context, with_first: bool, limit: int = cases.QUEUE_LIMIT) -> QueueData:
    """The agent's queue; with ``with_first`` the top case is loaded in the same round trip."""
    due = cases.due_followup_cases(ctx, ctx.agent_id)
    rows = cases.queue(ctx, due=due, limit=limit)
    first = cases.load(ctx, rows[0]["id"], with_kb=False) if rows and with_first else None
    return QueueData(rows, due, first, partial=limit < cases.QUEUE_LIMIT and len(rows) >= limit)


def first_screen(ctx: Context) -> FirstScreen:
    """The first frame's data: one page of the queue with its top case, and the header figures."""
    return FirstScreen(queue_data(ctx, with_first=True, limit=FIRST_PAGE), header_status(ctx))


def wait_for(future: Future[FirstScreen] | None, timeout: float) -> FirstScreen | None:
    """The preloaded first screen, waiting up to ``timeout`` seconds; None if absent, late or failed.

    Called once, before the first frame: the UI thread stops competing for the interpreter while it
    waits, so the last few queries finish at full speed. A failed preload returns None and the screen
    loads again in its own worker, which reports the error the usual way.
    """
    if future is None:
        return None
    try:
        return future.result(timeout=timeout)
    except TimeoutError:
        return None
    except (StoreError, LookupError):
        return None


def preload(ctx: Context) -> Future[FirstScreen]:
    """Start :func:`first_screen` in a daemon thread; its errors surface from ``result()``.

    The thread uses its own SQLite connection (the store keeps one per thread), so it never shares a
    connection with the UI's workers.
    """
    future: Future[FirstScreen] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(first_screen(ctx))
        except BaseException as exc:  # handed to whoever waits on the future, not lost
            future.set_exception(exc)

    threading.Thread(target=run, name="first-screen", daemon=True).start()
    return future
