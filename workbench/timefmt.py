"""Time storage and display: UTC ISO-8601 strings in the database, the shop's timezone on screen."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

DB_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_db(moment: datetime) -> str:
    """Serialise an aware datetime as the sortable UTC string every table uses."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; every stored time must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime(DB_FORMAT)


def from_db(text: str) -> datetime:
    """Parse a stored UTC string back into an aware datetime."""
    return datetime.strptime(text, DB_FORMAT).replace(tzinfo=timezone.utc)


def local(moment: datetime, tz_name: str) -> datetime:
    """Convert to the shop's timezone for display."""
    return moment.astimezone(ZoneInfo(tz_name))


def short_local(text: str | None, tz_name: str, fmt: str = "%m-%d %H:%M") -> str:
    """Format a stored time compactly in the shop's timezone ('' when absent)."""
    if not text:
        return ""
    return local(from_db(text), tz_name).strftime(fmt)


def countdown(seconds: float) -> str:
    """Render a remaining time compactly: ``mm:ss`` under an hour, ``1h27`` above, ``2d`` past a day.

    Negative values (breached) get a leading minus. Seconds only matter while they can still be won.
    """
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds))
    if total >= 86400:
        return f"{sign}{total // 86400}d"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"
