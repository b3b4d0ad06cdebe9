"""Follow-ups that never drop: scheduling, state changes, and what the queue and header read.

States: scheduled → due → done / cancelled (scheduled may go straight to done or cancelled, and a due
follow-up whose trigger moves later goes back to scheduled). ``overdue`` is derived from the clock
(see :func:`followup_model.display_status`). Every change records who and when in
``follow_up_history`` and writes the row and its outbox entries in one transaction.

Only the owner's device moves its follow-ups from scheduled to due (:func:`refresh_states`), so two
devices never both write the same clock-driven change; every other device derives the same display
status from ``due_at``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workbench import dateparse, sanitize
from workbench.context import Context
from workbench.dateparse import ParsedTime, resolve_local
from workbench.ids import new_id
from workbench.services import followup_triggers as triggers
from workbench.services.followup_model import (
    KINDS, NOTE_LIMIT, OPEN_SQL, SYSTEM, TERMINAL, BulkResult, FollowUpError, agent_row, apply_change,
    case_guard, display_status, fetch, grace, insert_new, may_change, merged_into, overdue_count, past_error,
)
from workbench.services.followup_triggers import on_shipment_events
from workbench.i18n import t
from workbench.timefmt import to_db

__all__ = [
    "KINDS", "QUICK_CHOICES", "FollowUpError", "BulkResult", "Plan", "plan", "schedule", "mark_done", "cancel",
    "reassign", "reschedule", "refresh_states", "trigger_spec", "overdue_count", "due_for_queue", "for_case",
    "history", "get", "on_shipment_events", "on_case_merged", "display_status", "due_message", "readable_when",
]

QUICK_CHOICES = ("plus_2h", "tomorrow_10", "after_delivery_3d", "custom")
QUEUE_LIMIT = 200
_AFTER_DELIVERY = re.compile(
    r"^(?:补发的?|新)?(?:包裹|快递)?(?:签收|送达|收到货?|妥投|到货)(?:以?后|之后)\s*(\d+)\s*天(?:后)?$"
    r"|^\+?(\d+)\s*(?:d|days?)\s+after\s+(?:the\s+)?(?:replacement\s+)?(?:delivery|delivered|arrival)$"
    r"|^after[_ ]delivery[: ]\s*(\d+)$|^(\d+)d_after_(?:next_)?delivery$")
_STALLED = re.compile(
    r"^(?:物流|包裹|快递)?(?:停滞|不动|没动静?|不更新|未更新)\s*(\d+)\s*(?:小时|h)(?:后)?$"
    r"|^(?:if\s+)?(?:the\s+)?parcel\s+(?:has\s+not\s+moved|stalls?|stalled)\s+(?:for\s+)?(\d+)\s*(?:h|hours?)$"
    r"|^stalled[: ]\s*(\d+)$")
_REPLACEMENT = re.compile(r"补发|新包裹|replacement|_next_")


@dataclass
class Plan:
    """When a follow-up will be due and why: a parsed time, a quick choice, or a shipment trigger."""

    due_at: datetime
    source: str  # quick choice id, "text" or "trigger"
    parsed: ParsedTime | None = None
    trigger_spec: dict[str, Any] = field(default_factory=dict)
    trigger: dict[str, Any] = field(default_factory=dict)

    @property
    def in_past(self) -> bool:
        return self.parsed.in_past if self.parsed is not None else False


def _case_order(ctx: Context, case_id: str | None, order_id: str | None) -> str | None:
    if order_id or not case_id:
        return order_id
    return ctx.store.scalar("SELECT order_id FROM cases WHERE id = ?", (case_id,))


def _trigger_plan(ctx: Context, spec: dict[str, Any], order_id: str | None, lang: str | None) -> Plan:
    trigger, outcome = triggers.build(ctx.store.conn, ctx, spec["type"], order_id, days=spec.get("days"),
                                      hours=spec.get("hours"), wait_for=spec.get("wait_for", "latest"),
                                      lang=lang)
    return Plan(outcome.due_at, "trigger", trigger_spec=spec, trigger=trigger)


def plan(ctx: Context, case_id: str | None, choice: str = "custom", text: str = "", *,
         order_id: str | None = None, lang: str | None = None) -> Plan:
    """Work out the due time for a quick choice or typed text, without writing anything (the preview).

    Typed text may also be a trigger: ``签收后3天`` / ``3 days after delivery`` / ``物流停滞48小时`` /
    ``parcel has not moved for 48h`` (mentioning 补发 / replacement waits for the new parcel).
    Raises DateParseError (says which formats work) or FollowUpError.
    """
    now, zone = ctx.clock.now(), ZoneInfo(ctx.tz)
    if choice == "plus_2h":
        return Plan(now + timedelta(hours=2), choice)
    if choice == "tomorrow_10":
        return Plan(resolve_local(now.astimezone(zone).date() + timedelta(days=1), 10, 0, zone)[0], choice)
    if choice not in QUICK_CHOICES:
        raise FollowUpError("bad_choice", lang, choice=choice, known=", ".join(QUICK_CHOICES))
    spec = trigger_spec(choice, text, lang)
    if spec is not None:
        return _trigger_plan(ctx, spec, _case_order(ctx, case_id, order_id), lang)
    parsed = dateparse.parse(text, now, ctx.tz, lang)
    return Plan(parsed.at, "text", parsed=parsed)


def trigger_spec(choice: str, text: str = "", lang: str | None = None) -> dict[str, Any] | None:
    """The shipment trigger a quick choice or typed text asks for (``签收后3天``, ``物流停滞48小时`` …);
    None when it is a time. Raises DateParseError for unreadable Chinese numerals.
    """
    if choice == "after_delivery_3d":
        return {"type": "after_delivery", "days": 3, "wait_for": "latest"}
    if choice != "custom":
        return None
    flat = dateparse.arabic_numerals(unicodedata.normalize("NFKC", text).strip().lower(), text, lang)
    wait_for = "next" if _REPLACEMENT.search(text) else "latest"
    for pattern, kind in ((_AFTER_DELIVERY, "after_delivery"), (_STALLED, "stalled")):
        match = pattern.match(flat)
        if match:
            number = next(int(g) for g in match.groups() if g is not None)
            return {"type": kind, "wait_for": wait_for, ("days" if kind == "after_delivery" else "hours"): number}
    return None


def readable_when(when: str | None, lang: str = "zh") -> str | None:
    """Playbook forms ("3d_after_delivery", "+2d") as an agent would type them ("签收后3天")."""
    match = re.fullmatch(r"(\d+)d_after_(next_)?delivery", (when or "").strip())
    if not match:
        return when
    if match[1] == "3" and not match[2]:
        return "after_delivery_3d"
    if lang == "en":
        days = "day" if match[1] == "1" else "days"
        return f"{match[1]} {days} after {'the replacement ' if match[2] else ''}delivery"
    return f"{'补发' if match[2] else ''}签收后{match[1]}天"


def schedule(ctx: Context, case_id: str | None, kind: str, *, when: str | Plan | None = None,
             note: str = "", owner_id: str | None = None, allow_past: bool = False,
             customer_id: str | None = None, lang: str | None = None) -> dict[str, Any]:
    """Create a follow-up (owner defaults to the signed-in agent); returns the stored row.

    ``when`` is a Plan from :func:`plan`, a quick choice id, or typed text. A due time in the past
    raises FollowUpError('past') unless ``allow_past`` (the UI asks first). The returned dict has a
    ``warnings`` list (e.g. ``case_closed``: allowed, 闭环 call-backs often follow a closed case).
    """
    if kind not in KINDS:
        raise FollowUpError("unknown_kind", lang, kind=kind, known=", ".join(KINDS))
    text = (note or "").strip()
    if len(text) > NOTE_LIMIT:
        raise FollowUpError("note_too_long", lang, limit=NOTE_LIMIT, length=len(text))
    if when is None:
        raise FollowUpError("no_time", lang)
    if isinstance(when, str):
        when = plan(ctx, case_id, when if when in QUICK_CHOICES else "custom", when, lang=lang)
    now = ctx.clock.now()
    warnings: list[str] = []
    with ctx.store.write() as conn:
        owner = agent_row(conn, owner_id or ctx.agent_id, lang)
        if case_id:
            case = case_guard(conn, case_id, lang)
            customer_id = customer_id or case["customer_id"]
            if case["status"] == "closed":
                warnings.append("case_closed")
        elif not customer_id:
            raise FollowUpError("no_case", lang)
        due, trigger = when.due_at, when.trigger
        if when.trigger_spec:
            order_id = when.trigger.get("order_id") or (case["order_id"] if case_id else None)
            trigger, outcome = triggers.build(conn, ctx, when.trigger_spec["type"], order_id,
                                              days=when.trigger_spec.get("days"),
                                              hours=when.trigger_spec.get("hours"),
                                              wait_for=when.trigger_spec.get("wait_for", "latest"), lang=lang)
            due = outcome.due_at
            if outcome.cancel:
                raise FollowUpError("already_delivered", lang)
        elif due < now and not allow_past:
            raise past_error(due, ctx.tz, lang)
        stamp = to_db(now)
        actor = ctx.agent_id or owner["id"]
        row = {
            "id": new_id("fu"), "case_id": case_id, "customer_id": customer_id, "owner_id": owner["id"],
            "kind": kind, "note": text, "due_at": to_db(due),
            "trigger": triggers.dump_trigger(trigger) if trigger else "{}",
            "status": "due" if due <= now else "scheduled", "created_by": actor, "created_at": stamp,
            "updated_by": actor, "updated_at": stamp, "done_at": None, "done_note": None, "version": 1,
        }
        insert_new(conn, ctx, row, {"due_at": row["due_at"], "owner_id": row["owner_id"], "kind": kind,
                                    "source": when.source})
    return {**row, "warnings": warnings}


def _bulk(ctx: Context, ids: list[str], lang: str | None, decide: Any) -> BulkResult:
    """Apply ``decide(row) -> (values, change, detail) | skip-reason`` to each id in one transaction."""
    result = BulkResult()
    with ctx.store.write() as conn:
        actor = conn.execute("SELECT * FROM agents WHERE id = ?", (ctx.agent_id,)).fetchone()
        actor_row = dict(actor) if actor else None
        rows = fetch(conn, ids)
        for fu_id in dict.fromkeys(ids):
            row = rows.get(fu_id)
            if row is None:
                result.skipped.append((fu_id, FollowUpError("not_found", lang, id=fu_id).args[0]))
                continue
            if not may_change(actor_row, row):
                result.skipped.append((fu_id, FollowUpError("not_allowed", lang, id=fu_id).args[0]))
                continue
            if row["status"] in TERMINAL:
                status = FollowUpError(f"already_{row['status']}", lang, id=fu_id).args[0]
                result.skipped.append((fu_id, status))
                continue
            decision = decide(row)
            if isinstance(decision, str):
                result.skipped.append((fu_id, decision))
                continue
            values, change, detail = decision
            apply_change(conn, ctx, row, values, change, detail)
            result.changed.append(fu_id)
    return result


def mark_done(ctx: Context, ids: list[str], note: str = "", lang: str | None = None) -> BulkResult:
    """Mark one or many follow-ups done with a note (what the customer said, what was done)."""
    text = (note or "").strip()
    if len(text) > NOTE_LIMIT:
        raise FollowUpError("note_too_long", lang, limit=NOTE_LIMIT, length=len(text))
    stamp = to_db(ctx.clock.now())
    return _bulk(ctx, ids, lang, lambda row: ({"status": "done", "done_at": stamp, "done_note": text},
                                              "done", {}))


def cancel(ctx: Context, ids: list[str], reason: str = "", lang: str | None = None) -> BulkResult:
    """Cancel follow-ups that are no longer needed; the reason is kept in history and done_note."""
    text = (reason or "").strip()[:NOTE_LIMIT]
    stamp = to_db(ctx.clock.now())
    return _bulk(ctx, ids, lang, lambda row: ({"status": "cancelled", "done_at": stamp, "done_note": text},
                                              "cancelled", {"reason": text}))


def reassign(ctx: Context, ids: list[str], owner_id: str, note: str = "", lang: str | None = None) -> BulkResult:
    """Give one or many open follow-ups to another agent (hand-off, leave, workload balancing)."""
    agent_row(ctx.store.conn, owner_id, lang)
    same = FollowUpError("same_owner", lang, agent=owner_id).args[0]
    return _bulk(ctx, ids, lang, lambda row: same if row["owner_id"] == owner_id else (
        {"owner_id": owner_id}, "reassigned", {"note": (note or "").strip()[:NOTE_LIMIT]}))


def reschedule(ctx: Context, fu_id: str, when: str | Plan, allow_past: bool = False,
               lang: str | None = None) -> dict[str, Any]:
    """Move one follow-up to a new time (a typed time replaces any shipment trigger)."""
    row = get(ctx, fu_id, lang)
    if not isinstance(when, Plan):
        when = plan(ctx, row["case_id"], when if when in QUICK_CHOICES else "custom", when, lang=lang)
    now = ctx.clock.now()
    if when.due_at < now and not allow_past and not when.trigger_spec:
        raise past_error(when.due_at, ctx.tz, lang)
    values = {"due_at": to_db(when.due_at), "status": "due" if when.due_at <= now else "scheduled",
              "trigger": triggers.dump_trigger(when.trigger) if when.trigger else "{}"}
    result = _bulk(ctx, [fu_id], lang, lambda r: (values, "rescheduled", {"source": when.source}))
    if result.skipped:
        raise FollowUpError("not_changed", lang, reason=result.skipped[0][1])
    return get(ctx, fu_id, lang)


def refresh_states(ctx: Context, agent_id: str | None = None) -> list[dict[str, Any]]:
    """Move this agent's follow-ups whose time has come from scheduled to due; return them.

    The app calls this on a timer (~30 s) and notifies for each returned row. Indexed and batched,
    so it costs one index probe when nothing is due. Without a signed-in agent, all owners.
    """
    owner = agent_id if agent_id is not None else ctx.agent_id
    now = ctx.clock.now()
    became: list[dict[str, Any]] = []
    while True:
        with ctx.store.write() as conn:
            where = "status = 'scheduled' AND due_at <= ?" + (" AND owner_id = ?" if owner else "")
            params = (to_db(now), owner) if owner else (to_db(now),)
            rows = conn.execute(f"SELECT * FROM follow_ups WHERE {where} ORDER BY due_at LIMIT 500",
                                params).fetchall()
            for row in rows:
                became.append(apply_change(conn, ctx, dict(row), {"status": "due"}, "became_due", {}, SYSTEM))
        if len(rows) < 500:
            break
    if became:
        details = {r["id"]: r for r in _with_case(ctx, [r["id"] for r in became])}
        became = [details.get(r["id"], r) for r in became]
    return became


# Follow-ups joined to their case, customer and owner: what every list shows (queue, board pages, hand-off).
CASE_SELECT = (
    "SELECT f.*, c.subject AS case_subject, c.status AS case_status, c.flag AS case_flag, "
    "c.stage_state AS case_stage_state, c.id IS NULL AND f.case_id IS NOT NULL AS case_missing, "
    "cu.name AS customer_name, a.name AS owner_name "
    "FROM follow_ups f LEFT JOIN cases c ON c.id = f.case_id "
    "LEFT JOIN customers cu ON cu.id = coalesce(f.customer_id, c.customer_id) "
    "LEFT JOIN agents a ON a.id = f.owner_id ")


def decorate(ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    """Add display_status and merged_into to joined rows (what every list shows)."""
    now, period = ctx.clock.now(), grace(ctx)
    out = []
    for raw in rows:
        row = dict(raw)
        row["display_status"] = display_status(row, now, period)
        row["case_missing"] = bool(row.get("case_missing"))
        row["merged_into"] = merged_into({"flag": row.pop("case_flag", None),
                                          "stage_state": row.pop("case_stage_state", None)})
        out.append(row)
    return out


def _with_case(ctx: Context, ids: list[str]) -> list[dict[str, Any]]:
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows += ctx.store.query(CASE_SELECT + f"WHERE f.id IN ({marks}) ORDER BY f.due_at, f.id", chunk)
    return decorate(ctx, rows)


def due_message(row: dict[str, Any], lang: str | None = None) -> str:
    """One plain line for ``app.notify`` when a follow-up becomes due (customer text cleaned; pass
    ``markup=False``): "跟进到期:回电 · 王磊 · 水壶外壳裂了"."""
    return t("followups.notify.due", lang, kind=t(f"followups.kind.{row['kind']}", lang),
             customer=sanitize.one_line(row.get("customer_name") or "-", 16),
             subject=sanitize.one_line(row.get("case_subject") or row.get("note") or "", 40))


def due_for_queue(ctx: Context, agent_id: str, limit: int = QUEUE_LIMIT) -> list[dict[str, Any]]:
    """This agent's due and overdue follow-ups with their case and customer, oldest first."""
    rows = ctx.store.query(
        CASE_SELECT + f"WHERE f.owner_id = ? AND f.{OPEN_SQL} AND f.due_at <= ? ORDER BY f.due_at, f.id LIMIT ?",
        (agent_id, to_db(ctx.clock.now()), limit))
    return decorate(ctx, rows)


