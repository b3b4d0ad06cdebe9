"""Proactive service (主动服务, 未诉先办): reach the customer before they have to write.

Two lists, both read-only until the agent acts:

* parcels in trouble (stalled, returned, exception, address problem, left in a locker, signed but
  "not received") on orders with no open case yet, each with a soothing message that offers the
  customer choices (继续等待 / 改派 / 退款, as the seeds describe: "如需催促物流,请回复1");
* "day 2 after delivery" usage guides for items flagged ``needs_guide``, with the KB's guide title.

Contacting a customer creates a case with ``proactive = 1`` holding the message sent (row + outbox in
one transaction), so :func:`effect` can later compare contacted and uncontacted orders. A one-key
follow-up goes through ``workbench.services.followups.schedule``.

Re-assessing stalls costs one write transaction per candidate parcel (up to ~1,000), so the screen goes
through :func:`scan`, which keeps the last result in ``ctx.extras`` and reuses it while nothing it
depends on changed and it is younger than :data:`RESCAN_AFTER`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workbench import changes, logistics
from workbench.context import Context
from workbench.i18n import t
from workbench.ids import new_id
from workbench.services import kb
from workbench.timefmt import from_db, to_db

OPTIONS: dict[str, tuple[str, ...]] = {
    "stalled": ("wait", "reroute", "refund"), "exception": ("wait", "reroute", "refund"),
    "returned": ("reroute", "refund"), "address": ("address", "reroute", "refund"),
    "locker_uncollected": ("pickup", "reroute", "refund"), "not_received": ("wait", "reroute", "refund"),
}
GUIDE_FIRST_DAY, GUIDE_LAST_DAY = 1, 3  # days after the delivery day: "第2天" (the delivery day is day 1)
#: Trouble older than this is history, not something to contact the customer about unprompted.
WINDOW_DAYS = 14
_GENERIC_LEAD = ("男女款", "男款", "女款", "男士", "女士", "儿童", "婴儿", "新款")
FOLLOW_UP = {"trouble": ("check_delivery", "tomorrow_10"), "guide": ("check_satisfaction", "+3d")}
_OPEN_CASE = "SELECT 1 FROM cases k WHERE k.order_id = o.id AND k.status != 'closed'"
_CONTACTED = "SELECT 1 FROM cases k WHERE k.order_id = o.id AND k.proactive = 1 AND k.intent = ?"
#: A scan is reused for this long when the data did not change. Stalls are counted in hours and the
#: usage guides in days, so a few minutes never hides anything an agent could act on.
RESCAN_AFTER = timedelta(minutes=5)
_SCAN_KEY = "proactive.scan"
#: Cheap signals that something the lists depend on changed, each an index or rowid lookup: any local
#: write (every one has an outbox entry: contacts, closes, imports, courier pulls, re-assessments),
#: scans pulled from the hub, cases opened anywhere, cases closed or reopened anywhere.
_STAMP = ("SELECT (SELECT coalesce(max(seq), 0) FROM outbox), "
          "(SELECT coalesce(max(rowid), 0) FROM shipment_events), (SELECT coalesce(max(rowid), 0) FROM cases), "
          "(SELECT count(*) FROM cases WHERE status IN ('open', 'pending'))")


@dataclass(frozen=True)
class Suggestion:
    """One customer to contact, and what to say."""

    kind: str  # "trouble" | "guide"
    order_id: str
    order_no: str
    customer_id: str
    customer_name: str
    shipment_id: str
    carrier: str
    tracking_no: str
    anomaly: str | None
    hours: int
    items: str
    guide: str = ""  # KB usage-guide title (guides)
    options: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.order_id}"


def _shop(ctx: Context) -> str:
    return ctx.settings.shop.name


def message(ctx: Context, s: Suggestion, options: tuple[str, ...] | None = None) -> str:
    """The suggested text, with the chosen reply options numbered (all of them by default)."""
    chosen = s.options if options is None else options
    fields = {"name": s.customer_name, "shop": _shop(ctx), "item": s.items, "order_no": s.order_no,
              "carrier": s.carrier or t("data.proactive.courier"), "hours": s.hours, "guide": s.guide}
    if s.kind == "guide":
        key = "data.proactive.msg_guide" if s.guide else "data.proactive.msg_guide_plain"
        return t(key, **fields)
    lines = [t(f"data.proactive.msg_{s.anomaly}", **fields)]
    lines += [t("data.proactive.reply", n=n, label=t(f"data.proactive.offer_{o}")) for n, o in enumerate(chosen, 1)]
    lines.append(t("data.proactive.closing"))
    return "\n".join(lines)


def _items(ctx: Context, order_ids: list[str], guide_only: bool = False) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    if not order_ids:
        return out
    marks = ",".join("?" for _ in order_ids)
    extra = " AND needs_guide = 1" if guide_only else ""
    for row in ctx.store.query(f"SELECT order_id, title, sku FROM order_items WHERE order_id IN ({marks}){extra} "
                               "ORDER BY rowid", order_ids):
        out.setdefault(row["order_id"], []).append(dict(row))
    return out


def _short(items: list[dict[str, Any]]) -> str:
    """How a person names the goods: "电热水壶", "男女款 轻便跑步鞋", "空气炸锅等 2 件商品"."""
    if not items:
        return t("data.proactive.your_order")
    words = items[0]["title"].split()
    first = " ".join(words[:2]) if len(words) > 1 and words[0] in _GENERIC_LEAD else words[0] if words else "?"
    first = first[:16]
    return first if len(items) == 1 else t("data.proactive.and_more", item=first, count=len(items))


def trouble(ctx: Context, limit: int = 100) -> list[Suggestion]:
    """Orders whose parcel is in trouble and whose customer has not written (most severe first)."""
    now = ctx.clock.now()
    rows = ctx.store.query(
        "SELECT s.id AS shipment_id, s.carrier, s.tracking_no, s.anomaly, s.last_event_at, s.shipped_at, "
        "s.delivered_at, o.id AS order_id, o.order_no, o.customer_id, c.name FROM shipments s "
        "JOIN orders o ON o.id = s.order_id JOIN customers c ON c.id = o.customer_id "
        "WHERE s.anomaly IS NOT NULL AND coalesce(s.last_event_at, s.shipped_at) >= ? "
        f"AND NOT EXISTS ({_OPEN_CASE}) AND NOT EXISTS ({_CONTACTED}) ORDER BY s.last_event_at LIMIT ?",
        (to_db(now - timedelta(days=WINDOW_DAYS)), "delivery_problem", limit * 4))
    items = _items(ctx, [r["order_id"] for r in rows])
    out = []
    for r in rows:
        if r["anomaly"] not in OPTIONS:
            continue
        since = r["last_event_at"] or r["shipped_at"]
        hours = int((now - from_db(since)).total_seconds() // 3600) if since else 0
        out.append(Suggestion("trouble", r["order_id"], r["order_no"], r["customer_id"], r["name"], r["shipment_id"],
                              r["carrier"], r["tracking_no"], r["anomaly"], hours, _short(items.get(r["order_id"], [])),
                              options=OPTIONS[r["anomaly"]]))
    out.sort(key=lambda s: (logistics.ANOMALIES.index(s.anomaly or "stalled"), -s.hours))
    return out[:limit]


def guides(ctx: Context, limit: int = 100) -> list[Suggestion]:
    """Delivered orders on "day 2" (up to day 4) with items that need a usage guide, not yet sent one."""
    zone = ZoneInfo(ctx.tz)
    today = ctx.clock.now().astimezone(zone).date()
    start = datetime.combine(today - timedelta(days=GUIDE_LAST_DAY), time(0), zone)
    end = datetime.combine(today - timedelta(days=GUIDE_FIRST_DAY - 1), time(0), zone)
    rows = ctx.store.query(
        "SELECT s.id AS shipment_id, s.carrier, s.tracking_no, s.delivered_at, o.id AS order_id, o.order_no, "
        "o.customer_id, c.name FROM shipments s JOIN orders o ON o.id = s.order_id "
        "JOIN customers c ON c.id = o.customer_id WHERE s.delivered_at >= ? AND s.delivered_at < ? "
        "AND s.anomaly IS NULL AND EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.needs_guide = 1) "
        f"AND NOT EXISTS ({_OPEN_CASE}) AND NOT EXISTS ({_CONTACTED}) ORDER BY s.delivered_at LIMIT ?",
        (to_db(start), to_db(end), "product_usage", limit))
    items = _items(ctx, [r["order_id"] for r in rows], guide_only=True)
    now = ctx.clock.now()
    titles: dict[str, str] = {}  # product title -> guide title: many orders share a few products
    out = []
    for r in rows:
        lines = items.get(r["order_id"], [])
        guide = _guide_title(ctx, lines[0]["title"], titles) if lines else ""
        hours = int((now - from_db(r["delivered_at"])).total_seconds() // 3600)
        out.append(Suggestion("guide", r["order_id"], r["order_no"], r["customer_id"], r["name"], r["shipment_id"],
                              r["carrier"], r["tracking_no"], None, hours, _short(lines), guide))
    return out


def _guide_title(ctx: Context, product: str, known: dict[str, str]) -> str:
    """The KB usage guide's title for a product (searched once per product per call)."""
    if product not in known:
        hits = kb.search(ctx.store.conn, f"{product} 使用", intent="product_usage", limit=1)
        known[product] = hits[0].title if hits else ""
    return known[product]


