"""Money on the hub: compensations are never merged, and the hub re-checks them whatever the client claims.

Each pushed compensation entry becomes a *plan* (:func:`plan`): issue, request, approve, decline, cancel,
edit a note, or refuse. Plans that move money are then re-checked by the hub inside its own write
transaction, with figures counted from the hub's own ledger in hub time (client clocks may be hours
off and are never trusted for money):

- per-case limit of the agent's tier (the sum of the same action on the same case),
- the agent's daily budget (shop-timezone day, issued budget actions),
- the customer's rolling cap (issued + approved cap actions of all agents),
- for an approval: the approver is a lead, not approving their own request, within the lead's daily
  approval budget; the customer cap holds for approvals too.

The SQLite hub calls the pure :func:`workbench.authority.decide` with those figures (:func:`hub_decide`);
the PostgreSQL hub runs the same checks in SQL (``adapters/hub_pg/functions.sql``) from the limits
exported by :func:`limits_json`. The agent and the approver are whoever the hub authenticated, never a
field of the payload. A refused issue or approval is stored as ``status='rejected'`` with
``hub_status='rejected'`` and ``hub_reason`` so every cache shows it on the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workbench.authority import CaseFacts, Figures, Policy, decide
from workbench.authority.figures import day_window
from workbench.sync.conflicts import HubRow, validate
from workbench.sync.protocol import Entry
from workbench.timefmt import from_db, to_db

MONEY_FIELDS = ("amount_fen", "action", "customer_id", "agent_id", "case_id", "order_id")
HUB_FIELDS = ("hub_status", "hub_reason")
DEFAULT_OFFLINE_SHARE = 0.5
DEFAULT_OFFLINE_HOURS = 4


@dataclass
class Plan:
    """What a compensation entry asks for. ``kind``: issue|request|approve|decline|cancel|edit|same|refuse."""

    kind: str
    data: dict[str, Any] | None = None
    status: str = "accepted"
    reason: str = ""


def _refuse(status: str, reason: str) -> Plan:
    return Plan("refuse", status=status, reason=reason)


def plan(current: HubRow | None, entry: Entry, actor: str, is_lead: bool) -> Plan:
    """Classify one compensation entry against the hub's row (no figures needed yet)."""
    problem = validate(entry)
    if problem:
        return _refuse("rejected", problem)
    payload = {k: v for k, v in entry.payload.items() if k not in HUB_FIELDS}
    if current is None and entry.op != "create":
        if not entry.snapshot or payload.get("status") not in ("approved", "rejected"):
            return _refuse("rejected", "invalid: the hub has no such compensation")
        # A request the hub never saw (seeded locally), decided by a lead: replay it as a request first.
        current = HubRow({**entry.snapshot, "status": "requested", "decided_by": None, "decided_at": None}, 0)
        current.data.pop("version", None)
    if current is None:
        data = {**payload, "id": entry.entity_id, "agent_id": actor}
        status = data.get("status")
        if status == "issued":
            return Plan("issue", data)
        if status == "requested":
            return Plan("request", {**data, "hub_status": "pending", "hub_reason": None})
        return _refuse("rejected", f"invalid: a new compensation is issued or requested, not {status}")
    cur = current.data
    if entry.op == "create" and current.version > 0:
        same = all(payload.get(f) == cur.get(f) for f in (*MONEY_FIELDS, "status") if f != "agent_id")
        return Plan("same") if same else _refuse("conflict", "duplicate_id")
    changed = [f for f in MONEY_FIELDS if f in payload and payload[f] != cur.get(f)]
    if changed:
        return _refuse("rejected", f"immutable: {', '.join(changed)}")
    new_status = payload.get("status", cur.get("status"))
    merged = {**cur, **payload}
    if new_status == cur.get("status"):
        if actor != cur.get("agent_id") and not is_lead:
            return _refuse("rejected", "not_permitted")
        return Plan("edit", merged)
    if new_status in ("approved", "rejected"):
        if not is_lead:
            return _refuse("rejected", "not_permitted: only a lead decides a request")
        if cur.get("status") != "requested":
            return _refuse("conflict", f"already_decided: {cur.get('status')}")
        return Plan("approve" if new_status == "approved" else "decline", {**merged, "decided_by": actor})
    if new_status in ("cancelled", "revoked"):
        if actor != cur.get("agent_id") and not is_lead:
            return _refuse("rejected", "not_permitted")
        if cur.get("status") in ("cancelled", "revoked", "rejected"):
            return _refuse("conflict", f"already_decided: {cur.get('status')}")
        return Plan("cancel", merged)
    return _refuse("rejected", f"not_permitted: {cur.get('status')} -> {new_status}")


