"""Shift hand-off: everything one agent still has open, and moving it to a colleague in one go.

At the end of a shift (or when someone falls ill) nothing promised to a customer may fall between two
agents: open follow-ups, promised actions (follow-ups of kind ``promised_action``), compensation
requests still waiting for a lead, and cases whose SLA is about to run out. :func:`reassign_all` moves
all of it (or the ids given) in ONE transaction and leaves a hand-off note on each case, so the new
agent reads why the case is theirs. The screen lists at most LIMIT items per kind; the hand-off itself
has no such limit: what is open when it runs is what moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from workbench import changes, sla
from workbench.context import Context
from workbench.i18n import t
from workbench.ids import new_id
from workbench.services import followups
from workbench.services.followup_model import OPEN_SQL, BulkResult, FollowUpError, agent_row, overdue_count
from workbench.timefmt import to_db

LIMIT = 500
OPEN_FOLLOWUPS = f"f.owner_id = ? AND f.{OPEN_SQL}"  # indexed by owner and open status (0001, 0040)
APPROVALS_FROM = "FROM compensations p WHERE p.status = 'requested' AND p.agent_id = ?"


@dataclass
class OpenItems:
    """What one agent has open; each list is bounded by LIMIT, ``counts`` say how many there are in all.

    The counts come from COUNT queries, not from the lists: an agent leaving 800 follow-ups must see
    800, not 500, or the colleague taking over is told a smaller shift than they get.
    """

    agent: dict[str, Any]
    followups: list[dict[str, Any]] = field(default_factory=list)
    promised: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    sla_risk: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def truncated(self, section: str) -> bool:
        """More ``section`` items exist than the list holds (the screen says "显示前 500 条，共 N 条")."""
        return self.counts.get(section, 0) > len(getattr(self, section))


def _sla_risk(ctx: Context, agent_id: str) -> tuple[str, tuple[Any, ...]]:
    """FROM/WHERE (and its parameters) of the agent's cases whose first-response or resolution SLA runs
    out within the policy's warning time, or already has."""
    pol, now = sla.policy(ctx), ctx.clock.now()
    horizon = to_db(now + timedelta(minutes=pol.at_risk_minutes))
    unmet, unmet_params = sla.unmet_sql(pol)
    return ("FROM cases c JOIN customers cu ON cu.id = c.customer_id "
            f"WHERE c.status IN ('open', 'pending') AND c.assignee_id = ? AND c.sla_due_at <= ? AND {unmet} ",
            (agent_id, horizon, *unmet_params))


def open_items(ctx: Context, agent_id: str) -> OpenItems:
    """Everything ``agent_id`` has open right now (each list cut at LIMIT; ``counts`` are the totals)."""
    agent = agent_row(ctx.store.conn, agent_id)
    now = ctx.clock.now()
    items = OpenItems(agent)
    # One query per kind, each with its own LIMIT: split from one list, 1,000 early call-backs would
    # have hidden every promised action.
    for section, kind_test in (("followups", "!="), ("promised", "=")):
        rows = ctx.store.query(followups.CASE_SELECT + f"WHERE {OPEN_FOLLOWUPS} AND f.kind {kind_test} "
                               "'promised_action' ORDER BY f.due_at, f.id LIMIT ?", (agent_id, LIMIT))
        setattr(items, section, followups.decorate(ctx, rows))
    items.approvals = [dict(r) for r in ctx.store.query(
        "SELECT p.id, p.case_id, p.action, p.amount_fen, p.reason, p.created_at, c.subject AS case_subject, "
        "cu.name AS customer_name FROM compensations p LEFT JOIN cases c ON c.id = p.case_id "
        "LEFT JOIN customers cu ON cu.id = p.customer_id "
        "WHERE p.status = 'requested' AND p.agent_id = ? ORDER BY p.created_at LIMIT ?", (agent_id, LIMIT))]
    risk_from, risk_params = _sla_risk(ctx, agent_id)
    risk = ctx.store.query(
        "SELECT c.id, c.subject, c.sla_kind, c.sla_due_at, c.first_response_at, c.stage, c.status, "
        "cu.name AS customer_name " + risk_from + "ORDER BY c.sla_due_at LIMIT ?", (*risk_params, LIMIT))
    items.sla_risk = [dict(r, remaining=sla.remaining_seconds(r["sla_due_at"], now)) for r in risk]
    # True totals: each a COUNT over the same condition as its list, served by the same indexes.
    counted = ctx.store.one(
        "SELECT count(*) AS n, coalesce(sum(f.kind = 'promised_action'), 0) AS promised "
        f"FROM follow_ups f WHERE {OPEN_FOLLOWUPS}", (agent_id,))
    total, promised = (int(counted["n"]), int(counted["promised"])) if counted is not None else (0, 0)
    items.counts = {
        "followups": total - promised, "promised": promised,
        "approvals": int(ctx.store.scalar("SELECT count(*) " + APPROVALS_FROM, (agent_id,)) or 0),
        "sla_risk": int(ctx.store.scalar("SELECT count(*) " + risk_from, risk_params) or 0),
        "overdue": overdue_count(ctx, agent_id),  # the header's figure: both kinds, past due plus the grace
    }
    return items


