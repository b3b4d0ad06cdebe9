"""The demo team every test, snapshot and first run signs in with.

The ids and names are a contract other features rely on (``a-lina`` is the default signed-in agent,
``a-zhaomin`` the lead who approves). Seeding is idempotent (INSERT OR IGNORE) and writes no outbox
entry: the team is setup data, not a change an agent made.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from workbench.store import Store
from workbench.timefmt import to_db

#: (id, name, role, tier, lang)
DEMO_AGENTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("a-lina", "李娜", "agent", "L1", "zh"),
    ("a-chenjie", "陈杰", "agent", "L1", "zh"),
    ("a-wangqiang", "王强", "agent", "L2", "zh"),
    ("a-zhaomin", "赵敏", "lead", "L3", "zh"),
)

AGENT_IDS: tuple[str, ...] = tuple(a[0] for a in DEMO_AGENTS)


def insert_agents(conn: sqlite3.Connection, now: datetime) -> None:
    """Insert the demo team on ``conn`` inside the caller's transaction (existing rows are kept)."""
    stamp = to_db(now)
    conn.executemany(
        "INSERT OR IGNORE INTO agents (id, name, role, tier, lang, active, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 1, ?)",
        [(*agent, stamp) for agent in DEMO_AGENTS],
    )


def seed_agents(store: Store, now: datetime) -> None:
    """Create the four demo agents in one write transaction; running it again changes nothing."""
    with store.write() as conn:
        insert_agents(conn, now)
