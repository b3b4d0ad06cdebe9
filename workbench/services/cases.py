"""Cases: the queue, the one-screen case view, and agent replies.

Reads here back the main screen, so every query is indexed (see migrations) and bounded by LIMIT:
no main-screen query scans a whole table.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from workbench import changes
from workbench.context import Context
from workbench.ids import new_id
from workbench.record import Record
from workbench.sync import status as sync_status
from workbench.timefmt import to_db

if TYPE_CHECKING:
    from workbench.services import kb

QUEUE_LIMIT = 500
ORDERS_LIMIT = 50
EVENTS_LIMIT = 60
MESSAGES_LIMIT = 200


def _dicts(rows: list[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]


_QUEUE_SELECT = (
    "SELECT c.id, c.customer_id, c.order_id, c.subject, c.intent, c.emotion, c.urgent, c.priority, "
    "c.sla_kind, c.sla_due_at, c.first_response_at, c.stage, c.status, c.assignee_id, c.proactive, "
    "c.opened_at, c.flag, cu.name AS customer_name, cu.vip_level "
    "FROM cases c JOIN customers cu ON cu.id = c.customer_id "
)


_OPEN_ORDER = "ORDER BY c.urgent DESC, coalesce(c.sla_due_at, '9999') ASC, c.priority DESC, c.opened_at ASC "


def queue(ctx: Context, agent_id: str | None = None, include_unassigned: bool = True,
          due: set[str] | None = None, limit: int = QUEUE_LIMIT) -> list[dict[str, Any]]:
    """Open cases for the agent (and unassigned ones), most urgent first.

    Urgency order: SLA due time first (breached ones surface), then priority (emotion, VIP, intent),
    then waiting time. The UI re-sorts nothing; it only ticks the countdown. ``due`` is the agent's
    :func:`due_followup_cases` when the caller already has it (the main screen marks those rows too).

    A smaller ``limit`` returns exactly the first ``limit`` rows of the full queue (the start-up
    preload asks for one screenful): the ranking is still done over the whole queue, but only the
    rows on the page are fetched whole and converted.
    """
    agent_id = agent_id if agent_id is not None else ctx.agent_id
    agent = ctx.store.one("SELECT role FROM agents WHERE id = ?", (agent_id,))
    if agent is not None and agent["role"] == "lead":
        scope = "1"  # a lead's queue is the whole team's open work
    else:
        scope = "c.assignee_id = ?" + (" OR c.assignee_id IS NULL" if include_unassigned else "")
    where = f"WHERE c.status IN ('open', 'pending') AND ({scope}) "
    params: tuple[Any, ...] = (QUEUE_LIMIT,) if scope == "1" else (agent_id, QUEUE_LIMIT)
    page = limit < QUEUE_LIMIT
    if page:
        ranked = [r[0] for r in ctx.store.query(f"SELECT c.id FROM cases c {where}{_OPEN_ORDER}LIMIT ?", params)]
        present = set(ranked)
        rows: list[dict[str, Any]] = []
    else:
        rows = _dicts(ctx.store.query(_QUEUE_SELECT + where + _OPEN_ORDER + "LIMIT ?", params))
        present = {r["id"] for r in rows}
    # Cases with a due follow-up come back to the queue even when they were closed.
    if due is None:
        due = due_followup_cases(ctx, agent_id)
    extra = [cid for cid in due if cid not in present]
    back: list[dict[str, Any]] = []
    if extra:
        marks = ",".join("?" for _ in extra)
        back = _dicts(ctx.store.query(
            _QUEUE_SELECT + f"WHERE c.id IN ({marks}) ORDER BY c.opened_at", tuple(extra)))
    if page:
        wanted = ranked[:max(limit - len(back), 0)]
        marks = ",".join("?" for _ in wanted)
        fetched = {r["id"]: r for r in _dicts(ctx.store.query(
            _QUEUE_SELECT + f"WHERE c.id IN ({marks})", tuple(wanted)))} if wanted else {}
        rows = [fetched[case_id] for case_id in wanted if case_id in fetched]
        back = back[:limit]
    return back + rows


def due_followup_cases(ctx: Context, agent_id: str) -> set[str]:
    """Cases of this agent's follow-ups that are due now (they surface in the queue)."""
    rows = ctx.store.query(
        "SELECT DISTINCT case_id FROM follow_ups WHERE owner_id = ? AND status IN ('scheduled', 'due') "
        "AND due_at <= ? AND case_id IS NOT NULL LIMIT 200",
        (agent_id, to_db(ctx.clock.now())),
    )
    return {r[0] for r in rows}


class CaseView(Record):
    """Everything the main screen shows for one case, loaded in one go by a thread worker.

    ``kb_hits`` is filled in later when the suggestions are loaded separately (after the first frame).
    """

    __slots__ = ("case", "customer", "messages", "orders", "items", "shipments", "events", "previous_cases",
                 "compensation_30d_fen", "compensation_90d_fen", "kb_hits", "rejections")

    def __init__(self, case: dict[str, Any], customer: dict[str, Any], messages: list[dict[str, Any]],
                 orders: list[dict[str, Any]], items: list[dict[str, Any]], shipments: list[dict[str, Any]],
                 events: list[dict[str, Any]], previous_cases: list[dict[str, Any]],
                 compensation_30d_fen: int = 0, compensation_90d_fen: int = 0,
                 kb_hits: list[kb.KbHit] | None = None, rejections: list[dict[str, Any]] | None = None) -> None:
        self.case, self.customer, self.messages, self.orders = case, customer, messages, orders
        self.items, self.shipments, self.events, self.previous_cases = items, shipments, events, previous_cases
        self.compensation_30d_fen, self.compensation_90d_fen = compensation_30d_fen, compensation_90d_fen
        self.kb_hits: list[kb.KbHit] = [] if kb_hits is None else kb_hits
        self.rejections: list[dict[str, Any]] = [] if rejections is None else rejections


