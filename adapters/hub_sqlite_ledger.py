"""The SQLite hub's money ledger: the figures a re-check needs, counted in hub time.

Only what the hub itself accepted is counted, at the hub's clock (``counted_at``), never the client's
``created_at``: client clocks can be hours off, and a client's claim is exactly what is being checked.
Definitions follow :mod:`workbench.authority.figures` (issued budget actions for the agent's day,
issued + approved cap actions for the customer's rolling window, the same action on the same case).
A cancelled coupon stays counted: giving budget back on cancel would let issue-cancel-issue loops
walk past the limit.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from workbench.authority import Figures, Policy
from workbench.authority.figures import day_window
from workbench.sync import hubmoney
from workbench.timefmt import to_db


class Ledger:
    """Counts and records money inside the caller's ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, conn: sqlite3.Connection, policy: Policy | None, tz: str, now: datetime):
        self.conn, self.policy, self.tz, self.now = conn, policy, tz, now
        self.stamp = to_db(now)
        self.day = day_window(now, tz)

    def _sum(self, sql: str, params: tuple[Any, ...], actions: tuple[str, ...] | None = None) -> int:
        if actions is not None:
            sql += f" AND action IN ({', '.join('?' for _ in actions) or 'NULL'})"
            params = (*params, *actions)
        return int(self.conn.execute(sql, params).fetchone()[0] or 0)

    def figures(self, agent_id: str, data: dict[str, Any], approver_id: str | None) -> Figures:
        assert self.policy is not None
        budget, cap = self.policy.budget_actions, self.policy.cap_actions
        since = to_db(self.now - timedelta(days=self.policy.customer_cap_days))
        return Figures(
            case_used_fen=self._sum("SELECT sum(amount_fen) FROM money WHERE case_id = ? AND action = ?",
                                    (data.get("case_id"), data.get("action"))),
            agent_day_used_fen=self._sum("SELECT sum(amount_fen) FROM money WHERE agent_id = ? AND status = 'issued' "
                                         "AND counted_at >= ? AND counted_at < ?", (agent_id, *self.day), budget),
            customer_window_used_fen=self._sum("SELECT sum(amount_fen) FROM money WHERE customer_id = ? "
                                               "AND counted_at >= ?", (data.get("customer_id"), since), cap),
            approver_day_used_fen=self._sum("SELECT sum(amount_fen) FROM money WHERE approver = ? AND status = "
                                            "'approved' AND counted_at >= ? AND counted_at < ?",
                                            (approver_id, *self.day), budget) if approver_id else 0,
        )

    def check(self, requester: dict[str, Any], data: dict[str, Any], approver: dict[str, Any] | None) -> str:
        """'' when the policy allows it now, else ``code: detail``."""
        if self.policy is None:
            return "policy_missing: the hub has no policy; the lead runs: workbench hub init --policy FILE"
        figures = self.figures(str(requester.get("id")), data, approver["id"] if approver else None)
        return hubmoney.hub_decide(self.policy, requester, data, figures, self.now, self.tz, approver)

    def count(self, data: dict[str, Any], status: str, approver: str | None) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO money (comp_id, agent_id, customer_id, case_id, action, amount_fen, status, "
            "approver, counted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (data["id"], data["agent_id"], data.get("customer_id") or "", data.get("case_id"), data["action"],
             int(data["amount_fen"]), status, approver, self.stamp),
        )

    def allowance(self, me: dict[str, Any], share: float, hours: int) -> dict[str, Any]:
        """The offline grant for ``me`` now (nothing when the hub has no policy or no tier for them)."""
        tier = self.policy.tier_for(me) if self.policy is not None else None
        budget = tier.daily_budget_fen if tier is not None else 0
        used = self.figures(str(me["id"]), {}, None).agent_day_used_fen if self.policy is not None else 0
        granted, expires = hubmoney.allowance(budget, used, self.now, self.tz, share, hours)
        return hubmoney.grant_dict(str(me["id"]), granted, self.now, expires, budget, used)
