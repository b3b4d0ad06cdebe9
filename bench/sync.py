"""Benchmark: push and pull throughput of the sync for 100k outbox entries, SQLite hub and PostgreSQL.

Baselines in the same run (machines are noisy, so the ratios matter more than the rates):

- push: raw ``executemany`` of the very same rows (entity, id, JSON) into a plain table, one
  transaction, on the same engine (a SQLite file with the hub's pragmas; the same PostgreSQL server);
- pull: raw ``SELECT`` of those rows plus ``executemany`` into a plain local SQLite table.

The ratio is what idempotency keys, conflict rules, row locks, row-level security, the xid8 cursor and
the local apply (no echo, parked rows, sync bookkeeping) cost on top of moving the bytes.

Run: ``.venv/bin/python bench/sync.py [--entries 100000] [--no-pg]``. PostgreSQL is used when it answers
on 127.0.0.1:5432 (a throw-away database and roles are created and dropped).
"""

from __future__ import annotations

import argparse
import json
import socket
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.hub_sqlite import SqliteHub  # noqa: E402
from workbench import changes  # noqa: E402
from workbench.authority.policy import builtin_text  # noqa: E402
from workbench.clock import FrozenClock  # noqa: E402
from workbench.context import Context, open_context  # noqa: E402
from workbench.demo.agents import seed_agents  # noqa: E402
from workbench.sync.engine import pull_changes, push_pending  # noqa: E402
from workbench.timefmt import to_db  # noqa: E402

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
BODY = "顾客反馈水壶外壳开裂,已请顾客拍照,核对订单后安排补发,预计48小时内发出,并约定明天上午回访确认。" * 2


def cache(path: Path, agent: str) -> Context:
    ctx = open_context(db=path, clock=FrozenClock(NOW))
    seed_agents(ctx.store, NOW)
    ctx.agent_id = agent
    with ctx.store.write() as conn:
        conn.execute("INSERT OR IGNORE INTO customers (id, name, created_at, updated_at) VALUES ('cu', '王磊', ?, ?)",
                     (to_db(NOW), to_db(NOW)))
        conn.execute("INSERT OR IGNORE INTO cases (id, customer_id, opened_at, updated_at) VALUES ('c', 'cu', ?, ?)",
                     (to_db(NOW), to_db(NOW)))
    return ctx


def fill_outbox(ctx: Context, count: int) -> list[tuple[str, str, str]]:
    """``count`` notes written the product's way (row + outbox entry); returns the rows for the baseline."""
    rows = []
    with ctx.store.write() as conn:
        for i in range(count):
            row = {"id": f"n-{i:06d}", "case_id": "c", "agent_id": ctx.agent_id, "kind": "note", "body": BODY,
                   "at": to_db(NOW)}
            changes.insert(conn, ctx.clock, "case_notes", row, ctx.agent_id)
            rows.append(("case_notes", row["id"], json.dumps(row, ensure_ascii=False, sort_keys=True)))
    return rows


def timed(step: Callable[[], Any], expect: int | None = None) -> float:
    """Seconds one step took; with ``expect``, the step's report must account for that many entries."""
    started = time.perf_counter()
    report = step()
    elapsed = time.perf_counter() - started
    if expect is not None:
        done = max(getattr(report, "pushed", 0), getattr(report, "applied", 0))
        if done != expect:
            raise SystemExit(f"benchmark step moved {done} entries, expected {expect}: {report}")
    return elapsed


def _pull_everything(reader: Context, hub: Any, expected: int) -> Any:
    """Pull until every pushed row has arrived (on PostgreSQL a transaction still open elsewhere in the
    cluster holds the xid window back for a moment; the pull then simply returns the rest next call)."""
    total = pull_changes(reader, hub, limit=2000)
    for _ in range(50):
        if total.applied >= expected:
            break
        more = pull_changes(reader, hub, limit=2000)
        total.applied += more.applied
        if not more.pulled:
            time.sleep(0.1)
    return total


def sqlite_baseline(folder: Path, rows: list[tuple[str, str, str]]) -> tuple[float, float]:
    hub_file = sqlite3.connect(folder / "raw_hub.db", isolation_level=None)
    hub_file.execute("PRAGMA journal_mode = WAL")
    hub_file.execute("PRAGMA synchronous = FULL")
    hub_file.execute("CREATE TABLE rows (entity TEXT, entity_id TEXT, data TEXT, PRIMARY KEY (entity, entity_id))")

    def push() -> None:
        hub_file.execute("BEGIN IMMEDIATE")
        hub_file.executemany("INSERT INTO rows VALUES (?, ?, ?)", rows)
        hub_file.execute("COMMIT")

    push_s = timed(push)
    pull_s = timed(lambda: _raw_pull(folder, hub_file.execute("SELECT entity, entity_id, data FROM rows").fetchall()))
    return push_s, pull_s


