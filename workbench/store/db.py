"""Connections to the local cache.

Measured on this machine (DESIGN.md section 6): a connection shared across threads fails inside Textual
thread workers, and a DEFERRED transaction that reads then writes fails at once with "database is
locked". So: one connection per thread (thread-local), ``busy_timeout`` on each, and every write in
``BEGIN IMMEDIATE``. WAL with ``synchronous=FULL`` because confirmed actions here are money.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000


def busy_timeout_ms() -> int:
    """How long a connection waits for another writer (env WORKBENCH_BUSY_TIMEOUT_MS overrides)."""
    return int(os.environ.get("WORKBENCH_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS))


class StoreError(Exception):
    """A cache problem the user must act on. ``kind`` is corrupt|locked|newer|unwritable."""

    def __init__(self, kind: str, path: str, detail: str, **extra: Any):
        self.kind, self.path, self.detail, self.extra = kind, path, detail, extra
        super().__init__(f"{kind}: {path}: {detail}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable with its fields (the start-up preload hands errors back from a child process)."""
        return (_store_error, (self.kind, self.path, self.detail, self.extra))


def _store_error(kind: str, path: str, detail: str, extra: dict[str, Any]) -> StoreError:
    return StoreError(kind, path, detail, **extra)


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -32000")


def classify(exc: sqlite3.Error, path: str) -> StoreError:
    """Turn a sqlite3 error into a StoreError the CLI/UI can explain."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError("locked", path, text)
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return StoreError("corrupt", path, text)
    if "readonly" in text or "unable to open" in text:
        return StoreError("unwritable", path, text)
    return StoreError("corrupt", path, text)


class Store:
    """The cache file plus one connection per thread.

    ``store.conn`` is the calling thread's connection (autocommit mode; reads see the latest commit).
    ``with store.write() as conn:`` runs a ``BEGIN IMMEDIATE`` transaction that commits on success and
    rolls back on any exception, so a row and its outbox entry land together or not at all.
    """

    def __init__(self, path: Path | str):
        self.path = str(path)
        self._local = threading.local()

    def _open(self) -> sqlite3.Connection:
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=busy_timeout_ms() / 1000)
            _configure(conn)
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal" and self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            raise classify(exc, self.path) from exc
        except OSError as exc:
            raise StoreError("unwritable", self.path, str(exc)) from exc
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    @property
    def db(self) -> "sqlite_utils.Database":
        """A sqlite-utils view of this thread's connection (bulk inserts, table introspection).

        Imported on first use: sqlite-utils costs ~50 ms to import, which the first paint should not pay.
        """
        import sqlite_utils

        wrapped = getattr(self._local, "db", None)
        if wrapped is None:
            wrapped = sqlite_utils.Database(self.conn)
            self._local.db = wrapped
        return wrapped

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction on this thread's connection (re-entrant: inner blocks join)."""
        conn = self.conn
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield conn
            finally:
                self._local.depth = depth
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        conn.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        """Close this thread's connection (other threads close theirs when they end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self._local.db = None
