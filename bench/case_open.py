"""Case open (the 360 view), its KB suggestions and KB search latency at the large scale, vs raw sqlite3 lookups.

Case open = everything the main screen shows for one case (cases.load); the KB suggestions are
loaded by a second worker and measured on their own. The baseline is a raw sqlite3 primary-key lookup of the case plus its messages on the same file.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time

from _common import ROOT, large_db, pct, table

sys.path.insert(0, str(ROOT))

from workbench.context import open_context  # noqa: E402
from workbench.services import cases, kb  # noqa: E402

QUERIES = ["退货", "发票", "保修", "破损 补发", "物流 停滞", "七天无理由", "退款 到账", "价保", "换货 尺码",
           "invoice", "refund status", "快递 签收 没收到", "优惠券", "空气炸锅 使用", "电热水壶 漏水"]


def timed(fn, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    db = str(large_db())
    ctx = open_context(db=db, agent="a-lina")
    rng = random.Random(7)
    ids = [r[0] for r in ctx.store.query("SELECT id FROM cases WHERE status = 'open' LIMIT 2000")]
    sample = [rng.choice(ids) for _ in range(400)]
    for case_id in sample[:20]:
        cases.load(ctx, case_id)
    open_ms = [timed(cases.load, ctx, case_id, with_kb=False) for case_id in sample]
    views = [cases.load(ctx, case_id, with_kb=False) for case_id in sample]
    suggest_ms = [timed(cases.suggestions, ctx, view) for view in views]
    raw = sqlite3.connect(db)

    def raw_open(case_id: str) -> None:
        raw.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchall()
        raw.execute("SELECT * FROM messages WHERE case_id = ? ORDER BY at", (case_id,)).fetchall()

    raw_ms = [timed(raw_open, case_id) for case_id in sample]
    kb_ms = [timed(kb.search, ctx.store.conn, q, None, 10) for _ in range(20) for q in QUERIES]
    queue_ms = [timed(cases.queue, ctx) for _ in range(50)]
    articles = ctx.store.scalar("SELECT count(*) FROM kb_articles")
    table(
        f"Large dataset ({articles:,} KB articles), milliseconds",
        ["operation", "p50", "p99", "target p99", "ratio p50 vs raw"],
        [
            ["raw sqlite3 case + messages", f"{pct(raw_ms, 50):.2f}", f"{pct(raw_ms, 99):.2f}", "-", "1.0"],
            ["case open (360 view)", f"{pct(open_ms, 50):.2f}", f"{pct(open_ms, 99):.2f}", "10",
             f"{pct(open_ms, 50) / pct(raw_ms, 50):.1f}"],
            ["KB suggestions for the case", f"{pct(suggest_ms, 50):.2f}", f"{pct(suggest_ms, 99):.2f}", "15", "-"],
            ["KB search (top 10)", f"{pct(kb_ms, 50):.2f}", f"{pct(kb_ms, 99):.2f}", "15", "-"],
            ["queue (agent's open cases)", f"{pct(queue_ms, 50):.2f}", f"{pct(queue_ms, 99):.2f}", "-", "-"],
        ],
    )


if __name__ == "__main__":
    main()
