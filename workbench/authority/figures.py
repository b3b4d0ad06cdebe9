"""The figures and facts :func:`workbench.authority.decide` needs, counted from the local cache.

Called by the compensation service *inside* its ``BEGIN IMMEDIATE`` transaction, so the count and the
write that depends on it cannot be interleaved with another process (DESIGN.md section 6: a deferred
read-then-write either fails at once or, on PostgreSQL, overspends). The hub counts the same figures
from its own tables with the same definitions:

* a compensation "took effect" at ``coalesce(decided_at, created_at)`` — issued rows carry
  ``decided_at = created_at``, approved rows the lead's decision time;
* days are shop-timezone days, as half-open UTC intervals ``[start, end)``.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from workbench.authority.decide import (
    OFFLINE_EXPIRED, OFFLINE_NONE, OFFLINE_OK, OFFLINE_UNREADABLE, CaseFacts, Figures,
)
from workbench.authority.policy import Policy
from workbench.timefmt import from_db, to_db

EFFECTIVE = "coalesce(decided_at, created_at)"
SPENT = ("issued", "approved")
OFFLINE_KEY = "offline_allowance"


def day_window(now: datetime, tz: str) -> tuple[str, str]:
    """The shop-timezone day containing ``now`` as DB strings ``[start, end)``."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    start = datetime(local.year, local.month, local.day, tzinfo=zone)
    end_day = start.date() + timedelta(days=1)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)
    return to_db(start), to_db(end)


