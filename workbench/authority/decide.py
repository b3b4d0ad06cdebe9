"""THE decision function: may this agent give this compensation now? And may this lead approve it?

It is pure on purpose. Every input arrives as an argument — the policy, the agent row, the action, the
amount, the figures already used (computed by the caller inside its own write transaction), the
case/order facts and the time — so the local cache service and the hub (issue 8) reach the same
answer from their own figures, and a decision table can test every rule and boundary without a store.

Outcome precedence: ``denied`` (nobody may do this: bad input, ineligible refund, customer cap) beats
``needs_approval`` (a lead may: over the per-case limit, the daily budget, the offline allowance), which
beats ``allowed``. Every failed rule is reported, not just the first, so the agent and the lead see the
whole picture (``policy explain`` prints the passed checks too).

Counting rules (also in the policy file's comments):

* per-case limit: the sum of the same action on the same case (issued + approved) plus this amount —
  splitting one compensation into several small ones counts as one;
* daily budget: the agent's own *issued* budget actions in the shop-timezone day; an approved request
  does not consume it, it counts in the approving lead's ``approval_budget`` instead;
* customer cap: issued + approved cap actions for the customer over the rolling window, all agents.
  It is hard: an approval cannot break it either.
"""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple
from zoneinfo import ZoneInfo

from workbench import i18n
from workbench.authority.policy import Policy
from workbench.money import MAX_FEN, format_fen

ALLOWED = "allowed"
NEEDS_APPROVAL = "needs_approval"
DENIED = "denied"

OFFLINE_OK, OFFLINE_NONE, OFFLINE_EXPIRED, OFFLINE_UNREADABLE = "ok", "none", "expired", "unreadable"


# Records are NamedTuples rather than frozen dataclasses: as immutable and typed, and a tenth of the
# cost to define, which counts because the header's authority figures load this module at start-up.
class Figures(NamedTuple):
    """What is already used, as the caller counted it (inside its write transaction).

    ``offline_left_fen`` is None when no hub is configured (no allowance applies); otherwise the part of
    the hub's offline allowance still free, with ``offline_state`` saying why it may be zero.
    """

    case_used_fen: int = 0
    agent_day_used_fen: int = 0
    customer_window_used_fen: int = 0
    approver_day_used_fen: int = 0
    offline_left_fen: int | None = None
    offline_state: str = OFFLINE_OK


class CaseFacts(NamedTuple):
    """Facts about the case and its order that some rules need (all optional: unknown means unchecked)."""

    case_id: str = ""
    customer_id: str = ""
    order_id: str | None = None
    order_total_fen: int | None = None
    order_paid_fen: int | None = None
    order_refunded_fen: int = 0
    delivered_at: datetime | None = None
    item_categories: tuple[str, ...] = ()


