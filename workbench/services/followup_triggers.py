"""Event-triggered follow-ups: "N days after the parcel is delivered", "if the parcel stops moving".

A trigger lives in ``follow_ups.trigger`` (JSON) and the follow-up always keeps a concrete ``due_at``,
so boards sort and count it like any other. The due time is a pure function of the trigger and the
shipment's stored events (:func:`evaluate`), recomputed by :func:`on_shipment_events` whenever events
arrive, from sync or a courier adapter, in whatever order: the result depends only on the set of events.

``after_delivery``
    due = the delivery day + N days at 10:00 (shop time). Until delivery: 48 h (the stall threshold)
    after the parcel last moved, so a parcel whose tracking goes stale brings the follow-up forward,
    and never later than a fixed fallback date (default: N + 7 days after scheduling), so a follow-up
    on a parcel that is never scanned again cannot wait forever.
``stalled``
    due = last movement + H hours (default: the carrier's stall threshold). When the parcel is
    delivered the check is no longer needed and the follow-up is cancelled, with the reason recorded.

``wait_for = "next"`` tracks a parcel that does not exist yet (补发: the replacement shipment), by
ignoring the order's shipments known when the follow-up was made.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workbench import logistics
from workbench.context import Context
from workbench.dateparse import resolve_local
from workbench.services.followup_model import OPEN_SQL, SYSTEM, FollowUpError, apply_change
from workbench.timefmt import from_db, to_db

TRIGGER_TYPES = ("after_delivery", "stalled")
FALLBACK_EXTRA_DAYS = 7
DEFAULT_AT = (10, 0)


@dataclass(frozen=True)
class Facts:
    """What the stored events say about one shipment, independent of the order they arrived in."""

    shipment_id: str
    delivered_at: datetime | None
    last_movement_at: datetime | None
    stall_hours: float


@dataclass(frozen=True)
class Outcome:
    due_at: datetime
    basis: str  # delivered | tracking | fallback | created
    cancel: str | None = None  # set when the follow-up is no longer needed (why)


def shipment_facts(conn: sqlite3.Connection, ctx: Context, shipment_id: str) -> Facts | None:
    """Delivery and last movement of one shipment from its events (via the logistics rules)."""
    ship = conn.execute("SELECT * FROM shipments WHERE id = ?", (shipment_id,)).fetchone()
    if ship is None:
        return None
    scans = [logistics.Scan(from_db(r["at"]), r["status"], r["description"] or "") for r in conn.execute(
        "SELECT at, status, description FROM shipment_events WHERE shipment_id = ?", (shipment_id,))]
    stall = logistics.stall_hours_for(ctx.settings, ship["carrier_code"], ship["carrier"])
    shipped = from_db(ship["shipped_at"]) if ship["shipped_at"] else None
    if scans:
        verdict = logistics.assess(scans, ctx.clock.now(), stall, current_status=ship["status"], shipped_at=shipped)
        delivered, moved = verdict.delivered_at, verdict.last_event_at
    else:
        delivered = from_db(ship["delivered_at"]) if ship["delivered_at"] else None
        moved = from_db(ship["last_event_at"]) if ship["last_event_at"] else shipped
    return Facts(shipment_id, delivered, moved or shipped, stall)


def order_shipments(conn: sqlite3.Connection, order_id: str) -> list[str]:
    """The order's shipment ids, newest first (by ship time, then id, so the choice is stable)."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM shipments WHERE order_id = ? "
        "ORDER BY coalesce(shipped_at, updated_at) DESC, id DESC", (order_id,))]


def pick_shipment(conn: sqlite3.Connection | None, trigger: dict[str, Any],
                  shipments: list[str] | None = None) -> str | None:
    """The shipment a trigger follows: its bound one, else the newest (not already known, for 'next').

    ``shipments`` is :func:`order_shipments` of the trigger's order when the caller already read it.
    """
    if trigger.get("shipment_id"):
        return str(trigger["shipment_id"])
    known = set(trigger.get("known_shipments") or []) if trigger.get("wait_for") == "next" else set()
    if shipments is None:
        assert conn is not None, "pick_shipment needs a connection or the order's shipments"
        shipments = order_shipments(conn, trigger["order_id"])
    for shipment_id in shipments:
        if shipment_id not in known:
            return shipment_id
    return None


