"""``postgresql://…`` — the team hub, reached directly with psycopg 3 as the agent's own database role.

A push batch is one transaction. The rows it touches are locked ``FOR UPDATE`` (sorted, so two
agents' batches lock in the same order), merged in Python by the same rules as the SQLite hub
(:mod:`workbench.sync.conflicts`), and written under row-level security: the policies, keyed on the
login role, decide what this agent may change, and a trigger stamps the version, owner and transaction
id so no client can forge them. Compensations go through ``hub.apply_compensation`` (SECURITY
DEFINER), which re-checks money with row locks on the agent's budget day and the customer's cap.

Transient failures (deadlock between two batches, a concurrent insert of the same row) roll the batch
back and retry it: every entry carries its idempotency key, so a retry or a re-send after a lost COMMIT
is harmless. If a write is refused by row-level security the batch is redone entry by entry under
savepoints so only that entry is rejected.

The pull cursor is a window of transaction ids: rows whose ``txid`` lies between the previous and the
current ``pg_snapshot_xmin`` are complete (every older transaction has ended), so a transaction that
commits after a later one is delivered in a later window, never skipped. Sessions set
``idle_in_transaction_session_timeout`` because one forgotten open transaction would hold the window.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from workbench.sync import permissions, redact
from workbench.sync.conflicts import VERSIONED, HubRow, Merge, merge, owner_of
from workbench.sync.protocol import Change, Entry, HubError, HubRefused, HubUnavailable, Result

RETRIES = 6
_RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure, pg_errors.UniqueViolation)
_ROW_COLUMNS = "entity, entity_id, data, version, owner, prev_owner, last_key"


class _Careful(Exception):
    """Row-level security refused a write in a fast batch: redo it entry by entry."""


class PgHub:
    """One agent's connection to the team hub (not shared between threads)."""

    def __init__(self, dsn: str, *, connect_timeout: int = 5, idle_timeout_s: int = 30,
                 lock_timeout_s: int = 15):
        self._dsn = dsn
        self.url = redact.url(dsn)
        self._secrets = (redact.password_of(dsn),)
        self._options = (f"-c idle_in_transaction_session_timeout={idle_timeout_s * 1000} "
                         f"-c lock_timeout={lock_timeout_s * 1000}")
        self._timeout = connect_timeout
        self._conn: psycopg.Connection[Any] | None = None
        self.agent_id = ""
        self.is_lead = False

    # ---------------------------------------------------------------- connection

    def _fail(self, exc: Exception) -> HubError:
        """A redacted HubError for a driver error; connection problems drop the connection."""
        message = redact.text(f"{type(exc).__name__}: {exc}".strip(), self._secrets)
        if isinstance(exc, psycopg.OperationalError) and not isinstance(exc, pg_errors.QueryCanceled):
            self.close()
            return HubUnavailable(f"{self.url}: {message}")
        if isinstance(exc, (pg_errors.InsufficientPrivilege, pg_errors.UndefinedTable, pg_errors.UndefinedFunction,
                            pg_errors.InvalidSchemaName)):
            return HubRefused(f"{self.url}: {message}")
        return HubError(f"{self.url}: {message}")

    def connect(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        try:
            conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=self._timeout,
                                   options=self._options, application_name="workbench-sync")
        except psycopg.Error as exc:
            raise self._fail(exc) from None
        try:
            row = conn.execute("SELECT hub.me(), hub.is_lead()").fetchone()
        except psycopg.Error as exc:
            conn.close()
            raise self._fail(exc) from None
        if row is None or row[0] is None:
            login = conn.info.user
            conn.close()
            raise HubRefused(f"{self.url}: login role {login!r} is not an active agent of this hub; "
                             "the lead runs: workbench hub add-agent")
        self.agent_id, self.is_lead = str(row[0]), bool(row[1])
        self._conn = conn
        return conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn.close()

    # ---------------------------------------------------------------- push

    def push(self, entries: list[Entry]) -> list[Result]:
        careful = False
        for attempt in range(RETRIES):
            conn = self.connect()
            try:
                with conn.transaction():
                    return _Batch(conn, self.agent_id, self.is_lead, careful).run(entries)
            except _Careful:
                careful = True
            except _RETRYABLE:
                continue
            except psycopg.Error as exc:
                raise self._fail(exc) from None
        raise HubError(f"{self.url}: batch kept colliding with other writers after {RETRIES} attempts; "
                       "it will be retried at the next sync")

    # ---------------------------------------------------------------- pull and allowance

    def pull(self, cursor: str, limit: int) -> tuple[list[Change], str]:
        state = json.loads(cursor) if cursor else {"lo": "0", "hi": "0", "after": None}
        conn = self.connect()
        try:
            if state.get("after") is None:
                horizon = conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").fetchone()
                state = {"lo": state["hi"], "hi": horizon[0] if horizon else state["hi"], "after": None}
            after = state["after"] or [state["lo"], "", ""]
            rows = conn.execute(
                # The cast gets its own name: "ORDER BY txid" would otherwise sort the *text* ('10' < '9').
                f"SELECT r.txid::text AS txid_text, {_ROW_COLUMNS}, updated_by FROM hub.rows r "
                "WHERE r.txid >= %s::xid8 AND r.txid < %s::xid8 AND (r.txid, r.entity, r.entity_id) > (%s::xid8, %s, %s) "
                "ORDER BY r.txid, r.entity, r.entity_id LIMIT %s",
                (state["lo"], state["hi"], after[0], after[1], after[2], limit),
            ).fetchall()
        except psycopg.Error as exc:
            raise self._fail(exc) from None
        changes = [Change(r[1], r[2], r[4], r[3], r[8]) for r in rows]
        if len(rows) < limit:
            state = {"lo": state["hi"], "hi": state["hi"], "after": None}
        else:
            state = {**state, "after": [rows[-1][0], rows[-1][1], rows[-1][2]]}
        return changes, json.dumps(state, separators=(",", ":"))

    def grant_allowance(self, agent_id: str) -> dict[str, Any]:
        conn = self.connect()
        if agent_id and agent_id != self.agent_id:
            raise HubRefused(f"{self.url}: this login belongs to {self.agent_id!r}, not {agent_id!r}")
        try:
            row = conn.execute("SELECT hub.grant_allowance()").fetchone()
        except psycopg.Error as exc:
            raise self._fail(exc) from None
        return dict(row[0]) if row else {}


