"""``workbench policy``: check a policy file, show the one in effect, explain one decision.

``check`` is what a shop owner runs after editing ``policy.toml`` (exit 1 with file, line and key on
any problem); ``explain`` answers an agent's or lead's "why can't I give this coupon?" with the same
figures and the same decision function the compensation service uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from workbench.i18n import t
from workbench.money import MoneyError, format_fen, parse_yuan


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("policy", parents=[common], help="compensation policy / 补偿权限策略")
    commands = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)

    check = commands.add_parser("check", parents=[common], help="validate a policy file / 校验策略文件")
    check.add_argument("file", nargs="?", help="policy file (default: the one in effect)")
    check.set_defaults(func=run_check)

    show = commands.add_parser("show", parents=[common], help="print the policy in effect / 显示生效的策略")
    show.add_argument("--builtin", action="store_true", help="print the built-in default (to copy and edit)")
    show.set_defaults(func=run_show)

    explain = commands.add_parser("explain", parents=[common], help="explain one decision / 解释一次判定")
    explain.add_argument("--action", required=True, help="coupon, partial_refund, full_refund, reship, ...")
    explain.add_argument("--amount", required=True, help="amount in yuan, e.g. 80 or 49.90")
    explain.add_argument("--case", required=True, help="case id")
    explain.add_argument("--order", help="order id (default: the case's order)")
    explain.set_defaults(func=run_explain)


def _policy_path(args: argparse.Namespace) -> Any:
    from workbench import paths

    return paths.resolve(getattr(args, "db", None), getattr(args, "config", None)).policy_file


def run_check(args: argparse.Namespace) -> int:
    from workbench.authority import PolicyError, effective_policy, load_policy

    try:
        policy = load_policy(args.file) if args.file else effective_policy(_policy_path(args))
    except PolicyError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps({"ok": True, "source": policy.source, "version": policy.version,
                          "tiers": sorted(policy.tiers)}, ensure_ascii=False))
    else:
        print(t("authority.cli.policy_ok", source=policy.source, version=policy.version, name=policy.name,
                tiers=", ".join(sorted(policy.tiers))))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from workbench.authority.policy import builtin_text

    path = _policy_path(args)
    if args.builtin or not path.exists():
        print(t("authority.cli.policy_source", source="builtin"), file=sys.stderr)
        sys.stdout.write(builtin_text())
        return 0
    print(t("authority.cli.policy_source", source=str(path)), file=sys.stderr)
    sys.stdout.write(path.read_text("utf-8"))
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from workbench.cli import context_from
    from workbench.services import compensation

    try:
        amount = parse_yuan(args.amount)
    except MoneyError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    ctx = context_from(args, require_agent=True)
    try:  # the service's own counting and decision, so explain can never disagree with issue
        policy, figs, decision = compensation.explain(ctx, args.case, args.action, amount, order_id=args.order)
    except LookupError:
        print(f"{t('authority.cli.need_case')}: {args.case} ?", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps({"decision": decision.to_dict(), "messages": decision.messages(),
                          "figures": figs._asdict(), "policy": policy.source}, ensure_ascii=False, indent=2))
        return 0
    agent = ctx.agent()
    tier = policy.tier_for(agent)
    print(t("authority.cli.explain_head", agent=agent.get("name", ctx.agent_id), tier=decision.tier or "-",
            action=t(f"authority.action.{args.action}"), amount=format_fen(amount), case=args.case))
    print(t("authority.cli.explain_outcome", outcome=decision.headline()))
    for message in decision.messages():
        print(f"  - {message}")
    print(t("authority.cli.explain_figures", case_used=format_fen(figs.case_used_fen),
            day_used=format_fen(figs.agent_day_used_fen),
            budget=format_fen(tier.daily_budget_fen if tier else 0), days=policy.customer_cap_days,
            customer_used=format_fen(figs.customer_window_used_fen), cap=format_fen(policy.customer_cap_fen)))
    print(t("authority.cli.explain_checks"))
    for code, ok in decision.checks:
        print(f"  {t('authority.cli.pass') if ok else t('authority.cli.fail')}  {code}")
    print(t("authority.cli.policy_source", source=f"{policy.source} (v{policy.version})"))
    return 0
