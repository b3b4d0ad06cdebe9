"""Logistics intelligence: what a parcel's scans mean and whether it is in trouble.

Courier traces are free Chinese text ("快件已由…代收，请及时取件", "问题件:收件地址不详") whatever the
aggregator, so the meaning is read from the text, with the aggregator's own status as a hint. The
vocabulary matches the demo data and the main screen (``workbench.demo.shipments``):

* event ``status``: collected, in_transit, out_for_delivery, delivered, exception, returned
* shipment ``status``: pending, in_transit, out_for_delivery, delivered, exception, returned
* shipment ``anomaly`` (most severe first): returned, address, exception, not_received,
  locker_uncollected, stalled

:func:`assess` is pure (events in, verdict out) so every rule is unit-tested without a cache;
:func:`recompute` applies it to one stored shipment and writes the change with its outbox entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workbench import changes
from workbench.context import Context
from workbench.timefmt import from_db, to_db

SHIPMENT_STATUSES = ("pending", "in_transit", "out_for_delivery", "delivered", "exception", "returned")
EVENT_STATUSES = ("collected", "in_transit", "out_for_delivery", "delivered", "exception", "returned")
ANOMALIES = ("returned", "address", "exception", "not_received", "locker_uncollected", "stalled")
TERMINAL = frozenset({"delivered", "returned"})
#: A parcel left in a locker or station longer than this is "not collected" (lockers start charging
#: after 12-24 h and stations send parcels back after about three days).
LOCKER_HOURS = 24

# Carrier names as they appear in platform exports and traces -> Kuaidi100 company codes.
CARRIER_CODES: tuple[tuple[str, str], ...] = (
    ("圆通", "yuantong"), ("中通", "zhongtong"), ("申通", "shentong"), ("韵达", "yunda"),
    ("顺丰", "shunfeng"), ("京东", "jd"), ("极兔", "jtexpress"), ("EMS", "ems"),
    ("邮政", "youzhengguonei"), ("德邦", "debangkuaidi"), ("百世", "huitongkuaidi"),
    ("天天", "tiantian"), ("宅急送", "zhaijisong"), ("丹鸟", "danniao"), ("优速", "youshuwuliu"),
)
CARRIER_NAMES: dict[str, str] = {
    "yuantong": "圆通速递", "zhongtong": "中通快递", "shentong": "申通快递", "yunda": "韵达快递",
    "shunfeng": "顺丰速运", "jd": "京东物流", "jtexpress": "极兔速递", "ems": "EMS",
    "youzhengguonei": "中国邮政", "debangkuaidi": "德邦快递", "huitongkuaidi": "百世快递",
    "tiantian": "天天快递", "zhaijisong": "宅急送", "danniao": "丹鸟", "youshuwuliu": "优速快递",
}
_TRACKING_PREFIXES = (("YT", "yuantong"), ("SF", "shunfeng"), ("JDV", "jd"), ("JD", "jd"), ("JT", "jtexpress"))


def carrier_code(name: str | None, tracking_no: str | None = None) -> str | None:
    """The Kuaidi100 code for a carrier name ("圆通速递" -> "yuantong"), else guessed from the number."""
    text = (name or "").strip()
    if text.lower() in CARRIER_NAMES:
        return text.lower()
    for needle, code in CARRIER_CODES:
        if needle in text or needle.lower() in text.lower():
            return code
    number = (tracking_no or "").strip().upper()
    for prefix, code in _TRACKING_PREFIXES:
        if number.startswith(prefix):
            return code
    return None


@dataclass(frozen=True)
class EventClass:
    """What one scan says: its status plus the facts the anomaly rules need."""

    status: str
    locker: bool = False  # left in a locker / station / collection point, waiting for the customer
    picked_up: bool = False  # taken out of the locker / station by the customer
    address: bool = False  # the courier cannot deliver because of the address or phone
    returned: bool = False  # refused, or on its way back to the sender


def _any(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


_PICKED_UP = _any("已取件", "已取出", "取[件货]码签收", "已被取走", "本人取件", r"\bpicked up\b")
_RETURNING = _any("退回", "退件", "返回寄件人", "退还寄件人", "退签", "原路返回", r"return(ed)? to sender")
_REFUSED = _any("拒收", "拒签", "refused")
_ADDRESS = _any("地址不详", "地址错误", "地址有误", "地址不全", "地址不准确", "超区", "超出派送范围",
                "无法联系", "联系不上", "电话错误", "电话无人接听", "电话停机", "收件人信息不全", "查无此人",
                "收件人不详", r"address (issue|problem|incorrect|unknown)")
_DELIVERED = _any("(?<![准待请])签收", "妥投", "已投递", "投递成功", r"\bdelivered\b")
_LOCKER = _any("快递柜", "丰巢", "驿站", "代收", "自提", "取件码", "取货码", "待取件", "投柜", "快递超市",
               "兔喜", "请及时取件", "请尽快取件", "ready for pickup")
_EXCEPTION = _any("问题件", "疑难", "异常", "滞留", "破损", "丢失", "遗失", "无法派送", "派送不成功",
                  "派送失败", "暂停派送", "延误", "无法识别", r"\bfailure\b", r"\bdelayed\b")
_OUT = _any("派件", "派送", "投递中", r"out for delivery")
_COLLECTED = _any("揽收", "已收件", "揽件", "收寄", r"picked up by carrier")

#: Status names other systems give a scan (Kuaidi100 resultv2 words, Shopify fulfillment events).
HINTS: dict[str, EventClass] = {
    "在途": EventClass("in_transit"), "揽收": EventClass("collected"), "派件": EventClass("out_for_delivery"),
    "签收": EventClass("delivered"), "退回": EventClass("returned", returned=True),
    "退签": EventClass("returned", returned=True), "疑难": EventClass("exception"),
    "拒签": EventClass("exception", returned=True), "转投": EventClass("in_transit"),
    "清关": EventClass("in_transit"), "待清关": EventClass("in_transit"), "清关中": EventClass("in_transit"),
    "已清关": EventClass("in_transit"), "清关异常": EventClass("exception"),
    "label_printed": EventClass("collected"), "label_purchased": EventClass("collected"),
    "confirmed": EventClass("collected"), "carrier_picked_up": EventClass("collected"),
    "in_transit": EventClass("in_transit"), "out_for_delivery": EventClass("out_for_delivery"),
    "attempted_delivery": EventClass("exception"), "ready_for_pickup": EventClass("delivered", locker=True),
    "picked_up": EventClass("delivered", picked_up=True), "delivered": EventClass("delivered"),
    "failure": EventClass("exception"), "delayed": EventClass("exception"),
}
for _status in EVENT_STATUSES:
    HINTS.setdefault(_status, EventClass(_status))


def classify(text: str | None, hint: str | None = None) -> EventClass:
    """Read one scan. ``hint`` is the source's own status for it (used when the text is not clearer)."""
    body = text or ""
    locker = bool(_LOCKER.search(body))
    picked = bool(_PICKED_UP.search(body))
    if picked:
        return EventClass("delivered", picked_up=True)
    if _RETURNING.search(body):
        return EventClass("returned", returned=True)
    if _REFUSED.search(body):
        return EventClass("exception", returned=True)
    if _ADDRESS.search(body):
        return EventClass("exception", address=True)
    if _DELIVERED.search(body):
        return EventClass("delivered", locker=locker)
    if locker:
        return EventClass("delivered", locker=True)
    hinted = HINTS.get((hint or "").strip())
    if hinted is not None and hinted.status not in ("in_transit", "collected"):
        return hinted
    if _EXCEPTION.search(body):
        return EventClass("exception")
    if _OUT.search(body):
        return EventClass("out_for_delivery")
    if _COLLECTED.search(body):
        return EventClass("collected")
    return hinted or EventClass("in_transit")


