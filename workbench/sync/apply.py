"""Writing the hub's rows into the local cache — without creating outbox entries.

Pulled rows are the hub's state, not changes this agent made, so they are written with plain SQL here
and never through :mod:`workbench.changes` (which would echo them back to the hub forever). A row
that still has pending outbox entries is left alone: the agent's own newer edit is on its way, and
the hub's answer to it brings the merged row back. A row that cannot be applied yet (its customer has
not arrived, a NOT NULL column is missing) is parked in ``sync_parked`` and retried, never dropped.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from workbench.services import kb
from workbench.sync import faults
from workbench.sync.protocol import Change

LOCAL_ONLY = frozenset({"outbox", "sync_state", "sync_rows", "sync_parked", "sync_errors", "audit_log"})
#: Parents before children so foreign keys hold when one page brings both.
PRIORITY: dict[str, int] = {
    "agents": 0, "customers": 1, "kb_articles": 1, "orders": 2, "order_items": 3, "shipments": 3,
    "shipment_events": 4, "cases": 5, "messages": 6, "case_notes": 6, "follow_ups": 6,
    "follow_up_history": 7, "compensations": 7,
}


def syncable_tables(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Local tables that can receive hub rows (an ``id`` column, not bookkeeping), with their columns."""
    tables: dict[str, set[str]] = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        if name in LOCAL_ONLY or name.startswith(("sqlite_", "kb_fts")):
            continue
        columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{name}")').fetchall()}
        if "id" in columns:
            tables[name] = columns
    return tables


def _value(value: Any) -> Any:
    """JSON-typed hub values into SQLite values (objects/lists become JSON text, bools integers)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    return value


def pending_rows(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """(entity, id) of every row with changes still waiting in the outbox."""
    return {(r[0], r[1]) for r in conn.execute(
        "SELECT DISTINCT entity, entity_id FROM outbox WHERE status = 'pending'").fetchall()}


def write_row(conn: sqlite3.Connection, tables: dict[str, set[str]], entity: str, entity_id: str,
              data: dict[str, Any]) -> str:
    """Upsert one row (only the columns this cache knows): '' on success, 'skip' when this cache has no
    such table, else what went wrong (the constraint message)."""
    columns = tables.get(entity)
    if columns is None:
        return "skip"
    values = {k: _value(v) for k, v in data.items() if k in columns and k != "id"}
    conn.execute("SAVEPOINT sync_row")
    try:
        updated = 0
        if values:
            sets = ", ".join(f'"{k}" = ?' for k in values)
            updated = conn.execute(f'UPDATE "{entity}" SET {sets} WHERE id = ?',
                                   (*values.values(), entity_id)).rowcount
        elif conn.execute(f'SELECT 1 FROM "{entity}" WHERE id = ?', (entity_id,)).fetchone():
            updated = 1
        if not updated:
            names = ", ".join(f'"{k}"' for k in ("id", *values))
            marks = ", ".join("?" for _ in range(len(values) + 1))
            conn.execute(f'INSERT INTO "{entity}" ({names}) VALUES ({marks})', (entity_id, *values.values()))
        if entity == "kb_articles":
            _reindex(conn, entity_id)
    except sqlite3.IntegrityError as exc:
        conn.execute("ROLLBACK TO sync_row")
        conn.execute("RELEASE sync_row")
        return str(exc)
    conn.execute("RELEASE sync_row")
    return ""


def _reindex(conn: sqlite3.Connection, article_id: str) -> None:
    row = conn.execute("SELECT rowid, title, body, tags FROM kb_articles WHERE id = ?", (article_id,)).fetchone()
    if row is not None:
        kb.index_article(conn, row[0], row[1], row[2], row[3] or "")


def remember_version(conn: sqlite3.Connection, entity: str, entity_id: str, version: int) -> None:
    conn.execute(
        "INSERT INTO sync_rows (entity, entity_id, hub_version) VALUES (?, ?, ?) "
        "ON CONFLICT (entity, entity_id) DO UPDATE SET hub_version = excluded.hub_version",
        (entity, entity_id, version),
    )


def _park(conn: sqlite3.Connection, change: Change, problem: str, now: str) -> None:
    conn.execute(
        "INSERT INTO sync_parked (entity, entity_id, hub_version, data, problem, parked_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (entity, entity_id) DO UPDATE SET hub_version = excluded.hub_version, data = excluded.data, "
        "problem = excluded.problem, parked_at = excluded.parked_at WHERE excluded.hub_version >= hub_version",
        (change.entity, change.entity_id, change.version, json.dumps(change.data, ensure_ascii=False),
         problem, now),
    )


def apply_changes(conn: sqlite3.Connection, changes: Iterable[Change], now: str) -> dict[str, int]:
    """Apply pulled rows in the caller's transaction; returns counts applied/skipped/pending/parked."""
    tables = syncable_tables(conn)
    pending = pending_rows(conn)
    counts = {"applied": 0, "skipped": 0, "pending": 0, "parked": 0}
    ordered = sorted(changes, key=lambda c: PRIORITY.get(c.entity, 8))
    for change in ordered:
        if (change.entity, change.entity_id) in pending:
            counts["pending"] += 1
            continue
        problem = write_row(conn, tables, change.entity, change.entity_id, change.data)
        faults.point("apply.row")
        if problem == "skip":
            counts["skipped"] += 1
        elif problem:
            _park(conn, change, problem, now)
        else:
            remember_version(conn, change.entity, change.entity_id, change.version)
            conn.execute("DELETE FROM sync_parked WHERE entity = ? AND entity_id = ? AND hub_version <= ?",
                         (change.entity, change.entity_id, change.version))
            counts["applied"] += 1
    counts["applied"] += retry_parked(conn, tables, pending)
    counts["parked"] = int(conn.execute("SELECT count(*) FROM sync_parked").fetchone()[0])
    return counts


def retry_parked(conn: sqlite3.Connection, tables: dict[str, set[str]], pending: set[tuple[str, str]]) -> int:
    """Apply parked rows whose parents have arrived; repeat while that makes progress."""
    done = 0
    while True:
        rows = conn.execute("SELECT entity, entity_id, hub_version, data FROM sync_parked").fetchall()
        progress = 0
        for entity, entity_id, version, data in sorted(rows, key=lambda r: PRIORITY.get(r[0], 8)):
            if (entity, entity_id) in pending:
                continue
            if write_row(conn, tables, entity, entity_id, json.loads(data)) in ("", "skip"):
                remember_version(conn, entity, entity_id, version)
                conn.execute("DELETE FROM sync_parked WHERE entity = ? AND entity_id = ?", (entity, entity_id))
                progress += 1
        done += progress
        if not progress:
            return done
