"""Benchmark: the follow-up board with 100k follow-ups in the cache.

Two comparisons in the same run (machines are noisy, so ratios matter more than milliseconds):

1. Service queries (board open, filters, deep pages, header/queue figures) against a raw ``sqlite3``
   connection replaying the very same SQL statements (captured with a trace callback), so the ratio is
   the cost of our Python layer on top of SQLite.
2. The Textual board screen (headless) opening and filtering on 100k rows against a bare Textual app
   showing a 50-row DataTable: how much the screen adds to an app that does nothing.

Run: ``.venv/bin/python bench/followups.py [--rows 100000] [--repeat 30]``. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import pct  # noqa: E402
from workbench.clock import FrozenClock  # noqa: E402
from workbench.context import Context, open_context  # noqa: E402
from workbench.demo.agents import seed_agents  # noqa: E402
from workbench.services import followup_board as board  # noqa: E402
from workbench.services import followups  # noqa: E402
from workbench.services.followup_model import KINDS  # noqa: E402
from workbench.timefmt import to_db  # noqa: E402

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
EXTRA_AGENTS = [(f"a-bench{n}", f"坐席{n}", "agent", "L1", "zh") for n in range(1, 9)]


def build(path: Path, rows: int, seed: int = 7) -> Context:
    """A cache with the demo team + 8 agents, 20k customers, 50k cases and ``rows`` follow-ups."""
    ctx = open_context(db=path, clock=FrozenClock(NOW))
    seed_agents(ctx.store, NOW)
    rng = random.Random(seed)
    stamp = to_db(NOW - timedelta(days=30))
    agents = ["a-lina", "a-chenjie", "a-wangqiang"] + [a[0] for a in EXTRA_AGENTS]
    with ctx.store.write() as conn:
        conn.executemany("INSERT INTO agents (id, name, role, tier, lang, active, updated_at) VALUES (?,?,?,?,?,1,?)",
                         [(*a, stamp) for a in EXTRA_AGENTS])
        conn.executemany("INSERT INTO customers (id, name, phone, created_at, updated_at) VALUES (?,?,?,?,?)",
                         [(f"cu-{n}", rng.choice(SURNAMES) + rng.choice(["先生", "女士"]) + str(n % 97),
                           f"138{n:08d}", stamp, stamp) for n in range(20_000)])
        owners = [f"cu-{rng.randrange(20_000)}" for _ in range(50_000)]
        conn.executemany("INSERT INTO cases (id, customer_id, subject, intent, status, assignee_id, opened_at, "
                         "updated_at) VALUES (?,?,?,?,?,?,?,?)",
                         [(f"c-{n}", owners[n], rng.choice(["水壶漏水", "物流停滞", "退款进度", "发票抬头",
                           "尺码不合适"]), "other", rng.choice(["open", "closed", "closed"]), rng.choice(agents),
                           stamp, stamp) for n in range(50_000)])
        data = []
        for n in range(rows):
            status = rng.choices(["scheduled", "due", "done", "cancelled"], [55, 5, 35, 5])[0]
            due = NOW + timedelta(minutes=rng.randint(-30 * 1440, 30 * 1440))
            case = rng.randrange(50_000)
            data.append((f"fu-{n:07d}", f"c-{case}", owners[case], rng.choice(agents), rng.choice(KINDS),
                         rng.choice(["回电确认", "催物流", "确认退款到账", "满意度回访", "答应寄赠品"]), to_db(due), "{}",
                         status, "a-lina", stamp, "a-lina", stamp))
        conn.executemany("INSERT INTO follow_ups (id, case_id, customer_id, owner_id, kind, note, due_at, trigger, "
                         "status, created_by, created_at, updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         data)
    ctx.agent_id = "a-zhaomin"
    return ctx


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm the page cache and statement cache once
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def capture(ctx: Context, fn: Callable[[], Any]) -> list[str]:
    """The SQL statements ``fn`` runs, with parameters expanded (to replay on a raw connection)."""
    statements: list[str] = []
    ctx.store.conn.set_trace_callback(statements.append)
    try:
        fn()
    finally:
        ctx.store.conn.set_trace_callback(None)
    return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def service_cases(ctx: Context) -> dict[str, Callable[[], Any]]:
    lead = board.BoardQuery(view="open")
    return {
        "board open (lead: count+page+by-agent)": lambda: (board.count(ctx, lead), board.page(ctx, lead),
                                                           board.summary(ctx)),
        "board open (agent: due view)": lambda: (board.count(ctx, board.BoardQuery("due", "a-lina")),
                                                 board.page(ctx, board.BoardQuery("due", "a-lina"))),
        "filter: overdue": lambda: (board.count(ctx, board.BoardQuery("overdue")),
                                    board.page(ctx, board.BoardQuery("overdue"))),
        "filter: kind + agent": lambda: (board.count(ctx, board.BoardQuery("open", "a-chenjie", "call_back")),
                                         board.page(ctx, board.BoardQuery("open", "a-chenjie", "call_back"))),
        "filter: text 王先生 (customer)": lambda: (board.count(ctx, board.BoardQuery("open", text="王先生")),
                                                 board.page(ctx, board.BoardQuery("open", text="王先生"))),
        "filter: text 退款 (note)": lambda: (board.count(ctx, board.BoardQuery("open", text="退款")),
                                           board.page(ctx, board.BoardQuery("open", text="退款"))),
        "page at offset 50,000": lambda: board.page(ctx, lead, 50_000),
        "sort by agent, page 10": lambda: board.page(ctx, lead.with_(sort="owner"), 500),
        "header: overdue_count": lambda: followups.overdue_count(ctx, "a-lina"),
        "queue: due_for_queue": lambda: followups.due_for_queue(ctx, "a-lina"),
    }


def run_queries(ctx: Context, repeat: int) -> list[tuple[str, float, float, float, float]]:
    raw = sqlite3.connect(ctx.store.path)
    results = []
    for name, fn in service_cases(ctx).items():
        statements = capture(ctx, fn)
        ours = timed(fn, repeat)
        base = timed(lambda: [raw.execute(s).fetchall() for s in statements], repeat)
        results.append((name, pct(ours, 50), pct(ours, 99), pct(base, 50), pct(base, 99)))
    raw.close()
    return results


async def ui_open(ctx: Context, bare: bool, filter_text: str = "") -> float:
    """Milliseconds from app start to the first page on screen (and, with ``filter_text``, to the filtered page)."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Input

    from screens.followups_screen import FollowUpsScreen

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            table: DataTable[str] = DataTable()
            table.add_columns("a", "b", "c")
            for n in range(50):
                table.add_row(str(n), "x", "y")
            yield table

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(FollowUpsScreen(ctx))

    app = Bare() if bare else Host()
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        if not bare:
            assert app.screen.query_one("#fu-table", DataTable).row_count > 0
        if filter_text:
            start = time.perf_counter()
            if bare:
                app.query_one(DataTable).clear()
            else:
                app.screen.query_one("#fu-filter", Input).value = filter_text
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
        return (time.perf_counter() - start) * 1000


