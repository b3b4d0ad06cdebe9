"""Injectable clocks: the app, the services and the tests ask a Clock for "now".

A frozen clock makes snapshots and SLA/follow-up tests deterministic; nothing in the core calls
``datetime.now()`` directly.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol

from workbench.record import Record


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0)


class FrozenClock(Record):
    """A clock that only moves when told to (tests, snapshots, benchmarks)."""

    __slots__ = ("current",)

    def __init__(self, current: datetime | None = None) -> None:
        self.current = current or datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self.current = self.current + timedelta(**delta)
        return self.current
