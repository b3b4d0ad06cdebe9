"""Paged queries behind the follow-up boards (the agent's list and the lead's board).

The board must stay responsive with 100k follow-ups in the cache (measured in ``bench/followups.py``),
so nothing here loads all rows: a page is ``LIMIT/OFFSET`` over the partial indexes of migration 0040
(open follow-ups by due time, optionally per owner), and the join to cases and customers is made only
for the rows of that page. Counts and per-agent summaries are aggregate queries over the same indexes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workbench.context import Context
from workbench.dateparse import resolve_local
from workbench.services.followup_model import KINDS, OPEN_SQL, grace
from workbench.services.followups import CASE_SELECT, decorate
from workbench.timefmt import to_db

VIEWS = ("due", "overdue", "today", "upcoming", "open", "closed")
SORTS = ("due", "due_desc", "owner")
PAGE_SIZE = 50


@dataclass(frozen=True)
class BoardQuery:
    """What the board shows: a view, optional owner/kind/text filters and a sort.

    Views: ``due`` (due now, incl. overdue: the agent's default), ``overdue``, ``today`` (due before
    the end of today in the shop timezone, not yet overdue), ``upcoming`` (after today), ``open``
    (all scheduled and due), ``closed`` (done and cancelled, newest first).
    """

    view: str = "open"
    owner_id: str | None = None
    kind: str | None = None
    text: str = ""
    sort: str = "due"

    def with_(self, **changes: Any) -> BoardQuery:
        return replace(self, **changes)


def end_of_today(ctx: Context, now: datetime) -> datetime:
    """Midnight at the end of today in the shop timezone (DST-safe)."""
    zone = ZoneInfo(ctx.tz)
    return resolve_local(now.astimezone(zone).date() + timedelta(days=1), 0, 0, zone)[0]


def _where(ctx: Context, query: BoardQuery) -> tuple[str, list[Any]]:
    if query.view not in VIEWS:
        raise ValueError(f"unknown board view {query.view!r}; use one of {', '.join(VIEWS)}")
    now = ctx.clock.now()
    overdue_before = to_db(now - grace(ctx))
    clauses: list[str] = []
    params: list[Any] = []
    if query.view == "closed":
        clauses.append("f.status IN ('done', 'cancelled')")
    else:
        clauses.append(f"f.{OPEN_SQL}")
    if query.view == "due":
        clauses.append("f.due_at <= ?")
        params.append(to_db(now))
    elif query.view == "overdue":
        clauses.append("f.due_at < ?")
        params.append(overdue_before)
    elif query.view == "today":
        clauses.append("f.due_at >= ? AND f.due_at < ?")
        params += [overdue_before, to_db(end_of_today(ctx, now))]
    elif query.view == "upcoming":
        clauses.append("f.due_at >= ?")
        params.append(to_db(end_of_today(ctx, now)))
    if query.owner_id:
        clauses.append("f.owner_id = ?")
        params.append(query.owner_id)
    if query.kind:
        if query.kind not in KINDS:
            raise ValueError(f"unknown follow-up kind {query.kind!r}; use one of {', '.join(KINDS)}")
        clauses.append("f.kind = ?")
        params.append(query.kind)
    needle = query.text.strip()
    if needle:
        # Note contains the text, the follow-up or case id is the text, or the customer's name starts with
        # it (a range on the customers_name index). Substring search over every customer name and case
        # subject scanned 70k rows per keystroke (~100 ms at the benchmark's scale) and was dropped.
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(f.note LIKE ? ESCAPE '\\' OR f.id = ? OR f.case_id = ? "
            "OR f.customer_id IN (SELECT id FROM customers WHERE name >= ? AND name < ?))")
        params += [like, needle, needle, needle, needle + "\U0010ffff"]
    return " AND ".join(clauses), params


def _order(query: BoardQuery) -> str:
    if query.view == "closed":
        return "f.updated_at DESC, f.id DESC"
    return {"due": "f.due_at, f.id", "due_desc": "f.due_at DESC, f.id DESC",
            "owner": "f.owner_id, f.due_at, f.id"}.get(query.sort, "f.due_at, f.id")


def _source(query: BoardQuery) -> str:
    """The table with an index hint: without ANALYZE statistics SQLite prefers (status, due_at) and
    sorts every open row for each page (65 ms at 100k, 106 ms deep pages); the partial indexes of 0040
    give pages in well under a millisecond. An owner filter or owner sort uses the per-owner index."""
    if query.view == "closed":
        return "follow_ups f"
    if query.owner_id or query.sort == "owner":
        return "follow_ups f INDEXED BY follow_ups_open_owner_due"
    return "follow_ups f INDEXED BY follow_ups_open_due"


def count(ctx: Context, query: BoardQuery) -> int:
    """How many follow-ups match (for "page 3 of 2,000")."""
    where, params = _where(ctx, query)
    return int(ctx.store.scalar(f"SELECT count(*) FROM follow_ups f WHERE {where}", params))


def page_ids(ctx: Context, query: BoardQuery, offset: int = 0, limit: int = PAGE_SIZE) -> list[str]:
    """Ids of one page, straight off the index (no joins)."""
    where, params = _where(ctx, query)
    rows = ctx.store.query(
        f"SELECT f.id FROM {_source(query)} WHERE {where} ORDER BY {_order(query)} LIMIT ? OFFSET ?",
        (*params, limit, max(offset, 0)))
    return [r[0] for r in rows]


def page(ctx: Context, query: BoardQuery, offset: int = 0, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """One page of rows with case, customer and owner name, in board order."""
    ids = page_ids(ctx, query, offset, limit)
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = {r["id"]: r for r in ctx.store.query(CASE_SELECT + f"WHERE f.id IN ({marks})", ids)}
    return decorate(ctx, [rows[i] for i in ids if i in rows])


def matching_ids(ctx: Context, query: BoardQuery, limit: int = 5000) -> list[str]:
    """Every id matching the filter, up to ``limit`` (select-all before a bulk action)."""
    return page_ids(ctx, query, 0, limit)


def summary(ctx: Context) -> list[dict[str, Any]]:
    """Per active agent: overdue, due now, later today, upcoming and open totals (the "by agent" view)."""
    now = ctx.clock.now()
    overdue_before, due_now, end = to_db(now - grace(ctx)), to_db(now), to_db(end_of_today(ctx, now))
    rows = ctx.store.query(
        f"""SELECT a.id AS agent_id, a.name, a.role, a.tier,
                   coalesce(sum(f.due_at < ?), 0) AS overdue,
                   coalesce(sum(f.due_at >= ? AND f.due_at <= ?), 0) AS due,
                   coalesce(sum(f.due_at > ? AND f.due_at < ?), 0) AS today,
                   coalesce(sum(f.due_at >= ?), 0) AS upcoming,
                   count(f.status) AS open
            FROM agents a LEFT JOIN follow_ups f ON f.owner_id = a.id AND f.{OPEN_SQL}
            WHERE a.active = 1 GROUP BY a.id ORDER BY overdue DESC, a.id""",
        (overdue_before, overdue_before, due_now, due_now, end, end))
    return [dict(r, due_today=r["due"] + r["today"]) for r in rows]