def suggestions(ctx: Context, limit: int = 100) -> list[Suggestion]:
    """Parcels in trouble first, then usage guides."""
    return trouble(ctx, limit) + guides(ctx, limit)


def refresh(ctx: Context) -> int:
    """Re-assess parcels whose verdict changes with time alone (stalls); returns how many changed."""
    return logistics.rescan(ctx)


@dataclass(frozen=True)
class Scan:
    """The lists as last read, when, and the data stamp they were read at."""

    items: tuple[Suggestion, ...]
    effect: dict[str, int]
    at: datetime  # when the lists were read (the hours shown are as of then)
    rescanned_at: datetime  # when stalls were last re-assessed
    stamp: tuple[int, ...]
    reused: bool = False


def data_stamp(ctx: Context) -> tuple[int, ...]:
    """A fingerprint of the data the lists depend on (four index lookups, well under a millisecond)."""
    row = ctx.store.one(_STAMP)
    return tuple(int(v) for v in row) if row is not None else ()


def _fresh(since: datetime, now: datetime) -> bool:
    """Younger than RESCAN_AFTER; a clock that went backwards counts as stale, never as fresh forever."""
    return timedelta(0) <= now - since < RESCAN_AFTER


def scan(ctx: Context, force: bool = False) -> Scan:
    """The suggestions and effect figures, reusing the last scan when it still holds.

    Reused (``reused=True``, nothing queried but the stamp) while the data stamp is unchanged and the
    stalls were re-assessed less than RESCAN_AFTER ago. When only the data changed, the lists are read
    again but the stalls are not re-assessed (new scans are assessed at ingest); when the interval has
    passed, or with ``force`` (the screen's refresh key), the stalls are re-assessed first.
    """
    now = ctx.clock.now()
    last = ctx.extras.get(_SCAN_KEY)
    last = last if isinstance(last, Scan) else None
    stamp = data_stamp(ctx)
    if not force and last is not None and last.stamp == stamp and _fresh(last.rescanned_at, now) \
            and _fresh(last.at, now):
        return replace(last, reused=True)
    rescanned_at = last.rescanned_at if last is not None else now
    if force or last is None or not _fresh(last.rescanned_at, now):
        refresh(ctx)
        rescanned_at = now
        stamp = data_stamp(ctx)  # the re-assessment writes outbox entries of its own
    # The stamp is taken before the lists are read: a change landing in between makes the next call
    # read again, never hides behind a stamp that already includes it.
    result = Scan(tuple(suggestions(ctx)), effect(ctx), now, rescanned_at, stamp)
    ctx.extras[_SCAN_KEY] = result
    return result


