"""Identifiers for rows that travel between devices: unique without coordination, roughly time-ordered."""

from __future__ import annotations

import os
import time


def new_id(prefix: str) -> str:
    """A ``prefix-`` + 12 hex digits of milliseconds + 8 random hex digits identifier.

    Rows created offline on several devices must never collide when they meet on the hub, so ids are
    not autoincrement integers.
    """
    millis = int(time.time() * 1000)
    return f"{prefix}-{millis:012x}{os.urandom(4).hex()}"
