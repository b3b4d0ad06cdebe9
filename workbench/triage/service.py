"""Triage a stored case and save the result on it (intent, emotion, urgent, priority, cues, playbook).

The case row and its outbox entry are written in one ``BEGIN IMMEDIATE`` transaction through
:func:`workbench.changes.update`, like every change to a syncable table. Only what changed is written,
so re-triaging an unchanged case writes nothing. The playbook is set only when the case has none: once
an agent is working through a playbook, triage must not switch it under them (that is the playbook
switch modal's job).
"""

from __future__ import annotations

import json
from typing import Any

from workbench import changes
from workbench.timefmt import from_db, to_db
from workbench.triage.engine import triage
from workbench.triage.model import TriageResult

OPENING_MESSAGES = 3


def case_text(conn: Any, case_id: str) -> tuple[dict[str, Any], str]:
    """The case row and what triage reads: its subject plus the customer's first messages."""
    row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None:
        raise LookupError(f"case {case_id} not found")
    bodies = [r[0] for r in conn.execute(
        "SELECT body FROM messages WHERE case_id = ? AND author = 'customer' ORDER BY at LIMIT ?",
        (case_id, OPENING_MESSAGES))]
    case = dict(row)
    return case, "\n".join(part for part in [case.get("subject") or "", *bodies] if part)


def triage_case(ctx: Any, case_id: str) -> TriageResult:
    """Triage case ``case_id`` (``ctx`` is a Context) and store the result. Raises LookupError."""
    with ctx.store.write() as conn:
        case, text = case_text(conn, case_id)
        vip = conn.execute("SELECT vip_level FROM customers WHERE id = ?", (case["customer_id"],)).fetchone()
        waited = 0.0
        if not case.get("first_response_at") and case.get("opened_at"):
            waited = max(0.0, (ctx.clock.now() - from_db(case["opened_at"])).total_seconds() / 60)
        result = triage(text, int(vip[0]) if vip else 0, waited)
        values: dict[str, Any] = {
            "intent": result.intent, "emotion": result.emotion, "urgent": int(result.urgent),
            "priority": result.priority, "cues": json.dumps(result.cue_labels, ensure_ascii=False),
        }
        if not case.get("playbook_id"):
            values["playbook_id"] = result.playbook
        values = {k: v for k, v in values.items() if case.get(k) != v}
        if values:
            values["updated_at"] = to_db(ctx.clock.now())
            changes.update(conn, ctx.clock, "cases", case_id, values, ctx.agent_id)
    return result
