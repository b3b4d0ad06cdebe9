"""Time storage and display: UTC ISO-8601 strings in the database, the shop's timezone on screen."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DB_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_db(moment: datetime) -> str:
    """Serialise an aware datetime as the sortable UTC string every table uses."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; every stored time must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime(DB_FORMAT)


def from_db(text: str) -> datetime:
    """Parse a stored UTC string back into an aware datetime.

    Stored times (``2026-12-06T08:30:00Z``) take the fast ISO parser; anything else goes through
    ``strptime`` with the one stored format, which refuses it with the usual ``ValueError``. Besides
    being several times faster per call, this keeps ``_strptime`` out of the start-up imports.
    """
    if len(text) == 20 and text[10] == "T" and text[19] == "Z":
        return datetime.fromisoformat(text[:19]).replace(tzinfo=timezone.utc)
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


def resolve_local(day: date, hour: int, minute: int, zone: ZoneInfo) -> tuple[datetime, list[str]]:
    """Wall-clock ``day hour:minute`` in ``zone`` as an aware datetime, safe across DST changes."""
    notes: list[str] = []
    if hour >= 24:  # 24:00 and "半夜2点" (26) belong to the next day
        day, hour = day + timedelta(days=hour // 24), hour % 24
    naive = datetime.combine(day, time(hour, minute))
    first = naive.replace(tzinfo=zone, fold=0)
    back = first.astimezone(timezone.utc).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        notes.append("dst_gap")
        return back, notes
    if naive.replace(tzinfo=zone, fold=1).utcoffset() != first.utcoffset():
        notes.append("dst_ambiguous")
    return first, notes
