"""Couriers, tracking numbers in their real formats, and Chinese tracking timelines with anomalies.

A timeline is built as hour offsets first and then anchored either at its start (historic orders:
shipped a few hours after payment) or at its end (the story orders of open cases: "the last scan was
52 hours ago"), so every anomaly is true relative to ``now`` whatever ``now`` is.

Event ``status`` values: collected, in_transit, out_for_delivery, delivered, exception, returned.
Shipment ``status``: pending, in_transit, out_for_delivery, delivered, exception, returned.
Shipment ``anomaly``: stalled, returned, exception, address, locker_uncollected, or None.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# (name, kuaidi100 code, hub suffix, tracking-number factory key)
CARRIERS: dict[str, tuple[str, str]] = {
    "yuantong": ("圆通速递", "转运中心"),
    "zhongtong": ("中通快递", "转运中心"),
    "shunfeng": ("顺丰速运", "集散中心"),
    "yunda": ("韵达快递", "分拨中心"),
    "jd": ("京东物流", "分拣中心"),
    "jtexpress": ("极兔速递", "转运中心"),
    "youzhengguonei": ("中国邮政", "邮件处理中心"),
}
# Which couriers each platform's orders usually go out with.
PLATFORM_CARRIERS: dict[str, tuple[tuple[str, int], ...]] = {
    "taobao": (("yuantong", 4), ("zhongtong", 4), ("yunda", 3), ("shunfeng", 1), ("youzhengguonei", 1)),
    "tmall": (("shunfeng", 3), ("yuantong", 3), ("zhongtong", 3), ("yunda", 1)),
    "jd": (("jd", 9), ("shunfeng", 1)),
    "douyin": (("jtexpress", 4), ("zhongtong", 3), ("yunda", 2), ("yuantong", 1)),
    "shopify": (("shunfeng", 2), ("youzhengguonei", 1)),
}
ORIGIN = ("浙江省", "杭州市", "余杭区", "杭州")
COURIERS = ("刘师傅", "张师傅", "王师傅", "李师傅", "陈师傅", "赵师傅", "黄师傅", "周师傅")
SIGNERS = ("本人", "本人", "本人", "家人", "门卫", "前台", "快递柜")
STATIONS = ("菜鸟驿站", "丰巢智能快递柜", "妈妈驿站", "兔喜生活", "小区快递驿站")


def tracking_no(rng: random.Random, code: str) -> str:
    """A tracking number in the carrier's real shape (YT + 13 digits, SF + 13, 14-digit 中通 …)."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    if code == "yuantong":
        return "YT" + rng.choice("6789") + digits(12)
    if code == "zhongtong":
        return "7" + rng.choice("3578") + digits(12)
    if code == "shunfeng":
        return "SF1" + digits(12)
    if code == "yunda":
        return rng.choice(("43", "46", "31")) + digits(11)
    if code == "jd":
        return "JDV" + rng.choice("ABCDE") + digits(11)
    if code == "jtexpress":
        return "JT" + rng.choice("3456") + digits(12)
    return "98" + digits(11)  # 中国邮政 快递包裹: 13 digits


