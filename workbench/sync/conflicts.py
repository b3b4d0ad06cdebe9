"""Conflict rules, per entity: how the hub merges a change made without seeing someone else's.

Both hubs (SQLite file and PostgreSQL) call :func:`merge` for every pushed entry, so the rules live in
one place and one contract test suite checks them against each hub. A change is *fresh* when it was
made on top of the hub's current version (its ``base_version`` equals the hub version, or the hub's
current version came from this cache's own previous entry for the row); otherwise it is *stale*.
Arrival order at the hub decides between plain field edits, never the client clocks (they can be
hours apart).

Rules
-----
- **Any row, plain fields**: the later arrival wins field by field; fields the change does not carry
  keep the hub's value, so two agents editing different fields both keep their edit. A stale edit that
  no rule below touched is ``accepted`` and the merged row is sent back.
- **cases.stage never moves backwards** (共情 → 定位 → 解决 → 闭环). An older stage is dropped and the
  entry answered ``conflict: stage_backwards``.
- **A case closed on the hub while an agent worked offline is reopened and flagged, never silently
  overwritten.** A stale change to a closed case that does not itself close it sets ``status='open'``,
  clears ``closed_at`` and sets ``flag='reopened_after_close'`` so the lead sees it
  (``conflict: closed_on_hub``). A fresh change (the agent saw it closed) is applied as sent.
- **cases.stage_state** (the playbook checklist JSON): stale edits merge key by key.
- **follow_ups: done beats reassignment.** Marking done is always applied, even after a reassignment
  or cancellation the agent had not seen (the owner stays as the hub has it). A stale reassignment,
  rescheduling or cancellation of a follow-up already done on the hub is dropped
  (``conflict: already_done``).
- **case_notes are append-only: two agents editing the same note keep both.** An edit by another
  agent than the author, or a stale edit, leaves the hub's note as it is and adds the incoming text as
  a new note ``<id>~<key prefix>`` (``conflict: note_kept_both``).
- **compensations are never merged** (see :mod:`workbench.sync.hubmoney`): the hub re-checks money
  against the policy and its decision wins; a rejection comes back with a reason code and the case is
  flagged ``compensation_rejected``; the agent sees it on the case with a suggested next step
  (:func:`workbench.sync.status.case_rejections`).
- **Who may change what** is in :mod:`workbench.sync.permissions` (enforced by row-level security on
  the PostgreSQL hub): ``rejected: not_permitted`` and the hub's row comes back.

Reason codes: stage_backwards, closed_on_hub, already_done, note_kept_both, not_permitted, invalid,
immutable, needs_approval, case_limit, daily_budget, customer_cap, already_decided, duplicate_id,
policy_missing, unknown_agent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.sync.protocol import Entry

STAGES: tuple[str, ...] = ("empathize", "locate", "resolve", "close")
ENTITY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
APPEND_ONLY_NOTES = "case_notes"
#: Column that names the agent responsible for a row (RLS and permissions key on it).
OWNER_COLUMN: dict[str, str] = {
    "cases": "assignee_id",
    "follow_ups": "owner_id",
    "messages": "agent_id",
    "case_notes": "agent_id",
    "follow_up_history": "actor",
    "compensations": "agent_id",
}
#: Entities that carry a ``version`` column locally; the hub writes its version into it.
VERSIONED = frozenset({"cases", "follow_ups"})
FLAG_REOPENED = "reopened_after_close"
FLAG_COMP_REJECTED = "compensation_rejected"


@dataclass
class HubRow:
    """A row as the hub holds it."""

    data: dict[str, Any]
    version: int
    owner: str | None = None
    prev_owner: str | None = None
    last_key: str | None = None


@dataclass
class Merge:
    """What the hub should do with one entry.

    ``data`` is the row to store (None: leave the hub row as it is). ``extra`` are further rows to
    create (entity, id, data), e.g. the second version of a note. ``send_row`` asks the hub to return
    its row to the client because the client's copy now differs from it.
    """

    status: str
    reason: str = ""
    data: dict[str, Any] | None = None
    extra: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    send_row: bool = False


def owner_of(entity: str, data: dict[str, Any] | None) -> str | None:
    """The agent responsible for a row, or None for shared rows."""
    column = OWNER_COLUMN.get(entity)
    if not column or not data:
        return None
    value = data.get(column)
    return str(value) if value else None


def is_fresh(current: HubRow, entry: Entry) -> bool:
    """Was the change made on top of the hub's current version of the row?"""
    if entry.base_version is not None and entry.base_version == current.version:
        return True
    return bool(entry.after_key) and entry.after_key == current.last_key


