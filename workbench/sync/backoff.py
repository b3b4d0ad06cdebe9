"""When the background sync runs next: every few seconds while the hub answers, backing off when not.

Exponential backoff with full jitter (a random delay up to the exponential ceiling, never below a
floor) keeps a team of laptops coming back from a network outage from hitting the hub in lock-step.
Pure: the caller passes a ``random.Random`` so tests are deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Schedule state. ``interval`` online (seconds); ``base``..``ceiling`` while the hub is unreachable."""

    interval: float = 10.0
    base: float = 2.0
    ceiling: float = 300.0
    floor: float = 1.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self, ok: bool) -> float:
        """Record the outcome of the last attempt and return how long to wait before the next."""
        if ok:
            self.failures = 0
            return self.interval
        self.failures += 1
        cap = min(self.ceiling, self.base * (2 ** (self.failures - 1)))
        return max(self.floor, self.rng.uniform(0, cap))

    def reset(self) -> None:
        """A manual "sync now" starts the schedule over."""
        self.failures = 0
