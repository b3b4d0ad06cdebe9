"""A customer's compensation history and abuse *signals* — shown to agent and lead, never blocking.

The hard abuse guard is the customer cap in the policy. Signals are softer patterns a human should
weigh: several "not received" claims, the same order already compensated by other agents, payouts
that are high relative to what the customer ever spent. A signal never changes a decision: a loyal
customer with two genuinely lost parcels must not be refused by a heuristic.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workbench import i18n
from workbench.authority.decide import with_yuan
from workbench.authority.policy import Policy
from workbench.timefmt import to_db

# Phrases customers use when they say a parcel never arrived (zh first; matched case-insensitively).
NOT_RECEIVED_PHRASES: tuple[str, ...] = (
    "没收到", "未收到", "没有收到", "没拿到", "没有拿到", "显示签收", "被签收",
    "not received", "never arrived", "didn't receive", "did not receive", "haven't received", "never got",
)


@dataclass(frozen=True)
class Signal:
    code: str
    fields: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        return i18n.t(f"authority.signal.{self.code}", lang, **with_yuan(self.fields))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "fields": dict(self.fields)}


def history(conn: sqlite3.Connection, customer_id: str, now: datetime, recent: int = 8) -> dict[str, Any]:
    """Given compensation (issued + approved, all actions) over 30 and 90 days, plus the latest rows."""
    d30_since = to_db(now - timedelta(days=30))
    d90, n90, d30, n30 = (int(v or 0) for v in conn.execute(  # one pass: the 30 days are inside the 90
        "SELECT sum(amount_fen), count(*), sum(CASE WHEN effective >= ? THEN amount_fen END), sum(effective >= ?) "
        "FROM (SELECT amount_fen, coalesce(decided_at, created_at) AS effective FROM compensations "
        "WHERE customer_id = ? AND status IN ('issued', 'approved') AND coalesce(decided_at, created_at) >= ?)",
        (d30_since, d30_since, customer_id, to_db(now - timedelta(days=90))),
    ).fetchone())
    rows = conn.execute(
        "SELECT c.id, c.case_id, c.order_id, c.agent_id, a.name AS agent_name, c.action, c.amount_fen, c.status, "
        "c.reason, c.created_at, c.decided_at FROM compensations c LEFT JOIN agents a ON a.id = c.agent_id "
        "WHERE c.customer_id = ? ORDER BY c.created_at DESC LIMIT ?",
        (customer_id, recent),
    ).fetchall()
    pending = int(conn.execute("SELECT count(*) FROM compensations WHERE customer_id = ? AND status = 'requested'",
                               (customer_id,)).fetchone()[0])
    return {"d30_fen": d30, "d30_count": n30, "d90_fen": d90, "d90_count": n90, "pending": pending,
            "recent": [dict(r) for r in rows]}


def not_received_claims(conn: sqlite3.Connection, customer_id: str, since: str) -> int:
    """Cases since ``since`` in which the customer said the parcel did not arrive."""
    clauses = " OR ".join("lower(m.body) LIKE ?" for _ in NOT_RECEIVED_PHRASES)
    params = [f"%{phrase}%" for phrase in NOT_RECEIVED_PHRASES]
    return int(conn.execute(
        "SELECT count(DISTINCT c.id) FROM cases c JOIN messages m ON m.case_id = c.id "
        f"WHERE c.customer_id = ? AND c.opened_at >= ? AND m.author = 'customer' AND ({clauses})",
        (customer_id, since, *params),
    ).fetchone()[0])


def abuse_signals(conn: sqlite3.Connection, policy: Policy, customer_id: str, order_id: str | None,
                  agent_id: str, now: datetime) -> list[Signal]:
    """The signals for one customer (and the order being compensated), as seen by ``agent_id``."""
    rules = policy.signals
    since = to_db(now - timedelta(days=rules.window_days))
    found: list[Signal] = []
    claims = not_received_claims(conn, customer_id, since)
    if claims >= rules.not_received_claims:
        found.append(Signal("not_received", {"count": claims, "days": rules.window_days}))
    if order_id:
        row = conn.execute(
            "SELECT coalesce(sum(c.amount_fen), 0), count(*), group_concat(DISTINCT coalesce(a.name, c.agent_id)) "
            "FROM compensations c LEFT JOIN agents a ON a.id = c.agent_id WHERE c.order_id = ? "
            "AND c.agent_id != ? AND c.status IN ('issued', 'approved', 'requested')",
            (order_id, agent_id),
        ).fetchone()
        if int(row[1]):
            found.append(Signal("same_order_other_agents",
                                {"total_fen": int(row[0]), "count": int(row[1]), "agents": row[2] or ""}))
    customer = conn.execute("SELECT lifetime_value_fen FROM customers WHERE id = ?", (customer_id,)).fetchone()
    lifetime = int(customer[0]) if customer else 0
    paid_out = int(conn.execute(
        "SELECT coalesce(sum(amount_fen), 0) FROM compensations WHERE customer_id = ? "
        "AND status IN ('issued', 'approved') AND action != 'full_refund' AND action != 'exchange'",
        (customer_id,),
    ).fetchone()[0])
    if paid_out and (lifetime <= 0 or paid_out * 100 >= lifetime * rules.payout_ratio_percent):
        percent = 100 if lifetime <= 0 else paid_out * 100 // lifetime
        found.append(Signal("payout_ratio", {"paid_fen": paid_out, "lifetime_fen": lifetime, "percent": percent}))
    return found
