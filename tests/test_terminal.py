"""Hang-up detection (workbench/terminal.py) on a real pseudo-terminal pair."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from workbench import terminal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no POSIX terminals")


def test_a_terminal_is_hung_up_once_its_other_end_closes() -> None:
    import pty

    master, slave = pty.openpty()
    try:
        assert not terminal.hung_up(slave)
        os.close(master)
        assert terminal.hung_up(slave)
    finally:
        os.close(slave)


def test_a_pipe_is_not_a_terminal_and_not_hung_up() -> None:
    read_end, write_end = os.pipe()
    try:
        assert not terminal.hung_up(read_end)  # ENOTTY: not a terminal, so never "closed under us"
    finally:
        os.close(read_end)
        os.close(write_end)


def test_the_watch_asks_to_exit_then_ends_the_process() -> None:
    import pty

    master, slave = pty.openpty()
    asked, ended = threading.Event(), []
    terminal.watch(slave, asked.set, every=0.05, grace=0.1, code=129, end=ended.append)
    time.sleep(0.2)
    assert not asked.is_set()
    os.close(master)
    assert asked.wait(5)
    for _ in range(50):
        if ended:
            break
        time.sleep(0.05)
    assert ended == [129]
    os.close(slave)
