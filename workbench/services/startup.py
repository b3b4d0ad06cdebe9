"""What the main screen shows first (queue, first case, header figures), loaded in one go.

The workbench opens on the agent's queue with its most urgent case already open. Loading that is a few
indexed queries; starting them while the UI toolkit is still being imported means the first frame the
agent sees is the complete one, not an empty frame followed by the data a moment later.
The same function backs the main screen's queue worker, so there is one definition of "the first screen".

Where it can, :func:`preload` runs the queries in a forked child process (:mod:`workbench.forked`): a
thread would compete with the importing UI thread for the interpreter lock, which cost that thread
20–30 ms. Elsewhere it uses a thread. Either way the main screen waits briefly for the result before
its first frame (:func:`wait_for`) instead of drawing an empty frame and the data a moment later.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

import threading
from concurrent.futures import Future
from typing import Any, NamedTuple, Protocol

from workbench import forked
from workbench.context import Context
from workbench.store import Store, StoreError
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


class Pending(Protocol):
    """A preload in progress: a thread's Future or a forked child's :class:`~workbench.forked.ForkedCall`."""

    def result(self, timeout: float | None = None) -> FirstScreen: ...

    def cancel(self) -> bool: ...


def wait_for(future: Pending | None, timeout: float) -> FirstScreen | None:
    """The preloaded first screen, waiting up to ``timeout`` seconds; None if absent, late or failed.

    Called once, before the first frame. A late preload is cancelled (a forked child is stopped) and
    a failed one returns None: the screen then loads again in its own worker, which reports the error
    the usual way. That includes a forked child that died without a result. A programming error
    raised by the preload itself is raised here, not hidden.
    """
    if future is None:
        return None
    try:
        return future.result(timeout=timeout)
    except TimeoutError:
        future.cancel()
        return None
    except (StoreError, LookupError, forked.ForkedError):
        return None


def preload(ctx: Context) -> Pending:
    """Start :func:`first_screen` in a forked child where that is safe, else in a daemon thread.

    The child opens its own SQLite connection; this process's connection is closed first, because an
    SQLite connection must not be carried across a fork (it reopens on next use). The thread uses its
    own connection too (the store keeps one per thread). Errors surface from ``result()``.
    """
    if forked.can_fork() and ctx.store.path != ":memory:":
        ctx.store.close()
        return forked.call_forked(_first_screen_in_child, ctx)
    return _in_thread(ctx)


def _first_screen_in_child(ctx: Context) -> FirstScreen:
    return first_screen(ctx.replace(store=Store(ctx.store.path), extras={}))


def _in_thread(ctx: Context) -> Future[FirstScreen]:
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
