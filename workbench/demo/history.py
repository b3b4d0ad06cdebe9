"""The demo shop's past: closed cases, compensations already issued, follow-ups, and customer totals.

"Previous cases" and "compensation in the last 30/90 days" on the customer 360 need history, and the
abuse guard needs a couple of customers who claimed "not received" again and again: those get the
``frequent_not_received`` flag and several reships/refunds in the last 90 days.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from workbench.demo.agents import AGENT_IDS
from workbench.demo.names import region_label
from workbench.demo.small import Customer, SmallBuilder
from workbench.timefmt import to_db

AGENTS = AGENT_IDS[:3]
# (intent, subject, customer message, agent reply, compensation action or None, amount in fen or None=price)
PAST: tuple[tuple[str, str, str, str, str | None, int | None], ...] = (
    ("where_is_order", "询问发货时间", "请问什么时候发货？", "您好，您的订单已打包，今天18点前发出，单号稍后同步给您。", None, 0),
    ("damaged_item", "到货破损，已补发", "收到的东西有破损，外箱都压扁了", "非常抱歉让您收到破损的商品，已为您安排补发，单号明天同步给您。", "reship", None),
    ("size_or_exchange", "尺码不合适换货", "衣服小了想换大一码", "好的，已为您登记换货，寄回时运费我们承担，收到后48小时内发出新尺码。", "exchange", 0),
    ("return_refund_request", "七天无理由退货", "不想要了可以退吗", "可以的，商品完好不影响二次销售即可，退货地址已发您，收到后48小时内退款。", None, 0),
    ("refund_status", "退款到账时间咨询", "退款什么时候到账", "退款已于今天原路退回，支付宝一般即时到账，银行卡1-3个工作日。", None, 0),
    ("delivery_problem", "物流延误安抚", "快递好几天没动了", "已联系快递加急处理，同时送您一张10元无门槛券表示歉意，明天中午前回复您进展。", "coupon", 1000),
    ("price_promo", "降价申请价保", "买完就降价了", "已为您核实，在价保期内，差价30元已退回原支付账户。", "partial_refund", 3000),
    ("invoice", "开具电子发票", "麻烦开个发票", "电子发票已开具，已发送到您的邮箱，请注意查收。", None, 0),
    ("product_usage", "使用咨询", "这个怎么清洗", "已把图文清洗教程发您，按步骤操作即可，有问题随时找我。", None, 0),
    ("warranty_repair", "保修期内维修", "用了几个月坏了", "在保修期内，已为您预约上门检测，师傅会提前电话联系您。", "repair_visit", 0),
    ("complaint", "服务态度投诉", "之前的客服态度很差", "非常抱歉给您带来不好的体验，已反馈给主管，并送您20元券表示歉意。", "goodwill_payment", 2000),
    ("wrong_or_missing_item", "少发配件补寄", "少了一个配件", "抱歉是我们漏发了，配件今天补寄，顺丰发出。", "reship", 1500),
    ("return_refund_request", "质量问题退货退款", "用了两天就坏了要退", "质量问题退货运费由我们承担，已补贴运费12元，收到退货后立即退款。", "return_shipping", 1200),
)
NOT_RECEIVED = ("delivery_problem", "签收未收到", "显示签收了但我没收到", "已为您核实，按签收未收到流程处理，为您安排补发/退款。")
FOLLOW_UP_NOTES: dict[str, tuple[str, ...]] = {
    "call_back": ("致电顾客说明处理进展", "回电确认顾客是否方便收货"),
    "check_delivery": ("确认补发件已送达", "催件后跟进物流是否恢复更新", "确认换货新件已签收"),
    "check_satisfaction": ("回访顾客对处理结果是否满意", "确认商品已正常使用"),
    "confirm_refund": ("确认退款已原路到账", "确认差价已退回"),
    "promised_action": ("答应顾客今天18点前给发票", "答应顾客明天中午前回复快递调查结果"),
}


def _pick_order(rng: random.Random, cust: Customer, before: datetime) -> dict | None:
    older = [o for o in cust.orders if o["created"] < before - timedelta(days=1) and o["paid"] > 0]
    return rng.choice(older) if older else None


def add_past_case(b: SmallBuilder, cust: Customer, spec: tuple, opened: datetime) -> str:
    """A closed case with the customer's question and the agent's answer."""
    rng = b.rng
    intent, subject, ask, reply = spec[:4]
    order = _pick_order(rng, cust, opened)
    cid = b.next_id("c")
    agent = rng.choice(AGENTS)
    first = opened + timedelta(minutes=rng.uniform(0.5, 9))
    closed = first + timedelta(hours=rng.uniform(0.2, 50))
    b.data.add("messages", (b.next_id("m"), cid, "customer", None, ask, to_db(opened)))
    b.data.add("messages", (b.next_id("m"), cid, "agent", agent, reply, to_db(first)))
    sla_kind = "after_sales" if intent not in ("where_is_order", "invoice", "product_usage", "price_promo") else "general"
    due = opened + timedelta(minutes=10 if sla_kind == "after_sales" else 5)
    b.data.add("cases", (cid, cust.id, order["id"] if order else None, "chat", subject, intent, "calm", 0, 0, "[]",
                         sla_kind, to_db(due), to_db(first), None, "close", "closed", agent, to_db(opened),
                         to_db(closed), to_db(closed)))
    return cid


def add_compensation(b: SmallBuilder, cust: Customer, case_id: str, action: str, amount: int, reason: str,
                     at: datetime, agent: str, order_id: str | None) -> None:
    n = len(b.data.rows["compensations"]) + 1
    context = json.dumps({"source": "demo"}, ensure_ascii=False)
    b.data.add("compensations", (f"cp-{n:06d}", case_id, cust.id, order_id, agent, action, amount, reason,
                                 "issued", context, 0, to_db(at), to_db(at)))


def make_history(b: SmallBuilder, abusers: list[Customer], case_customers: list[Customer], target: int = 60) -> None:
    """~60 closed cases (with compensations where the story had one) and the abusers' repeated claims."""
    rng, now = b.rng, b.now
    made = 0
    for cust in abusers:
        for k in range(rng.randint(3, 4)):
            opened = now - timedelta(days=rng.uniform(5 + 20 * k, 20 + 20 * k), minutes=rng.randint(0, 600))
            cid = add_past_case(b, cust, NOT_RECEIVED, opened)
            order = _pick_order(rng, cust, opened)
            action = rng.choice(("reship", "full_refund", "reship"))
            amount = order["paid"] if order and action == "full_refund" else (order["product"].price_fen if order else 9900)
            add_compensation(b, cust, cid, action, amount, "顾客称已签收未收到", opened + timedelta(hours=2),
                             rng.choice(AGENTS), order["id"] if order else None)
            made += 1
        cust.flags.append("frequent_not_received")
    pool = [c for c in case_customers if c not in abusers] + [c for c in b.customers if c not in case_customers]
    while made < target:
        cust = pool[made % len(pool)] if made < len(case_customers) else rng.choice(pool)
        spec = rng.choices(PAST, [3 if p[4] else 1 for p in PAST])[0]
        opened = now - timedelta(days=rng.uniform(2, 150), minutes=rng.randint(0, 600))
        cid = add_past_case(b, cust, spec, opened)
        action, amount = spec[4], spec[5]
        if action and opened > now - timedelta(days=90):
            order = _pick_order(rng, cust, opened)
            if amount is None:
                amount = order["product"].price_fen if order else 9900
            add_compensation(b, cust, cid, action, amount, spec[1], opened + timedelta(minutes=rng.randint(5, 120)),
                             rng.choice(AGENTS), order["id"] if order else None)
        made += 1


