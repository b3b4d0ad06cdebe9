"""Who may change which hub rows. The PostgreSQL hub enforces the same rules with row-level security
(``adapters/hub_pg/schema.sql``); the SQLite hub, one machine with no security boundary, applies them in
Python so both hubs answer the contract tests alike.

- Everyone in the team reads everything shared (cases, customers, orders, notes, follow-ups, ...).
- ``agents`` (the team list) is changed by leads only.
- ``compensations`` are never written directly: only through the hub's money function, which re-checks
  the policy (:mod:`workbench.sync.hubmoney`).
- Owned rows (cases by assignee, follow-ups by owner, notes/messages by author): an agent may create
  them for themselves or unassigned, and change them while they own them, while unassigned, or as the
  previous owner (so a follow-up reassigned away can still be marked done: done beats reassignment).
- Leads may change any row except compensations' money.
- Any other entity is shared reference data (customers, orders, shipments, KB articles): any member.
"""

from __future__ import annotations

from typing import Any

from workbench.sync.conflicts import OWNER_COLUMN, HubRow, owner_of

LEAD_ONLY = frozenset({"agents"})
MONEY = frozenset({"compensations"})
OWNED = frozenset(OWNER_COLUMN) - MONEY


def may_insert(entity: str, actor: str, is_lead: bool, new_owner: str | None) -> bool:
    """May ``actor`` create a row of ``entity`` owned by ``new_owner``?"""
    if entity in MONEY:
        return False
    if entity in LEAD_ONLY:
        return is_lead
    if is_lead or entity not in OWNED:
        return True
    return new_owner is None or new_owner == actor


def may_update(entity: str, actor: str, is_lead: bool, owner: str | None, prev_owner: str | None,
               new_owner: str | None, new_prev_owner: str | None) -> bool:
    """May ``actor`` change an existing row (USING) into the new row (WITH CHECK)?"""
    if entity in MONEY:
        return False
    if entity in LEAD_ONLY:
        return is_lead
    if is_lead or entity not in OWNED:
        return True
    before_ok = owner is None or actor in (owner, prev_owner)
    after_ok = new_owner is None or actor in (new_owner, new_prev_owner)
    return before_ok and after_ok


def may_write(entity: str, actor: str, is_lead: bool, current: HubRow | None, data: dict[str, Any]) -> bool:
    """May ``actor`` store ``data`` over the hub's ``current`` row (None: a new row)?

    The previous owner after the write is worked out exactly as the hubs store it, so both hubs
    ask the same question.
    """
    new_owner = owner_of(entity, data)
    if current is None:
        return may_insert(entity, actor, is_lead, new_owner)
    new_prev = current.owner if new_owner != current.owner else current.prev_owner
    return may_update(entity, actor, is_lead, current.owner, current.prev_owner, new_owner, new_prev)
