"""Pause Python's cyclic garbage collector while the workbench opens, then freeze what start-up built.

Opening the workbench imports a few hundred modules and builds the main screen: tens of thousands of
objects that live for the whole shift. The cyclic collector kept scanning them while they were being
created and found nothing to free (about a tenth of the time to the first frame on a 2-core machine).
So the collector is paused for start-up; once the first frame is out, :func:`resume` moves everything
start-up made into the permanent generation (``gc.freeze``), which later collections skip, and turns
the collector back on.
"""

from __future__ import annotations

import gc

_state = {"paused": False}


def pause() -> None:
    """Turn the collector off until :func:`resume` (only if it was on)."""
    if gc.isenabled():
        gc.disable()
        _state["paused"] = True


def resume() -> None:
    """Freeze the objects made so far and turn the collector back on; a no-op unless paused here."""
    if _state["paused"]:
        _state["paused"] = False
        gc.freeze()
        gc.enable()


def paused() -> bool:
    return bool(_state["paused"])
