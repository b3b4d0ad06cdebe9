"""One sync round: push the outbox, pull what changed, take a fresh offline allowance.

Crash safety comes from ordering, not luck. Push: entries leave in outbox order with their keys; the
hub applies each at most once, so if the process dies after the hub committed but before the cache
recorded the answer, the re-send gets the same answers back (DESIGN.md section 6: only the idempotency
key makes a lost COMMIT safe). Pull: the rows of a page and the new cursor are written in ONE local
transaction, so a crash re-pulls the same page and re-applies it (applying is an idempotent upsert).
Nothing pulled goes through :mod:`workbench.changes`, so nothing pulled echoes back to the hub.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from workbench.context import Context
from workbench.sync import apply, faults
from workbench.sync.conflicts import FLAG_COMP_REJECTED
from workbench.sync.protocol import Entry, Hub, HubError, HubUnavailable, Result
from workbench.timefmt import from_db, to_db

BATCH = 200
PULL_LIMIT = 1000
ERRORS_KEPT = 50
ALLOWANCE_KEY = "offline_allowance"

Progress = Callable[[str, int, int | None], None]


@dataclass
class SyncReport:
    """What one round did; ``error`` is set (redacted) when the hub failed part-way."""

    hub: str = ""
    started_at: str = ""
    finished_at: str = ""
    pushed: int = 0
    accepted: int = 0
    rejected: int = 0
    conflicts: int = 0
    pulled: int = 0
    applied: int = 0
    parked: int = 0
    allowance: dict[str, Any] | None = None
    online: bool = True
    error: str = ""
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def get_state(conn: sqlite3.Connection, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default


def set_state(conn: sqlite3.Connection, values: dict[str, str]) -> None:
    conn.executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def record_error(ctx: Context, hub_url: str, message: str, online: bool) -> None:
    """Remember a failed attempt for the header and the Sync screen (message already redacted)."""
    now = to_db(ctx.clock.now())
    with ctx.store.write() as conn:
        set_state(conn, {"last_error": message, "last_error_at": now, "last_attempt_at": now,
                         "online": "1" if online else "0", "hub": hub_url})
        conn.execute("INSERT INTO sync_errors (at, message) VALUES (?, ?)", (now, message))
        conn.execute("DELETE FROM sync_errors WHERE id <= (SELECT max(id) FROM sync_errors) - ?", (ERRORS_KEPT,))


def sync_once(ctx: Context, hub: Hub, progress: Progress | None = None, *, batch_size: int = BATCH,
              pull_limit: int = PULL_LIMIT) -> SyncReport:
    """Push every pending entry, pull every change, refresh the offline allowance, record the outcome.

    Hub failures end the round early and are reported in the result (``error``, ``online``); the
    untouched entries stay pending for the next round. Local store errors propagate.
    """
    started = ctx.clock.now()
    report = SyncReport(hub=hub.url, started_at=to_db(started))
    try:
        _push_all(ctx, hub, report, progress, batch_size)
        _pull_all(ctx, hub, report, progress, pull_limit)
        if ctx.agent_id:
            report.allowance = _take_allowance(ctx, hub, started)
    except HubError as exc:
        report.error = str(exc)
        report.online = not isinstance(exc, HubUnavailable)
        report.finished_at = to_db(ctx.clock.now())
        record_error(ctx, hub.url, report.error, report.online)
        return report
    report.finished_at = to_db(ctx.clock.now())
    with ctx.store.write() as conn:
        set_state(conn, {"last_sync_at": report.finished_at, "last_attempt_at": report.finished_at,
                         "online": "1", "last_error": "", "hub": hub.url})
    return report


def push_pending(ctx: Context, hub: Hub, progress: Progress | None = None, batch_size: int = BATCH) -> SyncReport:
    """Only the push half of a round (benchmarks, tests); raises HubError."""
    report = SyncReport(hub=hub.url)
    _push_all(ctx, hub, report, progress, batch_size)
    return report


def pull_changes(ctx: Context, hub: Hub, progress: Progress | None = None, limit: int = PULL_LIMIT) -> SyncReport:
    """Only the pull half of a round (benchmarks, tests); raises HubError."""
    report = SyncReport(hub=hub.url)
    _pull_all(ctx, hub, report, progress, limit)
    return report


def _push_all(ctx: Context, hub: Hub, report: SyncReport, progress: Progress | None, batch_size: int) -> None:
    conn = ctx.store.conn
    total = int(conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0])
    if progress:
        progress("push", 0, total)
    tables = apply.syncable_tables(conn)  # the schema does not change during a round: read it once
    while True:
        rows = conn.execute(
            "SELECT seq, key, entity, entity_id, op, payload, agent_id, created_at FROM outbox "
            "WHERE status = 'pending' ORDER BY seq LIMIT ?", (batch_size,),
        ).fetchall()
        if not rows:
            return
        entries = [_entry(conn, tables, row) for row in rows]
        faults.point("push.before_hub")
        results = hub.push(entries)
        faults.point("push.after_hub")
        by_key = {r.key: r for r in results}
        if entries[0].key not in by_key:
            raise HubError(f"hub answered {len(results)} of {len(entries)} entries, not the first one")
        _record(ctx, tables, rows, entries, by_key, report)
        faults.point("push.after_record")
        if progress:
            progress("push", report.pushed, total)


def _entry(conn: sqlite3.Connection, tables: dict[str, set[str]], row: sqlite3.Row) -> Entry:
    """An outbox row plus what the hub needs to judge it: base version, previous key, maybe a snapshot."""
    entity, entity_id = row["entity"], row["entity_id"]
    base = conn.execute("SELECT hub_version FROM sync_rows WHERE entity = ? AND entity_id = ?",
                        (entity, entity_id)).fetchone()
    previous = conn.execute(
        "SELECT key FROM outbox WHERE entity = ? AND entity_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
        (entity, entity_id, row["seq"]),
    ).fetchone()
    snapshot = None
    if base is None and previous is None and row["op"] != "create":
        snapshot = _local_row(conn, tables, entity, entity_id)
    return Entry(
        key=row["key"], entity=entity, entity_id=entity_id, op=row["op"], payload=json.loads(row["payload"]),
        agent_id=row["agent_id"], created_at=row["created_at"],
        base_version=int(base[0]) if base else None, after_key=previous[0] if previous else None,
        snapshot=snapshot,
    )


def _local_row(conn: sqlite3.Connection, tables: dict[str, set[str]], entity: str,
               entity_id: str) -> dict[str, Any] | None:
    if entity not in tables:
        return None
    found = conn.execute(f'SELECT * FROM "{entity}" WHERE id = ?', (entity_id,)).fetchone()
    return dict(found) if found else None


def _record(ctx: Context, tables: dict[str, set[str]], rows: list[sqlite3.Row], entries: list[Entry],
            by_key: dict[str, Result], report: SyncReport) -> None:
    """Mark answered entries and bring the hub's verdicts into the cache, in one transaction."""
    now = to_db(ctx.clock.now())
    with ctx.store.write() as conn:
        for row, entry in zip(rows, entries):
            result = by_key.get(entry.key)
            if result is None:
                continue
            response = {"reason": result.reason, "hub_version": result.hub_version, "row": result.row}
            conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, response = ?, sent_at = ?, last_error = ? "
                "WHERE key = ? AND status = 'pending'",
                (result.status, json.dumps(response, ensure_ascii=False, default=str), now,
                 result.reason or None, entry.key),
            )
            _adopt(conn, tables, row["seq"], entry, result)
            report.pushed += 1
            if result.status == "accepted":
                report.accepted += 1
            else:
                report.rejected += result.status == "rejected"
                report.conflicts += result.status == "conflict"
                report.issues.append({"key": entry.key, "entity": entry.entity, "entity_id": entry.entity_id,
                                      "status": result.status, "reason": result.reason})