def for_case(ctx: Context, case_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """A case's follow-ups, open ones first (for the case view)."""
    rows = ctx.store.query(
        CASE_SELECT + "WHERE f.case_id = ? ORDER BY f.status IN ('done', 'cancelled'), f.due_at LIMIT ?",
        (case_id, limit))
    return decorate(ctx, rows)


def get(ctx: Context, fu_id: str, lang: str | None = None) -> dict[str, Any]:
    rows = _with_case(ctx, [fu_id])
    if not rows:
        raise FollowUpError("not_found", lang, id=fu_id)
    return rows[0]


def history(ctx: Context, fu_id: str) -> list[dict[str, Any]]:
    """Who changed a follow-up, when, and how, oldest first."""
    return [dict(r) for r in ctx.store.query(
        "SELECT * FROM follow_up_history WHERE follow_up_id = ? ORDER BY at, rowid", (fu_id,))]


def on_case_merged(ctx: Context, source_case_id: str, target_case_id: str) -> int:
    """Move a merged case's open follow-ups to the case it was merged into; returns how many moved."""
    moved = 0
    with ctx.store.write() as conn:
        if conn.execute("SELECT 1 FROM cases WHERE id = ?", (target_case_id,)).fetchone() is None:
            raise FollowUpError("case_missing", case=target_case_id)
        for row in conn.execute(f"SELECT * FROM follow_ups WHERE case_id = ? AND {OPEN_SQL}",
                                (source_case_id,)).fetchall():
            apply_change(conn, ctx, dict(row), {"case_id": target_case_id}, "case_merged",
                         {"from_case": source_case_id}, ctx.agent_id or SYSTEM)
            moved += 1
    return moved

