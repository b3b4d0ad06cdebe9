"""Escalation to L2/L3 or a lead, with a hand-off summary written from the case.

The seeds' rule: the customer must never have to tell their story twice. So the summary is built from
what the case already knows — who the customer is, the order, the problem in one sentence, what was
tried, what was promised, how they feel — shown to the agent to edit, then stored on the case
(``cases.handoff_summary``, ``cases.escalated_to``) and as a ``handoff`` case note, with outbox entries
and an audit entry in one transaction. Core module: reads the playbook state as plain JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench import audit, changes
from workbench.context import Context
from workbench.i18n import t
from workbench.ids import new_id
from workbench.money import format_fen
from workbench.sanitize import one_line
from workbench.services.cases import cues as case_cues
from workbench.timefmt import short_local, to_db

TIERS = ("L1", "L2", "L3")
MAX_SUMMARY = 4000
STAGES = ("empathize", "locate", "resolve", "close")


class EscalationError(Exception):
    """The hand-over cannot happen as asked (no such colleague, empty summary, closed case)."""


@dataclass(frozen=True)
class Target:
    """A colleague who can take the case over."""

    id: str
    name: str
    tier: str
    role: str
    load: int


def _rank(tier: str | None, role: str | None) -> int:
    if role == "lead":
        return len(TIERS) + 1
    return TIERS.index(tier) + 1 if tier in TIERS else 0


def targets(ctx: Context) -> list[Target]:
    """Active colleagues above the signed-in agent (a higher tier, or a lead), least busy first."""
    me = ctx.agent()
    mine = _rank(str(me.get("tier") or ""), str(me.get("role") or ""))
    rows = ctx.store.query(
        "SELECT a.id, a.name, a.tier, a.role, "
        "(SELECT count(*) FROM cases c WHERE c.assignee_id = a.id AND c.status IN ('open', 'pending')) AS load "
        "FROM agents a WHERE a.active = 1 AND a.id != ? ORDER BY a.id", (ctx.agent_id,))
    found = [Target(r["id"], r["name"], r["tier"], r["role"], int(r["load"])) for r in rows
             if _rank(r["tier"], r["role"]) > mine or (me.get("role") == "lead" and r["role"] == "lead")]
    return sorted(found, key=lambda x: (_rank(x.tier, x.role), x.load, x.id))


def resolve_target(ctx: Context, wanted: str) -> Target:
    """An agent id, or a level (``L2``, ``L3``, ``lead``) meaning its least busy member."""
    options = targets(ctx)
    for target in options:
        if target.id == wanted:
            return target
    pool = [o for o in options if (o.role == "lead" if wanted == "lead" else o.tier == wanted and o.role != "lead")]
    if pool:
        return min(pool, key=lambda o: (o.load, o.id))
    raise EscalationError(t("playbook.esc.no_target_named", wanted=one_line(wanted, 30)))


def _state(case: dict[str, Any]) -> dict[str, Any]:
    try:
        state = json.loads(case.get("stage_state") or "{}")
    except json.JSONDecodeError:
        return {}
    return state if isinstance(state, dict) else {}


def _tried(state: dict[str, Any], lang: str) -> list[str]:
    parts = []
    stages = state.get("stages") if isinstance(state.get("stages"), dict) else {}
    for key in STAGES:
        entry = stages.get(key) if isinstance(stages.get(key), dict) else {}
        name = t(f"playbook.stage.{key}", lang)
        reason = one_line(str(entry.get("reason") or ""), 60)
        if entry.get("status") == "skipped":
            parts.append(t("playbook.handoff.stage_skipped", lang, stage=name, reason=reason))
        elif entry.get("status") == "done" and reason:
            parts.append(t("playbook.handoff.stage_incomplete", lang, stage=name, reason=reason))
        elif entry.get("status") == "done":
            parts.append(t("playbook.handoff.stage_done", lang, stage=name))
    return parts


def _label(area: str, code: Any, lang: str) -> str:
    """A stored status code (``delivered``, ``issued``…) in the reader's words; unknown codes stay as they are,
    so a status added upstream later still shows something true rather than a catalog key."""
    raw = one_line(str(code or ""), 20)
    label = t(f"{area}.{raw}", lang)
    return raw if label == f"{area}.{raw}" else label


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or "")
    return str(value or "")


def build_summary(ctx: Context, case_id: str, lang: str | None = None) -> str:
    """The hand-off summary for a case, in the agent's language (one fact per line)."""
    lang = lang or ctx.lang
    store = ctx.store
    row = store.one("SELECT * FROM cases WHERE id = ?", (case_id,))
    if row is None:
        raise LookupError(f"case {case_id} not found")
    case = dict(row)
    customer = dict(store.one("SELECT * FROM customers WHERE id = ?", (case["customer_id"],)) or {})
    sep = t("playbook.handoff.sep", lang)
    lines = [t("playbook.handoff.header", lang, case=case_id)]
    lines.append(t("playbook.handoff.customer", lang, name=one_line(customer.get("name"), 30),
                   vip=customer.get("vip_level", 0), ltv=format_fen(int(customer.get("lifetime_value_fen") or 0)),
                   orders=customer.get("order_count", 0)))
    cues = [one_line(str(c), 20) for c in case_cues(case)][:4]
    lines.append(t("playbook.handoff.emotion", lang, emotion=t(f"playbook.emotion.{case['emotion']}", lang),
                   cues=t("playbook.handoff.cues", lang, cues=t("playbook.handoff.cue_sep", lang).join(cues))
                   if cues else ""))
    order = store.one("SELECT * FROM orders WHERE id = ?", (case["order_id"],)) if case.get("order_id") else None
    if order is not None:
        item = store.one("SELECT title FROM order_items WHERE order_id = ? LIMIT 1", (order["id"],))
        ship = store.one("SELECT carrier, tracking_no, status FROM shipments WHERE order_id = ? LIMIT 1", (order["id"],))
        shipment = t("playbook.handoff.shipment", lang, carrier=one_line(ship["carrier"], 20),
                     tracking_no=one_line(ship["tracking_no"], 30),
                     status=_label("playbook.ship_status", ship["status"], lang)) if ship else ""
        lines.append(t("playbook.handoff.order", lang, order_no=one_line(order["order_no"], 40),
                       product=one_line(item["title"] if item else "", 30), paid=format_fen(int(order["paid_fen"])),
                       shipment=shipment))
    else:
        lines.append(t("playbook.handoff.no_order", lang))
    first = store.one("SELECT body FROM messages WHERE case_id = ? AND author = 'customer' ORDER BY at LIMIT 1",
                      (case_id,))
    lines.append(t("playbook.handoff.problem", lang, intent=t(f"playbook.intent.{case['intent']}", lang),
                   text=one_line(first["body"] if first else case.get("subject"), 80)))
    state = _state(case)
    tried = _tried(state, lang)
    replied = int(store.scalar("SELECT count(*) FROM messages WHERE case_id = ? AND author = 'agent'", (case_id,)))
    if replied:
        last = store.scalar("SELECT body FROM messages WHERE case_id = ? AND author = 'agent' ORDER BY at DESC "
                            "LIMIT 1", (case_id,))
        tried.append(t("playbook.handoff.replies", lang, n=replied, text=one_line(last, 60)))
    lines.append(t("playbook.handoff.tried", lang, items=sep.join(tried) or t("playbook.handoff.none", lang)))
    promised = []
    resolution = state.get("resolution")
    if isinstance(resolution, dict):
        promised.append(t("playbook.handoff.resolution", lang, label=_text(resolution.get("label"), lang),
                          time=_text(resolution.get("time"), lang)))
    for fu in store.query("SELECT kind, due_at FROM follow_ups WHERE case_id = ? AND status IN ('scheduled', 'due') "
                          "ORDER BY due_at LIMIT 5", (case_id,)):
        promised.append(t("playbook.handoff.followup", lang, kind=t(f"playbook.followup_kind.{fu['kind']}", lang),
                          due=short_local(fu["due_at"], ctx.tz)))
    lines.append(t("playbook.handoff.promised", lang, items=sep.join(promised) or t("playbook.handoff.none", lang)))
    comps = store.query("SELECT action, amount_fen, status FROM compensations WHERE case_id = ? ORDER BY created_at "
                        "LIMIT 10", (case_id,))
    if comps:
        items = [t("playbook.handoff.comp_item", lang, action=t(f"playbook.action.{c['action']}", lang),
                   amount=format_fen(int(c["amount_fen"])),
                   status=_label("authority.status", c["status"], lang)) for c in comps]
        lines.append(t("playbook.handoff.compensation", lang, items=sep.join(items)))
    return "\n".join(lines)


