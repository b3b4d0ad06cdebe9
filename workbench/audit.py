"""Append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the previous hash and the entry's canonical JSON (sorted keys, no
whitespace), so editing or deleting any row breaks the chain at that point and ``verify`` finds it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from workbench.clock import Clock
from workbench.outbox import OutsideTransaction
from workbench.timefmt import to_db

GENESIS = "0" * 64


def canonical(entry: dict[str, Any]) -> str:
    """The exact text that is hashed for an entry (stable across runs and machines)."""
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def append(
    conn: sqlite3.Connection,
    clock: Clock,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    data: dict[str, Any] | None = None,
) -> int:
    """Append one entry in the caller's transaction (so the audited change and its entry commit together)."""
    if not conn.in_transaction:
        raise OutsideTransaction(f"audit entry {action} written outside a transaction")
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev_seq, prev_hash = (row[0], row[1]) if row else (0, GENESIS)
    seq = prev_seq + 1
    entry = {
        "seq": seq,
        "at": to_db(clock.now()),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "data": data or {},
    }
    digest = entry_hash(prev_hash, entry)
    conn.execute(
        "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, data, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, entry["at"], actor, action, entity, entity_id, canonical(entry["data"]), prev_hash, digest),
    )
    return seq


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify(conn: sqlite3.Connection) -> VerifyResult:
    """Walk the chain from the start; report the first entry whose content, link or sequence is off."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for row in conn.execute(
        "SELECT seq, at, actor, action, entity, entity_id, data, prev_hash, hash FROM audit_log ORDER BY seq"
    ):
        if row[0] != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
        try:
            data = json.loads(row[6])
        except json.JSONDecodeError:
            return VerifyResult(False, checked, row[0], "data is not valid JSON")
        entry = {"seq": row[0], "at": row[1], "actor": row[2], "action": row[3],
                 "entity": row[4], "entity_id": row[5], "data": data}
        if row[7] != prev_hash:
            return VerifyResult(False, checked, row[0], "link to the previous entry is broken")
        if entry_hash(prev_hash, entry) != row[8]:
            return VerifyResult(False, checked, row[0], "content does not match its hash")
        prev_hash, expected_seq, checked = row[8], expected_seq + 1, checked + 1
    return VerifyResult(True, checked)
