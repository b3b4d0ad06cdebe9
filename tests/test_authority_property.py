"""Property: whatever several agents do on shared customers — issue, request, approve, reject, cancel,
restart the app, let days pass — no limit is ever exceeded, and the budget figures always equal what
the audit log says was given.

Limits are tightened by a team policy file (small budgets, a 2-day customer window, a ¥100 second
threshold) so random runs reach every boundary within a few steps. The checker replays the audit log
independently of the service's SQL: it is a second implementation of the counting rules.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.authority_world import as_agent, build_world, world_context
from tests.conftest import FROZEN_AT
from workbench import audit, paths
from workbench.authority import figures
from workbench.authority.policy import builtin_text
from workbench.clock import FrozenClock
from workbench.context import Context
from workbench.services import compensation as comp
from workbench.store import Store
from workbench.store.migrate import migrate
from workbench.timefmt import from_db, local

AGENTS = ("a-lina", "a-chenjie", "a-wangqiang", "a-zhaomin")
ROLES = {"a-lina": ("agent", "L1"), "a-chenjie": ("agent", "L1"), "a-wangqiang": ("agent", "L2"),
         "a-zhaomin": ("lead", "L3")}
ACTIONS = ("coupon", "partial_refund", "reship", "goodwill_payment", "return_shipping", "full_refund")
AMOUNTS = st.one_of(st.sampled_from([100, 2000, 5000, 5001, 10000, 10001, 12000, 20000, 30000]),
                    st.integers(1, 40000))
TIGHT = {
    "daily_budget = 500\n": "daily_budget = 120\n",
    "daily_budget = 1500\n": "daily_budget = 250\n",
    "customer_cap = 1000\n": "customer_cap = 300\n",
    "customer_cap_days = 30\n": "customer_cap_days = 2\n",
    "second_threshold = 500\n": "second_threshold = 100\n",
    "approval_budget = 20000\n": "approval_budget = 150\n",
}


def tight_policy_text() -> str:
    text = builtin_text()
    for old, new in TIGHT.items():
        assert old in text
        text = text.replace(old, new)
    return text


class Authority(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="authority-prop-"))
        self.clock = FrozenClock(FROZEN_AT)
        store = Store(self.dir / "cache.db")
        migrate(store)
        self.world = build_world(store, self.clock.now(), customers=2, cases_per_customer=4)
        store.close()
        self.ctx = world_context(self.dir / "cache.db", self.clock)

    def teardown(self) -> None:
        self.ctx.store.close()

    def as_(self, agent: str) -> Context:
        return as_agent(self.ctx, agent)

    def pending_ids(self) -> list[str]:
        return [r[0] for r in self.ctx.store.query(
            "SELECT id FROM compensations WHERE status = 'requested' ORDER BY created_at, id")]

    # ----- what people do ---------------------------------------------------------------------
    @rule(agent=st.sampled_from(AGENTS), case=st.integers(0, 4), action=st.sampled_from(ACTIONS), amount=AMOUNTS,
          ask=st.booleans())
    def give(self, agent: str, case: int, action: str, amount: int, ask: bool) -> None:
        case_id = self.world.all_cases()[case]
        call = comp.request_approval if ask and agent != "a-zhaomin" else comp.issue
        result = call(self.as_(agent), case_id, action, amount, "补偿")
        assert result.status in ("issued", "requested", "refused")

    @rule(pick=st.integers(0, 50), approver=st.sampled_from(AGENTS + ("a-zhaomin",) * 4), batch=st.booleans())
    def approve(self, pick: int, approver: str, batch: bool) -> None:
        pending = self.pending_ids()
        if pending:
            result = comp.approve(self.as_(approver), pending[pick % len(pending)], "ok", batch=batch)
            if approver != "a-zhaomin":
                assert result.status == "approval_refused"

    @rule(pick=st.integers(0, 50))
    def approve_all(self, pick: int) -> None:
        comp.approve_many(self.as_("a-zhaomin"), self.pending_ids()[pick % 3:], "批量")

    @rule(pick=st.integers(0, 50))
    def reject(self, pick: int) -> None:
        pending = self.pending_ids()
        if pending:
            comp.reject(self.as_("a-zhaomin"), pending[pick % len(pending)], "不符合")

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        pending = self.pending_ids()
        if pending:
            owner = self.ctx.store.scalar("SELECT agent_id FROM compensations WHERE id = ?",
                                          (pending[pick % len(pending)],))
            comp.cancel(self.as_(owner), pending[pick % len(pending)])

    @rule()
    def restart(self) -> None:
        self.ctx.store.close()
        self.ctx = world_context(self.dir / "cache.db", self.clock)

    @rule(minutes=st.integers(1, 36 * 60))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    # ----- what must always hold ---------------------------------------------------------------
    @invariant()
    def chain_is_intact(self) -> None:
        result = audit.verify(self.ctx.store.conn)
        assert result.ok, result

    @invariant()
    def no_limit_is_ever_exceeded(self) -> None:
        policy = comp.current_policy(self.ctx)
        tz = self.ctx.tz
        tier = {a: policy.tier_for({"role": r, "tier": t}) for a, (r, t) in ROLES.items()}
        entries = list(audit.entries(self.ctx.store.conn))
        spent = [e for e in entries if e["action"] in ("compensation.issue", "compensation.approve")]
        day_spend: dict[tuple[str, Any], int] = defaultdict(int)
        approvals: dict[tuple[str, Any], int] = defaultdict(int)
        case_sum: dict[tuple[str, str], int] = defaultdict(int)
        for entry in spent:
            data, when = entry["data"], from_db(entry["at"])
            day = local(when, tz).date()
            key = (data["case_id"], data["action"])
            case_sum[key] += data["amount_fen"]
            if entry["action"] == "compensation.issue":
                assert case_sum[key] <= tier[data["agent_id"]].limits_fen[data["action"]], entry
                if data["budget"]:
                    day_spend[(data["agent_id"], day)] += data["amount_fen"]
                    assert day_spend[(data["agent_id"], day)] <= tier[data["agent_id"]].daily_budget_fen, entry
            else:
                assert entry["actor"] == "a-zhaomin" != data["agent_id"], entry
                if data["budget"]:
                    approvals[(entry["actor"], day)] += data["amount_fen"]
                    assert approvals[(entry["actor"], day)] <= tier["a-zhaomin"].approval_budget_fen, entry
            if data["customer_cap"]:
                since = when - timedelta(days=policy.customer_cap_days)
                window = sum(e["data"]["amount_fen"] for e in spent
                             if e["seq"] <= entry["seq"] and e["data"]["customer_id"] == data["customer_id"]
                             and e["data"]["customer_cap"] and from_db(e["at"]) >= since)
                assert window <= policy.customer_cap_fen, entry

    @invariant()
    def figures_equal_the_audit_log(self) -> None:
        policy = comp.current_policy(self.ctx)
        conn, now, tz = self.ctx.store.conn, self.clock.now(), self.ctx.tz
        start, end = figures.day_window(now, tz)
        entries = list(audit.entries(conn))
        spent = [e for e in entries if e["action"] in ("compensation.issue", "compensation.approve")]
        for agent, (role, tier_name) in ROLES.items():
            expected = sum(e["data"]["amount_fen"] for e in spent if e["action"] == "compensation.issue"
                           and e["data"]["agent_id"] == agent and e["data"]["budget"] and start <= e["at"] < end)
            assert figures.agent_day_used(conn, policy, agent, now, tz) == expected
            summary = comp.authority_summary(self.as_(agent))
            assert summary["budget_left_fen"] == max(summary["budget_fen"] - expected, 0)
        since = now - timedelta(days=policy.customer_cap_days)
        for customer in self.world.customers:
            expected = sum(e["data"]["amount_fen"] for e in spent if e["data"]["customer_id"] == customer
                           and e["data"]["customer_cap"] and from_db(e["at"]) >= since)
            assert figures.customer_window_used(conn, policy, customer, now) == expected
        counts = defaultdict(int)
        for entry in entries:
            counts[entry["action"]] += 1
        statuses = dict(self.ctx.store.query("SELECT status, count(*) FROM compensations GROUP BY status"))
        assert statuses.get("issued", 0) == counts["compensation.issue"]
        assert statuses.get("approved", 0) == counts["compensation.approve"]
        assert statuses.get("rejected", 0) == counts["compensation.reject"]
        assert statuses.get("cancelled", 0) == counts["compensation.cancel"]
        assert statuses.get("requested", 0) == counts["compensation.request"] - counts["compensation.approve"] \
            - counts["compensation.reject"] - counts["compensation.cancel"]


def test_no_interleaving_exceeds_any_limit(tmp_path: Path) -> None:
    policy_file = paths.resolve().policy_file
    policy_file.parent.mkdir(parents=True, exist_ok=True)
    policy_file.write_text(tight_policy_text(), "utf-8")
    run_state_machine_as_test(Authority, settings=settings(
        max_examples=60, stateful_step_count=30, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


def test_the_checker_itself_catches_an_overspend(tmp_path: Path) -> None:
    """Guard against a checker that cannot fail: a row written around the service breaks the budget rule."""
    policy_file = paths.resolve().policy_file
    policy_file.parent.mkdir(parents=True, exist_ok=True)
    policy_file.write_text(tight_policy_text(), "utf-8")
    machine = Authority()
    try:
        for _ in range(2):  # ¥100 + ¥100 coupons on two cases: the second exceeds the tight ¥120 budget
            with machine.ctx.store.write() as conn:
                audit.append(conn, machine.clock, actor="a-lina", action="compensation.issue", entity="compensation",
                             entity_id="forged", data={"action": "coupon", "amount_fen": 10000, "agent_id": "a-lina",
                                                       "customer_id": "cu-1", "case_id": f"ca-1-{_ + 1}",
                                                       "budget": True, "customer_cap": True})
        with pytest.raises(AssertionError):
            machine.no_limit_is_ever_exceeded()
    finally:
        machine.teardown()