def with_yuan(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` plus, for each integer ``x_fen``, ``x`` as display money: catalog strings say ``{limit}``."""
    values: dict[str, Any] = dict(fields)
    for key, value in fields.items():
        if key.endswith("_fen") and isinstance(value, int):
            values[key[:-4]] = format_fen(value)
    return values


class Reason(NamedTuple):
    """One failed rule: a stable code (audit, tests, hub) and the figures that explain it."""

    code: str
    fields: Mapping[str, Any] = MappingProxyType({})  # shared default, so read-only

    def message(self, lang: str | None = None) -> str:
        return i18n.t(f"authority.reason.{self.code}", lang, **with_yuan(self.fields))


class Decision(NamedTuple):
    outcome: str
    action: str
    amount_fen: int
    tier: str = ""
    limit_fen: int = 0
    policy_version: int = 0
    approval: bool = False
    item_by_item: bool = False
    reasons: tuple[Reason, ...] = ()
    checks: tuple[tuple[str, bool], ...] = ()

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED

    @property
    def needs_approval(self) -> bool:
        return self.outcome == NEEDS_APPROVAL

    @property
    def denied(self) -> bool:
        return self.outcome == DENIED

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def headline(self, lang: str | None = None) -> str:
        return i18n.t(f"authority.outcome.{self.outcome}", lang)

    def messages(self, lang: str | None = None) -> list[str]:
        return [r.message(lang) for r in self.reasons]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (audit entries, ``policy explain --json``, the hub's reply)."""
        data = dict(self._asdict())
        data["codes"] = list(self.codes)
        data["reasons"] = [{"code": r.code, "fields": dict(r.fields)} for r in self.reasons]
        data["checks"] = [[code, ok] for code, ok in self.checks]
        return data


def return_deadline(delivered_at: datetime, days: int, tz: str) -> datetime:
    """End of the 七天无理由 window: counted from the day after 签收, in the shop's timezone.

    Delivered on 11-16 (any hour) with 7 days → the window covers 11-17 … 11-23 and closes at 11-24
    00:00 local time.
    """
    zone = ZoneInfo(tz)
    local_day = delivered_at.astimezone(zone).date()
    closing = local_day + timedelta(days=days + 1)
    return datetime(closing.year, closing.month, closing.day, tzinfo=zone)


class _Rules:
    """Collects every check's result so the decision can report all failed rules in order."""

    def __init__(self) -> None:
        self.checks: list[tuple[str, bool]] = []
        self.denied: list[Reason] = []
        self.approval: list[Reason] = []

    def check(self, code: str, ok: bool, severity: str, **fields: Any) -> bool:
        self.checks.append((code, ok))
        if not ok:
            (self.denied if severity == DENIED else self.approval).append(Reason(code, fields))
        return ok

    def outcome(self) -> str:
        return DENIED if self.denied else NEEDS_APPROVAL if self.approval else ALLOWED


def decide(
    policy: Policy,
    agent: Mapping[str, Any],
    action: str,
    amount_fen: int,
    figures: Figures,
    facts: CaseFacts,
    now: datetime,
    *,
    tz: str = "Asia/Shanghai",
    approver: Mapping[str, Any] | None = None,
    batch: bool = False,
) -> Decision:
    """Decide one compensation.

    Without ``approver``: may ``agent`` issue it on their own authority? With ``approver`` (a lead
    re-checking a pending request of ``agent`` at approval time): may the lead approve it now —
    ``batch=True`` when it is part of a batch approval, refused above the second threshold.
    """
    approving = approver is not None
    base = {"action": action, "amount_fen": amount_fen if isinstance(amount_fen, int) else 0,
            "policy_version": policy.version, "approval": approving}
    rule = policy.actions.get(action)
    if rule is None:
        return Decision(DENIED, reasons=(Reason("unknown_action", {"action": action}),),
                        checks=(("unknown_action", False),), **base)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_FEN:
        return Decision(DENIED, reasons=(Reason("invalid_amount", {"amount": str(amount_fen)}),),
                        checks=(("invalid_amount", False),), **base)
    tier = policy.tier_for(agent)
    if tier is None:
        return Decision(DENIED, reasons=(Reason("unknown_tier", {"tier": str(agent.get("tier") or "-"),
                                                                 "agent": str(agent.get("id", ""))}),),
                        checks=(("unknown_tier", False),), **base)
    limit = tier.limits_fen[action]
    rules = _Rules()
    if not approving:
        rules.check("agent_active", bool(agent.get("active", 1)), DENIED, agent=str(agent.get("id", "")))

    # Order facts: nobody may refund more than was paid, or reship more than was bought.
    if rule.needs_order:
        rules.check("needs_order", facts.order_id is not None, DENIED)
    if action in ("partial_refund", "full_refund") and facts.order_paid_fen is not None:
        refundable = max(facts.order_paid_fen - facts.order_refunded_fen, 0)
        rules.check("refundable", amount_fen <= refundable, DENIED, refundable_fen=refundable)
    if action in ("reship", "exchange") and facts.order_total_fen is not None:
        rules.check("order_value", amount_fen <= facts.order_total_fen, DENIED,
                    order_total_fen=facts.order_total_fen)
    if action == "full_refund":
        severity = DENIED if policy.ineligible_full_refund == "deny" else NEEDS_APPROVAL
        excluded = sorted(set(facts.item_categories) & policy.excluded_categories)
        rules.check("excluded_goods", not excluded, severity, categories="、".join(excluded))
        if facts.delivered_at is not None:
            deadline = return_deadline(facts.delivered_at, policy.return_days, tz)
            rules.check("return_window", now < deadline, severity, days=policy.return_days,
                        deadline=deadline.strftime("%m-%d %H:%M"))

    # The abuse guard: hard for everyone, approvals included.
    if rule.customer_cap:
        after = figures.customer_window_used_fen + amount_fen
        rules.check("customer_cap", after <= policy.customer_cap_fen, DENIED,
                    cap_fen=policy.customer_cap_fen, used_fen=figures.customer_window_used_fen,
                    left_fen=max(policy.customer_cap_fen - figures.customer_window_used_fen, 0),
                    days=policy.customer_cap_days)

    if approving:
        assert approver is not None
        approver_tier = policy.tier_for(approver)
        can = approver_tier is not None and approver_tier.can_approve and approver.get("role") == "lead"
        rules.check("approver_is_lead", can, DENIED, approver=str(approver.get("id", "")))
        rules.check("approver_active", bool(approver.get("active", 1)), DENIED)
        rules.check("not_self", approver.get("id") != agent.get("id"), DENIED)
        if can and rule.budget:
            assert approver_tier is not None
            budget = approver_tier.approval_budget_fen
            rules.check("approval_budget", figures.approver_day_used_fen + amount_fen <= budget, DENIED,
                        budget_fen=budget, used_fen=figures.approver_day_used_fen,
                        left_fen=max(budget - figures.approver_day_used_fen, 0))
        if batch:
            rules.check("batch_threshold", amount_fen <= policy.second_threshold_fen, DENIED,
                        threshold_fen=policy.second_threshold_fen)
    else:
        always = action in tier.always_approve
        rules.check("always_approval", not always, NEEDS_APPROVAL, tier=tier.name)
        if limit == 0:
            # An always-approved action usually has a zero limit too; "no own authority" would only repeat
            # "always needs a lead" to the agent and the lead, so it is reported for other actions alone.
            if not always:
                rules.check("no_authority", False, NEEDS_APPROVAL, tier=tier.name)
        elif rules.check("case_limit", amount_fen <= limit, NEEDS_APPROVAL, limit_fen=limit):
            rules.check("split_sum", figures.case_used_fen + amount_fen <= limit, NEEDS_APPROVAL,
                        limit_fen=limit, used_fen=figures.case_used_fen,
                        total_fen=figures.case_used_fen + amount_fen)
        if rule.budget:
            budget = tier.daily_budget_fen
            rules.check("daily_budget", figures.agent_day_used_fen + amount_fen <= budget, NEEDS_APPROVAL,
                        budget_fen=budget, used_fen=figures.agent_day_used_fen,
                        left_fen=max(budget - figures.agent_day_used_fen, 0))
            if figures.offline_left_fen is not None:
                _offline(rules, figures, amount_fen)

    return Decision(
        rules.outcome(), tier=tier.name, limit_fen=limit,
        item_by_item=amount_fen > policy.second_threshold_fen,
        reasons=tuple(rules.denied + rules.approval), checks=tuple(rules.checks), **base,
    )


def _offline(rules: _Rules, figures: Figures, amount_fen: int) -> None:
    """Hub configured: only what fits in the hub's offline allowance may be issued locally."""
    state = figures.offline_state
    if state == OFFLINE_NONE:
        rules.check("offline_no_allowance", False, NEEDS_APPROVAL)
    elif state == OFFLINE_EXPIRED:
        rules.check("offline_expired", False, NEEDS_APPROVAL)
    elif state == OFFLINE_UNREADABLE:
        rules.check("offline_unreadable", False, NEEDS_APPROVAL)
    else:
        left = figures.offline_left_fen or 0
        rules.check("offline_allowance", amount_fen <= left, NEEDS_APPROVAL, left_fen=left)
