"""Per-source refresh bookkeeping: when each order/courier source last ran and how it went.

Device-local (not synced, no outbox): the app shows "refreshed 10:42" beside the data and a banner
when the last attempt failed, while the cached rows stay on screen.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from workbench.context import Context
from workbench.timefmt import to_db


def record(ctx: Context, name: str, kind: str, *, ok: bool, count: int, error: str | None = None,
           problems: Sequence[object] = (), cursor: str | None = None) -> None:
    """Remember how a source's last refresh went (device-local bookkeeping, not synced).

    A failed refresh keeps the last success time and cursor, so the screen can say "last good data
    from 10:42" while showing the failure banner.
    """
    now = to_db(ctx.clock.now())
    listed = json.dumps([str(p) for p in problems[:50]], ensure_ascii=False)
    with ctx.store.write() as conn:
        conn.execute(
            "INSERT INTO source_refresh (name, kind, last_attempt_at, last_success_at, ok, count, error, "
            "record_errors, cursor, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, last_attempt_at = excluded.last_attempt_at, "
            "last_success_at = coalesce(excluded.last_success_at, source_refresh.last_success_at), "
            "ok = excluded.ok, count = excluded.count, error = excluded.error, "
            "record_errors = excluded.record_errors, "
            "cursor = coalesce(excluded.cursor, source_refresh.cursor), updated_at = excluded.updated_at",
            (name, kind, now, now if ok else None, int(ok), count, error, listed, cursor, now),
        )


def all_states(ctx: Context) -> list[dict[str, Any]]:
    """Every source's last refresh (for "refreshed 10:42" beside the data and the failure banner)."""
    rows = [dict(r) for r in ctx.store.query("SELECT * FROM source_refresh ORDER BY name")]
    for row in rows:
        row["record_errors"] = json.loads(row["record_errors"] or "[]")
    return rows


def saved_cursor(ctx: Context, name: str) -> str | None:
    """Where the source's last successful pull stopped (e.g. Shopify ``updated_at_min``)."""
    return ctx.store.scalar("SELECT cursor FROM source_refresh WHERE name = ?", (name,))


def shipments_to_track(ctx: Context, refreshed_before: datetime, limit: int) -> list[dict[str, Any]]:
    """Shipments still moving whose scans are older than ``refreshed_before`` (oldest first)."""
    return [dict(r) for r in ctx.store.query(
        "SELECT s.id, s.carrier, s.carrier_code, s.tracking_no, o.phone FROM shipments s "
        "JOIN orders o ON o.id = s.order_id WHERE s.status IN ('pending', 'in_transit', 'out_for_delivery', "
        "'exception') AND coalesce(s.refreshed_at, '') < ? ORDER BY coalesce(s.refreshed_at, '') LIMIT ?",
        (to_db(refreshed_before), limit),
    )]