@dataclass(frozen=True)
class Scan:
    """One stored event as the rules see it."""

    at: datetime
    status: str
    description: str = ""


@dataclass(frozen=True)
class Assessment:
    """The verdict for one shipment: what to store and why it is (or is not) in trouble."""

    status: str
    anomaly: str | None
    anomalies: tuple[str, ...]
    last_event_at: datetime | None
    delivered_at: datetime | None
    hours_since_last_event: float | None


def _shipment_status(event_status: str) -> str:
    return "in_transit" if event_status == "collected" else event_status


def assess(
    scans: Iterable[Scan],
    now: datetime,
    stall_hours: float,
    *,
    current_status: str = "pending",
    shipped_at: datetime | None = None,
    customer_says_not_received: bool = False,
    locker_hours: float = LOCKER_HOURS,
) -> Assessment:
    """Decide status and anomalies from the scans (any order) at time ``now``."""
    ordered = sorted(scans, key=lambda s: s.at)
    if not ordered:
        hours = (now - shipped_at).total_seconds() / 3600 if shipped_at else None
        stalled = hours is not None and hours > stall_hours and current_status not in TERMINAL
        found = ("stalled",) if stalled else ()
        return Assessment(current_status, found[0] if found else None, found, None, None, hours)
    classes = [classify(s.description, s.status) for s in ordered]
    latest, latest_class = ordered[-1], classes[-1]
    status = _shipment_status(latest_class.status)
    delivered_at = None
    if status == "delivered":
        delivered_at = next(s.at for s, c in zip(ordered, classes) if c.status == "delivered")
    hours = (now - latest.at).total_seconds() / 3600
    found: list[str] = []
    if status == "returned" or latest_class.returned:
        found.append("returned")
    if latest_class.address:
        found.append("address")
    if status == "exception" and not latest_class.address and not latest_class.returned:
        found.append("exception")
    if status == "delivered" and customer_says_not_received:
        found.append("not_received")
    if status == "delivered":
        lockers = [i for i, c in enumerate(classes) if c.locker]
        if lockers and not any(c.picked_up for c in classes[lockers[-1]:]):
            if (now - ordered[lockers[-1]].at).total_seconds() / 3600 > locker_hours:
                found.append("locker_uncollected")
    if status not in TERMINAL and status != "exception" and hours > stall_hours:
        found.append("stalled")
    ranked = tuple(a for a in ANOMALIES if a in found)
    return Assessment(status, ranked[0] if ranked else None, ranked, latest.at, delivered_at, hours)