class _Batch:
    """One push transaction: stored answers, row locks, merges, writes in entry order."""

    def __init__(self, conn: psycopg.Connection[Any], me: str, is_lead: bool, careful: bool):
        self.conn, self.me, self.is_lead, self.careful = conn, me, is_lead, careful
        self.state: dict[tuple[str, str], HubRow] = {}
        self.locked_out: dict[tuple[str, str], HubRow] = {}
        self.writes: list[tuple[str, str, str, dict[str, Any], str]] = []
        self.answers: list[tuple[Any, ...]] = []

    def run(self, entries: list[Entry]) -> list[Result]:
        stored = self._stored([e.key for e in entries])
        self._lock({(e.entity, e.entity_id) for e in entries if e.key not in stored and e.entity != "compensations"})
        results: list[Result] = []
        for entry in entries:
            if entry.key in stored:  # applied before (a re-send), or earlier in this very batch
                results.append(stored[entry.key])
                continue
            if entry.entity == "compensations":
                self._flush()
                result = self._money(entry)
            elif self.careful:
                result = self._one_careful(entry)
            else:
                result = self._one(entry)
            stored[entry.key] = result
            results.append(result)
        self._flush()
        return results

    def _stored(self, keys: list[str]) -> dict[str, Result]:
        rows = self.conn.execute("SELECT key, status, reason, hub_version, row, entity, entity_id FROM hub.entries "
                                 "WHERE key = ANY(%s)", (keys,)).fetchall()
        return {r[0]: Result(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows}

    def _lock(self, pairs: set[tuple[str, str]]) -> None:
        if not pairs:
            return
        ordered = sorted(pairs)
        params = ([p[0] for p in ordered], [p[1] for p in ordered])
        where = "(entity, entity_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
        for r in self.conn.execute(f"SELECT {_ROW_COLUMNS} FROM hub.rows WHERE {where} "
                                   "ORDER BY entity, entity_id FOR UPDATE", params).fetchall():
            self.state[(r[0], r[1])] = HubRow(r[2], r[3], r[4], r[5], r[6])
        missing = [p for p in ordered if p not in self.state]
        if missing:  # visible to us but not ours to change: row-level security hid them from FOR UPDATE
            params = ([p[0] for p in missing], [p[1] for p in missing])
            for r in self.conn.execute(f"SELECT {_ROW_COLUMNS} FROM hub.rows WHERE {where}", params).fetchall():
                self.locked_out[(r[0], r[1])] = HubRow(r[2], r[3], r[4], r[5], r[6])

    def _put(self, entity: str, entity_id: str, data: dict[str, Any], key: str) -> HubRow:
        """Queue a write and advance the in-memory row exactly as the hub's trigger will."""
        current = self.state.get((entity, entity_id))
        owner = owner_of(entity, data)
        version = current.version + 1 if current else 1
        prev = None if current is None else (current.owner if owner != current.owner else current.prev_owner)
        if entity in VERSIONED:
            data = {**data, "version": version}
        self.writes.append(("update" if current else "insert", entity, entity_id, data, key))
        row = HubRow(data, version, owner, prev, key)
        self.state[(entity, entity_id)] = row
        return row

    def _one(self, entry: Entry) -> Result:
        pair = (entry.entity, entry.entity_id)
        current = self.state.get(pair) or self.locked_out.get(pair)
        plan: Merge = merge(entry.entity, current, entry, self.me)
        version = current.version if current else None
        hub_row = current.data if current else None
        if plan.status == "rejected":
            return self._answer(entry, Result(entry.key, "rejected", plan.reason, version, hub_row))
        checks = [(e, None, d) for e, _, d in plan.extra]
        if plan.data is not None:
            checks.append((entry.entity, current, plan.data))
        writable = plan.data is None or pair not in self.locked_out  # RLS hid it from FOR UPDATE: not ours
        if not writable or not all(permissions.may_write(e, self.me, self.is_lead, c, d) for e, c, d in checks):
            return self._answer(entry, Result(entry.key, "rejected", "not_permitted", version, hub_row))
        for entity, extra_id, extra in plan.extra:
            self._put(entity, extra_id, extra, entry.key)
        if plan.data is not None:
            row = self._put(entry.entity, entry.entity_id, plan.data, entry.key)
            version, hub_row = row.version, row.data
        return self._answer(entry, Result(entry.key, plan.status, plan.reason, version,
                                          hub_row if plan.send_row else None))

    def _one_careful(self, entry: Entry) -> Result:
        """Apply one entry under a savepoint; a refusal by row-level security rejects only it."""
        saved = dict(self.state)
        try:
            with self.conn.transaction():
                result = self._one(entry)
                self._flush()
            return result
        except pg_errors.InsufficientPrivilege:
            self.state, self.writes, self.answers = saved, [], []
            current = saved.get((entry.entity, entry.entity_id))
            result = Result(entry.key, "rejected", "not_permitted", current.version if current else None,
                            current.data if current else None)
            self._answer(entry, result)
            self._flush()
            return result

    def _answer(self, entry: Entry, result: Result) -> Result:
        result = Result(result.key, result.status, result.reason, result.hub_version, result.row,
                        entry.entity, entry.entity_id)
        self.answers.append((entry.key, self.me, entry.entity, entry.entity_id, entry.op, result.status,
                             result.reason, result.hub_version, Jsonb(result.row) if result.row is not None else None))
        return result

    def _flush(self) -> None:
        """Write queued rows, then the answers: two pipelined statements however long the batch.

        All inserts go first: a row's insert is always its first write in the batch and rows are
        independent, so each row still sees its own writes in order.
        """
        cur = self.conn.cursor()
        inserts = [(w[1], w[2], Jsonb(w[3]), w[4]) for w in self.writes if w[0] == "insert"]
        updates = [(Jsonb(w[3]), w[4], w[1], w[2]) for w in self.writes if w[0] == "update"]
        try:
            if inserts:
                cur.executemany("INSERT INTO hub.rows (entity, entity_id, data, last_key) VALUES (%s, %s, %s, %s)",
                                inserts)
            if updates:
                cur.executemany("UPDATE hub.rows SET data = %s, last_key = %s WHERE entity = %s AND entity_id = %s",
                                updates)
                if cur.rowcount != len(updates):
                    raise _Careful()
        except pg_errors.InsufficientPrivilege:
            if self.careful:
                raise
            raise _Careful() from None
        self.writes = []
        if self.answers:
            cur.executemany("INSERT INTO hub.entries (key, agent_id, entity, entity_id, op, status, reason, hub_version, row) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", self.answers)
            self.answers = []

    def _money(self, entry: Entry) -> Result:
        row = self.conn.execute("SELECT hub.apply_compensation(%s, %s, %s, %s, %s)",
                                (entry.key, entry.op, entry.entity_id, Jsonb(entry.payload),
                                 Jsonb(entry.snapshot) if entry.snapshot is not None else None)).fetchone()
        answer: dict[str, Any] = row[0] if row else {}
        data = answer.get("row") or {}
        case_id = data.get("case_id")
        if case_id and ("cases", case_id) in self.state:  # the function may have flagged that case
            fresh = self.conn.execute(f"SELECT {_ROW_COLUMNS} FROM hub.rows WHERE entity = 'cases' AND entity_id = %s",
                                      (case_id,)).fetchone()
            if fresh:
                self.state[("cases", case_id)] = HubRow(fresh[2], fresh[3], fresh[4], fresh[5], fresh[6])
        return Result(entry.key, answer.get("status", "rejected"), answer.get("reason", ""),
                      answer.get("hub_version"), answer.get("row"), entry.entity, entry.entity_id)
