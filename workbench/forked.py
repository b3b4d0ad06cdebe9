"""Run one function in a forked child process and collect its pickled result.

Why: the start-up preload (the first screen's queries and the header's figures) cost the UI thread
20–30 ms of interpreter time when it ran in a thread, because the UI thread is importing the toolkit
at the same moment and both need the interpreter lock; each finished SQLite call also forced a lock
hand-off. A forked child has its own interpreter lock and runs on another core; only the pickled
result (a few hundred rows) crosses back.

A fork is only safe from a single-threaded process (a lock held by another thread at that moment would
stay locked in the child forever), and only on Linux here (macOS system libraries are not fork-safe).
:func:`can_fork` says whether both hold; callers fall back to a thread otherwise.
"""

from __future__ import annotations

import os
import pickle
import select
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_CHUNK = 1 << 16


class ForkedError(Exception):
    """The child's function raised an exception that cannot cross the pipe; carries its traceback."""


def can_fork() -> bool:
    """True where :func:`call_forked` is safe: Linux, and no other thread alive in this process."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class ForkedCall(Generic[T]):
    """The pending result of :func:`call_forked`; ``result()`` behaves like ``Future.result()``."""

    def __init__(self, pid: int, fd: int) -> None:
        self._pid = pid
        self._fd: int | None = fd
        self._chunks: list[bytes] = []
        self._outcome: tuple[bool, Any] | None = None

    def result(self, timeout: float | None = None) -> T:
        """The function's return value; re-raises its exception; TimeoutError if not done in time.

        May be called again after a timeout (like a Future) and after success (same value).
        """
        if self._outcome is None:
            self._read(timeout)
        assert self._outcome is not None
        ok, value = self._outcome
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def cancel(self) -> bool:
        """Stop a child that has not delivered (its work is simply dropped); False once it delivered."""
        if self._outcome is not None:
            return False
        self._finish(kill=True)
        self._outcome = (False, TimeoutError("cancelled"))
        return True

    def _read(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = self._fd
        assert fd is not None
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                raise TimeoutError(f"forked call (pid {self._pid}) not done within {timeout} s")
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            self._chunks.append(chunk)
        payload, self._chunks = b"".join(self._chunks), []
        self._finish(kill=False)
        if not payload:
            self._outcome = (False, ForkedError("the child process ended without a result"))
            return
        self._outcome = pickle.loads(payload)

    def _finish(self, kill: bool) -> None:
        """Close the pipe and reap the child, so no zombie process is left behind."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if kill:
            try:
                os.kill(self._pid, 9)
            except ProcessLookupError:
                pass  # it had already exited
        os.waitpid(self._pid, 0)


def _payload(fn: Callable[..., Any], args: tuple[Any, ...]) -> bytes:
    """The pickled (ok, value) outcome of ``fn(*args)``; an exception that cannot be pickled travels
    as a ForkedError with its traceback, so the parent still learns what went wrong."""
    try:
        return pickle.dumps((True, fn(*args)), pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # every outcome goes to the parent, which decides
        try:
            pickled = pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
            pickle.loads(pickled)  # the parent must be able to rebuild it
            return pickled
        except Exception:
            text = "".join(traceback.format_exception(exc))
            return pickle.dumps((False, ForkedError(text)), pickle.HIGHEST_PROTOCOL)


def call_forked(fn: Callable[..., T], *args: Any) -> ForkedCall[T]:
    """Start ``fn(*args)`` in a forked child; its outcome comes back through ``result()``.

    The child must not use anything that holds an open file or connection of the parent's (SQLite in
    particular: close the connection before forking and open a new one in the child). It leaves with
    ``os._exit``: no exit handlers and no buffered output of the parent's run twice.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(read_end)
            view = memoryview(_payload(fn, args))
            while view:
                view = view[os.write(write_end, view):]
        finally:
            os._exit(0)  # also when the parent went away (broken pipe): nothing else to do
    os.close(write_end)
    return ForkedCall(pid, read_end)