def stall_hours_for(settings: Any, carrier_code_: str | None, carrier: str | None) -> float:
    """The stall threshold for a carrier: ``[logistics] per_carrier_stall_hours`` by code or name."""
    logistics = settings.logistics
    per = logistics.per_carrier_stall_hours or {}
    for key in (carrier_code_, carrier):
        if key and key in per:
            return float(per[key])
    return float(logistics.stall_hours)


_NOT_RECEIVED = _any("没收到", "未收到", "没有收到", "收不到", "没拿到", "没见到", "没看到快递", "找不到快递",
                     r"not received", r"never received", r"didn'?t receive", r"did not receive",
                     r"haven'?t received", r"never arrived")
_TROUBLE_INTENTS = ("where_is_order", "delivery_problem")


def customer_says_not_received(conn: Any, order_id: str, delivered_at: datetime) -> bool:
    """Whether a customer case on this order, opened after delivery, says the parcel never came."""
    since = to_db(delivered_at)
    rows = conn.execute(
        "SELECT id, intent, subject FROM cases WHERE order_id = ? AND proactive = 0 AND opened_at >= ? "
        "ORDER BY opened_at DESC LIMIT 20",
        (order_id, since),
    ).fetchall()
    for row in rows:
        if _NOT_RECEIVED.search(row["subject"] or ""):
            return True
        if row["intent"] not in _TROUBLE_INTENTS:
            continue
        for message in conn.execute(
            "SELECT body FROM messages WHERE case_id = ? AND author = 'customer' ORDER BY at LIMIT 20",
            (row["id"],),
        ):
            if _NOT_RECEIVED.search(message["body"] or ""):
                return True
    return False


