"""Faults a sync must survive, with real processes and the real PostgreSQL on 127.0.0.1.

- kill -9: a forked child writes and syncs and is killed at instrumented points (``WORKBENCH_FAULT``, see
  :mod:`workbench.sync.faults`) or at random moments, 200+ times; after each kill the cache is reopened
  and synced, and at the end the hub is compared with what the cache did: 0 lost, 0 duplicated.
- a TCP proxy that cuts connections mid-batch, and one that swallows the reply to COMMIT;
- the hub restarting (SQLite file reopened; PostgreSQL backend terminated) in the middle of a sync;
- the same batch delivered twice at the same moment; clocks hours apart.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.hub_pg.hub import PgHub
from adapters.hub_sqlite import SqliteHub
from workbench import changes
from workbench.clock import FrozenClock
from workbench.context import Context, open_context
from workbench.sync import faults
from workbench.sync.engine import sync_once
from workbench.sync.protocol import Entry
from tests.sync_support import (  # noqa: F401
    FROZEN_AT, NOW, PgTeam, follow_up, insert, local_rows, make_cache, pg_team, seed_world, update,
)
from tests.sync_proxy import CuttingProxy

WRITE_POINTS = ["write.in_tx", "write.after_commit"]
SYNC_POINTS = ["push.before_hub", "push.after_hub", "push.after_record", "pull.after_hub", "apply.row",
               "pull.before_commit", "pull.after_commit"]
SQLITE_HUB_POINTS = ["hub.mid_batch", "hub.before_commit", "hub.after_commit"]


class Harness:
    """One agent's cache, its hub, and a lead writing on the side so every pull has work to do."""

    def __init__(self, tmp: Path, open_hub: Callable[[str], Any]):
        self.path = tmp / "lina.db"
        self.open_hub = open_hub
        self.clock = FrozenClock(FROZEN_AT)
        ctx = make_cache(self.path, "a-lina", self.clock)
        seed_world(ctx)
        insert(ctx, "follow_ups", follow_up("fu-main", "a-lina", note="op--1"))
        ctx.store.close()
        self.kills = 0
        self.lead_rows = 0

    def context(self) -> Context:
        ctx = open_context(db=self.path, clock=self.clock)
        ctx.agent_id = "a-lina"
        return ctx

    @staticmethod
    def next_op(ctx: Context) -> int:
        notes = [int(r[0][2:]) for r in ctx.store.query("SELECT id FROM case_notes WHERE id LIKE 'n-%'")]
        note = ctx.store.scalar("SELECT note FROM follow_ups WHERE id = 'fu-main'")
        return max(notes + [int(note[3:])]) + 1

    def do_op(self, ctx: Context, op: int) -> None:
        with ctx.store.write() as conn:
            if op % 2 == 0:
                changes.insert(conn, ctx.clock, "case_notes", {"id": f"n-{op}", "case_id": "c-kettle",
                                                                "agent_id": "a-lina", "body": f"第{op}步", "at": NOW},
                               "a-lina")
            else:
                changes.update(conn, ctx.clock, "follow_ups", "fu-main", {"note": f"op-{op}"}, "a-lina")
            faults.point("write.in_tx")
        faults.point("write.after_commit")

    def child(self, fault: str | None, seed: int) -> None:
        if fault:
            os.environ[faults.ENV] = fault
        rng = random.Random(seed)
        ctx = self.context()
        hub = self.open_hub("a-lina")
        for _ in range(rng.randint(2, 6)):
            self.do_op(ctx, self.next_op(ctx))
            if rng.random() < 0.4:
                sync_once(ctx, hub, batch_size=rng.choice([1, 2, 3]), pull_limit=rng.choice([1, 2, 50]))
        sync_once(ctx, hub, batch_size=rng.choice([1, 2, 3]), pull_limit=rng.choice([1, 2, 50]))

    def lead_writes(self, count: int) -> None:
        lead = self.open_hub("a-zhaomin")
        lead.push([Entry(f"lead-{self.lead_rows + i}", "customers", f"cu-lead-{self.lead_rows + i}", "create",
                         {"id": f"cu-lead-{self.lead_rows + i}", "name": "新顾客", "created_at": NOW, "updated_at": NOW})
                   for i in range(count)])
        lead.close()
        self.lead_rows += count

    def run(self, fault: str | None, seed: int, kill_after: float | None = None) -> bool:
        """Fork a child that writes and syncs; return True when it died by SIGKILL."""
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            code = 0
            try:
                self.child(fault, seed)
            except BaseException:  # noqa: BLE001 - report through the exit code, the parent asserts on it
                code = 3
            os._exit(code)
        if kill_after is not None:
            time.sleep(kill_after)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it already finished
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        assert killed or os.WEXITSTATUS(status) == 0, f"child failed ({fault}, seed {seed}): {status}"
        self.kills += killed
        return killed

    def restart_and_sync(self) -> None:
        ctx = self.context()
        hub = self.open_hub("a-lina")
        report = sync_once(ctx, hub, batch_size=4, pull_limit=3)
        assert report.ok, report.error
        hub.close()
        ctx.store.close()

    def verify(self, hub_rows: Callable[[str], dict[str, dict[str, Any]]], hub_keys: Callable[[], set[str]]) -> None:
        ctx = self.context()
        outbox = [dict(r) for r in ctx.store.query("SELECT key, entity, entity_id, op, status FROM outbox")]
        assert {r["status"] for r in outbox} == {"accepted"}
        local_notes = {n for n in local_rows(ctx, "case_notes") if n.startswith("n-")}
        note_entries = [r["entity_id"] for r in outbox if r["entity"] == "case_notes"]
        assert sorted(note_entries) == sorted(local_notes)  # every local write has exactly one outbox entry
        updates = sum(1 for r in outbox if r["entity"] == "follow_ups" and r["op"] == "update")
        assert set(hub_rows("case_notes")) == local_notes  # 0 lost, 0 phantom
        fu = hub_rows("follow_ups")["fu-main"]
        assert fu["_version"] == 1 + updates  # each update applied exactly once: 0 duplicated
        assert fu["note"] == local_rows(ctx, "follow_ups")["fu-main"]["note"]
        assert hub_keys() == {r["key"] for r in outbox}
        lead_rows = {c for c in local_rows(ctx, "customers") if c.startswith("cu-lead-")}
        assert len(lead_rows) == self.lead_rows  # every pulled row arrived
        ctx.store.close()