def contact(ctx: Context, s: Suggestion, text: str | None = None, options: tuple[str, ...] | None = None) -> str:
    """Record the proactive contact: a ``proactive = 1`` case with the message sent; returns its id.

    Refuses (ValueError) when the order already has a proactive contact of the same kind, so two
    agents pressing the key at once cannot message the customer twice.
    """
    body = (text if text is not None else message(ctx, s, options)).strip()
    if not body:
        raise ValueError(t("data.proactive.empty_message"))
    intent = "delivery_problem" if s.kind == "trouble" else "product_usage"
    now = to_db(ctx.clock.now())
    subject = t(f"data.proactive.subject_{s.anomaly or 'guide'}", hours=s.hours, item=s.items)
    case_id = new_id("c")
    with ctx.store.write() as conn:
        if conn.execute("SELECT 1 FROM cases WHERE order_id = ? AND proactive = 1 AND intent = ?",
                        (s.order_id, intent)).fetchone():
            raise ValueError(t("data.proactive.already", order_no=s.order_no))
        cues = [f"proactive:{s.anomaly or 'guide'}", *[f"offer:{o}" for o in (options or s.options)]]
        changes.insert(conn, ctx.clock, "cases", {
            "id": case_id, "customer_id": s.customer_id, "order_id": s.order_id, "channel": "proactive",
            "subject": subject, "intent": intent, "emotion": "calm", "cues": json.dumps(cues, ensure_ascii=False),
            "first_response_at": now, "status": "pending", "assignee_id": ctx.agent_id or None, "proactive": 1,
            "opened_at": now, "updated_at": now}, ctx.agent_id)
        changes.insert(conn, ctx.clock, "messages", {"id": new_id("m"), "case_id": case_id, "author": "agent",
                                                     "agent_id": ctx.agent_id, "body": body, "at": now}, ctx.agent_id)
    return case_id


