"""Stored times: the fast parser reads exactly what to_db writes and refuses everything else."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from workbench.timefmt import from_db, to_db


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 6, 8, 30, tzinfo=timezone.utc),
    datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone.utc),
    datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=8))),  # stored as UTC
])
def test_round_trip_is_exact_and_utc(moment: datetime) -> None:
    text = to_db(moment)
    back = from_db(text)
    assert back == moment and back.tzinfo is timezone.utc and to_db(back) == text


@pytest.mark.parametrize("text", [
    "2026-12-06 08:30:00Z",       # space instead of T
    "2026-12-06T08:30:00",        # no Z: a naive time would be read as UTC silently
    "2026-12-06T08:30:00+08:00",  # offsets are never stored
    "2026-13-06T08:30:00Z",       # no such month
    "2026-12-06T08:30:6xZ",
    "",
])
def test_anything_but_the_stored_format_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        from_db(text)
