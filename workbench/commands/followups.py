"""``workbench followups``: list follow-ups (due, overdue, open) and add or complete them from a shell.

``workbench followups [--due|--overdue|--today|--upcoming] [--agent A] [--kind K] [--json]``
``workbench followups add CASE --kind call_back --when 明天下午3点 [--note …] [--owner A] [--yes]``
``workbench followups done ID [ID …] [--note …]``

Without ``--agent`` (and no agent in the config) the list covers every agent, like the lead's board.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from typing import Any

from workbench import sanitize
from workbench.i18n import t
from workbench.timefmt import short_local

VIEW_FLAGS = ("due", "overdue", "today", "upcoming")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("followups", parents=[common], help="follow-ups: list, add, done / 跟进")
    views = parser.add_mutually_exclusive_group()
    for name in VIEW_FLAGS:
        views.add_argument(f"--{name}", dest="view", action="store_const", const=name,
                           help=f"only {name} follow-ups")
    parser.add_argument("--kind", help="call_back, check_delivery, check_satisfaction, confirm_refund, promised_action")
    parser.add_argument("--limit", type=int, default=100, help="at most this many rows (default 100)")
    parser.set_defaults(func=run_list, view="open")
    actions = parser.add_subparsers(dest="fu_action", metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="schedule a follow-up on a case")
    add.add_argument("case_id")
    add.add_argument("--kind", required=True)
    add.add_argument("--when", required=True, help="e.g. +2h, 明天下午3点, 11-28 10:00, 签收后3天, tomorrow 3pm")
    add.add_argument("--note", default="")
    add.add_argument("--owner", default=None, help="agent id (default: the signed-in agent)")
    add.add_argument("--yes", action="store_true", help="accept a due time in the past")
    add.set_defaults(func=run_add)
    done = actions.add_parser("done", parents=[common], help="mark follow-ups done")
    done.add_argument("ids", nargs="+")
    done.add_argument("--note", default="")
    done.set_defaults(func=run_done)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _row_out(row: dict[str, Any], tz: str) -> dict[str, Any]:
    try:
        trigger = json.loads(row.get("trigger") or "{}")
    except json.JSONDecodeError:
        trigger = {}
    return {
        "id": row["id"], "status": row["status"], "display_status": row["display_status"],
        "due_at": row["due_at"], "due_local": short_local(row["due_at"], tz, "%Y-%m-%d %H:%M"),
        "kind": row["kind"], "owner_id": row["owner_id"], "case_id": row["case_id"],
        "case_subject": row.get("case_subject"), "customer_name": row.get("customer_name"),
        "note": row["note"], "trigger": trigger, "case_missing": row["case_missing"],
        "merged_into": row["merged_into"],
    }


def run_list(args: argparse.Namespace) -> int:
    from workbench.cli import context_from
    from workbench.services import followup_board as board

    ctx = context_from(args)
    owner = getattr(args, "agent", None) or ctx.agent_id or None
    query = board.BoardQuery(view=args.view, owner_id=owner, kind=args.kind)
    try:
        rows = board.page(ctx, query, 0, max(args.limit, 1))
        total = board.count(ctx, query)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    out = [_row_out(r, ctx.tz) for r in rows]
    if getattr(args, "json", False):
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if not out:
        print(t("followups.cli.none"))
        return 0
    header = [t("followups.col.status"), t("followups.col.due"), t("followups.col.kind"),
              t("followups.col.owner"), t("followups.col.case"), t("followups.col.customer"),
              t("followups.col.note")]
    table = [[t(f"followups.status.{r['display_status']}"), r["due_local"], t(f"followups.kind.{r['kind']}"),
              r["owner_id"], r["case_id"] or "-", sanitize.one_line(r["customer_name"] or "-", 12),
              sanitize.one_line(r["note"], 40)] for r in out]
    widths = [max(_width(line[i]) for line in [header, *table]) for i in range(len(header))]
    for line in [header, *table]:
        print("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(line)).rstrip())
    print(t("followups.cli.shown", shown=len(out), total=total))
    return 0


def run_add(args: argparse.Namespace) -> int:
    from workbench.cli import context_from
    from workbench.dateparse import DateParseError
    from workbench.services import followups

    ctx = context_from(args, require_agent=True)
    try:
        row = followups.schedule(ctx, args.case_id, args.kind, when=args.when, note=args.note,
                                 owner_id=args.owner, allow_past=args.yes)
    except followups.FollowUpError as exc:
        print(str(exc) + (" " + t("followups.cli.use_yes") if exc.code == "past" else ""), file=sys.stderr)
        return 2
    except DateParseError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(row, ensure_ascii=False, indent=2))
    else:
        print(t("followups.cli.added", id=row["id"], due=short_local(row["due_at"], ctx.tz, "%Y-%m-%d %H:%M"),
                owner=row["owner_id"]))
        for warning in row["warnings"]:
            print(t(f"followups.warning.{warning}"))
    return 0


def run_done(args: argparse.Namespace) -> int:
    from workbench.cli import context_from
    from workbench.services import followups

    ctx = context_from(args, require_agent=True)
    try:
        result = followups.mark_done(ctx, list(args.ids), args.note)
    except followups.FollowUpError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps({"changed": result.changed, "skipped": result.skipped}, ensure_ascii=False))
    else:
        print(result.summary())
    return 0 if not result.skipped else 1