def hub_decide(policy: Policy, agent: dict[str, Any], data: dict[str, Any], figures: Figures, now: datetime,
               tz: str, approver: dict[str, Any] | None = None) -> str:
    """'' when the hub allows this issue/approval, else the first reason as ``code: detail``."""
    facts = CaseFacts(case_id=str(data.get("case_id") or ""), customer_id=str(data.get("customer_id") or ""),
                      order_id=data.get("order_id"))
    amount = data.get("amount_fen")
    decision = decide(policy, agent, str(data.get("action")), amount if isinstance(amount, int) else -1,
                      figures, facts, now, tz=tz, approver=approver)
    if decision.allowed:
        return ""
    first = decision.reasons[0]
    detail = ", ".join(f"{k}={v}" for k, v in sorted(first.fields.items()))
    return f"{first.code}: {detail}" if detail else first.code


def rejected(data: dict[str, Any], reason: str) -> dict[str, Any]:
    """The stored form of a compensation the hub refused."""
    return {**data, "status": "rejected", "hub_status": "rejected", "hub_reason": reason}


def accepted(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "hub_status": "accepted", "hub_reason": None}


def day_bounds(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """The shop-timezone day containing ``now`` (hub time), as aware datetimes ``[start, end)``.

    The same day as the local figures count (:func:`workbench.authority.figures.day_window`).
    """
    start, end = day_window(now, tz)
    return from_db(start), from_db(end)


def allowance(daily_budget_fen: int, used_fen: int, now: datetime, tz: str,
              share: float = DEFAULT_OFFLINE_SHARE, hours: int = DEFAULT_OFFLINE_HOURS) -> tuple[int, datetime]:
    """The offline slice: ``share`` of what is left today, valid ``hours`` but never past the day's end.

    A slice rather than the whole remainder, because the same agent may hold a grant on another
    device; the hub still re-checks every coupon when it arrives.
    """
    left = max(daily_budget_fen - used_fen, 0)
    granted = int(left * share)
    _, end = day_bounds(now, tz)
    return granted, min(now + timedelta(hours=hours), end)


def grant_dict(agent_id: str, granted: int, now: datetime, expires: datetime, budget: int, used: int) -> dict[str, Any]:
    return {"agent_id": agent_id, "granted_fen": granted, "granted_at": to_db(now), "expires_at": to_db(expires),
            "hub_now": to_db(now), "daily_budget_fen": budget, "used_fen": used}


def limits_json(policy: Policy) -> dict[str, Any]:
    """The parts of the policy the PostgreSQL hub checks in SQL (stored in ``hub.settings``)."""
    return {
        "version": policy.version,
        "customer_cap_fen": policy.customer_cap_fen,
        "customer_cap_days": policy.customer_cap_days,
        "actions": {name: {"budget": rule.budget, "customer_cap": rule.customer_cap,
                           "needs_order": rule.needs_order} for name, rule in policy.actions.items()},
        "tiers": {name: {"daily_budget_fen": tier.daily_budget_fen, "limits_fen": dict(tier.limits_fen),
                         "always_approve": sorted(tier.always_approve), "can_approve": tier.can_approve,
                         "approval_budget_fen": tier.approval_budget_fen} for name, tier in policy.tiers.items()},
    }
