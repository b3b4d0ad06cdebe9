"""Follow-up vocabulary, errors, derived status and the one write path every change takes.

Every change to a follow-up goes through :func:`apply_change` (or :func:`insert_new`): the row, a
``follow_up_history`` entry saying who changed what and when, and their outbox entries are written in
the caller's ``ctx.store.write()`` transaction, so a crash never leaves a change without its history
or its sync entry.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from workbench import changes, sla
from workbench.context import Context
from workbench.i18n import t
from workbench.ids import new_id
from workbench.record import Record
from workbench.timefmt import from_db, local, to_db

KINDS = ("call_back", "check_delivery", "check_satisfaction", "confirm_refund", "promised_action")
STATUSES = ("scheduled", "due", "done", "cancelled")
OPEN = ("scheduled", "due")
TERMINAL = ("done", "cancelled")
SYSTEM = "system"  # actor of changes made by the clock or by shipment events
NOTE_LIMIT = 2000
OPEN_SQL = "status IN ('scheduled', 'due')"  # literal form the partial indexes (0040) are built on


class FollowUpError(Exception):
    """A follow-up request that cannot be honoured; ``str()`` is the user-facing reason.

    ``code`` is stable for code and tests (case_missing, case_merged, past, not_allowed, ...); the
    fields fill the message and let the UI offer the next step (e.g. ``into`` for a merged case).
    """

    def __init__(self, code: str, lang: str | None = None, **fields: Any):
        self.code, self.fields = code, fields
        super().__init__(t(f"followups.error.{code}", lang, **fields))


class BulkResult(Record):
    """Outcome of a change applied to many follow-ups: which changed, which were skipped and why."""

    __slots__ = ("changed", "skipped")

    def __init__(self, changed: list[str] | None = None, skipped: list[tuple[str, str]] | None = None) -> None:
        self.changed: list[str] = [] if changed is None else changed
        self.skipped: list[tuple[str, str]] = [] if skipped is None else skipped

    def summary(self, lang: str | None = None) -> str:
        """'已处理 3 条。' — the skipped part (count and the first reasons) only when something was skipped."""
        if not self.skipped:
            return t("followups.bulk.summary", lang, changed=len(self.changed))
        items = [t("followups.bulk.skip_item", lang, id=fid, why=why) for fid, why in self.skipped[:3]]
        return t("followups.bulk.summary_skipped", lang, changed=len(self.changed), skipped=len(self.skipped),
                 details="".join(items))


def grace(ctx: Context) -> timedelta:
    """How long a due follow-up may wait before it counts as overdue (``sla_policy.toml``)."""
    return timedelta(minutes=sla.policy(ctx).followup_overdue_minutes)


def overdue_count(ctx: Context, agent_id: str) -> int:
    """Open follow-ups of this agent past their due time plus the grace period (the header figure)."""
    cutoff = to_db(ctx.clock.now() - grace(ctx))
    return int(ctx.store.scalar(
        f"SELECT count(*) FROM follow_ups WHERE owner_id = ? AND {OPEN_SQL} AND due_at < ?", (agent_id, cutoff)))


def past_error(due: datetime, tz: str, lang: str | None = None) -> FollowUpError:
    """The "that time has already passed" refusal, naming the time as the agent sees it (shop timezone)."""
    return FollowUpError("past", lang, when=f"{local(due, tz):%m-%d %H:%M}")


def display_status(row: Mapping[str, Any], now: datetime, grace_period: timedelta) -> str:
    """scheduled | due | overdue | done | cancelled, derived from the stored status and due time.

    ``overdue`` is never stored: it is a function of the clock, so it is always right on every device.
    """
    status = row["status"]
    if status in TERMINAL or not row["due_at"]:
        return status
    due = from_db(row["due_at"])
    if due > now:
        return "scheduled"
    return "overdue" if now - due > grace_period else "due"


def merged_into(case: Mapping[str, Any]) -> str | None:
    """The case this one was merged into, if any (``flag`` 'merged[:ID]' or stage_state.merged_into)."""
    flag = case.get("flag") or ""
    if flag == "merged" or flag.startswith("merged:"):
        return flag.partition(":")[2] or "?"
    try:
        state = json.loads(case.get("stage_state") or "{}")
    except json.JSONDecodeError:
        return None
    target = state.get("merged_into") if isinstance(state, dict) else None
    return str(target) if target else None


def case_guard(conn: sqlite3.Connection, case_id: str, lang: str | None = None) -> dict[str, Any]:
    """The case row, or a clear error when it was deleted or merged (nothing is written then)."""
    row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None:
        raise FollowUpError("case_missing", lang, case=case_id)
    case = dict(row)
    target = merged_into(case)
    if target:
        raise FollowUpError("case_merged", lang, case=case_id, into=target)
    return case


def agent_row(conn: sqlite3.Connection, agent_id: str, lang: str | None = None) -> dict[str, Any]:
    """An active agent, or FollowUpError(unknown_agent / inactive_agent)."""
    row = conn.execute("SELECT * FROM agents WHERE id = ?", (agent_id,)).fetchone()
    if row is None:
        known = ", ".join(r[0] for r in conn.execute("SELECT id FROM agents WHERE active = 1 ORDER BY id"))
        raise FollowUpError("unknown_agent", lang, agent=agent_id, known=known or "-")
    if not row["active"]:
        raise FollowUpError("inactive_agent", lang, agent=agent_id, name=row["name"])
    return dict(row)


def may_change(actor: Mapping[str, Any] | None, row: Mapping[str, Any]) -> bool:
    """Owners and creators change their own follow-ups; a lead changes anyone's."""
    if actor is None:
        return False
    return actor.get("role") == "lead" or actor["id"] in (row["owner_id"], row["created_by"])


def history_entry(conn: sqlite3.Connection, ctx: Context, follow_up_id: str, change: str,
                  detail: dict[str, Any], actor: str) -> None:
    """Append who/when/what for one follow-up (with its outbox entry, in the caller's transaction)."""
    changes.insert(conn, ctx.clock, "follow_up_history", {
        "id": new_id("fh"),
        "follow_up_id": follow_up_id,
        "at": to_db(ctx.clock.now()),
        "actor": actor,
        "change": change,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }, ctx.agent_id)


def insert_new(conn: sqlite3.Connection, ctx: Context, row: dict[str, Any], detail: dict[str, Any]) -> None:
    """Insert a new follow-up plus its 'created' history entry."""
    changes.insert(conn, ctx.clock, "follow_ups", row, ctx.agent_id)
    history_entry(conn, ctx, row["id"], "created", detail, row["created_by"])


def apply_change(conn: sqlite3.Connection, ctx: Context, row: Mapping[str, Any], values: dict[str, Any],
                 change: str, detail: dict[str, Any] | None = None, actor: str | None = None) -> dict[str, Any]:
    """Update one follow-up (bumping ``version``), record history and outbox; returns the new row."""
    who = actor or ctx.agent_id or SYSTEM
    stamped = {**values, "updated_by": who, "updated_at": to_db(ctx.clock.now()),
               "version": int(row["version"]) + 1}
    changes.update(conn, ctx.clock, "follow_ups", row["id"], stamped, ctx.agent_id)
    before = {k: row[k] for k in values if k in row}
    history_entry(conn, ctx, row["id"], change, {"from": before, "to": values, **(detail or {})}, who)
    return {**dict(row), **stamped}


def fetch(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Rows by id (missing ids are simply absent), read inside the caller's transaction."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in conn.execute(f"SELECT * FROM follow_ups WHERE id IN ({marks})", chunk):
            found[row["id"]] = dict(row)
    return found
