"""Shared rendering for follow-up lists and the scheduling modal: styled Text, never markup strings.

Customer names, notes and case subjects are untrusted: they go through ``sanitize.one_line`` and into
``rich.text.Text`` objects, so ``[@click=…]`` or escape sequences in them stay literal text.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.text import Text

from workbench import sanitize
from workbench.dateparse import ParsedTime, humanize_delta, preview
from workbench.i18n import t
from workbench.services.followup_triggers import TRIGGER_TYPES
from workbench.services.followups import Plan
from workbench.timefmt import from_db, local

STATUS_STYLE = {"overdue": "bold red", "due": "bold yellow", "scheduled": "", "done": "green",
                "cancelled": "dim"}


def status_text(display_status: str) -> Text:
    return Text(t(f"followups.status.{display_status}"), style=STATUS_STYLE.get(display_status, ""))


def due_text(row: dict[str, Any], now: datetime, tz: str, with_distance: bool = False) -> Text:
    """Due time in the shop timezone; overdue ones red, with how long ago when asked."""
    if not row.get("due_at"):
        return Text("-")
    due = from_db(row["due_at"])
    text = Text(local(due, tz).strftime("%m-%d %H:%M"), style=STATUS_STYLE.get(row["display_status"], ""))
    if with_distance and row["display_status"] not in ("done", "cancelled"):
        text.append(" " + humanize_delta(due - now), style="dim")
    return text


def untrusted(value: Any, limit: int = 30, style: str = "") -> Text:
    """Untrusted text for a table cell: cleaned, one line, truncated, never parsed as markup."""
    return Text(sanitize.one_line(str(value) if value is not None else "-", limit), style=style)


def case_cell(row: dict[str, Any], limit: int = 24) -> Text:
    """Case id and subject, or a clear marker when the case is gone or merged."""
    if row.get("case_missing"):
        return Text(t("followups.ui.case_missing", case=row["case_id"]), style="bold red")
    if row.get("merged_into"):
        return Text(t("followups.ui.case_merged", into=row["merged_into"]), style="yellow")
    if not row.get("case_id"):
        return Text("-")
    text = Text(str(row["case_id"]), style="dim")
    text.append(" " + sanitize.one_line(row.get("case_subject") or "", limit))
    if row.get("case_status") == "closed":
        text.append(" " + t("followups.ui.closed_mark"), style="dim")
    return text


def trigger_text(raw: str | dict[str, Any] | None) -> str:
    """'签收后 3 天 · 物流若停滞则提前' for a trigger, stored JSON or a plan's dict ('' when time-based)."""
    if isinstance(raw, dict):
        trigger: Any = raw
    else:
        try:
            trigger = json.loads(raw or "{}")
        except json.JSONDecodeError:
            return ""
    if not isinstance(trigger, dict) or trigger.get("type") not in TRIGGER_TYPES:
        return ""
    if trigger["type"] == "after_delivery":
        text = t("followups.trigger.after_delivery", days=trigger.get("days", 0))
    else:
        text = t("followups.trigger.stalled", hours=trigger.get("hours") or 48)
    if trigger.get("wait_for") == "next" and not trigger.get("shipment_id"):
        text += " " + t("followups.trigger.next_parcel")
    if trigger.get("basis"):
        text += " · " + t(f"followups.basis.{trigger['basis']}")
    return text


def plan_text(plan: Plan, now: datetime, tz: str) -> Text:
    """The live preview under the time field: when, in the shop timezone, and why."""
    if plan.parsed is not None:
        line = preview(plan.parsed, now, tz)
    else:
        due = ParsedTime("", plan.due_at, local(plan.due_at, tz), plan.due_at < now)
        line = preview(due, now, tz)
        if plan.trigger:
            line += " · " + trigger_text(plan.trigger)
    style = "bold yellow" if plan.due_at < now else "green"
    return Text("→ " + line, style=style)