def _raw_pull(folder: Path, fetched: list[Any]) -> None:
    local = sqlite3.connect(folder / f"raw_local_{uuid.uuid4().hex[:6]}.db", isolation_level=None)
    local.execute("PRAGMA journal_mode = WAL")
    local.execute("CREATE TABLE rows (entity TEXT, entity_id TEXT, data TEXT, PRIMARY KEY (entity, entity_id))")
    local.execute("BEGIN IMMEDIATE")
    local.executemany("INSERT INTO rows VALUES (?, ?, ?)", [tuple(r) for r in fetched])
    local.execute("COMMIT")
    local.close()


def pg_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def run_pg(folder: Path, count: int, rows: list[tuple[str, str, str]]) -> list[list[str]]:
    import psycopg
    from psycopg.types.json import Jsonb

    from adapters.hub_pg import admin
    from adapters.hub_pg.hub import PgHub

    tag = "wbbench" + uuid.uuid4().hex[:8]
    server = "postgresql://postgres@127.0.0.1:5432"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{tag}"')
    try:
        admin.init_hub(f"{server}/{tag}", builtin_text(), prefix=tag)
        login = admin.add_agent(f"{server}/{tag}", "a-lina", "agent", "L1")["login"]
        admin.add_agent(f"{server}/{tag}", "a-chenjie", "agent", "L1")
        dsn = f"postgresql://{login}@127.0.0.1:5432/{tag}"
        source = cache(folder / "pg_source.db", "a-lina")
        fill_outbox(source, count)
        hub = PgHub(dsn)
        push_s = timed(lambda: push_pending(source, hub, batch_size=500), count)
        reader = cache(folder / "pg_reader.db", "a-chenjie")
        reader_hub = PgHub(f"postgresql://{tag}_a_chenjie@127.0.0.1:5432/{tag}")
        pull_s = timed(lambda: _pull_everything(reader, reader_hub, count), count)
        reader_hub.close()
        with psycopg.connect(f"{server}/{tag}", autocommit=True) as conn:
            conn.execute("CREATE TABLE raw_rows (entity text, entity_id text, data jsonb, PRIMARY KEY (entity, entity_id))")

            def raw_push() -> None:
                with conn.transaction():
                    conn.cursor().executemany("INSERT INTO raw_rows VALUES (%s, %s, %s)",
                                              [(e, i, Jsonb(json.loads(d))) for e, i, d in rows])

            raw_push_s = timed(raw_push)
            raw_pull_s = timed(lambda: _raw_pull(folder, [(e, i, json.dumps(d, ensure_ascii=False)) for e, i, d in
                                                          conn.execute("SELECT entity, entity_id, data FROM raw_rows")]))
        hub.close()
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{tag}" WITH (FORCE)')
            for (role,) in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (tag + "%",)).fetchall():
                conn.execute(f'DROP ROLE "{role}"')
    return [line("PostgreSQL", "push", count, push_s, raw_push_s), line("PostgreSQL", "pull", count, pull_s, raw_pull_s)]


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    print(f"\n{title}")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def line(hub: str, phase: str, count: int, seconds: float, baseline: float) -> list[str]:
    return [hub, phase, f"{count:,}", f"{seconds:.2f}", f"{count / seconds:,.0f}", f"{count / baseline:,.0f}",
            f"{seconds / baseline:.1f}×"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    count = args.entries
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = cache(folder / "source.db", "a-lina")
        rows = fill_outbox(source, count)
        hub = SqliteHub(folder / "hub.db", "a-lina", clock=FrozenClock(NOW))
        hub.set_policy(builtin_text())
        SqliteHub(folder / "hub.db", "a-chenjie", clock=FrozenClock(NOW)).close()
        push_s = timed(lambda: push_pending(source, hub, batch_size=500), count)
        reader = cache(folder / "reader.db", "a-chenjie")
        reader_hub = SqliteHub(folder / "hub.db", "a-chenjie", register=False)
        pull_s = timed(lambda: _pull_everything(reader, reader_hub, count), count)
        reader_hub.close()
        hub.close()
        raw_push_s, raw_pull_s = sqlite_baseline(folder, rows)
        results = [line("SQLite file", "push", count, push_s, raw_push_s),
                   line("SQLite file", "pull", count, pull_s, raw_pull_s)]
        if args.no_pg or not pg_up():
            print("PostgreSQL skipped (--no-pg or 127.0.0.1:5432 not answering)")
        else:
            results += run_pg(folder, count, rows)
    table(f"Sync throughput, {count:,} outbox entries (notes of ~{len(BODY)} characters), batches of 500 / pages of 2,000",
          ["hub", "phase", "entries", "seconds", "entries/s", "raw executemany/s", "cost vs raw"], results)


if __name__ == "__main__":
    main()