def _campaign(harness: Harness, points: list[str], chosen_target: int, random_kills: int, seed: int) -> None:
    rng = random.Random(seed)
    chosen = 0
    runs = 0
    while chosen < chosen_target and runs < chosen_target * 2:
        runs += 1
        if runs % 3 == 0:
            harness.lead_writes(rng.randint(1, 3))
        point = points[runs % len(points)]
        chosen += harness.run(f"{point}:{rng.randint(1, 3)}", rng.randrange(1 << 30))
        harness.restart_and_sync()
    randoms = 0
    for _ in range(random_kills * 3):
        if randoms >= random_kills:
            break
        randoms += harness.run(None, rng.randrange(1 << 30), kill_after=rng.uniform(0.0, 0.04))
        harness.restart_and_sync()
    assert chosen >= chosen_target and randoms >= random_kills // 2
    for _ in range(3):  # finish with clean work so the last state is exercised too
        ctx = harness.context()
        harness.do_op(ctx, harness.next_op(ctx))
        ctx.store.close()
    harness.restart_and_sync()


def test_kill_9_at_200_points_sqlite_hub(tmp_path: Path) -> None:
    hub_path = tmp_path / "hub.db"
    setup = SqliteHub(hub_path, "a-zhaomin", role="lead", tier="L3")
    setup.add_agent("a-lina", "agent", "L1")
    setup.close()
    harness = Harness(tmp_path, lambda agent: SqliteHub(hub_path, agent, register=False))
    _campaign(harness, WRITE_POINTS + SYNC_POINTS + SQLITE_HUB_POINTS, chosen_target=180, random_kills=30, seed=11)
    assert harness.kills >= 200
    inspect = SqliteHub(hub_path, "a-lina", register=False)
    harness.verify(inspect.rows, lambda: {r[0] for r in inspect.conn.execute("SELECT key FROM entries WHERE agent_id = 'a-lina'")})


