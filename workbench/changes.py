"""Row writes that always carry their outbox entry: the only way services change syncable tables."""

from __future__ import annotations

import sqlite3
from typing import Any

from workbench import outbox
from workbench.clock import Clock


def insert(conn: sqlite3.Connection, clock: Clock, table: str, row: dict[str, Any], agent_id: str = "",
           op: str = "create") -> None:
    """Insert ``row`` into ``table`` and record it in the outbox (caller holds the transaction)."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))
    outbox.record(conn, clock, entity=table, entity_id=str(row["id"]), op=op, payload=row, agent_id=agent_id)


def update(conn: sqlite3.Connection, clock: Clock, table: str, row_id: str, values: dict[str, Any],
           agent_id: str = "", op: str = "update") -> None:
    """Update columns of one row and record the change (with the row id) in the outbox."""
    assignments = ", ".join(f"{col} = ?" for col in values)
    cursor = conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*values.values(), row_id))
    if cursor.rowcount != 1:
        raise LookupError(f"{table} {row_id} not found")
    outbox.record(conn, clock, entity=table, entity_id=row_id, op=op, payload={"id": row_id, **values},
                  agent_id=agent_id)
