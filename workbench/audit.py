"""Append-only, hash-chained audit log, with a head anchor and an export for finance.

Each entry's hash is SHA-256 over the previous hash and the entry's canonical JSON (sorted keys, no
whitespace), so editing or deleting any row breaks the chain at that point and ``verify`` finds it.

A chain alone cannot notice that its *last* rows were deleted: what remains is still a valid chain.
So every :func:`append` also writes the head (latest seq and hash) to ``sync_state`` key
``audit_head`` in the same transaction, and :func:`verify` compares the chain's end with it.
Someone who deletes the last rows *and* rewrites the anchor consistently is not detectable from this
file alone; the hub's copy of the entries is the outside witness for that case.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, TextIO

from workbench.clock import Clock
from workbench.outbox import OutsideTransaction
from workbench.timefmt import from_db, local, to_db

GENESIS = "0" * 64
HEAD_KEY = "audit_head"


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
    at: datetime | None = None,
) -> int:
    """Append one entry in the caller's transaction (so the audited change and its entry commit together).

    ``at`` lets the caller stamp the entry with the same instant as the row it audits (the clock may
    tick while the transaction waited for the lock); by default it is ``clock.now()``.
    """
    if not conn.in_transaction:
        raise OutsideTransaction(f"audit entry {action} written outside a transaction")
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev_seq, prev_hash = (row[0], row[1]) if row else (0, GENESIS)
    seq = prev_seq + 1
    entry = {
        "seq": seq,
        "at": to_db(at or clock.now()),
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
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, json.dumps({"seq": seq, "hash": digest})),
    )
    return seq


@dataclass
class VerifyResult:
    """``code`` is stable (CLI messages, tests); ``problem`` says the same in plain English."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    code: str = ""


def _head(conn: sqlite3.Connection) -> tuple[dict[str, Any] | None, bool]:
    """The stored head anchor, and whether a row exists that could not be read."""
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (HEAD_KEY,)).fetchone()
    if row is None:
        return None, False
    try:
        head = json.loads(row[0])
        return {"seq": int(head["seq"]), "hash": str(head["hash"])}, False
    except (ValueError, KeyError, TypeError):
        return None, True


def verify(conn: sqlite3.Connection) -> VerifyResult:
    """Walk the chain from the start; report the first entry whose content, link, sequence or end is off."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for row in conn.execute(
        "SELECT seq, at, actor, action, entity, entity_id, data, prev_hash, hash FROM audit_log ORDER BY seq"
    ):
        if row[0] != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing", "missing")
        try:
            data = json.loads(row[6])
        except json.JSONDecodeError:
            return VerifyResult(False, checked, row[0], "data is not valid JSON", "bad_json")
        entry = {"seq": row[0], "at": row[1], "actor": row[2], "action": row[3],
                 "entity": row[4], "entity_id": row[5], "data": data}
        if row[7] != prev_hash:
            return VerifyResult(False, checked, row[0], "link to the previous entry is broken", "link")
        if entry_hash(prev_hash, entry) != row[8]:
            return VerifyResult(False, checked, row[0], "content does not match its hash", "content")
        prev_hash, expected_seq, checked = row[8], expected_seq + 1, checked + 1
    last_seq = expected_seq - 1
    head, unreadable = _head(conn)
    if unreadable:
        return VerifyResult(False, checked, last_seq or 1, "the head anchor is unreadable", "head_unreadable")
    if head is None:
        if last_seq:
            return VerifyResult(False, checked, last_seq, "the head anchor is missing", "head_missing")
        return VerifyResult(True, 0)
    if head["seq"] > last_seq:
        return VerifyResult(False, checked, last_seq + 1,
                            f"entries {last_seq + 1}..{head['seq']} were deleted from the end", "truncated")
    if head["seq"] < last_seq:
        return VerifyResult(False, checked, head["seq"] + 1,
                            f"entries after {head['seq']} were not written through the audit log", "head_behind")
    if head["hash"] != prev_hash:
        return VerifyResult(False, checked, last_seq, "the last entry does not match the head anchor",
                            "head_mismatch")
    return VerifyResult(True, checked)


# ---------------------------------------------------------------- export for finance

EXPORT_COLUMNS: tuple[str, ...] = (
    "seq", "at_utc", "at_local", "actor", "action", "entity", "entity_id", "compensation_action",
    "amount_fen", "amount_yuan", "status", "agent_id", "customer_id", "case_id", "order_id", "codes",
    "policy_version", "note", "hash",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not execute (=HYPERLINK(...) in a reason stays text)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def entries(conn: sqlite3.Connection, since: datetime | None = None,
            until: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Audit entries with ``since <= at < until`` in seq order, ``data`` parsed."""
    sql = "SELECT seq, at, actor, action, entity, entity_id, data, prev_hash, hash FROM audit_log WHERE 1 = 1"
    params: list[Any] = []
    if since is not None:
        sql += " AND at >= ?"
        params.append(to_db(since))
    if until is not None:
        sql += " AND at < ?"
        params.append(to_db(until))
    for row in conn.execute(sql + " ORDER BY seq", params):
        try:
            data = json.loads(row[6])
        except json.JSONDecodeError:
            data = {"unreadable": row[6]}
        yield {"seq": row[0], "at": row[1], "actor": row[2], "action": row[3], "entity": row[4],
               "entity_id": row[5], "data": data, "prev_hash": row[7], "hash": row[8]}


def flat(entry: dict[str, Any], tz: str) -> dict[str, Any]:
    """One entry as a finance row: the compensation's figures pulled out of ``data``."""
    data = entry["data"] if isinstance(entry["data"], dict) else {}
    amount = data.get("amount_fen")
    amount_yuan = f"{amount // 100}.{amount % 100:02d}" if isinstance(amount, int) and amount >= 0 else ""
    return {
        "seq": entry["seq"], "at_utc": entry["at"],
        "at_local": local(from_db(entry["at"]), tz).strftime("%Y-%m-%d %H:%M:%S"),
        "actor": entry["actor"], "action": entry["action"], "entity": entry["entity"],
        "entity_id": entry["entity_id"], "compensation_action": data.get("action", ""),
        "amount_fen": amount if isinstance(amount, int) else "", "amount_yuan": amount_yuan,
        "status": data.get("status", ""), "agent_id": data.get("agent_id", ""),
        "customer_id": data.get("customer_id", ""), "case_id": data.get("case_id", ""),
        "order_id": data.get("order_id", ""), "codes": " ".join(data.get("codes", []) or []),
        "policy_version": data.get("policy_version", ""), "note": data.get("note", data.get("reason", "")),
        "hash": entry["hash"],
    }


def export(conn: sqlite3.Connection, out: TextIO, fmt: str = "csv", *, tz: str = "Asia/Shanghai",
           since: datetime | None = None, until: datetime | None = None) -> int:
    """Write entries to ``out`` as CSV (one row per entry, flattened) or JSON; returns the count."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r}; use csv or json")
    count = 0
    if fmt == "csv":
        import csv  # only exports need it

        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for entry in entries(conn, since, until):
            row = flat(entry, tz)
            writer.writerow([_cell(row[col]) for col in EXPORT_COLUMNS])
            count += 1
        return count
    out.write("[")
    for entry in entries(conn, since, until):
        out.write(("\n" if count == 0 else ",\n") + json.dumps(entry, ensure_ascii=False, sort_keys=True))
        count += 1
    out.write("\n]\n")
    return count