def test_kill_9_against_postgresql(tmp_path: Path, require_pg: None, pg_team: PgTeam) -> None:  # noqa: F811
    pg_team.reset()
    harness = Harness(tmp_path, lambda agent: PgHub(pg_team.dsn(agent)))
    _campaign(harness, WRITE_POINTS + SYNC_POINTS, chosen_target=36, random_kills=10, seed=5)
    harness.verify(pg_team.rows, lambda: {r[0] for r in pg_team._sql("SELECT key FROM hub.entries WHERE agent_id = 'a-lina'")})
    pg_team.reset()


def _notes(ctx: Context, count: int, prefix: str = "p") -> None:
    with ctx.store.write() as conn:
        for i in range(count):
            changes.insert(conn, ctx.clock, "case_notes", {"id": f"{prefix}-{i}", "case_id": "c-kettle",
                                                            "agent_id": "a-lina", "body": "x" * 200, "at": NOW}, "a-lina")
            changes.update(conn, ctx.clock, "follow_ups", "fu-p", {"note": f"{prefix}-{i}"}, "a-lina")


def _pg_cache(tmp_path: Path, team: PgTeam, name: str = "c") -> Context:
    ctx = make_cache(tmp_path / f"{name}.db", "a-lina", FrozenClock(FROZEN_AT))
    seed_world(ctx)
    insert(ctx, "follow_ups", follow_up("fu-p", "a-lina"))
    return ctx


def _assert_exact(ctx: Context, rows: Callable[[str], dict[str, dict[str, Any]]]) -> None:
    outbox = [dict(r) for r in ctx.store.query("SELECT entity, op, status FROM outbox")]
    assert {r["status"] for r in outbox} == {"accepted"}
    updates = sum(1 for r in outbox if r["entity"] == "follow_ups" and r["op"] == "update")
    assert rows("follow_ups")["fu-p"]["_version"] == 1 + updates
    assert len(rows("case_notes")) == sum(1 for r in outbox if r["entity"] == "case_notes")


def test_connection_cut_mid_batch_loses_and_duplicates_nothing(tmp_path: Path, require_pg: None,
                                                               pg_team: PgTeam) -> None:  # noqa: F811
    pg_team.reset()
    ctx = _pg_cache(tmp_path, pg_team)
    _notes(ctx, 150)
    rng = random.Random(3)
    cuts = 0
    with CuttingProxy(("127.0.0.1", 5432)) as proxy:
        for _ in range(60):
            proxy.server_budget = rng.randint(3_000, 40_000)  # bytes of replies before the line drops
            hub = PgHub(pg_team.dsn("a-lina", port=proxy.port))
            report = sync_once(ctx, hub, batch_size=25, pull_limit=20)
            hub.close()
            cuts += not report.ok
            if report.ok:
                break
    assert cuts >= 1 and report.ok
    _assert_exact(ctx, pg_team.rows)
    pg_team.reset()


def test_lost_commit_reply_is_resent_safely(tmp_path: Path, require_pg: None, pg_team: PgTeam) -> None:  # noqa: F811
    pg_team.reset()
    ctx = _pg_cache(tmp_path, pg_team)
    _notes(ctx, 20)
    with CuttingProxy(("127.0.0.1", 5432)) as proxy:
        proxy.swallow_after = b"COMMIT"
        report = sync_once(ctx, PgHub(pg_team.dsn("a-lina", port=proxy.port)), batch_size=100)
    assert not report.ok and not report.online
    committed = pg_team._sql("SELECT count(*) FROM hub.entries")[0][0]
    assert committed == 41  # the hub did commit; only the reply was lost
    assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'") == 41
    report = sync_once(ctx, PgHub(pg_team.dsn("a-lina")))
    assert report.ok and report.accepted == 41
    _assert_exact(ctx, pg_team.rows)
    pg_team.reset()


def test_hub_restart_in_the_middle_of_a_sync(tmp_path: Path, require_pg: None, pg_team: PgTeam) -> None:  # noqa: F811
    pg_team.reset()
    ctx = _pg_cache(tmp_path, pg_team)
    _notes(ctx, 30)
    hub = PgHub(pg_team.dsn("a-lina"))
    login = pg_team.logins["a-lina"]

    def restart(phase: str, done: int, total: int | None) -> None:
        if phase == "push" and done == 10:  # the server drops us between two batches
            pg_team._sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (login,))

    first = sync_once(ctx, hub, restart, batch_size=10)
    assert not first.ok and not first.online and first.pushed == 10
    second = sync_once(ctx, hub, batch_size=10)  # the same hub object reconnects
    assert second.ok and second.pushed == 51
    _assert_exact(ctx, pg_team.rows)
    pg_team.reset()