def follow_up(ctx: Context, case_id: str, s: Suggestion) -> dict[str, Any]:
    """The one-key follow-up for a contact (a check-back at the time the contact's kind calls for)."""
    from workbench.services import followups

    kind, when = FOLLOW_UP[s.kind]
    try:
        return followups.schedule(ctx, case_id, kind, when=when,
                                  note=t(f"data.proactive.fu_note_{s.kind}", order_no=s.order_no))
    except followups.FollowUpError as exc:  # the contact stands; say why no follow-up was set
        raise ValueError(str(exc)) from exc


def effect(ctx: Context, days: int = 30) -> dict[str, int]:
    """Did contacting help? Orders in trouble contacted vs not, and how many customers wrote anyway."""
    since = to_db(ctx.clock.now() - timedelta(days=days))
    wrote = "SELECT 1 FROM cases w WHERE w.order_id = {o} AND w.proactive = 0 AND w.opened_at >= {after}"
    contacted = ctx.store.one(
        "SELECT count(DISTINCT p.order_id) AS n, count(DISTINCT CASE WHEN EXISTS ("
        + wrote.format(o="p.order_id", after="p.opened_at") + ") THEN p.order_id END) AS wrote "
        "FROM cases p WHERE p.proactive = 1 AND p.opened_at >= ?", (since,))
    uncontacted = ctx.store.one(
        "SELECT count(DISTINCT s.order_id) AS n, count(DISTINCT CASE WHEN EXISTS ("
        + wrote.format(o="s.order_id", after="?") + ") THEN s.order_id END) AS wrote FROM shipments s "
        "WHERE s.anomaly IS NOT NULL AND coalesce(s.last_event_at, s.shipped_at) >= ? AND NOT EXISTS ("
        "SELECT 1 FROM cases p WHERE p.order_id = s.order_id AND p.proactive = 1)", (since, since))
    return {"contacted": contacted["n"], "contacted_then_wrote": contacted["wrote"],
            "uncontacted": uncontacted["n"], "uncontacted_wrote": uncontacted["wrote"]}

