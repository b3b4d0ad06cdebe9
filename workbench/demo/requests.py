"""A first-run demo shows a lead something to decide: two approval requests made through the real
compensation service (so they carry the same context, audit entries and outbox rows as live ones).

Kept out of ``generate()``: the service stamps fresh ids, and the generated dataset must stay
byte-for-byte deterministic for tests and benchmarks.
"""

from __future__ import annotations

from datetime import timedelta

from workbench.clock import FrozenClock
from workbench.context import Context

# (agent, intent of the case to pick, action, amount in fen, minutes ago, reason)
REQUESTS = (
    ("a-chenjie", "damaged_item", "coupon", 8000, 45, "礼盒压坏，顾客明天要送人，补发来不及，先补 80 元券安抚"),
    ("a-lina", "complaint", "partial_refund", 12000, 6, "羽绒服跑毛，顾客接受部分退款 120 元不退货"),
    ("a-wangqiang", "price_promo", "coupon", 15000, 12, "优惠券叠加失败多付了 150 元，顾客要求补差价"),
)


def add_pending_requests(ctx: Context) -> int:
    """Create the demo's pending approval requests; returns how many were made."""
    from workbench.services import compensation

    made = 0
    for agent_id, intent, action, amount_fen, minutes_ago, reason in REQUESTS:
        row = ctx.store.one(
            "SELECT id FROM cases WHERE status = 'open' AND assignee_id = ? AND intent = ? "
            "ORDER BY opened_at LIMIT 1", (agent_id, intent))
        if row is None:
            continue
        when = FrozenClock(ctx.clock.now() - timedelta(minutes=minutes_ago))
        as_agent = ctx.replace(clock=when, agent_id=agent_id)
        result = compensation.request_approval(as_agent, row["id"], action, amount_fen, reason)
        made += result.status == "requested"
    return made
