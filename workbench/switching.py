"""A shorter interpreter switch interval while the workbench runs, so frames reach the terminal sooner.

Textual hands every finished frame to a writer thread, which needs the interpreter lock to write it.
Python lets a busy thread keep that lock for 5 ms before another may take it, and the UI thread is
usually still busy right after a frame (the first frame is followed by a second layout pass, a
keypress by the widgets' reactions). Measured on the first frame: the frame sat finished for 12–16 ms
before it was written with the default interval, 4–6 ms with 1 ms. The cost is a few more lock
hand-overs while thread workers run SQLite queries, which release the lock anyway.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

UI_SWITCH_INTERVAL_S = 0.001


@contextmanager
def quick_switching(interval: float = UI_SWITCH_INTERVAL_S) -> Iterator[None]:
    """Use ``interval`` as the switch interval inside the block; the previous one is restored after."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
