"""The cache: migrations, refusing newer schemas, outbox-in-the-same-transaction, bad files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workbench import changes, outbox
from workbench.clock import FrozenClock
from workbench.store import Store, StoreError
from workbench.store.migrate import current_version, latest, migrate


def test_migrate_creates_schema_and_is_idempotent(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    assert migrate(store) == latest()
    assert migrate(store) == latest()
    tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in ("agents", "customers", "orders", "order_items", "shipments", "shipment_events", "cases",
                  "messages", "kb_articles", "kb_fts", "follow_ups", "compensations", "audit_log", "outbox"):
        assert table in tables
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA busy_timeout") == 5000


def test_newer_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = Store(path)
    migrate(store)
    store.conn.execute(f"PRAGMA user_version = {latest() + 5}")
    store.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        migrate(Store(path))
    assert info.value.kind == "newer"
    assert path.read_bytes() == before


def test_corrupt_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        migrate(Store(path))
    assert info.value.kind == "corrupt"
    assert path.read_bytes() == before


def test_row_and_outbox_commit_together(ctx) -> None:  # type: ignore[no-untyped-def]
    clock = FrozenClock()
    row = {"id": "a-new", "name": "新人", "role": "agent", "tier": "L1", "updated_at": "2026-11-23T02:00:00Z"}
    with pytest.raises(RuntimeError):
        with ctx.store.write() as conn:
            changes.insert(conn, clock, "agents", row, "a-lina")
            raise RuntimeError("crash between row and commit")
    assert ctx.store.scalar("SELECT count(*) FROM agents WHERE id = 'a-new'") == 0
    assert outbox.pending_count(ctx.store.conn) == 0
    with ctx.store.write() as conn:
        changes.insert(conn, clock, "agents", row, "a-lina")
    assert ctx.store.scalar("SELECT count(*) FROM agents WHERE id = 'a-new'") == 1
    entry = ctx.store.one("SELECT entity, entity_id, op FROM outbox")
    assert tuple(entry) == ("agents", "a-new", "create")


def test_outbox_refuses_writes_outside_a_transaction(ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(outbox.OutsideTransaction):
        outbox.record(ctx.store.conn, FrozenClock(), entity="x", entity_id="1", op="create", payload={})


def test_connections_are_per_thread(tmp_path: Path) -> None:
    import threading

    store = Store(tmp_path / "c.db")
    migrate(store)
    seen: list[int] = []

    def work() -> None:
        seen.append(id(store.conn))
        store.scalar("SELECT 1")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen and seen[0] != id(store.conn)


def test_write_waits_for_another_writer(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE + busy_timeout: a second writer waits instead of failing at once."""
    path = tmp_path / "c.db"
    store = Store(path)
    migrate(store)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    import threading

    def release() -> None:
        other.execute("COMMIT")

    timer = threading.Timer(0.3, release)
    timer.start()
    with store.write() as conn:
        conn.execute("INSERT INTO sync_state VALUES ('k', 'v')")
    timer.join()
    assert store.scalar("SELECT value FROM sync_state WHERE key='k'") == "v"
    assert current_version(store) == latest()
