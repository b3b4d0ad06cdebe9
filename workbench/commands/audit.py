"""``workbench audit``: verify the hash chain; export entries for finance (CSV or JSON).

``verify`` exits 1 when the log was altered (an edited, deleted or truncated entry), naming the first
bad entry, so a nightly job can alert. ``export`` gives finance the coupons and refunds issued, with
amounts in fen and yuan, to reconcile against what the platform says was redeemed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workbench.i18n import t


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("audit", parents=[common], help="audit log / 审计日志")
    commands = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser("verify", parents=[common], help="check the hash chain / 校验审计链")
    verify.set_defaults(func=run_verify)
    export = commands.add_parser("export", parents=[common], help="export entries / 导出审计记录")
    export.add_argument("--since", help="first day, shop timezone (YYYY-MM-DD)")
    export.add_argument("--until", help="last day included, shop timezone (YYYY-MM-DD)")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", "-o", help="file to write (default: stdout); CSV files get a BOM for Excel")
    export.set_defaults(func=run_export)


def run_verify(args: argparse.Namespace) -> int:
    from workbench import audit
    from workbench.cli import context_from

    ctx = context_from(args)
    result = audit.verify(ctx.store.conn)
    if getattr(args, "json", False):
        print(json.dumps(result.__dict__, ensure_ascii=False))
    elif result.ok:
        print(t("authority.cli.audit_ok", count=result.checked))
    else:
        print(t("authority.cli.audit_broken", seq=result.first_bad_seq, problem=result.problem,
                count=result.checked), file=sys.stderr)
    return 0 if result.ok else 1


def day_start(text: str, tz: str) -> datetime:
    """Local midnight of ``YYYY-MM-DD`` in the shop's timezone (raises ValueError)."""
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))


def run_export(args: argparse.Namespace) -> int:
    from workbench import audit
    from workbench.cli import context_from

    ctx = context_from(args)
    bounds: list[datetime | None] = []
    for value, extra in ((args.since, 0), (args.until, 1)):
        if not value:
            bounds.append(None)
            continue
        try:
            bounds.append(day_start(value, ctx.tz) + timedelta(days=extra))
        except ValueError:
            print(t("authority.cli.bad_date", value=value), file=sys.stderr)
            return 2
    since, until = bounds
    if args.output:
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        with open(args.output, "w", encoding=encoding, newline="") as out:
            count = audit.export(ctx.store.conn, out, args.format, tz=ctx.tz, since=since, until=until)
        print(t("authority.cli.export_done", count=count, path=args.output), file=sys.stderr)
    else:
        audit.export(ctx.store.conn, sys.stdout, args.format, tz=ctx.tz, since=since, until=until)
    return 0