def _at(trigger: dict[str, Any]) -> tuple[int, int]:
    hour, _, minute = str(trigger.get("at", "10:00")).partition(":")
    return int(hour), int(minute or 0)


def evaluate(trigger: dict[str, Any], facts: Facts | None, tz: str, created_at: datetime) -> Outcome:
    """The due time a trigger gives for these facts (pure: same facts, same answer)."""
    kind = trigger.get("type")
    if kind == "after_delivery":
        if facts is not None and facts.delivered_at is not None:
            zone = ZoneInfo(tz)
            day = facts.delivered_at.astimezone(zone).date() + timedelta(days=int(trigger.get("days", 0)))
            return Outcome(resolve_local(day, *_at(trigger), zone)[0], "delivered")
        fallback = from_db(trigger["fallback_at"])
        if facts is not None and facts.last_movement_at is not None:
            stale_hours = float(trigger.get("stale_hours") or facts.stall_hours)
            stale_due = facts.last_movement_at + timedelta(hours=stale_hours)
            if stale_due < fallback:
                return Outcome(stale_due, "tracking")
        return Outcome(fallback, "fallback")
    if kind == "stalled":
        hours = float(trigger.get("hours") or (facts.stall_hours if facts else 48))
        if facts is None or facts.last_movement_at is None:
            return Outcome(created_at + timedelta(hours=hours), "created")
        if facts.delivered_at is not None:
            return Outcome(facts.delivered_at, "delivered", cancel="delivered")
        return Outcome(facts.last_movement_at + timedelta(hours=hours), "tracking")
    raise ValueError(f"unknown trigger type {kind!r}")


def build(conn: sqlite3.Connection, ctx: Context, kind: str, order_id: str | None, *, days: int | None = None,
          hours: float | None = None, wait_for: str = "latest", fallback_at: datetime | None = None,
          lang: str | None = None) -> tuple[dict[str, Any], Outcome]:
    """A new trigger for an order, bound to its shipment when one exists, and its first due time."""
    _check(kind, wait_for, lang)
    if not order_id or conn.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is None:
        raise FollowUpError("no_order", lang)
    return new_trigger(kind, order_id, order_shipments(conn, order_id), lambda sid: shipment_facts(conn, ctx, sid),
                       ctx.clock.now(), ctx.tz, days=days, hours=hours, wait_for=wait_for,
                       fallback_at=fallback_at, lang=lang)


def new_trigger(kind: str, order_id: str, shipments: list[str], facts_of: Callable[[str], Facts | None],
                now: datetime, tz: str, *, days: int | None = None, hours: float | None = None,
                wait_for: str = "latest", fallback_at: datetime | None = None,
                lang: str | None = None) -> tuple[dict[str, Any], Outcome]:
    """:func:`build` without the store: ``shipments`` are the order's (:func:`order_shipments`) and
    ``facts_of`` gives the facts of the shipment the trigger will follow.

    The follow-up modal previews a typed trigger with this on every keystroke, from facts it read once.
    """
    _check(kind, wait_for, lang)
    zone = ZoneInfo(tz)
    trigger: dict[str, Any] = {"type": kind, "order_id": order_id, "wait_for": wait_for,
                               "known_shipments": list(shipments) if wait_for == "next" else [], "at": "10:00"}
    if kind == "after_delivery":
        days = 3 if days is None else int(days)
        if days < 0 or days > 365:
            raise FollowUpError("bad_trigger", lang, kind=f"days={days}", known="0-365")
        trigger["days"] = days
        if fallback_at is None:
            fallback_day = now.astimezone(zone).date() + timedelta(days=days + FALLBACK_EXTRA_DAYS)
            fallback_at = resolve_local(fallback_day, *DEFAULT_AT, zone)[0]
        trigger["fallback_at"] = to_db(fallback_at)
    else:
        if hours is not None and not 1 <= float(hours) <= 24 * 60:
            raise FollowUpError("bad_trigger", lang, kind=f"hours={hours}", known="1-1440")
        trigger["hours"] = hours
    shipment_id = pick_shipment(None, trigger, shipments)
    trigger["shipment_id"] = shipment_id
    outcome = evaluate(trigger, facts_of(shipment_id) if shipment_id else None, tz, now)
    trigger["basis"] = outcome.basis
    return trigger, outcome


