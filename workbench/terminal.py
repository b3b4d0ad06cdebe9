"""Notice when the agent's terminal has gone away, so the workbench can end instead of spinning.

Why: when a terminal window is closed, or an SSH session drops, the terminal is hung up. A program
started by a shell gets SIGHUP and ends; one started through `make run` does not (make receives the
signal and waits for its child). Textual's input thread then reads end-of-file from the dead terminal
in a tight loop: the workbench kept one CPU core at 100 % until someone killed it. A hung-up terminal
answers every terminal query with EIO, which :func:`hung_up` checks; :func:`watch` polls it every few
seconds from its own thread, asks the App to exit, and ends the process if that exit waits on the dead
terminal.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
from collections.abc import Callable

_GONE = {errno.EIO, errno.ENXIO}


def input_fd() -> int | None:
    """The terminal the UI reads keys from (standard input), or None when it is not a terminal
    (tests, pipes): then there is nothing to watch."""
    stream = sys.__stdin__
    if stream is None or sys.platform == "win32":  # Windows consoles have no hang-up to watch for
        return None
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # replaced or closed standard input: no terminal to watch
        return None
    return fd if _answers(fd) else None


def _answers(fd: int) -> bool:
    import termios

    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError):
        return False
    return True


def hung_up(fd: int) -> bool:
    """True once the terminal behind ``fd`` has been hung up (closed window, dropped SSH session)."""
    import termios

    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args) and exc.args[0] in _GONE
    except OSError as exc:
        return exc.errno in _GONE
    return False


def watch(fd: int, on_hang_up: Callable[[], object], *, every: float = 2.0, grace: float = 3.0,
          code: int = 129, end: Callable[[int], object] = os._exit) -> threading.Thread:
    """Check the terminal every ``every`` seconds from a daemon thread; once it is hung up, call
    ``on_hang_up`` (which must not block: it asks the UI to exit) and, if the process is still there
    ``grace`` seconds later, end it with ``end(code)``.

    A thread of its own, not a UI timer: once the terminal is gone, Textual's output thread dies on
    its first failed write and the UI thread blocks for good on the full output queue, so a timer on
    the UI would never run again. The ending is ``os._exit``: no clean-up, as with the default action
    of the hang-up signal; every change the workbench stores is committed in its own SQLite
    transaction, so nothing stored is lost.
    """
    def run() -> None:
        while not hung_up(fd):
            time.sleep(every)
        try:
            on_hang_up()
        finally:
            time.sleep(grace)
            end(code)

    thread = threading.Thread(target=run, name="hang-up watch", daemon=True)
    thread.start()
    return thread