def _adopt(conn: sqlite3.Connection, tables: dict[str, set[str]], seq: int, entry: Entry, result: Result) -> None:
    """Take the hub's version of the row when it sent one and no later local edit is still queued."""
    if result.row is not None:
        later = conn.execute(
            "SELECT 1 FROM outbox WHERE entity = ? AND entity_id = ? AND seq > ? AND status = 'pending' LIMIT 1",
            (entry.entity, entry.entity_id, seq),
        ).fetchone()
        if later is None and apply.write_row(conn, tables, entry.entity, entry.entity_id, result.row) == "" \
                and result.hub_version is not None:
            apply.remember_version(conn, entry.entity, entry.entity_id, result.hub_version)
    elif result.status == "accepted" and result.hub_version is not None:
        apply.remember_version(conn, entry.entity, entry.entity_id, result.hub_version)
    if entry.entity == "compensations" and result.status == "rejected":
        _show_rejection(conn, entry, result)


def _show_rejection(conn: sqlite3.Connection, entry: Entry, result: Result) -> None:
    """The hub refused money: say so on the compensation (and flag its case), right away, locally.

    :func:`workbench.sync.status.case_rejections` shows it on the case from the compensation row itself.
    """
    conn.execute("UPDATE compensations SET hub_status = 'rejected', hub_reason = ? WHERE id = ?",
                 (result.reason, entry.entity_id))
    case_id = (result.row or {}).get("case_id") or entry.payload.get("case_id")
    if case_id is None:
        found = conn.execute("SELECT case_id FROM compensations WHERE id = ?", (entry.entity_id,)).fetchone()
        case_id = found[0] if found else None
    known = case_id and conn.execute("SELECT 1 FROM sync_rows WHERE entity = 'cases' AND entity_id = ?",
                                     (case_id,)).fetchone()
    if known:  # the hub flagged its copy in the same transaction; a case it never had stays unflagged everywhere
        conn.execute("UPDATE cases SET flag = ? WHERE id = ?", (FLAG_COMP_REJECTED, case_id))


