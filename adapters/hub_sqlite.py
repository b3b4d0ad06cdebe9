"""``sqlite:///path`` — a hub in one SQLite file: the embedded default for one machine, demos and tests.

Several agents' caches on the same machine can share the file. Every push batch is one ``BEGIN
IMMEDIATE`` transaction (DESIGN.md section 6: a deferred read-then-write fails at once under
contention), so entries are applied in a single writer order; that order is also the pull cursor
(``rows.seq``), which is safe here because SQLite commits writers one at a time. Each entry is applied at
most once by its idempotency key (``entries``); a re-sent batch gets the stored answers back.

Money is re-checked inside the same transaction with the pure :func:`workbench.authority.decide` on
figures counted from the hub's own ledger (``money``) in hub time. There is no security boundary on one
machine: the agent is whoever opened the hub, and the permission rules are applied in Python so the
contract tests see the same answers as from the PostgreSQL hub, which enforces them with RLS.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from workbench.authority import Policy, parse_policy
from workbench.clock import Clock, SystemClock
from workbench.sync import faults, hubmoney, permissions, redact
from workbench.sync.conflicts import FLAG_COMP_REJECTED, VERSIONED, HubRow, Merge, merge, owner_of
from workbench.sync.protocol import Change, Entry, HubRefused, HubUnavailable, Result

from adapters.hub_sqlite_ledger import Ledger

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('agent', 'lead')), tier TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS rows (entity TEXT NOT NULL, entity_id TEXT NOT NULL, data TEXT NOT NULL,
    version INTEGER NOT NULL, owner TEXT, prev_owner TEXT, last_key TEXT, updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (entity, entity_id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS rows_seq ON rows (seq);
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, agent_id TEXT NOT NULL, entity TEXT NOT NULL,
    entity_id TEXT NOT NULL, op TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    hub_version INTEGER, row TEXT, applied_at TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS money (comp_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, customer_id TEXT NOT NULL,
    case_id TEXT, action TEXT NOT NULL, amount_fen INTEGER NOT NULL, status TEXT NOT NULL, approver TEXT,
    counted_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS money_agent ON money (agent_id, counted_at);
CREATE INDEX IF NOT EXISTS money_customer ON money (customer_id, counted_at);
CREATE INDEX IF NOT EXISTS money_case ON money (case_id, action);
CREATE TABLE IF NOT EXISTS allowances (id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, granted_fen INTEGER NOT NULL,
    granted_at TEXT NOT NULL, expires_at TEXT NOT NULL);
"""


