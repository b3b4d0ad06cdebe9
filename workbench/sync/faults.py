"""Crash points for the kill -9 harness (tests/test_sync_faults.py).

The engine and the hubs call :func:`point` at the moments where a crash is most interesting (after the
hub committed but before the cache recorded it, half-way through applying a pull, ...). Normally it
does nothing. When the environment variable ``WORKBENCH_FAULT`` is ``name:n``, the n-th time the
process passes point ``name`` it kills itself with SIGKILL: no cleanup, no flush, exactly like a
power cut of the process. The variable is read on each call (cheap) so nothing happens at import.
"""

from __future__ import annotations

import os
import signal

ENV = "WORKBENCH_FAULT"
_seen: dict[str, int] = {}


def point(name: str) -> None:
    """Die here if the harness asked for it; otherwise return at once."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    target, _, count = wanted.partition(":")
    if target != name and target != "*":
        return
    _seen[name] = _seen.get(name, 0) + 1
    total = sum(_seen.values()) if target == "*" else _seen[name]
    if total == int(count or "1"):
        os.kill(os.getpid(), signal.SIGKILL)