def validate(entry: Entry) -> str:
    """'' when the entry is well formed, else an ``invalid: ...`` reason."""
    if not ENTITY_NAME.match(entry.entity or ""):
        return f"invalid: entity name {entry.entity!r}"
    if not entry.entity_id or not isinstance(entry.payload, dict):
        return "invalid: missing id or payload"
    if "id" in entry.payload and str(entry.payload["id"]) != entry.entity_id:
        return "invalid: payload id does not match the entry"
    return ""


def merge(entity: str, current: HubRow | None, entry: Entry, actor: str) -> Merge:
    """Apply one non-money entry to the hub's row by the rules in the module docstring."""
    problem = validate(entry)
    if problem:
        return Merge("rejected", problem, send_row=current is not None)
    payload = {k: v for k, v in entry.payload.items() if k != "version"}
    if current is None:
        base = dict(entry.snapshot or {}) if entry.op != "create" else {}
        base.pop("version", None)
        base.update(payload)
        base["id"] = entry.entity_id
        return Merge("accepted", data=base)
    fresh = is_fresh(current, entry)
    if entity == APPEND_ONLY_NOTES:
        return _merge_note(current, entry, payload, actor, fresh)
    notes: list[str] = []
    if entity == "cases":
        payload = _case_rules(current.data, payload, fresh, notes)
    elif entity == "follow_ups":
        payload = _follow_up_rules(current.data, payload, fresh, notes)
    data = {**current.data, **payload}
    if notes:
        return Merge("conflict", ", ".join(notes), data=data, send_row=True)
    return Merge("accepted", data=data, send_row=not fresh)


def _rank(stage: Any) -> int:
    return STAGES.index(stage) if stage in STAGES else -1


def _json_obj(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _case_rules(hub: dict[str, Any], payload: dict[str, Any], fresh: bool, notes: list[str]) -> dict[str, Any]:
    out = dict(payload)
    if "stage" in out and _rank(out["stage"]) < _rank(hub.get("stage")):
        out.pop("stage")
        notes.append(f"stage_backwards: hub {hub.get('stage')}")
    if hub.get("status") == "closed" and not fresh and out.get("status") != "closed":
        out.update(status="open", closed_at=None, flag=FLAG_REOPENED)
        notes.append(f"closed_on_hub: closed at {hub.get('closed_at') or '?'}, reopened")
    if not fresh and "stage_state" in out:
        mine, theirs = _json_obj(out["stage_state"]), _json_obj(hub.get("stage_state"))
        if mine is not None and theirs is not None:
            merged = {**theirs, **mine}
            out["stage_state"] = json.dumps(merged, ensure_ascii=False, sort_keys=True) \
                if isinstance(out["stage_state"], str) else merged
    return out


_DONE_PROTECTED = ("status", "owner_id", "due_at", "trigger")


def _follow_up_rules(hub: dict[str, Any], payload: dict[str, Any], fresh: bool,
                     notes: list[str]) -> dict[str, Any]:
    out = dict(payload)
    if hub.get("status") == "done" and not fresh:
        dropped = [k for k in _DONE_PROTECTED if k in out and out[k] != hub.get(k)]
        for key in _DONE_PROTECTED:
            out.pop(key, None)
        if dropped:
            notes.append(f"already_done: dropped {', '.join(dropped)}")
    return out


def _merge_note(current: HubRow, entry: Entry, payload: dict[str, Any], actor: str, fresh: bool) -> Merge:
    author = current.data.get("agent_id")
    if entry.op == "create":
        if all(current.data.get(k) == v for k, v in payload.items()):
            return Merge("accepted")
    elif fresh and author == actor:
        return Merge("accepted", data={**current.data, **payload})
    new_id = f"{entry.entity_id}~{entry.key[:8]}"
    second = {**current.data, **payload, "id": new_id, "agent_id": actor or payload.get("agent_id") or author}
    return Merge("conflict", f"note_kept_both: {new_id}", extra=[("case_notes", new_id, second)], send_row=True)
