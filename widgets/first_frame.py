"""Start-up work that waits until the first frame is on the terminal.

Textual hands a finished frame to a writer thread, and that thread needs the interpreter lock to put
the frame on the terminal. Work started right after the refresh (the worker threads that load the rest
of the queue, the KB suggestions and the notices; mounting the reply editor on the UI thread) competes
with it for the lock, and the agent saw the frame tens of milliseconds later than it was ready.
Starting that work a moment after the refresh lets the frame out first; 50 ms is imperceptible next
to the frame itself and far more than the writer needs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.dom import DOMNode

SETTLE_S = 0.05


def after_first_frame(node: DOMNode, callback: Callable[..., Any], *args: Any) -> None:
    """Run ``callback(*args)`` on the UI thread shortly after the next frame has been drawn."""
    node.call_after_refresh(node.set_timer, SETTLE_S, partial(callback, *args), name="after-first-frame")