class SqliteHub:
    """A hub file opened for one agent. Not shared between threads: open one per thread."""

    def __init__(self, path: str | Path, agent_id: str, *, clock: Clock | None = None, role: str = "agent",
                 tier: str = "L1", name: str = "", register: bool = True, timezone: str = "Asia/Shanghai"):
        self.path = str(path)
        self.url = redact.url(f"sqlite:///{self.path}")
        self.agent_id = agent_id
        self.clock = clock or SystemClock()
        self._conn: sqlite3.Connection | None = None
        self._policy: tuple[str, Policy] | None = None
        self._seq = 0  # the last pull-cursor number handed out, re-read at the start of every push
        self._open()
        if self._meta("timezone") is None:
            self.set_meta("timezone", timezone)
        if register and agent_id:
            self.add_agent(agent_id, role, tier, name, replace=False)

    # ---------------------------------------------------------------- connection and settings

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA busy_timeout = 10000")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.executescript(SCHEMA)
            except (sqlite3.Error, OSError) as exc:
                raise HubUnavailable(f"hub file {self.path}: {exc}") from exc
            self._conn = conn
        return self._conn

    @property
    def conn(self) -> sqlite3.Connection:
        return self._open()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                          "value = excluded.value", (key, value))

    def set_policy(self, text: str, source: str = "policy.toml") -> Policy:
        """Store the team's policy (validated first: a broken file is refused, nothing changes)."""
        policy = parse_policy(text, source)
        self.set_meta("policy_toml", text)
        self.set_meta("policy_source", source)
        self._policy = None
        return policy

    def policy(self) -> Policy | None:
        text = self._meta("policy_toml")
        if text is None:
            return None
        if self._policy is None or self._policy[0] != text:
            self._policy = (text, parse_policy(text, self._meta("policy_source") or "hub policy"))
        return self._policy[1]

    def add_agent(self, agent_id: str, role: str, tier: str, name: str = "", replace: bool = True) -> None:
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        self.conn.execute(f"{verb} INTO agents (agent_id, name, role, tier, active) VALUES (?, ?, ?, ?, 1)",
                          (agent_id, name or agent_id, role, tier))

    def _agent(self, agent_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT agent_id AS id, name, role, tier, active FROM agents WHERE agent_id = ?",
                                (agent_id,)).fetchone()
        return dict(row) if row else None

    def _me(self) -> dict[str, Any]:
        me = self._agent(self.agent_id)
        if me is None or not me["active"]:
            raise HubRefused(f"agent {self.agent_id!r} is not registered on hub {self.url}; "
                             "ask the lead to run: workbench hub add-agent")
        return me

    # ---------------------------------------------------------------- push

    def push(self, entries: list[Entry]) -> list[Result]:
        conn = self.conn
        me = self._me()
        now = self.clock.now()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise HubUnavailable(f"hub file {self.path} is busy: {exc}") from exc
        try:
            self._seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM rows").fetchone()[0])
            ledger = Ledger(conn, self.policy(), self._meta("timezone") or "Asia/Shanghai", now)
            results = []
            for entry in entries:
                results.append(self._one(entry, me, ledger))
                faults.point("hub.mid_batch")
            faults.point("hub.before_commit")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        faults.point("hub.after_commit")
        return results

    def _one(self, entry: Entry, me: dict[str, Any], ledger: Ledger) -> Result:
        stored = self.conn.execute("SELECT status, reason, hub_version, row, entity, entity_id FROM entries "
                                   "WHERE key = ?", (entry.key,)).fetchone()
        if stored is not None:
            return Result(entry.key, stored[0], stored[1], stored[2], json.loads(stored[3]) if stored[3] else None,
                          stored[4], stored[5])
        current = self._row(entry.entity, entry.entity_id)
        if entry.entity == "compensations":
            result = self._money(entry, current, me, ledger)
        else:
            result = self._apply(entry, current, merge(entry.entity, current, entry, me["id"]), me, ledger.stamp)
        self.conn.execute(
            "INSERT INTO entries (key, agent_id, entity, entity_id, op, status, reason, hub_version, row, applied_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.key, me["id"], entry.entity, entry.entity_id, entry.op, result.status, result.reason,
             result.hub_version, json.dumps(result.row, ensure_ascii=False) if result.row is not None else None,
             ledger.stamp),
        )
        return result

    def _row(self, entity: str, entity_id: str) -> HubRow | None:
        row = self.conn.execute("SELECT data, version, owner, prev_owner, last_key FROM rows WHERE entity = ? "
                                "AND entity_id = ?", (entity, entity_id)).fetchone()
        return None if row is None else HubRow(json.loads(row[0]), row[1], row[2], row[3], row[4])

    def _store(self, entity: str, entity_id: str, data: dict[str, Any], current: HubRow | None,
               key: str, actor: str, stamp: str) -> int:
        version = (current.version if current else 0) + 1
        if entity in VERSIONED:
            data["version"] = version
        owner = owner_of(entity, data)
        prev = current.prev_owner if current else None
        if current is not None and owner != current.owner:
            prev = current.owner
        self._seq += 1
        self.conn.execute(
            "INSERT INTO rows (entity, entity_id, data, version, owner, prev_owner, last_key, updated_by, updated_at, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entity, entity_id) DO UPDATE SET data = excluded.data, "
            "version = excluded.version, owner = excluded.owner, prev_owner = excluded.prev_owner, "
            "last_key = excluded.last_key, updated_by = excluded.updated_by, updated_at = excluded.updated_at, "
            "seq = excluded.seq",
            (entity, entity_id, json.dumps(data, ensure_ascii=False, sort_keys=True), version, owner, prev, key,
             actor, stamp, self._seq),
        )
        return version

    def _permitted(self, entity: str, current: HubRow | None, data: dict[str, Any], me: dict[str, Any]) -> bool:
        return permissions.may_write(entity, me["id"], me["role"] == "lead", current, data)

    def _apply(self, entry: Entry, current: HubRow | None, plan: Merge, me: dict[str, Any], stamp: str) -> Result:
        hub_row = current.data if current else None
        version = current.version if current else None
        if plan.status == "rejected":
            return Result(entry.key, "rejected", plan.reason, version, hub_row, entry.entity, entry.entity_id)
        if plan.data is not None and not self._permitted(entry.entity, current, plan.data, me):
            return Result(entry.key, "rejected", "not_permitted", version, hub_row, entry.entity, entry.entity_id)
        for entity, extra_id, extra in plan.extra:
            if not self._permitted(entity, None, extra, me):
                return Result(entry.key, "rejected", "not_permitted", version, hub_row, entry.entity, entry.entity_id)
        for entity, extra_id, extra in plan.extra:
            self._store(entity, extra_id, extra, self._row(entity, extra_id), entry.key, me["id"], stamp)
        if plan.data is not None:
            version = self._store(entry.entity, entry.entity_id, plan.data, current, entry.key, me["id"], stamp)
            hub_row = plan.data
        return Result(entry.key, plan.status, plan.reason, version, hub_row if plan.send_row else None,
                      entry.entity, entry.entity_id)

    def _money(self, entry: Entry, current: HubRow | None, me: dict[str, Any], ledger: Ledger) -> Result:
        plan = hubmoney.plan(current, entry, me["id"], me["role"] == "lead")
        version = current.version if current else None
        if plan.kind == "refuse":
            return Result(entry.key, plan.status, plan.reason, version, current.data if current else None,
                          entry.entity, entry.entity_id)
        if plan.kind == "same" or plan.data is None:
            return Result(entry.key, "accepted", "", version, current.data if current else None,
                          entry.entity, entry.entity_id)
        data, reason = plan.data, ""
        if plan.kind in ("issue", "approve"):
            requester = me if plan.kind == "issue" else (self._agent(str(data.get("agent_id")))
                                                         or {"id": data.get("agent_id"), "role": "agent", "tier": ""})
            reason = ledger.check(requester, data, me if plan.kind == "approve" else None)
            if reason:
                data = hubmoney.rejected(data, reason)
                self._flag_case(data.get("case_id"), entry.key, me["id"], ledger.stamp)
            else:
                data = hubmoney.accepted(data)
                ledger.count(data, "issued" if plan.kind == "issue" else "approved",
                             me["id"] if plan.kind == "approve" else None)
        elif plan.kind == "decline":
            data = hubmoney.accepted(data)
        version = self._store(entry.entity, entry.entity_id, data, current, entry.key, me["id"], ledger.stamp)
        return Result(entry.key, "rejected" if reason else "accepted", reason, version, data,
                      entry.entity, entry.entity_id)

    def _flag_case(self, case_id: Any, key: str, actor: str, stamp: str) -> None:
        case = self._row("cases", str(case_id)) if case_id else None
        if case is not None:
            self._store("cases", str(case_id), {**case.data, "flag": FLAG_COMP_REJECTED}, case, key, actor, stamp)

    # ---------------------------------------------------------------- pull and allowance

    def pull(self, cursor: str, limit: int) -> tuple[list[Change], str]:
        after = int(cursor or 0)
        rows = self.conn.execute("SELECT entity, entity_id, version, data, updated_by, seq FROM rows WHERE seq > ? "
                                 "ORDER BY seq LIMIT ?", (after, limit)).fetchall()
        changes = [Change(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]
        return changes, str(rows[-1][5]) if rows else str(after)

    def grant_allowance(self, agent_id: str) -> dict[str, Any]:
        me = self._me()
        if agent_id and agent_id != me["id"]:
            raise HubRefused(f"this hub connection belongs to {me['id']!r}, not {agent_id!r}")
        now = self.clock.now()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            ledger = Ledger(self.conn, self.policy(), self._meta("timezone") or "Asia/Shanghai", now)
            grant = ledger.allowance(me, float(self._meta("offline_share") or hubmoney.DEFAULT_OFFLINE_SHARE),
                                     int(self._meta("offline_hours") or hubmoney.DEFAULT_OFFLINE_HOURS))
            self.conn.execute("INSERT INTO allowances (agent_id, granted_fen, granted_at, expires_at) VALUES (?, ?, ?, ?)",
                              (me["id"], grant["granted_fen"], grant["granted_at"], grant["expires_at"]))
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return grant

    # ---------------------------------------------------------------- inspection (tests, CLI)

    def rows(self, entity: str) -> dict[str, dict[str, Any]]:
        return {r[0]: {**json.loads(r[1]), "_version": r[2]} for r in self.conn.execute(
            "SELECT entity_id, data, version FROM rows WHERE entity = ?", (entity,))}

    def entry_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM entries").fetchone()[0])