def _pull_all(ctx: Context, hub: Hub, report: SyncReport, progress: Progress | None, limit: int) -> None:
    cursor = get_state(ctx.store.conn, "cursor")
    if progress:
        progress("pull", 0, None)
    while True:
        changes, new_cursor = hub.pull(cursor, limit)
        faults.point("pull.after_hub")
        with ctx.store.write() as conn:
            counts = apply.apply_changes(conn, changes, to_db(ctx.clock.now()))
            faults.point("pull.before_commit")
            set_state(conn, {"cursor": new_cursor})
        faults.point("pull.after_commit")
        report.pulled += len(changes)
        report.applied += counts["applied"]
        report.parked = counts["parked"]
        if progress:
            progress("pull", report.pulled, None)
        if len(changes) < limit or new_cursor == cursor:
            return
        cursor = new_cursor


def _take_allowance(ctx: Context, hub: Hub, started: datetime) -> dict[str, Any]:
    """Store the hub's grant re-based on the local clock (clocks may be hours apart).

    ``granted_at`` is the local time this round started, so whatever the agent issues from then on
    counts against the new grant (anything pushed in this round the hub had already counted);
    ``expires_at`` keeps the hub's remaining lifetime of the grant, measured on the local clock.
    """
    grant = hub.grant_allowance(ctx.agent_id)
    local_now = ctx.clock.now()
    hub_now = from_db(grant["hub_now"])
    lifetime = from_db(grant["expires_at"]) - hub_now
    stored = {
        "agent_id": grant["agent_id"],
        "granted_fen": int(grant["granted_fen"]),
        "granted_at": to_db(min(started, local_now)),
        "expires_at": to_db(local_now + lifetime),
        "hub_granted_at": grant["granted_at"],
        "hub_expires_at": grant["expires_at"],
        "skew_seconds": int((local_now - hub_now).total_seconds()),
    }
    with ctx.store.write() as conn:
        set_state(conn, {ALLOWANCE_KEY: json.dumps(stored, ensure_ascii=False, sort_keys=True)})
    return stored
