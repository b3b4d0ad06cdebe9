"""Real processes issuing compensations on one cache file at once never exceed the daily budget or the
customer cap: the count and the write share one ``BEGIN IMMEDIATE`` transaction (WAL, busy timeout).

Each worker process opens its own Context (the path the CLI and the App take), waits for a start file
so they all begin together, and issues ¥10 coupons as fast as it can.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.authority_world import build_world
from tests.test_authority_property import tight_policy_text
from workbench import audit, paths
from workbench.store import Store
from workbench.store.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
WORKER = r"""
import json, sys, time
from datetime import datetime, timezone
from pathlib import Path
from workbench.clock import FrozenClock
from workbench.context import open_context
from workbench.services import compensation as comp

db, agent, go, label, cases = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4], sys.argv[5].split(",")
ctx = open_context(db=db, agent=agent, clock=FrozenClock(datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)))
ctx.agent()
(go.parent / f"ready-{label}").touch()  # imports done, cache open: only the start signal is left
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit("start file never appeared")
    time.sleep(0.002)
start = time.monotonic()
statuses = []
for case in cases:
    statuses.append(comp.issue(ctx, case, "coupon", 1000, label).status)
    time.sleep(0.002)  # an agent's next click: lets the other writers take the lock in between
print(json.dumps({"statuses": statuses, "start": start, "end": time.monotonic()}))
"""


def _world(tmp_path: Path, customers: int, cases_per_customer: int) -> tuple[Path, list[str]]:
    from tests.conftest import FROZEN_AT

    db = tmp_path / "shared.db"
    store = Store(db)
    migrate(store)
    world = build_world(store, FROZEN_AT, customers=customers, cases_per_customer=cases_per_customer)
    store.close()
    return db, world.all_cases()


def _run(db: Path, tmp_path: Path, jobs: list[tuple[str, str, list[str]]]) -> list[list[str]]:
    """Start the workers together; returns each one's statuses after checking they really overlapped."""
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), agent, str(go), label, ",".join(cases)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for agent, label, cases in jobs]
    ready = [tmp_path / f"ready-{label}" for _, label, _ in jobs]
    deadline = time.monotonic() + 120
    while not all(path.exists() for path in ready):  # a barrier, so the workers really start together
        if time.monotonic() > deadline or any(proc.poll() is not None for proc in procs):
            for proc in procs:
                proc.kill()
            raise AssertionError(f"workers did not get ready: {[p.communicate()[1][-500:] for p in procs]}")
        time.sleep(0.01)
    go.touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    # CLOCK_MONOTONIC is system-wide: every worker started before any finished, so they ran at once.
    assert max(o["start"] for o in outputs) < min(o["end"] for o in outputs)
    return [o["statuses"] for o in outputs]


def _interleaved(store: Store) -> int:
    """How often consecutive successful writes came from different processes (0 = they never overlapped)."""
    labels = [r[0] for r in store.query("SELECT reason FROM compensations ORDER BY created_at, rowid")]
    return sum(1 for a, b in zip(labels, labels[1:]) if a != b)


def test_three_processes_never_exceed_one_agents_daily_budget(tmp_path: Path) -> None:
    db, cases = _world(tmp_path, customers=6, cases_per_customer=10)
    jobs = [("a-lina", f"p{i}", cases[i::3]) for i in range(3)]  # 60 attempts of ¥10 against a ¥500 budget
    outputs = _run(db, tmp_path, jobs)
    statuses = [s for out in outputs for s in out]
    assert statuses.count("issued") == 50 and statuses.count("requested") == 10
    store = Store(db)
    spent = store.scalar("SELECT sum(amount_fen) FROM compensations WHERE agent_id = 'a-lina' AND status = 'issued'")
    assert spent == 50000
    result = audit.verify(store.conn)
    assert result.ok and result.checked == 60
    assert store.scalar("SELECT count(*) FROM outbox WHERE entity = 'compensations'") == 60
    assert _interleaved(store) >= 6, f"writes came in blocks: the processes did not contend ({_interleaved(store)})"
    store.close()


def test_two_agents_in_two_processes_never_exceed_the_customer_cap(tmp_path: Path) -> None:
    policy_file = paths.resolve().policy_file  # customer cap ¥300 over 2 days (env is inherited by workers)
    policy_file.parent.mkdir(parents=True, exist_ok=True)
    policy_file.write_text(tight_policy_text().replace("daily_budget = 120\n", "daily_budget = 500\n"), "utf-8")
    db, _ = _world(tmp_path, customers=1, cases_per_customer=40)
    cases = [f"ca-1-{i + 1}" for i in range(40)]
    outputs = _run(db, tmp_path, [("a-lina", "lina", cases[:20]), ("a-chenjie", "chenjie", cases[20:])])
    statuses = [s for out in outputs for s in out]
    assert statuses.count("issued") == 30 and statuses.count("refused") == 10  # ¥300 / ¥10; the cap is hard
    store = Store(db)
    assert store.scalar("SELECT sum(amount_fen) FROM compensations WHERE customer_id = 'cu-1'") == 30000
    assert audit.verify(store.conn).ok
    store.close()
