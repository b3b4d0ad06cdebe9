"""Compensation: issue, request approval, approve, reject, cancel — enforced here, not by the buttons.

Every operation counts the figures, calls :func:`workbench.authority.decide`, writes the row with its
outbox entry and appends the audit entry in ONE ``BEGIN IMMEDIATE`` transaction. So two agents, two
processes or two devices on the same cache can never both pass a check that only one of them fits in:
the second waits for the first to commit and then counts its spend.

Counting rules (the same as the policy file's comments and the hub's):

* An issued compensation (``allowed``) spends the agent's daily budget, the per-case sum of its
  action and the customer's rolling cap.
* An approved request counts against the customer cap and the per-case sum, is recorded as approved
  by the lead (``decided_by``), and counts in that lead's daily approval spend. It does NOT consume the
  requesting agent's own daily budget. At approval time the customer cap, the order facts and the
  lead's approval budget are checked again (they may have changed since the request).
* Offline allowance: when a hub is configured (``settings.hub.url``), a money-like (budget) action is
  allowed locally only if it fits in the allowance the hub granted at the last sync
  (``sync_state.offline_allowance``) minus what this agent issued since ``granted_at`` and before
  ``expires_at``; otherwise it becomes an approval request. No allowance (never synced) means every
  money-like action is a request. So the hub never has to take back a coupon a customer was promised.

Every decision — allowed, refused, requested, approved, approval refused, rejected, cancelled — is an
audit entry carrying the amount, the reason codes and the policy version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workbench import audit, changes
from workbench.authority import CaseFacts, Decision, Figures, Policy, decide
from workbench.authority import figures, request_context
from workbench.authority.signals import abuse_signals, history as history_of
from workbench.context import Context
from workbench.i18n import t
from workbench.ids import new_id
from workbench.money import MoneyError, format_fen
from workbench.services.compensation_views import (  # read side, re-exported for callers
    authority_summary, current_policy, customer_history, hub_configured, mark_decisions_seen, modal_info,
    my_requests, pending, signals, unseen_decisions,
)
from workbench.timefmt import to_db

ENTITY = "compensation"
REASON_MAX = 500
NOTE_MAX = 500


class AuthorityError(Exception):
    """An operation the service refuses outright (not pending any more, not a lead, missing reason)."""

    def __init__(self, code: str, **fields: Any) -> None:
        self.code, self.fields = code, fields
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        return t(f"authority.error.{self.code}", lang, **self.fields)


@dataclass
class Result:
    """What happened: issued | requested | refused | approved | approval_refused | rejected | cancelled."""

    status: str
    compensation_id: str
    decision: Decision | None = None
    amount_fen: int = 0
    action: str = ""

    def message(self, lang: str | None = None) -> str:
        head = t(f"authority.result.{self.status}", lang, action=t(f"authority.action.{self.action}", lang),
                 amount=format_fen(self.amount_fen))
        if self.decision is not None and self.decision.reasons and self.status != "issued":
            return head + " " + ";".join(self.decision.messages(lang))
        return head


def _check_amount(amount_fen: Any) -> None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise MoneyError(f"金额必须是整数分 / amount must be integer fen, got {amount_fen!r}")


def _agent(conn: Any, agent_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM agents WHERE id = ?", (agent_id,)).fetchone()
    if row is None:
        raise AuthorityError("unknown_agent", agent=agent_id or "-")
    return dict(row)


def _case(conn: Any, case_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None:
        raise LookupError(f"case {case_id} not found")
    return dict(row)


def _audit(conn: Any, ctx: Context, verb: str, comp: dict[str, Any], policy: Policy, at: datetime,
           decision: Decision | None = None, **extra: Any) -> None:
    rules = policy.actions.get(comp["action"])
    data = {
        "action": comp["action"], "amount_fen": comp["amount_fen"], "status": comp["status"],
        "agent_id": comp["agent_id"], "customer_id": comp["customer_id"], "case_id": comp["case_id"],
        "order_id": comp["order_id"], "budget": bool(rules and rules.budget),
        "customer_cap": bool(rules and rules.customer_cap), "policy_version": policy.version,
        "codes": list(decision.codes) if decision else [], **extra,
    }
    if decision is not None:
        data["outcome"] = decision.outcome
    audit.append(conn, ctx.clock, actor=ctx.agent_id, action=f"compensation.{verb}", entity=ENTITY,
                 entity_id=comp["id"], data=data, at=at)


def _judge(conn: Any, ctx: Context, policy: Policy, case: dict[str, Any], agent: dict[str, Any], action: str,
           amount_fen: int, order_id: str | None, now: datetime) -> tuple[CaseFacts, Figures, Decision]:
    """Count the facts and figures for one agent-side decision on ``conn`` and decide (issue, preview, explain)."""
    facts = figures.case_facts(conn, case, order_id)
    figs = figures.figures_for(conn, policy, agent_id=agent["id"], case_id=case["id"], customer_id=case["customer_id"],
                               action=action, now=now, tz=ctx.tz, hub_configured=hub_configured(ctx))
    return facts, figs, decide(policy, agent, action, amount_fen, figs, facts, now, tz=ctx.tz)


def explain(ctx: Context, case_id: str, action: str, amount_fen: int, *, order_id: str | None = None,
            policy: Policy | None = None) -> tuple[Policy, Figures, Decision]:
    """What :func:`issue` would decide right now, with the figures it counted (read-only).

    ``policy`` lets a caller that already holds the policy in effect (the modal, per keystroke) skip
    re-reading the file; :func:`issue` always decides again with the current one.
    """
    _check_amount(amount_fen)
    policy = policy or current_policy(ctx)
    conn = ctx.store.conn
    case = _case(conn, case_id)
    agent = _agent(conn, ctx.agent_id)
    _, figs, decision = _judge(conn, ctx, policy, case, agent, action, amount_fen, order_id, ctx.clock.now())
    return policy, figs, decision


def preview(ctx: Context, case_id: str, action: str, amount_fen: int, *, order_id: str | None = None,
            policy: Policy | None = None) -> Decision:
    """What :func:`issue` would decide right now (read-only: for the modal's live preview)."""
    return explain(ctx, case_id, action, amount_fen, order_id=order_id, policy=policy)[2]


def issue(ctx: Context, case_id: str, action: str, amount_fen: int, reason: str, *,
          order_id: str | None = None, force_request: bool = False) -> Result:
    """Give a compensation within the agent's authority, or turn it into an approval request.

    ``allowed`` → issued; ``needs_approval`` (or ``force_request``) → requested with its context;
    ``denied`` → nothing is given, the refusal is audited. Raises AuthorityError when the reason is
    empty, LookupError for an unknown case, MoneyError for a non-integer amount.
    """
    _check_amount(amount_fen)
    reason = reason.strip()[:REASON_MAX]
    if not reason:
        raise AuthorityError("reason_required")
    policy = current_policy(ctx)
    with ctx.store.write() as conn:
        now = ctx.clock.now()  # after the lock: the day and windows counted are the ones the row gets
        case = _case(conn, case_id)
        agent = _agent(conn, ctx.agent_id)
        if order_id and order_id != case["order_id"]:
            owner = conn.execute("SELECT customer_id FROM orders WHERE id = ?", (order_id,)).fetchone()
            if owner is None or owner[0] != case["customer_id"]:
                raise AuthorityError("order_mismatch", order=order_id)
        facts, figs, decision = _judge(conn, ctx, policy, case, agent, action, amount_fen, order_id, now)
        stamp = to_db(now)
        comp: dict[str, Any] = {
            "id": new_id("cp"), "case_id": case_id, "customer_id": case["customer_id"], "order_id": facts.order_id,
            "agent_id": agent["id"], "action": action, "amount_fen": amount_fen, "reason": reason,
            "status": "refused", "decision_reason": ",".join(decision.codes) or None,
        }
        if decision.denied:
            _audit(conn, ctx, "refuse", comp, policy, now, decision, reason=reason)
            return Result("refused", comp["id"], decision, amount_fen, action)
        issued = decision.allowed and not force_request
        comp["status"] = "issued" if issued else "requested"
        if issued:
            context: dict[str, Any] = {"figures": figs._asdict(), "policy_version": policy.version}
        else:
            hist = history_of(conn, case["customer_id"], now)
            sigs = abuse_signals(conn, policy, case["customer_id"], facts.order_id, agent["id"], now)
            context = request_context.build(conn, case, facts.order_id, hist, sigs, decision)
        comp.update({
            "context": json.dumps(context, ensure_ascii=False, sort_keys=True),
            "decided_by": agent["id"] if issued else None, "decided_at": stamp if issued else None,
            "offline": int(issued and hub_configured(ctx)), "created_at": stamp, "updated_at": stamp,
        })
        changes.insert(conn, ctx.clock, "compensations", comp, ctx.agent_id)
        _audit(conn, ctx, "issue" if issued else "request", comp, policy, now, decision, reason=reason,
               forced=force_request and decision.allowed)
    return Result(comp["status"], comp["id"], decision, amount_fen, action)


def request_approval(ctx: Context, case_id: str, action: str, amount_fen: int, reason: str, *,
                     order_id: str | None = None) -> Result:
    """Ask a lead even though the agent's authority would cover it (a denied action stays refused)."""
    return issue(ctx, case_id, action, amount_fen, reason, order_id=order_id, force_request=True)


def _pending_row(conn: Any, comp_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM compensations WHERE id = ?", (comp_id,)).fetchone()
    if row is None:
        raise LookupError(f"compensation {comp_id} not found")
    comp = dict(row)
    if comp["status"] != "requested":
        raise AuthorityError("not_pending", status=t(f"authority.status.{comp['status']}"))
    return comp


def _tell_case(conn: Any, ctx: Context, comp: dict[str, Any], verb: str, lead: dict[str, Any], note: str) -> None:
    """A system message on the case, in the requesting agent's language, so the decision is in context."""
    if not comp["case_id"]:
        return
    requester = conn.execute("SELECT lang FROM agents WHERE id = ?", (comp["agent_id"],)).fetchone()
    lang = requester["lang"] if requester and requester["lang"] in ("zh", "en") else "zh"
    body = t(f"authority.system.{verb}", lang, lead=lead["name"], action=t(f"authority.action.{comp['action']}", lang),
             amount=format_fen(comp["amount_fen"]), note=note or t("authority.system.no_note", lang))
    changes.insert(conn, ctx.clock, "messages", {"id": new_id("m"), "case_id": comp["case_id"], "author": "system",
                                                 "agent_id": lead["id"], "body": body,
                                                 "at": to_db(ctx.clock.now())}, ctx.agent_id)


def approve(ctx: Context, comp_id: str, note: str = "", *, batch: bool = False) -> Result:
    """A lead approves a pending request after re-checking it now; a refused approval is audited too."""
    note = note.strip()[:NOTE_MAX]
    policy = current_policy(ctx)
    with ctx.store.write() as conn:
        now = ctx.clock.now()
        comp = _pending_row(conn, comp_id)
        approver = _agent(conn, ctx.agent_id)
        agent = _agent(conn, comp["agent_id"])
        case = (_case(conn, comp["case_id"]) if comp["case_id"]
                else {"id": "", "customer_id": comp["customer_id"], "order_id": comp["order_id"]})
        facts = figures.case_facts(conn, case, comp["order_id"])
        figs = figures.figures_for(conn, policy, agent_id=agent["id"], case_id=case["id"],
                                   customer_id=comp["customer_id"], action=comp["action"], now=now, tz=ctx.tz,
                                   hub_configured=hub_configured(ctx), approver_id=approver["id"])
        decision = decide(policy, agent, comp["action"], comp["amount_fen"], figs, facts, now, tz=ctx.tz,
                          approver=approver, batch=batch)
        if decision.denied:
            _audit(conn, ctx, "approve_refused", comp, policy, now, decision, note=note, batch=batch)
            return Result("approval_refused", comp_id, decision, comp["amount_fen"], comp["action"])
        values = {"status": "approved", "decided_by": approver["id"], "decided_at": to_db(now),
                  "decision_note": note or None, "updated_at": to_db(now)}
        changes.update(conn, ctx.clock, "compensations", comp_id, values, ctx.agent_id)
        comp.update(values)
        _audit(conn, ctx, "approve", comp, policy, now, decision, note=note, batch=batch)
        _tell_case(conn, ctx, comp, "approved", approver, note)
    return Result("approved", comp_id, decision, comp["amount_fen"], comp["action"])


def approve_many(ctx: Context, comp_ids: list[str], note: str = "") -> list[Result]:
    """Batch approval: each request re-checked and written on its own; above the second threshold refused."""
    results = []
    for comp_id in comp_ids:
        results.append(approve(ctx, comp_id, note, batch=True))
    return results


def reject(ctx: Context, comp_id: str, note: str) -> Result:
    """A lead turns a request down; the note (required) tells the agent why, on the case."""
    note = note.strip()[:NOTE_MAX]
    if not note:
        raise AuthorityError("note_required")
    policy = current_policy(ctx)
    with ctx.store.write() as conn:
        moment = ctx.clock.now()
        now = to_db(moment)
        comp = _pending_row(conn, comp_id)
        lead = _agent(conn, ctx.agent_id)
        if lead["role"] != "lead":
            raise AuthorityError("not_a_lead")
        values = {"status": "rejected", "decided_by": lead["id"], "decided_at": now, "decision_note": note,
                  "updated_at": now}
        changes.update(conn, ctx.clock, "compensations", comp_id, values, ctx.agent_id)
        comp.update(values)
        _audit(conn, ctx, "reject", comp, policy, moment, note=note)
        _tell_case(conn, ctx, comp, "rejected", lead, note)
    return Result("rejected", comp_id, None, comp["amount_fen"], comp["action"])


def cancel(ctx: Context, comp_id: str, note: str = "") -> Result:
    """The requesting agent (or a lead) withdraws a pending request."""
    note = note.strip()[:NOTE_MAX]
    policy = current_policy(ctx)
    with ctx.store.write() as conn:
        moment = ctx.clock.now()
        now = to_db(moment)
        comp = _pending_row(conn, comp_id)
        actor = _agent(conn, ctx.agent_id)
        if actor["id"] != comp["agent_id"] and actor["role"] != "lead":
            raise AuthorityError("not_yours")
        values = {"status": "cancelled", "decision_note": note or None, "updated_at": now}
        changes.update(conn, ctx.clock, "compensations", comp_id, values, ctx.agent_id)
        comp.update(values)
        _audit(conn, ctx, "cancel", comp, policy, moment, note=note)
    return Result("cancelled", comp_id, None, comp["amount_fen"], comp["action"])


__all__ = [
    "AuthorityError", "Result", "approve", "approve_many", "authority_summary", "cancel", "current_policy",
    "customer_history", "explain", "hub_configured", "issue", "mark_decisions_seen", "modal_info", "my_requests",
    "pending", "preview", "reject", "request_approval", "signals", "unseen_decisions",
]