def escalate(ctx: Context, case_id: str, to: str, summary: str) -> dict[str, Any]:
    """Hand the case to ``to`` (agent id or L2/L3/lead) with ``summary``; one transaction, audited."""
    text = summary.strip()
    if not text:
        raise EscalationError(t("playbook.esc.empty_summary"))
    text = text[:MAX_SUMMARY]
    target = resolve_target(ctx, to)
    now = to_db(ctx.clock.now())
    note = {"id": new_id("n"), "case_id": case_id, "agent_id": ctx.agent_id, "kind": "handoff", "body": text,
            "at": now}
    with ctx.store.write() as conn:
        row = conn.execute("SELECT status, assignee_id, version FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise LookupError(f"case {case_id} not found")
        if row["status"] == "closed":
            raise EscalationError(t("playbook.esc.case_closed"))
        changes.update(conn, ctx.clock, "cases", case_id, {
            "escalated_to": target.id, "handoff_summary": text, "assignee_id": target.id,
            "updated_at": now, "version": int(row["version"] or 1) + 1}, ctx.agent_id)
        changes.insert(conn, ctx.clock, "case_notes", note, ctx.agent_id)
        audit.append(conn, ctx.clock, actor=ctx.agent_id, action="case.escalate", entity="cases", entity_id=case_id,
                     data={"to": target.id, "tier": target.tier, "role": target.role,
                           "from": row["assignee_id"] or "", "note_id": note["id"], "summary_chars": len(text)})
    return {"case_id": case_id, "escalated_to": target.id, "name": target.name, "note_id": note["id"]}
