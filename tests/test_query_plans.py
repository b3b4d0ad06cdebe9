"""No query behind the main screen scans a whole table: every statement it runs is checked with
EXPLAIN QUERY PLAN (the indexes come from the migrations, so this guards them too)."""

from __future__ import annotations

import re

from workbench.context import Context
from workbench.services import cases
from workbench.services.status import header_status

FULL_SCAN = re.compile(r"^SCAN ([\w.]+)\b(?! USING (COVERING )?INDEX)")


def _statements(ctx: Context, action) -> list[tuple[str, tuple]]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    conn = ctx.store.conn
    conn.set_trace_callback(seen.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    return [(sql, ()) for sql in seen if sql.lstrip().upper().startswith(("SELECT", "WITH"))]


def _full_scans(ctx: Context, statements: list[tuple[str, tuple]]) -> list[str]:
    bad = []
    for sql, _ in statements:
        for row in ctx.store.conn.execute("EXPLAIN QUERY PLAN " + sql):
            detail = row[3]
            match = FULL_SCAN.match(detail)
            if match and "kb_fts" not in match.group(1):  # FTS tables: searched by MATCH, config is tiny
                bad.append(f"{detail} :: {sql[:120]}")
    return bad


def test_queue_case_open_and_header_use_indexes(demo_ctx: Context) -> None:
    ctx = demo_ctx
    queue = cases.queue(ctx)
    case_id = queue[0]["id"]

    def main_screen_reads() -> None:
        cases.queue(ctx)
        cases.queue(ctx, limit=5)  # the start-up page ranks ids, then fetches only its rows
        view = cases.load(ctx, case_id, with_kb=False)
        cases.order_detail(ctx, view.orders[0]["id"])
        cases.suggestions(ctx, view)
        header_status(ctx)

    statements = _statements(ctx, main_screen_reads)
    assert len(statements) >= 10
    assert _full_scans(ctx, statements) == []


def test_the_check_itself_catches_a_scan(demo_ctx: Context) -> None:
    statements = [("SELECT * FROM messages WHERE body LIKE '%退款%'", ())]
    assert _full_scans(demo_ctx, statements)