def run_ui(ctx: Context, repeat: int) -> list[tuple[str, float, float, float, float]]:
    out = []
    for name, text in (("screen: open board (first page)", ""), ("screen: type a filter", "确认")):
        ours = [asyncio.run(ui_open(ctx, False, text)) for _ in range(repeat)]
        base = [asyncio.run(ui_open(ctx, True, text)) for _ in range(repeat)]
        out.append((name, pct(ours, 50), pct(ours, 99), pct(base, 50), pct(base, 99)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--ui-repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        ctx = build(Path(tmp) / "bench.db", args.rows)
        built = time.perf_counter() - started
        open_rows = ctx.store.scalar("SELECT count(*) FROM follow_ups WHERE status IN ('scheduled', 'due')")
        print(f"follow-ups: {args.rows:,} ({open_rows:,} open), 11 agents, 50,000 cases; built in {built:.1f} s")
        rows = run_queries(ctx, args.repeat) + run_ui(ctx, args.ui_repeat)
    head = f"{'measure':44} {'p50 ms':>8} {'p99 ms':>8} {'base p50':>9} {'base p99':>9} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for name, p50, p99, b50, b99 in rows:
        print(f"{name:44} {p50:8.2f} {p99:8.2f} {b50:9.2f} {b99:9.2f} {p50 / max(b50, 1e-6):6.2f}")
    print("base = raw sqlite3 replaying the same SQL (queries) / a bare Textual app with a 50-row table (screen)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
