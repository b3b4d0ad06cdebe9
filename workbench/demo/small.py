"""The small demo shop: ~200 customers, ~1,000 orders with parcels, and 40 open cases with real stories.

Built in memory from one ``random.Random(seed)`` and the given ``now``; nothing reads the clock. The
open cases' orders are made for their story (the stalled-parcel case really has a stalled parcel);
the other orders are a year and a half of ordinary trade with a few anomalies of their own.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workbench.demo import names, products, shipments
from workbench.demo.dataset import Dataset
from workbench.demo.scenarios import AFTER_SALES, INTENT_WEIGHT, OPEN_SCENARIOS, THREATS, Scenario, cues_for
from workbench.timefmt import to_db

N_CUSTOMERS = 200
N_EN_CUSTOMERS = 6
TARGET_ORDERS = 1000
PLATFORMS = (("taobao", 35), ("tmall", 25), ("jd", 22), ("douyin", 18))
ASSIGNEES = (("a-lina", 62), ("a-chenjie", 15), ("a-wangqiang", 13), (None, 10))
SLA_MINUTES = {"general": 5, "after_sales": 10, "urgent_complaint": 0, "vip": 15}
# Shipment states of ordinary recent orders (not tied to a case).
RECENT_KINDS = (("delivered", 62), ("in_transit", 14), ("out_for_delivery", 4), ("pending", 8), ("stalled", 4),
                ("exception", 2), ("address", 1), ("returned", 2), ("locker_uncollected", 3))


@dataclass
class Customer:
    id: str
    name: str
    gender: str
    nick: str
    phone: str
    email: str | None
    province: str
    city: str
    district: str
    hub: str
    created: datetime
    lang: str = "zh"
    address: str = ""  # home address (large scale reuses it for every order)
    base_value: int = 0  # spend outside ``orders`` (large scale: the bulk orders), counts toward VIP
    base_orders: int = 0  # orders outside ``orders`` (large scale: the bulk orders)
    flags: list[str] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)  # {id, created, status, paid, refunded, product}


def _w(rng: random.Random, options: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


class SmallBuilder:
    """Accumulates the rows of the small dataset; :mod:`workbench.demo.history` adds the past."""

    def __init__(self, seed: int, now: datetime, id_width: int = 6, rng: random.Random | None = None):
        self.rng = rng or random.Random(seed)
        self.id_width = id_width
        self.now = now
        self.data = Dataset()
        self.customers: list[Customer] = []
        self.order_nos: set[tuple[str, str]] = set()
        self.n_orders = self.n_items = self.n_ship = self.n_events = 0
        self.n_cases = self.n_messages = 0
        self.shopify_no = 1000

    # ---- ids --------------------------------------------------------------------------------------
    def next_id(self, kind: str) -> str:
        attr = {"o": "n_orders", "oi": "n_items", "s": "n_ship", "se": "n_events", "c": "n_cases",
                "m": "n_messages"}[kind]
        value = getattr(self, attr) + 1
        setattr(self, attr, value)
        return f"{kind}-{value:0{self.id_width}d}"

    def order_no(self, platform: str) -> str:
        rng = self.rng
        while True:
            if platform in ("taobao", "tmall"):
                # Leading 3/4 (and 3 for JD, 69 for 抖音): the large scale's bulk orders use other
                # prefixes, so story orders can never collide with them.
                number = str(rng.randint(3, 4)) + "".join(rng.choice("0123456789") for _ in range(18))
            elif platform == "jd":
                number = "3" + "".join(rng.choice("0123456789") for _ in range(11))
            elif platform == "douyin":
                number = "69" + "".join(rng.choice("0123456789") for _ in range(17))
            else:
                self.shopify_no += 1
                number = f"#{self.shopify_no}"
            if (platform, number) not in self.order_nos:
                self.order_nos.add((platform, number))
                return number

    # ---- customers --------------------------------------------------------------------------------
    def make_customers(self, count: int = N_CUSTOMERS, english: int = N_EN_CUSTOMERS) -> None:
        rng = self.rng
        for index in range(count):
            cid = f"cu-{index + 1:06d}"
            province, city, district, hub = names.region(rng)
            if index >= count - english:
                name, nick, gender = names.EN_NAMES[(index - (count - english)) % len(names.EN_NAMES)]
                email, lang = f"{nick.replace('.', '')}@example.com", "en"
                province, city, district, hub = "上海市", "上海市", "浦东新区", "上海转运中心"
            else:
                name, gender = names.person(rng)
                nick, email, lang = names.nickname(rng, name, gender), None, "zh"
            created = self.now - timedelta(days=rng.uniform(60, 900), seconds=rng.randint(0, 86399))
            self.customers.append(Customer(cid, name, gender, nick, names.masked_phone(rng), email, province,
                                           city, district, hub.removesuffix("转运中心"), created, lang))

    # ---- orders -----------------------------------------------------------------------------------
    def add_order(self, cust: Customer, platform: str, product: products.Product, kind: str, *,
                  start: datetime | None = None, end: datetime | None = None, variant: str | None = None,
                  extra_items: int = 0, refund: bool = False) -> tuple[str, shipments.Timeline]:
        """One order with its items, parcel and scans; returns (order id, timeline)."""
        rng = self.rng
        oid = self.next_id("o")
        route = shipments.Route(shipments.pick_carrier(rng, platform), cust.hub, cust.city, cust.district)
        if kind in ("pending", "unpaid", "closed"):
            created = end or start or self.now
            line = shipments.build(rng, "pending", route)
        else:
            line = shipments.build(rng, kind, route, start=start, end=end)
            created = line.shipped_at - timedelta(hours=rng.uniform(3, 30))  # type: ignore[operator]
        paid_at: datetime | None = created + timedelta(seconds=rng.randint(20, 900))
        items = [(product, variant)] + [(products.pick(rng), None) for _ in range(extra_items)]
        total = 0
        for prod, var in items:
            qty = 1 if rng.random() < 0.85 or prod.price_fen > 30000 else 2
            unit = products.price(rng, prod)
            total += unit * qty
            self.data.add("order_items", (self.next_id("oi"), oid, prod.sku, products.item_title(rng, prod, var),
                                          qty, unit, prod.category, int(prod.needs_guide)))
        paid = total - (rng.choice((500, 1000, 2000)) if total > 10000 and rng.random() < 0.2 else 0)
        status = kind if kind in ("unpaid", "closed") else self.order_status(line, refund)
        if status in ("unpaid", "closed"):
            paid, paid_at = 0, None
        refunded = paid if status == "refunded" else 0
        receiver = cust.name if rng.random() < 0.9 else cust.name[0] + rng.choice(("先生", "女士"))
        updated = max(paid_at or created, line.last_event_at or created)
        self.data.add("orders", (oid, self.order_no(platform), platform, cust.id, status, total, paid, refunded,
                                 receiver, cust.phone, names.address(rng, cust.province, cust.city, cust.district),
                                 names.region_label(cust.province, cust.city), to_db(created),
                                 to_db(paid_at) if paid_at else None, to_db(updated)))
        if status not in ("unpaid", "closed"):
            self.add_shipment(oid, route, line)
        cust.orders.append({"id": oid, "created": created, "status": status, "paid": paid, "refunded": refunded,
                            "product": product, "line": line})
        return oid, line

    def order_status(self, line: shipments.Timeline, refund: bool) -> str:
        """Order status from the parcel, in the import vocabulary (``services.ingest.ORDER_STATUSES``).

        Once the parcel is signed for, the order says so too (``delivered``, 已签收 — the buyer has not
        confirmed receipt yet), so the agent never sees 已发货 next to a parcel marked 已签收; the platform
        auto-confirms it ten days after delivery (``completed``).
        """
        if refund:
            return "refunding"
        if line.status == "pending":
            return "paid"
        if line.status == "returned":
            return "refunding"
        if line.status == "delivered":
            old = line.delivered_at is not None and self.now - line.delivered_at > timedelta(days=10)
            return "completed" if old else "delivered"
        return "shipped"

    def add_shipment(self, oid: str, route: shipments.Route, line: shipments.Timeline) -> None:
        sid = self.next_id("s")
        carrier = shipments.CARRIERS[route.carrier][0]
        fmt = lambda d: to_db(d) if d else None  # noqa: E731
        refreshed = fmt(self.now - timedelta(minutes=self.rng.randint(5, 90))) if line.events else None
        self.data.add("shipments", (sid, oid, carrier, route.carrier, shipments.tracking_no(self.rng, route.carrier),
                                    line.status, fmt(line.shipped_at), fmt(line.last_event_at),
                                    fmt(line.delivered_at), line.anomaly, refreshed,
                                    fmt(line.last_event_at) or to_db(self.now)))
        for at, status, location, text in line.events:
            self.data.add("shipment_events", (self.next_id("se"), sid, to_db(at), status, location, text))

    def platform_for(self, cust: Customer) -> str:
        return "shopify" if cust.lang == "en" else _w(self.rng, PLATFORMS)

    def make_orders(self, target: int = TARGET_ORDERS, reserved: int = len(OPEN_SCENARIOS)) -> None:
        """Ordinary orders: a long tail of loyal customers, ~20 % in the last three weeks."""
        rng = self.rng
        weights = [rng.paretovariate(1.6) for _ in self.customers]
        scale = (target - reserved - len(self.customers)) / sum(weights)
        for cust, weight in zip(self.customers, weights):
            for _ in range(1 + int(weight * scale + rng.random())):
                product = products.pick(rng)
                recent = rng.random() < 0.2
                extra = 1 if rng.random() < 0.18 else 0
                if recent:
                    kind = _w(rng, RECENT_KINDS)
                    age = timedelta(hours=rng.uniform(1, 21 * 24) if kind != "stalled" else rng.uniform(50, 150))
                    if kind == "pending":
                        age = timedelta(hours=rng.uniform(1, 40))
                    if rng.random() < 0.04:
                        kind, age = "unpaid", timedelta(hours=rng.uniform(0.2, 20))
                    self.add_order(cust, self.platform_for(cust), product, kind, end=self.now - age,
                                   extra_items=extra)
                else:
                    first = max(cust.created, self.now - timedelta(days=540))
                    last = max(first + timedelta(days=1), self.now - timedelta(days=22))
                    start = first + (last - first) * rng.random()
                    refunded = rng.random() < 0.05
                    kind = "returned" if refunded and rng.random() < 0.3 else "delivered"
                    if not refunded and rng.random() < 0.03:
                        kind = "closed"  # cancelled before payment
                    self.add_order(cust, self.platform_for(cust), product, kind, start=start, extra_items=extra)
                    if refunded:
                        self.mark_refunded(cust)

    def mark_refunded(self, cust: Customer) -> None:
        """Turn the customer's latest order into a refunded one (returned goods, money back)."""
        order = cust.orders[-1]
        order["status"], order["refunded"] = "refunded", order["paid"]
        rows = self.data.rows["orders"]
        row = rows[-1]
        rows[-1] = row[:4] + ("refunded", row[5], row[6], row[6]) + row[8:]

    # ---- open cases -------------------------------------------------------------------------------
    def case_customers(self, abusers: list[Customer]) -> list[Customer]:
        """One distinct customer per scenario: English ones for English stories, VIPs where required,
        the frequent "not received" claimers for the signed-but-not-received stories."""
        rng = self.rng
        zh = [c for c in self.customers if c.lang == "zh" and c not in abusers]
        en = [c for c in self.customers if c.lang == "en"]
        rng.shuffle(zh)
        picked: list[Customer] = []
        abuse_iter = iter(abusers)
        for sc in OPEN_SCENARIOS:
            if sc.lang == "en":
                picked.append(en.pop(0))
            elif sc.ship == "signed_other" and abusers:
                picked.append(next(abuse_iter, None) or zh.pop())
            elif sc.vip:
                match = next(c for c in zh if self.vip_level(c) >= sc.vip)
                zh.remove(match)
                picked.append(match)
            else:
                picked.append(zh.pop())
        return picked

    @staticmethod
    def vip_level(cust: Customer) -> int:
        """VIP level from lifetime spend (¥800 / ¥2,500 / ¥6,000), as shop membership tiers work."""
        value = cust.base_value + sum(o["paid"] - o["refunded"] for o in cust.orders)
        return 3 if value >= 600000 else 2 if value >= 250000 else 1 if value >= 80000 else 0

    def make_open_cases(self, customers: list[Customer]) -> None:
        rng = self.rng
        for sc, cust in zip(OPEN_SCENARIOS, customers):
            # A live shift: most cases arrived in the last few minutes (countdowns still running), some
            # are due soon, a few have already breached their first-response SLA.
            roll = rng.random()
            minutes = rng.uniform(0.5, 8) if roll < 0.7 else rng.uniform(8, 20) if roll < 0.9 else rng.uniform(20, 60)
            opened = self.now - timedelta(seconds=int(minutes * 60))
            self.open_case(sc, cust, opened)

    def open_case(self, sc: Scenario, cust: Customer, opened: datetime, case_id: str | None = None,
                  assignee: str | None | bool = False) -> str:
        """A new case from ``sc`` for ``cust`` opened at ``opened``, with its story order and messages."""
        rng = self.rng
        product = products.BY_KEY[sc.product]
        variant = sc.variant or (rng.choice(product.variants) if product.variants else None)
        end = opened - timedelta(hours=rng.uniform(*sc.age_h))
        oid, line = self.add_order(cust, self.platform_for(cust), product, sc.ship, end=end, variant=variant,
                                   refund=sc.refund)
        order_row = self.data.rows["orders"][-1]
        ship_row = self.data.rows["shipments"][-1]
        fields = {"short": product.short, "title": product.title, "variant": variant or "",
                  "order_no": order_row[1], "tracking": ship_row[4], "carrier": ship_row[2],
                  "address_fix": f"{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{rng.randint(1, 33)}01室",
                  "station": next((text.split("【", 1)[1].split("】", 1)[0] for _, _, _, text in line.events
                                   if text.startswith("快件已投递至【")), "驿站")}
        texts = [m.format(**fields) for m in sc.messages]
        cid = case_id or self.next_id("c")
        at = opened
        for text in texts:
            self.data.add("messages", (self.next_id("m"), cid, "customer", None, text, to_db(min(at, self.now))))
            at += timedelta(seconds=rng.randint(15, 150))
        vip = self.vip_level(cust)
        joined = "\n".join(texts)
        threat = any(w in joined or w in joined.lower() for w in THREATS)
        if sc.intent == "complaint" or (sc.emotion == "angry" and threat):
            sla_kind = "urgent_complaint"
        elif vip >= 2:
            sla_kind = "vip"
        elif sc.intent in AFTER_SALES:
            sla_kind = "after_sales"
        else:
            sla_kind = "general"
        urgent = int(sla_kind == "urgent_complaint")
        wait = (self.now - opened).total_seconds() / 60
        priority = min(100, {"angry": 30, "anxious": 15, "calm": 0}[sc.emotion] + 25 * urgent + 5 * vip
                       + INTENT_WEIGHT[sc.intent] + min(10, int(wait / 9)))
        if assignee is False:
            assignee = _w(rng, ASSIGNEES)
        updated = to_db(min(at - timedelta(seconds=1), self.now))
        self.data.add("cases", (cid, cust.id, oid, "email" if sc.lang == "en" and rng.random() < 0.5 else "chat",
                                sc.subject, sc.intent, sc.emotion, urgent, priority,
                                json.dumps(cues_for(joined, vip), ensure_ascii=False), sla_kind,
                                to_db(opened + timedelta(minutes=SLA_MINUTES[sla_kind])), None, None, "empathize",
                                "open", assignee, to_db(opened), updated, None))
        return cid
