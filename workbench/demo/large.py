"""The scale-test dataset: 100k customers, 1M orders, ~1M tracking events, 50k KB articles, 100k follow-ups.

Built for benchmarks (DESIGN.md §4), so it must finish in a few minutes on a 2-core machine:
rows are produced as plain tuples in chunks and written with raw ``executemany`` inside one
transaction, times are integer epoch seconds formatted once, order numbers come from a fixed
permutation (unique by construction, no lookup sets), and only the most recent parcels carry full
scan timelines (couriers keep tracking for about three months anyway). Foreign-key enforcement and
``synchronous`` are relaxed on this connection for the bulk load only; ``PRAGMA foreign_key_check``
runs before commit, so a broken reference still fails the generation.

The 2,000 open cases reuse the small builder's stories (:mod:`workbench.demo.small`).
"""

from __future__ import annotations

import bisect
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from workbench.demo import dataset, kbsynth, names, products, shipments
from workbench.demo.agents import AGENT_IDS, insert_agents
from workbench.demo.history import FOLLOW_UP_NOTES
from workbench.demo.scenarios import OPEN_SCENARIOS
from workbench.demo.small import Customer, SmallBuilder
from workbench.store import Store
from workbench.timefmt import to_db

DEFAULT_SIZES: dict[str, int] = {"customers": 100_000, "orders": 1_000_000, "events": 1_000_000,
                                 "kb_articles": 50_000, "follow_ups": 100_000, "open_cases": 2_000,
                                 "compensations": 20_000}
BULK_TABLES = ("customers", "orders", "order_items", "shipments", "shipment_events", "follow_ups", "compensations")
CHUNK = 20_000  # orders per executemany batch
HISTORY_DAYS = 540
PLATFORM_CUM = (35, 60, 82, 100)  # taobao, tmall, jd, douyin
PLATFORMS = ("taobao", "tmall", "jd", "douyin")
MULT = 6364136223846793005  # odd and not a multiple of 5: a permutation modulo 10**k
EVENTS_PER_TIMELINE = 7.9  # average scans of a recent parcel's timeline (measured on the generator)
RECENT_KINDS = ("delivered", "in_transit", "out_for_delivery", "stalled", "exception", "locker_uncollected",
                "returned", "address", "pending")
RECENT_CUM = (68, 80, 84, 88, 90, 93, 95, 96, 100)
# Hours between the last scan and now, per kind (stalled: more than 48 h by definition).
RECENT_GAP_H = {"delivered": (2, 27 * 24), "in_transit": (0.5, 20), "out_for_delivery": (0.2, 4),
                "stalled": (50, 150), "exception": (2, 40), "locker_uncollected": (50, 100),
                "returned": (2, 10 * 24), "address": (2, 30), "pending": (0.5, 40)}


_DAYS: dict[int, str] = {}