def _open_case_ids(ctx: Context, conn: Any, agent_id: str) -> list[str]:
    """Every case that moves with a full hand-off: pending approvals' cases, then SLAs at risk."""
    risk_from, risk_params = _sla_risk(ctx, agent_id)
    approvals = conn.execute(f"SELECT p.case_id {APPROVALS_FROM} AND p.case_id IS NOT NULL ORDER BY p.created_at",
                             (agent_id,)).fetchall()
    risk = conn.execute(f"SELECT c.id {risk_from} ORDER BY c.sla_due_at", risk_params).fetchall()
    return list(dict.fromkeys([r[0] for r in approvals] + [r[0] for r in risk]))


@dataclass
class HandoffResult:
    followups: BulkResult
    cases: list[str] = field(default_factory=list)
    skipped_cases: list[tuple[str, str]] = field(default_factory=list)


def reassign_all(ctx: Context, from_agent: str, to_agent: str, *, followup_ids: list[str] | None = None,
                 case_ids: list[str] | None = None, note: str = "", lang: str | None = None) -> HandoffResult:
    """Move follow-ups and cases from one agent to another, all in one transaction.

    Without explicit ids, everything the agent has open moves: every open follow-up and promised
    action, and every case with a compensation request waiting for a lead or an SLA at risk, read
    inside the same write transaction, so nothing created a moment earlier stays behind (the screen's
    lists stop at LIMIT; the hand-off does not). Only the agent themself or a lead may hand off; cases
    already reassigned to someone else meanwhile are skipped, not taken.
    """
    if from_agent == to_agent:
        raise FollowUpError("same_owner", lang, agent=to_agent)
    target = agent_row(ctx.store.conn, to_agent, lang)
    source = agent_row(ctx.store.conn, from_agent, lang)
    actor = ctx.agent() or {}
    if actor.get("role") != "lead" and actor.get("id") != from_agent:
        raise FollowUpError("not_allowed", lang, id=from_agent)
    body = t("followups.handoff.case_note", lang, source=source["name"], target=target["name"]) + (
        f" {note.strip()}" if note.strip() else "")
    now = to_db(ctx.clock.now())
    with ctx.store.write() as conn:
        if followup_ids is None:
            followup_ids = [r[0] for r in conn.execute(
                f"SELECT f.id FROM follow_ups f WHERE {OPEN_FOLLOWUPS} ORDER BY f.due_at, f.id", (from_agent,))]
        if case_ids is None:
            case_ids = _open_case_ids(ctx, conn, from_agent)
        moved = followups.reassign(ctx, followup_ids, to_agent, note, lang) if followup_ids else BulkResult()
        result = HandoffResult(moved)
        for case_id in dict.fromkeys(case_ids):
            case = conn.execute("SELECT assignee_id, version FROM cases WHERE id = ?", (case_id,)).fetchone()
            if case is None:
                result.skipped_cases.append((case_id, t("followups.error.case_missing", lang, case=case_id)))
                continue
            if case["assignee_id"] != from_agent:
                result.skipped_cases.append((case_id, t("followups.handoff.not_theirs", lang, case=case_id)))
                continue
            changes.update(conn, ctx.clock, "cases", case_id,
                           {"assignee_id": to_agent, "updated_at": now, "version": int(case["version"]) + 1},
                           ctx.agent_id)
            changes.insert(conn, ctx.clock, "case_notes", {
                "id": new_id("n"), "case_id": case_id, "agent_id": ctx.agent_id or from_agent,
                "kind": "handoff", "body": body, "at": now}, ctx.agent_id)
            result.cases.append(case_id)
    return result
