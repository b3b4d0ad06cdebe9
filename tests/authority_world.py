"""A small, fully known world for the authority tests: the demo team, customers, orders, cases.

The demo dataset is random-ish and owned by another feature; these tests need exact figures (item
values, delivery times for the 七天无理由 boundary, excluded goods), so they build their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from workbench import i18n
from workbench.clock import FrozenClock
from workbench.context import Context, open_context
from workbench.demo.agents import insert_agents
from workbench.store import Store
from workbench.timefmt import to_db

# (order suffix, title, category, price_fen, delivered days before now or None)
ORDERS: tuple[tuple[str, str, str, int, float | None], ...] = (
    ("kettle", "家用电热水壶 1.7L", "小家电", 19900, 3),
    ("fruit", "智利车厘子 2kg 礼盒", "生鲜", 8800, 1),
    ("jacket", "羽绒服 女 中长款 M码", "服饰", 69900, 10),
    ("watch", "智能手表 心率血氧", "数码配件", 159900, None),
)
NAMES = ("王磊", "陈静", "Zhang Wei", "刘洋", "赵雪", "孙楠")


@dataclass
class World:
    customers: list[str] = field(default_factory=list)
    cases: dict[str, list[str]] = field(default_factory=dict)  # customer -> case ids
    orders: dict[str, str] = field(default_factory=dict)  # case id -> order id

    def all_cases(self) -> list[str]:
        return [c for cases in self.cases.values() for c in cases]


def build_world(store: Store, now: datetime, customers: int = 3, cases_per_customer: int = 4) -> World:
    """Insert agents, customers, orders (4 kinds), shipments and cases with a first customer message."""
    world = World()
    stamp = to_db(now - timedelta(days=30))
    with store.write() as conn:
        insert_agents(conn, now)
        for k in range(customers):
            cid = f"cu-{k + 1}"
            world.customers.append(cid)
            conn.execute(
                "INSERT INTO customers (id, name, vip_level, lifetime_value_fen, order_count, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (cid, NAMES[k % len(NAMES)], k % 3, 342000 if k != 2 else 20000,
                                                 4, stamp, stamp))
            for suffix, title, category, price, delivered in ORDERS:
                oid = f"o-{k + 1}-{suffix}"
                conn.execute(
                    "INSERT INTO orders (id, order_no, platform, customer_id, status, total_fen, paid_fen, "
                    "refunded_fen, created_at, paid_at, updated_at) VALUES (?, ?, 'taobao', ?, ?, ?, ?, 0, ?, ?, ?)",
                    (oid, f"J{k + 1}{len(suffix):02d}{price}", cid, "delivered" if delivered else "shipped",
                     price, price, stamp, stamp, stamp))
                conn.execute(
                    "INSERT INTO order_items (id, order_id, sku, title, qty, price_fen, category) "
                    "VALUES (?, ?, ?, ?, 1, ?, ?)", (f"oi-{oid}", oid, suffix.upper(), title, price, category))
                delivered_at = to_db(now - timedelta(days=delivered)) if delivered is not None else None
                conn.execute(
                    "INSERT INTO shipments (id, order_id, carrier, carrier_code, tracking_no, status, shipped_at, "
                    "delivered_at, updated_at) VALUES (?, ?, '圆通', 'yuantong', ?, ?, ?, ?, ?)",
                    (f"s-{oid}", oid, f"YT{k}{price}", "delivered" if delivered_at else "in_transit", stamp,
                     delivered_at, stamp))
            world.cases[cid] = []
            for j in range(cases_per_customer):
                case_id = f"ca-{k + 1}-{j + 1}"
                order_id = f"o-{k + 1}-{ORDERS[j % len(ORDERS)][0]}"
                opened = to_db(now - timedelta(hours=2))
                conn.execute(
                    "INSERT INTO cases (id, customer_id, order_id, subject, intent, opened_at, updated_at, "
                    "assignee_id) VALUES (?, ?, ?, ?, 'damaged_item', ?, ?, 'a-lina')",
                    (case_id, cid, order_id, "收到的东西坏了", opened, opened))
                conn.execute(
                    "INSERT INTO messages (id, case_id, author, body, at) VALUES (?, ?, 'customer', ?, ?)",
                    (f"m-{case_id}", case_id, "收到的水壶外壳裂了,怎么处理?", opened))
                world.cases[cid].append(case_id)
                world.orders[case_id] = order_id
    return world


def world_context(db: Path, clock: FrozenClock, agent: str = "a-lina", **kwargs: object) -> Context:
    """A Context on ``db`` signed in as ``agent`` (the same factory the CLI and the App use)."""
    return open_context(db=db, agent=agent, clock=clock, **kwargs)  # type: ignore[arg-type]


def as_agent(ctx: Context, agent: str) -> Context:
    """The same cache and clock, another signed-in agent (a lead at the next desk)."""
    return Context(store=ctx.store, clock=ctx.clock, settings=ctx.settings, paths=ctx.paths,
                   agent_id=agent, lang=ctx.lang)


@pytest.fixture(autouse=False)
def zh_language() -> Iterator[None]:
    """Tests that read zh-CN strings start (and leave the process) in zh, whatever ran before."""
    i18n.set_language("zh")
    yield
    i18n.set_language("zh")