def _check(kind: str, wait_for: str, lang: str | None) -> None:
    if kind not in TRIGGER_TYPES:
        raise FollowUpError("bad_trigger", lang, kind=kind, known=", ".join(TRIGGER_TYPES))
    if wait_for not in ("latest", "next"):
        raise FollowUpError("bad_trigger", lang, kind=wait_for, known="latest, next")


def on_shipment_events(ctx: Context, shipment_id: str) -> list[dict[str, Any]]:
    """Recompute the follow-ups that depend on this shipment; returns what changed.

    Called by ingest/sync after events for ``shipment_id`` are stored. Only the open follow-ups of the
    shipment's order are read (indexed by ``json_extract(trigger, '$.order_id')``). A follow-up that
    was due and moves into the future goes back to scheduled; a stall check whose parcel was
    delivered is cancelled; done and cancelled follow-ups are never touched.
    """
    changed: list[dict[str, Any]] = []
    now = ctx.clock.now()
    with ctx.store.write() as conn:
        ship = conn.execute("SELECT order_id FROM shipments WHERE id = ?", (shipment_id,)).fetchone()
        if ship is None:
            return changed
        rows = conn.execute(
            f"SELECT * FROM follow_ups WHERE trigger != '{{}}' AND json_extract(trigger, '$.order_id') = ? "
            f"AND {OPEN_SQL} ORDER BY id", (ship["order_id"],)).fetchall()
        # Read once for all rows: the order's shipments and this shipment's facts are the same for each.
        shipments = order_shipments(conn, ship["order_id"]) if rows else []
        facts: Facts | None = None
        for row in rows:
            try:
                trigger = json.loads(row["trigger"])
            except json.JSONDecodeError:
                continue  # a hand-edited or foreign trigger: leave the row as it is
            if trigger.get("type") not in TRIGGER_TYPES:
                continue
            if pick_shipment(conn, trigger, shipments) != shipment_id:
                continue
            facts = facts or shipment_facts(conn, ctx, shipment_id)
            outcome = evaluate(trigger, facts, ctx.tz, from_db(row["created_at"]))
            result = _apply(conn, ctx, dict(row), trigger, shipment_id, outcome, now)
            if result is not None:
                changed.append(result)
    return changed


def _apply(conn: sqlite3.Connection, ctx: Context, row: dict[str, Any], trigger: dict[str, Any],
           shipment_id: str, outcome: Outcome, now: datetime) -> dict[str, Any] | None:
    new_trigger = dump_trigger({**trigger, "shipment_id": shipment_id, "basis": outcome.basis})
    detail = {"shipment_id": shipment_id, "basis": outcome.basis}
    if outcome.cancel:
        values: dict[str, Any] = {"status": "cancelled", "trigger": new_trigger, "done_at": to_db(now),
                                  "done_note": outcome.cancel}
        return apply_change(conn, ctx, row, values, "cancelled", {**detail, "reason": outcome.cancel}, SYSTEM)
    values = {}
    due = to_db(outcome.due_at)
    if due != row["due_at"]:
        values["due_at"] = due
    if new_trigger != row["trigger"]:
        values["trigger"] = new_trigger
    if row["status"] == "due" and outcome.due_at > now:
        values["status"] = "scheduled"
    if not values:
        return None
    change = "rescheduled" if "due_at" in values else "trigger_updated"
    return apply_change(conn, ctx, row, values, change, detail, SYSTEM)


def dump_trigger(trigger: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys), so comparing with the stored text detects real changes only."""
    return json.dumps(trigger, ensure_ascii=False, sort_keys=True)
