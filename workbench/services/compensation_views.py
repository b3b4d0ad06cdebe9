"""Read side of compensation: what the header, the modal and the approvals screen show.

Nothing here writes a syncable row. Reads use the calling thread's connection, so screens run these
in thread workers (one connection per thread, DESIGN.md section 6).
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from workbench.authority import Policy, PolicyError, Tier, effective_policy
from workbench.authority import figures
from workbench.context import Context
from workbench.timefmt import from_db, to_db

if TYPE_CHECKING:
    from workbench.authority.signals import Signal

SEEN_PREFIX = "decisions_seen:"
SEEN_KEEP = 500
DECISION_DAYS = 30


def current_policy(ctx: Context) -> Policy:
    """The team's policy file when present, else the built-in one (raises PolicyError when broken)."""
    return effective_policy(ctx.paths.policy_file)


def hub_configured(ctx: Context) -> bool:
    """Whether this cache syncs with a hub (env WORKBENCH_HUB_URL or the config's [hub] url)."""
    from workbench.sync.status import configured_url

    return bool(configured_url(ctx).strip())


def customer_history(ctx: Context, customer_id: str) -> dict[str, Any]:
    """Compensation given to this customer over 30/90 days and the latest rows (all agents)."""
    from workbench.authority.signals import history as history_of  # not needed by the header

    return history_of(ctx.store.conn, customer_id, ctx.clock.now())


def signals(ctx: Context, customer_id: str, order_id: str | None = None, agent_id: str | None = None) -> "list[Signal]":
    """Abuse signals for the customer (and order) as seen by ``agent_id`` (default: signed-in agent)."""
    from workbench.authority.signals import abuse_signals

    return abuse_signals(ctx.store.conn, current_policy(ctx), customer_id, order_id,
                         agent_id or ctx.agent_id, ctx.clock.now())


class ModalInfo(NamedTuple):
    """Everything the compensation modal shows besides the live decision.

    ``policy`` is the policy the figures were read with; the modal hands it back to the live preview
    so a keystroke does not re-read the policy file (the submit decides again with the current one).
    """

    policy: Policy
    case: dict[str, Any]
    customer: dict[str, Any]
    order: dict[str, Any] | None
    tier: Tier | None
    policy_version: int
    budget_fen: int
    budget_used_fen: int
    offline_left_fen: int | None
    offline_state: str
    history: dict[str, Any]
    signals: "list[Signal]"  # the signals module loads with the modal, not with the header
    case_used_fen: dict[str, int]
    default_amounts_fen: dict[str, int]

    @property
    def budget_left_fen(self) -> int:
        left = max(self.budget_fen - self.budget_used_fen, 0)
        return left if self.offline_left_fen is None else min(left, self.offline_left_fen)


def modal_info(ctx: Context, case_id: str) -> ModalInfo:
    """Load the modal's figures for ``case_id`` (raises LookupError, PolicyError)."""
    from workbench.authority.signals import abuse_signals, history as history_of

    policy = current_policy(ctx)
    conn = ctx.store.conn
    now = ctx.clock.now()
    case_row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    if case_row is None:
        raise LookupError(f"case {case_id} not found")
    case = dict(case_row)
    customer = dict(conn.execute("SELECT * FROM customers WHERE id = ?", (case["customer_id"],)).fetchone() or {})
    order = None
    defaults: dict[str, int] = {}
    if case["order_id"]:
        row = conn.execute("SELECT * FROM orders WHERE id = ?", (case["order_id"],)).fetchone()
        order = dict(row) if row else None
        facts = figures.case_facts(conn, case)
        top_item = conn.execute("SELECT max(price_fen) FROM order_items WHERE order_id = ?",
                                (case["order_id"],)).fetchone()[0]
        if top_item:
            defaults["reship"] = defaults["exchange"] = int(top_item)
        if facts.order_paid_fen is not None:
            defaults["full_refund"] = max(facts.order_paid_fen - facts.order_refunded_fen, 0)
    agent = ctx.agent()
    tier = policy.tier_for(agent) if agent else None
    left, state = (figures.offline_left(conn, policy, ctx.agent_id, now) if hub_configured(ctx)
                   else (None, "ok"))
    return ModalInfo(
        policy=policy, case=case, customer=customer, order=order, tier=tier, policy_version=policy.version,
        budget_fen=tier.daily_budget_fen if tier else 0,
        budget_used_fen=figures.agent_day_used(conn, policy, ctx.agent_id, now, ctx.tz),
        offline_left_fen=left, offline_state=state,
        history=history_of(conn, case["customer_id"], now),
        signals=abuse_signals(conn, policy, case["customer_id"], case["order_id"], ctx.agent_id, now),
        case_used_fen=figures.case_used_by_action(conn, case_id),
        default_amounts_fen=defaults,
    )