def _cumulative(options: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    codes, cum, total = [], [], 0
    for code, weight in options:
        total += weight
        codes.append(code)
        cum.append(total)
    return tuple(codes), tuple(cum)


_CARRIER_CUM = {platform: _cumulative(options) for platform, options in PLATFORM_CARRIERS.items()}


def pick_carrier(rng: random.Random, platform: str) -> str:
    """The courier for an order on ``platform`` (weighted; one random draw, it runs a million times)."""
    codes, cum = _CARRIER_CUM.get(platform, _CARRIER_CUM["taobao"])
    return codes[bisect.bisect_right(cum, rng.random() * cum[-1])]


@dataclass
class Route:
    """Where the parcel goes: the destination city's transfer hub, district and city."""

    carrier: str
    dest_hub_city: str
    dest_city: str
    dest_district: str


@dataclass
class Timeline:
    status: str
    anomaly: str | None
    events: list[tuple[datetime, str, str, str]]  # (at, status, location, description)
    shipped_at: datetime | None
    last_event_at: datetime | None
    delivered_at: datetime | None


def _hub(route: Route, city: str) -> str:
    return f"{city}{CARRIERS[route.carrier][1]}"


def _legs(rng: random.Random, route: Route, upto: str) -> list[tuple[float, str, str, str]]:
    """Offsets (hours after collection) of the normal scans, up to stage ``upto``.

    Stages: collected, origin_hub, dest_hub, station, out, done.
    """
    name = CARRIERS[route.carrier][0]
    origin_hub, dest_hub = _hub(route, ORIGIN[3]), _hub(route, route.dest_hub_city)
    station = f"{route.dest_city.removesuffix('市')}{route.dest_district}营业部"
    t = 0.0
    out = [(t, "collected", "杭州市", f"【杭州市余杭区】{name} 杭州余杭仓营业点 已揽收")]
    if upto == "collected":
        return out
    t += rng.uniform(2, 6)
    out.append((t, "in_transit", "杭州市", f"快件已发往【{origin_hub}】"))
    t += rng.uniform(1, 3)
    out.append((t, "in_transit", "杭州市", f"快件已到达【{origin_hub}】"))
    same_city = route.dest_hub_city == ORIGIN[3]
    if not same_city:
        t += rng.uniform(1, 3)
        out.append((t, "in_transit", "杭州市", f"快件已从【{origin_hub}】发出，下一站【{dest_hub}】"))
    if upto == "origin_hub":
        return out
    if not same_city:
        t += rng.uniform(10, 40)
        out.append((t, "in_transit", route.dest_city, f"快件已到达【{dest_hub}】"))
    if upto == "dest_hub":
        return out
    t += rng.uniform(2, 6)
    out.append((t, "in_transit", route.dest_city, f"快件已从【{dest_hub}】发出，下一站【{station}】"))
    t += rng.uniform(3, 8)
    out.append((t, "in_transit", route.dest_city, f"快件已到达【{station}】"))
    if upto == "station":
        return out
    t += rng.uniform(0.5, 3)
    courier = rng.choice(COURIERS)
    out.append((t, "out_for_delivery", route.dest_city,
                f"【{route.dest_city}{route.dest_district}】快递员 {courier} 正在派送中（联系电话："
                f"{rng.choice(('139', '158', '186', '177'))}****{rng.randint(0, 9999):04d}），请保持电话畅通"))
    return out


def build(rng: random.Random, kind: str, route: Route, *, start: datetime | None = None,
          end: datetime | None = None) -> Timeline:
    """A timeline of ``kind`` anchored at ``start`` (first scan) or ``end`` (last scan).

    Kinds: pending, in_transit, out_for_delivery, delivered, signed_other, stalled, returned,
    exception, address, locker_uncollected.
    """
    if kind == "pending":
        return Timeline("pending", None, [], None, None, None)
    status, anomaly, delivered = "in_transit", None, False
    if kind == "in_transit":
        legs = _legs(rng, route, rng.choice(("collected", "origin_hub", "dest_hub", "station")))
    elif kind == "stalled":
        legs = _legs(rng, route, rng.choice(("origin_hub", "dest_hub", "dest_hub")))
        anomaly = "stalled"
    elif kind == "out_for_delivery":
        legs, status = _legs(rng, route, "out"), "out_for_delivery"
    elif kind in ("delivered", "signed_other"):
        legs, status, delivered = _legs(rng, route, "out"), "delivered", True
        signer = rng.choice(("门卫", "家人", "前台", "快递柜")) if kind == "signed_other" else rng.choice(SIGNERS)
        legs.append((legs[-1][0] + rng.uniform(0.3, 4), "delivered", route.dest_city,
                     f"已签收，签收人：{signer}。如有疑问请联系派件员，感谢使用{CARRIERS[route.carrier][0]}"))
    elif kind == "locker_uncollected":
        legs, status, delivered, anomaly = _legs(rng, route, "out"), "delivered", True, "locker_uncollected"
        place = rng.choice(STATIONS)
        t = legs[-1][0] + rng.uniform(0.5, 3)
        legs.append((t, "delivered", route.dest_city,
                     f"快件已投递至【{place}】，请凭取件码 {rng.randint(1, 9)}-{rng.randint(1, 9)}-"
                     f"{rng.randint(1000, 9999)} 及时取件，如有疑问请联系派件员"))
        legs.append((t + 24, "delivered", route.dest_city, f"您的快件在【{place}】已存放超过24小时，请尽快取件"))
    elif kind == "returned":
        legs, status, anomaly = _legs(rng, route, "out"), "returned", "returned"
        t = legs[-1][0] + rng.uniform(1, 4)
        reason = rng.choice(("收件人拒收", "多次派送无人签收，联系不上收件人", "收件人要求退回"))
        legs.append((t, "exception", route.dest_city, f"派送不成功：{reason}"))
        legs.append((t + rng.uniform(4, 12), "returned", route.dest_city, "快件已退回，正在返回寄件人途中"))
        legs.append((legs[-1][0] + rng.uniform(6, 20), "returned", route.dest_city,
                     f"退回件已从【{_hub(route, route.dest_hub_city)}】发出，下一站【{_hub(route, ORIGIN[3])}】"))
    elif kind in ("exception", "address"):
        upto = "station" if kind == "address" else rng.choice(("dest_hub", "station"))
        legs, status, anomaly = _legs(rng, route, upto), "exception", kind
        t = legs[-1][0] + rng.uniform(1, 6)
        text = ("问题件：收件地址不详，无法派送，已联系寄件人核实地址" if kind == "address" else
                rng.choice(("问题件：外包装破损，已转至问题件处理，等待寄件人确认",
                            "问题件：快件滞留，因天气原因暂停派送，恢复后将尽快派送",
                            "问题件：面单模糊无法识别，网点正在核实")))
        legs.append((t, "exception", route.dest_city, text))
    else:
        raise ValueError(f"unknown timeline kind {kind!r}")
    span = legs[-1][0]
    if start is None:
        if end is None:
            raise ValueError("anchor the timeline with start= or end=")
        start = end - timedelta(hours=span)
    events = [(start + timedelta(seconds=int(h * 3600)), st, loc, text) for h, st, loc, text in legs]
    delivered_at = next((at for at, st, _, _ in events if st == "delivered"), None) if delivered else None
    return Timeline(status, anomaly, events, events[0][0], events[-1][0], delivered_at)


def span_hours(kind: str) -> float:
    """Longest plausible duration of a timeline of ``kind`` (used to keep historic ones in the past)."""
    return {"returned": 140.0, "locker_uncollected": 110.0}.get(kind, 90.0)