def make_follow_ups(b: SmallBuilder, count: int = 30) -> None:
    """Follow-ups on open and closed cases: upcoming, overdue (scheduled with a past due time), due, done."""
    rng, now = b.rng, b.now
    cases = b.data.rows["cases"]
    open_cases = [c for c in cases if c[15] == "open"]
    closed_cases = [c for c in cases if c[15] == "closed"]
    kinds = tuple(FOLLOW_UP_NOTES)
    for n in range(count):
        use_open = n % 3 != 2
        case = rng.choice(open_cases if use_open else closed_cases)
        kind = kinds[n % len(kinds)]
        owner = case[16] or rng.choice(AGENTS)
        if use_open:
            roll = rng.random()
            if roll < 0.35:
                status, due = "scheduled", now - timedelta(minutes=rng.randint(10, 26 * 60))  # overdue
            elif roll < 0.5:
                status, due = "due", now - timedelta(minutes=rng.randint(0, 30))
            else:
                status, due = "scheduled", now + timedelta(minutes=rng.randint(30, 3 * 24 * 60))
            created = min(now, max(now - timedelta(days=2), due - timedelta(hours=rng.uniform(2, 48))))
        else:
            closed_at = datetime.strptime(case[19], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=now.tzinfo)
            status = "done" if rng.random() < 0.8 else "cancelled"
            created = closed_at - timedelta(minutes=rng.randint(1, 30))
            due = closed_at + timedelta(days=rng.randint(1, 3))
            if due > now:
                status, due = "scheduled", due
        done_at = to_db(due + timedelta(minutes=rng.randint(0, 90))) if status == "done" else None
        done_note = "已回访，顾客表示满意" if status == "done" else None
        updated = done_at or to_db(created)
        b.data.add("follow_ups", (f"fu-{n + 1:06d}", case[0], case[1], owner, kind, rng.choice(FOLLOW_UP_NOTES[kind]),
                                  to_db(due), "{}", status, owner, to_db(created), owner, updated, done_at, done_note))


def finish_customers(b: SmallBuilder) -> None:
    """Write customer rows last: order_count, lifetime value and VIP level follow the orders made."""
    for cust in b.customers:
        value = sum(o["paid"] - o["refunded"] for o in cust.orders)
        refunds = sum(1 for o in cust.orders if o["status"] in ("refunded", "refunding"))
        if refunds >= 3 and "frequent_returns" not in cust.flags:
            cust.flags.append("frequent_returns")
        last = max((o["created"] for o in cust.orders), default=cust.created)
        b.data.add("customers", (cust.id, cust.name, cust.nick, cust.phone, cust.email, SmallBuilder.vip_level(cust),
                                 value, len(cust.orders), region_label(cust.province, cust.city), json.dumps(cust.flags, ensure_ascii=False),
                                 "demo", None, to_db(cust.created), to_db(max(last, cust.created))))