def recompute(ctx: Context, shipment_id: str) -> Assessment:
    """Re-assess one shipment from its stored events; write what changed (with its outbox entry).

    Joins the caller's write transaction when there is one (ingest recomputes inside its batch).
    Raises LookupError when the shipment does not exist.
    """
    now = ctx.clock.now()
    with ctx.store.write() as conn:
        ship = conn.execute("SELECT * FROM shipments WHERE id = ?", (shipment_id,)).fetchone()
        if ship is None:
            raise LookupError(f"shipment {shipment_id} not found")
        scans = [Scan(from_db(r["at"]), r["status"], r["description"] or "") for r in conn.execute(
            "SELECT at, status, description FROM shipment_events WHERE shipment_id = ? ORDER BY at",
            (shipment_id,),
        )]
        stall = stall_hours_for(ctx.settings, ship["carrier_code"], ship["carrier"])
        shipped = from_db(ship["shipped_at"]) if ship["shipped_at"] else None
        verdict = assess(scans, now, stall, current_status=ship["status"], shipped_at=shipped)
        if verdict.delivered_at and customer_says_not_received(conn, ship["order_id"], verdict.delivered_at):
            verdict = assess(scans, now, stall, current_status=ship["status"], shipped_at=shipped,
                             customer_says_not_received=True)
        stored = {
            "status": verdict.status,
            "anomaly": verdict.anomaly,
            "last_event_at": to_db(verdict.last_event_at) if verdict.last_event_at else ship["last_event_at"],
            "delivered_at": to_db(verdict.delivered_at) if verdict.delivered_at else None,
        }
        values = {k: v for k, v in stored.items() if ship[k] != v}
        if values:
            values["updated_at"] = to_db(now)
            changes.update(conn, ctx.clock, "shipments", shipment_id, values, ctx.agent_id)
    return verdict


def rescan(ctx: Context, limit: int = 500) -> int:
    """Re-assess shipments whose verdict can change with time alone (stalls, lockers not collected).

    New events trigger :func:`recompute` at ingest; this catches the parcels that simply stopped
    moving. Bounded by ``limit`` and served by the (status, last_event_at) index. Returns how many
    shipments changed.
    """
    now = ctx.clock.now()
    per = ctx.settings.logistics.per_carrier_stall_hours or {}
    shortest = min([float(ctx.settings.logistics.stall_hours), *(float(v) for v in per.values())])
    stall_cutoff = to_db(now - timedelta(hours=shortest))
    locker_cutoff = to_db(now - timedelta(hours=LOCKER_HOURS))
    candidates = [r[0] for r in ctx.store.query(
        "SELECT id FROM shipments WHERE status IN ('pending', 'in_transit', 'out_for_delivery') "
        "AND anomaly IS NULL AND last_event_at < ? LIMIT ?", (stall_cutoff, limit),
    )]
    candidates += [r[0] for r in ctx.store.query(
        "SELECT id FROM shipments WHERE delivered_at IS NOT NULL AND delivered_at < ? AND delivered_at > ? "
        "AND anomaly IS NULL LIMIT ?", (locker_cutoff, to_db(now - timedelta(days=7)), limit),
    )]
    changed = 0
    for shipment_id in candidates:
        before = ctx.store.one("SELECT anomaly, status FROM shipments WHERE id = ?", (shipment_id,))
        verdict = recompute(ctx, shipment_id)
        if before is not None and (before["anomaly"], before["status"]) != (verdict.anomaly, verdict.status):
            changed += 1
    return changed