def _fmt(ts: int) -> str:
    """Epoch seconds as the DB's UTC text (same as ``timefmt.to_db``; days cached: ~3x faster)."""
    day, rest = divmod(ts, 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def bulk_order_no(platform: str, index: int, salt: int) -> str:
    """A platform-shaped order number, unique per index (an affine permutation of the digits)."""
    if platform == "jd":
        return "2" + f"{(index * MULT + salt) % 10**11:011d}"
    if platform == "douyin":
        return "68" + f"{(index * MULT + salt) % 10**17:017d}"
    return ("1" if platform == "taobao" else "2") + f"{(index * MULT + salt) % 10**18:018d}"


def bulk_tracking_no(code: str, index: int, salt: int) -> str:
    """A tracking number in the carrier's format, unique per index (bulk range, see shipments.tracking_no)."""
    n = (index * MULT + salt)
    if code == "yuantong":
        return "YT" + "5" + f"{n % 10**12:012d}"
    if code == "zhongtong":
        return "7" + "6" + f"{n % 10**12:012d}"
    if code == "shunfeng":
        return "SF3" + f"{n % 10**12:012d}"
    if code == "yunda":
        return "47" + f"{n % 10**11:011d}"
    if code == "jd":
        return "JDVF" + f"{n % 10**11:011d}"
    if code == "jtexpress":
        return "JT7" + f"{n % 10**12:012d}"
    return "97" + f"{n % 10**11:011d}"


class LargeBuilder:
    """Streams the bulk tables to the connection; keeps only per-customer totals in memory."""

    def __init__(self, conn: sqlite3.Connection, seed: int, now: datetime, sizes: dict[str, int]):
        self.conn, self.now, self.sizes = conn, now, sizes
        self.rng = random.Random(seed)
        self.now_ts = int(now.timestamp())
        self.story = SmallBuilder(seed, now, id_width=7, rng=self.rng)
        self.counts: dict[str, int] = {t: 0 for t in dataset.TABLE_ORDER}
        self.salt = self.rng.randrange(10**9)
        cum, total = [], 0
        for w in products.WEIGHTS:
            total += w
            cum.append(total)
        self.product_cum = cum
        self.n_item = self.n_event = 0

    # ---- customers ---------------------------------------------------------------------------------
    def make_customers(self) -> None:
        """Profiles in memory (written last, once their totals are known)."""
        b = self.story
        b.make_customers(self.sizes["customers"], english=max(5, self.sizes["customers"] // 2000))
        for cust in b.customers:
            cust.address = names.address(self.rng, cust.province, cust.city, cust.district)

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        self.counts[table] += dataset.write_rows(self.conn, table, rows)

    # ---- bulk orders -------------------------------------------------------------------------------
    def order_plan(self) -> Iterator[tuple[Customer, int | None]]:
        """(customer, created epoch or None for a recent order) for every bulk order, customers in id order.

        The recent share is sized so the recent orders' full timelines give about ``events`` scans.
        """
        rng, customers = self.rng, self.story.customers
        weights = [rng.paretovariate(1.6) for _ in customers]
        scale = (self.sizes["orders"] - len(customers)) / sum(weights)
        recent_share = min(0.5, self.sizes["events"] / max(1, self.sizes["orders"]) / EVENTS_PER_TIMELINE)
        for cust, weight in zip(customers, weights):
            first = max(int(cust.created.timestamp()), self.now_ts - HISTORY_DAYS * 86400)
            last = max(first + 86400, self.now_ts - 31 * 86400)
            for _ in range(1 + int(weight * scale + rng.random())):
                yield cust, (None if rng.random() < recent_share else rng.randint(first, last))

    def recent_timeline(self, cust: Customer, code: str) -> shipments.Timeline:
        """A full scan timeline for an order of the last four weeks, ending ``gap`` before now."""
        rng = self.rng
        kind = rng.choices(RECENT_KINDS, cum_weights=RECENT_CUM)[0]
        low, high = RECENT_GAP_H[kind]
        end = self.now - timedelta(seconds=int(rng.uniform(low, high) * 3600))
        return shipments.build(rng, kind, shipments.Route(code, cust.hub, cust.city, cust.district), end=end)

    def items(self, oid: str, out: list[tuple[Any, ...]]) -> int:
        """Append an order's lines (70 % one line, 30 % two) to ``out``; returns the order total."""
        rnd, catalog, cum, total = self.rng.random, products.CATALOG, self.product_cum, 0
        for _ in range(2 if rnd() < 0.3 else 1):
            prod = catalog[bisect.bisect_right(cum, rnd() * cum[-1])]
            unit = prod.price_fen if rnd() < 0.7 else max(100, prod.price_fen - 1000)
            title = f"{prod.title} {prod.variants[int(rnd() * len(prod.variants))]}" if prod.variants else prod.title
            self.n_item += 1
            out.append((f"oi-{self.n_item:07d}", oid, prod.sku, title, 1, unit, prod.category, int(prod.needs_guide)))
            total += unit
        return total

    def recent_parcel(self, cust: Customer, oid: str, sid: str, code: str, tracking: str,
                      ships: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> tuple[int, int, str]:
        """A parcel of the last four weeks with its full scans; returns (created, last activity, status)."""
        rng = self.rng
        line = self.recent_timeline(cust, code)
        if line.shipped_at is None:
            created = self.now_ts - int(rng.random() * 40 * 3600) - 600
        else:
            created = int(line.shipped_at.timestamp()) - 3 * 3600 - int(rng.random() * 27 * 3600)
        last_ev = to_db(line.last_event_at) if line.last_event_at else None
        ships.append((sid, oid, shipments.CARRIERS[code][0], code, tracking, line.status,
                      to_db(line.shipped_at) if line.shipped_at else None, last_ev,
                      to_db(line.delivered_at) if line.delivered_at else None, line.anomaly, last_ev,
                      last_ev or _fmt(created)))
        for at, status, location, text in line.events:
            self.n_event += 1
            events.append((f"se-{self.n_event:07d}", sid, to_db(at), status, location, text))
        last = int(line.last_event_at.timestamp()) if line.last_event_at else created
        return created, last, self.story.order_status(line, False)

    def make_orders(self) -> None:
        """Stream the bulk orders with their lines, parcels and scans, CHUNK orders per write."""
        rnd = self.rng.random
        orders: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        ships: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        labels: dict[tuple[str, str], str] = {}
        index = 0
        for index, (cust, created) in enumerate(self.order_plan(), start=1):
            oid, sid = f"o-{index:07d}", f"s-{index:07d}"
            platform = PLATFORMS[bisect.bisect_right(PLATFORM_CUM, rnd() * 100)] if cust.lang == "zh" else "shopify"
            total = self.items(oid, items)
            code = shipments.pick_carrier(self.rng, platform)
            tracking = bulk_tracking_no(code, index, self.salt)
            status, refunded, paid = "completed", 0, total
            if created is None:  # recent: the parcel's story decides the times
                created, last, status = self.recent_parcel(cust, oid, sid, code, tracking, ships, events)
            else:  # history: delivered (or closed before payment, or refunded); scans long purged
                roll = rnd()
                if roll < 0.03:
                    status, paid = "closed", 0
                elif roll < 0.07:
                    status, refunded = "refunded", total
                last = created
                if status != "closed":
                    shipped = created + 3 * 3600 + int(rnd() * 27 * 3600)
                    last = shipped + 30 * 3600 + int(rnd() * 60 * 3600)
                    done = _fmt(last)
                    ships.append((sid, oid, shipments.CARRIERS[code][0], code, tracking, "delivered", _fmt(shipped),
                                  done, done, None, None, done))
            paid_ts = created + 20 + int(rnd() * 880)
            label = labels.get((cust.province, cust.city))
            if label is None:
                label = labels[(cust.province, cust.city)] = names.region_label(cust.province, cust.city)
            orders.append((oid, bulk_order_no(platform, index, self.salt), platform, cust.id, status, total, paid,
                           refunded, cust.name, cust.phone, cust.address, label, _fmt(created),
                           _fmt(paid_ts) if paid else None, _fmt(max(last, paid_ts if paid else created))))
            cust.base_value += paid - refunded
            cust.base_orders += 1
            if len(orders) >= CHUNK:
                self.flush(orders, items, ships, events)
        self.flush(orders, items, ships, events)
        self.story.n_orders = self.story.n_ship = index
        self.story.n_items, self.story.n_events = self.n_item, self.n_event

    def flush(self, *batches: list[tuple[Any, ...]]) -> None:
        for table, rows in zip(("orders", "order_items", "shipments", "shipment_events"), batches):
            self.write(table, rows)
            rows.clear()

    # ---- cases, customers, follow-ups ----------------------------------------------------------------
    def make_cases(self) -> None:
        """Open cases from the scenario stories, one customer each, opened over the last 90 minutes."""
        rng, b = self.rng, self.story
        zh = [c for c in b.customers if c.lang == "zh"]
        en = [c for c in b.customers if c.lang == "en"]
        picked_zh = rng.sample(zh, min(len(zh), self.sizes["open_cases"]))
        for n in range(self.sizes["open_cases"]):
            sc = OPEN_SCENARIOS[n % len(OPEN_SCENARIOS)]
            cust = en[n % len(en)] if sc.lang == "en" else picked_zh[n % len(picked_zh)]
            opened = self.now - timedelta(seconds=rng.randint(30, 90 * 60))
            b.open_case(sc, cust, opened)
        for table in ("orders", "order_items", "shipments", "shipment_events", "cases", "messages"):
            self.write(table, b.data.rows[table])

    def make_customers_rows(self) -> None:
        rows = []
        for cust in self.story.customers:
            story_value = sum(o["paid"] - o["refunded"] for o in cust.orders)
            rows.append((cust.id, cust.name, cust.nick, cust.phone, cust.email, SmallBuilder.vip_level(cust),
                         cust.base_value + story_value, cust.base_orders + len(cust.orders),
                         names.region_label(cust.province, cust.city), "[]", "demo", None, to_db(cust.created),
                         to_db(self.now - timedelta(days=1))))
        self.write("customers", rows)

    def make_follow_ups(self) -> None:
        """Mostly done care calls (history), some scheduled, some overdue; every agent owns some."""
        rng, now_ts = self.rng, self.now_ts
        customers = self.story.customers
        cases = [(r[0], r[1], r[16]) for r in self.story.data.rows["cases"]]
        kinds = tuple(FOLLOW_UP_NOTES)
        rows = []
        for n in range(1, self.sizes["follow_ups"] + 1):
            kind = kinds[n % len(kinds)]
            case_id, cust_id, owner = cases[n % len(cases)] if n <= len(cases) else (None, rng.choice(customers).id, None)
            owner = owner or AGENT_IDS[n % 3]
            roll = rng.random()
            if case_id is not None:  # promised on a case opened in the last 90 minutes
                due = now_ts + rng.randint(-1800, 3 * 86400)
                rows.append((f"fu-{n:07d}", case_id, cust_id, owner, kind, rng.choice(FOLLOW_UP_NOTES[kind]),
                             _fmt(due), "{}", "scheduled", owner, _fmt(now_ts - rng.randint(0, 600)), owner,
                             _fmt(now_ts - rng.randint(0, 600)), None, None))
                continue
            if roll < 0.85:
                due = now_ts - rng.randint(86400, 300 * 86400)
                status, done = "done", due + rng.randint(0, 7200)
            elif roll < 0.9:
                due, status, done = now_ts - rng.randint(60, 3 * 86400), "scheduled", None  # overdue
            elif roll < 0.92:
                due, status, done = now_ts - rng.randint(86400, 90 * 86400), "cancelled", None
            else:
                due, status, done = now_ts + rng.randint(600, 14 * 86400), "scheduled", None
            created = min(now_ts, due - rng.randint(3600, 3 * 86400))
            rows.append((f"fu-{n:07d}", case_id, cust_id, owner, kind, rng.choice(FOLLOW_UP_NOTES[kind]), _fmt(due),
                         "{}", status, owner, _fmt(created), owner, _fmt(done or created), _fmt(done) if done else None,
                         "已回访，顾客表示满意" if done else None))
        self.write("follow_ups", rows)


COMPENSATION_MIX = (("coupon", 1000, 45), ("partial_refund", 3000, 20), ("reship", 15000, 15),
                    ("return_shipping", 1200, 10), ("goodwill_payment", 2000, 5), ("full_refund", 20000, 5))


def make_compensations(builder: LargeBuilder, count: int) -> None:
    """Issued compensations over the last 180 days (budgets, 30/90-day customer totals have data)."""
    rng, now_ts, customers = builder.rng, builder.now_ts, builder.story.customers
    cum, total = [], 0
    for _, _, weight in COMPENSATION_MIX:
        total += weight
        cum.append(total)
    rows = []
    for n in range(1, count + 1):
        action, amount, _ = COMPENSATION_MIX[bisect.bisect_right(cum, rng.random() * total)]
        at = _fmt(now_ts - int(rng.random() * 180 * 86400))
        rows.append((f"cp-{n:07d}", None, customers[int(rng.random() * len(customers))].id, None,
                     AGENT_IDS[n % 3], action, amount, "历史补偿", "issued", '{"source": "demo"}', 0, at, at))
    builder.write("compensations", rows)


def drop_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes of the bulk tables; returns their SQL to recreate them.

    Building an index once over sorted keys is far cheaper than updating it a million times in random
    key order (order numbers, tracking numbers). Whatever indexes later migrations add are kept: the
    SQL is read back from ``sqlite_master``, not hard-coded.
    """
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
        f"({', '.join('?' * len(BULK_TABLES))}) ORDER BY name", BULK_TABLES).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in rows]


def generate(store: Store, seed: int, now: datetime, sizes: dict[str, int] | None = None) -> dict[str, int]:
    """Write the large dataset into an empty cache (the caller has validated arguments)."""
    size = {**DEFAULT_SIZES, **(sizes or {})}
    conn = store.conn
    old_sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    try:
        with store.write() as tx:
            insert_agents(tx, now)
            index_sql = drop_indexes(tx)
            builder = LargeBuilder(tx, seed, now, size)
            builder.make_customers()
            builder.make_orders()
            builder.make_cases()
            builder.make_customers_rows()
            builder.make_follow_ups()
            make_compensations(builder, size["compensations"])
            builder.counts["kb_articles"] = kbsynth.write(tx, builder.rng, now, size["kb_articles"])
            for sql in index_sql:
                tx.execute(sql)
            broken = tx.execute("PRAGMA foreign_key_check").fetchmany(5)
            if broken:
                raise RuntimeError(f"large demo data has broken references: {[tuple(r) for r in broken]}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA synchronous = {int(old_sync)}")
        conn.execute("PRAGMA cache_size = -32000")
    return builder.counts