def test_sqlite_hub_reopened_between_batches(tmp_path: Path) -> None:
    ctx = make_cache(tmp_path / "c.db", "a-lina", FrozenClock(FROZEN_AT))
    seed_world(ctx)
    insert(ctx, "follow_ups", follow_up("fu-p", "a-lina"))
    _notes(ctx, 30)
    hub = SqliteHub(tmp_path / "hub.db", "a-lina")

    def restart(phase: str, done: int, total: int | None) -> None:
        if phase == "push" and done in (10, 30):
            hub.close()  # the file hub goes away; the next call opens it again

    assert sync_once(ctx, hub, restart, batch_size=10).ok
    _assert_exact(ctx, SqliteHub(tmp_path / "hub.db", "a-lina").rows)


def test_the_same_batch_delivered_twice_at_once(tmp_path: Path, require_pg: None, pg_team: PgTeam) -> None:  # noqa: F811
    pg_team.reset()
    hubs = [PgHub(pg_team.dsn("a-lina")) for _ in range(2)]
    batch = [Entry("dup-c", "follow_ups", "fu-d", "create", follow_up("fu-d", "a-lina"))] + [
        Entry(f"dup-{i}", "follow_ups", "fu-d", "update", {"id": "fu-d", "note": f"v{i}"}, after_key=f"dup-{i - 1}"
              if i else "dup-c") for i in range(20)]
    results: list[Any] = [None, None]
    barrier = threading.Barrier(2)

    def push(i: int) -> None:
        barrier.wait()
        results[i] = hubs[i].push(batch)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results[0] == results[1] and [r.status for r in results[0]] == ["accepted"] * 21
    assert pg_team.rows("follow_ups")["fu-d"]["_version"] == 21
    for hub in hubs:
        hub.close()
    pg_team.reset()


@pytest.mark.parametrize("skew_hours", [-7, 9])
def test_clocks_hours_apart(tmp_path: Path, skew_hours: int) -> None:
    hub_clock = FrozenClock(FROZEN_AT)
    client = make_cache(tmp_path / "c.db", "a-lina", FrozenClock(FROZEN_AT + timedelta(hours=skew_hours)), "sqlite:///x")
    lead = make_cache(tmp_path / "l.db", "a-zhaomin", FrozenClock(FROZEN_AT - timedelta(hours=skew_hours)))
    for ctx in (client, lead):
        seed_world(ctx)
    from workbench.authority.policy import builtin_text

    hub = SqliteHub(tmp_path / "hub.db", "a-lina", clock=hub_clock)
    hub.set_policy(builtin_text())
    lead_hub = SqliteHub(tmp_path / "hub.db", "a-zhaomin", clock=hub_clock, role="lead", tier="L3")
    insert(client, "compensations", {"id": "k-1", "case_id": "c-kettle", "customer_id": "cu-wang", "agent_id": "a-lina",
                                     "action": "coupon", "amount_fen": 3000, "status": "issued",
                                     "created_at": NOW, "updated_at": NOW})
    insert(client, "follow_ups", follow_up("fu-s", "a-lina"))
    report = sync_once(client, hub)
    assert report.ok and report.allowance is not None
    assert report.allowance["skew_seconds"] == skew_hours * 3600
    assert report.allowance["granted_fen"] == 23500  # the coupon counted on the hub's day, not the client's
    assert sync_once(lead, lead_hub).ok
    insert(lead, "case_notes", {"id": "n-l", "case_id": "c-kettle", "agent_id": "a-zhaomin", "body": "已核实", "at": NOW})
    update(lead, "follow_ups", "fu-s", {"owner_id": "a-chenjie"})
    assert sync_once(lead, lead_hub).ok and sync_once(client, hub).ok
    assert local_rows(client, "follow_ups")["fu-s"]["owner_id"] == "a-chenjie"
    assert "n-l" in local_rows(client, "case_notes")