def _marks(values: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    items = tuple(values)
    return (", ".join("?" for _ in items) or "NULL"), items


def _sum(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    return int(conn.execute(sql, params).fetchone()[0] or 0)


def agent_day_used(conn: sqlite3.Connection, policy: Policy, agent_id: str, now: datetime, tz: str) -> int:
    """The agent's own issued budget actions today (approved requests are not the agent's spend)."""
    start, end = day_window(now, tz)
    marks, actions = _marks(policy.budget_actions)
    return _sum(conn, "SELECT sum(amount_fen) FROM compensations WHERE agent_id = ? AND status = 'issued' "
                      f"AND action IN ({marks}) AND created_at >= ? AND created_at < ?",
                (agent_id, *actions, start, end))


def approver_day_used(conn: sqlite3.Connection, policy: Policy, approver_id: str, now: datetime, tz: str) -> int:
    """What this lead approved for others today (budget actions)."""
    start, end = day_window(now, tz)
    marks, actions = _marks(policy.budget_actions)
    return _sum(conn, "SELECT sum(amount_fen) FROM compensations WHERE decided_by = ? AND status = 'approved' "
                      f"AND action IN ({marks}) AND decided_at >= ? AND decided_at < ?",
                (approver_id, *actions, start, end))


def customer_window_used(conn: sqlite3.Connection, policy: Policy, customer_id: str, now: datetime) -> int:
    """Cap actions the customer received from all agents in the rolling window ending now."""
    since = to_db(now - timedelta(days=policy.customer_cap_days))
    marks, actions = _marks(policy.cap_actions)
    return _sum(conn, "SELECT sum(amount_fen) FROM compensations WHERE customer_id = ? "
                      f"AND status IN ('issued', 'approved') AND action IN ({marks}) AND {EFFECTIVE} >= ?",
                (customer_id, *actions, since))


def case_used(conn: sqlite3.Connection, case_id: str, action: str) -> int:
    """The same action already given on this case (so a split counts as one compensation)."""
    return _sum(conn, "SELECT sum(amount_fen) FROM compensations WHERE case_id = ? AND action = ? "
                      "AND status IN ('issued', 'approved')", (case_id, action))


def case_used_by_action(conn: sqlite3.Connection, case_id: str) -> dict[str, int]:
    """:func:`case_used` for every action at once (the modal shows the figure of whichever is chosen)."""
    return {str(action): int(fen or 0) for action, fen in conn.execute(
        "SELECT action, sum(amount_fen) FROM compensations WHERE case_id = ? AND status IN ('issued', 'approved') "
        "GROUP BY action", (case_id,))}


def offline_left(conn: sqlite3.Connection, policy: Policy, agent_id: str, now: datetime) -> tuple[int, str]:
    """What is left of the hub's offline allowance for this agent, and why it may be zero.

    The sync engine stores ``{"agent_id", "granted_fen", "granted_at", "expires_at"}`` under
    ``sync_state.offline_allowance`` at each sync. No row, another agent's row, an expired or an
    unreadable row all leave nothing to spend locally: money-like actions become requests.
    """
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (OFFLINE_KEY,)).fetchone()
    if row is None:
        return 0, OFFLINE_NONE
    try:
        grant = json.loads(row[0])
        granted = int(grant["granted_fen"])
        granted_at, expires_at = str(grant["granted_at"]), str(grant["expires_at"])
        expires = from_db(expires_at)
        from_db(granted_at)
        owner = str(grant["agent_id"])
    except (ValueError, KeyError, TypeError):
        return 0, OFFLINE_UNREADABLE
    if owner != agent_id:
        return 0, OFFLINE_NONE
    if now >= expires:
        return 0, OFFLINE_EXPIRED
    marks, actions = _marks(policy.budget_actions)
    used = _sum(conn, "SELECT sum(amount_fen) FROM compensations WHERE agent_id = ? AND status = 'issued' "
                      f"AND action IN ({marks}) AND created_at >= ? AND created_at < ?",
                (agent_id, *actions, granted_at, expires_at))
    return max(granted - used, 0), OFFLINE_OK


def figures_for(
    conn: sqlite3.Connection,
    policy: Policy,
    *,
    agent_id: str,
    case_id: str,
    customer_id: str,
    action: str,
    now: datetime,
    tz: str,
    hub_configured: bool,
    approver_id: str | None = None,
) -> Figures:
    """Every figure one decision needs, counted now on ``conn``."""
    left: int | None = None
    state = OFFLINE_OK
    if hub_configured and approver_id is None:
        left, state = offline_left(conn, policy, agent_id, now)
    return Figures(
        case_used_fen=case_used(conn, case_id, action),
        agent_day_used_fen=agent_day_used(conn, policy, agent_id, now, tz),
        customer_window_used_fen=customer_window_used(conn, policy, customer_id, now),
        approver_day_used_fen=approver_day_used(conn, policy, approver_id, now, tz) if approver_id else 0,
        offline_left_fen=left,
        offline_state=state,
    )


def case_facts(conn: sqlite3.Connection, case: dict[str, Any], order_id: str | None = None) -> CaseFacts:
    """Order facts for the decision: paid, already refunded, total, delivery time, item categories.

    "Already refunded" is the larger of the platform's figure and the refunds given here, so a refund
    not yet visible in the last order import is still counted (and one that is, is not counted twice).
    """
    order_id = order_id or case.get("order_id")
    if not order_id:
        return CaseFacts(case_id=str(case["id"]), customer_id=str(case["customer_id"]))
    order = conn.execute("SELECT total_fen, paid_fen, refunded_fen FROM orders WHERE id = ?", (order_id,)).fetchone()
    if order is None:
        return CaseFacts(case_id=str(case["id"]), customer_id=str(case["customer_id"]))
    ours = _sum(conn, "SELECT sum(amount_fen) FROM compensations WHERE order_id = ? AND status IN "
                      "('issued', 'approved') AND action IN ('partial_refund', 'full_refund')", (order_id,))
    delivered = conn.execute("SELECT max(delivered_at) FROM shipments WHERE order_id = ?", (order_id,)).fetchone()[0]
    categories = tuple(sorted({r[0] for r in conn.execute(
        "SELECT DISTINCT category FROM order_items WHERE order_id = ? AND category IS NOT NULL", (order_id,))}))
    return CaseFacts(
        case_id=str(case["id"]),
        customer_id=str(case["customer_id"]),
        order_id=str(order_id),
        order_total_fen=int(order["total_fen"]),
        order_paid_fen=int(order["paid_fen"]),
        order_refunded_fen=max(int(order["refunded_fen"]), ours),
        delivered_at=from_db(delivered) if delivered else None,
        item_categories=categories,
    )