def order_detail(ctx: Context, order_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Items, shipments and the latest shipment events of one order."""
    store = ctx.store
    items = _dicts(store.query("SELECT * FROM order_items WHERE order_id = ? LIMIT 100", (order_id,)))
    shipments = _dicts(store.query("SELECT * FROM shipments WHERE order_id = ? LIMIT 10", (order_id,)))
    events: list[dict[str, Any]] = []
    if shipments:
        events = _dicts(store.query(
            "SELECT * FROM shipment_events WHERE shipment_id = ? ORDER BY at DESC LIMIT ?",
            (shipments[0]["id"], EVENTS_LIMIT),
        ))
    return items, shipments, events


def needs_triage(case: dict[str, Any]) -> bool:
    """A case that arrived without triage (from the hub, an import, a proactive contact)."""
    return case.get("intent") in (None, "", "other") and case.get("cues") in (None, "", "[]")


def load(ctx: Context, case_id: str, with_kb: bool = True) -> CaseView:
    """Load one case's 360 view. Raises LookupError when the case does not exist.

    The UI loads with ``with_kb=False`` and asks for suggestions in a second worker, so the case shows
    at once and the (costlier) ranking follows a few milliseconds later.
    """
    store = ctx.store
    case_row = store.one("SELECT * FROM cases WHERE id = ?", (case_id,))
    if case_row is None:
        raise LookupError(f"case {case_id} not found")
    case = dict(case_row)
    customer = dict(store.one("SELECT * FROM customers WHERE id = ?", (case["customer_id"],)) or {})
    messages = _dicts(store.query(
        "SELECT * FROM (SELECT * FROM messages WHERE case_id = ? ORDER BY at DESC LIMIT ?) ORDER BY at",
        (case_id, MESSAGES_LIMIT),
    ))
    orders = _dicts(store.query(
        "SELECT * FROM orders WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?",
        (case["customer_id"], ORDERS_LIMIT),
    ))
    focus = case["order_id"] or (orders[0]["id"] if orders else None)
    items, shipments, events = order_detail(ctx, focus) if focus else ([], [], [])
    previous = _dicts(store.query(
        "SELECT id, subject, intent, status, opened_at FROM cases WHERE customer_id = ? AND id != ? "
        "ORDER BY opened_at DESC LIMIT 10",
        (case["customer_id"], case_id),
    ))
    now = ctx.clock.now()

    def spent(days: int) -> int:
        return int(store.scalar(
            "SELECT coalesce(sum(amount_fen), 0) FROM compensations WHERE customer_id = ? "
            "AND created_at >= ? AND status IN ('issued', 'approved')",
            (case["customer_id"], to_db(now - timedelta(days=days))),
        ))

    view = CaseView(case, customer, messages, orders, items, shipments, events, previous,
                    spent(30), spent(90), rejections=sync_status.case_rejections(ctx, case_id))
    if with_kb:
        view.kb_hits = suggestions(ctx, view)
    return view


def suggestions(ctx: Context, view: CaseView, limit: int = 5) -> list[kb.KbHit]:
    """KB suggestions for a loaded case: its subject and the customer's first messages, its intent."""
    bodies = [m["body"] for m in view.messages if m["author"] == "customer"][:3]
    text = "\n".join([view.case["subject"] or "", *bodies])
    intent = view.case["intent"] if view.case["intent"] != "other" else None
    from workbench.services import kb  # the search index is not needed to open a case

    return kb.suggest(ctx.store.conn, text, intent, limit)


def add_reply(ctx: Context, case_id: str, body: str) -> dict[str, Any]:
    """Store an agent reply with its outbox entry; the first reply also stamps first_response_at."""
    text = body.strip()
    if not text:
        raise ValueError("empty reply")
    now = to_db(ctx.clock.now())
    message = {"id": new_id("m"), "case_id": case_id, "author": "agent", "agent_id": ctx.agent_id,
               "body": text, "at": now}
    with ctx.store.write() as conn:
        case = conn.execute("SELECT first_response_at FROM cases WHERE id = ?", (case_id,)).fetchone()
        if case is None:
            raise LookupError(f"case {case_id} not found")
        changes.insert(conn, ctx.clock, "messages", message, ctx.agent_id)
        values: dict[str, Any] = {"updated_at": now}
        if case["first_response_at"] is None:
            values["first_response_at"] = now
        changes.update(conn, ctx.clock, "cases", case_id, values, ctx.agent_id)
    return message


def cues(case: dict[str, Any]) -> list[str]:
    """The triage cues stored on a case (the short "why" shown in the UI)."""
    try:
        return list(json.loads(case.get("cues") or "[]"))
    except json.JSONDecodeError:
        return []
