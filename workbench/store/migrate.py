"""Numbered migrations (``migrations/NNNN_name.sql``), applied in order at start.

``PRAGMA user_version`` holds the number of the last applied file. A cache written by a newer
program (a higher number than we ship) is refused before anything is touched.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from workbench.store.db import Store, StoreError, classify

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) for every shipped migration, in order."""
    # Shipped beside this module; importlib.resources would add its import to the first frame.
    folder = Path(__file__).parent / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text("utf-8")))
    return sorted(found)


def latest() -> int:
    return available()[-1][0]


def current_version(store: Store) -> int:
    try:
        return int(store.scalar("PRAGMA user_version"))
    except sqlite3.Error as exc:
        raise classify(exc, store.path) from exc


def migrate(store: Store) -> int:
    """Bring the cache up to the latest schema; returns the version. Raises StoreError."""
    try:
        store.scalar("SELECT count(*) FROM sqlite_master")
    except sqlite3.Error as exc:
        raise classify(exc, store.path) from exc
    version = current_version(store)
    migrations = available()  # read the files once: every start runs this
    known = migrations[-1][0]
    if version > known:
        raise StoreError("newer", store.path, f"schema {version} > {known}", found=version, known=known)
    for number, name, sql in migrations:
        if number <= version:
            continue
        try:
            with store.write() as conn:
                for statement in _split(sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        except sqlite3.Error as exc:
            raise StoreError("corrupt", store.path, f"migration {name} failed: {exc}") from exc
        version = number
    return version


def _split(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3 runs one at a time inside our transaction)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
