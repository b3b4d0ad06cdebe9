"""Shared pieces of the sync tests: caches, seed data, and the two hubs behind one small "kit" interface.

PostgreSQL: one database and one set of roles per test run (unique name / prefix), created on first use
and dropped at the end of the session; tests reset the hub tables between them. Every PostgreSQL test
connects as a real agent login role, never as the superuser.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from workbench import changes
from workbench.authority.policy import builtin_text
from workbench.clock import Clock, FrozenClock, SystemClock
from workbench.context import Context, open_context
from workbench.demo.agents import DEMO_AGENTS, seed_agents
from workbench.timefmt import to_db

FROZEN_AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
PG_HOST = "127.0.0.1"
PG_PORT = 5432
NOW = to_db(FROZEN_AT)

#: A small policy where limits are hit after a few coupons (amounts in yuan).
SMALL_POLICY = builtin_text().replace("customer_cap = 1000", "customer_cap = 200").replace(
    "[tiers.L1]\ndaily_budget = 500", "[tiers.L1]\ndaily_budget = 100")


def pg_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((PG_HOST, PG_PORT)) == 0


def skip_without_pg() -> None:
    """The require_pg rule for session-scoped fixtures: skip locally, fail under CI."""
    if not pg_up():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI but 127.0.0.1:5432 does not answer")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432; start it to run the hub tests")


def make_cache(path: Path, agent_id: str, clock: Clock, hub_url: str = "") -> Context:
    """A migrated cache with the demo team, signed in as ``agent_id``; ``hub_url`` marks a hub configured."""
    ctx = open_context(db=path, clock=clock)
    seed_agents(ctx.store, clock.now())
    ctx.agent_id = agent_id
    ctx.settings.hub.url = hub_url
    return ctx


def seed_world(ctx: Context) -> None:
    """The same customer, order and two cases in every cache, as setup data (no outbox entries)."""
    with ctx.store.write() as conn:
        conn.execute("INSERT OR IGNORE INTO customers (id, name, vip_level, created_at, updated_at) "
                     "VALUES ('cu-wang', '王磊', 2, ?, ?)", (NOW, NOW))
        conn.execute("INSERT OR IGNORE INTO orders (id, order_no, platform, customer_id, status, total_fen, paid_fen, "
                     "created_at, updated_at) VALUES ('o-1', 'J2311001', 'taobao', 'cu-wang', 'delivered', 19900, 19900, ?, ?)",
                     (NOW, NOW))
        for case_id, assignee in (("c-kettle", "a-lina"), ("c-late", None)):
            conn.execute("INSERT OR IGNORE INTO cases (id, customer_id, order_id, subject, intent, assignee_id, "
                         "opened_at, updated_at) VALUES (?, 'cu-wang', 'o-1', '水壶破损', 'damaged_item', ?, ?, ?)",
                         (case_id, assignee, NOW, NOW))


def insert(ctx: Context, table: str, row: dict[str, Any]) -> None:
    with ctx.store.write() as conn:
        changes.insert(conn, ctx.clock, table, row, ctx.agent_id)


def update(ctx: Context, table: str, row_id: str, values: dict[str, Any]) -> None:
    with ctx.store.write() as conn:
        changes.update(conn, ctx.clock, table, row_id, values, ctx.agent_id)


def follow_up(fu_id: str, owner: str, **extra: Any) -> dict[str, Any]:
    return {"id": fu_id, "case_id": "c-kettle", "customer_id": "cu-wang", "owner_id": owner, "kind": "call_back",
            "note": "回访", "due_at": NOW, "status": "scheduled", "created_by": owner, "created_at": NOW,
            "updated_by": owner, "updated_at": NOW, **extra}


class PgTeam:
    """One throw-away database with an initialised hub and the demo team as login roles."""

    def __init__(self, policy_text: str | None = None):
        from adapters.hub_pg import admin

        self.tag = "wbt" + uuid.uuid4().hex[:10]
        self.db = self.tag
        self.admin = admin
        self._sql(f'CREATE DATABASE "{self.db}"', db="postgres")
        self.admin_dsn = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{self.db}"
        admin.init_hub(self.admin_dsn, policy_text or builtin_text(), prefix=self.tag)
        self.logins = {}
        for agent_id, name, role, tier, _ in DEMO_AGENTS:
            self.logins[agent_id] = admin.add_agent(self.admin_dsn, agent_id, role, tier, name=name)["login"]

    def _sql(self, statement: str, params: Any = None, db: str | None = None) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{db or self.db}", autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def dsn(self, agent_id: str, port: int = PG_PORT) -> str:
        return f"postgresql://{self.logins[agent_id]}@{PG_HOST}:{port}/{self.db}"

    def reset(self) -> None:
        self._sql("TRUNCATE hub.rows, hub.entries, hub.money, hub.budget_days, hub.customer_caps, hub.allowances")

    def set_policy(self, text: str) -> None:
        self.admin.set_policy(self.admin_dsn, text)

    def rows(self, entity: str) -> dict[str, dict[str, Any]]:
        return {r[0]: {**r[1], "_version": r[2]} for r in self._sql(
            "SELECT entity_id, data, version FROM hub.rows WHERE entity = %s", (entity,))}

    def drop(self) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)', db="postgres")
        for (role,) in self._sql("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (self.tag + "%",), db="postgres"):
            self._sql(f'DROP ROLE IF EXISTS "{role}"', db="postgres")


@pytest.fixture(scope="session")
def pg_team() -> Iterator[PgTeam]:
    skip_without_pg()
    team = PgTeam()
    try:
        yield team
    finally:
        team.drop()


class HubKit:
    """The same handful of operations on either hub, for the contract suite."""

    def __init__(self, kind: str, tmp: Path, team: PgTeam | None = None):
        self.kind, self.tmp, self.team = kind, tmp, team
        self.opened: list[Any] = []
        if kind == "sqlite":
            from adapters.hub_sqlite import SqliteHub

            self.path = tmp / "hub.db"
            setup = SqliteHub(self.path, "", clock=SystemClock())
            for agent_id, name, role, tier, _ in DEMO_AGENTS:
                setup.add_agent(agent_id, role, tier, name)
            setup.set_policy(builtin_text())
            self.opened.append(setup)
            self.setup = setup
        else:
            assert team is not None
            team.reset()
            team.set_policy(builtin_text())

    def url(self, agent_id: str) -> str:
        return f"sqlite:///{self.path}" if self.kind == "sqlite" else self.team.dsn(agent_id)  # type: ignore[union-attr]

    def hub(self, agent_id: str) -> Any:
        if self.kind == "sqlite":
            from adapters.hub_sqlite import SqliteHub

            hub: Any = SqliteHub(self.path, agent_id, clock=SystemClock(), register=False)
        else:
            from adapters.hub_pg.hub import PgHub

            hub = PgHub(self.team.dsn(agent_id))  # type: ignore[union-attr]
        self.opened.append(hub)
        return hub

    def set_policy(self, text: str) -> None:
        if self.kind == "sqlite":
            self.setup.set_policy(text)
        else:
            self.team.set_policy(text)  # type: ignore[union-attr]

    def rows(self, entity: str) -> dict[str, dict[str, Any]]:
        if self.kind == "sqlite":
            return self.setup.rows(entity)
        return self.team.rows(entity)  # type: ignore[union-attr]

    def close(self) -> None:
        for hub in self.opened:
            hub.close()
        if self.team is not None:
            self.team.reset()
            self.team.set_policy(builtin_text())


@pytest.fixture(params=["sqlite", "pg"])
def hubkit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HubKit]:
    team = None
    if request.param == "pg":
        request.getfixturevalue("require_pg")
        team = request.getfixturevalue("pg_team")
    kit = HubKit(request.param, tmp_path, team)
    try:
        yield kit
    finally:
        kit.close()


def outbox_rows(ctx: Context) -> list[dict[str, Any]]:
    return [dict(r) for r in ctx.store.query("SELECT * FROM outbox ORDER BY seq")]


def local_rows(ctx: Context, table: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: dict(r) for r in ctx.store.query(f"SELECT * FROM {table}")}


def same_fields(local: dict[str, Any], hub: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields the hub row carries that the local row disagrees on (JSON text compared as JSON)."""
    diff = {}
    for key, value in hub.items():
        if key.startswith("_") or key not in local:
            continue
        mine = local[key]
        if isinstance(value, (dict, list)) and isinstance(mine, str):
            mine = json.loads(mine)
        if isinstance(value, bool):
            value = int(value)
        if mine != value:
            diff[key] = (mine, value)
    return diff


def frozen(**delta: float) -> FrozenClock:
    from datetime import timedelta

    return FrozenClock(FROZEN_AT + timedelta(**delta))