def authority_summary(ctx: Context) -> dict[str, Any]:
    """The header's figures: per-case limit of the headline action, today's budget and what is left.

    ``budget_left_fen`` is also capped by the offline allowance when a hub is configured (that is
    what the agent can really spend without asking). A broken policy file is reported in ``error``
    with zero authority rather than crashing the header.
    """
    empty: dict[str, Any] = {"per_case_limit_fen": 0, "budget_fen": 0, "budget_left_fen": 0}
    agent = ctx.agent()
    if not agent:
        return empty
    try:
        policy = current_policy(ctx)
    except PolicyError as exc:
        return {**empty, "error": str(exc)}
    tier = policy.tier_for(agent)
    if tier is None:
        return {**empty, "error": f"unknown tier {agent.get('tier')!r}"}
    conn, now = ctx.store.conn, ctx.clock.now()
    used = figures.agent_day_used(conn, policy, ctx.agent_id, now, ctx.tz)
    left = max(tier.daily_budget_fen - used, 0)
    summary: dict[str, Any] = {
        "per_case_limit_fen": tier.limits_fen[policy.headline_action], "budget_fen": tier.daily_budget_fen,
        "budget_left_fen": left, "budget_used_fen": used, "action": policy.headline_action, "tier": tier.name,
        "policy_version": policy.version, "offline_left_fen": None,
    }
    if hub_configured(ctx):
        offline, state = figures.offline_left(conn, policy, ctx.agent_id, now)
        summary.update(offline_left_fen=offline, offline_state=state, budget_left_fen=min(left, offline))
    if tier.can_approve:
        summary["pending_approvals"] = int(ctx.store.scalar(
            "SELECT count(*) FROM compensations WHERE status = 'requested'"))
        summary["approval_left_fen"] = max(tier.approval_budget_fen - figures.approver_day_used(
            conn, policy, ctx.agent_id, now, ctx.tz), 0)
    return summary


_LIST_SQL = (
    "SELECT c.*, a.name AS agent_name, cu.name AS customer_name, k.subject AS case_subject, "
    "o.order_no AS order_no, d.name AS decided_by_name FROM compensations c "
    "LEFT JOIN agents a ON a.id = c.agent_id LEFT JOIN customers cu ON cu.id = c.customer_id "
    "LEFT JOIN cases k ON k.id = c.case_id LEFT JOIN orders o ON o.id = c.order_id "
    "LEFT JOIN agents d ON d.id = c.decided_by "
)


def _with_context(ctx: Context, rows: list[Any], policy: Policy) -> list[dict[str, Any]]:
    now = ctx.clock.now()
    stale_after = ctx.settings.approvals.stale_after_minutes
    out = []
    for row in rows:
        item = dict(row)
        try:
            item["context"] = json.loads(item.get("context") or "{}")
            item["context_error"] = ""
        except json.JSONDecodeError as exc:
            item["context"], item["context_error"] = {}, str(exc)
        waited = int((now - from_db(item["created_at"])).total_seconds() // 60)
        item["waited_minutes"] = max(waited, 0)
        item["stale"] = item["status"] == "requested" and waited >= stale_after
        item["item_by_item"] = item["amount_fen"] > policy.second_threshold_fen
        out.append(item)
    return out


def pending(ctx: Context) -> list[dict[str, Any]]:
    """All agents' pending requests, oldest first, with context, waiting time and the stale flag."""
    rows = ctx.store.query(_LIST_SQL + "WHERE c.status = 'requested' ORDER BY c.created_at, c.id")
    return _with_context(ctx, rows, current_policy(ctx))


def my_requests(ctx: Context, agent_id: str | None = None, days: int = 14) -> list[dict[str, Any]]:
    """One agent's requests of the last ``days`` (pending and decided), newest first."""
    since = to_db(ctx.clock.now() - timedelta(days=days))
    rows = ctx.store.query(_LIST_SQL + "WHERE c.agent_id = ? AND c.created_at >= ? AND c.status IN "
                           "('requested', 'approved', 'rejected', 'cancelled') ORDER BY c.created_at DESC",
                           (agent_id or ctx.agent_id, since))
    return _with_context(ctx, rows, current_policy(ctx))


def _seen(ctx: Context, agent_id: str) -> list[str]:
    raw = ctx.store.scalar("SELECT value FROM sync_state WHERE key = ?", (SEEN_PREFIX + agent_id,))
    try:
        value = json.loads(raw) if raw else []
    except json.JSONDecodeError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def unseen_decisions(ctx: Context, agent_id: str | None = None) -> list[dict[str, Any]]:
    """Decisions on this agent's requests they have not been notified of yet (for a notification).

    Seen ids, not a "seen until" time, are remembered: a decision made earlier on another device and
    pulled later by sync must still be announced.
    """
    agent_id = agent_id or ctx.agent_id
    since = to_db(ctx.clock.now() - timedelta(days=DECISION_DAYS))
    seen = set(_seen(ctx, agent_id))
    rows = ctx.store.query(_LIST_SQL + "WHERE c.agent_id = ? AND c.status IN ('approved', 'rejected') "
                           "AND c.decided_at >= ? ORDER BY c.decided_at", (agent_id, since))
    return [dict(r) for r in rows if r["id"] not in seen]


def mark_decisions_seen(ctx: Context, ids: list[str], agent_id: str | None = None) -> None:
    """Remember that the agent was told about these decisions (local bookkeeping, not synced)."""
    agent_id = agent_id or ctx.agent_id
    with ctx.store.write() as conn:
        seen = _seen(ctx, agent_id)
        merged = (seen + [i for i in ids if i not in seen])[-SEEN_KEEP:]
        conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                     "SET value = excluded.value", (SEEN_PREFIX + agent_id, json.dumps(merged)))
