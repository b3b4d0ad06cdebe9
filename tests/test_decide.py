"""Decision table for :func:`workbench.authority.decide`: each rule, each boundary, both languages.

The function is pure, so every row is a plain call with the figures written out — the same call the
hub makes with its own figures.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from workbench import i18n
from workbench.authority import CaseFacts, Figures, decide, load_policy, return_deadline
from workbench.authority.decide import OFFLINE_EXPIRED, OFFLINE_NONE, OFFLINE_OK, OFFLINE_UNREADABLE
from workbench.authority.policy import builtin_text, parse_policy
from workbench.money import MoneyError, parse_yuan
from tests.authority_world import zh_language  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("zh_language")

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai
POLICY = load_policy()
L1 = {"id": "a-lina", "role": "agent", "tier": "L1", "active": 1}
L2 = {"id": "a-wangqiang", "role": "agent", "tier": "L2", "active": 1}
LEAD = {"id": "a-zhaomin", "role": "lead", "tier": "L3", "active": 1}
FACTS = CaseFacts(case_id="ca-1", customer_id="cu-1", order_id="o-1", order_total_fen=80000, order_paid_fen=80000,
                  delivered_at=NOW - timedelta(days=3), item_categories=("小家电",))

# (id, agent, action, amount_fen, figures, facts changes, outcome, codes that must fail)
TABLE: list[tuple[str, dict[str, Any], str, int, Figures, dict[str, Any], str, set[str]]] = [
    ("coupon exactly ¥50", L1, "coupon", 5000, Figures(), {}, "allowed", set()),
    ("coupon ¥50.01", L1, "coupon", 5001, Figures(), {}, "needs_approval", {"case_limit"}),
    ("split: ¥20 given + ¥30 = ¥50", L1, "coupon", 3000, Figures(case_used_fen=2000), {}, "allowed", set()),
    ("split: ¥20 given + ¥30.01", L1, "coupon", 3001, Figures(case_used_fen=2000), {}, "needs_approval", {"split_sum"}),
    ("partial refund ¥50", L1, "partial_refund", 5000, Figures(), {}, "allowed", set()),
    ("partial refund ¥50.01", L1, "partial_refund", 5001, Figures(), {}, "needs_approval", {"case_limit"}),
    ("budget hit exactly", L1, "coupon", 5000, Figures(agent_day_used_fen=45000), {}, "allowed", set()),
    ("budget one fen over", L1, "coupon", 5000, Figures(agent_day_used_fen=45001), {}, "needs_approval",
     {"daily_budget"}),
    ("reship is not budget money", L1, "reship", 20000, Figures(agent_day_used_fen=50000), {}, "allowed", set()),
    ("reship ¥200.01", L1, "reship", 20001, Figures(), {}, "needs_approval", {"case_limit"}),
    ("reship over order value", L1, "reship", 19901, Figures(), {"order_total_fen": 19900}, "denied", {"order_value"}),
    ("exchange ¥300", L1, "exchange", 30000, Figures(), {}, "allowed", set()),
    ("return shipping ¥20.01", L1, "return_shipping", 2001, Figures(), {}, "needs_approval", {"case_limit"}),
    ("customer cap exactly", L1, "coupon", 5000, Figures(customer_window_used_fen=95000), {}, "allowed", set()),
    ("customer cap one fen over", L1, "coupon", 5000, Figures(customer_window_used_fen=95001), {}, "denied",
     {"customer_cap"}),
    ("full refund not in the cap", L1, "full_refund", 20000, Figures(customer_window_used_fen=100000), {}, "allowed",
     set()),
    ("full refund eligible", L1, "full_refund", 30000, Figures(), {}, "allowed", set()),
    ("full refund over tier limit", L1, "full_refund", 30001, Figures(), {}, "needs_approval", {"case_limit"}),
    ("full refund excluded goods", L1, "full_refund", 8800, Figures(), {"item_categories": ("生鲜",)}, "denied",
     {"excluded_goods"}),
    ("full refund past 7 days", L1, "full_refund", 8800, Figures(), {"delivered_at": NOW - timedelta(days=9)},
     "denied", {"return_window"}),
    ("full refund not yet delivered", L1, "full_refund", 8800, Figures(), {"delivered_at": None}, "allowed", set()),
    ("refund over refundable", L1, "full_refund", 15001, Figures(),
     {"order_paid_fen": 20000, "order_refunded_fen": 5000}, "denied", {"refundable"}),
    ("refund exactly refundable", L1, "partial_refund", 5000, Figures(),
     {"order_paid_fen": 10000, "order_refunded_fen": 5000}, "allowed", set()),
    ("refund needs an order", L1, "partial_refund", 1000, Figures(), {"order_id": None}, "denied", {"needs_order"}),
    ("coupon needs no order", L1, "coupon", 1000, Figures(), {"order_id": None}, "allowed", set()),
    ("goodwill always approved at L1 (one reason, not two)", L1, "goodwill_payment", 100, Figures(), {},
     "needs_approval", {"always_approval"}),
    ("repair visit always approved at L1", L1, "repair_visit", 100, Figures(), {}, "needs_approval",
     {"always_approval"}),
    ("goodwill ¥50 at L2", L2, "goodwill_payment", 5000, Figures(), {}, "allowed", set()),
    ("goodwill ¥50.01 at L2", L2, "goodwill_payment", 5001, Figures(), {}, "needs_approval", {"case_limit"}),
    ("L2 coupon ¥100", L2, "coupon", 10000, Figures(), {}, "allowed", set()),
    ("lead uses the lead tier", LEAD, "coupon", 30000, Figures(), {}, "allowed", set()),
    ("lead over own limit", LEAD, "coupon", 30001, Figures(), {}, "needs_approval", {"case_limit"}),
    ("zero", L1, "coupon", 0, Figures(), {}, "denied", {"invalid_amount"}),
    ("negative", L1, "coupon", -1, Figures(), {}, "denied", {"invalid_amount"}),
    ("unknown action", L1, "cashback", 100, Figures(), {}, "denied", {"unknown_action"}),
    ("unknown tier", {**L1, "tier": "L9"}, "coupon", 100, Figures(), {}, "denied", {"unknown_tier"}),
    ("inactive agent", {**L1, "active": 0}, "coupon", 100, Figures(), {}, "denied", {"agent_active"}),
    ("offline: no allowance", L1, "coupon", 100, Figures(offline_left_fen=0, offline_state=OFFLINE_NONE), {},
     "needs_approval", {"offline_no_allowance"}),
    ("offline: expired", L1, "coupon", 100, Figures(offline_left_fen=0, offline_state=OFFLINE_EXPIRED), {},
     "needs_approval", {"offline_expired"}),
    ("offline: unreadable", L1, "coupon", 100, Figures(offline_left_fen=0, offline_state=OFFLINE_UNREADABLE), {},
     "needs_approval", {"offline_unreadable"}),
    ("offline: fits exactly", L1, "coupon", 3000, Figures(offline_left_fen=3000, offline_state=OFFLINE_OK), {},
     "allowed", set()),
    ("offline: one fen over", L1, "coupon", 3001, Figures(offline_left_fen=3000, offline_state=OFFLINE_OK), {},
     "needs_approval", {"offline_allowance"}),
    ("offline: goods actions need no allowance", L1, "reship", 10000,
     Figures(offline_left_fen=0, offline_state=OFFLINE_NONE), {}, "allowed", set()),
]


@pytest.mark.parametrize("row", TABLE, ids=[r[0] for r in TABLE])
def test_decision_table(row: tuple[Any, ...]) -> None:
    _, agent, action, amount, figures, changes, outcome, failing = row
    decision = decide(POLICY, agent, action, amount, figures, FACTS._replace(**changes), NOW)
    assert decision.outcome == outcome, decision.codes
    assert failing <= set(decision.codes), decision.codes
    if outcome == "allowed":
        assert decision.codes == ()
    for lang in ("zh", "en"):  # every failed rule explains itself in both languages, with real figures
        for message in decision.messages(lang):
            assert not message.startswith("authority.") and "{" not in message, message
    json.dumps(decision.to_dict(), ensure_ascii=False)


def test_parsed_amounts_at_the_boundary() -> None:
    assert decide(POLICY, L1, "coupon", parse_yuan("50"), Figures(), FACTS, NOW).allowed
    over = decide(POLICY, L1, "coupon", parse_yuan("50.01"), Figures(), FACTS, NOW)
    assert over.needs_approval
    assert over.reasons[0].message("zh") == "超出单次权限 ¥50"
    assert over.reasons[0].message("en") == "Over the per-case limit of ¥50"


@pytest.mark.parametrize("text", ["50.005", "-1", "1e9", "NaN", "五十", "inf", "", "1,0.0.0"])
def test_money_that_is_not_money_is_refused(text: str) -> None:
    with pytest.raises(MoneyError) as err:
        parse_yuan(text)
    assert text in str(err.value) or "负数" in str(err.value)
    with pytest.raises(MoneyError):
        parse_yuan(float("nan"))


@pytest.mark.parametrize("bad", [True, 1.5, "50", None])
def test_non_integer_amounts_are_denied(bad: Any) -> None:
    decision = decide(POLICY, L1, "coupon", bad, Figures(), FACTS, NOW)
    assert decision.denied and decision.codes == ("invalid_amount",)


def test_return_window_boundary_in_shop_time() -> None:
    delivered = datetime(2026, 11, 16, 6, 0, tzinfo=timezone.utc)  # 14:00 on 11-16 in Shanghai
    deadline = return_deadline(delivered, 7, "Asia/Shanghai")
    assert deadline == datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)  # 11-24 00:00 Shanghai
    facts = FACTS._replace(delivered_at=delivered)
    last_second = decide(POLICY, L1, "full_refund", 8800, Figures(), facts, deadline - timedelta(seconds=1))
    closed = decide(POLICY, L1, "full_refund", 8800, Figures(), facts, deadline)
    assert last_second.allowed
    assert closed.denied and closed.codes == ("return_window",)
    assert "11-24 00:00" in closed.reasons[0].message("zh")


def test_ineligible_full_refund_may_go_to_approval_by_policy() -> None:
    policy = parse_policy(builtin_text().replace('ineligible_full_refund = "deny"',
                                                 'ineligible_full_refund = "approval"'), "p.toml")
    facts = FACTS._replace(item_categories=("生鲜",))
    decision = decide(policy, L1, "full_refund", 8800, Figures(), facts, NOW)
    assert decision.needs_approval and decision.codes == ("excluded_goods",)


def test_always_approved_action_gives_one_reason_and_zero_limit_alone_says_no_authority() -> None:
    always = decide(POLICY, L1, "goodwill_payment", 100, Figures(), FACTS, NOW)
    assert always.needs_approval and always.codes == ("always_approval",)
    assert always.messages("zh") == ["L1 级别发放这种补偿必须经组长审批"]
    # A zero limit without always_approve still needs the "no own authority" reason (it is the only one).
    policy = parse_policy(builtin_text().replace('always_approve = ["goodwill_payment", "repair_visit"]',
                                                 'always_approve = ["repair_visit"]'), "p.toml")
    zero = decide(policy, L1, "goodwill_payment", 100, Figures(), FACTS, NOW)
    assert zero.needs_approval and zero.codes == ("no_authority",)


# ----- approval mode: a lead re-checks a pending request --------------------------------------

def approve(amount: int, figures: Figures = Figures(), approver: dict[str, Any] = LEAD, agent: dict[str, Any] = L1,
            batch: bool = False, action: str = "coupon") -> Any:
    return decide(POLICY, agent, action, amount, figures, FACTS, NOW, approver=approver, batch=batch)


def test_lead_approval_ignores_the_agents_limits_but_not_the_customer_cap() -> None:
    ok = approve(8000, Figures(case_used_fen=50000, agent_day_used_fen=50000))
    assert ok.allowed and ok.approval
    capped = approve(8000, Figures(customer_window_used_fen=95000))
    assert capped.denied and capped.codes == ("customer_cap",)


def test_only_an_active_lead_other_than_the_requester_may_approve() -> None:
    assert approve(8000, approver=L2).codes == ("approver_is_lead",)
    assert approve(8000, approver={**LEAD, "active": 0}).codes == ("approver_active",)
    assert approve(40000, approver=LEAD, agent=LEAD).codes == ("not_self",)


def test_lead_approval_budget_boundary() -> None:
    budget = POLICY.tiers["lead"].approval_budget_fen
    assert approve(10000, Figures(approver_day_used_fen=budget - 10000)).allowed
    over = approve(10000, Figures(approver_day_used_fen=budget - 9999))
    assert over.denied and over.codes == ("approval_budget",)
    # Goods actions (not budget money) do not use the approval budget.
    assert approve(20000, Figures(approver_day_used_fen=budget), action="reship").allowed


def test_batch_approval_only_up_to_the_second_threshold() -> None:
    threshold = POLICY.second_threshold_fen
    assert approve(threshold, batch=True).allowed
    over = approve(threshold + 1, batch=True)
    assert over.denied and over.codes == ("batch_threshold",)
    single = approve(threshold + 1)
    assert single.allowed and single.item_by_item


def test_every_reason_code_has_a_message_in_both_catalogs() -> None:
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    codes = {"unknown_action", "invalid_amount", "unknown_tier", "agent_active", "needs_order", "refundable",
             "order_value", "excluded_goods", "return_window", "customer_cap", "approver_is_lead",
             "approver_active", "not_self", "approval_budget", "batch_threshold", "always_approval",
             "no_authority", "case_limit", "split_sum", "daily_budget", "offline_no_allowance", "offline_expired",
             "offline_unreadable", "offline_allowance"}
    for code in codes:
        assert f"authority.reason.{code}" in zh and f"authority.reason.{code}" in en
