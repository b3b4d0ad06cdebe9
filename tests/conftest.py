"""Shared fixtures: a frozen clock, an empty migrated cache, and the small demo dataset.

The demo cache is generated once per session into a template file and copied for each test (fast,
and every test starts from the same deterministic data).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workbench.clock import FrozenClock
from workbench.context import Context, open_context

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_DATA = SHARED / "data"
# Monday 2026-11-23 10:00 in Asia/Shanghai: inside business hours, deterministic for snapshots.
FROZEN_AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's real config or data dirs."""
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WORKBENCH_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("WORKBENCH_DB", raising=False)
    monkeypatch.delenv("WORKBENCH_CONFIG", raising=False)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_AT)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def ctx(tmp_path: Path, clock: FrozenClock) -> Context:
    """An empty, migrated cache with the demo team's agents (no customers or cases)."""
    from workbench.demo.agents import seed_agents

    context = open_context(db=tmp_path / "cache.db", clock=clock)
    seed_agents(context.store, clock.now())
    context.agent_id = "a-lina"
    return context


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.demo.generate import generate
    from workbench.store import Store
    from workbench.store.migrate import migrate

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = Store(path)
    migrate(store)
    generate(store, scale="small", seed=7, now=FROZEN_AT)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small demo cache for one test."""
    target = tmp_path / "demo.db"
    src = sqlite3.connect(demo_template)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return target


@pytest.fixture
def demo_ctx(demo_db: Path, clock: FrozenClock) -> Context:
    """Context on the small demo data, signed in as the L1 agent 李娜 (a-lina)."""
    return open_context(db=demo_db, agent="a-lina", clock=clock)


def pg_available() -> bool:
    """Whether the machine's PostgreSQL answers on 127.0.0.1:5432."""
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.fixture
def require_pg() -> None:
    """Skip with a reason when PostgreSQL is missing; under CI a missing server is a failure."""
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI but 127.0.0.1:5432 does not answer")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432; start it to run the hub tests")


